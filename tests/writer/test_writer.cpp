// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/writer.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

/// A 3-frame 4x3 16-bit signed image with a nested sequence, private data and odd-length strings.
bytes sample(bool explicit_vr, bool big_endian, std::string_view uid) {
    dicom_builder b(explicit_vr, big_endian);
    b.str(tags::SpecificCharacterSet, vr::CS, "ISO_IR 100");
    b.str(tags::ImageType, vr::CS, "ORIGINAL\\PRIMARY\\AXIAL");
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4.5.6.7.8.9");
    b.begin_sequence(tags::ReferencedImageSequence, true);
    b.begin_item(false).str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2.3").end_item();
    b.begin_item(true).str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2.34").end_item();
    b.end_sequence();
    b.str(tag(0x0009, 0x0010), vr::LO, "ACME 1");
    b.element(tag(0x0009, 0x1001), vr::OB, test::to_bytes("\x01\x02\x03\x04"));
    b.str(tags::PatientName, vr::PN, "M\xfcller^Hans");
    b.fd(tags::DiffusionGradientOrientation, {1.5, -2.25, 3.0});
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.str(tags::NumberOfFrames, vr::IS, "3");
    b.us(tags::Rows, {3}).us(tags::Columns, {4});
    b.us(tags::BitsAllocated, {16}).us(tags::BitsStored, {12}).us(tags::HighBit, {11}).us(tags::PixelRepresentation, {1});
    bytes pixels;
    for (int i = 0; i < 36; ++i) {
        const auto v = static_cast<std::uint16_t>(static_cast<std::int16_t>(i * 100 - 1800) & 0x0FFF);
        if (big_endian) {
            pixels.push_back(static_cast<std::byte>(v >> 8U));
            pixels.push_back(static_cast<std::byte>(v & 0xFFU));
        } else {
            pixels.push_back(static_cast<std::byte>(v & 0xFFU));
            pixels.push_back(static_cast<std::byte>(v >> 8U));
        }
    }
    b.element(tags::PixelData, vr::OW, pixels);
    return dicom_builder::part10(b.data(), uid);
}

dicom_file parse(const bytes& b) {
    auto f = read_bytes(byte_source::adopt(b));
    EXPECT_TRUE(f) << f.error().to_string();
    return std::move(*f);
}

bytes write_to_memory(const dicom_file& f, const write_options& options, const pixel_edits* edits = nullptr) {
    memory_sink sink;
    auto r = write(f, sink, options, edits);
    EXPECT_TRUE(r) << r.error().to_string();
    return sink.bytes();
}

std::vector<std::int64_t> all_samples(const dicom_file& f) {
    std::vector<std::int64_t> out;
    auto pixels = pixel_data::open(f);
    EXPECT_TRUE(pixels) << pixels.error().to_string();
    for (std::uint32_t i = 0; pixels && i < pixels->frame_count(); ++i) {
        auto frame = pixels->frame(i);
        EXPECT_TRUE(frame) << frame.error().to_string();
        frame->visit([&](const auto& fr) {
            for (const auto v : fr.samples()) {
                out.push_back(static_cast<std::int64_t>(v));
            }
        });
    }
    return out;
}

/// Compares two datasets element by element: tags, VRs and values (byte order normalised through typed
/// access); Pixel Data is compared separately.
void expect_same_elements(const dataset& a, const dataset& b, const std::string& where = "") {
    ASSERT_EQ(a.size(), b.size()) << where;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const element& x = a.elements()[i];
        const element& y = b.elements()[i];
        ASSERT_EQ(x.tag(), y.tag()) << where;
        // Implicit VR cannot carry the VR of a private element the dictionary does not know: it reads as UN.
        const bool private_via_implicit = x.tag().is_private() && (x.vr() == vr::UN || y.vr() == vr::UN);
        if (!private_via_implicit) {
            EXPECT_EQ(x.vr(), y.vr()) << where << x.tag().to_string();
        }
        if (x.tag() == tags::PixelData) {
            continue;
        }
        if (x.is_sequence()) {
            ASSERT_EQ(x.items().size(), y.items().size());
            for (std::size_t k = 0; k < x.items().size(); ++k) {
                expect_same_elements(x.items()[k], y.items()[k], where + x.tag().to_string() + "/");
            }
        } else if (is_string_vr(x.vr())) {
            EXPECT_EQ(x.raw_string(), y.raw_string()) << where << x.tag().to_string();
        } else if (x.vr() == vr::FD) {
            for (std::size_t k = 0; k < x.value_count(); ++k) {
                EXPECT_EQ(x.get<double>(k).value(), y.get<double>(k).value());
            }
        } else if (binary_value_size(x.vr()) == 2) {
            for (std::size_t k = 0; k < x.value_count(); ++k) {
                EXPECT_EQ(x.get<std::uint16_t>(k).value(), y.get<std::uint16_t>(k).value());
            }
        } else {
            EXPECT_TRUE(std::equal(x.bytes().begin(), x.bytes().end(), y.bytes().begin(), y.bytes().end()))
                << where << x.tag().to_string();
        }
    }
}

