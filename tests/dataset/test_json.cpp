// SPDX-License-Identifier: BSD-3-Clause
// The DICOM JSON Model writer (PS3.18 F.2). The corpus-wide comparison with DCMTK's dcm2json is
// tests/corpus/dcm2json_oracle.py; these tests pin down each mapping rule on small datasets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "dicompix/json.hpp"
#include "dicompix/parser.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;
using test::to_bytes;

/// Parses a bare dataset built by `b` with the transfer syntax that matches its encoding.
dicom_file parse(const dicom_builder& b, std::string_view uid) {
    auto file = read_dataset(byte_source::adopt(b.data()), uid);
    EXPECT_TRUE(file.has_value()) << (file ? "" : file.error().to_string());
    return std::move(file).value();
}

std::string json(const dicom_file& f, const json_options& o = {}) {
    auto r = to_json(f.dataset(), o);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
    return r ? *r : std::string{};
}

TEST(Json, StringsNumbersAndPersonNames) {
    dicom_builder b;
    b.ul(tag{0x0008, 0x0000}, {100});
    b.str(tag{0x0008, 0x0008}, vr::CS, "ORIGINAL\\\\ AXIAL ");
    b.str(tag{0x0008, 0x0018}, vr::UI, "1.2.3");
    b.str(tag{0x0010, 0x0010}, vr::PN, "Doe^John^^=Yamada^Tarou=");
    b.str(tag{0x0010, 0x0020}, vr::LO, "  id ");
    b.str(tag{0x0010, 0x1010}, vr::AS, "    ");
    b.str(tag{0x0010, 0x21B0}, vr::LT, "a \\ \"b\"\n\tc");
    b.str(tag{0x0018, 0x0050}, vr::DS, "+0012.50\\.5\\-1.\\1E+05\\abc");
    b.str(tag{0x0020, 0x0013}, vr::IS, " -007 ");
    b.us(tag{0x0028, 0x0010}, {512, 7});
    b.element(tag{0x0028, 0x0106}, vr::SS, to_bytes(std::string("\xFF\xFF", 2)));
    b.fd(tag{0x0028, 0x1050}, {0.1, std::numeric_limits<double>::quiet_NaN()});
    const dicom_file f = parse(b, uids::explicit_vr_little_endian);
    EXPECT_EQ(json(f),
              "{\"00080008\":{\"vr\":\"CS\",\"Value\":[\"ORIGINAL\",null,\"AXIAL\"]},"
              "\"00080018\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]},"
              "\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"Doe^John\",\"Ideographic\":\"Yamada^Tarou\"}]},"
              "\"00100020\":{\"vr\":\"LO\",\"Value\":[\"id\"]},"
              "\"00101010\":{\"vr\":\"AS\"},"
              "\"001021B0\":{\"vr\":\"LT\",\"Value\":[\"a \\\\ \\\"b\\\"\\n\\tc\"]},"
              "\"00180050\":{\"vr\":\"DS\",\"Value\":[12.50,0.5,-1,1e05,\"abc\"]},"
              "\"00200013\":{\"vr\":\"IS\",\"Value\":[-7]},"
              "\"00280010\":{\"vr\":\"US\",\"Value\":[512,7]},"
              "\"00280106\":{\"vr\":\"SS\",\"Value\":[-1]},"
              "\"00281050\":{\"vr\":\"FD\",\"Value\":[0.1,\"NaN\"]}}");

    json_options with_lengths;
    with_lengths.group_lengths = true;
    EXPECT_NE(json(f, with_lengths).find("\"00080000\":{\"vr\":\"UL\",\"Value\":[100]}"), std::string::npos);
}

TEST(Json, PersonNameOfOnlyDelimitersHasNoValue) {
    dicom_builder b;
    b.str(tag{0x0008, 0x0090}, vr::PN, "^^^^");
    b.str(tag{0x0010, 0x0010}, vr::PN, "A^^\\^^");
    const dicom_file f = parse(b, uids::explicit_vr_little_endian);
    EXPECT_EQ(json(f), "{\"00080090\":{\"vr\":\"PN\"},"
                       "\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"A\"},null]}}");
}

