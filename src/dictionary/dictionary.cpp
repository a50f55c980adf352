// SPDX-License-Identifier: BSD-3-Clause
// The PS3.6 data dictionary: lookups over the tables that dictionary/gen_dictionary.cpp generates
// from dictionary/dicom.tsv and dictionary/uids.tsv. Binary searches over constant-initialized
// arrays: no allocation, no static initialization order to respect.

#include "dicompix/dictionary.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace dicompix {

namespace detail {
// Defined (constinit) in the generated dictionary_tables.cpp.
extern const std::span<const dictionary_entry> dictionary_table;
extern const std::size_t dictionary_exact_count;
extern const std::span<const std::uint16_t> dictionary_keyword_index;
extern const std::span<const uid_entry> uid_table;
} // namespace detail

namespace {

// PS3.5 §7.2: (gggg,0000) in any group. Group lengths are retired except in the command and meta
// groups 0000 and 0002, which have exact entries of their own.
constexpr dictionary_entry group_length_entry{.tag = 0x00000000U,
                                              .mask = 0x0000FFFFU,
                                              .value_vr = vr::UL,
                                              .alternative_vr = vr::unknown,
                                              .vm = "1",
                                              .keyword = "GenericGroupLength",
                                              .name = "Group Length",
                                              .retired = true};

// PS3.5 §7.8.1: (gggg,0010-00FF) in a private group reserves a block of private elements. A mask
// cannot express the element range; find_entry checks it with tag::is_private_creator.
constexpr dictionary_entry private_creator_entry{.tag = 0x00010000U,
                                                 .mask = 0x0001FF00U,
                                                 .value_vr = vr::LO,
                                                 .alternative_vr = vr::unknown,
                                                 .vm = "1",
                                                 .keyword = "PrivateCreator",
                                                 .name = "Private Creator",
                                                 .retired = false};

std::span<const dictionary_entry> exact_entries() noexcept {
    return detail::dictionary_table.first(detail::dictionary_exact_count);
}

std::span<const dictionary_entry> repeating_entries() noexcept {
    return detail::dictionary_table.subspan(detail::dictionary_exact_count);
}

const dictionary_entry* find_exact(std::uint32_t t) noexcept {
    const auto entries = exact_entries();
    const auto it = std::lower_bound(entries.begin(), entries.end(), t,
                                     [](const dictionary_entry& e, std::uint32_t v) { return e.tag < v; });
    return it != entries.end() && it->tag == t ? &*it : nullptr;
}

// Every repeating pattern fixes the first group byte (the generator checks it), so the candidates
// are the short run of entries that share it; the patterns do not overlap.
const dictionary_entry* find_repeating(std::uint32_t t) noexcept {
    const auto entries = repeating_entries();
    const std::uint32_t high = t >> 24U;
    auto it = std::lower_bound(entries.begin(), entries.end(), high,
                               [](const dictionary_entry& e, std::uint32_t h) { return (e.tag >> 24U) < h; });
    for (; it != entries.end() && (it->tag >> 24U) == high; ++it) {
        if ((t & it->mask) == it->tag) {
            return &*it;
        }
    }
    return nullptr;
}

// UI values are padded to even length with a trailing NUL (PS3.5 §9.1); tolerate spaces as well.
std::string_view strip_uid_padding(std::string_view uid) noexcept {
    while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) {
        uid.remove_suffix(1);
    }
    return uid;
}

} // namespace

const dictionary_entry* find_entry(tag t) noexcept {
    if (const auto* e = find_exact(t.value)) {
        return e;
    }
    if (t.is_group_length()) {
        return &group_length_entry;
    }
    if (t.is_private_creator()) {
        return &private_creator_entry;
    }
    // Repeating groups are even (PS3.5 §7.6); odd groups are private or illegal.
    if ((t.group() & 1U) != 0) {
        return nullptr;
    }
    return find_repeating(t.value);
}

const dictionary_entry* find_entry(std::string_view keyword) noexcept {
    const auto entries = detail::dictionary_table;
    const auto index = detail::dictionary_keyword_index;
    const auto it = std::lower_bound(index.begin(), index.end(), keyword,
                                     [&](std::uint16_t i, std::string_view k) { return entries[i].keyword < k; });
    if (it != index.end() && entries[*it].keyword == keyword) {
        return &entries[*it];
    }
    if (keyword == group_length_entry.keyword) {
        return &group_length_entry;
    }
    if (keyword == private_creator_entry.keyword) {
        return &private_creator_entry;
    }
    return nullptr;
}

vr dictionary_vr(tag t) noexcept {
    const dictionary_entry* e = find_entry(t);
    if (e == nullptr || e->value_vr == vr::unknown) {
        return vr::UN;
    }
    if (e->alternative_vr == vr::unknown) {
        return e->value_vr;
    }
    // PS3.5 §A.1: in Implicit VR Little Endian the OB-or-OW elements (Pixel Data, Overlay Data,
    // Waveform Data, LUT data) are OW. "US or SS" stays US: only the data set (Pixel
    // Representation) can tell SS.
    if (e->value_vr == vr::OW || e->alternative_vr == vr::OW) {
        return vr::OW;
    }
    return e->value_vr;
}

std::span<const dictionary_entry> dictionary_entries() noexcept {
    return exact_entries();
}

const uid_entry* find_uid(std::string_view uid) noexcept {
    uid = strip_uid_padding(uid);
    const auto table = detail::uid_table;
    const auto it = std::lower_bound(table.begin(), table.end(), uid,
                                     [](const uid_entry& e, std::string_view u) { return e.uid < u; });
    return it != table.end() && it->uid == uid ? &*it : nullptr;
}

} // namespace dicompix
