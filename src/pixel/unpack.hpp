// SPDX-License-Identifier: BSD-3-Clause
// Native (uncompressed) frame unpacking: byte order, planar configuration, 4:2:2 upsampling and
// 1-bit unpacking in one pass, plus the normalisation checks that decide whether a zero-copy view is
// possible.
#pragma once

#include <cstdint>
#include <span>

#include "dicompix/frame_info.hpp"

namespace dicompix::detail {

/// Unpacks one native frame that starts at bit `first_bit` of `stored` (PS3.5 §8.1.1, §8.2; Annex D
/// for Bits Allocated 1: the first pixel is the least significant bit) into `out`, which has
/// info.decoded_frame_bytes() bytes. `stored` must hold first_bit + info.native_frame_bits() bits.
/// Does not normalise.
void unpack_native(std::span<const std::byte> stored, std::uint64_t first_bit, const frame_info& info,
                   bool big_endian, std::span<std::byte> out) noexcept;

/// True when integer samples may need masking, shifting or sign extension (Bits Stored < Bits
/// Allocated, or High Bit != Bits Stored - 1).
[[nodiscard]] bool may_need_normalisation(const frame_info& info) noexcept;

/// Lossy codecs overshoot: a sample decoded at a precision above Bits Stored may exceed the Bits Stored
/// range (e.g. 10-bit data in a 12-bit JPEG). Masking would wrap white to black, so such samples are
/// clamped to the range instead (signed: after sign extension from the codestream precision).
void clamp_to_bits_stored(std::span<std::byte> samples, const frame_info& info, unsigned precision) noexcept;

/// True when every sample already equals its normalised value (so a view can be served as is).
[[nodiscard]] bool is_normalised(std::span<const std::byte> samples, const frame_info& info) noexcept;

} // namespace dicompix::detail
