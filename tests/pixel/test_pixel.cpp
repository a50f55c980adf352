// SPDX-License-Identifier: BSD-3-Clause
// pixel_data over native and encapsulated-uncompressed datasets built in memory: every Bits Allocated,
// signedness, garbage high bits, float/double, planar configuration, 4:2:2, both byte orders,
// multi-frame, 1-bit frames that start mid-byte, zero-copy views and the real-file tolerances.
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <memory_resource>

#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

struct image {
    std::uint16_t rows{2};
    std::uint16_t columns{3};
    std::uint16_t spp{1};
    std::uint16_t ba{16};
    std::uint16_t bs{16};
    std::uint16_t hb{15};
    std::uint16_t pr{0};
    std::string pi{"MONOCHROME2"};
    std::uint16_t planar{0};
    std::string frames; // Number of Frames as text; empty: absent
    bool big_endian{false};
    bool explicit_vr{true};
    vr pixel_vr{vr::OW};
    tag pixel_tag{tags::PixelData};
};

bytes build(const image& im, const bytes& pixels) {
    dicom_builder b(im.explicit_vr, im.big_endian);
    b.us(tags::SamplesPerPixel, {im.spp});
    b.str(tags::PhotometricInterpretation, vr::CS, im.pi);
    if (im.spp > 1) {
        b.us(tags::PlanarConfiguration, {im.planar});
    }
    if (!im.frames.empty()) {
        b.str(tags::NumberOfFrames, vr::IS, im.frames);
    }
    b.us(tags::Rows, {im.rows}).us(tags::Columns, {im.columns});
    if (im.pixel_tag == tags::PixelData) {
        b.us(tags::BitsAllocated, {im.ba}).us(tags::BitsStored, {im.bs}).us(tags::HighBit, {im.hb});
        b.us(tags::PixelRepresentation, {im.pr});
    } else {
        b.us(tags::BitsAllocated, {im.ba});
    }
    b.element(im.pixel_tag, im.pixel_vr, pixels);
    const std::string_view uid = !im.explicit_vr ? "1.2.840.10008.1.2"
                                 : im.big_endian ? "1.2.840.10008.1.2.2"
                                                 : "1.2.840.10008.1.2.1";
    return dicom_builder::part10(b.data(), uid);
}

/// Sample values as little- or big-endian bytes of the given width.
template <class T>
bytes encode(std::initializer_list<T> values, bool big_endian) {
    bytes out;
    for (T v : values) {
        std::byte raw[sizeof(T)];
        std::memcpy(raw, &v, sizeof(T));
        if (big_endian != (std::endian::native == std::endian::big)) {
            std::reverse(raw, raw + sizeof(T));
        }
        out.insert(out.end(), raw, raw + sizeof(T));
    }
    return out;
}

struct opened {
    dicom_file file;
    pixel_data pixels;
};

opened open(const bytes& b, pixel_options options = {}) {
    auto file = read_bytes(byte_source::adopt(b));
    EXPECT_TRUE(file) << file.error().to_string();
    auto pixels = pixel_data::open(*file, options);
    EXPECT_TRUE(pixels) << pixels.error().to_string();
    return {std::move(*file), std::move(*pixels)};
}

template <class T>
std::vector<T> samples_of(const pixel_data& p, std::uint32_t frame) {
    auto f = p.frame_as<T>(frame);
    EXPECT_TRUE(f) << f.error().to_string();
    if (!f) {
        return {};
    }
    return {f->samples().begin(), f->samples().end()};
}

TEST(Pixel, Unsigned16BothByteOrders) {
    for (const bool be : {false, true}) {
        image im;
        im.big_endian = be;
        const auto b = build(im, encode<std::uint16_t>({1, 2, 3, 4000, 5, 65535}, be));
        auto o = open(b);
        EXPECT_EQ(o.pixels.frame_count(), 1U);
        EXPECT_EQ(o.pixels.info().type(), sample_type::u16);
        EXPECT_EQ(samples_of<std::uint16_t>(o.pixels, 0), (std::vector<std::uint16_t>{1, 2, 3, 4000, 5, 65535}));
        auto f = o.pixels.frame_as<std::uint16_t>(0).value();
        EXPECT_EQ(f.get(2, 1), 65535);
        EXPECT_EQ(f.get(0, 1), 4000);
        EXPECT_EQ(f.at(3, 0).error().code, errc::invalid_argument);
        EXPECT_EQ(f.meta().codec, "native");
    }
}

TEST(Pixel, ImplicitVrLittleEndian) {
    image im;
    im.explicit_vr = false;
    auto o = open(build(im, encode<std::uint16_t>({9, 8, 7, 6, 5, 4}, false)));
    EXPECT_EQ(samples_of<std::uint16_t>(o.pixels, 0), (std::vector<std::uint16_t>{9, 8, 7, 6, 5, 4}));
}

