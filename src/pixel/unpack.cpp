// SPDX-License-Identifier: BSD-3-Clause
#include "pixel/unpack.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "dicompix/pixel.hpp"

namespace dicompix {

namespace {

template <class U>
U byteswap_value(U v) noexcept {
    if constexpr (sizeof(U) == 2) {
        return static_cast<U>(__builtin_bswap16(v));
    } else if constexpr (sizeof(U) == 4) {
        return __builtin_bswap32(v);
    } else if constexpr (sizeof(U) == 8) {
        return __builtin_bswap64(v);
    } else {
        return v;
    }
}

template <class U>
U load(const std::byte* p, bool swap) noexcept {
    U v;
    std::memcpy(&v, p, sizeof(U));
    return swap ? byteswap_value(v) : v;
}

/// Contiguous samples, possibly byte-swapped.
template <class U>
void copy_samples(const std::byte* in, std::byte* out, std::size_t count, bool swap) noexcept {
    if (!swap || sizeof(U) == 1) {
        std::memcpy(out, in, count * sizeof(U));
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {
        const U v = load<U>(in + i * sizeof(U), true);
        std::memcpy(out + i * sizeof(U), &v, sizeof(U));
    }
}

template <class U>
void planar_samples(const std::byte* in, std::byte* out, std::size_t pixels, std::size_t samples, bool swap) noexcept {
    for (std::size_t s = 0; s < samples; ++s) {
        const std::byte* plane = in + s * pixels * sizeof(U);
        for (std::size_t p = 0; p < pixels; ++p) {
            const U v = load<U>(plane + p * sizeof(U), swap);
            std::memcpy(out + (p * samples + s) * sizeof(U), &v, sizeof(U));
        }
    }
}

/// Y0 Y1 Cb Cr per pixel pair -> Y Cb Cr per pixel (PS3.3 C.7.6.3.1.2 YBR_FULL_422), the frame taken
/// as one run of pixels (as pydicom and DCMTK do), so an odd pixel count ends with a half pair.
/// `available` is the number of bytes readable from `in`.
template <class U>
void upsample_samples(const std::byte* in, std::size_t available, std::byte* out, std::size_t pixels,
                      bool swap) noexcept {
    const std::size_t pairs = pixels / 2;
    for (std::size_t i = 0; i < pairs; ++i) {
        const std::byte* g = in + i * 4 * sizeof(U);
        const U y0 = load<U>(g, swap);
        const U y1 = load<U>(g + sizeof(U), swap);
        const U cb = load<U>(g + 2 * sizeof(U), swap);
        const U cr = load<U>(g + 3 * sizeof(U), swap);
        const U px[6] = {y0, cb, cr, y1, cb, cr};
        std::memcpy(out + i * 6 * sizeof(U), px, sizeof px);
    }
    if ((pixels & 1U) != 0) {
        // The half pair is read as a full group (Y0, unused, Cb, Cr) when the data holds one; the frame
        // size (native_frame_bits(): 2 samples per pixel) only guarantees its first 2 samples, so without
        // the group the last pixel takes the chroma of the previous pair. Reading +2/+3 unconditionally
        // went past the input (heap-buffer-overflow found by the adversarial suite under ASan).
        const std::size_t at = pairs * 4 * sizeof(U);
        const std::byte* g = in + at;
        const U y0 = load<U>(g, swap);
        U cb = load<U>(g + sizeof(U), swap);
        U cr = cb;
        if (available >= at + 4 * sizeof(U)) {
            cb = load<U>(g + 2 * sizeof(U), swap);
            cr = load<U>(g + 3 * sizeof(U), swap);
        } else if (pairs > 0) {
            cb = load<U>(g - 2 * sizeof(U), swap);
            cr = load<U>(g - sizeof(U), swap);
        }
        const U px[3] = {y0, cb, cr};
        std::memcpy(out + pairs * 6 * sizeof(U), px, sizeof px);
    }
}

constexpr std::array<std::uint64_t, 256> make_bit_table() {
    std::array<std::uint64_t, 256> t{};
    for (unsigned b = 0; b < 256; ++b) {
        std::uint64_t v = 0;
        for (unsigned k = 0; k < 8; ++k) {
            v |= static_cast<std::uint64_t>((b >> k) & 1U) << (8U * k);
        }
        t[b] = v;
    }
    return t;
}
constexpr auto bit_table = make_bit_table();

/// PS3.5 Annex D: bit k of a byte is pixel k (least significant first); frames may start mid-byte.
void unpack_bits(const std::byte* in, std::uint64_t first_bit, std::uint8_t* out, std::size_t count) noexcept {
    std::size_t i = 0;
    const std::byte* p = in + first_bit / 8;
    unsigned bit = static_cast<unsigned>(first_bit % 8);
    if (bit == 0) {
        for (; i + 8 <= count; i += 8) {
            // Each table entry holds 8 bytes 0/1 in little-endian order.
            std::uint64_t v = bit_table[std::to_integer<unsigned>(p[i / 8])];
            if constexpr (std::endian::native == std::endian::big) {
                v = __builtin_bswap64(v);
            }
            std::memcpy(out + i, &v, 8);
        }
        p += i / 8;
    }
    for (; i < count; ++i) {
        out[i] = static_cast<std::uint8_t>((std::to_integer<unsigned>(*p) >> bit) & 1U);
        if (++bit == 8) {
            bit = 0;
            ++p;
        }
    }
}

template <class S>
void normalise_typed(S* samples, std::size_t count, unsigned shift, unsigned bits, bool is_signed) noexcept {
    using U = std::make_unsigned_t<S>;
    const U mask = bits >= sizeof(U) * 8 ? static_cast<U>(~U{0}) : static_cast<U>((U{1} << bits) - 1U);
    if (is_signed) {
        const unsigned up = static_cast<unsigned>(sizeof(U) * 8) - bits;
        for (std::size_t i = 0; i < count; ++i) {
            const U v = static_cast<U>(static_cast<U>(samples[i]) >> shift);
            // Shift the sign bit to the top, then arithmetic-shift back (C++20 defines both shifts).
            const auto top = static_cast<std::make_signed_t<U>>(static_cast<U>(v << up));
            samples[i] = static_cast<S>(top >> up);
        }
    } else {
        for (std::size_t i = 0; i < count; ++i) {
            samples[i] = static_cast<S>(static_cast<U>(static_cast<U>(samples[i]) >> shift) & mask);
        }
    }
}

template <class S>
bool is_normalised_typed(const S* samples, std::size_t count, unsigned bits, bool is_signed) noexcept {
    using U = std::make_unsigned_t<S>;
    if (is_signed) {
        // Every sample's bits above bits-1 must equal its sign bit.
        const unsigned up = static_cast<unsigned>(sizeof(U) * 8) - bits;
        U bad = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const U v = static_cast<U>(samples[i]);
            const auto extended = static_cast<U>(static_cast<std::make_signed_t<U>>(static_cast<U>(v << up)) >> up);
            bad |= static_cast<U>(v ^ extended);
        }
        return bad == 0;
    }
    const U high = bits >= sizeof(U) * 8 ? U{0} : static_cast<U>(~static_cast<U>((U{1} << bits) - 1U));
    U any = 0;
    for (std::size_t i = 0; i < count; ++i) {
        any |= static_cast<U>(static_cast<U>(samples[i]) & high);
    }
    return any == 0;
}

template <class F>
void dispatch_width(std::size_t bytes, F&& f) {
    switch (bytes) {
    case 1: f(std::uint8_t{}); break;
    case 2: f(std::uint16_t{}); break;
    case 4: f(std::uint32_t{}); break;
    default: f(std::uint64_t{}); break;
    }
}

} // namespace

namespace detail {

void unpack_native(std::span<const std::byte> stored, std::uint64_t first_bit, const frame_info& info,
                   bool big_endian, std::span<std::byte> out) noexcept {
    const std::size_t pixels = std::size_t{info.rows} * info.columns;
    if (info.bits_allocated == 1) {
        unpack_bits(stored.data(), first_bit, reinterpret_cast<std::uint8_t*>(out.data()), pixels);
        return;
    }
    const std::byte* in = stored.data() + first_bit / 8;
    const bool swap = big_endian != (std::endian::native == std::endian::big);
    const std::size_t width = info.bits_allocated / 8U;
    const bool subsampled = info.samples_per_pixel == 3 &&
                            (info.photometric_interpretation == photometric::ybr_full_422 ||
                             info.photometric_interpretation == photometric::ybr_partial_422);
    dispatch_width(width, [&](auto tag_value) {
        using U = decltype(tag_value);
        if (subsampled) {
            upsample_samples<U>(in, stored.size() - static_cast<std::size_t>(first_bit / 8), out.data(), pixels, swap);
        } else if (info.planar_configuration == 1 && info.samples_per_pixel > 1) {
            planar_samples<U>(in, out.data(), pixels, info.samples_per_pixel, swap);
        } else {
            copy_samples<U>(in, out.data(), pixels * info.samples_per_pixel, swap);
        }
    });
}

bool may_need_normalisation(const frame_info& info) noexcept {
    return info.element == pixel_data_element::integer && info.bits_allocated > 1 &&
           (info.bits_stored < info.bits_allocated || info.high_bit + 1 != info.bits_stored);
}

bool is_normalised(std::span<const std::byte> samples, const frame_info& info) noexcept {
    if (!may_need_normalisation(info)) {
        return true;
    }
    if (info.high_bit + 1 != info.bits_stored) {
        return false;
    }
    bool ok = true;
    dispatch_width(info.bits_allocated / 8U, [&](auto tag_value) {
        using U = decltype(tag_value);
        ok = is_normalised_typed<U>(reinterpret_cast<const U*>(samples.data()), samples.size() / sizeof(U),
                                    info.bits_stored, info.is_signed);
    });
    return ok;
}

void clamp_to_bits_stored(std::span<std::byte> samples, const frame_info& info, unsigned precision) noexcept {
    if (info.element != pixel_data_element::integer || info.bits_allocated < 8 || precision <= info.bits_stored ||
        precision > info.bits_allocated) {
        return;
    }
    const unsigned stored = info.bits_stored;
    dispatch_width(info.bits_allocated / 8U, [&](auto tag_value) {
        using U = decltype(tag_value);
        using S = std::make_signed_t<U>;
        auto* p = reinterpret_cast<U*>(samples.data());
        const std::size_t count = samples.size() / sizeof(U);
        if (info.is_signed) {
            const unsigned up = static_cast<unsigned>(sizeof(U) * 8) - precision;
            const auto lo = static_cast<std::int64_t>(-(std::int64_t{1} << (stored - 1)));
            const auto hi = static_cast<std::int64_t>((std::int64_t{1} << (stored - 1)) - 1);
            for (std::size_t i = 0; i < count; ++i) {
                const auto v = static_cast<std::int64_t>(static_cast<S>(static_cast<U>(p[i] << up)) >> up);
                p[i] = static_cast<U>(static_cast<S>(std::clamp(v, lo, hi)));
            }
        } else {
            const auto hi = static_cast<U>((std::uint64_t{1} << stored) - 1U);
            const auto in_mask = precision >= sizeof(U) * 8 ? static_cast<U>(~U{0})
                                                            : static_cast<U>((U{1} << precision) - 1U);
            for (std::size_t i = 0; i < count; ++i) {
                const U v = static_cast<U>(p[i] & in_mask);
                p[i] = v > hi ? hi : v;
            }
        }
    });
}

} // namespace detail

void normalise_samples(std::span<std::byte> samples, const frame_info& info) noexcept {
    if (!detail::may_need_normalisation(info)) {
        return;
    }
    const unsigned shift = static_cast<unsigned>(info.high_bit + 1 - info.bits_stored);
    dispatch_width(info.bits_allocated / 8U, [&](auto tag_value) {
        using U = decltype(tag_value);
        normalise_typed<U>(reinterpret_cast<U*>(samples.data()), samples.size() / sizeof(U), shift, info.bits_stored,
                           info.is_signed);
    });
}

void planar_to_interleaved(std::span<const std::byte> planar, std::span<std::byte> out, std::size_t pixels,
                           std::size_t samples, std::size_t sample_bytes) noexcept {
    dispatch_width(sample_bytes, [&](auto tag_value) {
        using U = decltype(tag_value);
        planar_samples<U>(planar.data(), out.data(), pixels, samples, false);
    });
}

void upsample_422(std::span<const std::byte> subsampled, std::span<std::byte> out, std::size_t pixels,
                  std::size_t sample_bytes) noexcept {
    dispatch_width(sample_bytes, [&](auto tag_value) {
        using U = decltype(tag_value);
        upsample_samples<U>(subsampled.data(), subsampled.size(), out.data(), pixels, false);
    });
}

} // namespace dicompix
