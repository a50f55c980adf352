// SPDX-License-Identifier: BSD-3-Clause
// Internal helper of the JPEG 2000 / HTJ2K codecs (jpeg2000_openjpeg.cpp, htj2k_openjph.cpp): reads the
// main header and walks the tile-part chain of a codestream (ISO/IEC 15444-1 Annex A) without decoding
// anything, so that the adapters can check dimensions, precision and resource use before a backend
// allocates, and can tell a complete codestream from a truncated one (both backends decode truncated
// data partially: OpenJPEG with a warning in non-strict mode, OpenJPH silently).
// Header-only; no backend headers; no allocation except for TLM entries and per-tile tile-part counts.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/error.hpp"
#include "dicompix/frame_info.hpp"

namespace dicompix::codecs::j2k {

// Marker codes (ISO/IEC 15444-1 Table A.2; CAP and CPF from ISO/IEC 15444-15).
namespace marker {
inline constexpr std::uint16_t soc = 0xFF4F;
inline constexpr std::uint16_t cap = 0xFF50;
inline constexpr std::uint16_t siz = 0xFF51;
inline constexpr std::uint16_t cod = 0xFF52;
inline constexpr std::uint16_t coc = 0xFF53;
inline constexpr std::uint16_t tlm = 0xFF55;
inline constexpr std::uint16_t plm = 0xFF57;
inline constexpr std::uint16_t plt = 0xFF58;
inline constexpr std::uint16_t cpf = 0xFF59;
inline constexpr std::uint16_t qcd = 0xFF5C;
inline constexpr std::uint16_t qcc = 0xFF5D;
inline constexpr std::uint16_t rgn = 0xFF5E;
inline constexpr std::uint16_t poc = 0xFF5F;
inline constexpr std::uint16_t ppm = 0xFF60;
inline constexpr std::uint16_t ppt = 0xFF61;
inline constexpr std::uint16_t crg = 0xFF63;
inline constexpr std::uint16_t com = 0xFF64;
inline constexpr std::uint16_t sot = 0xFF90;
inline constexpr std::uint16_t sod = 0xFF93;
inline constexpr std::uint16_t eoc = 0xFFD9;
} // namespace marker

/// Trailing bytes after EOC that are accepted silently (user-needs C8: DICOM even-length padding and
/// encoders that pad to 4 bytes, jai-imageio-jpeg2000 PR #33).
inline constexpr std::size_t max_silent_padding = 3;
/// ISO/IEC 15444-1 A.4.2: Isot is 0..65534.
inline constexpr std::uint64_t max_tiles = 65535;

/// Main-header marker segments seen, as bits.
enum main_marker : std::uint32_t {
    has_cap = 1U << 0,
    has_coc = 1U << 1,
    has_qcc = 1U << 2,
    has_rgn = 1U << 3,
    has_poc = 1U << 4,
    has_ppm = 1U << 5,
    has_plm = 1U << 6,
    has_crg = 1U << 7,
    has_tlm = 1U << 8,
    has_other = 1U << 9, ///< markers of other parts (e.g. 15444-2 MCT/NLT) or unknown ones
};

/// How the tile-part chain ends.
enum class ending : std::uint8_t {
    eoc,                    ///< EOC after the last tile-part (maybe followed by `trailing` bytes)
    missing_eoc,            ///< no EOC, but every tile has all the tile-parts its SOT markers announce
    missing_eoc_unverified, ///< no EOC and completeness cannot be proven (Psot 0 or TNsot 0)
    truncated,              ///< tile-part data or tile-parts are missing
    unparseable,            ///< the tile-part chain leads to bytes that are not a marker (e.g. a wrong Psot)
};

struct layout {
    std::span<const std::byte> codestream; ///< the J2K codestream (the jp2c box contents for JP2 files)
    bool jp2{false};                       ///< the input was a JP2 file (ISO/IEC 15444-1 Annex I), not a codestream

    // SIZ (A.5.1)
    std::uint16_t rsiz{0};
    std::uint32_t width{0};  ///< Xsiz - XOsiz
    std::uint32_t height{0}; ///< Ysiz - YOsiz
    std::uint32_t x_offset{0}, y_offset{0};
    std::uint32_t tile_width{0}, tile_height{0};
    std::uint32_t tile_x_offset{0}, tile_y_offset{0};
    std::uint64_t tiles_x{0}, tiles_y{0}, tiles{0};
    std::uint16_t components{0};
    std::uint16_t precision{0};     ///< of component 0 (Ssiz & 0x7F) + 1
    std::uint16_t max_precision{0}; ///< over all components
    bool is_signed{false};          ///< of component 0
    bool uniform{true};             ///< all components have the same precision and signedness
    bool subsampled{false};         ///< some component has XRsiz or YRsiz != 1

