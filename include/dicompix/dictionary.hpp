// SPDX-License-Identifier: BSD-3-Clause
// dicompix: the PS3.6 data dictionary (generated at build time from dictionary/*.tsv), UIDs, and
// tag constants by keyword (dicompix/tags.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "dicompix/tag.hpp"

namespace dicompix {

/// One registry entry of PS3.6 §6. Repeating-group entries (50xx,xxxx / 60xx,xxxx / 7Fxx,xxxx, and the
/// retired (0020,31xx), (0028,04x0), (0028,08x0), (1000,xxx0), (1010,xxxx)) match any tag t with
/// (t & mask) == tag; a wildcard group matches even groups only (PS3.5 §7.6).
struct dictionary_entry {
    std::uint32_t tag;       ///< tag with the repeating positions zero
    std::uint32_t mask;      ///< 0xFFFFFFFF for an exact tag, e.g. 0xFF01FFFF for 60xx,3000
    vr value_vr;             ///< the VR; for "OB or OW" style entries the first one; vr::unknown for
                             ///< items and delimiters (FFFE,E000/E00D/E0DD), which have none
    vr alternative_vr;       ///< the second VR of "OB or OW", "US or SS", "US or OW"; OW for the
                             ///< retired "US or SS or OW" (vr::unknown when none)
    std::string_view vm;     ///< value multiplicity, e.g. "1", "1-n", "2-2n"
    std::string_view keyword;///< e.g. "PixelData"
    std::string_view name;   ///< e.g. "Pixel Data"
    bool retired;
};

/// Finds the entry for a tag: an exact entry first; else group length elements (gggg,0000) yield a
/// synthetic UL entry ("GenericGroupLength") and private creators (gggg,0010-00FF, odd group above
/// 0008) a synthetic LO entry ("PrivateCreator"); else the repeating groups. Returns nullptr for
/// unknown (e.g. private data) tags. The entry has static storage. O(log n), no allocation.
[[nodiscard]] const dictionary_entry* find_entry(tag t) noexcept;

/// Finds the entry for a keyword ("PatientName", case-sensitive); a repeating entry ("OverlayData")
/// or a synthetic one ("GenericGroupLength", "PrivateCreator") is returned as find_entry(tag) returns
/// it. Returns nullptr when unknown. O(log n), no allocation.
[[nodiscard]] const dictionary_entry* find_entry(std::string_view keyword) noexcept;

/// The VR implicit VR parsing uses for a tag: the dictionary VR, vr::UN when unknown (never
/// vr::unknown). Ambiguous entries resolve as PS3.5 §A.1 encodes them without context: an
/// alternative that includes OW gives OW (Pixel Data, Overlay Data, Waveform Data, LUT Data);
/// "US or SS" gives US (SS needs Pixel Representation, which only the data set knows).
[[nodiscard]] vr dictionary_vr(tag t) noexcept;

/// All exact (non-repeating) entries, sorted by tag.
[[nodiscard]] std::span<const dictionary_entry> dictionary_entries() noexcept;

/// A registered UID of PS3.6 Annex A (SOP classes, transfer syntaxes, ...).
struct uid_entry {
    std::string_view uid;
    std::string_view name;    ///< e.g. "CT Image Storage"
    std::string_view type;    ///< e.g. "SOP Class", "Transfer Syntax"
    bool retired;
};
/// Finds a registered UID; trailing NUL/space padding is ignored. nullptr when not registered. O(log n).
[[nodiscard]] const uid_entry* find_uid(std::string_view uid) noexcept;

} // namespace dicompix
