// SPDX-License-Identifier: BSD-3-Clause
// RLE Lossless (PS3.5 Annex G): round trips through the codec and the whole pixel_data path, interop
// with DCMTK (dcmcrle/dcmdrle), GDCM (gdcmconv) and pydicom 2.3 (skipped when a tool is missing), and
// the adversarial inputs of reference/reliability.md §4.7.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "codecs/factories.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

// ---- descriptions and sample data -------------------------------------------------------------------

frame_info make_info(std::uint32_t rows, std::uint32_t columns, std::uint16_t spp, std::uint16_t ba,
                     std::uint16_t bs = 0, bool is_signed = false, photometric pi = photometric::unknown) {
    frame_info f;
    f.rows = rows;
    f.columns = columns;
    f.samples_per_pixel = spp;
    f.bits_allocated = ba;
    f.bits_stored = bs != 0 ? bs : ba;
    f.high_bit = static_cast<std::uint16_t>(f.bits_stored - 1);
    f.is_signed = is_signed;
    f.photometric_interpretation =
        pi != photometric::unknown ? pi : (spp == 3 ? photometric::rgb : photometric::monochrome2);
    return f;
}

std::size_t sample_count(const frame_info& info) {
    return std::size_t{info.rows} * info.columns * info.samples_per_pixel;
}

// Normalised values (masked to Bits Stored, sign-extended) with long runs, short runs and noise, so
// every PackBits case and row boundaries inside runs are exercised.
std::vector<std::uint64_t> make_values(const frame_info& info, std::uint32_t seed) {
    std::mt19937_64 rng(seed);
    const std::uint16_t bs = info.bits_allocated == 1 ? 1 : info.bits_stored;
    const std::uint64_t mask = bs >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bs) - 1;
    const auto normalise = [&](std::uint64_t v) {
        v &= mask;
        if (info.is_signed && bs < 64 && ((v >> (bs - 1)) & 1U) != 0) {
            v |= ~mask;
        }
        return v;
    };
    std::vector<std::uint64_t> out(sample_count(info));
    std::size_t i = 0;
    while (i < out.size()) {
        const std::size_t len = std::min<std::size_t>(out.size() - i, 1 + rng() % 300);
        const auto kind = rng() % 4;
        const std::uint64_t base = rng();
        for (std::size_t k = 0; k < len; ++k, ++i) {
            switch (kind) {
            case 0: out[i] = normalise(base); break;                       // one long run
            case 1: out[i] = normalise(rng()); break;                      // noise
            case 2: out[i] = normalise(base + (rng() % 3)); break;         // short runs
            default: out[i] = normalise(base + k / 2 + (k % 5 == 0 ? 1 : 0)); break; // pairs and ramps
            }
        }
    }
    return out;
}

// Host-endian samples of info.bytes_per_sample() bytes.
bytes to_samples(const frame_info& info, const std::vector<std::uint64_t>& values) {
    const std::size_t w = info.bytes_per_sample();
    bytes out(values.size() * w);
    for (std::size_t i = 0; i < values.size(); ++i) {
        for (std::size_t b = 0; b < w; ++b) {
            const std::size_t at = std::endian::native == std::endian::little ? b : w - 1 - b;
            out[i * w + at] = static_cast<std::byte>((values[i] >> (8 * b)) & 0xFFU);
        }
    }
    return out;
}

// Little-endian native bytes (OB/OW) of the values, for native files given to the tools.
bytes to_native_le(const frame_info& info, const std::vector<std::uint64_t>& values) {
    const std::size_t w = info.bytes_per_sample();
    bytes out(values.size() * w);
    for (std::size_t i = 0; i < values.size(); ++i) {
        for (std::size_t b = 0; b < w; ++b) {
            out[i * w + b] = static_cast<std::byte>((values[i] >> (8 * b)) & 0xFFU);
        }
    }
    return out;
}

// ---- DICOM files -----------------------------------------------------------------------------------

void image_pixel_module(dicom_builder& b, const frame_info& info, std::uint32_t frames) {
    b.us(tags::SamplesPerPixel, {info.samples_per_pixel});
    b.str(tags::PhotometricInterpretation, vr::CS, to_string(info.photometric_interpretation));
    if (info.samples_per_pixel > 1) {
        b.us(tags::PlanarConfiguration, {info.planar_configuration});
    }
    if (frames > 1) {
        b.str(tags::NumberOfFrames, vr::IS, std::to_string(frames));
    }
    b.us(tags::Rows, {static_cast<std::uint16_t>(info.rows)});
    b.us(tags::Columns, {static_cast<std::uint16_t>(info.columns)});
    b.us(tags::BitsAllocated, {info.bits_allocated});
    b.us(tags::BitsStored, {info.bits_stored});
    b.us(tags::HighBit, {info.high_bit});
    b.us(tags::PixelRepresentation, {static_cast<std::uint16_t>(info.is_signed ? 1 : 0)});
}

bytes pad_even(bytes b) {
    if (b.size() % 2 != 0) {
        b.push_back(std::byte{0});
    }
    return b;
}

// A Part 10 RLE file, one fragment per frame, with a Basic Offset Table.
bytes rle_file(const frame_info& info, const std::vector<bytes>& frames) {
    dicom_builder b;
    image_pixel_module(b, info, static_cast<std::uint32_t>(frames.size()));
    std::vector<bytes> fragments;
    std::vector<std::uint32_t> bot;
    std::uint32_t offset = 0;
    for (const auto& f : frames) {
        fragments.push_back(pad_even(f));
        bot.push_back(offset);
        offset += static_cast<std::uint32_t>(fragments.back().size() + 8);
    }
    b.encapsulated(bot, fragments);
    return dicom_builder::part10(b.data(), uids::rle_lossless);
}

