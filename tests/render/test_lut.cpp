// SPDX-License-Identifier: BSD-3-Clause
// The LUT building blocks with values computed by hand from the standard: VOI functions (PS3.3 C.11.2.1.2,
// C.11.2.1.3), LUT descriptors (C.11.1.1.1, C.11.2.1.1, C.7.6.3.1.5) and segmented palettes (C.7.9.2),
// including malformed ones, which must fail or clamp, never read outside their data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "dicompix/tags.hpp"
#include "render/lut.hpp"

namespace dicompix::render_detail {
namespace {

element words_element(tag t, vr v, const std::vector<std::uint16_t>& w) {
    return element::from_numbers<std::uint16_t>(t, v, std::span<const std::uint16_t>(w));
}

element descriptor(std::uint16_t entries, std::uint16_t first, std::uint16_t bits, vr v = vr::US) {
    return words_element(tags::LUTDescriptor, v, {entries, first, bits});
}

window make(double c, double w, voi_function f) {
    window x;
    x.center = c;
    x.width = w;
    x.function = f;
    return x;
}

// ---- VOI functions --------------------------------------------------------------------------------------

TEST(VoiFunction, LinearByHand) {
    // C.11.2.1.2.1 with c = 40, w = 400: bottom at c - 0.5 - (w-1)/2 = -160, top at c - 0.5 + (w-1)/2 = 239,
    // y = ((x - 39.5) / 399 + 0.5) * 255 in between.
    const window w = make(40, 400, voi_function::linear);
    EXPECT_EQ(window_fraction(-160, w), 0.0);
    EXPECT_EQ(window_fraction(-1000, w), 0.0);
    EXPECT_NEAR(window_fraction(-159, w) * 255, 0.639098, 1e-5);   // (-198.5/399 + 0.5) * 255
    EXPECT_NEAR(window_fraction(40, w) * 255, 127.819549, 1e-5);   // (0.5/399 + 0.5) * 255
    EXPECT_NEAR(window_fraction(100, w) * 255, 166.165414, 1e-5);  // (60.5/399 + 0.5) * 255
    EXPECT_NEAR(window_fraction(239, w) * 255, 255.0, 1e-9);       // x = top: the formula reaches ymax
    EXPECT_EQ(window_fraction(239.5, w), 1.0);
    // "A Window Center of 2^n-1 and a Window Width of 2^n selects the range of input values from 0 to 2^n-1."
    const window full = make(2048, 4096, voi_function::linear);
    EXPECT_EQ(window_fraction(0, full), 0.0);
    EXPECT_NEAR(window_fraction(4095, full), 1.0, 1e-12);
    EXPECT_EQ(window_fraction(4096, full), 1.0);
    // Width 1 is a threshold at c - 0.5.
    const window one = make(10, 1, voi_function::linear);
    EXPECT_EQ(window_fraction(9.5, one), 0.0);
    EXPECT_EQ(window_fraction(9.6, one), 1.0);
}

TEST(VoiFunction, LinearExactByHand) {
    // C.11.2.1.3.2 with c = 40, w = 400: y = ((x - 40) / 400 + 0.5) * 255 between -160 and 240.
    const window w = make(40, 400, voi_function::linear_exact);
    EXPECT_EQ(window_fraction(-160, w), 0.0);
    EXPECT_NEAR(window_fraction(-60, w) * 255, 63.75, 1e-9);
    EXPECT_NEAR(window_fraction(40, w) * 255, 127.5, 1e-9);
    EXPECT_NEAR(window_fraction(140, w) * 255, 191.25, 1e-9);
    EXPECT_NEAR(window_fraction(240, w) * 255, 255.0, 1e-9);
    EXPECT_EQ(window_fraction(240.001, w), 1.0);
    // LINEAR_EXACT allows widths below 1.
    EXPECT_TRUE(window_is_valid(make(0.5, 0.25, voi_function::linear_exact)));
    EXPECT_NEAR(window_fraction(0.5, make(0.5, 0.25, voi_function::linear_exact)), 0.5, 1e-12);
}

TEST(VoiFunction, SigmoidByHand) {
    // C.11.2.1.3.1: y = 255 / (1 + exp(-4 (x - c) / w)); c = 40, w = 400.
    const window w = make(40, 400, voi_function::sigmoid);
    EXPECT_NEAR(window_fraction(40, w) * 255, 127.5, 1e-9);
    EXPECT_NEAR(window_fraction(140, w) * 255, 255 / (1 + std::exp(-1.0)), 1e-9); // 186.41994
    EXPECT_NEAR(window_fraction(140, w) * 255, 186.419938, 1e-5);
    EXPECT_NEAR(window_fraction(-60, w) * 255, 68.580062, 1e-5);
    EXPECT_NEAR(window_fraction(1e9, w), 1.0, 1e-12);
    EXPECT_NEAR(window_fraction(-1e9, w), 0.0, 1e-12);
}

TEST(VoiFunction, InvalidWidths) {
    EXPECT_FALSE(window_is_valid(make(40, 0.5, voi_function::linear))); // LINEAR needs w >= 1
    EXPECT_FALSE(window_is_valid(make(40, 0, voi_function::linear)));
    EXPECT_FALSE(window_is_valid(make(40, -10, voi_function::linear)));
    EXPECT_FALSE(window_is_valid(make(40, 0, voi_function::linear_exact)));
    EXPECT_FALSE(window_is_valid(make(40, -1, voi_function::sigmoid)));
    EXPECT_FALSE(window_is_valid(make(NAN, 10, voi_function::linear)));
    EXPECT_FALSE(window_is_valid(make(10, INFINITY, voi_function::linear)));
    EXPECT_TRUE(window_is_valid(make(40, 1, voi_function::linear)));
}

TEST(VoiFunction, ParseNames) {
    voi_function f{};
    EXPECT_TRUE(parse_voi_function("LINEAR_EXACT", f));
    EXPECT_EQ(f, voi_function::linear_exact);
    EXPECT_TRUE(parse_voi_function("SIGMOID", f));
    EXPECT_EQ(f, voi_function::sigmoid);
    EXPECT_FALSE(parse_voi_function("linear", f));
    EXPECT_FALSE(parse_voi_function("", f));
}

// ---- LUT descriptors ---------------------------------------------------------------------------------------

TEST(Lut, DescriptorAndClamping) {
    std::vector<warning> w;
    const diagnostics diag{&w, false};
    auto l = parse_lut(descriptor(4, 10, 16), words_element(tags::LUTData, vr::OW, {100, 200, 300, 400}), false, diag, "");
    ASSERT_TRUE(l) << l.error().to_string();
    EXPECT_EQ(l->first, 10);
    EXPECT_EQ(l->bits, 16);
    EXPECT_EQ(l->at(-5), 100); // below the first value mapped: first entry (C.11.2.1.1)
    EXPECT_EQ(l->at(10), 100);
    EXPECT_EQ(l->at(12), 300);
    EXPECT_EQ(l->at(13), 400);
    EXPECT_EQ(l->at(1000000), 400); // beyond the last: last entry
    EXPECT_TRUE(w.empty());
}

TEST(Lut, FirstValueMappedSignedOrUnsigned) {
    const diagnostics diag{};
    // 0xFFFE is -2 when the input is signed (C.11.1.1.1: SS when Pixel Representation is 1), else 65534.
    auto s = parse_lut(descriptor(2, 0xFFFE, 16, vr::SS), words_element(tags::LUTData, vr::OW, {7, 9}), true, diag, "");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->first, -2);
    EXPECT_EQ(s->at(-1), 9);
    auto u = parse_lut(descriptor(2, 0xFFFE, 16), words_element(tags::LUTData, vr::OW, {7, 9}), false, diag, "");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->first, 65534);
}

