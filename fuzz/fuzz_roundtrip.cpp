// SPDX-License-Identifier: BSD-3-Clause
// fuzz_roundtrip: parse -> write -> parse -> compare (reliability.md §4.9 round-trip property; the
// oss-sydr-fuzz pydicom harness dcmread -> save_as). Input: DICOM bytes + one option byte:
//   bit 0 strict parse; bit 3 sequences written with undefined length; bits 4-5 offset table
//   (none, basic, extended, basic); bit 6 bare dataset instead of Part 10; bit 7 write to Explicit VR
//   Little Endian (decodes and re-packs the pixels) instead of the source's transfer syntax.
// When the write succeeds, the written bytes must parse (leniently), with the same elements (values
// byte-equal up to the writer's documented normalisations: even padding, recomputed group lengths,
// Image Pixel attributes of re-packed data), the same frame count and the same decoded frames; and
// writing the re-read file again must give the same bytes (the writer is a fixed point after one pass).
#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {

using namespace dicompix;

bool is_pixel_tag(tag t) noexcept {
    return t == tags::PixelData || t == tags::FloatPixelData || t == tags::DoubleFloatPixelData;
}

/// Attributes the writer may legitimately rewrite (writer.hpp: "the dependent attributes ... are updated
/// to match what is written"), compared through the decoded pixels instead.
bool rewritten_by_writer(tag t) noexcept {
    return is_pixel_tag(t) || t == tags::PhotometricInterpretation || t == tags::PlanarConfiguration ||
           t == tags::ExtendedOffsetTable || t == tags::ExtendedOffsetTableLengths ||
           t == tags::LossyImageCompression || t == tags::LossyImageCompressionRatio ||
           t == tags::LossyImageCompressionMethod || t == tags::SOPInstanceUID || t == tags::ImageType;
}

void compare(const dataset& a, const dataset& b, std::uint32_t depth) {
    std::vector<const element*> x;
    std::vector<const element*> y;
    // Group lengths (gggg,0000) are recomputed by the writer.
    for (const element& e : a) {
        // File Meta Elements found in the dataset body are moved to the meta group by the writer.
        const bool stray_meta = depth == 0 && e.tag().group() == 0x0002;
        if (e.tag().element() != 0 && !rewritten_by_writer(e.tag()) && !stray_meta) {
            x.push_back(&e);
        }
    }
    for (const element& e : b) {
        if (e.tag().element() != 0 && !rewritten_by_writer(e.tag())) {
            y.push_back(&e);
        }
    }
    // The writer sorts elements into ascending tag order (PS3.5 §7.1).
    std::stable_sort(x.begin(), x.end(), [](auto* p, auto* q) { return p->tag() < q->tag(); });
    DICOMPIX_FUZZ_CHECK(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const element& e = *x[i];
        const element& f = *y[i];
        DICOMPIX_FUZZ_CHECK(e.tag() == f.tag());
        if (e.is_sequence() || f.is_sequence()) {
            DICOMPIX_FUZZ_CHECK(e.items().size() == f.items().size());
            for (std::size_t k = 0; k < e.items().size(); ++k) {
                compare(e.items()[k], f.items()[k], depth + 1);
            }
            continue;
        }
        std::vector<std::byte> a_bytes(e.bytes().begin(), e.bytes().end());
        auto b_bytes = f.bytes();
        // Written in the other byte order: binary values come back swapped (whole values only; a trailing
        // partial value is copied as is, like the writer does).
        if (const std::size_t unit = byte_swap_unit(e.vr()); unit > 1 && e.big_endian() != f.big_endian()) {
            for (std::size_t k = 0; k + unit <= a_bytes.size(); k += unit) {
                std::reverse(a_bytes.begin() + static_cast<std::ptrdiff_t>(k),
                             a_bytes.begin() + static_cast<std::ptrdiff_t>(k + unit));
            }
        }
        // The writer pads odd values to even length (PS3.5 §7.1.1).
        if (b_bytes.size() == a_bytes.size() + 1 && (a_bytes.size() & 1U) != 0) {
            b_bytes = b_bytes.first(a_bytes.size());
        }
        DICOMPIX_FUZZ_CHECK(std::equal(a_bytes.begin(), a_bytes.end(), b_bytes.begin(), b_bytes.end()));
    }
}

