// SPDX-License-Identifier: BSD-3-Clause
// Internal helper of the HTJ2K adapter (htj2k_openjph.cpp): walks every packet header of an HTJ2K
// codestream without decoding any code-block, so that OpenJPH only ever sees packet headers that its
// parser reads within its own assumptions.
//
// Why: OpenJPH 0.9 (Debian 12 builds keep `assert`) reads a code-block's segment length with
// Lblock + n bits (ISO/IEC 15444-1 B.10.7) and asserts that this is at most 32 bits; a hostile packet
// header raises Lblock with a long comma code and aborts the process (fuzz_decode_htj2k finding
// fa0b8ac9). Packet headers are interleaved with code-block data, so they can only be found by decoding
// them: tag trees, pass counts and lengths, in the progression order, over the precinct and code-block
// geometry of every tile, component and resolution (B.6-B.12).
//
// The walk covers what the adapter hands OpenJPH (one quality layer, no subsampling, zero offsets, no
// POC/PPM/PPT/COC, HT code-blocks only, no EPH). It answers "OpenJPH may parse this" only when every
// packet of every tile parses, every segment-length field is at most 32 bits, no code-block has
// placeholder passes (OpenJPH releases disagree on their length fields), no packet belongs to a precinct
// without code-blocks (OpenJPH releases disagree on its header bit), and the packets use up each tile's
// data exactly. Anything else returns the reason; the adapter then fails read_header() and the frame goes
// to OpenJPEG, which parses packet headers with its own checks. Valid codestreams lose nothing but speed.
//
// Cost: proportional to the code-blocks and packet-header bytes, a small fraction of decoding. Memory:
// the per-tile packet list and one precinct's tag trees.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codecs/j2k_codestream.hpp"

namespace dicompix::codecs::j2k {

namespace packets_detail {

inline std::uint64_t ceil_div_pow2(std::uint64_t v, unsigned shift) noexcept {
    return shift >= 64 ? (v != 0 ? 1 : 0) : (v + ((std::uint64_t{1} << shift) - 1)) >> shift;
}

/// ceil((v - offset) / 2^shift) for a band origin (B.5, equation B-15), where v - offset may be negative.
inline std::uint64_t band_coordinate(std::uint64_t v, std::uint64_t offset, unsigned shift) noexcept {
    if (v <= offset) {
        return 0; // -2^shift < v - offset <= 0: ceil is 0 (offset is 2^(shift-1) at most)
    }
    return ceil_div_pow2(v - offset, shift);
}

/// Packet-header bit reader (B.10.1): most significant bit first; a byte after 0xFF holds 7 bits.
struct bit_reader {
    const std::byte* data;
    std::size_t pos;
    std::size_t end;
    unsigned current{0};
    unsigned bits_left{0};
    bool after_ff{false};

    bool bit(unsigned& out) noexcept {
        if (bits_left == 0) {
            if (pos >= end) {
                return false;
            }
            current = std::to_integer<unsigned>(data[pos++]);
            bits_left = after_ff ? 7U : 8U;
            after_ff = current == 0xFFU;
        }
        --bits_left;
        out = (current >> bits_left) & 1U;
        return true;
    }

    /// Ends the header at a byte boundary; a header whose last byte is 0xFF is followed by a stuffed
    /// byte below 0x80 (B.10.1).
    bool terminate() noexcept {
        bits_left = 0;
        if (after_ff) {
            if (pos >= end || std::to_integer<unsigned>(data[pos]) >= 0x80U) {
                return false;
            }
            ++pos;
            after_ff = false;
        }
        return true;
    }
};

/// A tag tree over a w x h grid of leaves (B.10.2), decoded lazily as the packet header is read.
class tag_tree {
public:
    void reset(std::uint32_t w, std::uint32_t h) {
        levels_ = 0;
        nodes_ = 0;
        std::uint32_t lw = w;
        std::uint32_t lh = h;
        while (true) {
            widths_[levels_] = lw;
            offsets_[levels_] = nodes_;
            nodes_ += std::size_t{lw} * lh;
            ++levels_;
            if (lw == 1 && lh == 1) {
                break;
            }
            lw = (lw + 1) / 2;
            lh = (lh + 1) / 2;
        }
        value_.assign(nodes_, 0);
        known_.assign(nodes_, 0);
    }

