// SPDX-License-Identifier: BSD-3-Clause
// The vectorised native-frame kernels (src/pixel/unpack.cpp) against one-sample-at-a-time references:
// every width, signed and unsigned, Bits Stored below and equal to Bits Allocated, High Bit above Bits
// Stored - 1, lengths that end inside a vector and inside a check block, 1-bit frames at every start bit,
// and planar RGB of both widths.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "dicompix/pixel.hpp"
#include "pixel/unpack.hpp"

namespace dicompix {
namespace {

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::vector<std::byte> v(n);
    std::mt19937 rng(seed);
    for (auto& b : v) {
        b = static_cast<std::byte>(rng() & 0xFFU);
    }
    return v;
}

/// PS3.5 §8.1.1 for one sample: shift down, mask to Bits Stored, sign-extend from its top bit.
std::uint64_t reference_sample(std::uint64_t raw, unsigned width_bits, unsigned shift, unsigned bits, bool is_signed) {
    std::uint64_t v = (raw >> shift) & (bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1U);
    if (is_signed && bits < width_bits && ((v >> (bits - 1)) & 1U) != 0) {
        v |= ~std::uint64_t{0} << bits;
    }
    return width_bits >= 64 ? v : v & ((std::uint64_t{1} << width_bits) - 1U);
}

std::uint64_t sample_at(const std::vector<std::byte>& b, std::size_t i, std::size_t width) {
    std::uint64_t v = 0;
    std::memcpy(&v, b.data() + i * width, width); // little-endian host (as the library's own tests)
    return v;
}

TEST(UnpackKernels, NormaliseAndCheckAgreeWithTheReference) {
    std::uint32_t seed = 1;
    for (const unsigned bits_allocated : {8U, 16U, 32U, 64U}) {
        const auto allocated = static_cast<std::uint16_t>(bits_allocated);
        const std::size_t width = allocated / 8U;
        for (const std::size_t count :
             {std::size_t{1}, std::size_t{7}, std::size_t{33}, std::size_t{1029}, std::size_t{4099}}) {
            for (const bool is_signed : {false, true}) {
                for (const std::uint16_t stored : {std::uint16_t{1}, static_cast<std::uint16_t>(allocated / 2 + 1),
                                                   static_cast<std::uint16_t>(allocated - 1), allocated}) {
                    for (const std::uint16_t high : {std::uint16_t(stored - 1), std::uint16_t(allocated - 1)}) {
                        frame_info info;
                        info.rows = 1;
                        info.columns = static_cast<std::uint32_t>(count);
                        info.bits_allocated = allocated;
                        info.bits_stored = stored;
                        info.high_bit = high;
                        info.is_signed = is_signed;
                        const auto raw = random_bytes(count * width, seed++);
                        auto out = raw;
                        normalise_samples(out, info);
                        const unsigned shift = high + 1U - stored;
                        bool already = true;
                        for (std::size_t i = 0; i < count; ++i) {
                            const std::uint64_t want =
                                detail::may_need_normalisation(info)
                                    ? reference_sample(sample_at(raw, i, width), allocated, shift, stored, is_signed)
                                    : sample_at(raw, i, width);
                            ASSERT_EQ(sample_at(out, i, width), want)
                                << "BA " << allocated << " BS " << stored << " HB " << high << " signed " << is_signed
                                << " count " << count << " sample " << i;
                            already = already && want == sample_at(raw, i, width);
                        }
                        EXPECT_EQ(detail::is_normalised(raw, info),
                                  already && (shift == 0 || !detail::may_need_normalisation(info)));
                        // Normalised data passes the check, and one bad sample anywhere fails it.
                        if (high + 1U == stored) {
                            EXPECT_TRUE(detail::is_normalised(out, info));
                            if (detail::may_need_normalisation(info)) {
                                for (const std::size_t at : {std::size_t{0}, count / 2, count - 1}) {
                                    auto bad = out;
                                    bad[at * width + width - 1] ^= std::byte{0x80};
                                    EXPECT_FALSE(detail::is_normalised(bad, info)) << "bad sample " << at;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

TEST(UnpackKernels, OneBitFramesAtEveryStartBit) {
    const auto packed = random_bytes(64, 7);
    for (std::uint64_t first_bit = 0; first_bit < 16; ++first_bit) {
        for (const std::uint32_t pixels : {1U, 7U, 8U, 9U, 63U, 64U, 65U, 300U}) {
            frame_info info;
            info.rows = 1;
            info.columns = pixels;
            info.bits_allocated = 1;
            info.bits_stored = 1;
            info.high_bit = 0;
            // Only the bytes that hold the frame's bits: reading past them would show under ASan.
            const std::size_t last_byte = static_cast<std::size_t>((first_bit + pixels + 7) / 8);
            const std::vector<std::byte> stored(packed.begin(),
                                                packed.begin() + static_cast<std::ptrdiff_t>(last_byte));
            std::vector<std::byte> out(pixels, std::byte{0xAB});
            detail::unpack_native(stored, first_bit, info, false, out);
            for (std::uint32_t i = 0; i < pixels; ++i) {
                const std::uint64_t bit = first_bit + i;
                const auto want = (std::to_integer<unsigned>(packed[bit / 8]) >> (bit % 8)) & 1U;
                ASSERT_EQ(std::to_integer<unsigned>(out[i]), want) << "first bit " << first_bit << " pixel " << i;
            }
        }
    }
}

TEST(UnpackKernels, PlanarRgbOfBothWidths) {
    for (const unsigned bits_allocated : {8U, 16U}) {
        const auto allocated = static_cast<std::uint16_t>(bits_allocated);
        for (const std::uint32_t pixels : {1U, 15U, 16U, 17U, 1000U}) {
            const std::size_t width = allocated / 8U;
            frame_info info;
            info.rows = 1;
            info.columns = pixels;
            info.samples_per_pixel = 3;
            info.photometric_interpretation = photometric::rgb;
            info.planar_configuration = 1;
            info.bits_allocated = allocated;
            info.bits_stored = allocated;
            info.high_bit = static_cast<std::uint16_t>(allocated - 1);
            const auto stored = random_bytes(std::size_t{pixels} * 3 * width, pixels);
            std::vector<std::byte> out(stored.size());
            detail::unpack_native(stored, 0, info, false, out);
            for (std::size_t p = 0; p < pixels; ++p) {
                for (std::size_t s = 0; s < 3; ++s) {
                    ASSERT_EQ(sample_at(out, p * 3 + s, width), sample_at(stored, s * pixels + p, width))
                        << "BA " << allocated << " pixel " << p << " sample " << s;
                }
            }
        }
    }
}

} // namespace
} // namespace dicompix
