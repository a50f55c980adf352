// SPDX-License-Identifier: BSD-3-Clause
// The display pipeline end to end on images built in memory, with expected values computed by hand from
// PS3.3 C.11 (Modality, VOI, Presentation LUT), C.7.6.3.1 (MONOCHROME1, PALETTE COLOR, YBR), C.7.9 (segmented
// palettes), C.7.6.16 (functional groups) and C.9.2 (overlays); 8-bit output truncates the continuous value
// (doc/design.md, "Rendering"). Malformed inputs must give an error or a documented recovery with a warning.
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
using test::sequence;
using test::test_image;
using test::window_options;
using u16v = std::vector<std::uint16_t>;

/// 1 x 5 signed CT: stored -1024, 0, 1064, 1124, 3000 with Rescale Intercept -1024 -> HU -2048, -1024, 40, 100, 1976.
test_image ct() {
    test_image im;
    im.columns = 5;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.pixel_representation = 1;
    im.pixels = encode<std::int16_t>({-1024, 0, 1064, 1124, 3000});
    im.ds(tags::RescaleIntercept, "-1024").ds(tags::RescaleSlope, "1");
    return im;
}

/// 1 x 4 unsigned 16-bit: 100, 200, 300, 150.
test_image ramp16() {
    test_image im;
    im.columns = 4;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.pixels = encode<std::uint16_t>({100, 200, 300, 150});
    return im;
}

/// 1 x 4 unsigned 8-bit: 0, 10, 100, 200.
test_image grey8(std::string pi = "MONOCHROME2") {
    test_image im;
    im.columns = 4;
    im.photometric = std::move(pi);
    im.pixels = bytes{std::byte{0}, std::byte{10}, std::byte{100}, std::byte{200}};
    return im;
}

// ---- Modality + VOI window functions ------------------------------------------------------------------------

TEST(Render, LinearWindowFromFileAfterRescale) {
    // C.11.2.1.2.1, c = 40, w = 400: -160 -> 0, 239 -> 255; 40 -> 127.8, 100 -> 166.2.
    auto im = ct();
    im.ds(tags::WindowCenter, "40").ds(tags::WindowWidth, "400");
    EXPECT_EQ(render(im), (u16v{0, 0, 127, 166, 255}));
    auto p = test::pipeline_of(im);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->describe(0), "modality=rescale(1,-1024)@top voi=window(40,400,LINEAR,file:0@top) presentation=identity "
                              "output=display8 overlays=0");
}

TEST(Render, SecondWindowSelected) {
    // Window 1: c = 400, w = 2000 -> bottom -600; 40 -> ((40-399.5)/1999+0.5)*255 = 81.6; 100 -> 89.3.
    auto im = ct();
    im.ds(tags::WindowCenter, "40\\400").ds(tags::WindowWidth, "400\\2000");
    render_options o;
    o.voi.mode = voi_mode::file_window;
    o.voi.index = 1;
    EXPECT_EQ(render(im, o), (u16v{0, 0, 81, 89, 255}));
    EXPECT_EQ(render(im), (u16v{0, 0, 127, 166, 255})); // automatic: the first
}

TEST(Render, LinearExactFromFile) {
    // C.11.2.1.3.2, c = 40, w = 400: 40 -> 127.5, 100 -> 165.75.
    auto im = ct();
    im.ds(tags::WindowCenter, "40").ds(tags::WindowWidth, "400").cs(tags::VOILUTFunction, "LINEAR_EXACT");
    EXPECT_EQ(render(im), (u16v{0, 0, 127, 165, 255}));
}

TEST(Render, SigmoidFromFile) {
    // C.11.2.1.3.1, c = 40, w = 400: 100 -> 255 / (1 + e^-0.6) = 164.6; 1976 -> 254.99999.
    auto im = ct();
    im.ds(tags::WindowCenter, "40").ds(tags::WindowWidth, "400").cs(tags::VOILUTFunction, "SIGMOID");
    EXPECT_EQ(render(im), (u16v{0, 0, 127, 164, 254}));
    // The caller's function overrides the file's.
    render_options o;
    o.voi.function = voi_function::linear;
    EXPECT_EQ(render(im, o), (u16v{0, 0, 127, 166, 255}));
}