TEST(Pixel, SignedWithGarbageHighBits) {
    // 12 bits stored in 16: the top 4 bits hold garbage (PS3.5 §8.1.1 allows anything there).
    image im;
    im.bs = 12;
    im.hb = 11;
    im.pr = 1;
    const auto b = build(im, encode<std::uint16_t>({0xF001, 0x0FFF, 0xA800, 0x07FF, 0x5000, 0x0800}, false));
    auto o = open(b);
    EXPECT_EQ(samples_of<std::int16_t>(o.pixels, 0), (std::vector<std::int16_t>{1, -1, -2048, 2047, 0, -2048}));
    auto f = o.pixels.frame(0).value();
    EXPECT_FALSE(f.is_view()); // needed normalisation, so it is a copy
}

TEST(Pixel, UnsignedWithGarbageHighBits) {
    image im;
    im.bs = 12;
    im.hb = 11;
    auto o = open(build(im, encode<std::uint16_t>({0xF001, 0x0FFF, 0xA800, 1, 2, 3}, false)));
    EXPECT_EQ(samples_of<std::uint16_t>(o.pixels, 0), (std::vector<std::uint16_t>{1, 0x0FFF, 0x0800, 1, 2, 3}));
}

TEST(Pixel, CleanHighBitsAreServedAsView) {
    image im;
    im.bs = 12;
    im.hb = 11;
    im.pr = 1;
    // Already sign-extended values.
    const auto b = build(im, encode<std::int16_t>({-1, 2047, -2048, 0, 5, -5}, false));
    auto o = open(b);
    auto f = o.pixels.frame(0).value();
    EXPECT_TRUE(f.is_view());
    auto* typed = f.get_if<std::int16_t>();
    ASSERT_NE(typed, nullptr);
    EXPECT_EQ(typed->get(2, 0), -2048);
    // Writing copies the view first; the source is untouched.
    typed->set(0, 0, 0, 100);
    EXPECT_FALSE(typed->is_view());
    EXPECT_TRUE(typed->modified());
    EXPECT_EQ(typed->get(0, 0), 100);
    EXPECT_EQ(o.pixels.frame_as<std::int16_t>(0).value().get(0, 0), -1);
}

TEST(Pixel, ZeroCopyViewPointsIntoTheSource) {
    image im;
    const auto b = build(im, encode<std::uint16_t>({1, 2, 3, 4, 5, 6}, false));
    auto o = open(b);
    auto f = o.pixels.frame(0).value();
    ASSERT_TRUE(f.is_view());
    const auto native = o.pixels.native_bytes();
    EXPECT_EQ(static_cast<const void*>(f.bytes().data()), static_cast<const void*>(native.data()));
    // The frame keeps the bytes alive after the file and pixel_data are gone.
    o = opened{};
    EXPECT_EQ(f.get_if<std::uint16_t>()->get(1, 1), 5);
}

TEST(Pixel, EightBitSignedAndUnsigned) {
    image im;
    im.ba = 8;
    im.bs = 8;
    im.hb = 7;
    im.pixel_vr = vr::OB;
    auto o = open(build(im, bytes{std::byte{0}, std::byte{1}, std::byte{127}, std::byte{128}, std::byte{254}, std::byte{255}}));
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 0), (std::vector<std::uint8_t>{0, 1, 127, 128, 254, 255}));
    im.pr = 1;
    auto s = open(build(im, bytes{std::byte{0}, std::byte{1}, std::byte{127}, std::byte{128}, std::byte{254}, std::byte{255}}));
    EXPECT_EQ(samples_of<std::int8_t>(s.pixels, 0), (std::vector<std::int8_t>{0, 1, 127, -128, -2, -1}));
}

TEST(Pixel, ThirtyTwoAndSixtyFourBit) {
    image im;
    im.ba = 32;
    im.bs = 32;
    im.hb = 31;
    im.pixel_vr = vr::OB;
    for (const bool be : {false, true}) {
        im.big_endian = be;
        auto o = open(build(im, encode<std::uint32_t>({1, 0xFFFFFFFFU, 3, 70000, 5, 6}, be)));
        EXPECT_EQ(samples_of<std::uint32_t>(o.pixels, 0),
                  (std::vector<std::uint32_t>{1, 0xFFFFFFFFU, 3, 70000, 5, 6}));
    }
    im.big_endian = false;
    im.ba = 64;
    im.bs = 40;
    im.hb = 39;
    im.pr = 1;
    // 40-bit signed values in 64-bit containers, high bits garbage.
    const std::uint64_t minus_one_40 = 0xAB0000FFFFFFFFFFULL;
    auto o = open(build(im, encode<std::uint64_t>({minus_one_40, 5, 0x8000000000ULL, 0, 1, 2}, false)));
    EXPECT_EQ(samples_of<std::int64_t>(o.pixels, 0),
              (std::vector<std::int64_t>{-1, 5, -549755813888LL, 0, 1, 2}));
}