    // COD (A.6.1)
    std::uint8_t scod{0};
    std::uint8_t progression{0};
    std::uint16_t layers{0};
    std::uint8_t mct{0};
    std::uint8_t levels{0};
    std::uint8_t cblk_width_exp{0};  ///< xcb (log2 width - 2)
    std::uint8_t cblk_height_exp{0}; ///< ycb
    std::uint8_t cblk_style{0};
    std::uint8_t transform{0}; ///< 0: 9/7 irreversible, 1: 5/3 reversible
    /// Precinct size exponents per resolution level (A.6.1 Table A.21: PPx low nibble, PPy high nibble);
    /// 0xFF (2^15 x 2^15) for every level when Scod bit 0 is clear.
    std::array<std::uint8_t, 33> precinct_exponents{};

    // QCD (A.6.4)
    std::uint8_t quantisation_style{0}; ///< Sqcd & 0x1F: 0 none, 1 scalar derived, 2 scalar expounded

    std::uint32_t main_markers{0}; ///< main_marker bits
    bool ht{false};                ///< Rsiz bit 14 set and CAP says Part 15 (HTJ2K, ISO/IEC 15444-15)

    // Tile-parts
    std::uint64_t first_tile_part{0}; ///< offset of the first SOT (end of the main header)
    std::uint32_t tile_parts{0};
    bool simple_tile_headers{true}; ///< tile-part headers hold only PLT/COM (no COD/COC/QCD/QCC/POC/RGN/PPT)
    bool tlm_consistent{true};      ///< TLM entries (if any) match the SOT chain
    std::uint64_t data_end{0};      ///< offset just after the last tile-part's data
    std::uint64_t stray_marker{0};  ///< offset of a marker segment between the last tile-part and EOC (0: none)
    std::uint64_t eoc_offset{0};    ///< offset of EOC when ending == ending::eoc
    std::size_t trailing{0};        ///< bytes after EOC (or after the data when EOC is missing)
    ending end{ending::eoc};
    std::string problem; ///< what made the chain truncated/unparseable/incomplete
};

namespace detail {

inline std::uint16_t be16(std::span<const std::byte> b, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[at]) << 8U) | std::to_integer<unsigned>(b[at + 1]));
}
inline std::uint32_t be32(std::span<const std::byte> b, std::size_t at) noexcept {
    return (static_cast<std::uint32_t>(be16(b, at)) << 16U) | be16(b, at + 2);
}
inline std::uint64_t be64(std::span<const std::byte> b, std::size_t at) noexcept {
    return (static_cast<std::uint64_t>(be32(b, at)) << 32U) | be32(b, at + 4);
}
inline std::uint8_t u8(std::span<const std::byte> b, std::size_t at) noexcept {
    return std::to_integer<std::uint8_t>(b[at]);
}
inline std::string hex16(std::uint16_t v) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string s(4, '0');
    for (int i = 3; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = digits[v & 0xFU];
        v = static_cast<std::uint16_t>(v >> 4U);
    }
    return s;
}

/// ISO/IEC 15444-1 I.5.1: a JP2 file starts with the 12-byte signature box.
inline bool is_jp2(std::span<const std::byte> b) noexcept {
    return b.size() >= 12 && be32(b, 0) == 0x0000000C && be32(b, 4) == 0x6A502020 && be32(b, 8) == 0x0D0A870A;
}

/// The contents of the first Contiguous Codestream box (jp2c, I.5.4) of a JP2 file.
inline result<std::span<const std::byte>> jp2_codestream(std::span<const std::byte> b) {
    std::size_t p = 0;
    for (int boxes = 0; boxes < 4096 && p + 8 <= b.size(); ++boxes) {
        std::uint64_t length = be32(b, p);
        const std::uint32_t type = be32(b, p + 4);
        std::size_t header = 8;
        if (length == 1) {
            if (p + 16 > b.size()) {
                break;
            }
            length = be64(b, p + 8);
            header = 16;
        } else if (length == 0) {
            length = b.size() - p;
        }
        if (length < header) {
            return failure(errc::codec_error,
                           "JP2 box at offset " + std::to_string(p) + " has length " + std::to_string(length));
        }
        if (type == 0x6A703263) { // 'jp2c'
            const std::uint64_t available = b.size() - p - header;
            return b.subspan(p + header, static_cast<std::size_t>(std::min(length - header, available)));
        }
        if (length > b.size() - p) {
            break;
        }
        p += static_cast<std::size_t>(length);
    }
    return failure(errc::codec_error, "JP2 file without a contiguous codestream (jp2c) box");
}

} // namespace detail

