// SPDX-License-Identifier: BSD-3-Clause
// Internal: lookup tables and VOI functions of the display pipeline (PS3.3 C.11, C.7.6.3.1.5, C.7.9).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dicompix/dataset.hpp"
#include "dicompix/error.hpp"
#include "dicompix/options.hpp"
#include "dicompix/render.hpp"

namespace dicompix::render_detail {

/// Where warnings go while a pipeline is built, and whether they are errors instead.
struct diagnostics {
    std::vector<warning>* warnings{nullptr};
    bool strict{false};

    /// Lenient: records the message and returns success; strict: returns the error.
    [[nodiscard]] result<void> recover(errc code, std::string message, std::string tag_path = {}) const;
    void warn(std::string message, std::string tag_path = {}) const;
};

/// The 16-bit words of an element's value in host order: US/SS values, or OW/OB/UN/unknown bytes read as
/// words of the element's byte order (a trailing odd byte is dropped).
[[nodiscard]] std::vector<std::uint16_t> read_words(const element& e);

/// The index-th number of a DS/IS/binary element; also of an element whose VR is UN or unknown (files that went
/// through a system without the dictionary), whose bytes are then read as a backslash-separated decimal string.
/// Errors: those of element::to_double.
[[nodiscard]] result<double> number_value(const element& e, std::size_t index = 0);
/// How many numbers number_value can read: value_count(), or backslash-separated values for UN / unknown VR.
[[nodiscard]] std::size_t number_count(const element& e) noexcept;

/// A parsed LUT: entries[i] is the output for input `first + i`; inputs outside are clamped to the first
/// or last entry (PS3.3 C.11.1.1.1, C.11.2.1.1, C.7.6.3.1.5). Entries are masked to `bits`.
struct lut {
    std::vector<std::uint16_t> entries;
    std::int32_t first{0};
    std::uint16_t bits{16};
    std::string explanation;

    [[nodiscard]] std::uint16_t at(std::int64_t input) const noexcept {
        const std::int64_t i = input - first;
        if (i <= 0) {
            return entries.front();
        }
        const auto n = static_cast<std::int64_t>(entries.size());
        return entries[static_cast<std::size_t>(i >= n ? n - 1 : i)];
    }
    [[nodiscard]] double max_output() const noexcept { return static_cast<double>((1U << bits) - 1U); }
};

/// Parses a LUT Descriptor (3 values: entries, 0 meaning 65536; first value mapped, read as signed
/// when `first_signed`; bits per entry) and its data. Recoveries (lenient), each a warning:
/// - bits outside 8..16: taken from the largest entry (DCMTK does the same);
/// - 8-bit entries packed two per 16-bit word (data holds (count + 1) / 2 words): unpacked, low byte first;
/// - data shorter than the descriptor: the table is cut to the data (inputs beyond clamp to its last entry);
/// - data longer than the descriptor: the extra words are ignored.
/// Errors: invalid_lut (descriptor not 3 values, no data; strict: any of the above).
[[nodiscard]] result<lut> parse_lut(const element& descriptor, const element& data, bool first_signed,
                                    const diagnostics& diag, const std::string& tag_path);

/// Parses a palette descriptor with Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2) and expands
/// the segments to the descriptor's entry count. Errors: invalid_lut (unknown opcode, a linear or indirect
/// segment first, an indirect segment pointing outside the data or at another indirect segment, more
/// entries than the descriptor declares (strict; lenient: cut), fewer (strict; lenient: last value repeated)).
[[nodiscard]] result<lut> parse_segmented_lut(const element& descriptor, const element& data, const diagnostics& diag,
                                              const std::string& tag_path);

/// Expands segmented LUT words to at most `count` entries (exposed for tests).
[[nodiscard]] result<std::vector<std::uint16_t>> expand_segmented(std::span<const std::uint16_t> words,
                                                                  std::size_t count, const diagnostics& diag);

/// A VOI window (Window Center / Width with its function).
struct window {
    double center{0.0};
    double width{0.0};
    voi_function function{voi_function::linear};
    std::string explanation;
};

/// True when the window can be applied: finite values, width >= 1 for LINEAR (C.11.2.1.2.1), > 0 otherwise.
[[nodiscard]] bool window_is_valid(const window& w) noexcept;

/// The window's output for modality value x, as a fraction of the output range in [0, 1]
/// (C.11.2.1.2.1 LINEAR, C.11.2.1.3.2 LINEAR_EXACT, C.11.2.1.3.1 SIGMOID). The window must be valid.
[[nodiscard]] double window_fraction(double x, const window& w) noexcept;

/// Parses the VOI LUT Function value; false when it is not one of the three defined terms.
[[nodiscard]] bool parse_voi_function(std::string_view text, voi_function& out) noexcept;

} // namespace dicompix::render_detail
