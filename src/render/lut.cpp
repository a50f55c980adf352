// SPDX-License-Identifier: BSD-3-Clause
// LUT descriptors and data (PS3.3 C.11.1.1.1 Modality LUT, C.11.2.1.1 VOI LUT, C.7.6.3.1.5 palettes,
// C.7.9.2 segmented palettes) and the VOI window functions (C.11.2.1.2, C.11.2.1.3).
//
// Everything here reads attacker-controlled values: every length is checked against the data before an
// entry is read, every table is cut to what is really there, and the segmented-palette interpreter runs
// under a work budget so that an indirect segment cannot make it loop for long.
#include "render/lut.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

namespace dicompix::render_detail {

result<void> diagnostics::recover(errc code, std::string message, std::string tag_path) const {
    if (strict) {
        return failure(code, std::move(message), error::no_offset, std::move(tag_path));
    }
    warn(std::move(message), std::move(tag_path));
    return {};
}

void diagnostics::warn(std::string message, std::string tag_path) const {
    if (warnings != nullptr) {
        warnings->push_back(warning{~std::uint64_t{0}, std::move(tag_path), std::move(message)});
    }
}

std::vector<std::uint16_t> read_words(const element& e) {
    const auto bytes = e.bytes();
    switch (e.vr()) {
    case vr::US: case vr::SS: case vr::OW: case vr::OB: case vr::UN: case vr::unknown: break;
    default: return {};
    }
    // OB is a byte stream (never swapped, PS3.5 §7.3): its words are little-endian pairs.
    const bool big = e.big_endian() && e.vr() != vr::OB;
    std::vector<std::uint16_t> words(bytes.size() / 2);
    for (std::size_t i = 0; i < words.size(); ++i) {
        const auto b0 = std::to_integer<std::uint16_t>(bytes[2 * i]);
        const auto b1 = std::to_integer<std::uint16_t>(bytes[2 * i + 1]);
        words[i] = big ? static_cast<std::uint16_t>(b0 << 8U | b1) : static_cast<std::uint16_t>(b1 << 8U | b0);
    }
    return words;
}

result<double> number_value(const element& e, std::size_t index) {
    auto v = e.to_double(index);
    if (v || (e.vr() != vr::UN && e.vr() != vr::unknown)) {
        return v;
    }
    const auto bytes = e.bytes();
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (std::size_t i = 0; i < index; ++i) {
        const std::size_t sep = text.find('\\');
        if (sep == std::string_view::npos) {
            return v;
        }
        text.remove_prefix(sep + 1);
    }
    text = text.substr(0, text.find('\\'));
    while (!text.empty() && (text.front() == ' ' || text.front() == '+')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) {
        text.remove_suffix(1);
    }
    double d = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(d)) {
        return v;
    }
    return d;
}

std::size_t number_count(const element& e) noexcept {
    if (e.vr() != vr::UN && e.vr() != vr::unknown) {
        return e.value_count();
    }
    const auto bytes = e.bytes();
    if (bytes.empty()) {
        return 0;
    }
    return 1 + static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), std::byte{'\\'}));
}

namespace {

struct descriptor_values {
    std::size_t count{0};
    std::int32_t first{0};
    std::uint16_t bits{0};
};

result<descriptor_values> read_descriptor(const element& descriptor, bool first_signed, const std::string& path) {
    const auto d = read_words(descriptor);
    if (d.size() < 3) {
        return failure(errc::invalid_lut, "LUT Descriptor needs 3 values, has " + std::to_string(d.size()),
                       descriptor.offset(), path);
    }
    descriptor_values v;
    // PS3.3 C.11.1.1.1 / C.7.6.3.1.5: a first value of 0 means 2^16 entries.
    v.count = d[0] == 0 ? std::size_t{65536} : std::size_t{d[0]};
    v.first = first_signed ? static_cast<std::int32_t>(static_cast<std::int16_t>(d[1])) : static_cast<std::int32_t>(d[1]);
    v.bits = d[2];
    return v;
}

/// Bits per entry: the descriptor's when in 8..16, else the width of the largest entry (at least 8).
result<std::uint16_t> checked_bits(std::uint16_t declared, std::span<const std::uint16_t> entries,
                                   const diagnostics& diag, const std::string& path) {
    if (declared >= 8 && declared <= 16) {
        return declared;
    }
    const std::uint16_t largest = entries.empty() ? 0 : *std::max_element(entries.begin(), entries.end());
    const auto width = static_cast<std::uint16_t>(std::max(8, static_cast<int>(std::bit_width(largest))));
    DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut,
                                   "LUT Descriptor bits per entry " + std::to_string(declared) +
                                       " is not 8..16; using " + std::to_string(width) + " from the data",
                                   path));
    return width;
}

