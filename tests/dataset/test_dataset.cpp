// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "dicompix/dataset.hpp"
#include "dicompix/tags.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

element text(tag t, vr v, std::string_view s) {
    return element::from_string(t, v, s);
}

TEST(Element, StringsAndPadding) {
    const auto e = text(tags::ImageType, vr::CS, "ORIGINAL\\PRIMARY\\AXIAL");
    EXPECT_EQ(e.value_count(), 3U);
    EXPECT_EQ(e.string(2).value(), "AXIAL");
    EXPECT_EQ(e.strings().size(), 3U);
    EXPECT_EQ(e.string(3).error().code, errc::element_not_found);
    const auto uid = text(tags::SOPClassUID, vr::UI, "1.2.3");
    EXPECT_EQ(uid.bytes().size(), 6U);
    EXPECT_EQ(uid.bytes()[5], std::byte{0});
    EXPECT_EQ(uid.string().value(), "1.2.3");
    const auto lt = text(tags::ImageComments, vr::LT, "a\\b ");
    EXPECT_EQ(lt.value_count(), 1U);
    EXPECT_EQ(lt.string().value(), "a\\b");
    const auto empty = text(tags::PatientName, vr::PN, "");
    EXPECT_EQ(empty.value_count(), 0U);
    EXPECT_FALSE(empty.string());
    const auto ds = text(tags::PixelSpacing, vr::DS, " 0.5\\+1.25E1 ");
    EXPECT_DOUBLE_EQ(ds.to_double(0).value(), 0.5);
    EXPECT_DOUBLE_EQ(ds.to_double(1).value(), 12.5);
    EXPECT_EQ(ds.to_int(0).error().code, errc::invalid_value);
    const auto is = text(tags::NumberOfFrames, vr::IS, "12 ");
    EXPECT_EQ(is.to_int().value(), 12);
    const auto is_dot = text(tags::NumberOfFrames, vr::IS, "3.0");
    EXPECT_EQ(is_dot.to_int().value(), 3);
    const auto bad = text(tags::NumberOfFrames, vr::IS, "abc");
    EXPECT_EQ(bad.to_int().error().code, errc::invalid_value);
}

TEST(Element, BinaryValuesBothByteOrders) {
    const std::byte le[] = {std::byte{0x34}, std::byte{0x12}, std::byte{0xFF}, std::byte{0xFF}};
    const element us(tags::Rows, vr::US, le, false);
    EXPECT_EQ(us.get<std::uint16_t>(0).value(), 0x1234);
    EXPECT_EQ(us.value_count(), 2U);
    EXPECT_EQ(us.get<std::uint32_t>(0).error().code, errc::invalid_value);
    EXPECT_EQ(us.get<std::uint16_t>(2).error().code, errc::element_not_found);
    const element be(tags::Rows, vr::US, le, true);
    EXPECT_EQ(be.get<std::uint16_t>(0).value(), 0x3412);
    const element ss(tags::SmallestImagePixelValue, vr::SS, le, false);
    EXPECT_EQ(ss.get<std::int16_t>(1).value(), -1);
    EXPECT_DOUBLE_EQ(ss.to_double(1).value(), -1.0);
    const element at(tags::FrameIncrementPointer, vr::AT, le, false);
    EXPECT_EQ(at.to_tag().value(), tag(0x1234, 0xFFFF));
    const double values[] = {1.5, -2.0};
    const auto fd = element::from_numbers<double>(tags::ImagePositionPatient, vr::FD, values);
    EXPECT_DOUBLE_EQ(fd.get<double>(1).value(), -2.0);
    EXPECT_EQ(fd.to_int(1).value(), -2);
}

TEST(Dataset, SetKeepsOrderAndReplaces) {
    dataset ds;
    ds.set(text(tags::PatientName, vr::PN, "B"));
    ds.set(text(tags::Modality, vr::CS, "CT"));
    ds.set(text(tags::PatientID, vr::LO, "1"));
    ds.set(text(tags::PatientName, vr::PN, "C"));
    ASSERT_EQ(ds.size(), 3U);
    EXPECT_EQ(ds.elements()[0].tag(), tags::Modality);
    EXPECT_EQ(ds.string(tags::PatientName).value(), "C");
    EXPECT_TRUE(ds.erase(tags::PatientID));
    EXPECT_FALSE(ds.erase(tags::PatientID));
    EXPECT_EQ(ds.string(tags::PatientID).error().code, errc::element_not_found);
}

TEST(Dataset, UnorderedDatasetStillFindsAndSorts) {
    dataset ds;
    ds.push_back_unordered(text(tags::PatientName, vr::PN, "B"));
    ds.push_back_unordered(text(tags::Modality, vr::CS, "MR"));
    EXPECT_FALSE(ds.sorted());
    EXPECT_EQ(ds.string(tags::Modality).value(), "MR");
    ds.set(text(tags::PatientID, vr::LO, "1"));
    EXPECT_TRUE(ds.sorted());
    EXPECT_EQ(ds.elements()[0].tag(), tags::Modality);
}

TEST(Dataset, CharacterSets) {
    dataset ds;
    ds.set_specific_character_set("ISO_IR 100");
    ds.set(text(tags::PatientName, vr::PN, "M\xfcller"));
    bool exact = false;
    EXPECT_EQ(ds.text(tags::PatientName, 0, &exact).value(), "M\xc3\xbcller");
    EXPECT_TRUE(exact);
    ds.set_specific_character_set("ISO_IR 192");
    EXPECT_EQ(ds.decode("\xc3\xa9", &exact), "\xc3\xa9");
    ds.set_specific_character_set("ISO_IR 144");
    EXPECT_EQ(ds.decode("\xbb", &exact), "\xd0\x9b"); // Cyrillic capital El
    EXPECT_TRUE(exact);
    ds.set_specific_character_set("");
    EXPECT_EQ(ds.decode("plain"), "plain");
    (void)ds.decode("\xe9", &exact);
    EXPECT_FALSE(exact);
}

TEST(Dataset, PathsAndErrors) {
    dataset item;
    item.set(text(tags::CodeValue, vr::SH, "X"));
    dataset ds;
    ds.set(element::sequence(tags::ReferencedImageSequence, {item}));
    EXPECT_EQ(ds.at("ReferencedImageSequence/CodeValue").value()->string().value(), "X");
    EXPECT_EQ(ds.at("00081140[0]/00080100").value()->string().value(), "X");
    EXPECT_EQ(ds.at("NoSuchKeyword").error().code, errc::invalid_argument);
    EXPECT_EQ(ds.at("ReferencedImageSequence[x]").error().code, errc::invalid_argument);
    EXPECT_EQ(ds.at("ReferencedImageSequence[3]/CodeValue").error().code, errc::element_not_found);
    const path_step steps[] = {{tags::ReferencedImageSequence, 0}, {tags::CodeValue, 0}};
    EXPECT_EQ(to_string(steps), "(0008,1140)[0]/(0008,0100)");
}

} // namespace
} // namespace dicompix
