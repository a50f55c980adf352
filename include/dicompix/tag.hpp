// SPDX-License-Identifier: BSD-3-Clause
// dicompix: attribute tags and value representations (PS3.5 §6.2, §7.1).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace dicompix {

/// An attribute tag (group, element), ordered as PS3.5 §7.1 orders data elements.
struct tag {
    std::uint32_t value{0}; ///< group << 16 | element

    constexpr tag() = default;
    constexpr explicit tag(std::uint32_t v) noexcept : value(v) {}
    constexpr tag(std::uint16_t group, std::uint16_t element) noexcept
        : value(static_cast<std::uint32_t>(group) << 16U | element) {}

    [[nodiscard]] constexpr std::uint16_t group() const noexcept { return static_cast<std::uint16_t>(value >> 16U); }
    [[nodiscard]] constexpr std::uint16_t element() const noexcept {
        return static_cast<std::uint16_t>(value & 0xFFFFU);
    }
    /// Odd group, not 0001/0003/0005/0007/FFFF (PS3.5 §7.8.1).
    [[nodiscard]] constexpr bool is_private() const noexcept {
        const auto g = group();
        return (g & 1U) != 0 && g > 0x0008 && g != 0xFFFF;
    }
    /// (gggg,0010)-(gggg,00FF) in a private group.
    [[nodiscard]] constexpr bool is_private_creator() const noexcept {
        return is_private() && element() >= 0x0010 && element() <= 0x00FF;
    }
    /// (gggg,0000): group length (retired except in groups 0000 and 0002).
    [[nodiscard]] constexpr bool is_group_length() const noexcept { return element() == 0; }

    constexpr auto operator<=>(const tag&) const = default;

    /// "(0010,0010)"
    [[nodiscard]] std::string to_string() const;
};

/// Item and delimitation tags (PS3.5 §7.5).
inline constexpr tag item_tag{0xFFFE, 0xE000};
inline constexpr tag item_delimitation_tag{0xFFFE, 0xE00D};
inline constexpr tag sequence_delimitation_tag{0xFFFE, 0xE0DD};

/// Value representations of PS3.5 §6.2 (2024 edition), plus `unknown` for an element whose VR is not
/// known (implicit VR, no dictionary entry) and `ox`-style ambiguity resolved by the dictionary.
enum class vr : std::uint8_t {
    AE,
    AS,
    AT,
    CS,
    DA,
    DS,
    DT,
    FD,
    FL,
    IS,
    LO,
    LT,
    OB,
    OD,
    OF,
    OL,
    OV,
    OW,
    PN,
    SH,
    SL,
    SQ,
    SS,
    ST,
    SV,
    TM,
    UC,
    UI,
    UL,
    UN,
    UR,
    US,
    UT,
    UV,
    unknown, ///< no VR known; values treated as UN
};

/// Number of VR enumerators.
inline constexpr std::size_t vr_count = static_cast<std::size_t>(vr::unknown) + 1;

/// Two-letter code, "??" for unknown.
[[nodiscard]] std::string_view to_string(vr v) noexcept;
/// Parses two characters; returns vr::unknown when they name no VR.
[[nodiscard]] vr vr_from_chars(char c0, char c1) noexcept;
/// Explicit VR encoding uses a 4-byte length with 2 reserved bytes (PS3.5 §7.1.2, Table 7.1-1).
[[nodiscard]] constexpr bool has_long_length(vr v) noexcept {
    switch (v) {
    case vr::OB:
    case vr::OD:
    case vr::OF:
    case vr::OL:
    case vr::OV:
    case vr::OW:
    case vr::SQ:
    case vr::SV:
    case vr::UC:
    case vr::UN:
    case vr::UR:
    case vr::UT:
    case vr::UV:
    case vr::unknown:
        return true;
    default:
        return false;
    }
}
/// Character-string VRs (values padded with space; UI padded with NUL).
[[nodiscard]] constexpr bool is_string_vr(vr v) noexcept {
    switch (v) {
    case vr::AE:
    case vr::AS:
    case vr::CS:
    case vr::DA:
    case vr::DS:
    case vr::DT:
    case vr::IS:
    case vr::LO:
    case vr::LT:
    case vr::PN:
    case vr::SH:
    case vr::ST:
    case vr::TM:
    case vr::UC:
    case vr::UI:
    case vr::UR:
    case vr::UT:
        return true;
    default:
        return false;
    }
}
/// VRs whose values may hold several values separated by backslash (PS3.5 §6.4). LT, ST, UT and UR
/// are single-valued, and their text may contain backslashes.
[[nodiscard]] constexpr bool is_multi_valued_string_vr(vr v) noexcept {
    return is_string_vr(v) && v != vr::LT && v != vr::ST && v != vr::UT && v != vr::UR;
}
/// Size of one binary value (AT=4, FD=8, ...), 0 for non-fixed-size VRs.
[[nodiscard]] constexpr std::size_t binary_value_size(vr v) noexcept {
    switch (v) {
    case vr::SS:
    case vr::US:
    case vr::OW:
        return 2;
    case vr::AT:
    case vr::FL:
    case vr::SL:
    case vr::UL:
    case vr::OF:
    case vr::OL:
        return 4;
    case vr::FD:
    case vr::SV:
    case vr::UV:
    case vr::OD:
    case vr::OV:
        return 8;
    case vr::OB:
        return 1;
    default:
        return 0;
    }
}

/// Size of the units whose bytes a change of byte order reverses: binary_value_size, except AT, which is an
/// ordered pair of 16-bit values (PS3.5 §6.2), so each half is swapped and the group stays first.
[[nodiscard]] constexpr std::size_t byte_swap_unit(vr v) noexcept {
    return v == vr::AT ? 2 : binary_value_size(v);
}

} // namespace dicompix
