// SPDX-License-Identifier: BSD-3-Clause
// pixel_data: indexing frames (native byte ranges, or fragments per PS3.5 §A.4) and decoding one frame.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "io/checked_math.hpp"
#include "pixel/unpack.hpp"

namespace dicompix {

std::string_view to_string(frame_index_method m) noexcept {
    switch (m) {
    case frame_index_method::native:
        return "native";
    case frame_index_method::extended_offset_table:
        return "extended offset table";
    case frame_index_method::basic_offset_table:
        return "basic offset table";
    case frame_index_method::one_fragment_per_frame:
        return "one fragment per frame";
    case frame_index_method::single_frame:
        return "single frame";
    case frame_index_method::marker_scan:
        return "marker scan";
    }
    return "";
}

struct pixel_data_builder {
    pixel_data& p;
    const pixel_options& options;

    result<void> recover(errc code, std::string message) {
        if (options.strict) {
            return failure(code, std::move(message), error::no_offset, "(7FE0,0010)");
        }
        note(std::move(message));
        return {};
    }
    void note(std::string message) {
        p.warnings_.push_back(warning{~std::uint64_t{0}, "(7FE0,0010)", std::move(message)});
    }

    result<void> index_native(const element& e);
    result<void> index_encapsulated(const dataset& ds, const element& e);
    bool index_from_offsets(std::span<const std::uint64_t> offsets, std::string_view table_name);
    bool index_by_markers();
};

result<void> pixel_data_builder::index_native(const element& e) {
    const pixel_description& desc = *p.desc_;
    p.native_ = e.bytes();
    // A UN value is never byte-swapped: it keeps the Implicit VR Little Endian bytes it was read with
    // (PS3.5 §6.2.2 note 2). OW is a stream of 16-bit words (PS3.5 §7.3, Annex A.3): in big endian, 1-bit and
    // 8-bit samples sit in byte-swapped word order; OB is a byte stream.
    p.big_endian_ = e.big_endian() && e.vr() != vr::UN;
    p.word_swapped_ = p.big_endian_ && e.vr() != vr::OB && desc.frame.bits_allocated < 16;
    DICOMPIX_TRY(const std::uint64_t frame_bits, desc.frame.native_frame_bits());
    const auto total_bits = detail::checked_mul(frame_bits, desc.number_of_frames);
    if (!total_bits) {
        return failure(errc::overflow, "Pixel Data size overflows");
    }
    const std::uint64_t expected = (*total_bits + 7) / 8;
    const std::uint64_t have = p.native_.size();
    p.frame_count_ = desc.number_of_frames;
    if (have > expected) {
        // PS3.5 §8.1.1 allows one pad byte to reach even length; anything else is excess (seen in real files).
        if (!(have == expected + 1 && (expected & 1U) != 0)) {
            note("Pixel Data has " + std::to_string(have - expected) + " bytes after the last frame; ignored");
            if (!e.has_undefined_length() && desc.number_of_frames == 1 && have >= 2 * expected &&
                !p.desc_->encapsulated) {
                const std::uint64_t more = have * 8 / frame_bits;
                note("Pixel Data holds " + std::to_string(more) + " frames but Number of Frames is " +
                     std::to_string(desc.number_of_frames));
            }
        }
    } else if (have < expected) {
        const std::uint64_t complete = have * 8 / frame_bits;
        const std::string what =
            "Pixel Data has " + std::to_string(have) + " bytes, the description needs " + std::to_string(expected);
        if (complete == 0) {
            return failure(errc::pixel_data_too_short, what + "; no frame is complete", error::no_offset,
                           "(7FE0,0010)");
        }
        DICOMPIX_TRY_VOID(recover(errc::pixel_data_too_short, what + "; only " + std::to_string(complete) + " of " +
                                                                  std::to_string(desc.number_of_frames) +
                                                                  " frames are complete"));
        p.frame_count_ = static_cast<std::uint32_t>(complete);
    }
    if ((have & 1U) != 0) {
        note("Pixel Data has odd length " + std::to_string(have) + " (missing pad byte)");
    }
    return {};
}

bool pixel_data_builder::index_from_offsets(std::span<const std::uint64_t> offsets, std::string_view table_name) {
    // Offsets count from the first fragment's item tag (PS3.5 §A.4); each must land on a fragment.
    const auto& frags = p.encapsulated_->fragments;
    const std::uint64_t base = p.encapsulated_->first_fragment_offset;
    std::vector<frame_fragments> index;
    std::size_t fragment = 0;
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        const std::uint64_t target = base + offsets[i];
        while (fragment < frags.size() && frags[fragment].offset - 8 < target) {
            ++fragment;
        }
        if (fragment == frags.size() || frags[fragment].offset - 8 != target) {
            note(std::string(table_name) + " entry " + std::to_string(i) + " (" + std::to_string(offsets[i]) +
                 ") does not point at a fragment; table ignored");
            return false;
        }
        if (!index.empty()) {
            index.back().count = static_cast<std::uint32_t>(fragment - index.back().first);
            if (index.back().count == 0) {
                note(std::string(table_name) + " entries are not increasing; table ignored");
                return false;
            }
        }
        index.push_back({static_cast<std::uint32_t>(fragment), 0});
    }
    if (!index.empty()) {
        index.back().count = static_cast<std::uint32_t>(frags.size() - index.back().first);
    }
    p.frame_index_ = std::move(index);
    return true;
}