    [[nodiscard]] unsigned levels() const noexcept { return levels_; }

    /// Reads bits for leaf (x, y) until its value is known or reaches `threshold`; returns false when
    /// the header runs out. `value` is the leaf's value (exact when known, else its lower bound).
    bool decode(bit_reader& in, std::uint32_t x, std::uint32_t y, std::uint32_t threshold, std::uint32_t& value) {
        std::uint32_t low = 0;
        for (unsigned level = levels_; level-- > 0;) {
            const std::size_t at = offsets_[level] + std::size_t{y >> level} * widths_[level] + (x >> level);
            value_[at] = std::max(value_[at], low);
            while (known_[at] == 0 && value_[at] < threshold) {
                unsigned b = 0;
                if (!in.bit(b)) {
                    return false;
                }
                if (b != 0) {
                    known_[at] = 1;
                } else {
                    ++value_[at];
                }
            }
            low = value_[at];
        }
        value = low;
        return true;
    }

private:
    std::array<std::uint32_t, 34> widths_{};
    std::array<std::size_t, 34> offsets_{};
    unsigned levels_{0};
    std::size_t nodes_{0};
    std::vector<std::uint32_t> value_;
    std::vector<std::uint8_t> known_;
};

/// The code-blocks of one band inside one precinct.
struct band_blocks {
    std::uint32_t width{0};
    std::uint32_t height{0};
};

/// One packet of a tile (one quality layer): its precinct and where the progression order puts it.
struct packet {
    std::array<std::uint64_t, 4> key{};
    std::uint16_t component{0};
    std::uint8_t resolution{0};
    std::uint64_t px{0};
    std::uint64_t py{0};
};

/// Tag-tree depth OpenJPH 0.9 supports for a precinct's code-block grid (its tag_tree keeps 16 level
/// pointers, one of them for the extra root).
inline constexpr unsigned max_tag_tree_levels = 15;

/// Code-blocks of one band in one precinct (bounds the tag trees: 4096 x 4096 samples in 4 x 4 blocks).
inline constexpr std::uint64_t max_blocks_per_precinct = std::uint64_t{1} << 20;

/// Packets one tile may have for the walk (a 4096 x 4096 x 3 frame with 64 x 64 precincts has 36 864).
inline constexpr std::uint64_t max_packets_per_tile = std::uint64_t{1} << 20;

} // namespace packets_detail

/// Walks all packet headers of an HTJ2K codestream that the OpenJPH adapter accepted so far (see the
/// file comment). Returns an empty string when OpenJPH may parse it, else why not.
inline std::string check_ht_packet_headers(const layout& l) {
    using namespace packets_detail;
    using detail::be16;
    using detail::be32;
    if (l.subsampled || l.x_offset != 0 || l.y_offset != 0 || l.tile_x_offset != 0 || l.tile_y_offset != 0 ||
        l.layers != 1 || (l.scod & 0x04U) != 0 || l.progression > 4) {
        return "packet walk: subsampling, offsets, layers or EPH markers";
    }
    if (l.end != ending::eoc && l.end != ending::missing_eoc) {
        return "packet walk: the tile-part chain is not complete";
    }
    const std::span<const std::byte> b = l.codestream;
    const std::size_t data_end = static_cast<std::size_t>(std::min<std::uint64_t>(l.data_end, b.size()));

    // Tile-part data ranges per tile, in codestream order (A.4.2).
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> parts(static_cast<std::size_t>(l.tiles));
    for (std::size_t p = static_cast<std::size_t>(l.first_tile_part);
         p + 12 <= data_end && be16(b, p) == marker::sot;) {
        const std::uint16_t tile = be16(b, p + 4);
        const std::uint32_t psot = be32(b, p + 6);
        const std::size_t limit =
            psot == 0 ? data_end : static_cast<std::size_t>(std::min<std::uint64_t>(p + psot, data_end));
        std::size_t q = p + 12;
        while (q + 4 <= limit && be16(b, q) != marker::sod) {
            q += 2 + std::size_t{be16(b, q + 2)};
        }
        if (q + 2 > limit || tile >= parts.size()) {
            return "packet walk: tile-part without SOD";
        }
        if (q + 2 == limit) {
            return "packet walk: tile-part " + std::to_string(p) + " holds no packet data";
        }
        parts[tile].emplace_back(q + 2, limit);
        if (psot == 0) {
            break;
        }
        p += psot;
    }

    const unsigned levels = l.levels;
    const auto xcb = static_cast<unsigned>(l.cblk_width_exp + 2U);
    const auto ycb = static_cast<unsigned>(l.cblk_height_exp + 2U);
    std::vector<packet> order;
    std::array<band_blocks, 3> blocks{};
    tag_tree inclusion;
    tag_tree zero_planes;
    for (std::size_t t = 0; t < parts.size(); ++t) {
        const std::uint64_t tx0 = (t % l.tiles_x) * std::uint64_t{l.tile_width};
        const std::uint64_t ty0 = (t / l.tiles_x) * std::uint64_t{l.tile_height};
        const std::uint64_t tx1 = std::min<std::uint64_t>(tx0 + l.tile_width, l.width);
        const std::uint64_t ty1 = std::min<std::uint64_t>(ty0 + l.tile_height, l.height);

        // The packets of this tile in progression order (B.12.1): sort keys from each precinct's
        // position on the reference grid (with no subsampling and one layer, the order of B.12.1.1-5).
        order.clear();
        std::uint64_t total_packets = 0;
        std::uint64_t tile_bytes = 0;
        for (const auto& [from, to] : parts[t]) {
            tile_bytes += to - from;
        }
        for (unsigned r = 0; r <= levels; ++r) {
            const unsigned shift = levels - r;
            const std::uint64_t trx0 = ceil_div_pow2(tx0, shift);
            const std::uint64_t try0 = ceil_div_pow2(ty0, shift);
            const std::uint64_t trx1 = ceil_div_pow2(tx1, shift);
            const std::uint64_t try1 = ceil_div_pow2(ty1, shift);
            const unsigned ppx = l.precinct_exponents[r] & 0x0FU;
            const unsigned ppy = l.precinct_exponents[r] >> 4U;
            if (trx1 <= trx0 || try1 <= try0) {
                continue;
            }
            const std::uint64_t npx = ceil_div_pow2(trx1, ppx) - (trx0 >> ppx);
            const std::uint64_t npy = ceil_div_pow2(try1, ppy) - (try0 >> ppy);
            // Every packet takes at least one byte: more packets than bytes cannot parse. The packet
            // list is also capped, so that its memory stays small next to the frame.
            const std::uint64_t budget = std::min(tile_bytes, max_packets_per_tile) - total_packets;
            if (npx > budget || npy > budget / npx || l.components > budget / (npx * npy)) {
                return "packet walk: tile " + std::to_string(t) + " has more packets than data bytes or " +
                       std::to_string(max_packets_per_tile);
            }
            total_packets += npx * npy * l.components;
            for (std::uint64_t py = 0; py < npy; ++py) {
                const std::uint64_t ref_y = std::max(ty0, ((try0 >> ppy) + py) << (ppy + shift));
                for (std::uint64_t px = 0; px < npx; ++px) {
                    const std::uint64_t ref_x = std::max(tx0, ((trx0 >> ppx) + px) << (ppx + shift));
                    for (std::uint16_t c = 0; c < l.components; ++c) {
                        packet k{{}, c, static_cast<std::uint8_t>(r), px, py};
                        switch (l.progression) {
                        case 0: // LRCP
                        case 1: // RLCP (one layer: the same order)
                            k.key = {r, c, py, px};
                            break;
                        case 2: // RPCL
                            k.key = {r, ref_y, ref_x, c};
                            break;
                        case 3: // PCRL
                            k.key = {ref_y, ref_x, c, r};
                            break;
                        default: // CPRL
                            k.key = {c, ref_y, ref_x, r};
                            break;
                        }
                        order.push_back(k);
                    }
                }
            }
        }
        std::sort(order.begin(), order.end(), [](const packet& a, const packet& c) { return a.key < c.key; });

        std::size_t part = 0;
        std::size_t pos = parts[t].empty() ? 0 : parts[t][0].first;
        for (const packet& k : order) {
            while (part < parts[t].size() && pos == parts[t][part].second) {
                ++part;
                pos = part < parts[t].size() ? parts[t][part].first : pos;
            }
            if (part >= parts[t].size()) {
                return "packet walk: tile " + std::to_string(t) + " ends before its last packet";
            }
            const std::size_t part_end = parts[t][part].second;
            const unsigned r = k.resolution;
            const unsigned shift = levels - r;
            const std::uint64_t trx0 = ceil_div_pow2(tx0, shift);
            const std::uint64_t try0 = ceil_div_pow2(ty0, shift);
            const unsigned ppx = l.precinct_exponents[r] & 0x0FU;
            const unsigned ppy = l.precinct_exponents[r] >> 4U;
            // Bands of this resolution (B.5) and the code-blocks of this precinct in each (B.6, B.7).
            const unsigned bands = r == 0 ? 1U : 3U;
            const unsigned band_shift = r == 0 ? shift : shift + 1; // nb of B.5
            const unsigned pw = r == 0 ? ppx : ppx - 1;
            const unsigned ph = r == 0 ? ppy : ppy - 1;
            const unsigned cbw = std::min(xcb, pw);
            const unsigned cbh = std::min(ycb, ph);
            bool any_blocks = false;
            for (unsigned s = 0; s < bands; ++s) {
                const unsigned xob = r == 0 ? 0U : (s == 1 ? 0U : 1U); // HL, LH, HH
                const unsigned yob = r == 0 ? 0U : (s == 0 ? 0U : 1U);
                const std::uint64_t half = band_shift == 0 ? 0 : std::uint64_t{1} << (band_shift - 1);
                const std::uint64_t bx0 = band_coordinate(tx0, half * xob, band_shift);
                const std::uint64_t bx1 = band_coordinate(tx1, half * xob, band_shift);
                const std::uint64_t by0 = band_coordinate(ty0, half * yob, band_shift);
                const std::uint64_t by1 = band_coordinate(ty1, half * yob, band_shift);
                const std::uint64_t qx0 = std::max(bx0, ((trx0 >> ppx) + k.px) << pw);
                const std::uint64_t qy0 = std::max(by0, ((try0 >> ppy) + k.py) << ph);
                const std::uint64_t qx1 = std::min(bx1, ((trx0 >> ppx) + k.px + 1) << pw);
                const std::uint64_t qy1 = std::min(by1, ((try0 >> ppy) + k.py + 1) << ph);
                blocks[s] = {};
                if (qx1 > qx0 && qy1 > qy0) {
                    blocks[s].width = static_cast<std::uint32_t>(ceil_div_pow2(qx1, cbw) - (qx0 >> cbw));
                    blocks[s].height = static_cast<std::uint32_t>(ceil_div_pow2(qy1, cbh) - (qy0 >> cbh));
                    any_blocks = true;
                }
            }
            if (!any_blocks) {
                return "packet walk: a precinct without code-blocks";
            }

            bit_reader in{b.data(), pos, part_end};
            auto cut = [&] { return "packet walk: packet header at offset " + std::to_string(pos) + " runs out"; };
            unsigned present = 0;
            if (!in.bit(present)) {
                return cut();
            }
            std::uint64_t body = 0;
            if (present != 0) {
                for (unsigned s = 0; s < bands; ++s) {
                    if (blocks[s].width == 0) {
                        continue;
                    }
                    if (std::max(blocks[s].width, blocks[s].height) > (1U << (max_tag_tree_levels - 1)) ||
                        std::uint64_t{blocks[s].width} * blocks[s].height > max_blocks_per_precinct) {
                        return "packet walk: precinct with " + std::to_string(blocks[s].width) + "x" +
                               std::to_string(blocks[s].height) + " code-blocks";
                    }
                    inclusion.reset(blocks[s].width, blocks[s].height);
                    zero_planes.reset(blocks[s].width, blocks[s].height);
                    for (std::uint32_t y = 0; y < blocks[s].height; ++y) {
                        for (std::uint32_t x = 0; x < blocks[s].width; ++x) {
                            std::uint32_t first_layer = 0;
                            if (!inclusion.decode(in, x, y, 1, first_layer)) {
                                return cut();
                            }
                            if (first_layer != 0) {
                                continue; // not included in layer 0 (B.10.4)
                            }
                            std::uint32_t missing = 0; // B.10.5; bounded by the header's bits
                            if (!zero_planes.decode(in, x, y, UINT32_MAX, missing)) {
                                return cut();
                            }
                            // Number of coding passes (B.10.6, Table B.4).
                            unsigned v = 0;
                            unsigned passes = 1;
                            if (!in.bit(v)) {
                                return cut();
                            }
                            if (v != 0) {
                                passes = 2;
                                if (!in.bit(v)) {
                                    return cut();
                                }
                                if (v != 0) {
                                    unsigned two = 0;
                                    for (int i = 0; i < 2; ++i) {
                                        if (!in.bit(v)) {
                                            return cut();
                                        }
                                        two = (two << 1U) | v;
                                    }
                                    passes = 3 + two;
                                }
                            }
                            if (passes > 3) {
                                // HT placeholder passes (ISO/IEC 15444-15 B.3) or more: not for OpenJPH 0.9.
                                return "packet walk: a code-block with " + std::to_string(passes) + "+ coding passes";
                            }
                            // Lblock (B.10.7.1): 3 plus a comma code of increments.
                            unsigned lblock = 3;
                            do {
                                if (!in.bit(v)) {
                                    return cut();
                                }
                                lblock += v;
                            } while (v != 0 && lblock <= 32);
                            // HT (15444-15): the cleanup segment length has Lblock bits, the refinement
                            // segment (2 or 3 passes) Lblock + floor(log2(passes - 1)) bits.
                            const unsigned extra = passes > 2 ? 1U : 0U;
                            if (lblock + extra > 32) {
                                return "packet walk: segment length field of " + std::to_string(lblock + extra) +
                                       " bits at offset " + std::to_string(in.pos) +
                                       " (ISO/IEC 15444-1 B.10.7: OpenJPH reads at most 32)";
                            }
                            for (unsigned segment = 0; segment < (passes > 1 ? 2U : 1U); ++segment) {
                                std::uint64_t length = 0;
                                for (unsigned i = 0; i < lblock + (segment == 1 ? extra : 0U); ++i) {
                                    if (!in.bit(v)) {
                                        return cut();
                                    }
                                    length = (length << 1U) | v;
                                }
                                body += length;
                            }
                        }
                    }
                }
            }
            if (!in.terminate()) {
                return cut();
            }
            if (body > part_end - in.pos) {
                return "packet walk: packet at offset " + std::to_string(pos) + " needs " + std::to_string(body) +
                       " bytes of code-block data, its tile-part has " + std::to_string(part_end - in.pos);
            }
            pos = in.pos + static_cast<std::size_t>(body);
        }
        while (part < parts[t].size() && pos == parts[t][part].second) {
            ++part;
            pos = part < parts[t].size() ? parts[t][part].first : pos;
        }
        if (part != parts[t].size()) {
            return "packet walk: tile " + std::to_string(t) + " has " + std::to_string(parts[t][part].second - pos) +
                   " bytes after its last packet";
        }
    }
    return {};
}

} // namespace dicompix::codecs::j2k
