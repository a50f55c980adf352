// SPDX-License-Identifier: BSD-3-Clause
// Every prefix and many corruptions of small files must parse or fail cleanly (no crash, no hang).
#include <gtest/gtest.h>

#include <random>

#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"
#include "parser/inflate.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

bytes sample(bool explicit_vr, bool big_endian) {
    dicom_builder b(explicit_vr, big_endian);
    b.str(tags::SpecificCharacterSet, vr::CS, "ISO_IR 192");
    b.begin_sequence(tags::ReferencedImageSequence, true);
    b.begin_item(true).str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2.3").end_item();
    b.begin_item(false).str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2.4").end_item();
    b.end_sequence();
    b.begin_sequence(tags::IconImageSequence, false).begin_item(false);
    b.us(tags::Rows, {1}).element(tags::PixelData, vr::OB, test::to_bytes("ab"));
    b.end_item().end_sequence();
    b.str(tags::PatientName, vr::PN, "Name^Given");
    b.us(tags::Rows, {2}).us(tags::Columns, {2});
    b.element(tags::PixelData, vr::OW, test::to_bytes("01234567"));
    return b.data();
}

bytes sample_encapsulated() {
    dicom_builder b(true, false);
    b.us(tags::Rows, {2});
    const std::uint32_t bot[] = {0};
    b.encapsulated(bot, {test::to_bytes("\xFF\xD8\xFF\xD9"), test::to_bytes("xy")});
    return b.data();
}

void check_all_prefixes(const bytes& file) {
    for (const bool strict : {false, true}) {
        parse_options options;
        options.strict = strict;
        for (std::size_t cut = 0; cut <= file.size(); ++cut) {
            const bytes prefix(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(cut));
            const auto r = read_bytes(byte_source::adopt(prefix), options);
            if (r) {
                // Whatever was parsed must lie inside the prefix.
                for (const auto& e : r->dataset()) {
                    EXPECT_LE(e.bytes().size(), cut);
                }
            } else {
                EXPECT_NE(r.error().code, errc::ok);
                EXPECT_FALSE(r.error().message.empty());
            }
        }
    }
}

TEST(ParserRobustness, EveryPrefixOfExplicitLittleEndian) {
    check_all_prefixes(dicom_builder::part10(sample(true, false), "1.2.840.10008.1.2.1"));
}
TEST(ParserRobustness, EveryPrefixOfImplicitLittleEndian) {
    check_all_prefixes(dicom_builder::part10(sample(false, false), "1.2.840.10008.1.2"));
}
TEST(ParserRobustness, EveryPrefixOfExplicitBigEndian) {
    check_all_prefixes(dicom_builder::part10(sample(true, true), "1.2.840.10008.1.2.2"));
}
TEST(ParserRobustness, EveryPrefixOfEncapsulated) {
    check_all_prefixes(dicom_builder::part10(sample_encapsulated(), "1.2.840.10008.1.2.4.50"));
}
TEST(ParserRobustness, EveryPrefixOfDeflated) {
    const auto deflated = detail::deflate_raw(sample(true, false));
    ASSERT_TRUE(deflated);
    check_all_prefixes(dicom_builder::part10(*deflated, "1.2.840.10008.1.2.1.99"));
}
TEST(ParserRobustness, EveryPrefixOfBareDataset) {
    check_all_prefixes(sample(false, false));
}

TEST(ParserRobustness, RandomByteCorruption) {
    std::mt19937 rng(12345);
    const bytes files[] = {dicom_builder::part10(sample(true, false), "1.2.840.10008.1.2.1"),
                           dicom_builder::part10(sample(false, false), "1.2.840.10008.1.2"),
                           dicom_builder::part10(sample(true, true), "1.2.840.10008.1.2.2"),
                           dicom_builder::part10(sample_encapsulated(), "1.2.840.10008.1.2.4.50")};
    for (const auto& original : files) {
        for (int trial = 0; trial < 3000; ++trial) {
            bytes corrupt = original;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < flips; ++i) {
                const std::size_t pos = 128 + rng() % (corrupt.size() - 128);
                corrupt[pos] = static_cast<std::byte>(rng() & 0xFFU);
            }
            parse_options options;
            options.strict = (trial & 1) != 0;
            const auto r = read_bytes(byte_source::adopt(corrupt), options);
            if (!r) {
                EXPECT_FALSE(r.error().message.empty());
            }
        }
    }
}

} // namespace
} // namespace dicompix