// A native Explicit VR Little Endian file of the values (all frames).
bytes native_file(const frame_info& info, const std::vector<std::uint64_t>& values, std::uint32_t frames) {
    dicom_builder b;
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4.5.6.7.8.9");
    image_pixel_module(b, info, frames);
    b.element(tags::PixelData, info.bits_allocated > 8 ? vr::OW : vr::OB, pad_even(to_native_le(info, values)));
    return dicom_builder::part10(b.data(), uids::explicit_vr_little_endian);
}

result<std::vector<any_frame>> decode_file(const bytes& file, const pixel_options& options = {}) {
    DICOMPIX_TRY(const dicom_file f, read_bytes(byte_source::adopt(file)));
    DICOMPIX_TRY(const pixel_data pixels, pixel_data::open(f, options));
    std::vector<any_frame> out;
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        DICOMPIX_TRY(any_frame fr, pixels.frame(i));
        out.push_back(std::move(fr));
    }
    return out;
}

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

bool has_warning(const std::vector<std::string>& warnings, std::string_view needle) {
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

// ---- the codec directly ----------------------------------------------------------------------------

struct codec_fixture {
    std::shared_ptr<const frame_decoder> decoder = codecs::make_rle_decoder();
    std::shared_ptr<const frame_encoder> encoder = codecs::make_rle_encoder();
    limits lim;

    bytes encode(const frame_info& info, const bytes& samples) const {
        auto e = encoder->encode(samples, info, uids::rle_lossless, {});
        EXPECT_TRUE(e) << e.error().to_string();
        return e ? e->codestream : bytes{};
    }
    result<decode_report> decode(std::span<const std::byte> cs, const frame_info& info, bytes& out,
                                 bool strict = false) const {
        out.assign(static_cast<std::size_t>(info.decoded_frame_bytes().value()), std::byte{0xEE});
        decode_options o;
        o.strict = strict;
        o.limits = &lim;
        return decoder->decode(cs, info, out, o);
    }
};

std::uint32_t le32(const bytes& b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8U |
           static_cast<std::uint32_t>(b[at + 2]) << 16U | static_cast<std::uint32_t>(b[at + 3]) << 24U;
}

void put_le32(bytes& b, std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) {
        b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFFU);
    }
}

// An RLE frame from raw segment bytes (no padding added).
bytes frame_of(const std::vector<std::vector<std::uint8_t>>& segments) {
    bytes out(64, std::byte{0});
    put_le32(out, 0, static_cast<std::uint32_t>(segments.size()));
    for (std::size_t k = 0; k < segments.size(); ++k) {
        put_le32(out, 4 + 4 * k, static_cast<std::uint32_t>(out.size()));
        for (const auto v : segments[k]) {
            out.push_back(static_cast<std::byte>(v));
        }
    }
    return out;
}

// Checks the structure of an encoded frame: header, even segments, runs inside rows (G.3.1).
void expect_well_formed(const bytes& cs, const frame_info& info) {
    ASSERT_GE(cs.size(), 64U);
    const std::uint32_t segments = le32(cs, 0);
    const std::uint32_t expected =
        info.bits_allocated == 1 ? 1U : info.samples_per_pixel * (info.bits_allocated / 8U);
    ASSERT_EQ(segments, expected);
    EXPECT_EQ(le32(cs, 4), 64U);
    for (std::uint32_t k = segments; k < 15; ++k) {
        EXPECT_EQ(le32(cs, 4 + 4 * k), 0U) << "unused offset " << k;
    }
    EXPECT_EQ(cs.size() % 2, 0U);
    const std::size_t row = info.bits_allocated == 1 ? (info.columns % 8 == 0 ? info.columns / 8 : 0) : info.columns;
    for (std::uint32_t k = 0; k < segments; ++k) {
        const std::size_t begin = le32(cs, 4 + 4 * k);
        const std::size_t end = k + 1 < segments ? le32(cs, 8 + 4 * k) : cs.size();
        EXPECT_EQ(begin % 2, 0U) << "segment " << k;
        std::size_t pos = begin;
        std::size_t produced = 0;
        const std::size_t need = info.bits_allocated == 1 ? (std::size_t{info.rows} * info.columns + 7) / 8
                                                          : std::size_t{info.rows} * info.columns;
        while (produced < need) {
            ASSERT_LT(pos, end);
            const auto n = static_cast<std::uint8_t>(cs[pos++]);
            ASSERT_NE(n, 128U) << "encoder emitted a no-op";
            const std::size_t count = n < 128 ? n + 1U : 257U - n;
            if (n > 128) {
                EXPECT_GE(count, 2U);
            }
            pos += n < 128 ? count : 1;
            if (row != 0) {
                EXPECT_EQ(produced / row, (produced + count - 1) / row) << "a run crosses a row boundary";
            }
            produced += count;
        }
        EXPECT_EQ(produced, need);
        EXPECT_LE(end - pos, 1U) << "segment " << k << " has more than one pad byte";
    }
}

struct shape {
    std::uint32_t rows;
    std::uint32_t columns;
    std::uint16_t spp;
    std::uint16_t ba;
    std::uint16_t bs;
    bool is_signed;
};

class RleRoundTrip : public ::testing::TestWithParam<shape> {};