TEST(Pixel, FloatAndDoublePixelData) {
    image im;
    im.ba = 32;
    im.pixel_tag = tags::FloatPixelData;
    im.pixel_vr = vr::OF;
    auto f = open(build(im, encode<float>({1.5F, -2.0F, 0.0F, 3.25F, 1e10F, -0.5F}, false)));
    EXPECT_EQ(f.pixels.info().type(), sample_type::f32);
    EXPECT_EQ(samples_of<float>(f.pixels, 0), (std::vector<float>{1.5F, -2.0F, 0.0F, 3.25F, 1e10F, -0.5F}));
    im.ba = 64;
    im.pixel_tag = tags::DoubleFloatPixelData;
    im.pixel_vr = vr::OD;
    im.big_endian = true;
    auto d = open(build(im, encode<double>({1.5, -2.0, 0.0, 3.25, 1e100, -0.5}, true)));
    EXPECT_EQ(samples_of<double>(d.pixels, 0), (std::vector<double>{1.5, -2.0, 0.0, 3.25, 1e100, -0.5}));
}

TEST(Pixel, PlanarConfigurationOneIsInterleaved) {
    image im;
    im.rows = 1;
    im.columns = 2;
    im.spp = 3;
    im.ba = 8;
    im.bs = 8;
    im.hb = 7;
    im.pi = "RGB";
    im.pixel_vr = vr::OB;
    im.planar = 1;
    // R plane, G plane, B plane.
    auto o = open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{10}, std::byte{20}, std::byte{100},
                                  std::byte{200}}));
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 0), (std::vector<std::uint8_t>{1, 10, 100, 2, 20, 200}));
    im.planar = 0;
    auto p = open(build(im, bytes{std::byte{1}, std::byte{10}, std::byte{100}, std::byte{2}, std::byte{20},
                                  std::byte{200}}));
    EXPECT_EQ(samples_of<std::uint8_t>(p.pixels, 0), (std::vector<std::uint8_t>{1, 10, 100, 2, 20, 200}));
}

TEST(Pixel, PlanarSixteenBitBigEndian) {
    image im;
    im.rows = 1;
    im.columns = 2;
    im.spp = 3;
    im.pi = "RGB";
    im.planar = 1;
    im.big_endian = true;
    auto o = open(build(im, encode<std::uint16_t>({1, 2, 300, 400, 5000, 6000}, true)));
    EXPECT_EQ(samples_of<std::uint16_t>(o.pixels, 0), (std::vector<std::uint16_t>{1, 300, 5000, 2, 400, 6000}));
}

TEST(Pixel, Ybr422EvenAndOddColumns) {
    image im;
    im.rows = 1;
    im.spp = 3;
    im.ba = 8;
    im.bs = 8;
    im.hb = 7;
    im.pi = "YBR_FULL_422";
    im.pixel_vr = vr::OB;
    im.columns = 4;
    // Y0 Y1 Cb Cr | Y2 Y3 Cb Cr
    auto even = open(build(im, bytes{std::byte{10}, std::byte{11}, std::byte{100}, std::byte{200}, std::byte{12},
                                     std::byte{13}, std::byte{101}, std::byte{201}}));
    EXPECT_EQ(samples_of<std::uint8_t>(even.pixels, 0),
              (std::vector<std::uint8_t>{10, 100, 200, 11, 100, 200, 12, 101, 201, 13, 101, 201}));
    EXPECT_EQ(even.pixels.frame(0).value().meta().photometric_interpretation, photometric::ybr_full);
    // Odd columns, two rows: the frame is one run of pixels (6 pixels -> 3 pairs, crossing rows).
    im.rows = 2;
    im.columns = 3;
    auto odd = open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{50}, std::byte{60}, std::byte{3},
                                    std::byte{4}, std::byte{51}, std::byte{61}, std::byte{5}, std::byte{6},
                                    std::byte{52}, std::byte{62}}));
    const auto s = samples_of<std::uint8_t>(odd.pixels, 0);
    ASSERT_EQ(s.size(), 18U);
    EXPECT_EQ(s[3 * 2], 3);     // pixel (2,0): first Y of the second pair
    EXPECT_EQ(s[3 * 2 + 1], 51);
    EXPECT_EQ(s[3 * 3], 4);     // pixel (0,1)
    EXPECT_EQ(s[3 * 5 + 2], 62);
    // Odd pixel count (1x3): the last pair holds one pixel.
    im.rows = 1;
    auto single = open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{50}, std::byte{60}, std::byte{3},
                                       std::byte{0}, std::byte{51}, std::byte{61}}));
    EXPECT_EQ(samples_of<std::uint8_t>(single.pixels, 0), (std::vector<std::uint8_t>{1, 50, 60, 2, 50, 60, 3, 51, 61}));
}