/// Reads the main header and the tile-part chain. Errors: truncated_codestream (the main header is cut
/// short), codec_error (not a codestream, or SIZ/COD/QCD values outside ISO/IEC 15444-1 ranges).
/// Problems in the tile-part chain are reported in layout::end, not as errors, so that each adapter
/// applies its own policy.
inline result<layout> parse(std::span<const std::byte> input) {
    using detail::be16;
    using detail::be32;
    using detail::u8;
    layout out;
    out.codestream = input;
    if (detail::is_jp2(input)) {
        DICOMPIX_TRY(out.codestream, detail::jp2_codestream(input));
        out.jp2 = true;
    }
    const std::span<const std::byte> b = out.codestream;
    const std::size_t size = b.size();
    auto cut = [&](std::string_view where) {
        return failure(errc::truncated_codestream, "codestream ends inside the main header (" + std::string(where) +
                                                       ") after " + std::to_string(size) + " bytes");
    };
    auto bad = [](std::string message) { return failure(errc::codec_error, std::move(message)); };
    if (size < 2 || be16(b, 0) != marker::soc) {
        if (size < 2) {
            return cut("SOC");
        }
        return bad("not a JPEG 2000 codestream (no SOC marker)");
    }
    std::size_t p = 2;
    bool seen_siz = false;
    bool seen_cod = false;
    bool seen_qcd = false;
    std::uint32_t pcap = 0;
    std::vector<std::pair<std::uint16_t, std::uint32_t>> tlm_entries;
    while (true) {
        if (p + 2 > size) {
            return cut("marker");
        }
        const std::uint16_t code = be16(b, p);
        if (code == marker::sot) {
            break;
        }
        if ((static_cast<unsigned>(code) >> 8U) != 0xFFU || code == marker::eoc || code == marker::sod ||
            code == marker::soc || code < 0xFF30) {
            return bad("unexpected marker " + detail::hex16(code) + " at offset " + std::to_string(p) +
                       " in the main header");
        }
        if (p + 4 > size) {
            return cut("marker length");
        }
        const std::size_t length = be16(b, p + 2);
        if (length < 2) {
            return bad("marker " + detail::hex16(code) + " at offset " + std::to_string(p) + " has length " +
                       std::to_string(length));
        }
        if (p + 2 + length > size) {
            return cut(detail::hex16(code));
        }
        const std::span<const std::byte> seg = b.subspan(p + 4, length - 2);
        if (!seen_siz && code != marker::siz) {
            return bad("the first marker after SOC is " + detail::hex16(code) + ", not SIZ (ISO/IEC 15444-1 A.3)");
        }
        switch (code) {
        case marker::siz: {
            if (seen_siz) {
                return bad("two SIZ markers");
            }
            seen_siz = true;
            if (seg.size() < 36 + 3) {
                return bad("SIZ marker too short");
            }
            out.rsiz = be16(seg, 0);
            const std::uint32_t xsiz = be32(seg, 2);
            const std::uint32_t ysiz = be32(seg, 6);
            out.x_offset = be32(seg, 10);
            out.y_offset = be32(seg, 14);
            out.tile_width = be32(seg, 18);
            out.tile_height = be32(seg, 22);
            out.tile_x_offset = be32(seg, 26);
            out.tile_y_offset = be32(seg, 30);
            out.components = be16(seg, 34);
            if (out.components == 0 || out.components > 16384 || seg.size() != 36 + 3 * std::size_t{out.components}) {
                return bad("SIZ marker: Csiz " + std::to_string(out.components) + " does not match its length " +
                           std::to_string(length));
            }
            // A.5.1 constraints on the reference grid and the tiling.
            if (xsiz <= out.x_offset || ysiz <= out.y_offset || out.tile_width == 0 || out.tile_height == 0 ||
                out.tile_x_offset > out.x_offset || out.tile_y_offset > out.y_offset ||
                std::uint64_t{out.tile_x_offset} + out.tile_width <= out.x_offset ||
                std::uint64_t{out.tile_y_offset} + out.tile_height <= out.y_offset) {
                return bad("SIZ marker: inconsistent image or tile geometry (Xsiz " + std::to_string(xsiz) + ", Ysiz " +
                           std::to_string(ysiz) + ", XOsiz " + std::to_string(out.x_offset) + ", YOsiz " +
                           std::to_string(out.y_offset) + ", XTsiz " + std::to_string(out.tile_width) + ", YTsiz " +
                           std::to_string(out.tile_height) + ")");
            }
            out.width = xsiz - out.x_offset;
            out.height = ysiz - out.y_offset;
            out.tiles_x = (std::uint64_t{xsiz} - out.tile_x_offset + out.tile_width - 1) / out.tile_width;
            out.tiles_y = (std::uint64_t{ysiz} - out.tile_y_offset + out.tile_height - 1) / out.tile_height;
            out.tiles = out.tiles_x * out.tiles_y;
            if (out.tiles > max_tiles) {
                return bad("SIZ marker declares " + std::to_string(out.tiles) + " tiles (at most " +
                           std::to_string(max_tiles) + ", ISO/IEC 15444-1 A.4.2)");
            }
            for (std::size_t c = 0; c < out.components; ++c) {
                const std::uint8_t ssiz = u8(seg, 36 + 3 * c);
                const std::uint8_t dx = u8(seg, 37 + 3 * c);
                const std::uint8_t dy = u8(seg, 38 + 3 * c);
                const auto precision = static_cast<std::uint16_t>((ssiz & 0x7FU) + 1U);
                const bool is_signed = (ssiz & 0x80U) != 0;
                if (precision > 38 || dx == 0 || dy == 0) {
                    return bad("SIZ marker: component " + std::to_string(c) + " has Ssiz " + std::to_string(ssiz) +
                               ", XRsiz " + std::to_string(dx) + ", YRsiz " + std::to_string(dy));
                }
                if (c == 0) {
                    out.precision = precision;
                    out.is_signed = is_signed;
                } else if (precision != out.precision || is_signed != out.is_signed) {
                    out.uniform = false;
                }
                out.max_precision = std::max(out.max_precision, precision);
                out.subsampled = out.subsampled || dx != 1 || dy != 1;
            }
            break;
        }
        case marker::cod: {
            if (seg.size() < 10) {
                return bad("COD marker too short");
            }
            seen_cod = true;
            out.scod = u8(seg, 0);
            out.progression = u8(seg, 1);
            out.layers = be16(seg, 2);
            out.mct = u8(seg, 4);
            out.levels = u8(seg, 5);
            out.cblk_width_exp = u8(seg, 6);
            out.cblk_height_exp = u8(seg, 7);
            out.cblk_style = u8(seg, 8);
            out.transform = u8(seg, 9);
            // A.6.1, Tables A.13-A.20.
            const std::size_t precincts = (out.scod & 1U) != 0 ? std::size_t{out.levels} + 1 : 0;
            if (out.progression > 4 || out.layers == 0 || out.mct > 1 || out.levels > 32 || out.cblk_width_exp > 8 ||
                out.cblk_height_exp > 8 || out.cblk_width_exp + out.cblk_height_exp > 8 || out.transform > 1 ||
                seg.size() != 10 + precincts) {
                return bad("COD marker has values outside ISO/IEC 15444-1 A.6.1 (progression " +
                           std::to_string(out.progression) + ", layers " + std::to_string(out.layers) + ", MCT " +
                           std::to_string(out.mct) + ", levels " + std::to_string(out.levels) + ", code-block " +
                           std::to_string(out.cblk_width_exp) + "/" + std::to_string(out.cblk_height_exp) +
                           ", transform " + std::to_string(out.transform) + ")");
            }
            out.precinct_exponents.fill(0xFF);
            for (std::size_t r = 0; r < precincts; ++r) {
                const std::uint8_t pp = u8(seg, 10 + r);
                if (r > 0 && ((pp & 0x0FU) == 0 || (pp >> 4U) == 0)) {
                    return bad("COD marker: precinct size 1 below the lowest resolution (A.6.1)");
                }
                out.precinct_exponents[r] = pp;
            }
            break;
        }
        case marker::qcd: {
            if (seg.empty()) {
                return bad("QCD marker too short");
            }
            seen_qcd = true;
            out.quantisation_style = static_cast<std::uint8_t>(u8(seg, 0) & 0x1FU);
            if (out.quantisation_style > 2) {
                return bad("QCD marker: quantisation style " + std::to_string(out.quantisation_style));
            }
            break;
        }
        case marker::cap:
            out.main_markers |= has_cap;
            if (seg.size() >= 4) {
                pcap = be32(seg, 0);
            }
            break;
        case marker::coc:
            out.main_markers |= has_coc;
            break;
        case marker::qcc:
            out.main_markers |= has_qcc;
            break;
        case marker::rgn:
            out.main_markers |= has_rgn;
            break;
        case marker::poc:
            out.main_markers |= has_poc;
            break;
        case marker::ppm:
            out.main_markers |= has_ppm;
            break;
        case marker::plm:
            out.main_markers |= has_plm;
            break;
        case marker::crg:
            out.main_markers |= has_crg;
            break;
        case marker::tlm: {
            out.main_markers |= has_tlm;
            if (seg.size() < 2) {
                out.tlm_consistent = false;
                break;
            }
            const unsigned st = (u8(seg, 1) >> 4U) & 3U;
            const unsigned sp = (u8(seg, 1) >> 6U) & 1U;
            const std::size_t entry = st + (sp != 0 ? 4U : 2U);
            if (st == 3 || (seg.size() - 2) % entry != 0) {
                out.tlm_consistent = false;
                break;
            }
            for (std::size_t at = 2; at + entry <= seg.size() && tlm_entries.size() < max_tiles * 4; at += entry) {
                const std::uint16_t tile = st == 0   ? static_cast<std::uint16_t>(tlm_entries.size())
                                           : st == 1 ? u8(seg, at)
                                                     : be16(seg, at);
                const std::uint32_t part_length = sp != 0 ? be32(seg, at + st) : be16(seg, at + st);
                tlm_entries.emplace_back(tile, part_length);
            }
            break;
        }
        case marker::com:
        case marker::cpf:
            break;
        default:
            out.main_markers |= has_other;
            break;
        }
        p += 2 + length;
    }
    if (!seen_siz || !seen_cod || !seen_qcd) {
        return bad(std::string("main header without ") +
                   (!seen_siz   ? "SIZ"
                    : !seen_cod ? "COD"
                                : "QCD") +
                   " (ISO/IEC 15444-1 A.3)");
    }
    if (out.mct == 1 && out.components < 3) {
        return bad("COD marker asks for the multiple component transform with " + std::to_string(out.components) +
                   " component(s)");
    }
    // ISO/IEC 15444-15 A.2/A.3: Rsiz bit 14 and CAP Pcap bit 15 mark HTJ2K codestreams.
    out.ht = (out.rsiz & 0x4000U) != 0 && (out.main_markers & has_cap) != 0 && (pcap & 0x00020000U) != 0;
    out.first_tile_part = p;

    // Tile-part chain (A.4.2): SOT ... SOD data, Psot bytes from the SOT marker; EOC at the end.
    std::vector<std::uint16_t> parts(static_cast<std::size_t>(out.tiles), 0);
    std::vector<std::uint8_t> announced(static_cast<std::size_t>(out.tiles), 0);
    bool any_unannounced = false;
    bool zero_psot = false;
    std::size_t tlm_index = 0;
    out.end = ending::unparseable;
    while (true) {
        if (p + 2 > size) {
            out.trailing = size - p;
            out.end = ending::missing_eoc;
            break;
        }
        const std::uint16_t code = be16(b, p);
        if (code == marker::eoc) {
            out.eoc_offset = p;
            out.trailing = size - p - 2;
            out.end = ending::eoc;
            break;
        }
        if (code == marker::sot && out.stray_marker == 0) {
            if (p + 12 > size) {
                out.end = ending::truncated;
                out.problem = "codestream ends inside the SOT marker at offset " + std::to_string(p);
                break;
            }
            const std::uint16_t lsot = be16(b, p + 2);
            const std::uint16_t isot = be16(b, p + 4);
            const std::uint32_t psot = be32(b, p + 6);
            const std::uint8_t tnsot = u8(b, p + 11);
            if (lsot != 10 || isot >= out.tiles || (psot != 0 && psot < 14)) {
                out.problem = "invalid SOT marker at offset " + std::to_string(p) + " (Lsot " + std::to_string(lsot) +
                              ", Isot " + std::to_string(isot) + ", Psot " + std::to_string(psot) + ")";
                break;
            }
            // Tile-part header: marker segments up to SOD.
            const std::size_t limit =
                psot == 0 ? size : static_cast<std::size_t>(std::min<std::uint64_t>(p + psot, size));
            std::size_t q = p + 12;
            bool found_sod = false;
            bool header_ok = true;
            while (q + 2 <= limit) {
                const std::uint16_t m = be16(b, q);
                if (m == marker::sod) {
                    found_sod = true;
                    break;
                }
                if ((static_cast<unsigned>(m) >> 8U) != 0xFFU || m < 0xFF30 || q + 4 > limit) {
                    header_ok = false;
                    break;
                }
                if (m != marker::plt && m != marker::com) {
                    out.simple_tile_headers = false;
                }
                q += 2 + std::size_t{be16(b, q + 2)};
            }
            if (!found_sod) {
                if (header_ok && (psot == 0 || p + std::uint64_t{psot} > size)) {
                    out.end = ending::truncated;
                    out.problem = "codestream ends inside the tile-part header at offset " + std::to_string(p);
                } else {
                    out.problem = "tile-part header at offset " + std::to_string(p) + " has no SOD marker";
                }
                break;
            }
            ++parts[isot];
            ++out.tile_parts;
            if (tnsot != 0) {
                announced[isot] = std::max(announced[isot], tnsot);
            } else {
                any_unannounced = true;
            }
            if (psot == 0) {
                // A.4.2: the last tile-part may extend to EOC; look for it at the end, before <= 3 pad bytes.
                zero_psot = true;
                out.end = ending::missing_eoc_unverified;
                out.data_end = size;
                for (std::size_t pad = 0; pad <= max_silent_padding && pad + 2 <= size - q; ++pad) {
                    if (be16(b, size - pad - 2) == marker::eoc) {
                        out.eoc_offset = size - pad - 2;
                        out.data_end = out.eoc_offset;
                        out.trailing = pad;
                        out.end = ending::eoc;
                        break;
                    }
                }
                break;
            }
            if (tlm_index < tlm_entries.size()) {
                out.tlm_consistent =
                    out.tlm_consistent && tlm_entries[tlm_index].first == isot && tlm_entries[tlm_index].second == psot;
            } else if ((out.main_markers & has_tlm) != 0) {
                out.tlm_consistent = false;
            }
            ++tlm_index;
            if (p + std::uint64_t{psot} > size) {
                out.end = ending::truncated;
                out.problem = "tile-part " + std::to_string(out.tile_parts - 1) + " of tile " + std::to_string(isot) +
                              " needs " + std::to_string(psot) + " bytes from offset " + std::to_string(p) + ", " +
                              std::to_string(size - p) + " remain";
                out.data_end = size;
                break;
            }
            p += psot;
            out.data_end = p;
            continue;
        }
        // Between the last tile-part and EOC only EOC may follow (A.3); some encoders put a COM marker
        // there (pydicom #966). Skip marker segments, remembering where the first one was.
        if (p + 4 <= size && (static_cast<unsigned>(code) >> 8U) == 0xFFU && code >= 0xFF30 && code != marker::sot &&
            code != marker::sod) {
            const std::size_t length = be16(b, p + 2);
            if (length >= 2 && p + 2 + length <= size) {
                if (out.stray_marker == 0) {
                    out.stray_marker = p;
                }
                p += 2 + length;
                continue;
            }
        }
        if (size - p <= max_silent_padding) {
            out.trailing = size - p;
            out.end = ending::missing_eoc;
        } else {
            out.problem = "bytes at offset " + std::to_string(p) + " are neither a tile-part nor EOC";
        }
        break;
    }
    if ((out.main_markers & has_tlm) != 0 && tlm_index != tlm_entries.size() && !zero_psot) {
        out.tlm_consistent = false;
    }
    if (out.end == ending::eoc || out.end == ending::missing_eoc) {
        for (std::size_t t = 0; t < parts.size(); ++t) {
            if (parts[t] == 0 || parts[t] < announced[t]) {
                const std::string what =
                    "tile " + std::to_string(t) + " has " + std::to_string(parts[t]) + " tile-part(s)" +
                    (announced[t] != 0 ? " of " + std::to_string(announced[t]) + " announced" : "");
                if (out.end == ending::missing_eoc) {
                    out.end = ending::truncated;
                    out.problem = "codestream ends without EOC; " + what;
                } else {
                    out.end = ending::truncated;
                    out.problem = what + " before EOC";
                }
                break;
            }
        }
        if (out.end == ending::missing_eoc && (any_unannounced || zero_psot)) {
            out.end = ending::missing_eoc_unverified;
        }
    }
    if (out.end == ending::missing_eoc || out.end == ending::missing_eoc_unverified) {
        if (out.problem.empty()) {
            out.problem =
                "codestream has no EOC marker after its last tile-part (offset " + std::to_string(out.data_end) + ")";
        }
    }
    return out;
}