TEST(Render, ModalityLutSequence) {
    // C.11.1.1.1: LUT Descriptor 4 entries, first stored value mapped 10, 16 bits; values outside clamp.
    test_image im;
    im.columns = 6;
    im.pixels = bytes{std::byte{9}, std::byte{10}, std::byte{11}, std::byte{12}, std::byte{13}, std::byte{200}};
    im.add(tags::ModalityLUTSequence, sequence(tags::ModalityLUTSequence, [](dicom_builder& b) {
        b.us(tags::LUTDescriptor, {4, 10, 16});
        b.str(tags::LUTExplanation, vr::LO, "test");
        b.element(tags::LUTData, vr::OW, encode<std::uint16_t>({100, 200, 300, 400}));
    }));
    render_options raw;
    raw.output = output_kind::modality16;
    EXPECT_EQ(render(im, raw), (u16v{100, 100, 200, 300, 400, 400}));
    // LINEAR_EXACT c = 250, w = 400 on modality values: ((m - 250) / 400 + 0.5) * 255.
    EXPECT_EQ(render(im, window_options(250, 400, voi_function::linear_exact)), (u16v{31, 31, 95, 159, 223, 223}));
    // A Modality LUT wins over a Rescale that is also present (warning).
    im.ds(tags::RescaleIntercept, "5").ds(tags::RescaleSlope, "2");
    std::vector<warning> w;
    EXPECT_EQ(render(im, raw, 0, &w), (u16v{100, 100, 200, 300, 400, 400}));
    EXPECT_TRUE(has_warning(w, "Modality LUT"));
}

TEST(Render, SignedModalityLutFirstValue) {
    // Pixel Representation 1: the descriptor's second value is signed (-2 = 0xFFFE).
    test_image im;
    im.columns = 3;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.pixel_representation = 1;
    im.pixels = encode<std::int16_t>({-3, -1, 5});
    im.add(tags::ModalityLUTSequence, sequence(tags::ModalityLUTSequence, [](dicom_builder& b) {
        b.us(tags::LUTDescriptor, {3, 0xFFFE, 16}, vr::SS);
        b.element(tags::LUTData, vr::OW, encode<std::uint16_t>({1000, 2000, 3000}));
    }));
    render_options raw;
    raw.output = output_kind::modality16;
    EXPECT_EQ(render(im, raw), (u16v{1000, 2000, 3000}));
}

TEST(Render, VoiLutSequenceEightBitEntries) {
    // VOI LUT of 8-bit entries: the output is the entry (scaled by 256 / 2^8).
    test_image im;
    im.columns = 5;
    im.pixels = bytes{std::byte{0}, std::byte{1}, std::byte{2}, std::byte{3}, std::byte{9}};
    im.add(tags::VOILUTSequence, sequence(tags::VOILUTSequence, [](dicom_builder& b) {
        b.us(tags::LUTDescriptor, {4, 0, 8});
        b.element(tags::LUTData, vr::OW, encode<std::uint16_t>({0, 100, 200, 255}));
    }));
    EXPECT_EQ(render(im), (u16v{0, 100, 200, 255, 255}));
}

TEST(Render, VoiLutDescriptorZeroMeans65536) {
    // Descriptor (0, 0, 16): 65536 entries of 16 bits; an identity ramp gives entry * 256 / 65536.
    test_image im;
    im.columns = 5;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.pixels = encode<std::uint16_t>({0, 255, 256, 32768, 65535});
    std::vector<std::uint16_t> ramp(65536);
    for (std::size_t i = 0; i < ramp.size(); ++i) {
        ramp[i] = static_cast<std::uint16_t>(i);
    }
    im.add(tags::VOILUTSequence, sequence(tags::VOILUTSequence, [ramp](dicom_builder& b) {
        b.us(tags::LUTDescriptor, {0, 0, 16});
        b.element(tags::LUTData, vr::OW, encode<std::uint16_t>(ramp));
    }));
    EXPECT_EQ(render(im), (u16v{0, 0, 1, 128, 255}));
}