void mask_entries(std::vector<std::uint16_t>& entries, std::uint16_t bits) noexcept {
    const auto mask = static_cast<std::uint16_t>((1U << bits) - 1U);
    for (auto& e : entries) {
        e = static_cast<std::uint16_t>(e & mask);
    }
}

} // namespace

result<lut> parse_lut(const element& descriptor, const element& data, bool first_signed, const diagnostics& diag,
                      const std::string& tag_path) {
    DICOMPIX_TRY(const descriptor_values d, read_descriptor(descriptor, first_signed, tag_path));
    std::vector<std::uint16_t> words = read_words(data);
    if (words.empty()) {
        return failure(errc::invalid_lut, "LUT Data is empty", data.offset(), tag_path);
    }
    lut out;
    out.first = d.first;
    std::uint16_t declared_bits = d.bits;
    if (d.count > 1 && words.size() == (d.count + 1) / 2) {
        // 8-bit entries packed two per 16-bit word, first entry in the low byte (as DCMTK reads them; seen
        // in palettes written with OB-like packing).
        out.entries.resize(d.count);
        for (std::size_t i = 0; i < d.count; ++i) {
            const std::uint16_t w = words[i / 2];
            out.entries[i] = (i % 2 == 0) ? static_cast<std::uint16_t>(w & 0xFFU) : static_cast<std::uint16_t>(w >> 8U);
        }
        if (declared_bits != 8) {
            DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut,
                                           "LUT Data holds 8-bit entries packed in words but the descriptor says " +
                                               std::to_string(declared_bits) + " bits; using 8",
                                           tag_path));
            declared_bits = 8;
        }
    } else {
        if (words.size() < d.count) {
            // Data shorter than declared (dicom-rs PR #825: Agfa CR VOI LUTs): never read past the data.
            DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut,
                                           "LUT Data has " + std::to_string(words.size()) + " entries, the descriptor declares " +
                                               std::to_string(d.count) + "; inputs beyond the data use its last entry",
                                           tag_path));
        } else if (words.size() > d.count) {
            diag.warn("LUT Data has " + std::to_string(words.size()) + " entries, the descriptor declares " +
                          std::to_string(d.count) + "; the extra entries are ignored",
                      tag_path);
            words.resize(d.count);
        }
        out.entries = std::move(words);
    }
    DICOMPIX_TRY(out.bits, checked_bits(declared_bits, out.entries, diag, tag_path));
    mask_entries(out.entries, out.bits);
    return out;
}

result<std::vector<std::uint16_t>> expand_segmented(std::span<const std::uint16_t> words, std::size_t count,
                                                    const diagnostics& diag) {
    std::vector<std::uint16_t> out;
    out.reserve(count);
    // Work budget: a well-formed table visits each segment of the data once plus the segments copied by
    // indirect segments, each of which adds at least one entry; anything beyond this is a runaway table.
    std::uint64_t budget = std::uint64_t{words.size()} + 4 * std::uint64_t{count} + 64;
    bool overflow = false;

    const auto append = [&](std::uint16_t v) {
        if (out.size() >= count) {
            overflow = true;
            return false;
        }
        out.push_back(v);
        return true;
    };
    // One segment at words[pos]; returns the position after it. `indirect_allowed` is false inside an
    // indirect copy (PS3.3 C.7.9.2: indirect segments reference discrete or linear segments).
    const auto segment = [&](std::size_t pos, bool indirect_allowed, auto& self) -> result<std::size_t> {
        if (budget-- == 0) {
            return failure(errc::invalid_lut, "segmented LUT: runaway segment structure");
        }
        if (pos + 1 >= words.size()) {
            return failure(errc::invalid_lut, "segmented LUT: truncated segment header at word " + std::to_string(pos));
        }
        const std::uint16_t opcode = words[pos];
        const std::uint16_t length = words[pos + 1];
        switch (opcode) {
        case 0: { // discrete: length values follow
            if (pos + 2 + std::size_t{length} > words.size()) {
                return failure(errc::invalid_lut, "segmented LUT: discrete segment of " + std::to_string(length) +
                                                      " values runs past the data");
            }
            for (std::size_t i = 0; i < length; ++i) {
                if (!append(words[pos + 2 + i])) {
                    break;
                }
            }
            return pos + 2 + std::size_t{length};
        }
        case 1: { // linear: from the previous value to y1 in `length` steps
            if (pos + 2 >= words.size()) {
                return failure(errc::invalid_lut, "segmented LUT: truncated linear segment");
            }
            if (out.empty()) {
                return failure(errc::invalid_lut, "segmented LUT: a linear segment cannot come first");
            }
            const double y0 = out.back();
            const double y1 = words[pos + 2];
            for (std::size_t i = 1; i <= length; ++i) {
                const double y = y0 + (y1 - y0) * static_cast<double>(i) / static_cast<double>(length);
                if (!append(static_cast<std::uint16_t>(std::lround(y)))) {
                    break;
                }
            }
            return pos + 3;
        }
        case 2: { // indirect: copy `length` segments starting at a 32-bit word offset (low word first)
            if (!indirect_allowed) {
                return failure(errc::invalid_lut, "segmented LUT: an indirect segment points at another indirect segment");
            }
            if (pos + 3 >= words.size()) {
                return failure(errc::invalid_lut, "segmented LUT: truncated indirect segment");
            }
            const std::uint64_t offset = std::uint64_t{words[pos + 2]} | std::uint64_t{words[pos + 3]} << 16U;
            if (offset >= words.size()) {
                return failure(errc::invalid_lut, "segmented LUT: indirect segment offset " + std::to_string(offset) +
                                                      " is outside the data");
            }
            std::size_t p = static_cast<std::size_t>(offset);
            for (std::size_t k = 0; k < length && !overflow; ++k) {
                DICOMPIX_TRY(p, self(p, false, self));
            }
            return pos + 4;
        }
        default:
            return failure(errc::invalid_lut, "segmented LUT: unknown segment type " + std::to_string(opcode));
        }
    };

    std::size_t pos = 0;
    while (pos < words.size() && !overflow) {
        DICOMPIX_TRY(pos, segment(pos, true, segment));
    }
    if (overflow) {
        DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut, "segmented LUT expands to more than the " + std::to_string(count) +
                                                              " entries its descriptor declares; cut"));
    }
    if (out.empty()) {
        return failure(errc::invalid_lut, "segmented LUT has no entries");
    }
    if (out.size() < count) {
        DICOMPIX_TRY_VOID(diag.recover(errc::invalid_lut, "segmented LUT expands to " + std::to_string(out.size()) +
                                                              " entries, the descriptor declares " + std::to_string(count) +
                                                              "; inputs beyond use the last entry"));
    }
    return out;
}