/// Frame-level checks shared by the adapters, before any backend allocation (reliability.md 4.7):
/// dimensions and components against the dataset, no subsampled components (frames are full
/// resolution), precision within Bits Allocated, and tile bookkeeping bounded by the frame size.
/// Errors: codestream_mismatch, codec_error, limit_exceeded.
inline result<void> check_frame(const layout& l, const frame_info& info, std::string_view backend) {
    if (l.width != info.columns || l.height != info.rows || l.components != info.samples_per_pixel) {
        return failure(errc::codestream_mismatch, std::string(backend) + ": codestream is " + std::to_string(l.width) +
                                                      "x" + std::to_string(l.height) + "x" +
                                                      std::to_string(l.components) + ", the dataset says " +
                                                      std::to_string(info.columns) + "x" + std::to_string(info.rows) +
                                                      "x" + std::to_string(info.samples_per_pixel));
    }
    if (l.subsampled) {
        return failure(errc::codec_error,
                       std::string(backend) + ": components with XRsiz/YRsiz != 1 (subsampled) are not supported");
    }
    if (info.element != pixel_data_element::integer) {
        return failure(errc::codestream_mismatch, std::string(backend) + ": JPEG 2000 carries integer samples only");
    }
    const unsigned container = info.bits_allocated == 1 ? 8U : info.bits_allocated;
    if (l.max_precision > container || (info.bits_allocated == 1 && l.max_precision != 1)) {
        return failure(errc::codestream_mismatch, std::string(backend) + ": codestream precision " +
                                                      std::to_string(l.max_precision) + " bits, Bits Allocated is " +
                                                      std::to_string(info.bits_allocated));
    }
    // Backends keep per-tile coding parameters (OpenJPEG: several KiB per tile and component) from the
    // SIZ marker on, before reading any tile data: refuse tile grids whose bookkeeping would exceed
    // eight frames (or 64 MiB for small frames).
    DICOMPIX_TRY(const std::uint64_t frame_bytes, info.decoded_frame_bytes());
    const std::uint64_t bookkeeping = l.tiles * (8192 + 1536 * std::uint64_t{l.components});
    if (l.tiles > 1 && bookkeeping > std::max<std::uint64_t>(8 * frame_bytes, std::uint64_t{64} << 20)) {
        return failure(errc::limit_exceeded, std::string(backend) + ": " + std::to_string(l.tiles) + " tiles of " +
                                                 std::to_string(l.tile_width) + "x" + std::to_string(l.tile_height) +
                                                 " for a " + std::to_string(l.width) + "x" + std::to_string(l.height) +
                                                 " frame");
    }
    return {};
}