namespace {

enum class marker_family : std::uint8_t { none, jpeg, j2k, jxl };

marker_family family_of(std::string_view uid) noexcept {
    if (uid.starts_with("1.2.840.10008.1.2.4.2") || uid == "1.2.840.10008.1.2.4.90" ||
        uid == "1.2.840.10008.1.2.4.91" || uid == "1.2.840.10008.1.2.4.92" || uid == "1.2.840.10008.1.2.4.93") {
        return marker_family::j2k;
    }
    if (uid.starts_with("1.2.840.10008.1.2.4.11")) {
        return marker_family::jxl;
    }
    if (uid.starts_with("1.2.840.10008.1.2.4.")) {
        return marker_family::jpeg; // JPEG processes and JPEG-LS: both start with SOI (FF D8)
    }
    return marker_family::none;
}

bool starts_frame(std::span<const std::byte> b, marker_family family) noexcept {
    if (b.size() < 2 || b[0] != std::byte{0xFF}) {
        return family == marker_family::jxl && b.size() >= 2 && b[0] == std::byte{0x00};
    }
    switch (family) {
    case marker_family::jpeg:
        return b[1] == std::byte{0xD8};
    case marker_family::j2k:
        return b[1] == std::byte{0x4F};
    case marker_family::jxl:
        return b[1] == std::byte{0x0A};
    default:
        return false;
    }
}

} // namespace

bool pixel_data_builder::index_by_markers() {
    const marker_family family = family_of(p.desc_->transfer_syntax_uid);
    if (family == marker_family::none) {
        return false;
    }
    const auto& frags = p.encapsulated_->fragments;
    std::vector<frame_fragments> index;
    for (std::size_t i = 0; i < frags.size(); ++i) {
        if (starts_frame(frags[i].bytes, family)) {
            if (!index.empty()) {
                index.back().count = static_cast<std::uint32_t>(i - index.back().first);
            }
            index.push_back({static_cast<std::uint32_t>(i), 0});
        } else if (index.empty()) {
            return false;
        }
    }
    if (index.empty()) {
        return false;
    }
    index.back().count = static_cast<std::uint32_t>(frags.size() - index.back().first);
    p.frame_index_ = std::move(index);
    return true;
}