TEST(Lut, ZeroEntriesMeans65536) {
    std::vector<std::uint16_t> ramp(65536);
    for (std::size_t i = 0; i < ramp.size(); ++i) {
        ramp[i] = static_cast<std::uint16_t>(65535 - i);
    }
    std::vector<warning> w;
    auto l = parse_lut(descriptor(0, 0, 16), words_element(tags::LUTData, vr::OW, ramp), false, diagnostics{&w, true}, "");
    ASSERT_TRUE(l) << l.error().to_string();
    EXPECT_EQ(l->entries.size(), 65536U);
    EXPECT_EQ(l->at(0), 65535);
    EXPECT_EQ(l->at(65535), 0);
    EXPECT_TRUE(w.empty());
}

TEST(Lut, EightBitEntriesOnePerWordAndPacked) {
    const diagnostics diag{};
    // One 8-bit entry per 16-bit word (the usual encoding).
    auto one = parse_lut(descriptor(3, 0, 8), words_element(tags::LUTData, vr::OW, {10, 20, 255}), false, diag, "");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->bits, 8);
    EXPECT_EQ(one->entries, (std::vector<std::uint16_t>{10, 20, 255}));
    // Packed two per word, first entry in the low byte: 4 entries in 2 words.
    auto packed = parse_lut(descriptor(4, 0, 8), words_element(tags::LUTData, vr::OW, {0x1405, 0xFF80}), false, diag, "");
    ASSERT_TRUE(packed);
    EXPECT_EQ(packed->entries, (std::vector<std::uint16_t>{0x05, 0x14, 0x80, 0xFF}));
    // 16-bit entries are kept whole; 8-bit ones are masked to 8 bits.
    auto wide = parse_lut(descriptor(2, 0, 16), words_element(tags::LUTData, vr::OW, {0x1234, 0xFFFF}), false, diag, "");
    ASSERT_TRUE(wide);
    EXPECT_EQ(wide->entries, (std::vector<std::uint16_t>{0x1234, 0xFFFF}));
    auto masked = parse_lut(descriptor(2, 0, 8), words_element(tags::LUTData, vr::OW, {0x1234, 0x00FF, 7}), false, diag, "");
    ASSERT_TRUE(masked);
    EXPECT_EQ(masked->entries, (std::vector<std::uint16_t>{0x34, 0xFF}));
}