/// The colour space a decoder produces (ISO/IEC 15444-1 G.2/G.3; PS3.5 §8.2.4): with the multiple
/// component transform the backend applies the inverse RCT/ICT, so the samples are RGB whatever the
/// dataset says; without it the components hold what the encoder gave them: for YBR_RCT/YBR_ICT (which
/// PS3.5 defines as "the MCT was used") that can only have been RGB, otherwise what the dataset says.
inline photometric decoded_colour(const layout& l, photometric dataset) noexcept {
    if (l.components >= 3 && l.mct == 1) {
        return photometric::rgb;
    }
    if (l.components == 3 && (dataset == photometric::ybr_rct || dataset == photometric::ybr_ict)) {
        return photometric::rgb;
    }
    if (dataset == photometric::ybr_full_422) {
        return photometric::ybr_full;
    }
    return dataset;
}

/// The codestream_info of a parsed layout.
inline codestream_info header_info(const layout& l, const frame_info& info) noexcept {
    codestream_info h;
    h.rows = l.height;
    h.columns = l.width;
    h.components = l.components;
    h.precision = l.max_precision;
    h.is_signed = l.is_signed;
    h.colour = decoded_colour(l, info.photometric_interpretation);
    return h;
}

/// Warnings about the colour handling, for decode_report.
inline void colour_warnings(const layout& l, photometric dataset, std::vector<std::string>& warnings) {
    if (l.components == 3 && l.mct == 0 && (dataset == photometric::ybr_rct || dataset == photometric::ybr_ict)) {
        warnings.push_back("Photometric Interpretation is " + std::string(to_string(dataset)) +
                           " but the codestream has no multiple component transform: samples are RGB");
    }
    if (!l.uniform) {
        warnings.push_back("codestream components differ in precision or signedness; reported precision is " +
                           std::to_string(l.max_precision));
    }
}