result<void> pixel_data_builder::index_encapsulated(const dataset& ds, const element& e) {
    const pixel_description& desc = *p.desc_;
    p.encapsulated_ = std::shared_ptr<const encapsulated_pixel_data>(p.keepalive_, e.encapsulated());
    const auto& frags = p.encapsulated_->fragments;
    const std::uint32_t n = desc.number_of_frames;
    if (frags.empty()) {
        return failure(errc::invalid_encapsulation, "encapsulated Pixel Data has no fragments", error::no_offset,
                       "(7FE0,0010)");
    }
    bool indexed = false;
    // 1. Extended Offset Table (PS3.3 C.7.6.3.1.8): 64-bit offsets, one per frame.
    if (const element* eot = ds.find(tags::ExtendedOffsetTable); eot != nullptr && !eot->bytes().empty()) {
        std::vector<std::uint64_t> offsets(eot->bytes().size() / 8);
        for (std::size_t i = 0; i < offsets.size(); ++i) {
            offsets[i] = eot->get<std::uint64_t>(i).value_or(0);
        }
        if (offsets.size() != n) {
            DICOMPIX_TRY_VOID(recover(errc::invalid_encapsulation,
                                      "Extended Offset Table has " + std::to_string(offsets.size()) + " entries for " +
                                          std::to_string(n) + " frames; table ignored"));
        } else if (!p.encapsulated_->basic_offset_table.empty()) {
            DICOMPIX_TRY_VOID(
                recover(errc::invalid_encapsulation,
                        "Extended Offset Table with a non-empty Basic Offset Table (PS3.5 §A.4 forbids)"));
            indexed = index_from_offsets(offsets, "Extended Offset Table");
        } else {
            indexed = index_from_offsets(offsets, "Extended Offset Table");
        }
        if (indexed) {
            p.method_ = frame_index_method::extended_offset_table;
        }
    }
    // 2. Basic Offset Table: 32-bit offsets.
    const auto bot = p.encapsulated_->basic_offset_table;
    if (!indexed && bot.size() >= 4) {
        std::vector<std::uint64_t> offsets(bot.size() / 4);
        for (std::size_t i = 0; i < offsets.size(); ++i) {
            std::uint32_t v = 0;
            std::memcpy(&v, bot.data() + i * 4, 4);
            if constexpr (std::endian::native == std::endian::big) {
                v = __builtin_bswap32(v);
            }
            offsets[i] = v;
        }
        if (offsets.size() != n) {
            note("Basic Offset Table has " + std::to_string(offsets.size()) + " entries for " + std::to_string(n) +
                 " frames; table ignored");
        } else if (index_from_offsets(offsets, "Basic Offset Table")) {
            indexed = true;
            p.method_ = frame_index_method::basic_offset_table;
        }
    }
    // 3. No usable table.
    if (!indexed) {
        if (frags.size() == n) {
            p.frame_index_.resize(n);
            for (std::uint32_t i = 0; i < n; ++i) {
                p.frame_index_[i] = {i, 1};
            }
            p.method_ = frame_index_method::one_fragment_per_frame;
            indexed = true;
        } else if (n == 1) {
            p.frame_index_ = {{0, static_cast<std::uint32_t>(frags.size())}};
            p.method_ = frame_index_method::single_frame;
            indexed = true;
        } else if (index_by_markers()) {
            p.method_ = frame_index_method::marker_scan;
            indexed = true;
            if (p.frame_index_.size() != n) {
                note("marker scan found " + std::to_string(p.frame_index_.size()) + " frames in " +
                     std::to_string(frags.size()) + " fragments, Number of Frames is " + std::to_string(n));
            }
        }
    }
    if (!indexed) {
        if (frags.size() < n) {
            // Fewer fragments than frames and no way to split them: serve one fragment per frame.
            DICOMPIX_TRY_VOID(recover(errc::invalid_encapsulation, std::to_string(frags.size()) + " fragments for " +
                                                                       std::to_string(n) +
                                                                       " frames; serving one frame per fragment"));
            p.frame_index_.resize(frags.size());
            for (std::uint32_t i = 0; i < frags.size(); ++i) {
                p.frame_index_[i] = {i, 1};
            }
            p.method_ = frame_index_method::one_fragment_per_frame;
        } else {
            return failure(errc::invalid_encapsulation,
                           std::to_string(frags.size()) + " fragments for " + std::to_string(n) +
                               " frames and no offset table or markers to tell where frames start",
                           error::no_offset, "(7FE0,0010)");
        }
    }
    if (p.frame_index_.size() > n) {
        note(std::to_string(p.frame_index_.size()) + " frames in the fragments, Number of Frames is " +
             std::to_string(n) + "; the extra ones are ignored");
        p.frame_index_.resize(n);
    } else if (p.frame_index_.size() < n) {
        DICOMPIX_TRY_VOID(recover(errc::invalid_encapsulation, "only " + std::to_string(p.frame_index_.size()) +
                                                                   " of " + std::to_string(n) +
                                                                   " frames found in the fragments"));
    }
    p.frame_count_ = static_cast<std::uint32_t>(p.frame_index_.size());
    return {};
}