TEST(Pixel, MultiFrameReadsOnlyTheAskedFrame) {
    image im;
    im.rows = 1;
    im.columns = 2;
    im.frames = "3";
    auto o = open(build(im, encode<std::uint16_t>({1, 2, 3, 4, 5, 6}, false)));
    EXPECT_EQ(o.pixels.frame_count(), 3U);
    EXPECT_EQ(samples_of<std::uint16_t>(o.pixels, 2), (std::vector<std::uint16_t>{5, 6}));
    EXPECT_EQ(o.pixels.frame(3).error().code, errc::frame_out_of_range);
    std::uint32_t count = 0;
    for (auto f : o.pixels) {
        ASSERT_TRUE(f);
        EXPECT_EQ(f->meta().index, count);
        ++count;
    }
    EXPECT_EQ(count, 3U);
    EXPECT_EQ(o.pixels.frames().value().size(), 3U);
}

TEST(Pixel, OneBitFramesStartMidByte) {
    // 3 frames of 2x5 = 10 bits each: frame 1 starts at bit 10, frame 2 at bit 20 (PS3.5 Annex D:
    // least significant bit first).
    image im;
    im.rows = 2;
    im.columns = 5;
    im.ba = 1;
    im.bs = 1;
    im.hb = 0;
    im.pixel_vr = vr::OB;
    im.frames = "3";
    std::vector<int> bits = {1, 0, 0, 0, 0, 0, 0, 0, 0, 1,   // frame 0
                             1, 1, 0, 0, 0, 0, 0, 0, 1, 1,   // frame 1
                             0, 1, 0, 1, 0, 1, 0, 1, 0, 1};  // frame 2
    bytes packed((bits.size() + 7) / 8 + 1, std::byte{0}); // +1: even length
    for (std::size_t i = 0; i < bits.size(); ++i) {
        if (bits[i] != 0) {
            packed[i / 8] |= static_cast<std::byte>(1U << (i % 8));
        }
    }
    auto o = open(build(im, packed));
    ASSERT_EQ(o.pixels.frame_count(), 3U);
    for (std::uint32_t f = 0; f < 3; ++f) {
        const auto s = samples_of<std::uint8_t>(o.pixels, f);
        ASSERT_EQ(s.size(), 10U);
        for (std::size_t i = 0; i < 10; ++i) {
            EXPECT_EQ(s[i], bits[f * 10 + i]) << "frame " << f << " pixel " << i;
        }
    }
    // Long 1-bit frames exercise the byte-at-a-time path.
    im.rows = 8;
    im.columns = 9;
    im.frames = "2";
    bytes many(18, std::byte{0xA5});
    auto big = open(build(im, many));
    const auto s0 = samples_of<std::uint8_t>(big.pixels, 0);
    const auto s1 = samples_of<std::uint8_t>(big.pixels, 1);
    for (std::size_t i = 0; i < 72; ++i) {
        EXPECT_EQ(s0[i], (0xA5 >> (i % 8)) & 1);
        EXPECT_EQ(s1[i], (0xA5 >> ((72 + i) % 8)) & 1);
    }
}

TEST(Pixel, BigEndianOwEightBitIsWordSwappedObAndUnAreNot) {
    // In Explicit VR Big Endian, OW is a stream of 16-bit words: 8-bit samples are byte-swapped pairs.
    image im;
    im.ba = 8;
    im.bs = 8;
    im.hb = 7;
    im.big_endian = true;
    im.pixel_vr = vr::OW;
    auto o = open(build(im, bytes{std::byte{2}, std::byte{1}, std::byte{4}, std::byte{3}, std::byte{6}, std::byte{5}}));
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 0), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(o.pixels.native_word_swapped());
    im.pixel_vr = vr::OB;
    auto ob = open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}, std::byte{6}}));
    EXPECT_EQ(samples_of<std::uint8_t>(ob.pixels, 0), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_FALSE(ob.pixels.native_word_swapped());
    // UN is never byte-swapped (PS3.5 §6.2.2): bytes in order, wider samples little endian.
    im.pixel_vr = vr::UN;
    auto un =
        open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}, std::byte{6}}));
    EXPECT_EQ(samples_of<std::uint8_t>(un.pixels, 0), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_FALSE(un.pixels.native_word_swapped());
    EXPECT_FALSE(un.pixels.native_big_endian());
    im.ba = 16;
    im.bs = 16;
    im.hb = 15;
    im.columns = 1;
    auto un16 = open(build(im, encode<std::uint16_t>({0x1234, 0xABCD}, false)));
    EXPECT_EQ(samples_of<std::uint16_t>(un16.pixels, 0), (std::vector<std::uint16_t>{0x1234, 0xABCD}));
}