struct ts_case {
    std::string_view uid;
    bool explicit_vr;
    bool big_endian;
};
const ts_case native_syntaxes[] = {{"1.2.840.10008.1.2", false, false},
                                   {"1.2.840.10008.1.2.1", true, false},
                                   {"1.2.840.10008.1.2.2", true, true},
                                   {"1.2.840.10008.1.2.1.99", true, false}};

TEST(Writer, CanonicalExplicitLittleEndianIsByteIdentical) {
    // Canonical: explicit VR LE, defined lengths, even padding.
    dicom_builder b(true, false);
    b.str(tags::ImageType, vr::CS, "ORIGINAL\\PRIMARY");
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4");
    b.begin_sequence(tags::ReferencedImageSequence, false).begin_item(false);
    b.str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2.3").end_item().end_sequence();
    b.us(tags::SamplesPerPixel, {1}).str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.us(tags::Rows, {2}).us(tags::Columns, {2}).us(tags::BitsAllocated, {8}).us(tags::BitsStored, {8});
    b.us(tags::HighBit, {7}).us(tags::PixelRepresentation, {0});
    b.element(tags::PixelData, vr::OB, test::to_bytes("abcd"));
    const bytes original = dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1");
    const auto file = parse(original);
    const bytes written = write_to_memory(file, {});
    const auto reread = parse(written);
    ASSERT_EQ(written.size() - reread.dataset_offset(), original.size() - file.dataset_offset());
    EXPECT_TRUE(std::equal(written.begin() + static_cast<std::ptrdiff_t>(reread.dataset_offset()), written.end(),
                           original.begin() + static_cast<std::ptrdiff_t>(file.dataset_offset())));
    EXPECT_EQ(reread.meta().string(tags::TransferSyntaxUID).value(), "1.2.840.10008.1.2.1");
    EXPECT_EQ(reread.meta().string(tags::MediaStorageSOPInstanceUID).value(), "1.2.3.4");
    EXPECT_TRUE(reread.warnings().empty());
}

class WriterNative : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(WriterNative, AnyNativeSyntaxToAnyOther) {
    const auto& from = native_syntaxes[std::get<0>(GetParam())];
    const auto& to = native_syntaxes[std::get<1>(GetParam())];
    const bool from_deflated = from.uid == "1.2.840.10008.1.2.1.99";
    const auto source = parse(sample(from.explicit_vr || from_deflated, from.big_endian,
                                     from_deflated ? "1.2.840.10008.1.2.1" : from.uid));
    write_options options;
    options.transfer_syntax = std::string(to.uid);
    const auto written = parse(write_to_memory(source, options));
    EXPECT_EQ(written.transfer_syntax_uid(), to.uid);
    EXPECT_TRUE(written.warnings().empty()) << written.warnings().front().message;
    expect_same_elements(source.dataset(), written.dataset());
    EXPECT_EQ(all_samples(source), all_samples(written));
    EXPECT_EQ(written.dataset().string(tags::PatientName).value(), "M\xfcller^Hans");
}

INSTANTIATE_TEST_SUITE_P(Pairs, WriterNative, ::testing::Combine(::testing::Range(0, 4), ::testing::Range(0, 4)));

TEST(Writer, UndefinedLengthSequencesOption) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    write_options options;
    options.undefined_length_sequences = true;
    const auto written = parse(write_to_memory(source, options));
    const element* seq = written.dataset().find(tags::ReferencedImageSequence);
    ASSERT_NE(seq, nullptr);
    EXPECT_TRUE(seq->has_undefined_length());
    EXPECT_TRUE(seq->items()[0].undefined_length());
    options.undefined_length_sequences = false;
    const auto defined = parse(write_to_memory(source, options));
    EXPECT_FALSE(defined.dataset().find(tags::ReferencedImageSequence)->has_undefined_length());
    expect_same_elements(written.dataset(), defined.dataset());
}

TEST(Writer, BareDataset) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    write_options options;
    options.part10 = false;
    options.transfer_syntax = "1.2.840.10008.1.2";
    const bytes b = write_to_memory(source, options);
    const auto reread = parse(b);
    EXPECT_FALSE(reread.has_preamble());
    EXPECT_TRUE(reread.meta().empty());
    EXPECT_EQ(all_samples(source), all_samples(reread));
}

TEST(Writer, ChangedFrameIsWritten) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    auto pixels = pixel_data::open(source).value();
    pixel_edits edits(pixels);
    auto frame = pixels.frame_as<std::int16_t>(1).value();
    frame.set(2, 1, 0, -7);
    ASSERT_TRUE(edits.replace(1, frame));
    EXPECT_TRUE(edits.changed(1));
    EXPECT_FALSE(edits.changed(0));
    const auto written = parse(write_to_memory(source, {}, &edits));
    auto before = all_samples(source);
    auto after = all_samples(written);
    ASSERT_EQ(before.size(), after.size());
    before[12 + 1 * 4 + 2] = -7;
    EXPECT_EQ(before, after);
    // An unmodified frame handed back counts as unchanged.
    auto untouched = pixels.frame(2).value();
    ASSERT_TRUE(edits.replace(2, untouched));
    EXPECT_FALSE(edits.changed(2));
    // Wrong shape: rejected.
    const frame_info wrong{5, 5, 1, 16, 12, 11, true, photometric::monochrome2, 0, pixel_data_element::integer};
    auto other = native_frame<std::int16_t>(nullptr, 5, 5, 1, {});
    EXPECT_EQ(edits.replace(0, other).error().code, errc::invalid_argument);
    (void)wrong;
}

