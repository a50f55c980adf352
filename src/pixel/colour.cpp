// SPDX-License-Identifier: BSD-3-Clause
// Colour helpers: explicit conversions, never applied silently to stored values.
// Equations: PS3.3 C.7.6.3.1.2 (YBR_FULL, YBR_PARTIAL_*), ISO/IEC 15444-1 G.2 / G.3 (RCT, ICT).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "dicompix/pixel.hpp"

namespace dicompix {
namespace {

template <class U>
void for_each_triplet(std::span<std::byte> samples, auto&& f) noexcept {
    const std::size_t count = samples.size() / (3 * sizeof(U));
    auto* p = reinterpret_cast<U*>(samples.data());
    for (std::size_t i = 0; i < count; ++i, p += 3) {
        f(p[0], p[1], p[2]);
    }
}

/// A 3x3 YCbCr -> RGB conversion with chroma offset, luma offset and luma scale, in floating point
/// with round-to-nearest and clamping; 8-bit data goes through precomputed tables.
struct ycc_matrix {
    double luma_offset;
    double luma_scale;
    double cr_r, cb_g, cr_g, cb_b;
    double range_scale; ///< scales the 8-bit coefficients' offsets to the precision
};

template <class U>
void ycc_to_rgb(std::span<std::byte> samples, std::uint16_t precision, const ycc_matrix& m) noexcept {
    const int bits = std::clamp<int>(precision, 1, static_cast<int>(sizeof(U) * 8));
    const double max = std::ldexp(1.0, bits) - 1.0;
    const double half = std::ldexp(1.0, bits - 1);
    const double luma_offset = m.luma_offset * m.range_scale * std::ldexp(1.0, bits - 8);
    if constexpr (sizeof(U) == 1) {
        // Tables of each term, as libjpeg does (jdcolor.c): no multiply per pixel.
        int y_tab[256];
        int cr_r[256];
        int cb_b[256];
        int g_tab[256][2];
        for (int i = 0; i < 256; ++i) {
            y_tab[i] = static_cast<int>(std::lround((i - luma_offset) * m.luma_scale * 65536.0));
            cr_r[i] = static_cast<int>(std::lround(m.cr_r * (i - half) * 65536.0));
            cb_b[i] = static_cast<int>(std::lround(m.cb_b * (i - half) * 65536.0));
            g_tab[i][0] = static_cast<int>(std::lround(-m.cb_g * (i - half) * 65536.0));
            g_tab[i][1] = static_cast<int>(std::lround(-m.cr_g * (i - half) * 65536.0));
        }
        const int top = static_cast<int>(max);
        for_each_triplet<U>(samples, [&](U& a, U& b, U& c) {
            const int y = y_tab[a];
            const int r = (y + cr_r[c] + 32768) >> 16;
            const int g = (y + g_tab[b][0] + g_tab[c][1] + 32768) >> 16;
            const int bl = (y + cb_b[b] + 32768) >> 16;
            a = static_cast<U>(std::clamp(r, 0, top));
            b = static_cast<U>(std::clamp(g, 0, top));
            c = static_cast<U>(std::clamp(bl, 0, top));
        });
        return;
    }
    for_each_triplet<U>(samples, [&](U& a, U& b, U& c) {
        const double y = (static_cast<double>(a) - luma_offset) * m.luma_scale;
        const double cb = static_cast<double>(b) - half;
        const double cr = static_cast<double>(c) - half;
        const double r = y + m.cr_r * cr;
        const double g = y - m.cb_g * cb - m.cr_g * cr;
        const double bl = y + m.cb_b * cb;
        a = static_cast<U>(std::clamp(std::floor(r + 0.5), 0.0, max));
        b = static_cast<U>(std::clamp(std::floor(g + 0.5), 0.0, max));
        c = static_cast<U>(std::clamp(std::floor(bl + 0.5), 0.0, max));
    });
}

constexpr ycc_matrix full_range{0.0, 1.0, 1.402, 0.344136, 0.714136, 1.772, 1.0};
// BT.601 studio range: Y in 16..235, chroma in 16..240 (for 8 bits).
constexpr ycc_matrix partial_range{16.0, 255.0 / 219.0, 1.596027, 0.391762, 0.812968, 2.017232, 1.0};

template <class F>
void dispatch_unsigned(sample_type type, F&& f) noexcept {
    switch (type) {
    case sample_type::u8: case sample_type::i8: f(std::uint8_t{}); break;
    case sample_type::u16: case sample_type::i16: f(std::uint16_t{}); break;
    case sample_type::u32: case sample_type::i32: f(std::uint32_t{}); break;
    default: break;
    }
}

} // namespace

void ybr_full_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept {
    dispatch_unsigned(type, [&](auto t) { ycc_to_rgb<decltype(t)>(samples, precision, full_range); });
}

void ybr_partial_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept {
    dispatch_unsigned(type, [&](auto t) { ycc_to_rgb<decltype(t)>(samples, precision, partial_range); });
}

void ybr_ict_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept {
    // ISO/IEC 15444-1 G.3: the irreversible transform has the YBR_FULL coefficients.
    ybr_full_to_rgb(samples, type, precision);
}

void ybr_rct_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept {
    // ISO/IEC 15444-1 G.2 (inverse RCT): G = Y - floor((Cb + Cr) / 4), R = Cr + G, B = Cb + G, with Cb/Cr
    // centred on zero by the DC level shift of the chroma components.
    dispatch_unsigned(type, [&](auto t) {
        using U = decltype(t);
        const int bits = std::clamp<int>(precision, 1, static_cast<int>(sizeof(U) * 8));
        const std::int64_t half = std::int64_t{1} << (bits - 1);
        const std::int64_t max = (std::int64_t{1} << bits) - 1;
        for_each_triplet<U>(samples, [&](U& a, U& b, U& c) {
            const std::int64_t y = a;
            const std::int64_t cb = static_cast<std::int64_t>(b) - half;
            const std::int64_t cr = static_cast<std::int64_t>(c) - half;
            const std::int64_t g = y - ((cb + cr) >> 2);
            a = static_cast<U>(std::clamp<std::int64_t>(cr + g, 0, max));
            b = static_cast<U>(std::clamp<std::int64_t>(g, 0, max));
            c = static_cast<U>(std::clamp<std::int64_t>(cb + g, 0, max));
        });
    });
}

result<void> convert_to_rgb(any_frame& f, std::uint16_t bits_stored) {
    if (f.samples_per_pixel() != 3) {
        return failure(errc::invalid_argument, "colour conversion needs 3 samples per pixel");
    }
    const photometric pi = f.meta().photometric_interpretation;
    auto convert = [&](auto& frame) -> result<void> {
        using T = typename std::remove_reference_t<decltype(frame)>::value_type;
        if constexpr (std::is_floating_point_v<T> || sizeof(T) > 4) {
            return failure(errc::invalid_argument, "colour conversion needs 8, 16 or 32-bit integer samples");
        } else {
            const auto span = frame.mutable_samples();
            const std::span<std::byte> bytes(reinterpret_cast<std::byte*>(span.data()), span.size_bytes());
            const sample_type type = f.type();
            switch (pi) {
            case photometric::rgb: return {};
            case photometric::ybr_full:
            case photometric::ybr_full_422: ybr_full_to_rgb(bytes, type, bits_stored); break;
            case photometric::ybr_partial_420:
            case photometric::ybr_partial_422: ybr_partial_to_rgb(bytes, type, bits_stored); break;
            case photometric::ybr_ict: ybr_ict_to_rgb(bytes, type, bits_stored); break;
            case photometric::ybr_rct: ybr_rct_to_rgb(bytes, type, bits_stored); break;
            default:
                return failure(errc::invalid_argument,
                               "no conversion from " + std::string(to_string(pi)) + " to RGB");
            }
            frame_meta meta = frame.meta();
            meta.photometric_interpretation = photometric::rgb;
            frame.set_meta(meta);
            return {};
        }
    };
    return f.visit(convert);
}

} // namespace dicompix