TEST(Lut, DescriptorLiesAboutLength) {
    // 4096 entries declared, 3 present: lenient cuts the table to the data (inputs beyond clamp to the last
    // entry), strict refuses. Never a read past the data (ASan).
    std::vector<warning> w;
    auto l = parse_lut(descriptor(4096, 0, 16), words_element(tags::LUTData, vr::OW, {1, 2, 3}), false,
                       diagnostics{&w, false}, "(0028,3010)[0]");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->entries.size(), 3U);
    EXPECT_EQ(l->at(4095), 3);
    ASSERT_EQ(w.size(), 1U);
    EXPECT_NE(w[0].message.find("4096"), std::string::npos);
    EXPECT_EQ(w[0].tag_path, "(0028,3010)[0]");
    auto strict = parse_lut(descriptor(4096, 0, 16), words_element(tags::LUTData, vr::OW, {1, 2, 3}), false,
                            diagnostics{nullptr, true}, "");
    ASSERT_FALSE(strict);
    EXPECT_EQ(strict.error().code, errc::invalid_lut);
    // More data than declared: the extra entries are ignored.
    auto longer = parse_lut(descriptor(2, 0, 16), words_element(tags::LUTData, vr::OW, {5, 6, 7, 8, 9}), false,
                            diagnostics{}, "");
    ASSERT_TRUE(longer);
    EXPECT_EQ(longer->entries.size(), 2U);
}

TEST(Lut, MalformedDescriptorOrData) {
    const diagnostics diag{};
    EXPECT_EQ(parse_lut(words_element(tags::LUTDescriptor, vr::US, {4, 0}), words_element(tags::LUTData, vr::OW, {1}), false, diag, "")
                  .error()
                  .code,
              errc::invalid_lut);
    EXPECT_EQ(parse_lut(descriptor(4, 0, 16), element::owning(tags::LUTData, vr::OW, {}), false, diag, "").error().code,
              errc::invalid_lut);
    // A descriptor that is text: no words at all.
    EXPECT_FALSE(parse_lut(element::from_string(tags::LUTDescriptor, vr::LO, "4\\0\\16"),
                           words_element(tags::LUTData, vr::OW, {1, 2, 3, 4}), false, diag, ""));
    // Bits per entry out of range: taken from the data (width of the largest entry, at least 8).
    std::vector<warning> w;
    auto l = parse_lut(descriptor(2, 0, 40), words_element(tags::LUTData, vr::OW, {0x0FFF, 3}), false, diagnostics{&w, false}, "");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->bits, 12);
    EXPECT_FALSE(w.empty());
}