/// 8-bit RGB frames of rows x columns.
frame_info rgb8(std::uint32_t rows, std::uint32_t columns) {
    frame_info info;
    info.rows = rows;
    info.columns = columns;
    info.samples_per_pixel = 3;
    info.bits_allocated = 8;
    info.bits_stored = 8;
    info.high_bit = 7;
    info.photometric_interpretation = photometric::rgb;
    return info;
}

TEST(Writer, ReplaceAllUpdatesTheDescription) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    const frame_info info = rgb8(2, 3);
    std::vector<any_frame> frames;
    for (int k = 0; k < 2; ++k) {
        native_frame<std::uint8_t> f(nullptr, 2, 3, 3, {});
        auto s = f.mutable_samples();
        for (std::size_t i = 0; i < s.size(); ++i) {
            s[i] = static_cast<std::uint8_t>(i * 10 + static_cast<std::size_t>(k));
        }
        frames.emplace_back(std::move(f));
    }
    auto edits = pixel_edits::replace_all(info, std::move(frames));
    ASSERT_TRUE(edits) << edits.error().to_string();
    const auto written = parse(write_to_memory(source, {}, &*edits));
    const dataset& ds = written.dataset();
    EXPECT_EQ(ds.get<std::uint16_t>(tags::Rows).value(), 2);
    EXPECT_EQ(ds.get<std::uint16_t>(tags::Columns).value(), 3);
    EXPECT_EQ(ds.get<std::uint16_t>(tags::SamplesPerPixel).value(), 3);
    EXPECT_EQ(ds.get<std::uint16_t>(tags::BitsAllocated).value(), 8);
    EXPECT_EQ(ds.get<std::uint16_t>(tags::PixelRepresentation).value(), 0);
    EXPECT_EQ(ds.get<std::uint16_t>(tags::PlanarConfiguration).value(), 0);
    EXPECT_EQ(ds.string(tags::PhotometricInterpretation).value(), "RGB");
    EXPECT_EQ(ds.to_int(tags::NumberOfFrames).value(), 2);
    EXPECT_EQ(ds.find(tags::PixelData)->vr(), vr::OB);
    const auto s = all_samples(written);
    ASSERT_EQ(s.size(), 36U);
    EXPECT_EQ(s[18 + 5], 51);

    frame_info bad = info;
    bad.bits_stored = 9;
    bad.high_bit = 8;
    std::vector<any_frame> one;
    one.emplace_back(native_frame<std::uint8_t>(nullptr, 2, 3, 3, {}));
    EXPECT_EQ(pixel_edits::replace_all(bad, one).error().code, errc::inconsistent_dataset);
    bad = info;
    bad.samples_per_pixel = 1;
    EXPECT_EQ(pixel_edits::replace_all(bad, one).error().code, errc::inconsistent_dataset);
    bad = info;
    bad.photometric_interpretation = photometric::monochrome2;
    EXPECT_EQ(pixel_edits::replace_all(bad, one).error().code, errc::inconsistent_dataset);
    bad = info;
    bad.rows = 4;
    EXPECT_EQ(pixel_edits::replace_all(bad, one).error().code, errc::inconsistent_dataset);
    EXPECT_EQ(pixel_edits::replace_all(info, {}).error().code, errc::invalid_argument);
}

TEST(Writer, OneBitFramesArePackedContiguously) {
    frame_info info;
    info.rows = 3;
    info.columns = 5;
    info.bits_allocated = 1;
    info.bits_stored = 1;
    info.high_bit = 0;
    info.photometric_interpretation = photometric::monochrome2;
    std::vector<any_frame> frames;
    std::vector<int> expected;
    for (int k = 0; k < 3; ++k) {
        native_frame<std::uint8_t> f(nullptr, 3, 5, 1, {});
        auto s = f.mutable_samples();
        for (std::size_t i = 0; i < s.size(); ++i) {
            s[i] = static_cast<std::uint8_t>((i * 7 + static_cast<std::size_t>(k)) % 3 == 0);
            expected.push_back(s[i]);
        }
        frames.emplace_back(std::move(f));
    }
    auto edits = pixel_edits::replace_all(info, std::move(frames)).value();
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    const bytes b = write_to_memory(source, {}, &edits);
    const auto written = parse(b);
    // 45 bits -> 6 bytes, padded to even length.
    EXPECT_EQ(written.dataset().find(tags::PixelData)->bytes().size(), 6U);
    const auto s = all_samples(written);
    EXPECT_EQ(std::vector<int>(s.begin(), s.end()), expected);
}

