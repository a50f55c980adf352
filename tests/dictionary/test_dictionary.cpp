// SPDX-License-Identifier: BSD-3-Clause
// Data dictionary, VR codes, UIDs and transfer syntaxes (src/dictionary/).

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "dicompix/dictionary.hpp"
#include "dicompix/tag.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix {
namespace {

using namespace std::string_view_literals;

// Generated constants are usable in constant expressions.
static_assert(tags::PixelData == tag{0x7FE0, 0x0010});
static_assert(tags::PatientName.value == 0x00100010U);
static_assert(tags::OverlayData == tag{0x6000, 0x3000});
static_assert(tags::CurveData == tag{0x5000, 0x3000});
static_assert(tags::VariablePixelData == tag{0x7F00, 0x0010});
static_assert(tags::SourceImageIDs == tag{0x0020, 0x3100});
// (0028,0400) is Transform Label, so the first free instance of (0028,04x0) is (0028,0410).
static_assert(tags::RowsForNthOrderCoefficients == tag{0x0028, 0x0410});
static_assert(tags::FileMetaInformationGroupLength == tag{0x0002, 0x0000});
static_assert(tags::Item == item_tag);
static_assert(tags::SequenceDelimitationItem == sequence_delimitation_tag);

TEST(dictionary, pixel_data) {
    const dictionary_entry* e = find_entry(tag{0x7FE0, 0x0010});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->tag, 0x7FE00010U);
    EXPECT_EQ(e->mask, 0xFFFFFFFFU);
    EXPECT_EQ(e->value_vr, vr::OB);
    EXPECT_EQ(e->alternative_vr, vr::OW);
    EXPECT_EQ(e->vm, "1");
    EXPECT_EQ(e->keyword, "PixelData");
    EXPECT_EQ(e->name, "Pixel Data");
    EXPECT_FALSE(e->retired);
    EXPECT_EQ(find_entry("PixelData"sv), e);
    EXPECT_EQ(find_entry(tags::PixelData), e);
}

TEST(dictionary, patient_name) {
    const dictionary_entry* e = find_entry(tags::PatientName);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value_vr, vr::PN);
    EXPECT_EQ(e->alternative_vr, vr::unknown);
    EXPECT_EQ(e->name, "Patient's Name");
    EXPECT_EQ(find_entry("PatientName"sv), e);
}

TEST(dictionary, retired_entry) {
    const dictionary_entry* e = find_entry(tag{0x0028, 0x0040});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->keyword, "ImageFormat");
    EXPECT_EQ(e->name, "Image Format");
    EXPECT_EQ(e->value_vr, vr::CS);
    EXPECT_TRUE(e->retired);
    EXPECT_EQ(find_entry("ImageFormat"sv), e);
}

