// SPDX-License-Identifier: BSD-3-Clause
// Internal: overlay planes (PS3.3 C.9.2) read once and burned into rendered frames.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dicompix/dataset.hpp"
#include "dicompix/frame_info.hpp"
#include "dicompix/render.hpp"
#include "render/lut.hpp"

namespace dicompix::render_detail {

/// One overlay plane, validated: every bit it can read lies inside its data.
struct overlay_plane {
    std::uint16_t group{0x6000};
    std::uint32_t rows{0};
    std::uint32_t columns{0};
    std::int64_t origin_row{0};     ///< 0-based image row of the overlay's first row (Overlay Origin - 1)
    std::int64_t origin_column{0};  ///< 0-based image column of the overlay's first column
    std::uint32_t frames{1};        ///< Number of Frames in Overlay
    std::uint32_t first_frame{0};   ///< 0-based image frame of overlay frame 0 (Image Frame Origin - 1)
    bool embedded{false};           ///< bits in unused high bits of native Pixel Data (retired)
    std::uint16_t bit_position{0};  ///< embedded: the bit of each 16-bit pixel word
    bool big_endian_words{false};   ///< OW data / pixel words in big-endian byte order
    char type{'G'};
    std::span<const std::byte> data; ///< Overlay Data bits, or (embedded) the native Pixel Data
    std::shared_ptr<const void> keepalive;
};

/// Where embedded overlays read their bits: the native Pixel Data of the image (empty when encapsulated or
/// unavailable), in file byte order.
struct native_pixels {
    std::span<const std::byte> bytes;
    bool big_endian{false};
    std::shared_ptr<const void> keepalive;
};

/// Reads the overlay planes (60xx groups, xx even, 6000..601E) of `ds`. A plane whose size does not fit its
/// data (GDCM CVE-2025-52582, Horos GHSA-4m46-cgcg-rwx2), that has neither data nor a usable embedded bit
/// position, or whose attributes are malformed is skipped with a warning (strict: an error, render_error).
/// Standalone data is viewed with `keepalive` when given, else copied.
[[nodiscard]] result<std::vector<overlay_plane>> read_overlays(const dataset& ds, const frame_info& info,
                                                               std::uint32_t image_frames, const native_pixels& native,
                                                               const std::shared_ptr<const void>& keepalive,
                                                               const diagnostics& diag);

/// Sets the pixels of `image` (8-bit, 1 or 3 channels, the image's size) under the set bits of the plane's
/// frame for image frame `frame_index` to 255. Pixels outside the image are clipped.
void burn_in(const overlay_plane& plane, std::uint32_t frame_index, bitmap& image) noexcept;

} // namespace dicompix::render_detail