TEST(Writer, EncapsulatedWithBasicAndExtendedOffsetTables) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    for (const auto table : {offset_table::basic, offset_table::extended, offset_table::none}) {
        write_options options;
        options.transfer_syntax = "1.2.840.10008.1.2.1.98";
        options.table = table;
        const bytes b = write_to_memory(source, options);
        const auto written = parse(b);
        auto pixels = pixel_data::open(written).value();
        EXPECT_EQ(pixels.fragments().size(), 3U);
        const frame_index_method expected = table == offset_table::basic      ? frame_index_method::basic_offset_table
                                            : table == offset_table::extended ? frame_index_method::extended_offset_table
                                                                              : frame_index_method::one_fragment_per_frame;
        EXPECT_EQ(pixels.index_method(), expected);
        EXPECT_TRUE(pixels.warnings().empty());
        EXPECT_EQ(all_samples(source), all_samples(written));
        if (table == offset_table::extended) {
            const element* lengths = written.dataset().find(tags::ExtendedOffsetTableLengths);
            ASSERT_NE(lengths, nullptr);
            EXPECT_EQ(lengths->get<std::uint64_t>(1).value(), 24U); // 12 samples x 2 bytes
        }
        // And back to native.
        write_options back;
        back.transfer_syntax = "ExplicitVRLittleEndian";
        const auto native = parse(write_to_memory(written, back));
        EXPECT_EQ(all_samples(source), all_samples(native));
        EXPECT_EQ(native.dataset().find(tags::ExtendedOffsetTable), nullptr);
    }
}

TEST(Writer, UntouchedCompressedFramesAreCopiedByteIdentical) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    write_options options;
    options.transfer_syntax = "1.2.840.10008.1.2.8.1"; // Deflated Image Frame Compression
    const auto compressed = parse(write_to_memory(source, options));
    auto pixels = pixel_data::open(compressed).value();
    ASSERT_EQ(pixels.fragments().size(), 3U);
    pixel_edits edits(pixels);
    auto frame = pixels.frame_as<std::int16_t>(1).value();
    frame.set(0, 0, 0, 123);
    ASSERT_TRUE(edits.replace(1, frame));
    memory_sink sink;
    const auto report = write(compressed, sink, {}, &edits);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->frames_copied, 2U);
    EXPECT_EQ(report->frames_encoded, 1U);
    const auto changed = parse(sink.bytes());
    auto changed_pixels = pixel_data::open(changed).value();
    const auto& a = pixels.fragments();
    const auto& b = changed_pixels.fragments();
    ASSERT_EQ(b.size(), 3U);
    for (const std::size_t k : {std::size_t{0}, std::size_t{2}}) {
        EXPECT_TRUE(std::equal(a[k].bytes.begin(), a[k].bytes.end(), b[k].bytes.begin(), b[k].bytes.end())) << k;
    }
    EXPECT_EQ(changed_pixels.frame_as<std::int16_t>(1).value().get(0, 0), 123);
    EXPECT_EQ(changed_pixels.frame_as<std::int16_t>(2).value().get(3, 2), pixels.frame_as<std::int16_t>(2).value().get(3, 2));
}

/// Three 16x16 RGB frames of different smooth colours: a colour transform applied to one frame only shows.
pixel_edits rgb_frames() {
    std::vector<any_frame> frames;
    for (std::size_t k = 0; k < 3; ++k) {
        native_frame<std::uint8_t> f(nullptr, 16, 16, 3, {});
        auto s = f.mutable_samples();
        for (std::size_t i = 0; i < s.size(); ++i) {
            const std::size_t x = (i / 3) % 16;
            const std::size_t c = i % 3;
            s[i] = static_cast<std::uint8_t>(c == 0 ? 200 - 40 * k : c == 1 ? 40 + 60 * k + x : 100 + 4 * x);
        }
        frames.emplace_back(std::move(f));
    }
    return pixel_edits::replace_all(rgb8(16, 16), std::move(frames)).value();
}

// Every frame is handed to the encoder in its decoded colour space. The first encoded frame sets the written
// Photometric Interpretation (YBR_FULL_422, YBR_RCT); frames 1.. were once described to the encoder with it,
// so JPEG Baseline skipped the RGB -> YCbCr conversion and JPEG 2000 the RCT for every frame but the first.
TEST(Writer, EveryFrameGetsTheColourTransform) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    const pixel_edits edits = rgb_frames();
    const auto original = parse(write_to_memory(source, {}, &edits));
    const auto expected = all_samples(original);
    for (const std::string_view uid : {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.90"}) {
        if (codec_registry::builtin().encoders_for(uid, edits.info(), {}).empty()) {
            continue; // built without the codec
        }
        write_options options;
        options.transfer_syntax = std::string(uid);
        const auto written = parse(write_to_memory(original, options));
        const auto got = all_samples(written);
        ASSERT_EQ(got.size(), expected.size()) << uid;
        std::int64_t worst = 0;
        for (std::size_t i = 0; i < got.size(); ++i) {
            worst = std::max(worst, std::abs(got[i] - expected[i]));
        }
        EXPECT_LE(worst, uid == "1.2.840.10008.1.2.4.90" ? 0 : 8) << uid;
        if (uid == "1.2.840.10008.1.2.4.90") {
            EXPECT_EQ(written.dataset().string(tags::PhotometricInterpretation).value(), "YBR_RCT");
            // COD (FF52) follows SIZ: Lcod, Scod, then SGcod = progression, layers (2 bytes), MCT (T.800 A.6.1).
            auto pixels = pixel_data::open(written).value();
            const std::array<std::byte, 2> cod_marker{std::byte{0xFF}, std::byte{0x52}};
            for (const auto& fragment : pixels.fragments()) {
                const auto b = fragment.bytes;
                const auto cod = std::search(b.begin(), b.end(), cod_marker.begin(), cod_marker.end());
                ASSERT_LT(cod + 8, b.end());
                EXPECT_EQ(cod[8], std::byte{1}) << "fragment without the RCT";
            }
        }
    }
}