TEST_P(RleRoundTrip, CodecAndWholePath) {
    const shape s = GetParam();
    const frame_info info = make_info(s.rows, s.columns, s.spp, s.ba, s.bs, s.is_signed);
    const codec_fixture c;
    ASSERT_TRUE(c.encoder->can_encode(uids::rle_lossless, info, {}));
    constexpr std::uint32_t frames = 3;
    std::vector<bytes> encoded;
    std::vector<bytes> expected;
    for (std::uint32_t f = 0; f < frames; ++f) {
        const auto values = make_values(info, 1000 * s.rows + 10 * s.ba + f);
        expected.push_back(to_samples(info, values));
        encoded.push_back(c.encode(info, expected.back()));
        expect_well_formed(encoded.back(), info);
        bytes out;
        const auto r = c.decode(encoded.back(), info, out, true);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_TRUE(r->warnings.empty());
        EXPECT_TRUE(same_bytes(out, expected.back())) << "frame " << f;
    }
    const auto decoded = decode_file(rle_file(info, encoded));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    ASSERT_EQ(decoded->size(), frames);
    for (std::uint32_t f = 0; f < frames; ++f) {
        EXPECT_EQ((*decoded)[f].meta().codec, "rle");
        EXPECT_TRUE(same_bytes((*decoded)[f].bytes(), expected[f])) << "frame " << f;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Rle, RleRoundTrip,
    ::testing::Values(shape{64, 64, 1, 8, 8, false}, shape{37, 129, 1, 8, 8, false}, shape{1, 1, 1, 8, 8, false},
                      shape{40, 300, 1, 16, 16, false}, shape{33, 65, 1, 16, 12, false}, shape{31, 17, 1, 16, 12, true},
                      shape{16, 23, 1, 16, 16, true}, shape{20, 19, 1, 32, 32, false}, shape{9, 11, 1, 32, 24, true},
                      shape{7, 13, 1, 64, 64, false}, shape{5, 9, 1, 64, 40, true}, shape{48, 49, 3, 8, 8, false},
                      shape{15, 1, 3, 8, 8, false}, shape{21, 22, 3, 16, 16, false}, shape{12, 13, 3, 32, 32, false},
                      shape{64, 64, 1, 1, 1, false}, shape{7, 5, 1, 1, 1, false}, shape{3, 13, 1, 1, 1, false},
                      shape{1, 1, 1, 1, 1, false}, shape{2, 200, 1, 8, 8, false},
                      // More pixels than one decode chunk (16 Ki): runs cross the chunk boundaries.
                      shape{150, 130, 3, 16, 16, false}, shape{129, 257, 1, 16, 12, false}),
    [](const ::testing::TestParamInfo<shape>& p) {
        return std::to_string(p.param.rows) + "x" + std::to_string(p.param.columns) + "x" + std::to_string(p.param.spp) +
               "_ba" + std::to_string(p.param.ba) + "_bs" + std::to_string(p.param.bs) +
               (p.param.is_signed ? "_signed" : "");
    });

TEST(Rle, ManyFramesDecodeIndependently) {
    const frame_info info = make_info(17, 31, 1, 16, 16);
    const codec_fixture c;
    std::vector<bytes> encoded;
    std::vector<bytes> expected;
    for (std::uint32_t f = 0; f < 120; ++f) {
        expected.push_back(to_samples(info, make_values(info, f)));
        encoded.push_back(c.encode(info, expected.back()));
    }
    const bytes file = rle_file(info, encoded);
    const auto parsed = read_bytes(byte_source::adopt(file));
    ASSERT_TRUE(parsed);
    const auto pixels = pixel_data::open(*parsed);
    ASSERT_TRUE(pixels) << pixels.error().to_string();
    ASSERT_EQ(pixels->frame_count(), 120U);
    // Random access, and several threads at once (decode must be reentrant).
    for (const std::uint32_t f : {119U, 0U, 57U}) {
        EXPECT_TRUE(same_bytes(pixels->frame(f).value().bytes(), expected[f]));
    }
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (std::uint32_t f = static_cast<std::uint32_t>(t); f < 120; f += 2) {
                const auto fr = pixels->frame(f);
                if (!fr || !same_bytes(fr->bytes(), expected[f])) {
                    ++mismatches;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(mismatches.load(), 0);
}

TEST(Rle, EncoderCodesRowsSeparatelyAndMergesPairsIntoLiterals) {
    const frame_info info = make_info(2, 6, 1, 8);
    const codec_fixture c;
    // Row 0: a b b c d d  (pairs after a literal join it); row 1: e e e e e e (one replicate run).
    const std::vector<std::uint64_t> values{1, 2, 2, 3, 4, 4, 5, 5, 5, 5, 5, 5};
    const bytes cs = c.encode(info, to_samples(info, values));
    const std::vector<std::uint8_t> expected_segment{5, 1, 2, 2, 3, 4, 4, 251, 5};
    ASSERT_EQ(cs.size(), 64U + expected_segment.size() + 1);
    for (std::size_t i = 0; i < expected_segment.size(); ++i) {
        EXPECT_EQ(static_cast<std::uint8_t>(cs[64 + i]), expected_segment[i]) << i;
    }
    EXPECT_EQ(static_cast<std::uint8_t>(cs.back()), 0x80U) << "odd segment padded with a no-op";
}

TEST(Rle, EncoderRefusesWhatRleCannotCarry) {
    const auto enc = codecs::make_rle_encoder();
    frame_info f = make_info(4, 4, 1, 32);
    f.element = pixel_data_element::float32;
    EXPECT_EQ(enc->can_encode(uids::rle_lossless, f, {}).error().code, errc::cannot_encode);
    EXPECT_EQ(enc->can_encode(uids::rle_lossless, make_info(4, 4, 3, 64), {}).error().code, errc::cannot_encode);
    EXPECT_TRUE(enc->can_encode(uids::rle_lossless, make_info(4, 4, 1, 64), {}));
    EXPECT_TRUE(enc->can_encode(uids::rle_lossless, make_info(4, 4, 3, 32), {}));
    EXPECT_EQ(enc->can_encode(uids::jpeg_baseline, make_info(4, 4, 1, 8), {}).error().code, errc::cannot_encode);
    EXPECT_EQ(enc->can_encode(uids::rle_lossless, make_info(4, 4, 3, 8, 8, false, photometric::ybr_partial_420), {})
                  .error()
                  .code,
              errc::cannot_encode);
    EXPECT_EQ(enc->can_encode(uids::rle_lossless, make_info(4, 4, 3, 1), {}).error().code, errc::cannot_encode);
    // YBR_FULL_422 samples are full resolution here; RLE stores them as YBR_FULL.
    const frame_info ybr = make_info(4, 4, 3, 8, 8, false, photometric::ybr_full_422);
    const auto e = enc->encode(bytes(48, std::byte{7}), ybr, uids::rle_lossless, {});
    ASSERT_TRUE(e);
    EXPECT_EQ(e->colour, photometric::ybr_full);
    EXPECT_FALSE(e->lossy);
    EXPECT_EQ(enc->encode(bytes(47), make_info(4, 4, 3, 8), uids::rle_lossless, {}).error().code,
              errc::invalid_argument);
}

TEST(Rle, ReportsColourWithoutTransform) {
    const codec_fixture c;
    const frame_info ybr = make_info(8, 8, 3, 8, 8, false, photometric::ybr_full);
    const bytes cs = c.encode(ybr, to_samples(ybr, make_values(ybr, 5)));
    const auto h = c.decoder->read_header(cs, ybr);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->colour, photometric::ybr_full);
    EXPECT_EQ(h->precision, 0U);
    bytes out;
    const auto r = c.decode(cs, ybr, out);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->colour, photometric::ybr_full);

    // YBR_FULL_422 cannot be RLE-coded; a frame claiming it holds three full planes: YBR_FULL plus a warning
    // (an error in strict mode).
    frame_info f422 = ybr;
    f422.photometric_interpretation = photometric::ybr_full_422;
    const auto r422 = c.decode(cs, f422, out);
    ASSERT_TRUE(r422) << r422.error().to_string();
    EXPECT_EQ(r422->colour, photometric::ybr_full);
    EXPECT_TRUE(has_warning(r422->warnings, "YBR_FULL_422"));
    EXPECT_FALSE(c.decode(cs, f422, out, true));

    const auto files = decode_file(rle_file(f422, {cs}));
    ASSERT_TRUE(files) << files.error().to_string();
    EXPECT_EQ((*files)[0].meta().photometric_interpretation, photometric::ybr_full);
}

// ---- 1-bit -----------------------------------------------------------------------------------------

TEST(Rle, OneBitBytePerPixelSegmentIsAcceptedWithWarning) {
    // vtk-dicom writes 1-bit RLE as one byte per pixel; 3x5 = 15 pixels, bit-packed would be 2 bytes.
    const frame_info info = make_info(3, 5, 1, 1);
    std::vector<std::uint8_t> seg{14};
    std::vector<std::uint64_t> values;
    for (std::uint8_t i = 0; i < 15; ++i) {
        seg.push_back(static_cast<std::uint8_t>(i % 3 == 0 ? (i % 2 == 0 ? 255 : 1) : 0)); // any non-zero is set
        values.push_back(i % 3 == 0 ? 1 : 0);
    }
    seg.push_back(0x80);
    const codec_fixture c;
    bytes out;
    const auto r = c.decode(frame_of({seg}), info, out);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(has_warning(r->warnings, "one byte per pixel"));
    EXPECT_TRUE(same_bytes(out, to_samples(info, values)));
}

TEST(Rle, OneBitCorpusSegmentationDecodes) {
    const std::filesystem::path corpus = DICOMPIX_CORPUS_DIR;
    const auto rle = corpus / "pydicom-data/data_store/data/liver_rle.dcm";
    const auto native = corpus / "dicom-test-files/data/dcmqi/segmentations/liver.dcm";
    if (!std::filesystem::exists(rle) || !std::filesystem::exists(native)) {
        GTEST_SKIP() << "corpus absent";
    }
    const auto a = read_file(rle);
    const auto b = read_file(native);
    ASSERT_TRUE(a && b);
    const auto pa = pixel_data::open(*a);
    const auto pb = pixel_data::open(*b);
    ASSERT_TRUE(pa && pb);
    ASSERT_EQ(pa->frame_count(), pb->frame_count());
    for (std::uint32_t i = 0; i < pa->frame_count(); ++i) {
        const auto fa = pa->frame(i);
        ASSERT_TRUE(fa) << fa.error().to_string();
        EXPECT_TRUE(fa->meta().warnings.empty());
        EXPECT_TRUE(same_bytes(fa->bytes(), pb->frame(i).value().bytes())) << "frame " << i;
    }
}

// ---- adversarial input -----------------------------------------------------------------------------

struct adversarial : ::testing::Test {
    codec_fixture c;
    frame_info grey8 = make_info(2, 4, 1, 8);   // 8 bytes per segment
    frame_info grey16 = make_info(2, 4, 1, 16); // 2 segments
    bytes out;

    errc code_of(const bytes& cs, const frame_info& info, bool strict = false) {
        const auto r = c.decode(cs, info, out, strict);
        return r ? errc::ok : r.error().code;
    }
};

TEST_F(adversarial, HeaderShorterThan64Bytes) {
    for (std::size_t n : {0U, 1U, 4U, 63U}) {
        EXPECT_EQ(code_of(bytes(n, std::byte{0}), grey8), errc::truncated_codestream) << n;
    }
}

TEST_F(adversarial, SegmentCountZeroOrAboveFifteen) {
    for (const std::uint32_t count : {0U, 16U, 255U, 0xFFFFFFFFU}) {
        bytes cs = frame_of({{7, 1, 2, 3, 4, 5, 6, 7, 8}});
        put_le32(cs, 0, count);
        EXPECT_EQ(code_of(cs, grey8), errc::codec_error) << count;
        EXPECT_FALSE(c.decoder->read_header(cs, grey8)) << count;
    }
}

TEST_F(adversarial, SegmentCountDisagreesWithDescription) {
    const std::vector<std::uint8_t> seg{249, 0}; // 8 zero bytes
    EXPECT_EQ(code_of(frame_of({seg, seg}), grey8), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({seg}), grey16), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({seg, seg, seg}), make_info(2, 4, 3, 16)), errc::codestream_mismatch);
    // 16-bit colour is six segments (io-dicom PR #46).
    EXPECT_EQ(code_of(frame_of({seg, seg, seg, seg, seg, seg}), make_info(2, 4, 3, 16)), errc::ok);
    EXPECT_EQ(code_of(frame_of(std::vector<std::vector<std::uint8_t>>(12, seg)), make_info(2, 4, 3, 32)), errc::ok);
    EXPECT_EQ(code_of(frame_of(std::vector<std::vector<std::uint8_t>>(8, seg)), make_info(2, 4, 1, 64)), errc::ok);
}

