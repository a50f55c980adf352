// SPDX-License-Identifier: BSD-3-Clause
#include "pixel/unpack.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "dicompix/pixel.hpp"

namespace dicompix {

namespace {

template <class U> U byteswap_value(U v) noexcept {
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

template <class U> U load(const std::byte* p, bool swap) noexcept {
    U v;
    std::memcpy(&v, p, sizeof(U));
    return swap ? byteswap_value(v) : v;
}

/// Contiguous samples, possibly byte-swapped.
template <class U> void copy_samples(const std::byte* in, std::byte* out, std::size_t count, bool swap) noexcept {
    if (!swap || sizeof(U) == 1) {
        std::memcpy(out, in, count * sizeof(U));
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {
        const U v = load<U>(in + i * sizeof(U), true);
        std::memcpy(out + i * sizeof(U), &v, sizeof(U));
    }
}

// GCC vectorises the 8-bit three-plane interleave only with byte shuffles (SSSE3 pshufb, AVX2), which the
// x86-64 baseline lacks: the function is built for those too and picked at load time (ifunc).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define DICOMPIX_SHUFFLE_CLONES __attribute__((target_clones("avx2", "ssse3", "default")))
#else
#define DICOMPIX_SHUFFLE_CLONES
#endif

DICOMPIX_SHUFFLE_CLONES
void interleave3_u8(const std::uint8_t* __restrict p0, const std::uint8_t* __restrict p1,
                    const std::uint8_t* __restrict p2, std::uint8_t* __restrict out, std::size_t pixels) noexcept {
    for (std::size_t p = 0; p < pixels; ++p) {
        out[3 * p] = p0[p];
        out[3 * p + 1] = p1[p];
        out[3 * p + 2] = p2[p];
    }
}

template <class U>
void planar_samples(const std::byte* in, std::byte* out, std::size_t pixels, std::size_t samples, bool swap) noexcept {
    if (sizeof(U) == 1 && samples == 3) {
        const auto* plane = reinterpret_cast<const std::uint8_t*>(in);
        interleave3_u8(plane, plane + pixels, plane + 2 * pixels, reinterpret_cast<std::uint8_t*>(out), pixels);
        return;
    }
    if (samples == 3) {
        // One pass over the output (the usual RGB case): each pixel gathers its three samples.
        const std::byte* p0 = in;
        const std::byte* p1 = in + pixels * sizeof(U);
        const std::byte* p2 = in + 2 * pixels * sizeof(U);
        for (std::size_t p = 0; p < pixels; ++p) {
            const U px[3] = {load<U>(p0 + p * sizeof(U), swap), load<U>(p1 + p * sizeof(U), swap),
                             load<U>(p2 + p * sizeof(U), swap)};
            std::memcpy(out + p * 3 * sizeof(U), px, sizeof px);
        }
        return;
    }
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
    const std::byte* p = in + first_bit / 8;
    const unsigned bit = static_cast<unsigned>(first_bit % 8);
    // Eight pixels at a time through the table; a frame starting mid-byte takes each group of eight from
    // two neighbouring bytes (both hold pixels of the group, so neither is past the frame's data).
    std::size_t i = 0;
    const std::size_t groups = count / 8;
    for (std::size_t g = 0; g < groups; ++g, i += 8) {
        unsigned byte = std::to_integer<unsigned>(p[g]);
        if (bit != 0) {
            byte = ((byte >> bit) | (std::to_integer<unsigned>(p[g + 1]) << (8U - bit))) & 0xFFU;
        }
        // Each table entry holds 8 bytes 0/1 in little-endian order.
        std::uint64_t v = bit_table[byte];
        if constexpr (std::endian::native == std::endian::big) {
            v = __builtin_bswap64(v);
        }
        std::memcpy(out + i, &v, 8);
    }
    std::uint64_t at = std::uint64_t{bit} + i;
    for (; i < count; ++i, ++at) {
        out[i] = static_cast<std::uint8_t>((std::to_integer<unsigned>(p[at / 8]) >> (at % 8)) & 1U);
    }
}

// The two kernels below run on every native frame with Bits Stored < Bits Allocated. They work on GCC/Clang
// vector types of the sample width (16 bytes: SSE2 on any x86-64, NEON on AArch64), because the
// auto-vectoriser widens 8- and 16-bit shifts to 32-bit lanes (integer promotion) and ran 4x slower.
inline constexpr std::size_t vector_bytes = 16;

template <class U> struct lanes_of {
    typedef U unsigned_vec __attribute__((vector_size(vector_bytes)));
    typedef std::make_signed_t<U> signed_vec __attribute__((vector_size(vector_bytes)));
    static constexpr std::size_t count = vector_bytes / sizeof(U);
};

/// The low `bits` bits set (all of U when bits is its width).
template <class U> constexpr U low_bits(unsigned bits) noexcept {
    return bits >= 64 ? static_cast<U>(~std::uint64_t{0}) : static_cast<U>((std::uint64_t{1} << bits) - 1U);
}

/// Masks each sample to `bits` after shifting it down by `shift` (High Bit + 1 - Bits Stored), and for
/// signed data extends the sign from bit `bits - 1` (PS3.5 §8.1.1).
template <class U>
void normalise_typed(U* samples, std::size_t count, unsigned shift, unsigned bits, bool is_signed) noexcept {
    using S = std::make_signed_t<U>;
    using V = typename lanes_of<U>::unsigned_vec;
    using SV = typename lanes_of<U>::signed_vec;
    constexpr std::size_t lanes = lanes_of<U>::count;
    const U mask = low_bits<U>(bits);
    // Shift the sign bit to the top, then arithmetic-shift back (C++20 defines both shifts).
    const unsigned up = static_cast<unsigned>(sizeof(U) * 8) - bits;
    std::size_t i = 0;
    if (is_signed) {
        for (; i + lanes <= count; i += lanes) {
            V v;
            std::memcpy(&v, samples + i, sizeof v);
            const SV top = reinterpret_cast<SV>((v >> shift) << up);
            const SV out = top >> up;
            std::memcpy(samples + i, &out, sizeof out);
        }
        for (; i < count; ++i) {
            const auto top = static_cast<S>(static_cast<U>(static_cast<U>(samples[i] >> shift) << up));
            samples[i] = static_cast<U>(top >> up);
        }
        return;
    }
    for (; i + lanes <= count; i += lanes) {
        V v;
        std::memcpy(&v, samples + i, sizeof v);
        v = (v >> shift) & mask;
        std::memcpy(samples + i, &v, sizeof v);
    }
    for (; i < count; ++i) {
        samples[i] = static_cast<U>(static_cast<U>(samples[i] >> shift) & mask);
    }
}

/// Whether every sample already holds what normalise_typed() would make of it (shift 0). Stops at the
/// first block that does not, so that frames with garbage high bits pay little for the check.
template <class U>
bool is_normalised_typed(const U* samples, std::size_t count, unsigned bits, bool is_signed) noexcept {
    using V = typename lanes_of<U>::unsigned_vec;
    using SV = typename lanes_of<U>::signed_vec;
    constexpr std::size_t lanes = lanes_of<U>::count;
    constexpr std::size_t block = 64 * lanes;
    const unsigned up = static_cast<unsigned>(sizeof(U) * 8) - bits;
    const auto high = static_cast<U>(~low_bits<U>(bits));
    // Signed: every sample's bits above bits-1 must equal its sign bit; unsigned: be zero.
    auto differs = [&](V v) -> V {
        if (is_signed) {
            const V extended = reinterpret_cast<V>(reinterpret_cast<SV>(v << up) >> up);
            return v ^ extended;
        }
        return v & high;
    };
    std::size_t i = 0;
    while (i + lanes <= count) {
        V bad{};
        const std::size_t end = std::min(count - count % lanes, i + block);
        for (; i < end; i += lanes) {
            V v;
            std::memcpy(&v, samples + i, sizeof v);
            bad |= differs(v);
        }
        for (std::size_t k = 0; k < lanes; ++k) {
            if (bad[k] != 0) {
                return false;
            }
        }
    }
    for (; i < count; ++i) {
        V v{};
        v[0] = samples[i];
        if (differs(v)[0] != 0) {
            return false;
        }
    }
    return true;
}

template <class F> void dispatch_width(std::size_t bytes, F&& f) {
    switch (bytes) {
    case 1:
        f(std::uint8_t{});
        break;
    case 2:
        f(std::uint16_t{});
        break;
    case 4:
        f(std::uint32_t{});
        break;
    default:
        f(std::uint64_t{});
        break;
    }
}

} // namespace

namespace detail {

void unpack_native(std::span<const std::byte> stored, std::uint64_t first_bit, const frame_info& info, bool big_endian,
                   std::span<std::byte> out) noexcept {
    const std::size_t pixels = std::size_t{info.rows} * info.columns;
    if (info.bits_allocated == 1) {
        unpack_bits(stored.data(), first_bit, reinterpret_cast<std::uint8_t*>(out.data()), pixels);
        return;
    }
    const std::byte* in = stored.data() + first_bit / 8;
    const bool swap = big_endian != (std::endian::native == std::endian::big);
    const std::size_t width = info.bits_allocated / 8U;
    const bool subsampled =
        info.samples_per_pixel == 3 && (info.photometric_interpretation == photometric::ybr_full_422 ||
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
            const U in_mask = low_bits<U>(precision);
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