/// The Image Pixel attributes and native Pixel Data of an 8-bit 8x8 MONOCHROME2 ramp.
void add_grey_8x8(dicom_builder& b) {
    b.us(tags::SamplesPerPixel, {1}).str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.us(tags::Rows, {8}).us(tags::Columns, {8}).us(tags::BitsAllocated, {8}).us(tags::BitsStored, {8});
    b.us(tags::HighBit, {7}).us(tags::PixelRepresentation, {0});
    bytes pixels(64);
    for (std::size_t i = 0; i < pixels.size(); ++i) {
        pixels[i] = static_cast<std::byte>(i * 4);
    }
    b.element(tags::PixelData, vr::OB, pixels);
}

// An Image Type read as UN (explicit VR UN for a standard attribute, as in pydicom's explicit_VR-UN.dcm) kept only
// DERIVED when a lossy write replaced value 1: values 2..n must stay (PS3.3 C.7.6.1.1.2).
TEST(Writer, LossyWriteKeepsImageTypeValuesReadAsUn) {
    dicom_builder b(true, false);
    b.element(tags::ImageType, vr::UN, test::to_bytes("ORIGINAL\\PRIMARY\\AXIAL"));
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4");
    add_grey_8x8(b);
    const auto source = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_EQ(source.dataset().find(tags::ImageType)->vr(), vr::UN);
    write_options options;
    options.transfer_syntax = "1.2.840.10008.1.2.4.50";
    const frame_info info = pixel_data::open(source).value().info();
    if (codec_registry::builtin().encoders_for(options.transfer_syntax, info, {}).empty()) {
        GTEST_SKIP() << "built without a JPEG Baseline encoder";
    }
    const auto written = parse(write_to_memory(source, options));
    const element* image_type = written.dataset().find(tags::ImageType);
    ASSERT_NE(image_type, nullptr);
    EXPECT_EQ(image_type->vr(), vr::CS);
    EXPECT_EQ(image_type->raw_string(), "DERIVED\\PRIMARY\\AXIAL");
}

TEST(Writer, FileSinkAndUid) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    const std::string path = ::testing::TempDir() + "/dicompix_writer_test.dcm";
    const auto report = write_file(source, path);
    ASSERT_TRUE(report) << report.error().to_string();
    const auto reread = read_file(path);
    ASSERT_TRUE(reread);
    EXPECT_EQ(all_samples(source), all_samples(*reread));
    std::remove(path.c_str());
    const std::string uid = make_uid();
    EXPECT_TRUE(uid.starts_with("2.25."));
    EXPECT_LE(uid.size(), 64U);
    EXPECT_NE(uid, make_uid());
    EXPECT_EQ(write_file(source, "/nonexistent-dir/x.dcm").error().code, errc::io_error);
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-4a37acf7.dcm): a group length element read twice
// was recomputed twice, the first counting the second at its original (huge) size, so writing the result
// again gave other bytes. Duplicates are dropped; the length counts what is written.
TEST(Writer, DuplicateGroupLengthIsWrittenOnceAndStable) {
    dicom_builder b(true, false);
    b.ul(tag(0x0008, 0x0000), {999});
    b.ul(tag(0x0008, 0x0000), {12345});
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4");
    const dicom_file f = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    const bytes first = write_to_memory(f, write_options{});
    const dicom_file g = parse(first);
    std::size_t group_lengths = 0;
    for (const element& e : g.dataset()) {
        if (e.tag() == tag(0x0008, 0x0000)) {
            ++group_lengths;
            // (0008,0016) UI 26 bytes + (0008,0018) UI 8 bytes, explicit VR headers of 8 bytes each.
            EXPECT_EQ(e.get<std::uint32_t>().value(), 8U + 26U + 8U + 8U);
        }
    }
    EXPECT_EQ(group_lengths, 1U);
    EXPECT_EQ(write_to_memory(g, write_options{}), first);
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-7e3b3f26.dcm): File Meta Elements in the dataset
// body were written there, and a reader takes them for part of the meta group (whose length then lies).
TEST(Writer, StrayMetaElementsMoveToTheMetaGroup) {
    dicom_builder b(true, false);
    // Out of order, as in the fuzz input: a group 0002 element right after the meta group would be read
    // as part of it.
    b.str(tags::PatientID, vr::LO, "P1");
    b.str(tags::MediaStorageSOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.2");
    dicom_file f = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_TRUE(f.dataset().contains(tags::MediaStorageSOPClassUID));
    memory_sink sink;
    auto report = write(f, sink, write_options{});
    ASSERT_TRUE(report) << report.error().to_string();
    ASSERT_FALSE(report->warnings.empty());
    const dicom_file g = parse(sink.bytes());
    EXPECT_TRUE(g.warnings().empty());
    EXPECT_FALSE(g.dataset().contains(tags::MediaStorageSOPClassUID));
    ASSERT_TRUE(g.meta().contains(tags::MediaStorageSOPClassUID));
    // The meta group's own value wins over the stray one.
    EXPECT_EQ(g.meta().find(tags::MediaStorageSOPClassUID)->string().value(), "1.2.840.10008.5.1.4.1.1.7");
    EXPECT_TRUE(g.dataset().contains(tags::PatientID));
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-6d44d041.dcm): a file whose Transfer Syntax UID is
// unknown was written back under that UID, so readers had to guess the encoding again (and guessed big endian).
TEST(Writer, UnknownSourceSyntaxIsWrittenUnderTheDetectedOne) {
    dicom_builder b(true, false);
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tag(0x4903, 0x0010), vr::LO, "ACME");
    const dicom_file f = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.99999"));
    memory_sink sink;
    auto report = write(f, sink, write_options{});
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->transfer_syntax_uid, "1.2.840.10008.1.2.1");
    EXPECT_FALSE(report->warnings.empty());
    const dicom_file g = parse(sink.bytes());
    EXPECT_EQ(g.transfer_syntax_uid(), "1.2.840.10008.1.2.1");
    EXPECT_TRUE(g.warnings().empty());
}

