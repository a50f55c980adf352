// SPDX-License-Identifier: BSD-3-Clause
// JPEG XL (4.110, 4.111, 4.112) through libjxl. The corpus has no JPEG XL file: test streams are made
// here with libjxl's encoder (and, for JPEG recompression, cjpeg/djpeg when installed).
#include <gtest/gtest.h>
#include <jxl/encode.h>
#include <jxl/encode_cxx.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

frame_info make_info(std::uint32_t rows, std::uint32_t columns, std::uint16_t spp, std::uint16_t ba, std::uint16_t bs) {
    frame_info f;
    f.rows = rows;
    f.columns = columns;
    f.samples_per_pixel = spp;
    f.bits_allocated = ba;
    f.bits_stored = bs;
    f.high_bit = static_cast<std::uint16_t>(bs - 1);
    f.photometric_interpretation = spp == 3 ? photometric::rgb : photometric::monochrome2;
    return f;
}

// A smooth image with noise and edges, values in [0, 2^bs).
std::vector<std::uint16_t> make_image(const frame_info& info, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 1.5);
    const double max = std::ldexp(1.0, info.bits_stored) - 1;
    std::vector<std::uint16_t> out;
    for (std::uint32_t y = 0; y < info.rows; ++y) {
        for (std::uint32_t x = 0; x < info.columns; ++x) {
            for (std::uint32_t c = 0; c < info.samples_per_pixel; ++c) {
                double v = max * (0.2 + 0.5 * x / info.columns + 0.1 * c) + ((x / 16 + y / 16) % 2 == 0 ? max / 6 : 0) +
                           noise(rng) * max / 255;
                out.push_back(static_cast<std::uint16_t>(std::clamp(std::round(v), 0.0, max)));
            }
        }
    }
    return out;
}

// Host-endian samples of the frame_info's width.
bytes to_samples(const frame_info& info, const std::vector<std::uint16_t>& values) {
    bytes out(values.size() * info.bytes_per_sample());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (info.bits_allocated == 8) {
            out[i] = static_cast<std::byte>(values[i]);
        } else {
            std::memcpy(out.data() + 2 * i, &values[i], 2);
        }
    }
    return out;
}

// Encodes with libjxl 0.7. Its encoder reads integer input as a fraction of the full range of the input
// type, so samples of fewer bits are scaled up first (the inverse of what the decoder undoes).
bytes jxl_encode(const frame_info& info, const std::vector<std::uint16_t>& values, bool lossless,
                 float distance = 1.0F) {
    JxlEncoderPtr enc = JxlEncoderMake(nullptr);
    JxlBasicInfo bi;
    JxlEncoderInitBasicInfo(&bi);
    bi.xsize = info.columns;
    bi.ysize = info.rows;
    bi.bits_per_sample = info.bits_stored;
    bi.exponent_bits_per_sample = 0;
    bi.num_color_channels = info.samples_per_pixel;
    bi.uses_original_profile = lossless ? JXL_TRUE : JXL_FALSE;
    EXPECT_EQ(JxlEncoderSetBasicInfo(enc.get(), &bi), JXL_ENC_SUCCESS);
    JxlColorEncoding ce;
    JxlColorEncodingSetToSRGB(&ce, info.samples_per_pixel == 1 ? JXL_TRUE : JXL_FALSE);
    EXPECT_EQ(JxlEncoderSetColorEncoding(enc.get(), &ce), JXL_ENC_SUCCESS);
    JxlEncoderFrameSettings* fs = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);
    JxlEncoderFrameSettingsSetOption(fs, JXL_ENC_FRAME_SETTING_EFFORT, 3);
    if (lossless) {
        EXPECT_EQ(JxlEncoderSetFrameLossless(fs, JXL_TRUE), JXL_ENC_SUCCESS);
    } else {
        EXPECT_EQ(JxlEncoderSetFrameDistance(fs, distance), JXL_ENC_SUCCESS);
    }
    const bool wide = info.bits_allocated > 8;
    JxlPixelFormat format{info.samples_per_pixel, wide ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    bytes input;
    const double type_max = wide ? 65535.0 : 255.0;
    const double max = std::ldexp(1.0, info.bits_stored) - 1;
    std::vector<std::uint16_t> scaled(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        scaled[i] = static_cast<std::uint16_t>(std::lround(values[i] * type_max / max));
    }
    frame_info full = info;
    input = to_samples(full, scaled);
    EXPECT_EQ(JxlEncoderAddImageFrame(fs, &format, input.data(), input.size()), JXL_ENC_SUCCESS);
    JxlEncoderCloseInput(enc.get());
    bytes out(4096);
    std::size_t used = 0;
    for (;;) {
        auto* next = reinterpret_cast<std::uint8_t*>(out.data()) + used;
        std::size_t avail = out.size() - used;
        const JxlEncoderStatus s = JxlEncoderProcessOutput(enc.get(), &next, &avail);
        used = out.size() - avail;
        if (s == JXL_ENC_NEED_MORE_OUTPUT) {
            out.resize(out.size() * 2);
            continue;
        }
        EXPECT_EQ(s, JXL_ENC_SUCCESS);
        break;
    }
    out.resize(used);
    return out;
}