TEST_F(adversarial, OffsetsBeyondUnsortedOverlappingOrOdd) {
    const std::vector<std::uint8_t> seg{249, 1}; // 8 bytes of 1
    const bytes good = frame_of({seg, seg});
    ASSERT_EQ(code_of(good, grey16), errc::ok);

    bytes beyond = good;
    put_le32(beyond, 8, 1000);
    EXPECT_EQ(code_of(beyond, grey16), errc::truncated_codestream);
    put_le32(beyond, 8, static_cast<std::uint32_t>(beyond.size()));
    EXPECT_EQ(code_of(beyond, grey16), errc::truncated_codestream);

    bytes unsorted = good;
    put_le32(unsorted, 4, 66);
    put_le32(unsorted, 8, 64);
    EXPECT_EQ(code_of(unsorted, grey16), errc::codec_error);

    bytes overlapping = good;
    put_le32(overlapping, 8, 64);
    EXPECT_EQ(code_of(overlapping, grey16), errc::codec_error);

    bytes inside_header = good;
    put_le32(inside_header, 4, 60);
    EXPECT_EQ(code_of(inside_header, grey16), errc::codec_error);

    // Odd offsets (pydicom #2180: odd-length segments): decoded with a warning; strict mode refuses.
    const bytes odd_cs = frame_of({{249, 1, 0x80}, {249, 2}}); // segment 2 starts at 67
    const auto r = c.decode(odd_cs, grey16, out);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(has_warning(r->warnings, "odd offsets"));
    EXPECT_EQ(code_of(odd_cs, grey16, true), errc::codec_error);
}

