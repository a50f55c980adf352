// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "dicompix/dictionary.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"
#include "parser/inflate.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

result<dicom_file> parse(const bytes& b, parse_options options = {}) {
    return read_bytes(byte_source::adopt(b), options);
}

bool has_warning(const dicom_file& f, std::string_view needle) {
    for (const auto& w : f.warnings()) {
        if (w.message.find(needle) != std::string::npos) {
            return true;
        }
    }
    return false;
}

dicom_builder simple_dataset(bool explicit_vr, bool big_endian) {
    dicom_builder b(explicit_vr, big_endian);
    b.str(tags::SpecificCharacterSet, vr::CS, "ISO_IR 100")
        .str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7")
        .str(tags::PatientName, vr::PN, "Doe^John")
        .str(tags::PatientID, vr::LO, "ID1")
        .us(tags::SamplesPerPixel, {1})
        .us(tags::Rows, {2})
        .us(tags::Columns, {3})
        .str(tags::PixelSpacing, vr::DS, "0.5\\0.25")
        .us(tags::BitsAllocated, {16});
    const bytes pixels = {std::byte{1}, std::byte{0}, std::byte{2}, std::byte{0}, std::byte{3}, std::byte{0},
                          std::byte{4}, std::byte{0}, std::byte{5}, std::byte{0}, std::byte{6}, std::byte{0}};
    b.element(tags::PixelData, vr::OW, pixels);
    return b;
}

void expect_simple(const dicom_file& f) {
    const dataset& ds = f.dataset();
    EXPECT_EQ(ds.size(), 10U);
    EXPECT_EQ(ds.string(tags::PatientName).value(), "Doe^John");
    EXPECT_EQ(ds.string(tags::PatientID).value(), "ID1");
    EXPECT_EQ(ds.get<std::uint16_t>(tags::Rows).value(), 2);
    EXPECT_EQ(ds.get<std::uint16_t>(tags::Columns).value(), 3);
    EXPECT_DOUBLE_EQ(ds.to_double(tags::PixelSpacing, 1).value(), 0.25);
    const element* pd = ds.find(tags::PixelData);
    ASSERT_NE(pd, nullptr);
    EXPECT_EQ(pd->bytes().size(), 12U);
    EXPECT_FALSE(pd->is_encapsulated());
}

TEST(Parser, ExplicitLittleEndianPart10) {
    const auto ds = simple_dataset(true, false);
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2.1"));
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_TRUE(file->has_preamble());
    EXPECT_EQ(file->transfer_syntax_uid(), "1.2.840.10008.1.2.1");
    EXPECT_EQ(file->meta().string(tags::MediaStorageSOPClassUID).value(), "1.2.840.10008.5.1.4.1.1.7");
    expect_simple(*file);
    EXPECT_TRUE(file->warnings().empty());
}

TEST(Parser, ImplicitLittleEndianPart10) {
    const auto ds = simple_dataset(false, false);
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2"));
    ASSERT_TRUE(file) << file.error().to_string();
    expect_simple(*file);
    // Implicit VR: the dictionary gives the VR; "OB or OW" Pixel Data is OW (PS3.5 §A.1).
    EXPECT_EQ(file->dataset().find(tags::PatientName)->vr(), vr::PN);
    EXPECT_EQ(file->dataset().find(tags::PixelData)->vr(), vr::OW);
}

TEST(Parser, ExplicitBigEndianPart10) {
    const auto ds = simple_dataset(true, true);
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2.2"));
    ASSERT_TRUE(file) << file.error().to_string();
    expect_simple(*file);
    EXPECT_TRUE(file->dataset().big_endian());
    EXPECT_TRUE(file->dataset().find(tags::PixelData)->big_endian());
}

TEST(Parser, MetaWithoutGroupLength) {
    const auto ds = simple_dataset(true, false);
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2.1", false));
    ASSERT_TRUE(file) << file.error().to_string();
    expect_simple(*file);
    EXPECT_TRUE(has_warning(*file, "no group length"));
}

struct bare_case {
    bool explicit_vr;
    bool big_endian;
    std::string_view uid;
};

class BareDataset : public ::testing::TestWithParam<bare_case> {};

TEST_P(BareDataset, DetectsEncoding) {
    const auto c = GetParam();
    const auto file = parse(simple_dataset(c.explicit_vr, c.big_endian).data());
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_FALSE(file->has_preamble());
    EXPECT_TRUE(file->meta().empty());
    EXPECT_EQ(file->transfer_syntax_uid(), c.uid);
    expect_simple(*file);
}

