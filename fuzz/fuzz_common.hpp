// SPDX-License-Identifier: BSD-3-Clause
// Shared by the fuzz targets: tight limits, option bits taken from the input, and the invariants every
// successful call must satisfy (style.md §3.9; reliability.md §5.1).
//
// Input layout of the DICOM-level targets: the DICOM bytes followed by ONE option byte (the last byte),
// so the DICOM part is never shifted by options (libspng/OpenJPH take theirs from the end too).
// make_seeds.cpp appends that byte to corpus files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "dicompix/dicompix.hpp"

/// An invariant violated on a successful path: report and abort, so libFuzzer keeps the input and the
/// replay test fails.
#define DICOMPIX_FUZZ_CHECK(cond)                                                                                      \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);                     \
            std::abort();                                                                                              \
        }                                                                                                              \
    } while (false)

namespace dicompix::fuzz {

/// Far below the fuzzer's 2 GiB RSS budget, so hostile sizes fail through the library's normal
/// limit_exceeded path instead of an OOM report (OSS-Fuzz DCMTK: 8 MiB per allocation; libjpeg-turbo:
/// 1 megapixel; reliability.md §4.10 "OSS-Fuzz-style test profile").
inline constexpr std::uint64_t max_frame_bytes = std::uint64_t{8} << 20;
inline constexpr std::uint64_t max_frame_pixels = std::uint64_t{1} << 20;
/// Frames decoded per input (time per input stays well under libFuzzer's -timeout).
inline constexpr std::uint32_t max_frames_decoded = 16;

[[nodiscard]] inline limits tight_limits() {
    limits l;
    l.max_value_length = std::uint64_t{16} << 20;
    l.max_sequence_depth = 32;
    l.max_elements = 50000;
    l.max_total_bytes = std::uint64_t{16} << 20;
    l.max_inflated_bytes = std::uint64_t{16} << 20;
    l.max_fragments = 4096;
    l.max_frames = 4096;
    l.max_frame_bytes = max_frame_bytes;
    l.max_total_decoded_bytes = std::uint64_t{64} << 20;
    l.max_jpeg_scans = 64;
    return l;
}

/// The option byte at the end of the input, and the bytes before it.
struct split_input {
    std::span<const std::byte> dicom;
    std::uint8_t options{0};
};

[[nodiscard]] inline split_input split(const std::uint8_t* data, std::size_t size) noexcept {
    if (size == 0) {
        return {};
    }
    return {std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size - 1), data[size - 1]};
}

/// Option bits shared by the DICOM-level targets.
enum option_bit : std::uint8_t {
    opt_strict = 1U << 0,             ///< strict parsing and pixel access
    opt_try_next = 1U << 1,           ///< pixel_options::try_next_decoder_on_failure
    opt_stop_before_pixels = 1U << 2, ///< parse_options::stop_before_pixel_data (fuzz_parse only)
    // bits 3..7: target-specific (frame choice, writer options)
};

[[nodiscard]] inline parse_options make_parse_options(std::uint8_t options) {
    parse_options p;
    p.limits = tight_limits();
    p.strict = (options & opt_strict) != 0;
    return p;
}

[[nodiscard]] inline pixel_options make_pixel_options(std::uint8_t options) {
    pixel_options p;
    p.limits = tight_limits();
    p.strict = (options & opt_strict) != 0;
    p.try_next_decoder_on_failure = (options & opt_try_next) != 0;
    return p;
}

/// Whether a frame of this description may be decoded by a fuzz target (1 megapixel cap, as the
/// libjpeg-turbo and OpenJPEG harnesses do; the byte cap is enforced by the library's limits).
[[nodiscard]] inline bool small_enough(const frame_info& info) noexcept {
    return std::uint64_t{info.rows} * info.columns <= max_frame_pixels;
}

/// Every sample of a normalised integer frame lies in the range of Bits Stored (PS3.5 §8.1.1).
template <class T> [[nodiscard]] bool samples_in_range(std::span<const T> samples, const frame_info& info) noexcept {
    if constexpr (std::is_integral_v<T>) {
        const unsigned bits = info.bits_allocated == 1 ? 1U : info.bits_stored;
        if (bits == 0 || bits >= 64) {
            return true;
        }
        if constexpr (std::is_signed_v<T>) {
            const std::int64_t lo = -(std::int64_t{1} << (bits - 1));
            const std::int64_t hi = (std::int64_t{1} << (bits - 1)) - 1;
            for (const T v : samples) {
                if (static_cast<std::int64_t>(v) < lo || static_cast<std::int64_t>(v) > hi) {
                    return false;
                }
            }
        } else {
            const std::uint64_t hi = (std::uint64_t{1} << bits) - 1;
            for (const T v : samples) {
                if (static_cast<std::uint64_t>(v) > hi) {
                    return false;
                }
            }
        }
    }
    return true;
}

/// Invariants of a frame served by pixel_data::frame() (DESIGN.md decoder output contract): the shape of
/// the description, rows*cols*spp samples of the description's type, values within Bits Stored.
inline void check_frame(const any_frame& f, const frame_info& info, std::uint32_t index) {
    DICOMPIX_FUZZ_CHECK(f.rows() == info.rows);
    DICOMPIX_FUZZ_CHECK(f.columns() == info.columns);
    DICOMPIX_FUZZ_CHECK(f.samples_per_pixel() == info.samples_per_pixel);
    DICOMPIX_FUZZ_CHECK(f.type() == info.type());
    DICOMPIX_FUZZ_CHECK(f.meta().index == index);
    const std::uint64_t expected =
        std::uint64_t{info.rows} * info.columns * info.samples_per_pixel * info.bytes_per_sample();
    DICOMPIX_FUZZ_CHECK(f.bytes().size() == expected);
    // Only the stored samples the library served: a decoder that converted YBR to RGB keeps the range.
    const bool in_range = f.visit([&](const auto& frame) { return samples_in_range(frame.samples(), info); });
    DICOMPIX_FUZZ_CHECK(in_range);
}

/// Reads every value of every element (strings, numbers, tags) and recurses into items: what a
/// metadata-only ingestion tool does with a parsed file. Nothing may crash; results are ignored.
inline void walk(const dataset& ds, std::uint32_t depth = 0) {
    for (const element& e : ds) {
        DICOMPIX_FUZZ_CHECK(depth <= 64);
        if (e.is_sequence()) {
            for (const dataset& item : e.items()) {
                walk(item, depth + 1);
            }
            continue;
        }
        if (const auto* enc = e.encapsulated(); enc != nullptr) {
            for (const fragment& f : enc->fragments) {
                (void)f.bytes.size();
            }
            continue;
        }
        const std::size_t n = e.value_count();
        for (std::size_t i = 0; i < n && i < 8; ++i) {
            if (is_string_vr(e.vr())) {
                (void)e.string(i);
                (void)ds.text(e.tag(), i);
            }
            (void)e.to_int(i);
            (void)e.to_double(i);
            if (e.vr() == vr::AT) {
                (void)e.to_tag(i);
            }
        }
        (void)e.strings();
    }
}

} // namespace dicompix::fuzz