// Against DCMTK 3.6.7 dicom.dic (VR, VM, keyword) and pydicom 2.3 (name, retired).
TEST(dictionary, spot_check_against_sources) {
    struct expected {
        std::uint32_t tag;
        vr value_vr;
        vr alternative_vr;
        std::string_view vm;
        std::string_view keyword;
        std::string_view name;
        bool retired;
    };
    const expected cases[] = {
        {0x00020010, vr::UI, vr::unknown, "1", "TransferSyntaxUID", "Transfer Syntax UID", false},
        {0x00080016, vr::UI, vr::unknown, "1", "SOPClassUID", "SOP Class UID", false},
        {0x00080024, vr::DA, vr::unknown, "1", "OverlayDate", "Overlay Date", true},
        {0x00080060, vr::CS, vr::unknown, "1", "Modality", "Modality", false},
        {0x00100020, vr::LO, vr::unknown, "1", "PatientID", "Patient ID", false},
        {0x00180050, vr::DS, vr::unknown, "1", "SliceThickness", "Slice Thickness", false},
        {0x00189810, vr::US, vr::SS, "1", "ZeroVelocityPixelValue", "Zero Velocity Pixel Value", false},
        {0x00200032, vr::DS, vr::unknown, "3", "ImagePositionPatient", "Image Position (Patient)", false},
        {0x00200037, vr::DS, vr::unknown, "6", "ImageOrientationPatient", "Image Orientation (Patient)", false},
        {0x00280002, vr::US, vr::unknown, "1", "SamplesPerPixel", "Samples per Pixel", false},
        {0x00280008, vr::IS, vr::unknown, "1", "NumberOfFrames", "Number of Frames", false},
        {0x00280106, vr::US, vr::SS, "1", "SmallestImagePixelValue", "Smallest Image Pixel Value", false},
        {0x00280107, vr::US, vr::SS, "1", "LargestImagePixelValue", "Largest Image Pixel Value", false},
        {0x00281050, vr::DS, vr::unknown, "1-n", "WindowCenter", "Window Center", false},
        {0x00281101, vr::US, vr::SS, "3", "RedPaletteColorLookupTableDescriptor",
         "Red Palette Color Lookup Table Descriptor", false},
        {0x00281201, vr::OW, vr::unknown, "1", "RedPaletteColorLookupTableData", "Red Palette Color Lookup Table Data",
         false},
        {0x00283002, vr::US, vr::SS, "3", "LUTDescriptor", "LUT Descriptor", false},
        {0x00283006, vr::US, vr::OW, "1-n", "LUTData", "LUT Data", false},
        {0x00281200, vr::US, vr::OW, "1-n", "GrayLookupTableData", "Gray Lookup Table Data", true},
        {0x00041200, vr::UL, vr::unknown, "1", "OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity",
         "Offset of the First Directory Record of the Root Directory Entity", false},
        {0x0040A730, vr::SQ, vr::unknown, "1", "ContentSequence", "Content Sequence", false},
        {0x00720065, vr::OB, vr::unknown, "1", "SelectorOBValue", "Selector OB Value", false},
        {0x0072006D, vr::UN, vr::unknown, "1", "SelectorUNValue", "Selector UN Value", false},
        {0x00143050, vr::OB, vr::OW, "1", "DarkCurrentCounts", "Dark Current Counts", false},
        {0x21300060, vr::SQ, vr::unknown, "1", "ImageOverlayBoxContentSequence", "Image Overlay Box Content Sequence",
         true},
        // Retired in pydicom, current in DCMTK 2022b: pydicom's flag is kept.
        {0x213000A0, vr::SQ, vr::unknown, "1", "ProposedStudySequence", "Proposed Study Sequence", true},
        {0x30060050, vr::DS, vr::unknown, "3-3n", "ContourData", "Contour Data", false},
        {0x54001010, vr::OB, vr::OW, "1", "WaveformData", "Waveform Data", false},
        {0x7FE00001, vr::OV, vr::unknown, "1", "ExtendedOffsetTable", "Extended Offset Table", false},
        {0x7FE00002, vr::OV, vr::unknown, "1", "ExtendedOffsetTableLengths", "Extended Offset Table Lengths", false},
        {0x7FE00008, vr::OF, vr::unknown, "1", "FloatPixelData", "Float Pixel Data", false},
        {0x7FE00009, vr::OD, vr::unknown, "1", "DoubleFloatPixelData", "Double Float Pixel Data", false},
        // Only in DCMTK 2022b.
        {0x00080017, vr::UI, vr::unknown, "1", "AcquisitionUID", "Acquisition UID", false},
        // Only in pydicom: a retired PS3.6 row without keyword and name.
        {0x00180061, vr::DS, vr::unknown, "1", "", "", true},
        {0xFFFEE000, vr::unknown, vr::unknown, "1", "Item", "Item", false},
    };
    for (const auto& c : cases) {
        const tag t{c.tag};
        SCOPED_TRACE(t.to_string());
        const dictionary_entry* e = find_entry(t);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->tag, c.tag);
        EXPECT_EQ(e->value_vr, c.value_vr);
        EXPECT_EQ(e->alternative_vr, c.alternative_vr);
        EXPECT_EQ(e->vm, c.vm);
        EXPECT_EQ(e->keyword, c.keyword);
        EXPECT_EQ(e->name, c.name);
        EXPECT_EQ(e->retired, c.retired);
    }
}