result<lut> parse_segmented_lut(const element& descriptor, const element& data, const diagnostics& diag,
                                const std::string& tag_path) {
    DICOMPIX_TRY(const descriptor_values d, read_descriptor(descriptor, false, tag_path));
    const std::vector<std::uint16_t> words = read_words(data);
    auto expanded = expand_segmented(words, d.count, diag);
    if (!expanded) {
        auto e = std::move(expanded).error();
        e.tag_path = tag_path;
        e.offset = data.offset();
        return failure(std::move(e));
    }
    lut out;
    out.first = d.first;
    out.entries = std::move(*expanded);
    DICOMPIX_TRY(out.bits, checked_bits(d.bits, out.entries, diag, tag_path));
    mask_entries(out.entries, out.bits);
    return out;
}

bool window_is_valid(const window& w) noexcept {
    if (!std::isfinite(w.center) || !std::isfinite(w.width)) {
        return false;
    }
    return w.function == voi_function::linear ? w.width >= 1.0 : w.width > 0.0;
}

double window_fraction(double x, const window& w) noexcept {
    switch (w.function) {
    case voi_function::linear: {
        // C.11.2.1.2.1: x <= c - 0.5 - (w-1)/2 -> ymin; x > c - 0.5 + (w-1)/2 -> ymax;
        // else ((x - (c - 0.5)) / (w-1) + 0.5) * (ymax - ymin) + ymin.
        const double lower = w.center - 0.5 - (w.width - 1.0) / 2.0;
        const double upper = w.center - 0.5 + (w.width - 1.0) / 2.0;
        if (x <= lower) {
            return 0.0;
        }
        if (x > upper) {
            return 1.0;
        }
        return (x - (w.center - 0.5)) / (w.width - 1.0) + 0.5;
    }
    case voi_function::linear_exact: {
        // C.11.2.1.3.2: x <= c - w/2 -> ymin; x > c + w/2 -> ymax; else ((x - c) / w + 0.5) * (ymax - ymin) + ymin.
        if (x <= w.center - w.width / 2.0) {
            return 0.0;
        }
        if (x > w.center + w.width / 2.0) {
            return 1.0;
        }
        return (x - w.center) / w.width + 0.5;
    }
    case voi_function::sigmoid:
        // C.11.2.1.3.1: y = (ymax - ymin) / (1 + exp(-4 (x - c) / w)) + ymin.
        return 1.0 / (1.0 + std::exp(-4.0 * (x - w.center) / w.width));
    }
    return 0.0;
}

bool parse_voi_function(std::string_view text, voi_function& out) noexcept {
    if (text == "LINEAR") {
        out = voi_function::linear;
    } else if (text == "LINEAR_EXACT") {
        out = voi_function::linear_exact;
    } else if (text == "SIGMOID") {
        out = voi_function::sigmoid;
    } else {
        return false;
    }
    return true;
}

} // namespace dicompix::render_detail