INSTANTIATE_TEST_SUITE_P(Encodings, BareDataset,
                         ::testing::Values(bare_case{false, false, "1.2.840.10008.1.2"},
                                           bare_case{true, false, "1.2.840.10008.1.2.1"},
                                           bare_case{true, true, "1.2.840.10008.1.2.2"}));

dicom_builder nested(bool explicit_vr, bool big_endian, bool undefined_seq, bool undefined_item) {
    dicom_builder b(explicit_vr, big_endian);
    b.str(tags::SpecificCharacterSet, vr::CS, "ISO_IR 100");
    b.begin_sequence(tags::ReferencedImageSequence, undefined_seq);
    for (int i = 0; i < 2; ++i) {
        b.begin_item(undefined_item)
            .str(tags::ReferencedSOPClassUID, vr::UI, "1.2.3")
            .str(tags::ReferencedSOPInstanceUID, vr::UI, i == 0 ? "1.2.3.4" : "1.2.3.5");
        b.begin_sequence(tags::PurposeOfReferenceCodeSequence, !undefined_seq)
            .begin_item(!undefined_item)
            .str(tags::CodeValue, vr::SH, "121311")
            .end_item()
            .end_sequence();
        b.end_item();
    }
    b.end_sequence();
    b.str(tags::PatientName, vr::PN, "A^B");
    return b;
}

class Nesting : public ::testing::TestWithParam<std::tuple<bool, bool, bool, bool>> {};

TEST_P(Nesting, SequencesAndItems) {
    const auto [explicit_vr, big_endian, undefined_seq, undefined_item] = GetParam();
    if (!explicit_vr && big_endian) {
        GTEST_SKIP() << "implicit VR big endian does not exist";
    }
    const std::string_view uid = !explicit_vr ? "1.2.840.10008.1.2"
                                 : big_endian ? "1.2.840.10008.1.2.2"
                                              : "1.2.840.10008.1.2.1";
    const auto data = nested(explicit_vr, big_endian, undefined_seq, undefined_item);
    const auto file = parse(dicom_builder::part10(data.data(), uid));
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_TRUE(file->warnings().empty()) << file->warnings().front().message;
    const dataset& ds = file->dataset();
    const element* seq = ds.find(tags::ReferencedImageSequence);
    ASSERT_NE(seq, nullptr);
    ASSERT_TRUE(seq->is_sequence());
    ASSERT_EQ(seq->items().size(), 2U);
    EXPECT_EQ(seq->items()[1].string(tags::ReferencedSOPInstanceUID).value(), "1.2.3.5");
    EXPECT_EQ(seq->items()[0].undefined_length(), undefined_item);
    EXPECT_EQ(seq->has_undefined_length(), undefined_seq);
    // Items inherit the Specific Character Set of the enclosing dataset.
    EXPECT_EQ(seq->items()[0].specific_character_set(), "ISO_IR 100");
    const auto code = ds.at("ReferencedImageSequence[1]/PurposeOfReferenceCodeSequence[0]/CodeValue");
    ASSERT_TRUE(code) << code.error().to_string();
    EXPECT_EQ((*code)->string().value(), "121311");
    EXPECT_TRUE(ds.at("(0008,1140)[1].(0008,1155)"));
    EXPECT_FALSE(ds.at("ReferencedImageSequence[2]/ReferencedSOPInstanceUID"));
    EXPECT_EQ(ds.string(tags::PatientName).value(), "A^B");
}

INSTANTIATE_TEST_SUITE_P(AllEncodings, Nesting,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(), ::testing::Bool(), ::testing::Bool()));

