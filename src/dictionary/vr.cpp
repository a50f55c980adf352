// SPDX-License-Identifier: BSD-3-Clause
// Value representation codes (PS3.5 §6.2) and tag formatting.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dicompix/tag.hpp"

namespace dicompix {

namespace {

using namespace std::string_view_literals;

// Indexed by the vr enumerator; the order of enum class vr.
constexpr std::array<std::string_view, vr_count> vr_names{
    "AE"sv, "AS"sv, "AT"sv, "CS"sv, "DA"sv, "DS"sv, "DT"sv, "FD"sv, "FL"sv, "IS"sv, "LO"sv, "LT"sv,
    "OB"sv, "OD"sv, "OF"sv, "OL"sv, "OV"sv, "OW"sv, "PN"sv, "SH"sv, "SL"sv, "SQ"sv, "SS"sv, "ST"sv,
    "SV"sv, "TM"sv, "UC"sv, "UI"sv, "UL"sv, "UN"sv, "UR"sv, "US"sv, "UT"sv, "UV"sv, "??"sv};

constexpr std::size_t letters = 26;
constexpr std::size_t letter_pairs = letters * letters;

// Explicit VR parsing decodes two bytes per element: a 26x26 table of upper-case letter pairs
// answers in one load. Entries hold the vr value; unused pairs hold vr::unknown.
constexpr std::array<vr, letter_pairs> make_vr_table() {
    std::array<vr, letter_pairs> table{};
    table.fill(vr::unknown);
    for (std::size_t i = 0; i + 1 < vr_count; ++i) {
        const auto c0 = static_cast<std::size_t>(vr_names[i][0] - 'A');
        const auto c1 = static_cast<std::size_t>(vr_names[i][1] - 'A');
        table[c0 * letters + c1] = static_cast<vr>(i);
    }
    return table;
}

constexpr std::array<vr, letter_pairs> vr_table = make_vr_table();

constexpr vr decode(char c0, char c1) noexcept {
    // Unsigned arithmetic folds "below 'A'" into "above 'Z'", so one compare per byte.
    const auto i0 = static_cast<std::size_t>(static_cast<unsigned char>(c0)) - std::size_t{'A'};
    const auto i1 = static_cast<std::size_t>(static_cast<unsigned char>(c1)) - std::size_t{'A'};
    if (i0 >= letters || i1 >= letters) {
        return vr::unknown;
    }
    return vr_table[i0 * letters + i1];
}

static_assert(decode('O', 'B') == vr::OB && decode('U', 'V') == vr::UV && decode('A', 'E') == vr::AE);
static_assert(decode('o', 'b') == vr::unknown && decode('Z', 'Z') == vr::unknown && decode('\0', 'A') == vr::unknown);
static_assert(vr_names[static_cast<std::size_t>(vr::unknown)] == "??");

constexpr std::string_view hex_digits = "0123456789ABCDEF";

} // namespace

std::string_view to_string(vr v) noexcept {
    const auto i = static_cast<std::size_t>(v);
    return i < vr_names.size() ? vr_names[i] : vr_names.back();
}

vr vr_from_chars(char c0, char c1) noexcept {
    return decode(c0, c1);
}

std::string tag::to_string() const {
    std::string out = "(gggg,eeee)";
    const auto g = static_cast<unsigned>(group());
    const auto e = static_cast<unsigned>(element());
    for (std::size_t i = 0; i < 4; ++i) {
        const auto shift = 12U - 4U * static_cast<unsigned>(i);
        out[1 + i] = hex_digits[(g >> shift) & 0xFU];
        out[6 + i] = hex_digits[(e >> shift) & 0xFU];
    }
    return out;
}

} // namespace dicompix