namespace {

const element* find_pixel_element(const dataset& ds) {
    if (const element* e = ds.find(tags::PixelData); e != nullptr) {
        return e;
    }
    if (const element* e = ds.find(tags::FloatPixelData); e != nullptr) {
        return e;
    }
    return ds.find(tags::DoubleFloatPixelData);
}

} // namespace

result<pixel_data> pixel_data::open(const dicom_file& file, const pixel_options& options) {
    return open(file, file.dataset(), options);
}

result<pixel_data> pixel_data::open(const dicom_file& file, const dataset& ds, const pixel_options& options) {
    pixel_data p;
    p.options_ = options;
    p.keepalive_ = file.source().owner();
    p.mapped_ = file.source().is_mapped();
    parse_options describe_options;
    describe_options.limits = options.limits;
    describe_options.strict = options.strict;
    DICOMPIX_TRY(pixel_description desc,
                 describe_pixels(ds, file.transfer_syntax_uid(), describe_options, &p.warnings_));
    const element* e = find_pixel_element(ds);
    // Encapsulated transfer syntaxes carry native-looking pixel data in some files and vice versa; the
    // element's own encoding decides (fo-dicom.Codecs #185).
    const transfer_syntax* ts = file.transfer_syntax();
    desc.encapsulated = e->is_encapsulated();
    if (ts != nullptr && ts->encapsulated != desc.encapsulated) {
        p.warnings_.push_back(warning{e->offset(), "(7FE0,0010)",
                                      std::string("transfer syntax ") + std::string(ts->name) + " but Pixel Data is " +
                                          (desc.encapsulated ? "encapsulated" : "native")});
        if (!desc.encapsulated) {
            // Native bytes under an encapsulated transfer syntax: read them as Explicit VR Little Endian.
            desc.transfer_syntax_uid = std::string(uids::explicit_vr_little_endian);
        }
    }
    p.desc_ = std::make_shared<const pixel_description>(std::move(desc));
    pixel_data_builder builder{p, options};
    if (p.desc_->encapsulated) {
        DICOMPIX_TRY_VOID(builder.index_encapsulated(ds, *e));
    } else {
        DICOMPIX_TRY_VOID(builder.index_native(*e));
    }
    return p;
}

std::span<const fragment> pixel_data::fragments() const noexcept {
    if (!encapsulated_) {
        return {};
    }
    return encapsulated_->fragments;
}

result<std::span<const std::byte>> pixel_data::frame_codestream(std::uint32_t index,
                                                                std::vector<std::byte>& scratch) const {
    if (!encapsulated_ || index >= frame_index_.size()) {
        return failure(errc::frame_out_of_range, "frame " + std::to_string(index) + " of " +
                                                     std::to_string(frame_count_) + " (not an encapsulated frame)");
    }
    const frame_fragments ff = frame_index_[index];
    const auto& frags = encapsulated_->fragments;
    if (ff.count == 1) {
        return frags[ff.first].bytes;
    }
    std::size_t total = 0;
    for (std::uint32_t i = 0; i < ff.count; ++i) {
        total += frags[ff.first + i].bytes.size();
    }
    scratch.resize(total);
    std::size_t at = 0;
    for (std::uint32_t i = 0; i < ff.count; ++i) {
        const auto b = frags[ff.first + i].bytes;
        std::memcpy(scratch.data() + at, b.data(), b.size());
        at += b.size();
    }
    return std::span<const std::byte>(scratch);
}