/// The pieces of a codestream to hand to a backend after the tile-part walk: the bytes up to the end
/// of the tile data, then EOC (the codestream's own, or a constant when it is missing). Drops padding,
/// trailing garbage and stray markers before EOC, without copying.
struct stream_pieces {
    std::array<std::span<const std::byte>, 2> parts{};
    std::size_t count{0};
    [[nodiscard]] std::uint64_t size() const noexcept {
        std::uint64_t n = 0;
        for (std::size_t i = 0; i < count; ++i) {
            n += parts[i].size();
        }
        return n;
    }
};

inline constexpr std::array<std::byte, 2> eoc_bytes{std::byte{0xFF}, std::byte{0xD9}};

/// Whether the codestream may hold HT code-blocks (ISO/IEC 15444-15): HTJ2K signalling, a CAP marker,
/// the HT bit of the COD code-block style, or coding parameters this header walk does not follow (COC
/// in the main header, COD/COC in tile-part headers), which could switch HT on.
inline bool may_hold_ht(const layout& l) noexcept {
    return l.ht || (l.main_markers & (has_cap | has_coc)) != 0 || (l.cblk_style & 0x40U) != 0 || !l.simple_tile_headers;
}

/// Marker codes inside tile-part data (reliability.md 4.7). The entropy coders stuff bits so that inside
/// packet data no byte 0xFF is followed by one above 0x8F (ISO/IEC 15444-1 A.1.1, Annex C/D; 15444-15 for
/// the HT MagSgn, MEL and VLC streams); only SOP (FF91) and EPH (FF92) markers may appear there, when COD
/// enables them. Debian builds OpenJPH 0.9 and OpenJPEG 2.5 with their assertions on, and both assert on
/// such a pair at the start of an HT code-block's MEL segment (mel_init, "melp->data[0] <= 0x8F"):
/// abort() on hostile input, found by fuzz_parse_and_decode. So every FF90..FFFF pair in tile-part data is
/// refused, except SOP/EPH in codestreams without HT code-blocks (a forged SOP/EPH inside an HT code-block
/// would reach the same assertion). All valid JPEG 2000 and HTJ2K codestreams of the corpus pass.
/// Errors: codec_error.
inline result<void> check_packet_data(const layout& l, std::string_view backend) {
    using detail::be16;
    using detail::be32;
    const auto& b = l.codestream;
    const bool ht = may_hold_ht(l);
    if (l.end == ending::truncated) {
        return {}; // refused by select_stream as truncated_codestream
    }
    if (l.end == ending::unparseable) {
        if (ht) {
            return failure(errc::codec_error, std::string(backend) + ": " + l.problem +
                                                  " (a codestream that may hold HT code-blocks must have a valid "
                                                  "tile-part chain)");
        }
        return {}; // classic JPEG 2000: left to the backend's own parser (select_stream decides)
    }
    const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(l.data_end, b.size()));
    std::size_t p = static_cast<std::size_t>(l.first_tile_part);
    while (p + 12 <= end && be16(b, p) == marker::sot) {
        const std::uint32_t psot = be32(b, p + 6);
        const std::size_t limit = psot == 0 ? end : static_cast<std::size_t>(std::min<std::uint64_t>(p + psot, end));
        std::size_t q = p + 12;
        while (q + 4 <= limit && be16(b, q) != marker::sod) {
            q += 2 + std::size_t{be16(b, q + 2)};
        }
        if (q + 2 > limit) {
            break;
        }
        // memchr skips to the next 0xFF (vectorised in libc; packet data holds few of them).
        for (std::size_t i = q + 2; i + 1 < limit; ++i) {
            const void* ff = std::memchr(b.data() + i, 0xFF, limit - 1 - i);
            if (ff == nullptr) {
                break;
            }
            i = static_cast<std::size_t>(static_cast<const std::byte*>(ff) - b.data());
            if (std::to_integer<unsigned>(b[i + 1]) < 0x90U) {
                continue;
            }
            const unsigned code = std::to_integer<unsigned>(b[i + 1]);
            const bool sop = code == 0x91U && (l.scod & 0x02U) != 0;
            const bool eph = code == 0x92U && (l.scod & 0x04U) != 0;
            if ((sop || eph) && !ht) {
                continue;
            }
            return failure(errc::codec_error, std::string(backend) + ": marker code FF" +
                                                  detail::hex16(static_cast<std::uint16_t>(0xFF00U | code)).substr(2) +
                                                  " inside tile-part data at offset " + std::to_string(i) +
                                                  " (ISO/IEC 15444-1 A.1.1: packet data never holds marker codes)");
        }
        if (psot == 0) {
            break;
        }
        p += psot;
    }
    return {};
}