TEST(Json, CharacterSetsDecodeToUtf8) {
    dicom_builder latin1;
    latin1.str(tag{0x0008, 0x0005}, vr::CS, "ISO_IR 100");
    latin1.str(tag{0x0010, 0x0010}, vr::PN, "M\xFCller");
    EXPECT_EQ(json(parse(latin1, uids::explicit_vr_little_endian)),
              "{\"00080005\":{\"vr\":\"CS\",\"Value\":[\"ISO_IR 192\"]},"
              "\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"M\xC3\xBCller\"}]}}");

    json_options keep;
    keep.rewrite_character_set = false;
    EXPECT_NE(json(parse(latin1, uids::explicit_vr_little_endian), keep).find("[\"ISO_IR 100\"]"), std::string::npos);

    // No Specific Character Set, bytes that are not UTF-8: read as ISO 8859-1, never dropped.
    dicom_builder undeclared;
    undeclared.str(tag{0x0010, 0x0020}, vr::LO, "\xE9t\xE9");
    EXPECT_EQ(json(parse(undeclared, uids::explicit_vr_little_endian)),
              "{\"00100020\":{\"vr\":\"LO\",\"Value\":[\"\xC3\xA9t\xC3\xA9\"]}}");

    // Declared UTF-8 but ill-formed: U+FFFD, so the output stays valid JSON text.
    dicom_builder bad_utf8;
    bad_utf8.str(tag{0x0008, 0x0005}, vr::CS, "ISO_IR 192");
    bad_utf8.str(tag{0x0010, 0x0020}, vr::LO, "a\xC3(");
    EXPECT_EQ(json(parse(bad_utf8, uids::explicit_vr_little_endian)),
              "{\"00080005\":{\"vr\":\"CS\",\"Value\":[\"ISO_IR 192\"]},"
              "\"00100020\":{\"vr\":\"LO\",\"Value\":[\"a\xEF\xBF\xBD(\"]}}");

    // "ISO 2022 IR 100" without escape sequences is Latin-1 (PS3.5 §6.1.2.5.3).
    dicom_builder iso2022;
    iso2022.str(tag{0x0008, 0x0005}, vr::CS, "ISO 2022 IR 100");
    iso2022.str(tag{0x0010, 0x0010}, vr::PN, "\xC5sa");
    EXPECT_NE(json(parse(iso2022, uids::explicit_vr_little_endian)).find("\"\xC3\x85sa\""), std::string::npos);
}

TEST(Json, BinaryValuesAreLittleEndianBase64) {
    for (const bool big : {false, true}) {
        dicom_builder b(true, big);
        b.us(tag{0x0028, 0x1101}, {0x0102, 0x0304}, vr::OW);
        bytes at = big ? bytes{std::byte{0x00}, std::byte{0x10}, std::byte{0x00}, std::byte{0x20}}
                       : bytes{std::byte{0x10}, std::byte{0x00}, std::byte{0x20}, std::byte{0x00}};
        b.element(tag{0x0028, 0x9503}, vr::AT, at);
        const dicom_file f = parse(b, big ? uids::explicit_vr_big_endian : uids::explicit_vr_little_endian);
        // 02 01 04 03 -> "AgEEAw=="
        EXPECT_EQ(json(f), "{\"00281101\":{\"vr\":\"OW\",\"InlineBinary\":\"AgEEAw==\"},"
                           "\"00289503\":{\"vr\":\"AT\",\"Value\":[\"00100020\"]}}")
            << (big ? "big endian" : "little endian");
    }
}

TEST(Json, SixtyFourBitIntegersBeyondTwoToThe53AreStrings) {
    dicom_builder b;
    const std::uint64_t small = 9007199254740992ULL; // 2^53
    const std::uint64_t large = 9007199254740993ULL;
    bytes v(16);
    std::memcpy(v.data(), &small, 8);
    std::memcpy(v.data() + 8, &large, 8);
    b.element(tag{0x0008, 0x0117}, vr::UV, v);
    EXPECT_EQ(json(parse(b, uids::explicit_vr_little_endian)),
              "{\"00080117\":{\"vr\":\"UV\",\"Value\":[9007199254740992,\"9007199254740993\"]}}");
}