namespace {

template <class T>
any_frame make_frame(const std::shared_ptr<const pixel_description>& desc, const frame_info& shape, frame_meta meta,
                     std::pmr::memory_resource* memory) {
    return native_frame<T>(desc, shape.rows, shape.columns, shape.samples_per_pixel, std::move(meta), memory);
}

any_frame allocate_frame(const std::shared_ptr<const pixel_description>& desc, const frame_info& shape, frame_meta meta,
                         std::pmr::memory_resource* memory) {
    switch (shape.type()) {
    case sample_type::u8:
        return make_frame<std::uint8_t>(desc, shape, std::move(meta), memory);
    case sample_type::i8:
        return make_frame<std::int8_t>(desc, shape, std::move(meta), memory);
    case sample_type::u16:
        return make_frame<std::uint16_t>(desc, shape, std::move(meta), memory);
    case sample_type::i16:
        return make_frame<std::int16_t>(desc, shape, std::move(meta), memory);
    case sample_type::u32:
        return make_frame<std::uint32_t>(desc, shape, std::move(meta), memory);
    case sample_type::i32:
        return make_frame<std::int32_t>(desc, shape, std::move(meta), memory);
    case sample_type::u64:
        return make_frame<std::uint64_t>(desc, shape, std::move(meta), memory);
    case sample_type::i64:
        return make_frame<std::int64_t>(desc, shape, std::move(meta), memory);
    case sample_type::f32:
        return make_frame<float>(desc, shape, std::move(meta), memory);
    case sample_type::f64:
        return make_frame<double>(desc, shape, std::move(meta), memory);
    }
    return {};
}

template <class T>
any_frame make_view(const std::shared_ptr<const pixel_description>& desc, const frame_info& shape, frame_meta meta,
                    const std::byte* data, std::shared_ptr<const void> keepalive, std::pmr::memory_resource* memory) {
    return native_frame<T>::view(desc, shape.rows, shape.columns, shape.samples_per_pixel, std::move(meta),
                                 reinterpret_cast<const T*>(data), std::move(keepalive), memory);
}

any_frame view_frame(const std::shared_ptr<const pixel_description>& desc, const frame_info& shape, frame_meta meta,
                     const std::byte* data, std::shared_ptr<const void> keepalive, std::pmr::memory_resource* m) {
    switch (shape.type()) {
    case sample_type::u8:
        return make_view<std::uint8_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::i8:
        return make_view<std::int8_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::u16:
        return make_view<std::uint16_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::i16:
        return make_view<std::int16_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::u32:
        return make_view<std::uint32_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::i32:
        return make_view<std::int32_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::u64:
        return make_view<std::uint64_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::i64:
        return make_view<std::int64_t>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::f32:
        return make_view<float>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    case sample_type::f64:
        return make_view<double>(desc, shape, std::move(meta), data, std::move(keepalive), m);
    }
    return {};
}

std::span<std::byte> writable_bytes(any_frame& f) {
    return f.visit([](auto& frame) { return frame.fill_bytes(); });
}

/// The photometric interpretation of decoded native samples: 4:2:2 is upsampled to full YBR.
photometric native_output_colour(photometric pi) noexcept {
    if (pi == photometric::ybr_full_422) {
        return photometric::ybr_full;
    }
    return pi;
}

} // namespace

