// SPDX-License-Identifier: BSD-3-Clause
// Replay main for the fuzz targets when they are not linked with libFuzzer (GCC builds, CI): runs
// LLVMFuzzerTestOneInput once on every file named on the command line, recursing into directories
// (sorted, so runs are reproducible). A crash or a failed invariant aborts with the file name printed
// first; otherwise it prints how many files ran and exits 0. Missing paths are skipped with a note (the
// crasher directory may be empty in a fresh checkout).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

std::vector<std::filesystem::path> collect(const std::filesystem::path& p) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(p, ec)) {
            // Regression files only: README.md and other notes live beside them.
            if (entry.is_regular_file() && entry.path().extension() != ".md") {
                out.push_back(entry.path());
            }
        }
        std::sort(out.begin(), out.end());
    } else if (std::filesystem::is_regular_file(p, ec)) {
        out.push_back(p);
    } else {
        std::fprintf(stderr, "replay: %s does not exist; skipped\n", p.string().c_str());
    }
    return out;
}

} // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize != nullptr) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    std::size_t count = 0;
    double slowest = 0;
    std::string slowest_name;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.starts_with("-")) {
            continue; // libFuzzer flags (e.g. -runs=) are accepted and ignored
        }
        for (const auto& path : collect(arg)) {
            std::ifstream in(path, std::ios::binary);
            const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.string().c_str(), bytes.size());
            const auto start = std::chrono::steady_clock::now();
            // A copy in a buffer of exactly the input's size, as libFuzzer does, so ASan sees overreads.
            std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
            exact.shrink_to_fit();
            LLVMFuzzerTestOneInput(exact.data(), exact.size());
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (seconds > slowest) {
                slowest = seconds;
                slowest_name = path.string();
            }
            ++count;
        }
    }
    std::printf("replayed %zu inputs; slowest %.3f s (%s)\n", count, slowest, slowest_name.c_str());
    return 0;
}