TEST(dictionary, overlay_repeating_group) {
    const dictionary_entry* e = find_entry(tag{0x6000, 0x3000});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->keyword, "OverlayData");
    EXPECT_EQ(e->name, "Overlay Data");
    EXPECT_EQ(e->value_vr, vr::OB);
    EXPECT_EQ(e->alternative_vr, vr::OW);
    EXPECT_EQ(e->tag, 0x60003000U);
    EXPECT_EQ(e->mask, 0xFF01FFFFU);
    EXPECT_FALSE(e->retired);
    EXPECT_EQ(find_entry(tag{0x6002, 0x3000}), e);
    EXPECT_EQ(find_entry(tag{0x601E, 0x3000}), e);
    EXPECT_EQ(find_entry(tag{0x60FE, 0x3000}), e);
    EXPECT_EQ(find_entry("OverlayData"sv), e);

    const dictionary_entry* rows = find_entry(tag{0x6004, 0x0010});
    ASSERT_NE(rows, nullptr);
    EXPECT_EQ(rows->keyword, "OverlayRows");
    EXPECT_EQ(rows->value_vr, vr::US);

    // Odd groups are private (PS3.5 §7.8.1), never an overlay.
    EXPECT_EQ(find_entry(tag{0x6001, 0x3000}), nullptr);
    EXPECT_EQ(find_entry(tag{0x6003, 0x0010}), find_entry(tag{0x0009, 0x0010})); // a private creator
    EXPECT_EQ(find_entry(tag{0x6100, 0x3000}), nullptr);
    EXPECT_EQ(find_entry(tag{0x6000, 0x3001}), nullptr);
}

TEST(dictionary, curve_and_other_repeating_entries) {
    const dictionary_entry* dims = find_entry(tag{0x5000, 0x0005});
    ASSERT_NE(dims, nullptr);
    EXPECT_EQ(dims->keyword, "CurveDimensions");
    EXPECT_EQ(dims->value_vr, vr::US);
    EXPECT_TRUE(dims->retired);
    EXPECT_EQ(find_entry(tag{0x5012, 0x0005}), dims);

    const dictionary_entry* curve = find_entry(tag{0x5010, 0x3000});
    ASSERT_NE(curve, nullptr);
    EXPECT_EQ(curve->keyword, "CurveData");
    EXPECT_EQ(curve->alternative_vr, vr::OW);

    const dictionary_entry* variable = find_entry(tag{0x7F02, 0x0010});
    ASSERT_NE(variable, nullptr);
    EXPECT_EQ(variable->keyword, "VariablePixelData");
    // Exact entries win over the 7Fxx pattern.
    EXPECT_EQ(find_entry(tag{0x7FE0, 0x0010})->keyword, "PixelData");
    EXPECT_EQ(find_entry(tag{0x7FE0, 0x0020})->keyword, "CoefficientsSDVN");

    EXPECT_EQ(find_entry(tag{0x0020, 0x3105})->keyword, "SourceImageIDs");
    EXPECT_EQ(find_entry(tag{0x0028, 0x0400})->keyword, "TransformLabel");
    EXPECT_EQ(find_entry(tag{0x0028, 0x0410})->keyword, "RowsForNthOrderCoefficients");
    EXPECT_EQ(find_entry(tag{0x0028, 0x04F2})->keyword, "CoefficientCoding");
    EXPECT_EQ(find_entry(tag{0x0028, 0x0800})->keyword, "CodeLabel");
    EXPECT_EQ(find_entry(tag{0x1000, 0x0011})->keyword, "RunLengthTriplet");
    EXPECT_EQ(find_entry(tag{0x1010, 0x0004})->keyword, "ZonalMap");
}

