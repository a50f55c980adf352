// SPDX-License-Identifier: BSD-3-Clause
#include "dicompix/frame_info.hpp"

#include <array>
#include <string>

#include "io/checked_math.hpp"

namespace dicompix {
namespace {

struct photometric_name {
    photometric value;
    std::string_view name;
};

constexpr std::array<photometric_name, 13> photometric_names{{
    {photometric::monochrome1, "MONOCHROME1"},
    {photometric::monochrome2, "MONOCHROME2"},
    {photometric::palette_color, "PALETTE COLOR"},
    {photometric::rgb, "RGB"},
    {photometric::ybr_full, "YBR_FULL"},
    {photometric::ybr_full_422, "YBR_FULL_422"},
    {photometric::ybr_partial_422, "YBR_PARTIAL_422"},
    {photometric::ybr_partial_420, "YBR_PARTIAL_420"},
    {photometric::ybr_ict, "YBR_ICT"},
    {photometric::ybr_rct, "YBR_RCT"},
    {photometric::hsv, "HSV"},
    {photometric::argb, "ARGB"},
    {photometric::cmyk, "CMYK"},
}};

} // namespace

std::string_view to_string(photometric p) noexcept {
    for (const auto& n : photometric_names) {
        if (n.value == p) {
            return n.name;
        }
    }
    return "";
}

photometric parse_photometric(std::string_view s) noexcept {
    for (const auto& n : photometric_names) {
        if (n.name == s) {
            return n.value;
        }
    }
    return photometric::unknown;
}

std::uint16_t required_samples(photometric p) noexcept {
    switch (p) {
    case photometric::monochrome1:
    case photometric::monochrome2:
    case photometric::palette_color:
        return 1;
    case photometric::argb:
    case photometric::cmyk:
        return 4;
    case photometric::unknown:
        return 0;
    default:
        return 3;
    }
}

std::string_view to_string(sample_type t) noexcept {
    switch (t) {
    case sample_type::u8: return "uint8";
    case sample_type::i8: return "int8";
    case sample_type::u16: return "uint16";
    case sample_type::i16: return "int16";
    case sample_type::u32: return "uint32";
    case sample_type::i32: return "int32";
    case sample_type::u64: return "uint64";
    case sample_type::i64: return "int64";
    case sample_type::f32: return "float32";
    case sample_type::f64: return "float64";
    }
    return "";
}

sample_type frame_info::type() const noexcept {
    if (element == pixel_data_element::float32) {
        return sample_type::f32;
    }
    if (element == pixel_data_element::float64) {
        return sample_type::f64;
    }
    switch (bits_allocated) {
    case 1:
    case 8: return is_signed ? sample_type::i8 : sample_type::u8;
    case 16: return is_signed ? sample_type::i16 : sample_type::u16;
    case 32: return is_signed ? sample_type::i32 : sample_type::u32;
    default: return is_signed ? sample_type::i64 : sample_type::u64;
    }
}

result<std::uint64_t> frame_info::samples_per_frame() const {
    const auto n = detail::checked_product(rows, columns, samples_per_pixel);
    if (!n) {
        return failure(errc::overflow, "Rows x Columns x Samples per Pixel overflows");
    }
    return *n;
}

result<std::uint64_t> frame_info::decoded_frame_bytes() const {
    DICOMPIX_TRY(const std::uint64_t samples, samples_per_frame());
    const auto n = detail::checked_mul(samples, bytes_per_sample());
    if (!n) {
        return failure(errc::overflow, "decoded frame size overflows");
    }
    return *n;
}

result<std::uint64_t> frame_info::native_frame_bits() const {
    // PS3.5 §8.2.1 / PS3.3 C.7.6.3.1.2: native 4:2:2 stores two luminance and one pair of chroma
    // samples for each two pixels, i.e. two samples per pixel.
    const bool subsampled = photometric_interpretation == photometric::ybr_full_422 ||
                            photometric_interpretation == photometric::ybr_partial_422;
    const std::uint64_t samples = subsampled && samples_per_pixel == 3 ? 2U : samples_per_pixel;
    const auto n = detail::checked_product(rows, columns, samples, bits_allocated);
    if (!n) {
        return failure(errc::overflow, "native frame size overflows");
    }
    return *n;
}

} // namespace dicompix
