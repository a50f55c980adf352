// SPDX-License-Identifier: BSD-3-Clause
// Padding rules of string values, shared by element::string (values.cpp) and the JSON writer (json.cpp)
// so that both agree on what a value is.
#pragma once

#include <string_view>

#include "dicompix/tag.hpp"

namespace dicompix::detail {

/// Trailing padding of string values: space, or NUL for UI (PS3.5 §6.2, "padded with ... NULL").
inline bool is_padding(char c) noexcept { return c == ' ' || c == '\0'; }

/// VRs whose leading spaces are insignificant (PS3.5 Table 6.2-1).
inline bool strips_leading(vr v) noexcept {
    switch (v) {
    case vr::AE: case vr::AS: case vr::CS: case vr::DA: case vr::DS: case vr::DT: case vr::IS: case vr::TM:
    case vr::UI: case vr::SH: case vr::LO:
        return true;
    default:
        return false;
    }
}

/// One value without its insignificant padding.
inline std::string_view trim(std::string_view s, vr v) noexcept {
    while (!s.empty() && is_padding(s.back())) {
        s.remove_suffix(1);
    }
    if (strips_leading(v)) {
        while (!s.empty() && s.front() == ' ') {
            s.remove_prefix(1);
        }
    }
    return s;
}

} // namespace dicompix::detail