/// Decides, for the lenient and strict policies of both adapters, what to decode and what to report.
/// `verified_only`: refuse codestreams whose completeness cannot be proven (for backends that decode
/// truncated data silently). Errors: truncated_codestream, codec_error.
inline result<stream_pieces> select_stream(const layout& l, bool strict, bool verified_only, std::string_view backend,
                                           std::vector<std::string>& warnings) {
    const std::string name(backend);
    DICOMPIX_TRY_VOID(check_packet_data(l, backend));
    stream_pieces s;
    if (l.jp2) {
        if (strict) {
            return failure(errc::codec_error, name + ": Pixel Data holds a JP2 file, not a JPEG 2000 codestream "
                                                     "(PS3.5 §A.4.4)");
        }
        warnings.emplace_back("Pixel Data holds a JP2 file instead of a bare JPEG 2000 codestream (PS3.5 §A.4.4); "
                              "its contiguous codestream box was decoded");
    }
    const auto& b = l.codestream;
    switch (l.end) {
    case ending::truncated:
        return failure(errc::truncated_codestream, name + ": " + l.problem);
    case ending::unparseable:
        if (strict || verified_only) {
            return failure(errc::codec_error, name + ": " + l.problem);
        }
        warnings.push_back(l.problem + "; decoded with the backend's own parser");
        s.parts[0] = b;
        s.count = 1;
        return s;
    case ending::missing_eoc_unverified:
        if (verified_only) {
            return failure(errc::truncated_codestream,
                           name + ": " + l.problem + " and the tile-parts do not say whether data is missing");
        }
        [[fallthrough]];
    case ending::missing_eoc:
        if (strict) {
            return failure(errc::truncated_codestream, name + ": " + l.problem);
        }
        warnings.push_back(l.problem);
        s.parts[0] = b.first(static_cast<std::size_t>(l.data_end));
        s.parts[1] = eoc_bytes;
        s.count = 2;
        return s;
    case ending::eoc:
        break;
    }
    if (l.stray_marker != 0) {
        const std::string what =
            "marker segment(s) between the last tile-part and EOC at offset " + std::to_string(l.stray_marker);
        if (strict) {
            return failure(errc::codec_error, name + ": " + what + " (ISO/IEC 15444-1 A.3)");
        }
        warnings.push_back(what + " ignored");
        s.parts[0] = b.first(static_cast<std::size_t>(l.stray_marker));
        s.parts[1] = b.subspan(static_cast<std::size_t>(l.eoc_offset), 2);
        s.count = 2;
        return s;
    }
    if (l.trailing > max_silent_padding) {
        const std::string what = std::to_string(l.trailing) + " bytes after the EOC marker";
        if (strict) {
            return failure(errc::codec_error, name + ": " + what);
        }
        warnings.push_back(what + " ignored");
    }
    s.parts[0] = b.first(static_cast<std::size_t>(l.eoc_offset) + 2);
    s.count = 1;
    return s;
}

} // namespace dicompix::codecs::j2k
