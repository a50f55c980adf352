// SPDX-License-Identifier: BSD-3-Clause
// Bounded inflate for Deflated Explicit VR Little Endian (PS3.5 §A.5) and Deflated Image Frame
// Compression: output never exceeds the caller's limit, so a decompression bomb fails cleanly.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dicompix/error.hpp"

namespace dicompix::detail {

enum class deflate_format : std::uint8_t {
    raw,       ///< RFC 1951 (what PS3.5 §A.5 requires)
    zlib,      ///< RFC 1950 wrapper (seen in non-conformant files)
    automatic, ///< raw, falling back to zlib/gzip wrappers
};

struct inflate_result {
    std::vector<std::byte> bytes;
    std::size_t consumed{0};        ///< input bytes used
    bool used_wrapper{false};       ///< the input had a zlib or gzip header (non-conformant for DICOM)
};

/// Inflates `input`; fails with limit_exceeded once output would exceed max_output bytes, and with
/// inflate_error on corrupt or truncated input.
[[nodiscard]] result<inflate_result> inflate_bounded(std::span<const std::byte> input, std::uint64_t max_output,
                                                     deflate_format format = deflate_format::automatic);

/// Deflates `input` as raw RFC 1951 (level 1-9, or -1 for zlib's default).
[[nodiscard]] result<std::vector<std::byte>> deflate_raw(std::span<const std::byte> input, int level = -1);

} // namespace dicompix::detail