TEST(Render, VoiLutShorterThanDeclared) {
    // 4096 entries declared, 4 present: lenient clamps to the last entry with a warning; strict refuses.
    test_image im;
    im.columns = 3;
    im.bits_allocated = 16;
    im.bits_stored = 12;
    im.pixels = encode<std::uint16_t>({0, 3, 4000});
    im.add(tags::VOILUTSequence, sequence(tags::VOILUTSequence, [](dicom_builder& b) {
        b.us(tags::LUTDescriptor, {4096, 0, 8});
        b.element(tags::LUTData, vr::OW, encode<std::uint16_t>({10, 20, 30, 40}));
    }));
    std::vector<warning> w;
    EXPECT_EQ(render(im, {}, 0, &w), (u16v{10, 40, 40}));
    EXPECT_TRUE(has_warning(w, "4096"));
    render_options strict;
    strict.strict = true;
    auto p = test::pipeline_of(im, strict);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, errc::invalid_lut);
}

TEST(Render, MinMaxWindow) {
    // No window in the file: centre (min + max + 1) / 2, width max - min + 1 (DCMTK): 100 -> 0, 200 -> 127.5,
    // 300 -> 255, 150 -> 63.75.
    EXPECT_EQ(render(ramp16()), (u16v{0, 127, 255, 63}));
    // The window is taken on modality values: slope 2, intercept -100 -> 100, 300, 500, 200: same shares.
    auto im = ramp16();
    im.ds(tags::RescaleIntercept, "-100").ds(tags::RescaleSlope, "2");
    EXPECT_EQ(render(im), (u16v{0, 127, 255, 63}));
    // One value only: all black.
    auto flat = ramp16();
    flat.pixels = encode<std::uint16_t>({7, 7, 7, 7});
    EXPECT_EQ(render(flat), (u16v{0, 0, 0, 0}));
}

TEST(Render, NoVoiScalesTheFullRange) {
    // 8 bits unsigned without VOI: (m - 0) * 256 / 256.
    render_options o;
    o.voi.mode = voi_mode::none;
    EXPECT_EQ(render(grey8(), o), (u16v{0, 10, 100, 200}));
}

// ---- Presentation LUT and MONOCHROME1 ----------------------------------------------------------------------------

TEST(Render, Monochrome1AndPresentationShape) {
    // Window c = 0.5, w = 256: y = x + 127.5 up to 127.5, then 255; inverted: 255 - y.
    const auto w = window_options(0.5, 256);
    const u16v normal{127, 137, 227, 255};
    const u16v inverse{127, 117, 27, 0};
    EXPECT_EQ(render(grey8("MONOCHROME2"), w), normal);
    EXPECT_EQ(render(grey8("MONOCHROME1"), w), inverse); // C.7.6.3.1.2: minimum is white
    auto inv = grey8("MONOCHROME2");
    inv.cs(tags::PresentationLUTShape, "INVERSE"); // C.11.6.1.2
    EXPECT_EQ(render(inv, w), inverse);
    auto mono1_inverse = grey8("MONOCHROME1");
    mono1_inverse.cs(tags::PresentationLUTShape, "INVERSE"); // the same statement, not a second inversion
    EXPECT_EQ(render(mono1_inverse, w), inverse);
    auto identity = w;
    identity.presentation = presentation_shape::identity;
    EXPECT_EQ(render(grey8("MONOCHROME1"), identity), normal);
    auto forced = w;
    forced.presentation = presentation_shape::inverse;
    EXPECT_EQ(render(grey8("MONOCHROME2"), forced), inverse);
    auto p = test::pipeline_of(grey8("MONOCHROME1"), w);
    ASSERT_TRUE(p);
    EXPECT_NE(p->describe(0).find("presentation=inverse"), std::string::npos);
}

// ---- PALETTE COLOR -----------------------------------------------------------------------------------------------