bytes jxl_file(const frame_info& info, const std::vector<bytes>& frames, std::string_view uid) {
    dicom_builder b;
    b.us(tags::SamplesPerPixel, {info.samples_per_pixel});
    b.str(tags::PhotometricInterpretation, vr::CS, to_string(info.photometric_interpretation));
    if (info.samples_per_pixel > 1) {
        b.us(tags::PlanarConfiguration, {0});
    }
    if (frames.size() > 1) {
        b.str(tags::NumberOfFrames, vr::IS, std::to_string(frames.size()));
    }
    b.us(tags::Rows, {static_cast<std::uint16_t>(info.rows)});
    b.us(tags::Columns, {static_cast<std::uint16_t>(info.columns)});
    b.us(tags::BitsAllocated, {info.bits_allocated});
    b.us(tags::BitsStored, {info.bits_stored});
    b.us(tags::HighBit, {info.high_bit});
    b.us(tags::PixelRepresentation, {0});
    std::vector<bytes> fragments;
    for (auto f : frames) {
        if (f.size() % 2 != 0) {
            f.push_back(std::byte{0});
        }
        fragments.push_back(std::move(f));
    }
    b.encapsulated({}, fragments);
    return dicom_builder::part10(b.data(), uid);
}

struct fixture {
    const frame_decoder* decoder = codec_registry::builtin().decoder("jpegxl/libjxl");
    limits lim;
    result<decode_report> decode(std::span<const std::byte> cs, const frame_info& info, bytes& out,
                                 std::uint32_t threads = 1) const {
        out.assign(static_cast<std::size_t>(info.decoded_frame_bytes().value()), std::byte{0xEE});
        decode_options o;
        o.limits = &lim;
        o.threads = threads;
        return decoder->decode(cs, info, out, o);
    }
};

bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

struct lossless_case {
    std::uint32_t rows;
    std::uint32_t columns;
    std::uint16_t spp;
    std::uint16_t ba;
    std::uint16_t bs;
};

class JpegXlLossless : public ::testing::TestWithParam<lossless_case> {};

TEST_P(JpegXlLossless, RoundTripsExactly) {
    const lossless_case p = GetParam();
    const frame_info info = make_info(p.rows, p.columns, p.spp, p.ba, p.bs);
    const fixture f;
    ASSERT_NE(f.decoder, nullptr);
    ASSERT_TRUE(f.decoder->can_decode(uids::jpeg_xl_lossless, info));
    std::vector<bytes> frames;
    std::vector<bytes> expected;
    for (std::uint32_t i = 0; i < 2; ++i) {
        const auto values = make_image(info, 40 + i);
        expected.push_back(to_samples(info, values));
        frames.push_back(jxl_encode(info, values, true));
    }
    const auto header = f.decoder->read_header(frames[0], info);
    ASSERT_TRUE(header) << header.error().to_string();
    EXPECT_EQ(header->rows, info.rows);
    EXPECT_EQ(header->columns, info.columns);
    EXPECT_EQ(header->components, info.samples_per_pixel);
    EXPECT_EQ(header->precision, info.bits_stored);
    bytes out;
    for (const std::uint32_t threads : {1U, 4U}) {
        const auto r = f.decode(frames[0], info, out, threads);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_TRUE(r->warnings.empty());
        EXPECT_EQ(r->colour, info.samples_per_pixel == 3 ? photometric::rgb : photometric::monochrome2);
        EXPECT_TRUE(same_bytes(out, expected[0])) << threads << " threads";
    }
    // The whole path, with a pad byte after odd-length codestreams.
    const bytes file = jxl_file(info, frames, uids::jpeg_xl_lossless);
    const auto parsed = read_bytes(byte_source::adopt(file));
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    const auto pixels = pixel_data::open(*parsed);
    ASSERT_TRUE(pixels) << pixels.error().to_string();
    ASSERT_EQ(pixels->frame_count(), 2U);
    for (std::uint32_t i = 0; i < 2; ++i) {
        const auto fr = pixels->frame(i);
        ASSERT_TRUE(fr) << fr.error().to_string();
        EXPECT_EQ(fr->meta().codec, "jpegxl/libjxl");
        EXPECT_TRUE(same_bytes(fr->bytes(), expected[i])) << "frame " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(JpegXl, JpegXlLossless,
                         ::testing::Values(lossless_case{48, 64, 1, 8, 8}, lossless_case{33, 47, 1, 16, 16},
                                           lossless_case{40, 41, 1, 16, 12}, lossless_case{37, 50, 3, 8, 8},
                                           lossless_case{1, 1, 1, 8, 8}, lossless_case{20, 30, 3, 16, 16}),
                         [](const ::testing::TestParamInfo<lossless_case>& p) {
                             return std::to_string(p.param.rows) + "x" + std::to_string(p.param.columns) + "x" +
                                    std::to_string(p.param.spp) + "_ba" + std::to_string(p.param.ba) + "_bs" +
                                    std::to_string(p.param.bs);
                         });

double psnr(std::span<const std::byte> a, std::span<const std::byte> b, double peak) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::to_integer<int>(a[i]) - std::to_integer<int>(b[i]);
        sum += d * d;
    }
    const double mse = sum / static_cast<double>(a.size());
    return mse == 0 ? 1000 : 10 * std::log10(peak * peak / mse);
}