TEST(Lut, BigEndianWordsAndObBytes) {
    // OW in a big-endian dataset: words stored most significant byte first.
    std::vector<std::byte> be{std::byte{0x12}, std::byte{0x34}, std::byte{0xAB}, std::byte{0xCD}};
    const element ow = element::owning(tags::LUTData, vr::OW, be, true);
    EXPECT_EQ(read_words(ow), (std::vector<std::uint16_t>{0x1234, 0xABCD}));
    // OB is a byte stream: never swapped, words are little-endian pairs.
    const element ob = element::owning(tags::LUTData, vr::OB, be, true);
    EXPECT_EQ(read_words(ob), (std::vector<std::uint16_t>{0x3412, 0xCDAB}));
}

TEST(Lut, NumbersOfUnknownVr) {
    // A DS element that went through a system without the dictionary arrives as UN: its bytes are the text.
    const std::string text = "40\\-400.5 ";
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    const element un = element::owning(tags::WindowCenter, vr::UN, bytes);
    EXPECT_EQ(number_count(un), 2U);
    EXPECT_EQ(number_value(un, 0).value(), 40.0);
    EXPECT_EQ(number_value(un, 1).value(), -400.5);
    EXPECT_FALSE(number_value(un, 2));
    const element junk = element::owning(tags::WindowCenter, vr::UN, {std::byte{0x41}, std::byte{0x42}});
    EXPECT_FALSE(number_value(junk, 0));
    const element ds = element::from_string(tags::WindowCenter, vr::DS, "1.5\\2");
    EXPECT_EQ(number_count(ds), 2U);
    EXPECT_EQ(number_value(ds, 1).value(), 2.0);
}

// ---- segmented palettes (C.7.9.2) ------------------------------------------------------------------------------

TEST(SegmentedLut, DiscreteLinearIndirect) {
    // discrete (0): 3 values 0, 10, 20; linear (1): 4 steps to 60 -> 30, 40, 50, 60;
    // indirect (2): copy 1 segment from word offset 0 (low word 0, high word 0) -> 0, 10, 20 again.
    const std::vector<std::uint16_t> data{0, 3, 0, 10, 20, 1, 4, 60, 2, 1, 0, 0};
    auto out = expand_segmented(data, 10, diagnostics{nullptr, true});
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(*out, (std::vector<std::uint16_t>{0, 10, 20, 30, 40, 50, 60, 0, 10, 20}));
}

TEST(SegmentedLut, LinearRoundsToNearest) {
    // From 0 to 10 in 4 steps: 2.5, 5, 7.5, 10 -> 3, 5, 8, 10 (half away from zero).
    auto out = expand_segmented(std::vector<std::uint16_t>{0, 1, 0, 1, 4, 10}, 5, diagnostics{nullptr, true});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, (std::vector<std::uint16_t>{0, 3, 5, 8, 10}));
    // Descending.
    auto down = expand_segmented(std::vector<std::uint16_t>{0, 1, 100, 1, 2, 0}, 3, diagnostics{nullptr, true});
    ASSERT_TRUE(down);
    EXPECT_EQ(*down, (std::vector<std::uint16_t>{100, 50, 0}));
}