test_image palette_image() {
    test_image im;
    im.columns = 5;
    im.photometric = "PALETTE COLOR";
    im.pixels = bytes{std::byte{0}, std::byte{1}, std::byte{2}, std::byte{3}, std::byte{200}};
    // Red: 16-bit entries (high byte shown); green: 8-bit entries, one per word; blue: 8-bit entries packed.
    im.add(tags::RedPaletteColorLookupTableDescriptor,
           [](dicom_builder& b) { b.us(tags::RedPaletteColorLookupTableDescriptor, {4, 0, 16}); });
    im.add(tags::GreenPaletteColorLookupTableDescriptor,
           [](dicom_builder& b) { b.us(tags::GreenPaletteColorLookupTableDescriptor, {4, 0, 8}); });
    im.add(tags::BluePaletteColorLookupTableDescriptor,
           [](dicom_builder& b) { b.us(tags::BluePaletteColorLookupTableDescriptor, {4, 0, 8}); });
    im.add(tags::RedPaletteColorLookupTableData, [](dicom_builder& b) {
        b.element(tags::RedPaletteColorLookupTableData, vr::OW, encode<std::uint16_t>({0x0000, 0x4000, 0x80FF, 0xFFFF}));
    });
    im.add(tags::GreenPaletteColorLookupTableData, [](dicom_builder& b) {
        b.element(tags::GreenPaletteColorLookupTableData, vr::OW, encode<std::uint16_t>({10, 20, 30, 40}));
    });
    im.add(tags::BluePaletteColorLookupTableData, [](dicom_builder& b) {
        b.element(tags::BluePaletteColorLookupTableData, vr::OW, encode<std::uint16_t>({0x0201, 0x0403}));
    });
    return im;
}

TEST(Render, PaletteEightAndSixteenBitEntries) {
    // Value 200 is beyond the 4-entry tables: the last entry (clamp).
    EXPECT_EQ(render(palette_image()),
              (u16v{0, 10, 1, 64, 20, 2, 128, 30, 3, 255, 40, 4, 255, 40, 4}));
    auto p = test::pipeline_of(palette_image());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->describe(0), "palette(4,first=0,bits=16) output=display8 overlays=0");
}

TEST(Render, PaletteFirstValueMappedAndDescriptorZero) {
    // 16-bit palette image, descriptors (0, 0, 16) = 65536 entries.
    test_image im;
    im.columns = 3;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.photometric = "PALETTE COLOR";
    im.pixels = encode<std::uint16_t>({0, 256, 65535});
    std::vector<std::uint16_t> ramp(65536);
    for (std::size_t i = 0; i < ramp.size(); ++i) {
        ramp[i] = static_cast<std::uint16_t>(i);
    }
    for (const auto& [d, v] : {std::pair{tags::RedPaletteColorLookupTableDescriptor, tags::RedPaletteColorLookupTableData},
                               std::pair{tags::GreenPaletteColorLookupTableDescriptor, tags::GreenPaletteColorLookupTableData},
                               std::pair{tags::BluePaletteColorLookupTableDescriptor, tags::BluePaletteColorLookupTableData}}) {
        im.add(d, [d = d](dicom_builder& b) { b.us(d, {0, 0, 16}); });
        im.add(v, [v = v, ramp](dicom_builder& b) { b.element(v, vr::OW, encode<std::uint16_t>(ramp)); });
    }
    EXPECT_EQ(render(im), (u16v{0, 0, 0, 1, 1, 1, 255, 255, 255}));
    // First value mapped 2 on the 8-bit image: values 0 and 1 clamp to the first entry.
    auto shifted = palette_image();
    for (auto& [t, f] : shifted.extra) {
        if (t == tags::GreenPaletteColorLookupTableDescriptor) {
            f = [](dicom_builder& b) { b.us(tags::GreenPaletteColorLookupTableDescriptor, {4, 2, 8}); };
        }
    }
    const auto out = render(shifted);
    ASSERT_EQ(out.size(), 15U);
    EXPECT_EQ((u16v{out[1], out[4], out[7], out[10], out[13]}), (u16v{10, 10, 10, 20, 40}));
}