write_options make_write_options(std::uint8_t bits) {
    write_options w;
    w.limits = fuzz::tight_limits();
    w.undefined_length_sequences = (bits & 0x08U) != 0;
    switch ((bits >> 4U) & 3U) {
    case 0:
        w.table = offset_table::none;
        break;
    case 2:
        w.table = offset_table::extended;
        break;
    default:
        w.table = offset_table::basic;
        break;
    }
    w.part10 = (bits & 0x40U) == 0;
    if ((bits & 0x80U) != 0) {
        w.transfer_syntax = "1.2.840.10008.1.2.1";
    }
    return w;
}

result<dicom_file> reread(std::vector<std::byte> bytes, const write_options& w, std::string_view uid) {
    parse_options lenient;
    lenient.limits = fuzz::tight_limits();
    // What was written may be larger than what was read (padding, defined lengths), never by much.
    lenient.limits.max_total_bytes = ~std::uint64_t{0};
    auto source = byte_source::adopt(std::move(bytes));
    return w.part10 ? read_bytes(source, lenient) : read_dataset(source, uid, lenient);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto in = fuzz::split(data, size);
    auto file = read_bytes(byte_source::borrow(in.dicom), fuzz::make_parse_options(in.options));
    if (!file) {
        return 0;
    }
    const write_options w = make_write_options(in.options);
    // The same frames the writer decodes (with w.limits) when it re-packs them.
    const pixel_options popt = fuzz::make_pixel_options(static_cast<std::uint8_t>(in.options & ~fuzz::opt_strict));
    auto pixels = pixel_data::open(*file, popt);
    if (pixels && !fuzz::small_enough(pixels->info())) {
        return 0;
    }
    memory_sink sink;
    auto report = write(*file, sink, w);
    if (!report) {
        DICOMPIX_FUZZ_CHECK(report.error().code != errc::ok);
        return 0;
    }
    const std::string uid = report->transfer_syntax_uid;
    const std::vector<std::byte> first = sink.bytes();
    auto again = reread(sink.bytes(), w, uid);
    if (!again) {
        std::fprintf(stderr, "written file does not parse: %s\n", again.error().to_string().c_str());
    }
    DICOMPIX_FUZZ_CHECK(again.has_value());
    DICOMPIX_FUZZ_CHECK(again->transfer_syntax_uid() == uid);
    compare(file->dataset(), again->dataset(), 0);

    // Same pixels: where the original serves frames, the copy serves the same ones.
    if (pixels) {
        auto after = pixel_data::open(*again, popt);
        DICOMPIX_FUZZ_CHECK(after.has_value());
        // Short native Pixel Data of odd length: the pad byte the writer must add (PS3.5 §7.1.1) can complete
        // the last partial frame (fuzz-roundtrip-2163fc2a: 8837 bytes of 100-bit frames, 706 complete, 707 with
        // the pad; fuzz-roundtrip-03623aee: 287 of 288 bytes of 8-bit RGB). The frames both serve must be equal.
        const bool odd_native = !pixels->encapsulated() && (pixels->native_bytes().size() & 1U) != 0;
        DICOMPIX_FUZZ_CHECK(after->frame_count() == pixels->frame_count() ||
                            (odd_native && after->frame_count() == pixels->frame_count() + 1));
        const std::uint32_t n = std::min(pixels->frame_count(), fuzz::max_frames_decoded);
        for (std::uint32_t i = 0; i < n; ++i) {
            auto a = pixels->frame(i);
            if (!a) {
                continue;
            }
            auto b = after->frame(i);
            DICOMPIX_FUZZ_CHECK(b.has_value());
            DICOMPIX_FUZZ_CHECK(a->bytes().size() == b->bytes().size());
            // Frames encoded lossily (e.g. native Pixel Data in a file labelled JPEG Baseline, written
            // back in that syntax: fuzz-roundtrip-d3cc8e73) change by design; the report says so.
            if (!(report->lossy && report->frames_encoded > 0)) {
                DICOMPIX_FUZZ_CHECK(std::ranges::equal(a->bytes(), b->bytes()));
            }
        }
    }

    // A second pass changes nothing.
    memory_sink sink2;
    auto report2 = write(*again, sink2, w);
    DICOMPIX_FUZZ_CHECK(report2.has_value());
    DICOMPIX_FUZZ_CHECK(std::ranges::equal(first, sink2.bytes()));
    return 0;
}
