// SPDX-License-Identifier: BSD-3-Clause
// Overflow-checked size arithmetic: every product of input-controlled sizes goes through here before
// it is compared with a limit or used to allocate.
#pragma once

#include <cstdint>
#include <optional>

namespace dicompix::detail {

[[nodiscard]] constexpr std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) noexcept {
    std::uint64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) noexcept {
    std::uint64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

/// Product of several factors, nullopt on overflow.
template <class... Ts>
[[nodiscard]] constexpr std::optional<std::uint64_t> checked_product(std::uint64_t first, Ts... rest) noexcept {
    std::optional<std::uint64_t> r = first;
    ((r = r ? checked_mul(*r, static_cast<std::uint64_t>(rest)) : std::nullopt), ...);
    return r;
}

} // namespace dicompix::detail