TEST(dictionary, group_length) {
    const dictionary_entry* e = find_entry(tag{0x0008, 0x0000});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value_vr, vr::UL);
    EXPECT_EQ(e->keyword, "GenericGroupLength");
    EXPECT_EQ(e->name, "Group Length");
    EXPECT_EQ(find_entry(tag{0x0009, 0x0000}), e);
    // Not (60xx,...) or (1010,xxxx): the group length rule comes first.
    EXPECT_EQ(find_entry(tag{0x6000, 0x0000}), e);
    EXPECT_EQ(find_entry(tag{0x1010, 0x0000}), e);
    EXPECT_EQ(find_entry("GenericGroupLength"sv), e);
    EXPECT_EQ(find_entry(tag{0x0002, 0x0000})->keyword, "FileMetaInformationGroupLength");
    EXPECT_EQ(find_entry(tag{0x0000, 0x0000})->keyword, "CommandGroupLength");
}

TEST(dictionary, private_elements) {
    const dictionary_entry* creator = find_entry(tag{0x0009, 0x0010});
    ASSERT_NE(creator, nullptr);
    EXPECT_EQ(creator->value_vr, vr::LO);
    EXPECT_EQ(creator->keyword, "PrivateCreator");
    EXPECT_EQ(creator->name, "Private Creator");
    EXPECT_EQ(find_entry(tag{0x0029, 0x00FF}), creator);
    EXPECT_EQ(find_entry("PrivateCreator"sv), creator);
    EXPECT_EQ(find_entry(tag{0x0009, 0x1001}), nullptr);
    EXPECT_EQ(find_entry(tag{0x0009, 0x0005}), nullptr);
    EXPECT_EQ(find_entry(tag{0x0009, 0x0100}), nullptr);
    // Odd groups up to 0007 are not private (PS3.5 §7.8.1).
    EXPECT_EQ(find_entry(tag{0x0003, 0x0010}), nullptr);
    EXPECT_EQ(find_entry(tag{0xFFFF, 0x0010}), nullptr);
}

TEST(dictionary, unknown) {
    EXPECT_EQ(find_entry(tag{0x0008, 0xFFFF}), nullptr);
    EXPECT_EQ(find_entry(tag{0x0010, 0x0011}), nullptr);
    EXPECT_EQ(find_entry(tag{0xFFFE, 0xFFFF}), nullptr);
    EXPECT_EQ(find_entry(tag{0x4002, 0x0010}), nullptr);
    EXPECT_EQ(find_entry(""sv), nullptr);
    EXPECT_EQ(find_entry("NoSuchKeyword"sv), nullptr);
    EXPECT_EQ(find_entry("pixeldata"sv), nullptr);
    EXPECT_EQ(find_entry("PixelDat"sv), nullptr);
    EXPECT_EQ(find_entry("PixelDataX"sv), nullptr);
    EXPECT_EQ(find_entry("\xFF"sv), nullptr);
}

TEST(dictionary, dictionary_vr) {
    EXPECT_EQ(dictionary_vr(tags::PatientName), vr::PN);
    EXPECT_EQ(dictionary_vr(tags::Rows), vr::US);
    EXPECT_EQ(dictionary_vr(tags::PixelData), vr::OW);
    EXPECT_EQ(dictionary_vr(tag{0x6002, 0x3000}), vr::OW);
    EXPECT_EQ(dictionary_vr(tags::WaveformData), vr::OW);
    EXPECT_EQ(dictionary_vr(tags::LUTData), vr::OW);
    EXPECT_EQ(dictionary_vr(tags::SmallestImagePixelValue), vr::US);
    EXPECT_EQ(dictionary_vr(tags::OffsetOfTheNextDirectoryRecord), vr::UL);
    EXPECT_EQ(dictionary_vr(tags::FloatPixelData), vr::OF);
    EXPECT_EQ(dictionary_vr(tag{0x0011, 0x0000}), vr::UL);
    EXPECT_EQ(dictionary_vr(tag{0x0011, 0x0010}), vr::LO);
    EXPECT_EQ(dictionary_vr(tag{0x0011, 0x1010}), vr::UN);
    EXPECT_EQ(dictionary_vr(tag{0x0008, 0xFFFF}), vr::UN);
    EXPECT_EQ(dictionary_vr(item_tag), vr::UN);
}

