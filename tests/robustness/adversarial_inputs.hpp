// SPDX-License-Identifier: BSD-3-Clause
// Builders of hostile inputs for the adversarial suite: Part 10 files around an Image Pixel module,
// hand-made codestream headers (RLE, JPEG, JPEG 2000) and codestreams made by the built-in encoders.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicompix/frame_info.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix::test {

/// Image Pixel module values, written as they are (nonsense included).
struct image_module {
    std::uint32_t rows{8};
    std::uint32_t columns{8};
    std::uint16_t samples{1};
    std::uint16_t bits_allocated{8};
    std::uint16_t bits_stored{8};
    std::uint16_t high_bit{7};
    std::uint16_t pixel_representation{0};
    std::string photometric{"MONOCHROME2"};
    std::string frames{}; ///< Number of Frames as IS text; empty: absent
    int planar{-1};       ///< Planar Configuration; -1: absent
    bool rows_as_ul{false}; ///< Rows and Columns encoded as UL (Orthanc CVE-2026-5442)
};

/// Writes (0028,0002) ... (0028,0103) in ascending order into `b`.
void put_image_module(dicom_builder& b, const image_module& m);

/// The frame_info those values describe (for encoders; valid values only).
[[nodiscard]] frame_info info_of(const image_module& m);

/// Explicit VR Little Endian dataset: SOP Class/Instance, the Image Pixel module, `extra` (group 0028
/// elements above (0028,0103) and anything up to (7FDF,FFFF), already encoded), then native Pixel Data
/// holding `pixel_bytes` (OB for 8 bits or less, OW otherwise).
[[nodiscard]] bytes native_file(const image_module& m, std::span<const std::byte> pixel_bytes,
                                std::span<const std::byte> extra = {}, std::string_view ts = "1.2.840.10008.1.2.1");

/// Explicit VR Little Endian dataset as above with encapsulated Pixel Data: the Basic Offset Table items
/// `bot` and `fragments` (PS3.5 §A.4), in a Part 10 file of transfer syntax `ts`.
[[nodiscard]] bytes encapsulated_file(const image_module& m, std::string_view ts, std::span<const std::uint32_t> bot,
                                      const std::vector<bytes>& fragments, std::span<const std::byte> extra = {});

/// Samples of a gradient for `info` (host-endian, interleaved).
[[nodiscard]] bytes gradient(const frame_info& info);

/// A codestream of `uid` made by the first built-in encoder for it (empty when none is built).
[[nodiscard]] bytes encode_with_builtin(std::string_view uid, const frame_info& info, double quality = 0);

/// RLE frame (PS3.5 Annex G): the 64-byte header with `count` and `offsets` as given, then `segments`.
[[nodiscard]] bytes rle_frame(std::uint32_t count, std::span<const std::uint32_t> offsets,
                              std::span<const bytes> segments);
/// One RLE segment of `n` literal bytes `value` (PackBits literal runs of up to 128 bytes).
[[nodiscard]] bytes rle_literal_segment(std::size_t n, std::uint8_t value);

/// A progressive JPEG (SOF2) of one 8x8 grey block with `scans` scans after the first DC scan: the
/// "80,000 scans" CPU bomb of the Cure53 audit of libjpeg-turbo (LJT-01-003).
[[nodiscard]] bytes jpeg_many_scans(std::uint32_t scans);

/// A JPEG 2000 codestream main header (SOC SIZ COD QCD) and one empty tile-part, with the given image
/// and tile sizes: header-level lies without a real encoder.
[[nodiscard]] bytes j2k_header(std::uint32_t width, std::uint32_t height, std::uint32_t tile_width,
                               std::uint32_t tile_height, std::uint16_t components, std::uint8_t precision);

/// Raw deflate (RFC 1951) of `n` zero bytes, produced in chunks (a decompression bomb).
[[nodiscard]] bytes deflate_zeros(std::uint64_t n);

} // namespace dicompix::test