TEST(Pixel, ShortPixelDataStrictErrorLenientCompleteFrames) {
    image im;
    im.rows = 1;
    im.columns = 2;
    im.frames = "3";
    const auto b = build(im, encode<std::uint16_t>({1, 2, 3, 4, 5}, false)); // 2.5 frames (+pad by builder? no)
    auto file = read_bytes(byte_source::adopt(b)).value();
    auto lenient = pixel_data::open(file);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(lenient->frame_count(), 2U);
    ASSERT_FALSE(lenient->warnings().empty());
    pixel_options strict;
    strict.strict = true;
    EXPECT_EQ(pixel_data::open(file, strict).error().code, errc::pixel_data_too_short);
    im.frames = "1";
    im.columns = 8;
    auto none = read_bytes(byte_source::adopt(build(im, encode<std::uint16_t>({1, 2}, false)))).value();
    EXPECT_EQ(pixel_data::open(none).error().code, errc::pixel_data_too_short);
}

TEST(Pixel, ExcessPaddingAndOddLength) {
    image im;
    im.ba = 8;
    im.bs = 8;
    im.hb = 7;
    im.pixel_vr = vr::OB;
    im.columns = 3;
    im.rows = 1;
    // 3 bytes needed: 4 is the normal pad byte; 5 needed with 8 present is excess.
    auto padded = open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{0}}));
    EXPECT_TRUE(padded.pixels.warnings().empty());
    im.columns = 5;
    auto excess = open(build(im, bytes(8, std::byte{7})));
    EXPECT_EQ(excess.pixels.warnings().size(), 1U);
    im.columns = 3;
    auto odd = open(build(im, bytes{std::byte{1}, std::byte{2}, std::byte{3}}));
    ASSERT_EQ(odd.pixels.warnings().size(), 1U);
    EXPECT_NE(odd.pixels.warnings()[0].message.find("odd length"), std::string::npos);
    EXPECT_EQ(samples_of<std::uint8_t>(odd.pixels, 0), (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(Pixel, NumberOfFramesMissingOrInconsistent) {
    image im;
    im.rows = 1;
    im.columns = 2;
    auto missing = open(build(im, encode<std::uint16_t>({1, 2, 3, 4, 5, 6}, false)));
    EXPECT_EQ(missing.pixels.frame_count(), 1U);
    bool told = false;
    for (const auto& w : missing.pixels.warnings()) {
        told = told || w.message.find("holds 3 frames") != std::string::npos;
    }
    EXPECT_TRUE(told);
    im.frames = "0";
    auto zero = open(build(im, encode<std::uint16_t>({1, 2}, false)));
    EXPECT_EQ(zero.pixels.frame_count(), 1U);
}

TEST(Pixel, DescriptionIsValidatedBeforeAllocation) {
    const auto expect_invalid = [](image im, errc code) {
        auto file = read_bytes(byte_source::adopt(build(im, encode<std::uint16_t>({1, 2, 3, 4, 5, 6}, false))));
        ASSERT_TRUE(file);
        const auto p = pixel_data::open(*file);
        ASSERT_FALSE(p);
        EXPECT_EQ(p.error().code, code) << p.error().to_string();
    };
    image bad_ba;
    bad_ba.ba = 12;
    expect_invalid(bad_ba, errc::invalid_pixel_description);
    image bad_bs;
    bad_bs.bs = 17;
    expect_invalid(bad_bs, errc::invalid_pixel_description);
    image bad_hb;
    bad_hb.bs = 12;
    bad_hb.hb = 3;
    expect_invalid(bad_hb, errc::invalid_pixel_description);
    image bad_pr;
    bad_pr.pr = 2;
    expect_invalid(bad_pr, errc::invalid_pixel_description);
    image bad_spp;
    bad_spp.spp = 2;
    expect_invalid(bad_spp, errc::invalid_pixel_description);
    image rgb_one_sample;
    rgb_one_sample.pi = "RGB";
    expect_invalid(rgb_one_sample, errc::invalid_pixel_description);
    image zero_rows;
    zero_rows.rows = 0;
    expect_invalid(zero_rows, errc::invalid_pixel_description);
    image huge_frames;
    huge_frames.rows = 65535;
    huge_frames.columns = 65535;
    huge_frames.frames = "2000000000";
    expect_invalid(huge_frames, errc::limit_exceeded);
    image many_frames;
    many_frames.rows = 65535;
    many_frames.columns = 65535;
    many_frames.frames = "4000";
    expect_invalid(many_frames, errc::limit_exceeded);
}

TEST(Pixel, ShiftedHighBitIsLenient) {
    // High Bit 15 with Bits Stored 12: samples stored in the top bits.
    image im;
    im.bs = 12;
    im.hb = 15;
    auto o = open(build(im, encode<std::uint16_t>({0x0010, 0xFFF0, 0x8000, 0, 0x0013, 0x0020}, false)));
    EXPECT_EQ(samples_of<std::uint16_t>(o.pixels, 0), (std::vector<std::uint16_t>{1, 0x0FFF, 0x0800, 0, 1, 2}));
    auto file = read_bytes(byte_source::adopt(build(im, encode<std::uint16_t>({1, 2, 3, 4, 5, 6}, false)))).value();
    pixel_options strict;
    strict.strict = true;
    EXPECT_EQ(pixel_data::open(file, strict).error().code, errc::invalid_pixel_description);
}

TEST(Pixel, MemoryResourceIsUsedForOwnedFrames) {
    image im;
    im.big_endian = true; // forces a copy
    const auto b = build(im, encode<std::uint16_t>({1, 2, 3, 4, 5, 6}, true));
    std::pmr::monotonic_buffer_resource pool;
    struct counting : std::pmr::memory_resource {
        std::pmr::memory_resource* upstream;
        std::size_t allocations{0};
        explicit counting(std::pmr::memory_resource* u) : upstream(u) {}
        void* do_allocate(std::size_t n, std::size_t a) override {
            ++allocations;
            return upstream->allocate(n, a);
        }
        void do_deallocate(void* p, std::size_t n, std::size_t a) override { upstream->deallocate(p, n, a); }
        bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
    } counter(&pool);
    pixel_options options;
    options.memory = &counter;
    auto o = open(b, options);
    auto f = o.pixels.frame(0).value();
    EXPECT_FALSE(f.is_view());
    EXPECT_EQ(counter.allocations, 1U);
}

// ---- encapsulated frame index, through Encapsulated Uncompressed (1.2.840.10008.1.2.1.98) ----------

bytes encapsulated_file(const std::vector<bytes>& fragments, std::vector<std::uint32_t> bot, int frames,
                        bool eot = false, std::vector<std::uint64_t> eot_offsets = {}) {
    dicom_builder b(true, false);
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.str(tags::NumberOfFrames, vr::IS, std::to_string(frames));
    b.us(tags::Rows, {1}).us(tags::Columns, {2});
    b.us(tags::BitsAllocated, {8}).us(tags::BitsStored, {8}).us(tags::HighBit, {7}).us(tags::PixelRepresentation, {0});
    if (eot) {
        bytes table;
        bytes lengths;
        for (const auto off : eot_offsets) {
            const auto e = encode<std::uint64_t>({off}, false);
            table.insert(table.end(), e.begin(), e.end());
            const auto l = encode<std::uint64_t>({2}, false);
            lengths.insert(lengths.end(), l.begin(), l.end());
        }
        b.element(tags::ExtendedOffsetTable, vr::OV, table);
        b.element(tags::ExtendedOffsetTableLengths, vr::OV, lengths);
    }
    b.encapsulated(bot, fragments);
    return dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1.98");
}

bytes two(int a, int c) {
    return bytes{static_cast<std::byte>(a), static_cast<std::byte>(c)};
}

TEST(PixelEncapsulated, OneFragmentPerFrame) {
    auto o = open(encapsulated_file({two(1, 2), two(3, 4), two(5, 6)}, {}, 3));
    EXPECT_EQ(o.pixels.index_method(), frame_index_method::one_fragment_per_frame);
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 1), (std::vector<std::uint8_t>{3, 4}));
    EXPECT_EQ(o.pixels.frame(2).value().meta().codec, "uncompressed");
    EXPECT_EQ(o.pixels.decoder_name(), "uncompressed");
}