TEST_F(adversarial, FirstOffsetNot64) {
    bytes gap = frame_of({{249, 3}});
    gap.insert(gap.begin() + 64, {std::byte{0}, std::byte{0}});
    put_le32(gap, 4, 66);
    const auto r = c.decode(gap, grey8, out);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(has_warning(r->warnings, "gap"));
    EXPECT_EQ(code_of(gap, grey8, true), errc::codec_error);
}

TEST_F(adversarial, SegmentDecodesToFewerBytes) {
    EXPECT_EQ(code_of(frame_of({{250, 3}}), grey8), errc::truncated_codestream);    // 7 of 8
    EXPECT_EQ(code_of(frame_of({{6, 1, 2, 3, 4, 5, 6, 7}}), grey8), errc::truncated_codestream);
    EXPECT_EQ(code_of(frame_of({{0x80, 0x80, 0x80, 0x80}}), grey8), errc::truncated_codestream);
}

TEST_F(adversarial, LiteralOrReplicatePastTheEnd) {
    EXPECT_EQ(code_of(frame_of({{7, 1, 2, 3}}), grey8), errc::truncated_codestream);
    EXPECT_EQ(code_of(frame_of({{3, 1, 2, 3, 4, 251}}), grey8), errc::truncated_codestream);
    // The first segment's literal runs into the second segment: still past its own end.
    EXPECT_EQ(code_of(frame_of({{7, 1, 2}, {249, 1}}), grey16), errc::truncated_codestream);
}