result<any_frame> pixel_data::frame(std::uint32_t index) const {
    if (!desc_) {
        return failure(errc::no_pixel_data, "pixel_data is empty");
    }
    if (index >= frame_count_) {
        return failure(errc::frame_out_of_range,
                       "frame " + std::to_string(index) + " asked, " + std::to_string(frame_count_) + " available");
    }
    const frame_info& info = desc_->frame;
    frame_info shape = info;
    // Frames are full resolution and interleaved whatever the storage.
    shape.planar_configuration = 0;

    if (!desc_->encapsulated) {
        DICOMPIX_TRY(const std::uint64_t frame_bits, info.native_frame_bits());
        const std::uint64_t first_bit = frame_bits * index;
        frame_meta meta{index, native_output_colour(info.photometric_interpretation), "native", {}};
        const bool host_big = std::endian::native == std::endian::big;
        const bool direct = info.bits_allocated >= 8 && (first_bit % 8) == 0 && !word_swapped_ &&
                            (native_big_endian() == host_big || info.bits_allocated == 8) &&
                            (info.samples_per_pixel == 1 || info.planar_configuration == 0) &&
                            shape.photometric_interpretation != photometric::ybr_full_422 &&
                            shape.photometric_interpretation != photometric::ybr_partial_422;
        const std::byte* start = native_.data() + first_bit / 8;
        if (direct && reinterpret_cast<std::uintptr_t>(start) % info.bytes_per_sample() == 0) {
            const std::span<const std::byte> stored(start, frame_bits / 8);
            if (detail::is_normalised(stored, info)) {
                return view_frame(desc_, shape, std::move(meta), start, keepalive_, options_.memory);
            }
        }
        any_frame out = allocate_frame(desc_, shape, std::move(meta), options_.memory);
        const auto bytes = writable_bytes(out);
        if (word_swapped_) {
            // 8-bit and 1-bit samples in big-endian 16-bit words: swap the frame's bytes back (byte p is at p ^ 1).
            const std::uint64_t begin = first_bit / 8 & ~std::uint64_t{1};
            const std::uint64_t end = std::min<std::uint64_t>((first_bit + frame_bits + 7) / 8 + 1, native_.size());
            std::vector<std::byte> swapped(end - begin);
            for (std::uint64_t pos = begin; pos < end; ++pos) {
                const std::uint64_t from = pos ^ 1U;
                swapped[pos - begin] = from < native_.size() ? native_[from] : std::byte{0};
            }
            detail::unpack_native(swapped, first_bit - begin * 8, info, false, bytes);
        } else {
            detail::unpack_native(native_, first_bit, info, big_endian_, bytes);
        }
        normalise_samples(bytes, info);
        return out;
    }

    // Encapsulated: pick decoders, check the header against the description, allocate, decode.
    const codec_registry& registry = options_.registry != nullptr ? *options_.registry : codec_registry::builtin();
    std::vector<const frame_decoder*> candidates;
    if (!options_.decoder.empty()) {
        if (const frame_decoder* d = registry.decoder(options_.decoder); d != nullptr) {
            candidates.push_back(d);
        } else {
            return failure(errc::no_decoder, "no decoder named '" + options_.decoder + "' is registered");
        }
    } else {
        candidates = registry.decoders_for(desc_->transfer_syntax_uid, info);
    }
    if (candidates.empty()) {
        const transfer_syntax* ts = find_transfer_syntax(desc_->transfer_syntax_uid);
        std::string message = "no decoder for transfer syntax " + desc_->transfer_syntax_uid;
        if (ts != nullptr) {
            message += " (" + std::string(ts->name) + ")";
        }
        message += " with " + std::to_string(info.bits_allocated) + "-bit " +
                   std::string(to_string(info.photometric_interpretation)) + " samples";
        const std::string known = known_decoders_for(desc_->transfer_syntax_uid);
        message += known.empty() ? "; no decoder for it is known to dicompix" : "; would be decoded by: " + known;
        return failure(errc::no_decoder, std::move(message));
    }
    std::vector<std::byte> scratch;
    DICOMPIX_TRY(const std::span<const std::byte> codestream, frame_codestream(index, scratch));
    decode_options dopt;
    dopt.transfer_syntax_uid = desc_->transfer_syntax_uid;
    dopt.strict = options_.strict;
    dopt.limits = &options_.limits;
    dopt.threads = std::max<std::uint32_t>(1, options_.codec_threads);
    const transfer_syntax* syntax = find_transfer_syntax(desc_->transfer_syntax_uid);
    const bool lossy = syntax != nullptr && syntax->lossy;
    error last_error;
    for (const frame_decoder* decoder : candidates) {
        // A decoder that cannot read the header (e.g. a 12-bit stream for an 8-bit backend) passes the
        // frame to the next capable one; a failure after that only with try_next_decoder_on_failure.
        auto header_result = decoder->read_header(codestream, info);
        if (!header_result) {
            last_error = std::move(header_result).error();
            continue;
        }
        const codestream_info header = *header_result;
        auto attempt = [&]() -> result<any_frame> {
            std::vector<std::string> warnings;
            if (header.rows != info.rows || header.columns != info.columns ||
                (header.components != 0 && header.components != info.samples_per_pixel)) {
                return failure(errc::codestream_mismatch,
                               std::string(decoder->name()) + ": codestream is " + std::to_string(header.columns) +
                                   "x" + std::to_string(header.rows) + "x" + std::to_string(header.components) +
                                   ", the dataset says " + std::to_string(info.columns) + "x" +
                                   std::to_string(info.rows) + "x" + std::to_string(info.samples_per_pixel));
            }
            if (header.precision != 0 && info.element == pixel_data_element::integer &&
                (header.precision > info.bits_allocated ||
                 (info.bits_allocated > 1 && header.precision != info.bits_stored))) {
                std::string m = std::string(decoder->name()) + ": codestream precision " +
                                std::to_string(header.precision) + " bits, Bits Stored is " +
                                std::to_string(info.bits_stored);
                if (options_.strict || header.precision > info.bits_allocated) {
                    return failure(errc::codestream_mismatch, std::move(m));
                }
                warnings.push_back(std::move(m));
            }
            frame_meta meta{index, header.colour, decoder->name(), std::move(warnings)};
            any_frame out = allocate_frame(desc_, shape, std::move(meta), options_.memory);
            const auto bytes = writable_bytes(out);
            DICOMPIX_TRY(decode_report report, decoder->decode(codestream, info, bytes, dopt));
            if (lossy && report.precision > info.bits_stored) {
                detail::clamp_to_bits_stored(bytes, info, report.precision);
            }
            normalise_samples(bytes, info);
            out.visit([&](auto& f) {
                frame_meta m = f.meta();
                if (report.colour != photometric::unknown) {
                    m.photometric_interpretation = report.colour;
                } else if (m.photometric_interpretation == photometric::unknown) {
                    m.photometric_interpretation = info.photometric_interpretation;
                }
                for (auto& w : report.warnings) {
                    m.warnings.push_back(std::move(w));
                }
                f.set_meta(m);
            });
            return out;
        };
        auto decoded = attempt();
        if (decoded) {
            return decoded;
        }
        last_error = std::move(decoded).error();
        if (!options_.try_next_decoder_on_failure) {
            break;
        }
    }
    return failure(std::move(last_error));
}

