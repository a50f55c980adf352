// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "dicompix/io.hpp"
#include "io/byte_reader.hpp"
#include "io/checked_math.hpp"

namespace dicompix {
namespace {

TEST(ByteSource, MapsFileAndSharesOwnership) {
    const std::string path = ::testing::TempDir() + "/dicompix_byte_source.bin";
    {
        std::ofstream out(path, std::ios::binary);
        out << "0123456789";
    }
    auto source = byte_source::map_file(path);
    ASSERT_TRUE(source) << source.error().to_string();
    EXPECT_TRUE(source->is_mapped());
    EXPECT_EQ(source->size(), 10U);
    const byte_source copy = *source;
    source = byte_source{};
    EXPECT_EQ(static_cast<char>(copy.bytes()[9]), '9');
    EXPECT_EQ(byte_source::map_file(path, 5).error().code, errc::limit_exceeded);
    std::remove(path.c_str());
    EXPECT_EQ(byte_source::map_file(path).error().code, errc::io_error);
}

TEST(ByteSource, ReadsStreamsWithLimit) {
    std::istringstream in(std::string(3000000, 'x'));
    const auto all = byte_source::read_stream(in);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 3000000U);
    std::istringstream in2(std::string(100, 'x'));
    EXPECT_EQ(byte_source::read_stream(in2, 99).error().code, errc::limit_exceeded);
    std::istringstream in3(std::string(100, 'x'));
    EXPECT_TRUE(byte_source::read_stream(in3, 100));
}

TEST(ByteReader, NestedLimitsNeverEscapeParent) {
    const std::byte data[8] = {std::byte{1}, std::byte{0}, std::byte{2}, std::byte{0},
                               std::byte{3}, std::byte{0}, std::byte{4}, std::byte{0}};
    detail::byte_reader r(data, 100);
    EXPECT_EQ(r.offset(), 100U);
    ASSERT_TRUE(r.can_read(4));
    const auto outer = r.push_limit(4);
    EXPECT_EQ(r.u16(false), 1);
    EXPECT_FALSE(r.can_read(4));
    EXPECT_TRUE(r.can_read(2));
    EXPECT_EQ(r.u16(false), 2);
    EXPECT_TRUE(r.at_end());
    r.skip(10); // clamps at the limit
    EXPECT_EQ(r.position(), 4U);
    r.pop_limit(outer);
    EXPECT_EQ(r.remaining(), 4U);
    EXPECT_EQ(r.u32(true), 0x03000400U);
}

TEST(CheckedMath, DetectsOverflow) {
    EXPECT_EQ(detail::checked_product(65535U, 65535U, 3U, 8U).value(), 65535ULL * 65535ULL * 24ULL);
    EXPECT_FALSE(detail::checked_product(1ULL << 40, 1ULL << 30));
    EXPECT_FALSE(detail::checked_add(~0ULL, 1));
}

} // namespace
} // namespace dicompix