TEST(PixelEncapsulated, BasicOffsetTableWithSplitFrames) {
    // Frame 0 = fragments 0+1 (1 byte each), frame 1 = fragment 2. Offsets count item headers (8 bytes).
    const bytes f0 = {std::byte{1}};
    const bytes f1 = {std::byte{2}};
    auto o = open(encapsulated_file({f0, f1, two(7, 8)}, {0, 18}, 2));
    EXPECT_EQ(o.pixels.index_method(), frame_index_method::basic_offset_table);
    ASSERT_EQ(o.pixels.frame_index().size(), 2U);
    EXPECT_EQ(o.pixels.frame_index()[0].count, 2U);
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 0), (std::vector<std::uint8_t>{1, 2}));
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 1), (std::vector<std::uint8_t>{7, 8}));
}

TEST(PixelEncapsulated, ExtendedOffsetTable) {
    auto o = open(encapsulated_file({two(1, 2), two(3, 4)}, {}, 2, true, {0, 10}));
    EXPECT_EQ(o.pixels.index_method(), frame_index_method::extended_offset_table);
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 1), (std::vector<std::uint8_t>{3, 4}));
}

TEST(PixelEncapsulated, LyingOffsetTablesAreWarningsNotCrashes) {
    // BOT entries pointing mid-fragment / past the end: ignored with a warning, one fragment per frame used.
    auto o = open(encapsulated_file({two(1, 2), two(3, 4)}, {0, 5}, 2));
    EXPECT_EQ(o.pixels.index_method(), frame_index_method::one_fragment_per_frame);
    EXPECT_FALSE(o.pixels.warnings().empty());
    auto p = open(encapsulated_file({two(1, 2), two(3, 4)}, {0, 0xFFFFFFF0U}, 2));
    EXPECT_EQ(samples_of<std::uint8_t>(p.pixels, 1), (std::vector<std::uint8_t>{3, 4}));
    auto q = open(encapsulated_file({two(1, 2), two(3, 4)}, {0}, 2, true, {0, 999}));
    EXPECT_EQ(q.pixels.index_method(), frame_index_method::one_fragment_per_frame);
    // Fewer fragments than frames without a table: lenient serves what there is.
    auto r = open(encapsulated_file({two(1, 2)}, {}, 3));
    EXPECT_EQ(r.pixels.frame_count(), 1U);
}