TEST(Render, SegmentedPalette) {
    // PS3.3 C.7.9.2: discrete 0,10,20; linear to 60 in 4 steps; indirect copy of the first segment.
    test_image im;
    im.columns = 10;
    im.photometric = "PALETTE COLOR";
    for (int i = 0; i < 10; ++i) {
        im.pixels.push_back(static_cast<std::byte>(i));
    }
    const std::vector<std::uint16_t> seg{0, 3, 0, 10, 20, 1, 4, 60, 2, 1, 0, 0};
    for (const auto& [d, v] :
         {std::pair{tags::RedPaletteColorLookupTableDescriptor, tags::SegmentedRedPaletteColorLookupTableData},
          std::pair{tags::GreenPaletteColorLookupTableDescriptor, tags::SegmentedGreenPaletteColorLookupTableData},
          std::pair{tags::BluePaletteColorLookupTableDescriptor, tags::SegmentedBluePaletteColorLookupTableData}}) {
        im.add(d, [d = d](dicom_builder& b) { b.us(d, {10, 0, 8}); });
        im.add(v, [v = v, seg](dicom_builder& b) { b.element(v, vr::OW, encode<std::uint16_t>(seg)); });
    }
    const u16v expected_grey{0, 10, 20, 30, 40, 50, 60, 0, 10, 20};
    const auto out = render(im);
    ASSERT_EQ(out.size(), 30U);
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(out[3 * i], expected_grey[i]);
        EXPECT_EQ(out[3 * i + 1], expected_grey[i]);
        EXPECT_EQ(out[3 * i + 2], expected_grey[i]);
    }
}

TEST(Render, PaletteWithoutDataOrShortData) {
    auto im = palette_image();
    std::erase_if(im.extra, [](const auto& e) { return e.first == tags::BluePaletteColorLookupTableData; });
    auto p = test::pipeline_of(im);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, errc::invalid_lut);
    // Red descriptor says 300 entries, 4 given: lenient clamps (warning), strict refuses.
    auto shorter = palette_image();
    for (auto& [t, f] : shorter.extra) {
        if (t == tags::RedPaletteColorLookupTableDescriptor) {
            f = [](dicom_builder& b) { b.us(tags::RedPaletteColorLookupTableDescriptor, {300, 0, 16}); };
        }
    }
    std::vector<warning> w;
    const auto out = render(shorter, {}, 0, &w);
    ASSERT_EQ(out.size(), 15U);
    EXPECT_EQ(out[12], 255); // value 200 -> last real entry
    EXPECT_FALSE(w.empty());
    render_options strict;
    strict.strict = true;
    EXPECT_FALSE(test::pipeline_of(shorter, strict));
}

// ---- YBR to RGB ---------------------------------------------------------------------------------------------

TEST(Render, YbrFullNative) {
    // C.7.6.3.1.2: R = Y + 1.402 (Cr-128), G = Y - 0.344136 (Cb-128) - 0.714136 (Cr-128), B = Y + 1.772 (Cb-128).
    test_image im;
    im.columns = 3;
    im.samples = 3;
    im.photometric = "YBR_FULL";
    for (int v : {128, 128, 128, 100, 128, 200, 50, 200, 128}) {
        im.pixels.push_back(static_cast<std::byte>(v));
    }
    EXPECT_EQ(render(im), (u16v{128, 128, 128, 201, 49, 100, 50, 25, 178}));
}

TEST(Render, YbrFull422Native) {
    // Two pixels share Cb, Cr: Y0 Y1 Cb Cr = 100 110 128 200.
    test_image im;
    im.columns = 2;
    im.samples = 3;
    im.photometric = "YBR_FULL_422";
    for (int v : {100, 110, 128, 200}) {
        im.pixels.push_back(static_cast<std::byte>(v));
    }
    EXPECT_EQ(render(im), (u16v{201, 49, 100, 211, 59, 110}));
}

