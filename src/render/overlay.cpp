// SPDX-License-Identifier: BSD-3-Clause
// Overlay planes (PS3.3 C.9.2): 1-bit planes in (60xx,3000), or (retired, C.9.2.1.1 / PS3.5 §8.1.2) bits
// embedded in the unused high bits of native Pixel Data. Sizes come from the dataset and are checked against
// the data before any bit is read (GDCM CVE-2025-52582: Overlay Rows x Columns larger than Overlay Data).
#include "render/overlay.hpp"

#include <algorithm>
#include <optional>

#include "dicompix/tags.hpp"

namespace dicompix::render_detail {
namespace {

constexpr tag in_group(tag t, std::uint16_t group) noexcept { return tag{group, t.element()}; }

/// An integer value of an element, also when its VR is unknown (implicit VR, repeating groups): then the
/// value is read as a 16-bit word of the element's byte order, signed when `is_signed`.
std::optional<std::int64_t> int_value(const element* e, std::size_t index = 0, bool is_signed = false) {
    if (e == nullptr) {
        return std::nullopt;
    }
    if (auto v = e->to_int(index); v) {
        return *v;
    }
    const auto words = read_words(*e);
    if (index < words.size()) {
        return is_signed ? std::int64_t{static_cast<std::int16_t>(words[index])} : std::int64_t{words[index]};
    }
    return std::nullopt;
}

std::string group_path(std::uint16_t group) {
    return tag{group, 0x0000}.to_string().replace(6, 4, "xxxx");
}

} // namespace

result<std::vector<overlay_plane>> read_overlays(const dataset& ds, const frame_info& info,
                                                 std::uint32_t image_frames, const native_pixels& native,
                                                 const std::shared_ptr<const void>& keepalive,
                                                 const diagnostics& diag) {
    std::vector<overlay_plane> planes;
    for (std::uint16_t group = 0x6000; group <= 0x601E; group = static_cast<std::uint16_t>(group + 2)) {
        const element* rows_e = ds.find(in_group(tags::OverlayRows, group));
        const element* cols_e = ds.find(in_group(tags::OverlayColumns, group));
        const element* data_e = ds.find(in_group(tags::OverlayData, group));
        if (rows_e == nullptr && cols_e == nullptr && data_e == nullptr) {
            continue;
        }
        const std::string path = group_path(group);
        const auto skip = [&](const std::string& why) -> result<void> {
            return diag.recover(errc::render_error, "overlay " + path + " skipped: " + why, path);
        };
        const auto rows = int_value(rows_e);
        const auto cols = int_value(cols_e);
        if (!rows || !cols || *rows < 1 || *cols < 1 || *rows > 0xFFFF || *cols > 0xFFFF) {
            DICOMPIX_TRY_VOID(skip("Overlay Rows / Columns missing or not 1..65535"));
            continue;
        }
        overlay_plane p;
        p.group = group;
        p.rows = static_cast<std::uint32_t>(*rows);
        p.columns = static_cast<std::uint32_t>(*cols);
        // Overlay Origin: 1-based row, column of the overlay's first pixel; may be negative or beyond the image.
        if (const element* o = ds.find(in_group(tags::OverlayOrigin, group)); o != nullptr) {
            const auto r = int_value(o, 0, true);
            const auto c = int_value(o, 1, true);
            if (r && c) {
                p.origin_row = *r - 1;
                p.origin_column = *c - 1;
            }
        }
        if (const element* t = ds.find(in_group(tags::OverlayType, group)); t != nullptr) {
            if (auto s = t->string(); s && !s->empty()) {
                p.type = (*s)[0];
            }
        }
        const auto bits_allocated = int_value(ds.find(in_group(tags::OverlayBitsAllocated, group))).value_or(1);
        const auto bit_position = int_value(ds.find(in_group(tags::OverlayBitPosition, group))).value_or(0);
        const std::uint64_t plane_bits = std::uint64_t{p.rows} * p.columns;

        if (data_e != nullptr && !data_e->bytes().empty()) {
            // Standalone plane: frames of rows x columns bits, packed (PS3.5 §8.1.2 / §8.2: the first pixel in the
            // least significant bit; OW in big endian keeps 16-bit words).
            const auto frames = int_value(ds.find(in_group(tags::NumberOfFramesInOverlay, group))).value_or(1);
            const auto origin = int_value(ds.find(in_group(tags::ImageFrameOrigin, group))).value_or(1);
            if (frames < 1 || frames > 0xFFFFFFFFLL || origin < 1 || origin > 0xFFFFFFFFLL) {
                DICOMPIX_TRY_VOID(skip("Number of Frames in Overlay / Image Frame Origin out of range"));
                continue;
            }
            p.frames = static_cast<std::uint32_t>(frames);
            p.first_frame = static_cast<std::uint32_t>(origin - 1);
            p.big_endian_words = data_e->big_endian() && data_e->vr() != vr::OB;
            const auto bytes = data_e->bytes();
            // Bits are read in whole 16-bit words when the words are big-endian: an odd last byte is unusable.
            const std::uint64_t usable = p.big_endian_words ? bytes.size() & ~std::size_t{1} : bytes.size();
            // rows, columns <= 65535 and frames < 2^32: the product fits in 64 bits.
            const std::uint64_t needed = plane_bits * p.frames;
            if (needed > usable * 8) {
                DICOMPIX_TRY_VOID(skip(std::to_string(p.frames) + " frame(s) of " + std::to_string(p.rows) + "x" +
                                       std::to_string(p.columns) + " need " + std::to_string((needed + 7) / 8) +
                                       " bytes, Overlay Data has " + std::to_string(bytes.size())));
                continue;
            }
            if (bits_allocated != 1 || bit_position != 0) {
                diag.warn("overlay " + path + ": Overlay Bits Allocated / Bit Position are not 1 / 0 for Overlay Data; "
                          "reading 1-bit data", path);
            }
            if (data_e->owns_value() || keepalive == nullptr) {
                auto copy = std::make_shared<std::vector<std::byte>>(bytes.begin(), bytes.end());
                p.data = std::span<const std::byte>(*copy);
                p.keepalive = std::move(copy);
            } else {
                p.data = bytes;
                p.keepalive = keepalive;
            }
            planes.push_back(std::move(p));
            continue;
        }

        // Embedded plane (retired): bit `bit_position` of each Pixel Data word, outside the stored bits.
        const int low_stored = info.high_bit + 1 - info.bits_stored;
        if (bits_allocated <= 1 || bits_allocated != info.bits_allocated || info.bits_allocated != 16 ||
            info.samples_per_pixel != 1) {
            DICOMPIX_TRY_VOID(skip("no Overlay Data, and not an overlay embedded in 16-bit monochrome Pixel Data"));
            continue;
        }
        if (bit_position < 0 || bit_position >= 16 || (bit_position >= low_stored && bit_position <= info.high_bit)) {
            DICOMPIX_TRY_VOID(skip("embedded Overlay Bit Position " + std::to_string(bit_position) +
                                   " is not an unused bit of Pixel Data"));
            continue;
        }
        if (p.rows != info.rows || p.columns != info.columns) {
            DICOMPIX_TRY_VOID(skip("an embedded overlay must have the image's rows and columns"));
            continue;
        }
        if (native.bytes.empty()) {
            DICOMPIX_TRY_VOID(skip("embedded overlay bits need native (uncompressed) Pixel Data"));
            continue;
        }
        p.embedded = true;
        p.bit_position = static_cast<std::uint16_t>(bit_position);
        p.origin_row = 0;
        p.origin_column = 0;
        p.frames = image_frames;
        p.first_frame = 0;
        p.big_endian_words = native.big_endian;
        p.data = native.bytes;
        p.keepalive = native.keepalive;
        planes.push_back(std::move(p));
    }
    return planes;
}

void burn_in(const overlay_plane& p, std::uint32_t frame_index, bitmap& image) noexcept {
    if (image.bit_depth() != 8 || frame_index < p.first_frame) {
        return;
    }
    const std::uint64_t k = frame_index - p.first_frame;
    if (k >= p.frames) {
        return;
    }
    const std::uint64_t plane_bits = std::uint64_t{p.rows} * p.columns;
    const std::uint64_t first_bit = k * plane_bits;
    if (p.embedded) {
        // Each bit is one 16-bit word of the frame: the whole frame must be inside the data.
        if ((first_bit + plane_bits) * 2 > p.data.size()) {
            return;
        }
    } else if (first_bit + plane_bits > std::uint64_t{p.big_endian_words ? p.data.size() & ~std::size_t{1} : p.data.size()} * 8) {
        return; // checked at read time; kept as a guard
    }
    const auto bit = [&](std::uint64_t i) -> bool {
        if (p.embedded) {
            const std::size_t at = static_cast<std::size_t>(i) * 2;
            const auto lo = std::to_integer<unsigned>(p.data[at + (p.big_endian_words ? 1 : 0)]);
            const auto hi = std::to_integer<unsigned>(p.data[at + (p.big_endian_words ? 0 : 1)]);
            return (((hi << 8U) | lo) >> p.bit_position & 1U) != 0;
        }
        std::size_t byte = static_cast<std::size_t>(i / 8);
        if (p.big_endian_words) {
            byte ^= 1U; // bit i is bit (i % 16) of 16-bit word i / 16, stored most significant byte first
        }
        return (std::to_integer<unsigned>(p.data[byte]) >> (i % 8) & 1U) != 0;
    };
    const std::int64_t width = image.width();
    const std::int64_t height = image.height();
    const std::uint16_t channels = image.channels();
    const std::int64_t c0 = std::max<std::int64_t>(0, -p.origin_column);
    const std::int64_t c1 = std::min<std::int64_t>(p.columns, width - p.origin_column);
    const std::int64_t r0 = std::max<std::int64_t>(0, -p.origin_row);
    const std::int64_t r1 = std::min<std::int64_t>(p.rows, height - p.origin_row);
    auto out = image.samples8();
    for (std::int64_t r = r0; r < r1; ++r) {
        const std::int64_t y = r + p.origin_row;
        for (std::int64_t c = c0; c < c1; ++c) {
            if (bit(first_bit + static_cast<std::uint64_t>(r) * p.columns + static_cast<std::uint64_t>(c))) {
                const std::int64_t x = c + p.origin_column;
                const auto at = static_cast<std::size_t>((y * width + x) * channels);
                for (std::uint16_t s = 0; s < channels; ++s) {
                    out[at + s] = 255;
                }
            }
        }
    }
}

} // namespace dicompix::render_detail