// AT is an ordered pair of 16-bit values (PS3.5 §6.2): a change of byte order swaps each half and keeps the
// group first. (Reversing all four bytes, as for UL, turned (0028,0009) into (0009,0028).)
TEST(Writer, AttributeTagsKeepGroupFirstAcrossByteOrders) {
    for (const bool from_big : {false, true}) {
        dicom_builder b(true, from_big);
        b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
        b.us(tags::FrameIncrementPointer, {0x0018, 0x1063}, vr::AT);
        const dicom_file f = parse(dicom_builder::part10(b.data(), from_big ? "1.2.840.10008.1.2.2" : "1.2.840.10008.1.2.1"));
        ASSERT_EQ(f.dataset().find(tags::FrameIncrementPointer)->to_tag().value(), tag(0x0018, 0x1063));
        write_options w;
        w.transfer_syntax = from_big ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2.2";
        const dicom_file g = parse(write_to_memory(f, w));
        EXPECT_EQ(g.dataset().find(tags::FrameIncrementPointer)->to_tag().value(), tag(0x0018, 0x1063)) << from_big;
    }
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-af3c6bc6.dcm): in Explicit VR Big Endian the
// recomputed group length (0200,0000) came first in the dataset, written 02 00 00 00 'UL' 00 04, which a reader
// ending the meta group where the group number changes takes for a little endian (0002,0000) of length 1024.
TEST(Writer, BigEndianDatasetNeverStartsWithWhatReadsAsMeta) {
    dicom_builder b(true, true);
    b.str(tag(0x0201, 0x0010), vr::LO, "ACME"); // out of order: the written dataset starts with (0200,0000)
    b.ul(tag(0x0200, 0x0000), {1234});
    const dicom_file f = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.2"));
    ASSERT_TRUE(f.dataset().contains(tag(0x0200, 0x0000)));
    memory_sink sink;
    auto report = write(f, sink, write_options{});
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_FALSE(report->warnings.empty());
    auto g = read_bytes(byte_source::adopt(sink.bytes()));
    ASSERT_TRUE(g) << g.error().to_string();
    EXPECT_EQ(g->transfer_syntax_uid(), "1.2.840.10008.1.2.2");
    EXPECT_TRUE(g->warnings().empty());
    EXPECT_FALSE(g->dataset().contains(tag(0x0200, 0x0000)));
    ASSERT_TRUE(g->dataset().contains(tag(0x0201, 0x0010)));
    EXPECT_EQ(g->dataset().find(tag(0x0201, 0x0010))->raw_string(), "ACME");
    EXPECT_EQ(write_to_memory(*g, write_options{}), sink.bytes());

    // Any other element of group 0200 first cannot be written in big endian, but can in little endian.
    dicom_builder c(true, true);
    c.str(tag(0x0201, 0x0010), vr::LO, "ACME");
    c.str(tag(0x0200, 0x0010), vr::LO, "X");
    const dicom_file h = parse(dicom_builder::part10(c.data(), "1.2.840.10008.1.2.2"));
    memory_sink refused;
    EXPECT_EQ(write(h, refused, write_options{}).error().code, errc::inconsistent_dataset);
    write_options little;
    little.transfer_syntax = "1.2.840.10008.1.2.1";
    EXPECT_EQ(parse(write_to_memory(h, little)).dataset().find(tag(0x0200, 0x0010))->raw_string(), "X");
    // Bare, nothing precedes it that could be misread.
    write_options bare;
    bare.part10 = false;
    EXPECT_TRUE(write(h, refused, bare));
}

// A File Meta Element holding items (moved from the body) was written in the meta group: a UN sequence with
// undefined length, which the meta reader cannot skip ("length 4294967295 runs past the end"), or an SQ that
// comes back as bytes and is written differently the second time. The meta group is flat: they are dropped.
TEST(Writer, MetaElementsHoldingItemsAreDropped) {
    for (const vr v : {vr::UN, vr::SQ}) {
        dicom_builder b(true, false);
        b.str(tags::PatientID, vr::LO, "P1");
        b.begin_sequence(tag(0x0002, 0x0102), true, v).begin_item(true).end_item().end_sequence();
        const dicom_file f = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
        ASSERT_EQ(f.dataset().find(tag(0x0002, 0x0102))->items().size(), 1U);
        memory_sink sink;
        auto report = write(f, sink, write_options{});
        ASSERT_TRUE(report) << report.error().to_string();
        auto g = read_bytes(byte_source::adopt(sink.bytes()));
        ASSERT_TRUE(g) << to_string(v) << ": " << g.error().to_string();
        EXPECT_TRUE(g->warnings().empty());
        EXPECT_FALSE(g->meta().contains(tag(0x0002, 0x0102)));
        EXPECT_TRUE(g->dataset().contains(tags::PatientID));
        EXPECT_EQ(write_to_memory(*g, write_options{}), sink.bytes());
    }
}