TEST(PixelEncapsulated, TruncatedFrameIsAnError) {
    auto o = open(encapsulated_file({two(1, 2), bytes{std::byte{3}}}, {}, 2));
    EXPECT_EQ(o.pixels.frame(1).error().code, errc::truncated_codestream);
}

TEST(PixelEncapsulated, UnknownTransferSyntaxNamesTheMissingDecoder) {
    dicom_builder b(true, false);
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.us(tags::Rows, {1}).us(tags::Columns, {2});
    b.us(tags::BitsAllocated, {8}).us(tags::BitsStored, {8}).us(tags::HighBit, {7}).us(tags::PixelRepresentation, {0});
    b.encapsulated(std::span<const std::uint32_t>{}, {two(1, 2)});
    auto file = read_bytes(byte_source::adopt(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.4.100"))).value();
    auto pixels = pixel_data::open(file).value();
    const auto f = pixels.frame(0);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, errc::no_decoder);
    EXPECT_NE(f.error().message.find("1.2.840.10008.1.2.4.100"), std::string::npos);
}

// ---- a user decoder overrides the built-in one and is reported ------------------------------------

class inverting_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "test/inverting"; }
    bool can_decode(std::string_view uid, const frame_info&) const noexcept override {
        return uid == "1.2.840.10008.1.2.1.98";
    }
    result<codestream_info> read_header(std::span<const std::byte>, const frame_info& info) const override {
        return codestream_info{info.rows, info.columns, info.samples_per_pixel, 8, false, photometric::monochrome2};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info&, std::span<std::byte> out,
                                 const decode_options&) const override {
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i] = static_cast<std::byte>(255 - std::to_integer<int>(codestream[i]));
        }
        return decode_report{photometric::monochrome2, 8, false, {}};
    }
};

TEST(PixelEncapsulated, UserDecoderOverridesBuiltin) {
    codec_registry registry = codec_registry::with_builtins();
    registry.add_decoder(std::make_shared<inverting_decoder>());
    pixel_options options;
    options.registry = &registry;
    auto o = open(encapsulated_file({two(1, 2), two(3, 4)}, {}, 2), options);
    const auto f = o.pixels.frame(1).value();
    EXPECT_EQ(f.meta().codec, "test/inverting");
    EXPECT_EQ(samples_of<std::uint8_t>(o.pixels, 1), (std::vector<std::uint8_t>{252, 251}));
    // An explicit per-call choice picks the built-in again.
    options.decoder = "uncompressed";
    auto p = open(encapsulated_file({two(1, 2), two(3, 4)}, {}, 2), options);
    EXPECT_EQ(samples_of<std::uint8_t>(p.pixels, 1), (std::vector<std::uint8_t>{3, 4}));
}

// ---- colour helpers ---------------------------------------------------------------------------------

TEST(Colour, YbrFullToRgb) {
    // PS3.3 C.7.6.3.1.2: R = Y + 1.402 (Cr-128), G = Y - 0.344136 (Cb-128) - 0.714136 (Cr-128),
    // B = Y + 1.772 (Cb-128).
    bytes px = {std::byte{128}, std::byte{128}, std::byte{128},  // grey
                std::byte{76}, std::byte{85}, std::byte{255},    // red
                std::byte{29}, std::byte{255}, std::byte{107}};  // blue
    ybr_full_to_rgb(px, sample_type::u8, 8);
    EXPECT_EQ(std::to_integer<int>(px[0]), 128);
    EXPECT_EQ(std::to_integer<int>(px[1]), 128);
    EXPECT_EQ(std::to_integer<int>(px[2]), 128);
    EXPECT_NEAR(std::to_integer<int>(px[3]), 254, 1);
    EXPECT_NEAR(std::to_integer<int>(px[4]), 0, 1);
    EXPECT_NEAR(std::to_integer<int>(px[5]), 0, 1);
    EXPECT_NEAR(std::to_integer<int>(px[6]), 0, 1);
    EXPECT_NEAR(std::to_integer<int>(px[7]), 0, 1);
    EXPECT_NEAR(std::to_integer<int>(px[8]), 255, 1);
    // 16-bit, 12 bits stored: mid-grey stays.
    auto wide = encode<std::uint16_t>({2048, 2048, 2048, 1000, 3000, 1000}, false);
    ybr_full_to_rgb(wide, sample_type::u16, 12);
    std::uint16_t v[6];
    std::memcpy(v, wide.data(), sizeof v);
    EXPECT_EQ(v[0], 2048);
    EXPECT_EQ(v[1], 2048);
    EXPECT_EQ(v[3], 0);    // 1000 + 1.402 * (1000 - 2048) < 0: clamped
    EXPECT_EQ(v[5], 2687); // 1000 + 1.772 * (3000 - 2048) = 2686.9
}