TEST(Parser, UnknownLengthUnIsParsedAsImplicitSequence) {
    // CP-246: an explicit VR file carrying a sequence as UN with undefined length; the items are
    // implicit VR little endian.
    dicom_builder items(false, false);
    items.begin_item(true).str(tags::CodeValue, vr::SH, "ABC").end_item();
    dicom_builder b(true, false);
    b.header(tags::ReferencedImageSequence, vr::UN, 0xFFFFFFFFU);
    b.raw(items.data());
    b.raw_u16(0xFFFE).raw_u16(0xE0DD).raw_u32(0);
    b.str(tags::PatientName, vr::PN, "X");
    const auto file = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_TRUE(file) << file.error().to_string();
    const element* seq = file->dataset().find(tags::ReferencedImageSequence);
    ASSERT_NE(seq, nullptr);
    EXPECT_EQ(seq->vr(), vr::SQ); // the dictionary knows it is a sequence
    ASSERT_EQ(seq->items().size(), 1U);
    EXPECT_EQ(seq->items()[0].string(tags::CodeValue).value(), "ABC");
    EXPECT_EQ(seq->items()[0].find(tags::CodeValue)->vr(), vr::SH);
    EXPECT_EQ(file->dataset().string(tags::PatientName).value(), "X");
}

TEST(Parser, PrivateUnknownUndefinedLengthInImplicitIsSequence) {
    dicom_builder b(false, false);
    b.str(tag(0x0009, 0x0010), vr::LO, "ACME");
    b.begin_sequence(tag(0x0009, 0x1001), true);
    b.begin_item(true).str(tags::CodeValue, vr::SH, "Z").end_item();
    b.end_sequence();
    const auto file = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2"));
    ASSERT_TRUE(file) << file.error().to_string();
    const element* creator = file->dataset().find(tag(0x0009, 0x0010));
    ASSERT_NE(creator, nullptr);
    EXPECT_EQ(creator->vr(), vr::LO);
    const element* seq = file->dataset().find(tag(0x0009, 0x1001));
    ASSERT_NE(seq, nullptr);
    EXPECT_EQ(seq->vr(), vr::UN);
    ASSERT_EQ(seq->items().size(), 1U);
}

TEST(Parser, EncapsulatedPixelDataRecordsFragmentsWithoutCopying) {
    dicom_builder b(true, false);
    b.us(tags::Rows, {1});
    const std::vector<bytes> fragments = {test::to_bytes("ABCD"), test::to_bytes("EFGHIJ"), test::to_bytes("KL")};
    const std::uint32_t bot[] = {0, 14};
    b.encapsulated(bot, fragments);
    const bytes file_bytes = dicom_builder::part10(b.data(), "1.2.840.10008.1.2.4.70");
    const auto file = read_bytes(byte_source::borrow(file_bytes));
    ASSERT_TRUE(file) << file.error().to_string();
    const element* pd = file->dataset().find(tags::PixelData);
    ASSERT_NE(pd, nullptr);
    ASSERT_TRUE(pd->is_encapsulated());
    const auto* enc = pd->encapsulated();
    EXPECT_EQ(enc->basic_offset_table.size(), 8U);
    ASSERT_EQ(enc->fragments.size(), 3U);
    EXPECT_EQ(enc->fragments[1].bytes.size(), 6U);
    // Views point into the caller's buffer.
    EXPECT_EQ(static_cast<const void*>(enc->fragments[0].bytes.data()),
              static_cast<const void*>(file_bytes.data() + enc->fragments[0].offset));
    EXPECT_EQ(enc->first_fragment_offset + 8, enc->fragments[0].offset);
    EXPECT_TRUE(enc->has_sequence_delimiter);
}

TEST(Parser, PixelDataInIconImageSequence) {
    dicom_builder b(true, false);
    b.begin_sequence(tags::IconImageSequence, true).begin_item(true);
    b.us(tags::Rows, {2}).us(tags::Columns, {2}).element(tags::PixelData, vr::OB, test::to_bytes("wxyz"));
    b.end_item().end_sequence();
    b.us(tags::Rows, {512});
    b.element(tags::PixelData, vr::OW, test::to_bytes("12345678"));
    const auto file = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_TRUE(file) << file.error().to_string();
    const auto icon = file->dataset().at("IconImageSequence[0]/PixelData");
    ASSERT_TRUE(icon);
    EXPECT_EQ((*icon)->bytes().size(), 4U);
    EXPECT_EQ(file->dataset().find(tags::PixelData)->bytes().size(), 8U);
}

TEST(Parser, StopBeforePixelData) {
    const auto ds = simple_dataset(true, false);
    parse_options options;
    options.stop_before_pixel_data = true;
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2.1"), options);
    ASSERT_TRUE(file);
    EXPECT_TRUE(file->stopped_before_pixel_data());
    EXPECT_EQ(file->dataset().find(tags::PixelData), nullptr);
    EXPECT_EQ(file->dataset().get<std::uint16_t>(tags::BitsAllocated).value(), 16);
}