/// Renders one 8-bit 3-sample pixel whose frame says `pi` (as a JPEG 2000 decoder reports YBR_RCT / YBR_ICT).
u16v render_colour_frame(photometric pi, std::uint8_t a, std::uint8_t b, std::uint8_t c) {
    auto desc = std::make_shared<pixel_description>();
    desc->frame.rows = 1;
    desc->frame.columns = 1;
    desc->frame.samples_per_pixel = 3;
    desc->frame.bits_allocated = 8;
    desc->frame.bits_stored = 8;
    desc->frame.high_bit = 7;
    desc->frame.photometric_interpretation = pi;
    desc->photometric_text = std::string(to_string(pi));
    auto p = display_pipeline::create(dataset{}, *desc);
    EXPECT_TRUE(p) << p.error().to_string();
    frame_meta meta;
    meta.photometric_interpretation = pi;
    native_frame<std::uint8_t> f(desc, 1, 1, 3, meta);
    f.set(0, 0, 0, a);
    f.set(0, 0, 1, b);
    f.set(0, 0, 2, c);
    auto out = p->render(any_frame(std::move(f)));
    EXPECT_TRUE(out) << out.error().to_string();
    return {out->samples8().begin(), out->samples8().end()};
}

TEST(Render, YbrRctAndIct) {
    // ISO/IEC 15444-1 G.2: G = Y - floor((Cb' + Cr') / 4), R = Cr' + G, B = Cb' + G with Cb' = Cb - 128.
    EXPECT_EQ(render_colour_frame(photometric::ybr_rct, 100, 138, 148), (u16v{113, 93, 103}));
    // G.3: the irreversible transform has the YBR_FULL coefficients.
    EXPECT_EQ(render_colour_frame(photometric::ybr_ict, 100, 128, 200), (u16v{201, 49, 100}));
    EXPECT_EQ(render_colour_frame(photometric::rgb, 1, 2, 3), (u16v{1, 2, 3}));
}

TEST(Render, Rgb16ShiftedToEightBits) {
    test_image im;
    im.columns = 1;
    im.samples = 3;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.photometric = "RGB";
    im.pixels = encode<std::uint16_t>({0xFFFF, 0x8000, 0x00FF});
    EXPECT_EQ(render(im), (u16v{255, 128, 0}));
}

// ---- 16-bit outputs --------------------------------------------------------------------------------------------

TEST(Render, Raw16StoredAndModality) {
    auto im = ct();
    render_options stored;
    stored.output = output_kind::stored16;
    EXPECT_EQ(render(im, stored), (u16v{31744, 32768, 33832, 33892, 35768})); // signed: + 32768
    render_options modality;
    modality.output = output_kind::modality16;
    EXPECT_EQ(render(im, modality), (u16v{30720, 31744, 32808, 32868, 34744})); // HU + 32768
    auto o = test::open_image(im);
    auto p = display_pipeline::create(o.file, o.pixels, modality);
    ASSERT_TRUE(p);
    auto b = p->render(o.pixels.frame(0).value());
    ASSERT_TRUE(b);
    EXPECT_EQ(b->bit_depth(), 16);
    EXPECT_EQ(b->value_offset(), 32768);
    // Unsigned 12-bit stored values keep their values; sBIT says 12.
    test_image u;
    u.columns = 2;
    u.bits_allocated = 16;
    u.bits_stored = 12;
    u.pixels = encode<std::uint16_t>({0, 4095});
    auto ou = test::open_image(u);
    auto pu = display_pipeline::create(ou.file, ou.pixels, stored);
    ASSERT_TRUE(pu);
    auto bu = pu->render(ou.pixels.frame(0).value());
    ASSERT_TRUE(bu);
    EXPECT_EQ((u16v{bu->samples16().begin(), bu->samples16().end()}), (u16v{0, 4095}));
    EXPECT_EQ(bu->value_offset(), 0);
    EXPECT_EQ(bu->significant_bits(), 12);
}

// ---- functional groups --------------------------------------------------------------------------------------------

