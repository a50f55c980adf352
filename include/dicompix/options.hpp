// SPDX-License-Identifier: BSD-3-Clause
// dicompix: limits, parse options and the warning log. No global mutable state: every call that
// reads input takes its limits from here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dicompix {

/// Resource limits checked centrally before any allocation or loop driven by input values.
/// Defaults suit a server reading real files; fuzzers and tests set them much tighter.
struct limits {
    std::uint64_t max_value_length{std::uint64_t{1} << 32};  ///< one element's value (bytes)
    std::uint32_t max_sequence_depth{128};                   ///< nesting of sequences (items inside items)
    std::uint64_t max_elements{std::uint64_t{1} << 24};      ///< elements + items in one dataset, all levels
    std::uint64_t max_total_bytes{std::uint64_t{1} << 40};   ///< input bytes that will be parsed
    std::uint64_t max_inflated_bytes{std::uint64_t{1} << 29};///< output of inflating a deflated dataset or frame (512 MiB)
    std::uint32_t max_fragments{std::uint32_t{1} << 22};     ///< fragments in one encapsulated Pixel Data
    std::uint32_t max_frames{std::uint32_t{1} << 22};        ///< Number of Frames
    std::uint64_t max_frame_bytes{std::uint64_t{1} << 32};   ///< one decoded frame (bytes)
    std::uint64_t max_total_decoded_bytes{std::uint64_t{1} << 36}; ///< all frames of one pixel data (bytes)
    std::uint32_t max_jpeg_scans{256};                       ///< progressive JPEG scans per frame
    /// Parser warnings recorded per file; further ones are only counted, in one last warning (a file of
    /// a million stray delimiters would otherwise cost ~150 bytes of warning per 8 input bytes).
    std::uint32_t max_warnings{1000};
};

/// A leniency that was applied, or something odd worth knowing. Strict mode turns the recoverable
/// ones into errors; lenient mode records them here and carries on.
struct warning {
    std::uint64_t offset{~std::uint64_t{0}}; ///< byte offset in the source, or ~0 when not tied to one
    std::string tag_path;                    ///< e.g. "(0008,1140)[0]/(0008,1155)"; empty when not tied to one
    std::string message;
};

/// Options of the tag-stream parser.
struct parse_options {
    dicompix::limits limits{};
    /// Strict: reject every deviation from PS3.5 that lenient mode would recover from.
    bool strict{false};
    /// Stop at the first Pixel Data / Float / Double Float Pixel Data element of the top-level
    /// dataset (it is not recorded); everything before it is parsed.
    bool stop_before_pixel_data{false};
};

} // namespace dicompix