TEST(dictionary, every_entry_is_found_by_tag_and_keyword) {
    const auto entries = dictionary_entries();
    EXPECT_GT(entries.size(), 4800U);
    std::set<std::string_view> keywords;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        EXPECT_EQ(e.mask, 0xFFFFFFFFU);
        if (i > 0) {
            EXPECT_LT(entries[i - 1].tag, e.tag);
        }
        EXPECT_EQ(find_entry(tag{e.tag}), &e) << tag{e.tag}.to_string();
        if (!e.keyword.empty()) {
            EXPECT_TRUE(keywords.insert(e.keyword).second) << e.keyword;
            EXPECT_EQ(find_entry(e.keyword), &e) << e.keyword;
        }
    }
}

TEST(vr, round_trips) {
    for (std::size_t i = 0; i + 1 < vr_count; ++i) {
        const auto v = static_cast<vr>(i);
        const std::string_view s = to_string(v);
        ASSERT_EQ(s.size(), 2U);
        EXPECT_EQ(vr_from_chars(s[0], s[1]), v) << s;
    }
    EXPECT_EQ(to_string(vr::OB), "OB");
    EXPECT_EQ(to_string(vr::UV), "UV");
    EXPECT_EQ(to_string(vr::unknown), "??");
    EXPECT_EQ(vr_from_chars('S', 'V'), vr::SV);
    EXPECT_EQ(vr_from_chars('o', 'b'), vr::unknown);
    EXPECT_EQ(vr_from_chars('O', 'X'), vr::unknown);
    EXPECT_EQ(vr_from_chars('X', 'X'), vr::unknown);
    EXPECT_EQ(vr_from_chars('?', '?'), vr::unknown);
    EXPECT_EQ(vr_from_chars('\0', '\0'), vr::unknown);
    EXPECT_EQ(vr_from_chars('[', 'A'), vr::unknown);
    EXPECT_EQ(vr_from_chars(static_cast<char>(0xC1), 'E'), vr::unknown);
}

TEST(vr, every_letter_pair) {
    std::size_t known = 0;
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            const vr v = vr_from_chars(static_cast<char>(a), static_cast<char>(b));
            if (v != vr::unknown) {
                ++known;
                const std::string_view s = to_string(v);
                EXPECT_EQ(s[0], static_cast<char>(a));
                EXPECT_EQ(s[1], static_cast<char>(b));
            }
        }
    }
    EXPECT_EQ(known, vr_count - 1);
}

TEST(tag, to_string) {
    EXPECT_EQ(tag(0x0010, 0x0010).to_string(), "(0010,0010)");
    EXPECT_EQ(tags::PixelData.to_string(), "(7FE0,0010)");
    EXPECT_EQ(sequence_delimitation_tag.to_string(), "(FFFE,E0DD)");
    EXPECT_EQ(tag(0xABCD, 0x00EF).to_string(), "(ABCD,00EF)");
    EXPECT_EQ(tag().to_string(), "(0000,0000)");
}

