// SPDX-License-Identifier: BSD-3-Clause
// dicompix: the vocabulary of pixel data shared by the pixel layer and the codecs: photometric
// interpretations, sample types, and frame_info (the shape of one frame as stored).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dicompix/error.hpp"

namespace dicompix {

/// Photometric Interpretation (PS3.3 C.7.6.3.1.2).
enum class photometric : std::uint8_t {
    unknown,
    monochrome1,
    monochrome2,
    palette_color,
    rgb,
    ybr_full,
    ybr_full_422,
    ybr_partial_422, ///< retired
    ybr_partial_420,
    ybr_ict,
    ybr_rct,
    hsv,  ///< retired
    argb, ///< retired
    cmyk, ///< retired
};

/// "MONOCHROME2" etc.; "" for unknown.
[[nodiscard]] std::string_view to_string(photometric p) noexcept;
/// Parses a Photometric Interpretation value (padding already removed); unknown when unrecognised.
[[nodiscard]] photometric parse_photometric(std::string_view s) noexcept;
/// Number of samples per pixel a photometric interpretation requires (0 when unknown).
[[nodiscard]] std::uint16_t required_samples(photometric p) noexcept;

/// The C++ type of one decoded sample.
enum class sample_type : std::uint8_t { u8, i8, u16, i16, u32, i32, u64, i64, f32, f64 };

/// Bytes of one sample of the type.
[[nodiscard]] constexpr std::size_t sample_size(sample_type t) noexcept {
    switch (t) {
    case sample_type::u8: case sample_type::i8: return 1;
    case sample_type::u16: case sample_type::i16: return 2;
    case sample_type::u32: case sample_type::i32: case sample_type::f32: return 4;
    case sample_type::u64: case sample_type::i64: case sample_type::f64: return 8;
    }
    return 0;
}
/// "uint8", "int16", "float32", ...
[[nodiscard]] std::string_view to_string(sample_type t) noexcept;

/// Which element holds the pixels (PS3.3 C.7.6.3 / C.7.6.24).
enum class pixel_data_element : std::uint8_t {
    integer, ///< Pixel Data (7FE0,0010)
    float32, ///< Float Pixel Data (7FE0,0008)
    float64, ///< Double Float Pixel Data (7FE0,0009)
};

/// The shape of one frame as the dataset describes it. This is what a codec sees.
struct frame_info {
    std::uint32_t rows{0};
    std::uint32_t columns{0};
    std::uint16_t samples_per_pixel{1};
    std::uint16_t bits_allocated{0};
    std::uint16_t bits_stored{0};
    std::uint16_t high_bit{0};
    bool is_signed{false};               ///< Pixel Representation 1
    photometric photometric_interpretation{photometric::unknown};
    std::uint16_t planar_configuration{0};
    pixel_data_element element{pixel_data_element::integer};

    /// Sample type of decoded frames: by Bits Allocated (1 -> uint8 0/1, 8, 16, 32, 64), signedness,
    /// and float for Float / Double Float Pixel Data.
    [[nodiscard]] sample_type type() const noexcept;
    /// Bytes of one decoded sample (1 for Bits Allocated 1).
    [[nodiscard]] std::size_t bytes_per_sample() const noexcept { return sample_size(type()); }
    /// Samples in one decoded frame: rows * columns * samples_per_pixel (YBR_FULL_422 is decoded to full
    /// resolution). Overflow-checked.
    [[nodiscard]] result<std::uint64_t> samples_per_frame() const;
    /// Bytes of one decoded frame. Overflow-checked.
    [[nodiscard]] result<std::uint64_t> decoded_frame_bytes() const;
    /// Bits of one native (uncompressed) frame as stored: rows * columns * samples * bits_allocated,
    /// with 2 samples per pixel for native YBR_FULL_422 / YBR_PARTIAL_422 (PS3.5 §8.2.1: chroma halved
    /// horizontally) and bit-packing for Bits Allocated 1 (frames may start mid-byte). Overflow-checked.
    [[nodiscard]] result<std::uint64_t> native_frame_bits() const;
};

} // namespace dicompix
