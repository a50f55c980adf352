// SPDX-License-Identifier: BSD-3-Clause
// Shared by the Google Benchmark programs: where the inputs are (bench/make_inputs.py OUTDIR), a main that
// takes --inputs=DIR before Google Benchmark's own flags, and a builder of small native files in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"

namespace dicompix::bench {

/// The inputs directory: --inputs=DIR, else $DICOMPIX_BENCH_INPUTS, else /tmp/dpx-bench.
[[nodiscard]] const std::filesystem::path& inputs_dir();
/// inputs_dir() / name when it exists.
[[nodiscard]] std::optional<std::filesystem::path> input(const std::string& name);
/// read_file of an input, or nullopt (missing or unreadable: the benchmark is not registered).
[[nodiscard]] std::optional<dicom_file> open_input(const std::string& name);

/// Parses --inputs=DIR, initialises Google Benchmark, calls `register_all` (which registers the benchmarks
/// whose inputs exist) and runs them. Returns the process exit status.
int main_with_inputs(int argc, char** argv, void (*register_all)());

/// The description of a native test file made by native_file().
struct native_spec {
    std::uint32_t rows{512};
    std::uint32_t columns{512};
    std::uint16_t samples{1};
    std::uint16_t bits_allocated{16};
    std::uint16_t bits_stored{16};
    bool is_signed{false};
    std::uint32_t frames{1};
    bool big_endian{false};
    std::uint16_t planar{0};
    std::string photometric{"MONOCHROME2"};
};
/// A Part 10 file (Explicit VR Little or Big Endian) holding `pixels` as native Pixel Data, as bytes.
[[nodiscard]] std::vector<std::byte> native_file(const native_spec& spec, std::span<const std::byte> pixels);

/// XOR of the 64-bit words of `bytes`: touches every byte so that the compiler cannot skip a read.
[[nodiscard]] std::uint64_t fold(std::span<const std::byte> bytes) noexcept;

} // namespace dicompix::bench