result<std::vector<any_frame>> pixel_data::frames() const {
    std::vector<any_frame> out;
    out.reserve(frame_count_);
    for (std::uint32_t i = 0; i < frame_count_; ++i) {
        DICOMPIX_TRY(any_frame f, frame(i));
        out.push_back(std::move(f));
    }
    return out;
}

void pixel_data::release_pages(std::uint32_t first, std::uint32_t last) const noexcept {
    last = std::min(last, frame_count_);
    if (!mapped_ || first >= last || !desc_) {
        return;
    }
    const std::byte* begin = nullptr;
    const std::byte* end = nullptr;
    if (!desc_->encapsulated) {
        const auto bits = desc_->frame.native_frame_bits();
        if (!bits || native_.empty()) {
            return;
        }
        begin = native_.data() + std::min<std::uint64_t>(*bits * first / 8, native_.size());
        end = native_.data() + std::min<std::uint64_t>((*bits * last + 7) / 8, native_.size());
    } else {
        const auto& frags = encapsulated_->fragments;
        const frame_fragments a = frame_index_[first];
        const frame_fragments b = frame_index_[last - 1];
        if (a.count == 0 || b.count == 0 || std::size_t{b.first} + b.count > frags.size()) {
            return;
        }
        begin = frags[a.first].bytes.data();
        const auto& tail = frags[b.first + b.count - 1].bytes;
        end = tail.data() + tail.size();
    }
    // Whole pages strictly inside [begin, end): a page shared with a neighbouring frame stays.
    const long page_size = ::sysconf(_SC_PAGESIZE);
    if (page_size <= 0) {
        return;
    }
    const auto page = static_cast<std::uintptr_t>(page_size);
    const std::uintptr_t from = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const std::uintptr_t to = reinterpret_cast<std::uintptr_t>(end) / page * page;
    if (to > from) {
        // A read-only private file mapping: dropped pages are re-read from the file if touched again.
        ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
    }
}

std::string_view pixel_data::decoder_name() const {
    if (!desc_) {
        return {};
    }
    if (!desc_->encapsulated) {
        return "native";
    }
    const codec_registry& registry = options_.registry != nullptr ? *options_.registry : codec_registry::builtin();
    if (!options_.decoder.empty()) {
        const frame_decoder* d = registry.decoder(options_.decoder);
        return d != nullptr ? d->name() : std::string_view{};
    }
    const auto candidates = registry.decoders_for(desc_->transfer_syntax_uid, desc_->frame);
    return candidates.empty() ? std::string_view{} : candidates.front()->name();
}

} // namespace dicompix