// The Lossy Image Compression Ratio placeholder was patched at an offset predicted from the dataset, which counted
// group lengths at their read size; the encoder writes them recomputed (12 bytes) and once, so the ratio text
// landed in the middle of other elements.
TEST(Writer, RatioIsPatchedIntoItsOwnValueWhateverTheGroupLengths) {
    for (const bool duplicate : {false, true}) {
        dicom_builder b(true, false);
        b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
        b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4");
        if (duplicate) {
            b.ul(tag(0x0028, 0x0000), {1}).ul(tag(0x0028, 0x0000), {2});
        } else {
            b.ul(tag(0x0028, 0x0000), {1, 2, 3});
        }
        add_grey_8x8(b);
        const auto source = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
        write_options options;
        options.transfer_syntax = "1.2.840.10008.1.2.4.50";
        const frame_info info = pixel_data::open(source).value().info();
        if (codec_registry::builtin().encoders_for(options.transfer_syntax, info, {}).empty()) {
            GTEST_SKIP() << "built without a JPEG Baseline encoder";
        }
        memory_sink sink;
        auto report = write(source, sink, options);
        ASSERT_TRUE(report) << report.error().to_string();
        auto g = read_bytes(byte_source::adopt(sink.bytes()));
        ASSERT_TRUE(g) << g.error().to_string();
        EXPECT_TRUE(g->warnings().empty()) << duplicate << ": " << g->warnings().front().message;
        const element* ratio = g->dataset().find(tags::LossyImageCompressionRatio);
        ASSERT_NE(ratio, nullptr);
        EXPECT_NEAR(std::strtod(std::string(ratio->raw_string()).c_str(), nullptr), report->compression_ratio, 1e-6)
            << duplicate << ": [" << ratio->raw_string() << "]";
        const element* group_length = g->dataset().find(tag(0x0028, 0x0000));
        const element* pixel_element = g->dataset().find(tags::PixelData);
        ASSERT_TRUE(group_length != nullptr && pixel_element != nullptr) << duplicate;
        EXPECT_EQ(group_length->get<std::uint32_t>().value_or(0),
                  pixel_element->offset() - g->dataset().find(tags::SamplesPerPixel)->offset());
    }
}

std::vector<std::int64_t> frame_samples(const dicom_file& f) {
    std::vector<std::int64_t> out;
    auto pixels = pixel_data::open(f);
    EXPECT_TRUE(pixels) << pixels.error().to_string();
    if (!pixels) {
        return out;
    }
    auto frame = pixels->frame(0);
    EXPECT_TRUE(frame) << frame.error().to_string();
    if (frame) {
        frame->visit([&](const auto& fr) {
            for (const auto v : fr.samples()) {
                out.push_back(static_cast<std::int64_t>(v));
            }
        });
    }
    return out;
}

