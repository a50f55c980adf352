// SPDX-License-Identifier: BSD-3-Clause
// Bitmap writers: PNG (decoded back with libspng), PGM/PPM bytes, and the choice by file extension.
#include <gtest/gtest.h>
#include <spng.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dicompix/render.hpp"

namespace dicompix {
namespace {

namespace fs = std::filesystem;

struct decoded {
    spng_ihdr ihdr{};
    std::vector<unsigned char> pixels;
    std::string offset_text;
    spng_sbit sbit{};
    bool has_sbit{false};
};

decoded decode_png(const std::vector<std::byte>& png) {
    decoded d;
    spng_ctx* ctx = spng_ctx_new(0);
    spng_set_png_buffer(ctx, png.data(), png.size());
    EXPECT_EQ(spng_get_ihdr(ctx, &d.ihdr), 0);
    std::size_t size = 0;
    EXPECT_EQ(spng_decoded_image_size(ctx, SPNG_FMT_PNG, &size), 0);
    d.pixels.resize(size);
    EXPECT_EQ(spng_decode_image(ctx, d.pixels.data(), size, SPNG_FMT_PNG, 0), 0);
    std::uint32_t n = 0;
    if (spng_get_text(ctx, nullptr, &n) == 0 && n > 0) {
        std::vector<spng_text> texts(n);
        spng_get_text(ctx, texts.data(), &n);
        for (const auto& t : texts) {
            if (std::string(t.keyword) == "dicompix:value-offset") {
                d.offset_text.assign(t.text, t.length);
            }
        }
    }
    d.has_sbit = spng_get_sbit(ctx, &d.sbit) == 0;
    spng_ctx_free(ctx);
    return d;
}

bitmap grey8(std::uint32_t w, std::uint32_t h) {
    bitmap b(w, h, 1, 8);
    auto s = b.samples8();
    for (std::size_t i = 0; i < s.size(); ++i) {
        s[i] = static_cast<std::uint8_t>(i * 7);
    }
    return b;
}

TEST(Png, Grey8RoundTrip) {
    const bitmap b = grey8(13, 7);
    for (const int level : {0, 1, 2, 6, 9}) {
        for (const png_filter filter : {png_filter::none, png_filter::sub, png_filter::up, png_filter::paeth,
                                        png_filter::adaptive}) {
            auto png = encode_png(b, png_options{level, filter, level % 2 == 0});
            ASSERT_TRUE(png) << png.error().to_string();
            const decoded d = decode_png(*png);
            EXPECT_EQ(d.ihdr.width, 13U);
            EXPECT_EQ(d.ihdr.height, 7U);
            EXPECT_EQ(d.ihdr.bit_depth, 8);
            EXPECT_EQ(d.ihdr.color_type, SPNG_COLOR_TYPE_GRAYSCALE);
            EXPECT_EQ(d.pixels, std::vector<unsigned char>(b.samples8().begin(), b.samples8().end()));
        }
    }
}

TEST(Png, Rgb8AndGrey16WithOffsetAndSbit) {
    bitmap rgb(3, 2, 3, 8);
    for (std::size_t i = 0; i < rgb.samples8().size(); ++i) {
        rgb.samples8()[i] = static_cast<std::uint8_t>(255 - i);
    }
    auto png = encode_png(rgb);
    ASSERT_TRUE(png);
    const decoded d = decode_png(*png);
    EXPECT_EQ(d.ihdr.color_type, SPNG_COLOR_TYPE_TRUECOLOR);
    EXPECT_EQ(d.pixels, std::vector<unsigned char>(rgb.samples8().begin(), rgb.samples8().end()));

    bitmap g16(2, 2, 1, 16);
    const std::vector<std::uint16_t> values{0, 4095, 0x1234, 0xFFFF};
    std::copy(values.begin(), values.end(), g16.samples16().begin());
    g16.set_significant_bits(12);
    g16.set_value_offset(32768);
    auto png16 = encode_png(g16);
    ASSERT_TRUE(png16);
    const decoded d16 = decode_png(*png16);
    EXPECT_EQ(d16.ihdr.bit_depth, 16);
    // SPNG_FMT_PNG decodes 16-bit samples in host order.
    std::vector<std::uint16_t> back(4);
    std::memcpy(back.data(), d16.pixels.data(), 8);
    EXPECT_EQ(back, values);
    EXPECT_EQ(d16.offset_text, "32768");
    ASSERT_TRUE(d16.has_sbit);
    EXPECT_EQ(d16.sbit.grayscale_bits, 12);
}

TEST(Png, EmptyOrOddBitmapsAreRefused) {
    EXPECT_EQ(encode_png(bitmap{}).error().code, errc::invalid_argument);
    EXPECT_EQ(encode_png(bitmap(2, 2, 2, 8)).error().code, errc::invalid_argument);
    EXPECT_EQ(write_pnm(bitmap{}, static_cast<std::FILE*>(nullptr)).error().code, errc::invalid_argument);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Pnm, HeaderAndSamples) {
    const fs::path dir = fs::temp_directory_path() / "dicompix_test_pnm";
    fs::create_directories(dir);
    bitmap b(2, 1, 1, 8);
    b.samples8()[0] = 7;
    b.samples8()[1] = 255;
    ASSERT_TRUE(write_image(b, dir / "a.pgm"));
    EXPECT_EQ(slurp(dir / "a.pgm"), std::string("P5\n2 1\n255\n\x07\xff", 13));
    bitmap rgb(1, 1, 3, 8);
    rgb.samples8()[0] = 1;
    rgb.samples8()[1] = 2;
    rgb.samples8()[2] = 3;
    ASSERT_TRUE(write_image(rgb, dir / "b.PPM"));
    EXPECT_EQ(slurp(dir / "b.PPM"), std::string("P6\n1 1\n255\n\x01\x02\x03", 14));
    bitmap w(1, 1, 1, 16);
    w.samples16()[0] = 0x1234;
    ASSERT_TRUE(write_image(w, dir / "c.pnm"));
    EXPECT_EQ(slurp(dir / "c.pnm"), std::string("P5\n1 1\n65535\n\x12\x34", 15)); // big-endian samples
    ASSERT_TRUE(write_image(rgb, dir / "d.png"));
    EXPECT_EQ(slurp(dir / "d.png").substr(1, 3), "PNG");
    auto bad = write_image(rgb, dir / "e.jpg");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, errc::invalid_argument);
    auto unwritable = write_image(rgb, dir / "no" / "such" / "dir" / "f.png");
    ASSERT_FALSE(unwritable);
    EXPECT_EQ(unwritable.error().code, errc::io_error);
    fs::remove_all(dir);
}

TEST(Bitmap, ResetReusesTheBuffer) {
    bitmap b(100, 100, 3, 8);
    const auto* before = b.samples8().data();
    b.reset(10, 10, 1, 8);
    EXPECT_EQ(b.samples8().data(), before);
    EXPECT_EQ(b.sample_count(), 100U);
    EXPECT_TRUE(b.samples16().empty());
    b.reset(50, 50, 1, 16);
    EXPECT_EQ(b.samples16().size(), 2500U);
}

} // namespace
} // namespace dicompix