TEST(Json, SequencesAndItems) {
    dicom_builder b;
    b.begin_sequence(tag{0x0008, 0x1140});
    b.begin_item();
    b.str(tag{0x0008, 0x1150}, vr::UI, "1.2");
    b.begin_sequence(tag{0x0040, 0xA730}, false);
    b.begin_item(false);
    b.end_item();
    b.end_sequence();
    b.end_item();
    b.begin_item(false);
    b.end_item();
    b.end_sequence();
    b.begin_sequence(tag{0x0008, 0x1200});
    b.end_sequence();
    const dicom_file f = parse(b, uids::explicit_vr_little_endian);
    EXPECT_EQ(json(f), "{\"00081140\":{\"vr\":\"SQ\",\"Value\":[{\"00081150\":{\"vr\":\"UI\",\"Value\":[\"1.2\"]},"
                       "\"0040A730\":{\"vr\":\"SQ\",\"Value\":[{}]}},{}]},"
                       "\"00081200\":{\"vr\":\"SQ\"}}");
    json_options pretty;
    pretty.indent = 2;
    EXPECT_EQ(json(f, pretty), "{\n"
                               "  \"00081140\": {\"vr\": \"SQ\", \"Value\": [\n"
                               "    {\n"
                               "      \"00081150\": {\"vr\": \"UI\", \"Value\": [\"1.2\"]},\n"
                               "      \"0040A730\": {\"vr\": \"SQ\", \"Value\": [\n"
                               "        {}\n"
                               "      ]}\n"
                               "    },\n"
                               "    {}\n"
                               "  ]},\n"
                               "  \"00081200\": {\"vr\": \"SQ\"}\n"
                               "}\n");
}

TEST(Json, EncapsulatedPixelData) {
    dicom_builder b;
    b.us(tag{0x0028, 0x0010}, {1});
    const std::uint32_t bot[] = {0};
    b.encapsulated(bot, {to_bytes("ab")});
    const dicom_file f = parse(b, uids::rle_lossless);

    // Items as encoded: FE FF 00 E0 04 00 00 00 | 00 00 00 00 | FE FF 00 E0 02 00 00 00 | 'a' 'b'
    EXPECT_EQ(json(f), "{\"00280010\":{\"vr\":\"US\",\"Value\":[1]},"
                       "\"7FE00010\":{\"vr\":\"OB\",\"InlineBinary\":\"/v8A4AQAAAAAAAAA/v8A4AIAAABhYg==\"}}");
    json_options omit;
    omit.encapsulated = json_encapsulated::omit;
    EXPECT_EQ(json(f, omit), "{\"00280010\":{\"vr\":\"US\",\"Value\":[1]}}");
    json_options refuse;
    refuse.encapsulated = json_encapsulated::error;
    const auto r = to_json(f.dataset(), refuse);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::invalid_argument);
}

TEST(Json, MetaGroupAndStreaming) {
    const bytes body = [] {
        dicom_builder b;
        b.str(tag{0x0008, 0x0060}, vr::CS, "OT");
        return b.data();
    }();
    const bytes file_bytes = dicom_builder::part10(body, uids::explicit_vr_little_endian);
    auto f = read_bytes(byte_source::borrow(file_bytes));
    ASSERT_TRUE(f.has_value());
    json_options with_meta;
    with_meta.meta = &f->meta();
    const std::string s = json(*f, with_meta);
    EXPECT_EQ(s.find("\"00020000\""), std::string::npos); // group length left out, as dcm2json +m
    EXPECT_NE(s.find("\"00020010\":{\"vr\":\"UI\",\"Value\":[\"1.2.840.10008.1.2.1\"]}"), std::string::npos);
    EXPECT_LT(s.find("\"00020010\""), s.find("\"00080060\""));

    std::ostringstream out;
    ASSERT_TRUE(write_json(out, f->dataset(), with_meta).has_value());
    EXPECT_EQ(out.str(), s);
}

TEST(Json, OutOfOrderDatasetIsSortedAndKeepsFirstDuplicate) {
    dataset ds;
    ds.push_back_unordered(element::from_string(tag{0x0010, 0x0020}, vr::LO, "first"));
    ds.push_back_unordered(element::from_string(tag{0x0008, 0x0060}, vr::CS, "OT"));
    ds.push_back_unordered(element::from_string(tag{0x0010, 0x0020}, vr::LO, "second"));
    const auto r = to_json(ds);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "{\"00080060\":{\"vr\":\"CS\",\"Value\":[\"OT\"]},\"00100020\":{\"vr\":\"LO\",\"Value\":[\"first\"]}}");
}

} // namespace
} // namespace dicompix