TEST(SegmentedLut, MalformedSegments) {
    const diagnostics strict{nullptr, true};
    // A linear segment with nothing before it.
    EXPECT_EQ(expand_segmented(std::vector<std::uint16_t>{1, 4, 60}, 4, strict).error().code, errc::invalid_lut);
    // Discrete segment longer than the data.
    EXPECT_FALSE(expand_segmented(std::vector<std::uint16_t>{0, 50, 1, 2}, 50, strict));
    // Truncated header, unknown opcode.
    EXPECT_FALSE(expand_segmented(std::vector<std::uint16_t>{0}, 1, strict));
    EXPECT_FALSE(expand_segmented(std::vector<std::uint16_t>{7, 1, 1}, 1, strict));
    // Indirect offset outside the data; indirect pointing at an indirect segment.
    EXPECT_FALSE(expand_segmented(std::vector<std::uint16_t>{0, 1, 5, 2, 1, 0xFFFF, 0x7FFF}, 4, strict));
    EXPECT_FALSE(expand_segmented(std::vector<std::uint16_t>{0, 1, 5, 2, 1, 3, 0}, 4, strict));
    // Fewer entries than declared: strict refuses, lenient keeps them (the last one repeats on lookup).
    EXPECT_FALSE(expand_segmented(std::vector<std::uint16_t>{0, 2, 1, 2}, 4, strict));
    std::vector<warning> w;
    auto few = expand_segmented(std::vector<std::uint16_t>{0, 2, 1, 2}, 4, diagnostics{&w, false});
    ASSERT_TRUE(few);
    EXPECT_EQ(few->size(), 2U);
    EXPECT_EQ(w.size(), 1U);
}

TEST(SegmentedLut, RunawaySegmentCountsAreBounded) {
    // Linear segments of 65535 steps each, far more than the 16 entries declared: cut (lenient) or refused
    // (strict), in bounded time.
    std::vector<std::uint16_t> data{0, 1, 0};
    for (int i = 0; i < 1000; ++i) {
        data.insert(data.end(), {1, 65535, static_cast<std::uint16_t>(i)});
    }
    std::vector<warning> w;
    auto cut = expand_segmented(data, 16, diagnostics{&w, false});
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->size(), 16U);
    EXPECT_FALSE(w.empty());
    EXPECT_FALSE(expand_segmented(data, 16, diagnostics{nullptr, true}));

    // Indirect segments that each copy 65535 zero-length segments: the work budget stops them.
    std::vector<std::uint16_t> bomb{0, 1, 7};
    for (int i = 0; i < 4000; ++i) {
        bomb.insert(bomb.end(), {2, 65535, 0, 0});
    }
    // Offset 0 points at the discrete segment "0,1,7"; copying 65535 segments walks on into the indirect ones,
    // which is refused (an indirect segment may not copy another one).
    auto r = expand_segmented(bomb, 65536, diagnostics{nullptr, false});
    EXPECT_FALSE(r);
    // 2000 indirect segments each copying 2000 zero-length discrete segments (4 million segment visits for no
    // entry): the work budget refuses it early.
    std::vector<std::uint16_t> zeros{0, 1, 7};
    for (int i = 0; i < 2000; ++i) {
        zeros.insert(zeros.end(), {0, 0});
    }
    for (int i = 0; i < 2000; ++i) {
        zeros.insert(zeros.end(), {2, 2000, 3, 0});
    }
    auto z = expand_segmented(zeros, 100, diagnostics{nullptr, false});
    ASSERT_FALSE(z);
    EXPECT_NE(z.error().message.find("runaway"), std::string::npos) << z.error().message;
}

TEST(SegmentedLut, ParsedWithDescriptor) {
    std::vector<warning> w;
    auto l = parse_segmented_lut(descriptor(0, 0, 16), words_element(tags::SegmentedRedPaletteColorLookupTableData, vr::OW,
                                                                    {0, 1, 0, 1, 65535, 65535}),
                                 diagnostics{&w, false}, "");
    ASSERT_TRUE(l) << l.error().to_string();
    EXPECT_EQ(l->entries.size(), 65536U); // descriptor 0: 65536 entries, 1 + 65535 from the linear segment
    EXPECT_EQ(l->at(0), 0);
    EXPECT_EQ(l->at(65535), 65535);
    EXPECT_EQ(l->at(32768), 32768);
    EXPECT_TRUE(w.empty());
}

} // namespace
} // namespace dicompix::render_detail