TEST(JpegXl, LossyDecodesClose) {
    const fixture f;
    for (const std::uint16_t spp : {std::uint16_t{1}, std::uint16_t{3}}) {
        const frame_info info = make_info(64, 80, spp, 8, 8);
        const auto values = make_image(info, 9);
        const bytes cs = jxl_encode(info, values, false, 1.0F);
        const bytes file = jxl_file(info, {cs}, uids::jpeg_xl);
        const auto parsed = read_bytes(byte_source::adopt(file));
        ASSERT_TRUE(parsed);
        const auto pixels = pixel_data::open(*parsed);
        ASSERT_TRUE(pixels);
        const auto fr = pixels->frame(0);
        ASSERT_TRUE(fr) << fr.error().to_string();
        const double q = psnr(fr->bytes(), to_samples(info, values), 255);
        EXPECT_GT(q, 30.0) << spp << " samples";
        EXPECT_LT(q, 1000.0) << "lossy stream decoded exactly?";
    }
}

TEST(JpegXl, MismatchedDescriptionIsRefusedBeforeDecoding) {
    const fixture f;
    const frame_info info = make_info(16, 24, 1, 16, 16);
    const bytes cs = jxl_encode(info, make_image(info, 1), true);
    bytes out;
    frame_info taller = info;
    taller.rows = 17;
    EXPECT_EQ(f.decode(cs, taller, out).error().code, errc::codestream_mismatch);
    frame_info rgb = make_info(16, 24, 3, 16, 16);
    EXPECT_EQ(f.decode(cs, rgb, out).error().code, errc::codestream_mismatch);
    frame_info narrow = make_info(16, 24, 1, 8, 8);
    EXPECT_EQ(f.decode(cs, narrow, out).error().code, errc::codestream_mismatch);
    // The whole path refuses from read_header, before allocating the frame.
    const bytes file = jxl_file(taller, {cs}, uids::jpeg_xl_lossless);
    const auto parsed = read_bytes(byte_source::adopt(file));
    ASSERT_TRUE(parsed);
    const auto pixels = pixel_data::open(*parsed);
    ASSERT_TRUE(pixels);
    const auto fr = pixels->frame(0);
    ASSERT_FALSE(fr);
    EXPECT_EQ(fr.error().code, errc::codestream_mismatch);
}

TEST(JpegXl, TruncatedStreamsFail) {
    const fixture f;
    const frame_info info = make_info(40, 52, 3, 8, 8);
    const auto values = make_image(info, 3);
    const bytes cs = jxl_encode(info, values, true);
    const bytes expected = to_samples(info, values);
    bytes out;
    const std::size_t step = std::max<std::size_t>(1, cs.size() / 200);
    for (std::size_t cut = 0; cut < cs.size(); cut += (cut < 64 ? 1 : step)) {
        const auto r = f.decode(std::span<const std::byte>(cs.data(), cut), info, out);
        if (r) {
            ADD_FAILURE() << "cut at " << cut << " of " << cs.size() << " decoded"
                          << (same_bytes(out, expected) ? " (identically)" : "");
        } else {
            EXPECT_TRUE(r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error)
                << cut << ": " << r.error().to_string();
        }
    }
}

TEST(JpegXl, CorruptStreamsFailOrDecodeWithinBounds) {
    const fixture f;
    const frame_info info = make_info(24, 30, 1, 8, 8);
    const bytes cs = jxl_encode(info, make_image(info, 5), true);
    bytes out;
    bytes bad_signature = cs;
    bad_signature[0] = std::byte{0x12};
    bad_signature[1] = std::byte{0x34};
    EXPECT_EQ(f.decode(bad_signature, info, out).error().code, errc::codec_error);
    EXPECT_FALSE(f.decoder->read_header(bad_signature, info));
    EXPECT_FALSE(f.decode(bytes{}, info, out));
    // Random corruption: libjxl has no checksum, so some mutations still decode; none may crash (ASan).
    std::mt19937 rng(99);
    for (int i = 0; i < 300; ++i) {
        bytes m = cs;
        m[2 + rng() % (m.size() - 2)] = static_cast<std::byte>(rng());
        (void)f.decode(m, info, out);
    }
}