TEST(uid, ct_image_storage) {
    const uid_entry* u = find_uid("1.2.840.10008.5.1.4.1.1.2");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->name, "CT Image Storage");
    EXPECT_EQ(u->type, "SOP Class");
    EXPECT_FALSE(u->retired);
    EXPECT_EQ(find_uid("1.2.840.10008.5.1.4.1.1.2\0"sv), u);
    EXPECT_EQ(find_uid("1.2.840.10008.5.1.4.1.1"), nullptr);
    EXPECT_EQ(find_uid("1.2.840.10008.5.1.4.1.1.2.1")->name, "Enhanced CT Image Storage");
    EXPECT_EQ(find_uid(""), nullptr);
    EXPECT_TRUE(find_uid("1.2.840.10008.5.1.4.1.1.5")->retired); // NM Image Storage (retired)
}

TEST(uid, transfer_syntaxes_are_registered) {
    for (const auto& ts : transfer_syntaxes()) {
        const uid_entry* u = find_uid(ts.uid);
        ASSERT_NE(u, nullptr) << ts.uid;
        EXPECT_EQ(u->type, "Transfer Syntax");
        EXPECT_EQ(u->name, ts.name);
        EXPECT_EQ(u->retired, ts.retired);
    }
}

TEST(transfer_syntax, all_of_ps3_6_are_known) {
    const std::string_view expected[] = {
        "1.2.840.10008.1.2",         "1.2.840.10008.1.2.1",     "1.2.840.10008.1.2.1.98",    "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.2",       "1.2.840.10008.1.2.4.50",  "1.2.840.10008.1.2.4.51",    "1.2.840.10008.1.2.4.52",
        "1.2.840.10008.1.2.4.53",    "1.2.840.10008.1.2.4.54",  "1.2.840.10008.1.2.4.55",    "1.2.840.10008.1.2.4.56",
        "1.2.840.10008.1.2.4.57",    "1.2.840.10008.1.2.4.58",  "1.2.840.10008.1.2.4.59",    "1.2.840.10008.1.2.4.60",
        "1.2.840.10008.1.2.4.61",    "1.2.840.10008.1.2.4.62",  "1.2.840.10008.1.2.4.63",    "1.2.840.10008.1.2.4.64",
        "1.2.840.10008.1.2.4.65",    "1.2.840.10008.1.2.4.66",  "1.2.840.10008.1.2.4.70",    "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.81",    "1.2.840.10008.1.2.4.90",  "1.2.840.10008.1.2.4.91",    "1.2.840.10008.1.2.4.92",
        "1.2.840.10008.1.2.4.93",    "1.2.840.10008.1.2.4.94",  "1.2.840.10008.1.2.4.95",    "1.2.840.10008.1.2.4.100",
        "1.2.840.10008.1.2.4.100.1", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.101.1", "1.2.840.10008.1.2.4.102",
        "1.2.840.10008.1.2.4.102.1", "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.103.1", "1.2.840.10008.1.2.4.104",
        "1.2.840.10008.1.2.4.104.1", "1.2.840.10008.1.2.4.105", "1.2.840.10008.1.2.4.105.1", "1.2.840.10008.1.2.4.106",
        "1.2.840.10008.1.2.4.106.1", "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108",   "1.2.840.10008.1.2.4.110",
        "1.2.840.10008.1.2.4.111",   "1.2.840.10008.1.2.4.112", "1.2.840.10008.1.2.4.201",   "1.2.840.10008.1.2.4.202",
        "1.2.840.10008.1.2.4.203",   "1.2.840.10008.1.2.4.204", "1.2.840.10008.1.2.4.205",   "1.2.840.10008.1.2.5",
        "1.2.840.10008.1.2.6.1",     "1.2.840.10008.1.2.6.2",   "1.2.840.10008.1.2.7.1",     "1.2.840.10008.1.2.7.2",
        "1.2.840.10008.1.2.7.3",     "1.2.840.10008.1.2.8.1",   "1.2.840.10008.1.20",
    };
    EXPECT_EQ(transfer_syntaxes().size(), std::size(expected));
    for (const auto uid : expected) {
        const transfer_syntax* ts = find_transfer_syntax(uid);
        ASSERT_NE(ts, nullptr) << uid;
        EXPECT_EQ(ts->uid, uid);
        EXPECT_FALSE(ts->name.empty());
        EXPECT_EQ(find_transfer_syntax_by_name(ts->keyword), ts) << ts->keyword;
        EXPECT_EQ(find_transfer_syntax_by_name(ts->name), ts) << ts->name;
    }
    std::set<std::string_view> keywords;
    for (const auto& ts : transfer_syntaxes()) {
        EXPECT_TRUE(keywords.insert(ts.keyword).second) << ts.keyword;
    }
}

