// SPDX-License-Identifier: BSD-3-Clause
// Transfer syntax descriptors (PS3.5 §10, Annex A; PS3.6 Table A-1) over the table that
// dictionary/gen_dictionary.cpp generates from dictionary/transfer_syntaxes.tsv.

#include "dicompix/transfer_syntax.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace dicompix {

namespace detail {
// Defined (constinit) in the generated transfer_syntax_tables.cpp.
extern const std::span<const transfer_syntax> transfer_syntax_table;
extern const std::span<const std::uint8_t> transfer_syntax_uid_index;
} // namespace detail

namespace {

// The Transfer Syntax UID (0002,0010) is a UI value, padded to even length with a NUL (PS3.5 §9.1);
// writers that pad with a space are common enough to accept too.
std::string_view strip_padding(std::string_view s) noexcept {
    while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view strip_spaces(std::string_view s) noexcept {
    while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
    }
    return strip_padding(s);
}

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

} // namespace

const transfer_syntax* find_transfer_syntax(std::string_view uid) noexcept {
    uid = strip_padding(uid);
    const auto table = detail::transfer_syntax_table;
    const auto index = detail::transfer_syntax_uid_index;
    const auto it = std::lower_bound(index.begin(), index.end(), uid,
                                     [&](std::uint8_t i, std::string_view u) { return table[i].uid < u; });
    return it != index.end() && table[*it].uid == uid ? &table[*it] : nullptr;
}

const transfer_syntax* find_transfer_syntax_by_name(std::string_view uid_keyword_or_name) noexcept {
    const std::string_view s = strip_spaces(uid_keyword_or_name);
    if (const auto* ts = find_transfer_syntax(s)) {
        return ts;
    }
    const auto table = detail::transfer_syntax_table;
    for (const auto& ts : table) {
        if (equals_ignoring_case(ts.keyword, s)) {
            return &ts;
        }
    }
    for (const auto& ts : table) {
        if (equals_ignoring_case(ts.name, s)) {
            return &ts;
        }
    }
    return nullptr;
}

std::span<const transfer_syntax> transfer_syntaxes() noexcept {
    return detail::transfer_syntax_table;
}

} // namespace dicompix
