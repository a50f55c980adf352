// SPDX-License-Identifier: BSD-3-Clause
// The whole read path a user runs on a file — parse, open the pixel data, decode frames, render, write
// back — as one call that reports the first failure and every warning, for the adversarial suite and the
// corpus sweeps (tests/robustness/README.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dicompix/options.hpp"

namespace dicompix::test {

/// Where the first error happened.
enum class stage : std::uint8_t { none = 0, parse = 1, pixels = 2, decode = 3, render = 4, write = 5 };
[[nodiscard]] const char* to_string(stage s) noexcept;

struct pipeline_options {
    bool strict{false};
    dicompix::limits limits{};
    std::uint32_t max_frames{4}; ///< frames decoded (from frame 0)
    bool render{false};          ///< display pipeline + frame 0 to 8-bit + PNG in memory
    bool overlays{false};        ///< burn in overlays when rendering
    bool write{false};           ///< write to memory (same transfer syntax) and parse the result again
};

struct pipeline_outcome {
    stage failed{stage::none};
    int code{0};              ///< errc of the failure (0: none)
    std::string message;      ///< the error's to_string()
    std::string warnings;     ///< every warning of every stage, one per line
    std::uint32_t frames_decoded{0};
    std::uint32_t frame_count{0};

    /// Packs stage and code into one int (stage * 1000 + errc) for run_bounded.
    [[nodiscard]] int packed() const noexcept { return static_cast<int>(failed) * 1000 + code; }
};

/// Runs the read path on `bytes` (copied into a buffer the library owns).
[[nodiscard]] pipeline_outcome run_pipeline(std::span<const std::byte> bytes, const pipeline_options& options);

} // namespace dicompix::test