TEST(Colour, RctIsExactInverseOfForward) {
    // Forward RCT (ISO/IEC 15444-1 G.2): Y = floor((R + 2G + B) / 4), Cb = B - G, Cr = R - G (+ DC shift).
    bytes px;
    std::vector<int> rgb;
    for (int r = 0; r < 256; r += 51) {
        for (int g = 0; g < 256; g += 85) {
            for (int b = 0; b < 256; b += 17) {
                const int y = (r + 2 * g + b) >> 2;
                const int cb = b - g + 128;
                const int cr = r - g + 128;
                // Chroma may leave 0..255 in 8 bits for extreme colours: skip those (the codec keeps 9 bits).
                if (cb < 0 || cb > 255 || cr < 0 || cr > 255) {
                    continue;
                }
                px.push_back(static_cast<std::byte>(y));
                px.push_back(static_cast<std::byte>(cb));
                px.push_back(static_cast<std::byte>(cr));
                rgb.insert(rgb.end(), {r, g, b});
            }
        }
    }
    ybr_rct_to_rgb(px, sample_type::u8, 8);
    for (std::size_t i = 0; i < rgb.size(); ++i) {
        EXPECT_EQ(std::to_integer<int>(px[i]), rgb[i]) << i;
    }
}

TEST(Colour, PlanarAndUpsampleHelpers) {
    const bytes planar = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}, std::byte{6}};
    bytes out(6);
    planar_to_interleaved(planar, out, 2, 3, 1);
    EXPECT_EQ(out, (bytes{std::byte{1}, std::byte{3}, std::byte{5}, std::byte{2}, std::byte{4}, std::byte{6}}));
    const bytes sub = {std::byte{10}, std::byte{11}, std::byte{50}, std::byte{60}};
    bytes full(6);
    upsample_422(sub, full, 2, 1);
    EXPECT_EQ(full, (bytes{std::byte{10}, std::byte{50}, std::byte{60}, std::byte{11}, std::byte{50}, std::byte{60}}));
}

TEST(Colour, ConvertFrameToRgb) {
    image im;
    im.rows = 1;
    im.columns = 1;
    im.spp = 3;
    im.ba = 8;
    im.bs = 8;
    im.hb = 7;
    im.pi = "YBR_FULL";
    im.pixel_vr = vr::OB;
    auto o = open(build(im, bytes{std::byte{128}, std::byte{128}, std::byte{128}, std::byte{0}}));
    auto f = o.pixels.frame(0).value();
    ASSERT_TRUE(convert_to_rgb(f, 8));
    EXPECT_EQ(f.meta().photometric_interpretation, photometric::rgb);
    EXPECT_EQ(f.get_if<std::uint8_t>()->get(0, 0, 2), 128);
}

} // namespace
} // namespace dicompix

namespace dicompix {
namespace {

TEST(PixelParallel, EveryFrameOnceOnSeveralThreads) {
    image im;
    im.rows = 1;
    im.columns = 2;
    im.frames = "64";
    std::vector<std::uint16_t> values;
    bytes data;
    for (std::uint16_t i = 0; i < 128; ++i) {
        const auto b = encode<std::uint16_t>({static_cast<std::uint16_t>(i * 3)}, true);
        data.insert(data.end(), b.begin(), b.end());
    }
    im.big_endian = true; // forces owned, converted frames
    auto o = open(build(im, data));
    std::vector<std::atomic<int>> seen(64);
    std::atomic<std::uint64_t> sum{0};
    const auto r = for_each_frame(o.pixels, 4, [&](std::uint32_t i, any_frame&& f) -> result<void> {
        seen[i].fetch_add(1);
        sum += f.get_if<std::uint16_t>()->get(1, 0);
        return {};
    });
    ASSERT_TRUE(r) << r.error().to_string();
    for (auto& s : seen) {
        EXPECT_EQ(s.load(), 1);
    }
    std::uint64_t expected = 0;
    for (std::uint64_t i = 0; i < 64; ++i) {
        expected += (2 * i + 1) * 3;
    }
    EXPECT_EQ(sum.load(), expected);
    // An error from the callback stops the work and is returned.
    const auto stop = for_each_frame(o.pixels, 3, [&](std::uint32_t i, any_frame&&) -> result<void> {
        if (i == 10) {
            return failure(errc::invalid_argument, "stop here");
        }
        return {};
    });
    ASSERT_FALSE(stop);
    EXPECT_NE(stop.error().message.find("stop here"), std::string::npos);
    EXPECT_EQ(for_each_frame(o.pixels, 2, [](std::uint32_t, any_frame&&) -> result<void> { return {}; }, 70, 80)
                  .error()
                  .code,
              errc::frame_out_of_range);
}

} // namespace
} // namespace dicompix
