// SPDX-License-Identifier: BSD-3-Clause
// Overlay planes (PS3.3 C.9.2): burned in only on request, placed by Overlay Origin and clipped to the image,
// both byte orders, embedded in unused Pixel Data bits (retired), and planes whose size does not fit their
// data (GDCM CVE-2025-52582) skipped or refused without reading past the data.
#include <gtest/gtest.h>

#include <vector>

#include "render/render_support.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;
using test::encode;
using test::has_warning;
using test::render;
using test::test_image;
using u16v = std::vector<std::uint16_t>;

constexpr std::uint16_t black_window_center = 1000; // window far above the zero pixels: all black

/// 6 x 6 zero image with a 4 x 4 diagonal overlay (bits 0, 5, 10, 15 set) at 1-based origin (row, column).
test_image with_overlay(std::int16_t row, std::int16_t column, bool big_endian = false, std::uint16_t rows = 4,
                        std::uint16_t columns = 4) {
    test_image im;
    im.rows = 6;
    im.columns = 6;
    im.big_endian = big_endian;
    im.pixels = bytes(36, std::byte{0});
    const auto t = [](std::uint16_t e) { return tag{0x6000, e}; }; // copied into the writers below
    im.add(t(0x0010), [=](dicom_builder& b) { b.us(t(0x0010), {rows}); });
    im.add(t(0x0011), [=](dicom_builder& b) { b.us(t(0x0011), {columns}); });
    im.add(t(0x0040), [=](dicom_builder& b) { b.str(t(0x0040), vr::CS, "G"); });
    im.add(t(0x0050), [=](dicom_builder& b) {
        b.us(t(0x0050), {static_cast<std::uint16_t>(row), static_cast<std::uint16_t>(column)}, vr::SS);
    });
    im.add(t(0x0100), [=](dicom_builder& b) { b.us(t(0x0100), {1}); });
    im.add(t(0x0102), [=](dicom_builder& b) { b.us(t(0x0102), {0}); });
    // Pixel i of the overlay is bit i: bits 0 and 5 in the first byte, 10 and 15 in the second, i.e. the 16-bit
    // word 0x8421 (OW: a word in the dataset's byte order).
    im.add(t(0x3000), [=](dicom_builder& b) { b.element(t(0x3000), vr::OW, encode<std::uint16_t>({0x8421}, big_endian)); });
    return im;
}

render_options overlays_on() {
    render_options o = test::window_options(black_window_center, 10);
    o.overlays = true;
    return o;
}

u16v white_at(std::initializer_list<std::pair<int, int>> points) {
    u16v out(36, 0);
    for (const auto& [y, x] : points) {
        out[static_cast<std::size_t>(y * 6 + x)] = 255;
    }
    return out;
}

TEST(Overlay, OffByDefaultOnRequest) {
    EXPECT_EQ(render(with_overlay(2, 2), test::window_options(black_window_center, 10)), u16v(36, 0));
    // Origin (2, 2) is 1-based: the overlay's first pixel lands on image (1, 1).
    EXPECT_EQ(render(with_overlay(2, 2), overlays_on()), white_at({{1, 1}, {2, 2}, {3, 3}, {4, 4}}));
}

TEST(Overlay, BigEndianWords) {
    EXPECT_EQ(render(with_overlay(2, 2, true), overlays_on()), white_at({{1, 1}, {2, 2}, {3, 3}, {4, 4}}));
}

TEST(Overlay, ClippedToTheImage) {
    // Origin (6, 6): only the overlay's (0, 0) is inside, at image (5, 5).
    EXPECT_EQ(render(with_overlay(6, 6), overlays_on()), white_at({{5, 5}}));
    // Origin (-1, -1): overlay (2, 2) -> image (0, 0), overlay (3, 3) -> image (1, 1).
    EXPECT_EQ(render(with_overlay(-1, -1), overlays_on()), white_at({{0, 0}, {1, 1}}));
    // Far away: nothing.
    EXPECT_EQ(render(with_overlay(30000, -30000), overlays_on()), u16v(36, 0));
}

TEST(Overlay, LargerThanItsData) {
    // 512 x 512 declared, 2 bytes of data: skipped with a warning (lenient), refused (strict); never read.
    std::vector<warning> w;
    EXPECT_EQ(render(with_overlay(1, 1, false, 512, 512), overlays_on(), 0, &w), u16v(36, 0));
    EXPECT_TRUE(has_warning(w, "Overlay Data has 2"));
    auto strict = overlays_on();
    strict.strict = true;
    auto p = test::pipeline_of(with_overlay(1, 1, false, 512, 512), strict);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, errc::render_error);
    // 5 x 4 needs 20 bits, 16 present.
    EXPECT_FALSE(test::pipeline_of(with_overlay(1, 1, false, 5, 4), strict));
    // Without overlays requested, a broken plane is not even read.
    EXPECT_TRUE(test::pipeline_of(with_overlay(1, 1, false, 512, 512), test::window_options(1000, 10)));
}

TEST(Overlay, EmbeddedInUnusedHighBits) {
    // 12 bits stored in 16; overlay bit 15 (Overlay Bits Allocated 16, Bit Position 15, no Overlay Data).
    test_image im;
    im.columns = 3;
    im.bits_allocated = 16;
    im.bits_stored = 12;
    im.pixels = encode<std::uint16_t>({0x8000, 5, 0x8000 | 10});
    const auto t = [](std::uint16_t e) { return tag{0x6000, e}; };
    im.add(t(0x0010), [=](dicom_builder& b) { b.us(t(0x0010), {1}); });
    im.add(t(0x0011), [=](dicom_builder& b) { b.us(t(0x0011), {3}); });
    im.add(t(0x0100), [=](dicom_builder& b) { b.us(t(0x0100), {16}); });
    im.add(t(0x0102), [=](dicom_builder& b) { b.us(t(0x0102), {15}); });
    auto o = test::window_options(0.5, 256); // y = x + 127.5
    EXPECT_EQ(render(im, o), (u16v{127, 132, 137})); // the stored values are masked to 12 bits
    o.overlays = true;
    EXPECT_EQ(render(im, o), (u16v{255, 132, 255}));
    // A bit position inside the stored bits is not an overlay.
    std::erase_if(im.extra, [&](const auto& e) { return e.first == t(0x0102); });
    im.add(t(0x0102), [=](dicom_builder& b) { b.us(t(0x0102), {3}); });
    std::vector<warning> w;
    EXPECT_EQ(render(im, o, 0, &w), (u16v{127, 132, 137}));
    EXPECT_TRUE(has_warning(w, "Bit Position 3"));
}

TEST(Overlay, MissingDataIsSkipped) {
    // Overlay Rows / Columns but neither data nor an embedded bit (libdicom's ct_brain_single.dcm has this).
    auto im = with_overlay(1, 1);
    std::erase_if(im.extra, [](const auto& e) { return e.first == tag{0x6000, 0x3000}; });
    std::vector<warning> w;
    EXPECT_EQ(render(im, overlays_on(), 0, &w), u16v(36, 0));
    EXPECT_TRUE(has_warning(w, "skipped"));
}

} // namespace
} // namespace dicompix