bytes big_endian_grey(std::uint16_t bits, std::uint16_t columns, vr pixel_vr, const bytes& pixels) {
    dicom_builder b(true, true);
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.us(tags::Rows, {1}).us(tags::Columns, {columns});
    b.us(tags::BitsAllocated, {bits}).us(tags::BitsStored, {bits});
    b.us(tags::HighBit, {static_cast<std::uint16_t>(bits - 1)}).us(tags::PixelRepresentation, {0});
    b.element(tags::PixelData, pixel_vr, pixels);
    return dicom_builder::part10(b.data(), "1.2.840.10008.1.2.2");
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-36ead99a.dcm): 8-bit Pixel Data of VR UN in Explicit
// VR Big Endian was read as byte-swapped 16-bit words (like OW) but copied as a byte stream into OB, so the
// written file decoded to other samples. A UN value is never byte-swapped (PS3.5 §6.2.2): its bytes are in
// order, and 16-bit samples little endian; the writer undoes exactly the word order the reader sees.
TEST(Writer, BigEndianPixelDataKeepsItsSamplesWhateverItsVr) {
    const bytes b4{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
    struct row {
        std::uint16_t bits;
        std::uint16_t columns;
        vr pixel_vr;
        bytes stored;
        std::vector<std::int64_t> samples;
    };
    const std::vector<row> rows{
        {8, 4, vr::UN, b4, {1, 2, 3, 4}},
        {16, 2, vr::UN, b4, {0x0201, 0x0403}}, // little endian whatever the transfer syntax
        {8, 4, vr::OW, b4, {2, 1, 4, 3}},      // PS3.5 Annex A.3: byte-swapped 16-bit words
        {8, 4, vr::OB, b4, {1, 2, 3, 4}},
        {16, 2, vr::OW, b4, {0x0102, 0x0304}},
        // Odd OW: the third sample is the missing half of the last word (read as zero), not the odd byte.
        {8, 3, vr::OW, bytes{std::byte{2}, std::byte{1}, std::byte{9}}, {1, 2, 0}},
    };
    for (const row& r : rows) {
        const std::string what = std::to_string(r.bits) + "-bit " + std::string(to_string(r.pixel_vr)) + " " +
                                 std::to_string(r.stored.size()) + " bytes";
        const dicom_file f = parse(big_endian_grey(r.bits, r.columns, r.pixel_vr, r.stored));
        ASSERT_EQ(frame_samples(f), r.samples) << what;
        for (const char* target : {"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1"}) {
            write_options w;
            w.transfer_syntax = target;
            const dicom_file g = parse(write_to_memory(f, w));
            EXPECT_EQ(frame_samples(g), r.samples) << what << " written as " << target;
            EXPECT_EQ(g.dataset().find(tags::PixelData)->vr(), r.bits > 8 ? vr::OW : vr::OB) << what;
        }
    }
}

/// An RLE Lossless file of one 8-bit 2x4 MONOCHROME2 frame held in `fragments`.
dicom_file rle_8bit_2x4(const std::vector<bytes>& fragments) {
    dicom_builder b;
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.us(tags::Rows, {2}).us(tags::Columns, {4});
    b.us(tags::BitsAllocated, {8}).us(tags::BitsStored, {8}).us(tags::HighBit, {7}).us(tags::PixelRepresentation, {0});
    const std::array<std::uint32_t, 1> bot{0};
    b.encapsulated(bot, fragments);
    return parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.5"));
}

/// Writes `f` back in its own transfer syntax and checks that its one frame was copied, and reads back as
/// `samples` from a single fragment of `fragment_bytes`; returns the write report.
write_report copy_back_in_one_fragment(const dicom_file& f, std::size_t fragment_bytes,
                                       const std::vector<std::int64_t>& samples) {
    memory_sink sink;
    auto report = write(f, sink, write_options{});
    EXPECT_TRUE(report) << report.error().to_string();
    if (!report) {
        return {};
    }
    EXPECT_EQ(report->frames_copied, 1U);
    const dicom_file g = parse(sink.bytes());
    auto pixels = pixel_data::open(g);
    EXPECT_TRUE(pixels) << pixels.error().to_string();
    if (pixels) {
        EXPECT_EQ(pixels->fragments().size(), 1U);
        if (pixels->fragments().size() == 1) {
            EXPECT_EQ(pixels->fragments()[0].bytes.size(), fragment_bytes);
        }
    }
    EXPECT_EQ(frame_samples(g), samples);
    return std::move(*report);
}

// fuzz_roundtrip finding (testdata/crashers/fuzz-roundtrip-f0b6cb67.dcm): an RLE frame in an odd-length
// fragment, its segment followed by a stray byte and a zero, decodes leniently; the writer pads the fragment
// (PS3.5 A.4) and the copy must decode to the same samples (the decoder takes the zero ending an even
// codestream after the last segment as that pad).
TEST(Writer, OddRleFragmentStillDecodesOncePadded) {
    bytes frame(64, std::byte{0});
    frame[0] = std::byte{1};  // one segment
    frame[4] = std::byte{64}; // at byte 64
    // Literal {5, 5}, then 6 x 5: the 8 bytes of a 2x4 frame; then 0xFE 0x00 unread. 71 bytes.
    for (const int v : {1, 5, 5, 251, 5, 0xFE, 0x00}) {
        frame.push_back(static_cast<std::byte>(v));
    }
    const dicom_file f = rle_8bit_2x4({frame});
    const std::vector<std::int64_t> fives(8, 5);
    ASSERT_EQ(frame_samples(f), fives);
    (void)copy_back_in_one_fragment(f, 72, fives);
}

// A frame split over fragments, the first of odd length (against PS3.5 §A.4): padding that fragment in
// place would put a byte inside the RLE segment, so the writer joins the frame's fragments into one.
TEST(Writer, OddFragmentInsideAFrameIsJoinedNotPadded) {
    bytes header(64, std::byte{0});
    header[0] = std::byte{1};  // one segment
    header[4] = std::byte{64}; // at byte 64
    bytes first = header;
    first.push_back(std::byte{1}); // 65 bytes: the segment's first byte (literal run of 2)
    const bytes second{std::byte{5}, std::byte{5}, std::byte{251}, std::byte{5}}; // {5, 5}, then 6 x 5
    const dicom_file f = rle_8bit_2x4({first, second});
    const std::vector<std::int64_t> fives(8, 5);
    ASSERT_EQ(frame_samples(f), fives);
    const write_report report = copy_back_in_one_fragment(f, 70, fives);
    EXPECT_TRUE(std::ranges::any_of(report.warnings, [](const warning& w) {
        return w.message.find("joined into one fragment") != std::string::npos;
    }));
}

TEST(Writer, UnknownTargetIsAnError) {
    const auto source = parse(sample(true, false, "1.2.840.10008.1.2.1"));
    write_options options;
    options.transfer_syntax = "1.2.3.4.5";
    memory_sink sink;
    EXPECT_EQ(write(source, sink, options).error().code, errc::unsupported_transfer_syntax);
}

} // namespace
} // namespace dicompix
