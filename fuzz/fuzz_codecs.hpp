// SPDX-License-Identifier: BSD-3-Clause
// The decoders that have a fuzz_decode_<target> (fuzz_decode.cpp) and the trailer format of its inputs,
// shared with make_seeds.cpp which writes seeds in that format.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dicompix/frame_info.hpp"

namespace dicompix::fuzz {

/// One codec fuzz target: its name suffix, the decoder's registry name, the transfer syntaxes it is
/// asked to decode (bits 4-7 of trailer byte 0 pick one).
struct codec_target {
    std::string_view target;
    std::string_view decoder;
    std::array<std::string_view, 5> uids;

    [[nodiscard]] constexpr std::size_t uid_count() const noexcept {
        std::size_t n = 0;
        while (n < uids.size() && !uids[n].empty()) {
            ++n;
        }
        return n;
    }
};

/// fuzz/CMakeLists.txt builds fuzz_decode_<target> with DICOMPIX_FUZZ_CODEC = the row index; keep the
/// two in the same order.
inline constexpr std::array<codec_target, 9> codecs{{
    {"rle", "rle", {"1.2.840.10008.1.2.5"}},
    {"jpeg_turbo", "jpeg/libjpeg-turbo", {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}},
    {"jpeg_lossless", "jpeg-lossless", {"1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.57"}},
    {"jpeg12_dcmtk", "jpeg12/dcmtk", {"1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.55"}},
    {"jpegls", "jpeg-ls/charls", {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}},
    {"jpeg2000",
     "jpeg2000/openjpeg",
     {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
      "1.2.840.10008.1.2.4.203"}},
    {"htj2k", "htj2k/openjph", {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}},
    {"jpegxl", "jpegxl/libjxl", {"1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112"}},
    {"deflate", "deflate/zlib", {"1.2.840.10008.1.2.8.1"}},
}};

inline constexpr std::size_t trailer_size = 8;

/// Trailer byte-0 flags.
enum trailer_flag : std::uint8_t {
    trailer_strict = 1U << 0,
    trailer_signed = 1U << 1,
    trailer_planar = 1U << 2,
    trailer_from_header = 1U << 3,
};

/// Bits Allocated codes of trailer byte 6 (bits 0-2).
inline constexpr std::array<std::uint16_t, 8> bits_allocated_codes{8, 16, 1, 32, 8, 16, 64, 16};
/// Samples per Pixel codes of trailer byte 5 (bits 0-1).
inline constexpr std::array<std::uint16_t, 4> spp_codes{1, 3, 4, 1};
/// Photometric interpretations selectable by bits 2-5 of trailer byte 5, by Samples per Pixel.
inline constexpr std::array<photometric, 3> mono_choices{photometric::monochrome2, photometric::monochrome1,
                                                         photometric::palette_color};
inline constexpr std::array<photometric, 8> colour_choices{
    photometric::rgb,     photometric::ybr_full, photometric::ybr_full_422,    photometric::ybr_partial_420,
    photometric::ybr_ict, photometric::ybr_rct,  photometric::ybr_partial_422, photometric::hsv};

[[nodiscard]] constexpr photometric pick_photometric(std::uint16_t spp, unsigned choice) noexcept {
    if (spp == 1) {
        return mono_choices[choice % mono_choices.size()];
    }
    if (spp == 4) {
        return photometric::argb;
    }
    return colour_choices[choice % colour_choices.size()];
}

/// The trailer that describes `info` for the transfer syntax `uid_index` of a codec target (the inverse
/// of fuzz_decode.cpp's reading, for seeds made from real files).
[[nodiscard]] inline std::array<std::uint8_t, trailer_size> make_trailer(const frame_info& info, std::size_t uid_index,
                                                                         bool from_header) {
    std::array<std::uint8_t, trailer_size> t{};
    t[0] = static_cast<std::uint8_t>((uid_index & 15U) << 4U);
    t[0] = static_cast<std::uint8_t>(t[0] | (info.is_signed ? trailer_signed : 0) |
                                     (info.planar_configuration != 0 ? trailer_planar : 0) |
                                     (from_header ? trailer_from_header : 0));
    const std::uint32_t r = info.rows - 1;
    const std::uint32_t c = info.columns - 1;
    t[1] = static_cast<std::uint8_t>(r & 0xFFU);
    t[2] = static_cast<std::uint8_t>(r >> 8U);
    t[3] = static_cast<std::uint8_t>(c & 0xFFU);
    t[4] = static_cast<std::uint8_t>(c >> 8U);
    std::uint8_t spp_code = 0;
    for (std::uint8_t i = 0; i < 3; ++i) {
        if (spp_codes[i] == info.samples_per_pixel) {
            spp_code = i;
        }
    }
    std::uint8_t pi_code = 0;
    for (std::uint8_t i = 0; i < 8; ++i) {
        if (pick_photometric(info.samples_per_pixel, i) == info.photometric_interpretation) {
            pi_code = i;
            break;
        }
    }
    t[5] = static_cast<std::uint8_t>(spp_code | (pi_code << 2U));
    std::uint8_t ba_code = 0;
    for (std::uint8_t i = 0; i < 8; ++i) {
        if (bits_allocated_codes[i] == info.bits_allocated) {
            ba_code = i;
            break;
        }
    }
    t[6] = ba_code;
    t[7] = static_cast<std::uint8_t>(info.bits_stored - 1);
    return t;
}

} // namespace dicompix::fuzz