TEST(transfer_syntax, library_uids_resolve) {
    for (const auto uid : {uids::implicit_vr_little_endian,
                           uids::explicit_vr_little_endian,
                           uids::encapsulated_uncompressed,
                           uids::deflated_explicit_vr_little_endian,
                           uids::explicit_vr_big_endian,
                           uids::deflated_image_frame,
                           uids::jpeg_baseline,
                           uids::jpeg_extended,
                           uids::jpeg_spectral_selection,
                           uids::jpeg_full_progression,
                           uids::jpeg_lossless,
                           uids::jpeg_lossless_sv1,
                           uids::jpeg_ls_lossless,
                           uids::jpeg_ls_near_lossless,
                           uids::jpeg_2000_lossless,
                           uids::jpeg_2000,
                           uids::jpeg_xl_lossless,
                           uids::jpeg_xl_jpeg_recompression,
                           uids::jpeg_xl,
                           uids::htj2k_lossless,
                           uids::htj2k_rpcl_lossless,
                           uids::htj2k,
                           uids::rle_lossless}) {
        EXPECT_NE(find_transfer_syntax(uid), nullptr) << uid;
    }
}

TEST(transfer_syntax, padding_and_unknown) {
    const transfer_syntax* evrle = find_transfer_syntax("1.2.840.10008.1.2.1\0"sv);
    ASSERT_NE(evrle, nullptr);
    EXPECT_EQ(evrle->keyword, "ExplicitVRLittleEndian");
    EXPECT_EQ(find_transfer_syntax("1.2.840.10008.1.2.1 "sv), evrle);
    EXPECT_EQ(find_transfer_syntax("1.2.840.10008.1.2.1\0\0"sv), evrle);
    EXPECT_EQ(find_transfer_syntax("1.2.840.10008.1.2\0"sv)->keyword, "ImplicitVRLittleEndian");
    EXPECT_EQ(find_transfer_syntax(""), nullptr);
    EXPECT_EQ(find_transfer_syntax("\0"sv), nullptr);
    EXPECT_EQ(find_transfer_syntax("1.2.840.10008.1.2.4"), nullptr);
    EXPECT_EQ(find_transfer_syntax("1.2.840.10008.1.2.1.9"), nullptr);
    EXPECT_EQ(find_transfer_syntax("1.2.840.10008.5.1.4.1.1.2"), nullptr); // a SOP class
    EXPECT_EQ(find_transfer_syntax("ExplicitVRLittleEndian"), nullptr);    // keywords: by_name only
}

TEST(transfer_syntax, by_name_is_case_insensitive) {
    const transfer_syntax* j2k = find_transfer_syntax(uids::jpeg_2000_lossless);
    ASSERT_NE(j2k, nullptr);
    EXPECT_EQ(find_transfer_syntax_by_name("JPEG2000Lossless"), j2k);
    EXPECT_EQ(find_transfer_syntax_by_name("jpeg2000lossless"), j2k);
    EXPECT_EQ(find_transfer_syntax_by_name("jpeg 2000 image compression (lossless only)"), j2k);
    EXPECT_EQ(find_transfer_syntax_by_name("1.2.840.10008.1.2.4.90\0"sv), j2k);
    EXPECT_EQ(find_transfer_syntax_by_name(" htj2k "), find_transfer_syntax(uids::htj2k));
    EXPECT_EQ(find_transfer_syntax_by_name("DeflatedImageFrameCompression"),
              find_transfer_syntax(uids::deflated_image_frame));
    EXPECT_EQ(find_transfer_syntax_by_name("JPEG2000Lossles"), nullptr);
    EXPECT_EQ(find_transfer_syntax_by_name(""), nullptr);
    EXPECT_EQ(find_transfer_syntax_by_name("nonsense"), nullptr);
}