TEST(JpegXl, CanDecode) {
    const frame_decoder* d = codec_registry::builtin().decoder("jpegxl/libjxl");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->name(), "jpegxl/libjxl");
    EXPECT_TRUE(d->can_decode(uids::jpeg_xl_lossless, make_info(4, 4, 1, 8, 8)));
    EXPECT_TRUE(d->can_decode(uids::jpeg_xl_jpeg_recompression, make_info(4, 4, 3, 8, 8)));
    EXPECT_TRUE(d->can_decode(uids::jpeg_xl, make_info(4, 4, 1, 16, 12)));
    EXPECT_FALSE(d->can_decode(uids::jpeg_2000, make_info(4, 4, 1, 8, 8)));
    EXPECT_FALSE(d->can_decode(uids::jpeg_xl, make_info(4, 4, 1, 32, 32)));
}

// 4.111: a JPEG recompressed losslessly into JPEG XL decodes to (nearly) the JPEG's own pixels.
TEST(JpegXl, JpegRecompressionDecodesToPixels) {
    if (std::system("command -v cjpeg >/dev/null 2>&1 && command -v djpeg >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "cjpeg/djpeg (libjpeg-turbo-progs) not installed";
    }
    const frame_info info = make_info(48, 64, 3, 8, 8);
    const auto values = make_image(info, 21);
    const auto dir = std::filesystem::temp_directory_path() / ("dicompix_jxl_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream ppm(dir / "in.ppm", std::ios::binary);
        ppm << "P6\n" << info.columns << " " << info.rows << "\n255\n";
        for (const auto v : values) {
            ppm.put(static_cast<char>(v));
        }
    }
    const std::string d = dir.string();
    ASSERT_EQ(std::system(("cjpeg -quality 90 " + d + "/in.ppm > " + d + "/in.jpg && djpeg -ppm " + d + "/in.jpg > " +
                           d + "/out.ppm")
                              .c_str()),
              0);
    std::ifstream jpg(dir / "in.jpg", std::ios::binary);
    const std::string jpeg((std::istreambuf_iterator<char>(jpg)), std::istreambuf_iterator<char>());
    std::ifstream ppm(dir / "out.ppm", std::ios::binary);
    std::string magic;
    int w = 0;
    int h = 0;
    int maxval = 0;
    ppm >> magic >> w >> h >> maxval;
    ppm.get();
    std::string reference(static_cast<std::size_t>(w * h * 3), '\0');
    ppm.read(reference.data(), static_cast<std::streamsize>(reference.size()));
    std::filesystem::remove_all(dir);

    JxlEncoderPtr enc = JxlEncoderMake(nullptr);
    ASSERT_EQ(JxlEncoderStoreJPEGMetadata(enc.get(), JXL_TRUE), JXL_ENC_SUCCESS);
    JxlEncoderFrameSettings* fs = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);
    ASSERT_EQ(JxlEncoderAddJPEGFrame(fs, reinterpret_cast<const std::uint8_t*>(jpeg.data()), jpeg.size()),
              JXL_ENC_SUCCESS);
    JxlEncoderCloseInput(enc.get());
    bytes cs(jpeg.size() * 2 + 4096);
    auto* next = reinterpret_cast<std::uint8_t*>(cs.data());
    std::size_t avail = cs.size();
    ASSERT_EQ(JxlEncoderProcessOutput(enc.get(), &next, &avail), JXL_ENC_SUCCESS);
    cs.resize(cs.size() - avail);

    const bytes file = jxl_file(info, {cs}, uids::jpeg_xl_jpeg_recompression);
    const auto parsed = read_bytes(byte_source::adopt(file));
    ASSERT_TRUE(parsed);
    const auto pixels = pixel_data::open(*parsed);
    ASSERT_TRUE(pixels);
    const auto fr = pixels->frame(0);
    ASSERT_TRUE(fr) << fr.error().to_string();
    EXPECT_EQ(fr->meta().photometric_interpretation, photometric::rgb);
    const auto got = fr->bytes();
    ASSERT_EQ(got.size(), reference.size());
    int max_diff = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(std::to_integer<int>(got[i]) - static_cast<unsigned char>(reference[i])));
    }
    // libjxl's DCT reconstruction differs from libjpeg-turbo's integer IDCT by rounding only.
    EXPECT_LE(max_diff, 4);
}

} // namespace
} // namespace dicompix