TEST(Render, PerFrameFunctionalGroups) {
    // Shared: window c = 100.5, w = 201. Frame 0: Rescale Slope 0.5 (0, 50, 100); frame 1: its own window
    // c = 50.5, w = 101 (0..100 -> 0..255).
    test_image im;
    im.columns = 3;
    im.bits_allocated = 16;
    im.bits_stored = 16;
    im.frames = "2";
    im.pixels = encode<std::uint16_t>({0, 100, 200, 0, 100, 200});
    im.add(tags::SharedFunctionalGroupsSequence, sequence(tags::SharedFunctionalGroupsSequence, [](dicom_builder& b) {
        sequence(tags::FrameVOILUTSequence, [](dicom_builder& i) {
            i.str(tags::WindowCenter, vr::DS, "100.5");
            i.str(tags::WindowWidth, vr::DS, "201");
        })(b);
    }));
    im.add(tags::PerFrameFunctionalGroupsSequence, [](dicom_builder& b) {
        b.begin_sequence(tags::PerFrameFunctionalGroupsSequence);
        b.begin_item();
        sequence(tags::PixelValueTransformationSequence, [](dicom_builder& i) {
            i.str(tags::RescaleIntercept, vr::DS, "0");
            i.str(tags::RescaleSlope, vr::DS, "0.5");
        })(b);
        b.end_item();
        b.begin_item();
        sequence(tags::FrameVOILUTSequence, [](dicom_builder& i) {
            i.str(tags::WindowCenter, vr::DS, "50.5");
            i.str(tags::WindowWidth, vr::DS, "101");
        })(b);
        b.end_item();
        b.end_sequence();
    });
    EXPECT_EQ(render(im, {}, 0), (u16v{0, 63, 127}));
    EXPECT_EQ(render(im, {}, 1), (u16v{0, 255, 255}));
    auto p = test::pipeline_of(im);
    ASSERT_TRUE(p);
    EXPECT_NE(p->describe(0).find("rescale(0.5,0)@frame"), std::string::npos) << p->describe(0);
    EXPECT_NE(p->describe(0).find("window(100.5,201,LINEAR,file:0@shared)"), std::string::npos) << p->describe(0);
    EXPECT_NE(p->describe(1).find("window(50.5,101,LINEAR,file:0@frame)"), std::string::npos) << p->describe(1);
}

// ---- malformed grey-level attributes ---------------------------------------------------------------------------

TEST(Render, WindowWidthZeroOrNegative) {
    // The file's only window is unusable: skipped with a warning, min-max used; strict refuses.
    for (const char* width : {"0", "-5", "0.5"}) {
        auto im = ramp16();
        im.ds(tags::WindowCenter, "100").ds(tags::WindowWidth, width);
        std::vector<warning> w;
        EXPECT_EQ(render(im, {}, 0, &w), (u16v{0, 127, 255, 63})) << width;
        EXPECT_TRUE(has_warning(w, "unusable")) << width;
        render_options strict;
        strict.strict = true;
        EXPECT_FALSE(test::pipeline_of(im, strict)) << width;
    }
    // An explicit window must be valid.
    auto p = test::pipeline_of(ramp16(), window_options(100, 0));
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, errc::invalid_argument);
    EXPECT_TRUE(test::pipeline_of(ramp16(), window_options(100, 0.5, voi_function::linear_exact)));
}

TEST(Render, NonNumericDecimalStrings) {
    auto im = ramp16();
    im.ds(tags::WindowCenter, "abc").ds(tags::WindowWidth, "400");
    std::vector<warning> w;
    EXPECT_EQ(render(im, {}, 0, &w), (u16v{0, 127, 255, 63}));
    EXPECT_TRUE(has_warning(w, "not a number"));
    auto rescale = ramp16();
    rescale.ds(tags::RescaleIntercept, "0").ds(tags::RescaleSlope, "2x");
    w.clear();
    render_options raw;
    raw.output = output_kind::modality16;
    EXPECT_EQ(render(rescale, raw, 0, &w), (u16v{100, 200, 300, 150})); // identity
    EXPECT_TRUE(has_warning(w, "not a number"));
    auto zero = ramp16();
    zero.ds(tags::RescaleIntercept, "0").ds(tags::RescaleSlope, "0");
    w.clear();
    EXPECT_EQ(render(zero, raw, 0, &w), (u16v{100, 200, 300, 150}));
    EXPECT_TRUE(has_warning(w, "Slope is 0"));
}