TEST_F(adversarial, SegmentDecodesToMoreBytes) {
    // One byte too many in the last run: padding, recovered with a warning (strict: error).
    const bytes one_more = frame_of({{248, 5}}); // 9 bytes of 5
    const auto r = c.decode(one_more, grey8, out);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(has_warning(r->warnings, "padding"));
    EXPECT_TRUE(same_bytes(out, bytes(8, std::byte{5})));
    EXPECT_EQ(code_of(one_more, grey8, true), errc::codec_error);
    // Far more than Rows*Columns bytes: the description is wrong.
    EXPECT_EQ(code_of(frame_of({{129, 5}}), grey8), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({{249, 5, 249, 6}}), grey8), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({{249, 5, 3, 1, 2, 3, 4}}), grey8), errc::codestream_mismatch);
    // Zero bytes or no-ops after a complete segment are padding.
    const auto padded = c.decode(frame_of({{249, 5, 0, 0, 0x80, 0}}), grey8, out);
    ASSERT_TRUE(padded) << padded.error().to_string();
    EXPECT_TRUE(has_warning(padded->warnings, "padding"));
    // One stray byte, then a zero pad: an odd fragment written back padded (fuzz-roundtrip-1116e983).
    const auto stray = c.decode(frame_of({{249, 5, 0xFE, 0}}), grey8, out);
    ASSERT_TRUE(stray) << stray.error().to_string();
    EXPECT_TRUE(has_warning(stray->warnings, "padding"));
    EXPECT_EQ(code_of(frame_of({{249, 5, 0xFE, 0}}), grey8, true), errc::codec_error);
    EXPECT_EQ(code_of(frame_of({{249, 5, 0xFE, 7}}), grey8), errc::codestream_mismatch);
    // The G.2 pad byte alone is conformant.
    const auto pad = c.decode(frame_of({{249, 5, 0}}), grey8, out, true);
    ASSERT_TRUE(pad) << pad.error().to_string();
    EXPECT_TRUE(pad->warnings.empty());
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-f0b6cb67.dcm): an odd codestream whose last segment
// ends in a stray byte and a zero decodes leniently; written back, the fragment gets its pad byte (PS3.5 A.4)
// and must still decode. A zero ending an even codestream is judged as that pad.
TEST_F(adversarial, FragmentPadAfterTheLastSegmentIsPadding) {
    // Literal {5, 5}, then 6 x 5: the segment's 8 bytes, then 0xFE 0x00 unread; 71 bytes in all.
    const bytes source = frame_of({{1, 5, 5, 251, 5, 0xFE, 0x00}});
    ASSERT_EQ(source.size() % 2, 1U);
    const auto a = c.decode(source, grey8, out);
    ASSERT_TRUE(a) << a.error().to_string();
    EXPECT_TRUE(same_bytes(out, bytes(8, std::byte{5})));
    bytes padded = source;
    padded.push_back(std::byte{0});
    const auto b = c.decode(padded, grey8, out);
    ASSERT_TRUE(b) << b.error().to_string();
    EXPECT_TRUE(has_warning(b->warnings, "padding only (0 bytes in its last run, 3 bytes after it)"));
    EXPECT_TRUE(same_bytes(out, bytes(8, std::byte{5})));
    // Strict mode stays strict: bytes after the G.2 pad are an error.
    EXPECT_EQ(code_of(padded, grey8, true), errc::codec_error);
    // Only a zero can be that pad, only at the end of an even codestream, only after the last segment.
    bytes seven = source;
    seven.push_back(std::byte{7});
    EXPECT_EQ(code_of(seven, grey8), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({{1, 5, 5, 251, 5, 0xFE, 0x00, 0x00, 0x00}}), grey8), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({{1, 5, 5, 251, 5, 0xFE, 0x00, 0x00}, {249, 6}}), grey16), errc::codestream_mismatch);
    EXPECT_EQ(code_of(frame_of({{249, 6}, {1, 5, 5, 251, 5, 0xFE, 0x00, 0x00}}), grey16), errc::ok);
}

// Multi-segment frames are decoded a 16 Ki-pixel chunk of every segment at a time; a segment that ends
// early is still reported after the segments before it, each judged as a whole.
TEST_F(adversarial, SegmentsAreJudgedInOrderAcrossChunks) {
    const frame_info wide = make_info(100, 200, 1, 16); // 20000 pixels: two chunks
    std::vector<std::uint8_t> full;                     // 20000 bytes of 7: 156 runs of 128, then 32
    std::vector<std::uint8_t> short_by_one;
    for (int i = 0; i < 156; ++i) {
        full.insert(full.end(), {129, 7});
    }
    short_by_one = full;
    full.insert(full.end(), {225, 7});
    short_by_one.insert(short_by_one.end(), {226, 7}); // 31 bytes: one short
    const auto ok = c.decode(frame_of({full, full}), wide, out, true);
    ASSERT_TRUE(ok) << ok.error().to_string();
    EXPECT_TRUE(same_bytes(out, bytes(40000, std::byte{7})));
    // Segment 2 one byte short: truncated.
    const auto cut = c.decode(frame_of({full, short_by_one}), wide, out);
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error().code, errc::truncated_codestream);
    EXPECT_NE(cut.error().message.find("RLE segment 2 ends after 19999 of its 20000 bytes"), std::string::npos)
        << cut.error().message;
    // Segment 1 holds far more than the frame, segment 2 is short: segment 1 is judged first, as a whole.
    auto more = full;
    more.insert(more.end(), {129, 7, 129, 7});
    EXPECT_EQ(code_of(frame_of({more, short_by_one}), wide), errc::codestream_mismatch);
    // A run that ends past the frame by one byte is padding, whichever chunk it started in.
    auto over = short_by_one;
    over.back() = 7;
    over[over.size() - 2] = 224; // 33 bytes of 7: one beyond
    const auto lenient = c.decode(frame_of({over, full}), wide, out);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_TRUE(has_warning(lenient->warnings, "padding"));
    EXPECT_TRUE(same_bytes(out, bytes(40000, std::byte{7})));
}

TEST_F(adversarial, NoOpsAreSkipped) {
    const auto r = c.decode(frame_of({{0x80, 1, 9, 8, 0x80, 0x80, 252, 7, 0x80, 0, 6, 0x80}}), grey8, out, true);
    ASSERT_TRUE(r) << r.error().to_string();
    const std::vector<std::uint64_t> expected{9, 8, 7, 7, 7, 7, 7, 6};
    EXPECT_TRUE(same_bytes(out, to_samples(grey8, expected)));
}

TEST_F(adversarial, OutputBufferOfWrongSizeIsRefused) {
    const bytes cs = frame_of({{249, 5}});
    bytes small(7);
    decode_options o;
    o.limits = &c.lim;
    EXPECT_EQ(c.decoder->decode(cs, grey8, small, o).error().code, errc::invalid_argument);
}

TEST_F(adversarial, TruncationAtEveryCutPoint) {
    for (const frame_info& info : {make_info(9, 13, 3, 16), make_info(5, 7, 1, 8), make_info(6, 11, 1, 1)}) {
        const bytes samples = to_samples(info, make_values(info, 77));
        const bytes cs = c.encode(info, samples);
        for (std::size_t cut = 0; cut < cs.size(); ++cut) {
            const std::span<const std::byte> part(cs.data(), cut);
            const auto r = c.decode(part, info, out);
            // Only the segment pad byte may go without loss.
            if (r) {
                EXPECT_GE(cut + 1, cs.size()) << "cut at " << cut << " of " << cs.size() << " decoded";
                EXPECT_TRUE(same_bytes(out, samples));
            } else {
                EXPECT_TRUE(r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error)
                    << "cut " << cut << ": " << r.error().to_string();
            }
        }
    }
}