TEST(Parser, DeflatedExplicitLittleEndian) {
    const auto ds = nested(true, false, true, false);
    const auto deflated = detail::deflate_raw(ds.data());
    ASSERT_TRUE(deflated);
    const auto file = parse(dicom_builder::part10(*deflated, "1.2.840.10008.1.2.1.99"));
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_TRUE(file->transfer_syntax()->deflated);
    EXPECT_EQ(file->dataset().at("ReferencedImageSequence[1]/ReferencedSOPInstanceUID").value()->string().value(),
              "1.2.3.5");
    EXPECT_NE(file->source().data(), file->file_source().data());
}

TEST(Parser, DeflateBombStopsAtLimit) {
    bytes zeros(8 << 20, std::byte{0});
    dicom_builder b(true, false);
    b.element(tag(0x0009, 0x1000), vr::OB, zeros);
    const auto deflated = detail::deflate_raw(b.data(), 9);
    ASSERT_TRUE(deflated);
    EXPECT_LT(deflated->size(), 20000U);
    parse_options options;
    options.limits.max_inflated_bytes = 1 << 20;
    const auto file = parse(dicom_builder::part10(*deflated, "1.2.840.10008.1.2.1.99"), options);
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, errc::limit_exceeded);
}

TEST(Parser, NotDicom) {
    EXPECT_EQ(parse({}).error().code, errc::not_dicom);
    EXPECT_EQ(parse(test::to_bytes("Hello, world! This is not DICOM at all.")).error().code, errc::not_dicom);
    EXPECT_EQ(parse(test::to_bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10")).error().code, errc::not_dicom);
}

TEST(Parser, OddLengthIsWarningLenientErrorStrict) {
    dicom_builder b(true, false);
    b.element(tags::PatientName, vr::PN, test::to_bytes("ABC"));
    b.str(tags::PatientID, vr::LO, "1");
    const bytes f = dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1");
    const auto lenient = parse(f);
    ASSERT_TRUE(lenient);
    EXPECT_TRUE(has_warning(*lenient, "odd value length"));
    EXPECT_EQ(lenient->dataset().string(tags::PatientName).value(), "ABC");
    parse_options strict;
    strict.strict = true;
    EXPECT_EQ(parse(f, strict).error().code, errc::invalid_length);
}

TEST(Parser, ImplicitElementInsideExplicitDataset) {
    dicom_builder b(true, false);
    b.str(tags::PatientName, vr::PN, "AB");
    dicom_builder imp(false, false);
    imp.str(tags::PatientID, vr::LO, "XY");
    b.raw(imp.data());
    b.str(tags::PatientSex, vr::CS, "M");
    const bytes f = dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1");
    const auto lenient = parse(f);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(lenient->dataset().string(tags::PatientID).value(), "XY");
    EXPECT_EQ(lenient->dataset().find(tags::PatientID)->vr(), vr::LO);
    EXPECT_EQ(lenient->dataset().string(tags::PatientSex).value(), "M");
    EXPECT_TRUE(has_warning(*lenient, "implicit VR element"));
    parse_options strict;
    strict.strict = true;
    EXPECT_EQ(parse(f, strict).error().code, errc::invalid_vr);
}

TEST(Parser, MissingSequenceDelimiterAtEnd) {
    dicom_builder b(true, false);
    b.begin_sequence(tags::ReferencedImageSequence, true).begin_item(true).str(tags::CodeValue, vr::SH, "A");
    const bytes f = dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1");
    const auto lenient = parse(f);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(lenient->dataset().at("ReferencedImageSequence[0]/CodeValue").value()->string().value(), "A");
    EXPECT_FALSE(lenient->warnings().empty());
    parse_options strict;
    strict.strict = true;
    EXPECT_EQ(parse(f, strict).error().code, errc::unexpected_end);
}

TEST(Parser, MissingSequenceDelimiterBeforeNextElement) {
    dicom_builder b(true, false);
    b.begin_sequence(tags::ReferencedImageSequence, true).begin_item(false).str(tags::CodeValue, vr::SH, "A").end_item();
    b.str(tags::PatientName, vr::PN, "N");
    const auto lenient = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(lenient->dataset().string(tags::PatientName).value(), "N");
    EXPECT_TRUE(has_warning(*lenient, "missing Sequence Delimitation Item"));
}

TEST(Parser, TruncatedLastElement) {
    dicom_builder b(true, false);
    b.str(tags::PatientName, vr::PN, "AB");
    b.header(tags::PixelData, vr::OW, 1000);
    b.raw(bytes(100, std::byte{7}));
    const bytes f = dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1");
    const auto lenient = parse(f);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(lenient->dataset().find(tags::PixelData)->bytes().size(), 100U);
    EXPECT_EQ(lenient->dataset().find(tags::PixelData)->declared_length(), 1000U);
    EXPECT_TRUE(has_warning(*lenient, "truncated"));
    parse_options strict;
    strict.strict = true;
    EXPECT_EQ(parse(f, strict).error().code, errc::unexpected_end);
}

TEST(Parser, AsciiSpaceValueLength) {
    dicom_builder b(false, false);
    b.str(tags::PatientName, vr::PN, "AB");
    b.header(tags::PatientID, vr::LO, 0x20202020U);
    b.raw(test::to_bytes("XYZW"));
    const auto lenient = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2"));
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_TRUE(has_warning(*lenient, "ASCII spaces"));
}

TEST(Parser, LengthPastEndOfEnclosingItemIsError) {
    dicom_builder b(true, false);
    b.begin_sequence(tags::ReferencedImageSequence, false).begin_item(false);
    b.header(tags::CodeValue, vr::SH, 200).raw(test::to_bytes("AB"));
    b.end_item().end_sequence();
    b.str(tags::PatientName, vr::PN, "N");
    const auto file = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, errc::unexpected_end);
    EXPECT_EQ(file.error().tag_path, "(0008,1140)[0]/(0008,0100)");
}

TEST(Parser, DepthLimit) {
    dicom_builder b(true, false);
    constexpr int depth = 300;
    for (int i = 0; i < depth; ++i) {
        b.begin_sequence(tags::ReferencedImageSequence, true).begin_item(true);
    }
    for (int i = 0; i < depth; ++i) {
        b.end_item().end_sequence();
    }
    const auto file = parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"));
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, errc::limit_exceeded);
    parse_options deep;
    deep.limits.max_sequence_depth = 400;
    EXPECT_TRUE(parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"), deep));
}

TEST(Parser, ExplicitDataLabelledImplicit) {
    const auto ds = simple_dataset(true, false);
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2"));
    ASSERT_TRUE(file) << file.error().to_string();
    expect_simple(*file);
    EXPECT_TRUE(file->transfer_syntax()->explicit_vr);
    EXPECT_TRUE(has_warning(*file, "transfer syntax says implicit"));
}

TEST(Parser, UnknownTransferSyntaxDetectsEncoding) {
    const auto ds = simple_dataset(true, false);
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.3.4.5.6.7"));
    ASSERT_TRUE(file) << file.error().to_string();
    EXPECT_EQ(file->transfer_syntax_uid(), "1.2.3.4.5.6.7");
    expect_simple(*file);
}

TEST(Parser, TrailingZerosIgnored) {
    auto ds = simple_dataset(true, false);
    ds.raw(bytes(64, std::byte{0}));
    const auto file = parse(dicom_builder::part10(ds.data(), "1.2.840.10008.1.2.1"));
    ASSERT_TRUE(file) << file.error().to_string();
    expect_simple(*file);
    EXPECT_TRUE(has_warning(*file, "trailing bytes"));
}

TEST(Parser, ElementCountLimit) {
    dicom_builder b(true, false);
    for (std::uint16_t i = 0; i < 100; ++i) {
        b.str(tag(0x0009, static_cast<std::uint16_t>(0x1000 + i)), vr::LO, "x");
    }
    parse_options options;
    options.limits.max_elements = 50;
    EXPECT_EQ(parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"), options).error().code,
              errc::limit_exceeded);
}

TEST(Parser, ValueLengthLimit) {
    dicom_builder b(true, false);
    b.element(tag(0x0009, 0x1000), vr::OB, bytes(1000, std::byte{1}));
    parse_options options;
    options.limits.max_value_length = 999;
    EXPECT_EQ(parse(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"), options).error().code,
              errc::limit_exceeded);
}

TEST(Parser, ReadFileMapsAndReportsMissingFile) {
    const auto missing = read_file("/nonexistent/file.dcm");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, errc::io_error);
}

} // namespace
} // namespace dicompix