TEST(Render, MissingWindowRequested) {
    auto im = ct();
    im.ds(tags::WindowCenter, "40").ds(tags::WindowWidth, "400");
    render_options o;
    o.voi.mode = voi_mode::file_window;
    o.voi.index = 5;
    std::vector<warning> w;
    EXPECT_EQ(render(im, o, 0, &w), (u16v{0, 0, 127, 166, 255})); // the automatic choice
    EXPECT_TRUE(has_warning(w, "no window 5"));
    o.strict = true;
    EXPECT_FALSE(test::pipeline_of(im, o));
}

TEST(Render, FrameOfAnotherShapeIsRefused) {
    auto a = test::open_image(ct());
    auto b = test::open_image(grey8());
    auto p = display_pipeline::create(a.file, a.pixels);
    ASSERT_TRUE(p);
    auto r = p->render(b.pixels.frame(0).value());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_FALSE(display_pipeline{}.render(b.pixels.frame(0).value()));
}

TEST(Render, UnsupportedPhotometric) {
    auto im = grey8();
    im.photometric = "RGB";
    im.samples = 1;
    auto o = read_bytes(byte_source::adopt(test::build(im)));
    ASSERT_TRUE(o);
    auto pixels = pixel_data::open(*o);
    if (pixels) { // the pixel layer may already refuse the inconsistency
        EXPECT_FALSE(display_pipeline::create(*o, *pixels));
    }
}

// ---- other sample types --------------------------------------------------------------------------------------------

TEST(Render, OneBitSegmentation) {
    // Bits Allocated 1: pixel 0 in the least significant bit; min-max makes 1 white.
    test_image im;
    im.columns = 8;
    im.bits_allocated = 1;
    im.bits_stored = 1;
    im.pixels = bytes{std::byte{0b10110000}, std::byte{0}};
    EXPECT_EQ(render(im), (u16v{0, 0, 0, 0, 255, 255, 0, 255}));
}

TEST(Render, ThirtyTwoBitPerSamplePath) {
    test_image im;
    im.columns = 3;
    im.bits_allocated = 32;
    im.bits_stored = 32;
    im.pixels = encode<std::uint32_t>({0, 2000000000, 4000000000U});
    // LINEAR_EXACT c = 2e9, w = 4e9: y = x / 4e9 * 255.
    EXPECT_EQ(render(im, window_options(2e9, 4e9, voi_function::linear_exact)), (u16v{0, 127, 255}));
    EXPECT_EQ(render(im), (u16v{0, 127, 255})); // min-max
}

TEST(Render, FloatPixelData) {
    // Float Pixel Data (7FE0,0008): min-max over floats is an exact ramp from min to max.
    dicom_builder b(true, false);
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.us(tags::Rows, {1}).us(tags::Columns, {4}).us(tags::BitsAllocated, {32});
    b.element(tag{0x7FE0, 0x0008}, vr::OF, encode<float>({0.0F, 0.25F, 0.5F, 1.0F}));
    auto file = read_bytes(byte_source::adopt(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1")));
    ASSERT_TRUE(file) << file.error().to_string();
    auto pixels = pixel_data::open(*file);
    ASSERT_TRUE(pixels) << pixels.error().to_string();
    auto p = display_pipeline::create(*file, *pixels);
    ASSERT_TRUE(p) << p.error().to_string();
    auto out = p->render(pixels->frame(0).value());
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ((u16v{out->samples8().begin(), out->samples8().end()}), (u16v{0, 63, 127, 255}));
    render_options raw;
    raw.output = output_kind::stored16;
    auto refused = display_pipeline::create(*file, *pixels, raw);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, errc::invalid_argument);
}

} // namespace
} // namespace dicompix