TEST(transfer_syntax, flags) {
    struct expected {
        std::string_view uid;
        std::string_view keyword;
        bool big_endian, explicit_vr, encapsulated, lossy, deflated, retired;
    };
    const expected cases[] = {
        {"1.2.840.10008.1.2", "ImplicitVRLittleEndian", false, false, false, false, false, false},
        {"1.2.840.10008.1.2.1", "ExplicitVRLittleEndian", false, true, false, false, false, false},
        {"1.2.840.10008.1.2.1.98", "EncapsulatedUncompressedExplicitVRLittleEndian", false, true, true, false, false,
         false},
        {"1.2.840.10008.1.2.1.99", "DeflatedExplicitVRLittleEndian", false, true, false, false, true, false},
        {"1.2.840.10008.1.2.2", "ExplicitVRBigEndian", true, true, false, false, false, true},
        {"1.2.840.10008.1.2.4.50", "JPEGBaseline8Bit", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.51", "JPEGExtended12Bit", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.53", "JPEGSpectralSelectionNonHierarchical68", false, true, true, true, false, true},
        {"1.2.840.10008.1.2.4.57", "JPEGLossless", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.70", "JPEGLosslessSV1", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.80", "JPEGLSLossless", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.81", "JPEGLSNearLossless", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.90", "JPEG2000Lossless", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.91", "JPEG2000", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.95", "JPIPReferencedDeflate", false, true, false, true, true, false},
        {"1.2.840.10008.1.2.4.102.1", "MPEG4HP41F", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.110", "JPEGXLLossless", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.111", "JPEGXLJPEGRecompression", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.112", "JPEGXL", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.201", "HTJ2KLossless", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.202", "HTJ2KLosslessRPCL", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.4.203", "HTJ2K", false, true, true, true, false, false},
        {"1.2.840.10008.1.2.4.204", "JPIPHTJ2KReferenced", false, true, false, true, false, false},
        {"1.2.840.10008.1.2.5", "RLELossless", false, true, true, false, false, false},
        {"1.2.840.10008.1.2.7.1", "SMPTEST211020UncompressedProgressiveActiveVideo", false, true, false, false, false,
         false},
        // PS3.5 §A.4.13: each frame is deflated, the data set is not.
        {"1.2.840.10008.1.2.8.1", "DeflatedImageFrameCompression", false, true, true, false, false, false},
        {"1.2.840.10008.1.20", "Papyrus3ImplicitVRLittleEndian", false, false, false, false, false, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.uid);
        const transfer_syntax* ts = find_transfer_syntax(c.uid);
        ASSERT_NE(ts, nullptr);
        EXPECT_EQ(ts->keyword, c.keyword);
        EXPECT_EQ(ts->big_endian, c.big_endian);
        EXPECT_EQ(ts->explicit_vr, c.explicit_vr);
        EXPECT_EQ(ts->encapsulated, c.encapsulated);
        EXPECT_EQ(ts->lossy, c.lossy);
        EXPECT_EQ(ts->deflated, c.deflated);
        EXPECT_EQ(ts->retired, c.retired);
    }
    EXPECT_EQ(find_transfer_syntax(uids::jpeg_baseline)->name, "JPEG Baseline (Process 1)");
    EXPECT_EQ(find_transfer_syntax(uids::htj2k_lossless)->name,
              "High-Throughput JPEG 2000 Image Compression (Lossless Only)");
}

} // namespace
} // namespace dicompix