TEST_F(adversarial, TruncatedFragmentThroughTheWholePath) {
    const frame_info info = make_info(30, 40, 1, 16);
    bytes cs = c.encode(info, to_samples(info, make_values(info, 3)));
    cs.resize(cs.size() / 2);
    const auto r = decode_file(rle_file(info, {cs}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::truncated_codestream);
}

TEST_F(adversarial, RandomCorruptionNeverCrashes) {
    // Decoding mutated frames must end in an error or a frame of the right size (checked by ASan).
    const frame_info info = make_info(12, 21, 3, 16);
    const bytes cs = c.encode(info, to_samples(info, make_values(info, 11)));
    std::mt19937 rng(1234);
    int failures = 0;
    for (int i = 0; i < 4000; ++i) {
        bytes m = cs;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            m[rng() % m.size()] = static_cast<std::byte>(rng());
        }
        if (rng() % 4 == 0) {
            m.resize(rng() % m.size());
        }
        if (!c.decode(m, info, out)) {
            ++failures;
        }
    }
    EXPECT_GT(failures, 0);
}

// ---- interop with DCMTK, GDCM and pydicom ------------------------------------------------------------

bool tool_available(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

bool pydicom_available() {
    return std::system("/usr/bin/python3 -c 'import pydicom, numpy' >/dev/null 2>&1") == 0;
}

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static std::atomic<int> counter{0};
        path = std::filesystem::temp_directory_path() /
               ("dicompix_rle_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

void write_file(const std::filesystem::path& p, const bytes& b) {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

result<std::vector<any_frame>> decode_path(const std::filesystem::path& p) {
    DICOMPIX_TRY(const dicom_file f, read_file(p));
    DICOMPIX_TRY(const pixel_data pixels, pixel_data::open(f));
    std::vector<any_frame> out;
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        DICOMPIX_TRY(any_frame fr, pixels.frame(i));
        out.push_back(std::move(fr));
    }
    return out;
}

struct interop_case {
    shape s;
    std::uint32_t frames;
};

std::vector<interop_case> interop_cases() {
    return {{{64, 64, 1, 8, 8, false}, 1},  {{37, 45, 1, 16, 12, false}, 2}, {{33, 31, 1, 16, 16, true}, 1},
            {{25, 27, 3, 8, 8, false}, 2},  {{19, 21, 3, 16, 16, false}, 1}, {{11, 13, 1, 32, 32, false}, 1},
            {{10, 9, 3, 32, 32, false}, 1}, {{300, 301, 1, 16, 16, false}, 1}};
}

// Converts `in` to `out` with a shell command; false (with a message) when the tool failed.
bool run_tool(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

const char* const pydicom_compress =
    "import sys, pydicom\nfrom pydicom.uid import RLELossless\nds = pydicom.dcmread(sys.argv[1])\n"
    "ds.compress(RLELossless, encoding_plugin='pydicom')\nds.save_as(sys.argv[2])\n";
const char* const pydicom_decompress =
    "import sys, pydicom\nds = pydicom.dcmread(sys.argv[1])\nds.decompress()\nds.save_as(sys.argv[2])\n";

class RleInterop : public ::testing::TestWithParam<interop_case> {};

// Files compressed by DCMTK, GDCM and pydicom decode to the values they were made from.
TEST_P(RleInterop, DecodesWhatOthersEncode) {
    const interop_case ic = GetParam();
    const frame_info info = make_info(ic.s.rows, ic.s.columns, ic.s.spp, ic.s.ba, ic.s.bs, ic.s.is_signed);
    std::vector<std::uint64_t> values;
    for (std::uint32_t f = 0; f < ic.frames; ++f) {
        const auto v = make_values(info, 500 + f);
        values.insert(values.end(), v.begin(), v.end());
    }
    const bytes expected = to_samples(info, values);
    const temp_dir dir;
    write_file(dir.path / "native.dcm", native_file(info, values, ic.frames));
    write_file(dir.path / "compress.py", test::to_bytes(pydicom_compress));
    struct tool {
        std::string name;
        bool available;
        std::string command;
    };
    const std::string in = (dir.path / "native.dcm").string();
    const std::string out = (dir.path / "rle.dcm").string();
    const std::vector<tool> tools{
        {"dcmcrle", tool_available("dcmcrle"), "dcmcrle " + in + " " + out},
        {"gdcmconv", tool_available("gdcmconv"), "gdcmconv --rle " + in + " " + out},
        {"pydicom", pydicom_available(), "/usr/bin/python3 " + (dir.path / "compress.py").string() + " " + in + " " + out},
    };
    int ran = 0;
    for (const auto& t : tools) {
        if (!t.available) {
            std::cout << "[ SKIPPED  ] " << t.name << " not installed\n";
            continue;
        }
        std::filesystem::remove(out);
        if (!run_tool(t.command)) {
            // pydicom 2.3 cannot RLE-encode signed or 32-bit data in every combination; GDCM neither some.
            std::cout << "[   NOTE   ] " << t.name << " could not encode " << ::testing::PrintToString(info.bits_allocated)
                      << "-bit x" << info.samples_per_pixel << "\n";
            continue;
        }
        ++ran;
        const auto decoded = decode_path(out);
        ASSERT_TRUE(decoded) << t.name << ": " << decoded.error().to_string();
        bytes all;
        for (const auto& f : *decoded) {
            // GDCM 3.0 leaves segments at odd length (PS3.5 G.2 wants them padded): a warning, nothing else.
            for (const auto& w : f.meta().warnings) {
                EXPECT_TRUE(t.name == "gdcmconv" && w.find("odd offsets") != std::string::npos) << t.name << ": " << w;
            }
            all.insert(all.end(), f.bytes().begin(), f.bytes().end());
        }
        EXPECT_TRUE(same_bytes(all, expected)) << t.name;
    }
    if (ran == 0) {
        GTEST_SKIP() << "none of dcmcrle, gdcmconv, pydicom is available";
    }
}

// Our files decode with DCMTK, GDCM and pydicom to the values they were made from.
TEST_P(RleInterop, OthersDecodeWhatWeEncode) {
    const interop_case ic = GetParam();
    const frame_info info = make_info(ic.s.rows, ic.s.columns, ic.s.spp, ic.s.ba, ic.s.bs, ic.s.is_signed);
    const codec_fixture c;
    std::vector<std::uint64_t> values;
    std::vector<bytes> frames;
    for (std::uint32_t f = 0; f < ic.frames; ++f) {
        const auto v = make_values(info, 900 + f);
        values.insert(values.end(), v.begin(), v.end());
        frames.push_back(c.encode(info, to_samples(info, v)));
    }
    const bytes expected = to_samples(info, values);
    const temp_dir dir;
    dicom_builder b;
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4.5.6.7.8.9");
    image_pixel_module(b, info, ic.frames);
    std::vector<bytes> fragments;
    std::vector<std::uint32_t> bot;
    std::uint32_t offset = 0;
    for (const auto& f : frames) {
        fragments.push_back(pad_even(f));
        bot.push_back(offset);
        offset += static_cast<std::uint32_t>(fragments.back().size() + 8);
    }
    b.encapsulated(bot, fragments);
    write_file(dir.path / "ours.dcm", dicom_builder::part10(b.data(), uids::rle_lossless));
    write_file(dir.path / "decompress.py", test::to_bytes(pydicom_decompress));
    const std::string in = (dir.path / "ours.dcm").string();
    const std::string out = (dir.path / "native.dcm").string();
    struct tool {
        std::string name;
        bool available;
        std::string command;
    };
    const std::vector<tool> tools{
        {"dcmdrle", tool_available("dcmdrle"), "dcmdrle " + in + " " + out},
        {"gdcmconv", tool_available("gdcmconv"), "gdcmconv --raw " + in + " " + out},
        {"pydicom", pydicom_available(),
         "/usr/bin/python3 " + (dir.path / "decompress.py").string() + " " + in + " " + out},
    };
    int ran = 0;
    for (const auto& t : tools) {
        if (!t.available) {
            std::cout << "[ SKIPPED  ] " << t.name << " not installed\n";
            continue;
        }
        if (t.name == "gdcmconv" && info.samples_per_pixel > 1 && info.bits_allocated > 8) {
            // GDCM 3.0.21 mis-interleaves multi-byte colour RLE, DCMTK's (dcmcrle) included.
            std::cout << "[ SKIPPED  ] gdcmconv --raw: wrong on " << info.bits_allocated << "-bit colour RLE\n";
            continue;
        }
        std::filesystem::remove(out);
        if (!run_tool(t.command)) {
            ADD_FAILURE() << t.name << " failed to decode our RLE: " << t.command;
            continue;
        }
        ++ran;
        const auto decoded = decode_path(out);
        ASSERT_TRUE(decoded) << t.name << ": " << decoded.error().to_string();
        bytes all;
        for (const auto& f : *decoded) {
            all.insert(all.end(), f.bytes().begin(), f.bytes().end());
        }
        EXPECT_TRUE(same_bytes(all, expected)) << t.name;
    }
    if (ran == 0) {
        GTEST_SKIP() << "none of dcmdrle, gdcmconv, pydicom is available";
    }
}

INSTANTIATE_TEST_SUITE_P(Rle, RleInterop, ::testing::ValuesIn(interop_cases()),
                         [](const ::testing::TestParamInfo<interop_case>& p) {
                             const shape& s = p.param.s;
                             return std::to_string(s.rows) + "x" + std::to_string(s.columns) + "x" +
                                    std::to_string(s.spp) + "_ba" + std::to_string(s.ba) + "_bs" +
                                    std::to_string(s.bs) + (s.is_signed ? "_signed" : "") + "_f" +
                                    std::to_string(p.param.frames);
                         });

// Every RLE file of the corpus decodes without a warning in strict mode.
TEST(RleCorpus, DecodesStrictlyWithoutWarnings) {
    const std::filesystem::path corpus = DICOMPIX_CORPUS_DIR;
    std::ifstream manifest(corpus / "MANIFEST.tsv");
    if (!manifest) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    std::string line;
    int files = 0;
    while (std::getline(manifest, line)) {
        const auto tab = line.find('\t');
        if (line.find("\t1.2.840.10008.1.2.5\t") == std::string::npos || tab == std::string::npos) {
            continue;
        }
        const std::string path = line.substr(0, tab);
        const auto f = read_file(corpus / path);
        ASSERT_TRUE(f) << path;
        pixel_options po;
        po.strict = true;
        const auto pixels = pixel_data::open(*f, po);
        ASSERT_TRUE(pixels) << path << ": " << pixels.error().to_string();
        for (std::uint32_t i = 0; i < pixels->frame_count(); ++i) {
            const auto fr = pixels->frame(i);
            ASSERT_TRUE(fr) << path << " frame " << i << ": " << fr.error().to_string();
            EXPECT_EQ(fr->meta().codec, "rle");
            EXPECT_TRUE(fr->meta().warnings.empty()) << path << ": " << fr->meta().warnings.front();
        }
        ++files;
    }
    EXPECT_GE(files, 23);
}

} // namespace
} // namespace dicompix
