// SPDX-License-Identifier: BSD-3-Clause
// dicompix_read: the whole-process reader of bench/compare_peers.py. Reads a file and visits every frame
// (decoding it, touching every byte), like a program that consumes frames without writing them.
//
//   dicompix_read FILE [-j N] [--meta] [--keep-pages] [--ordered]
//     --meta        parse only (stop before Pixel Data) and print the element count
//     -j N          decode frames on N threads (default 1)
//     --keep-pages  do not release the mapped pages of visited frames (shows the page-cache cost in RSS)
//     --ordered     hand frames over in order (for_each_frame_ordered) instead of as they finish
// Prints one line: frames, decoded bytes, an XOR checksum of the samples, and the seconds taken.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "bench_support.hpp"

int main(int argc, char** argv) {
    using namespace dicompix;
    const char* path = nullptr;
    std::uint32_t threads = 1;
    bool meta = false;
    bool keep = false;
    bool ordered = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "-j" && i + 1 < argc) {
            threads = static_cast<std::uint32_t>(std::strtoul(argv[++i], nullptr, 10));
        } else if (a == "--meta") {
            meta = true;
        } else if (a == "--keep-pages") {
            keep = true;
        } else if (a == "--ordered") {
            ordered = true;
        } else {
            path = argv[i];
        }
    }
    if (path == nullptr) {
        std::fprintf(stderr, "usage: dicompix_read FILE [-j N] [--meta] [--keep-pages] [--ordered]\n");
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();
    parse_options popt;
    popt.stop_before_pixel_data = meta;
    auto file = read_file(path, popt);
    if (!file) {
        std::fprintf(stderr, "dicompix_read: %s\n", file.error().to_string().c_str());
        return 1;
    }
    if (meta) {
        std::printf("elements %zu\n", file->dataset().size());
        return 0;
    }
    auto pixels = pixel_data::open(*file);
    if (!pixels) {
        std::fprintf(stderr, "dicompix_read: %s\n", pixels.error().to_string().c_str());
        return 1;
    }
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> sum{0};
    const auto visit = [&](std::uint32_t i, any_frame&& f) -> result<void> {
        sum.fetch_xor(bench::fold(f.bytes()), std::memory_order_relaxed);
        bytes.fetch_add(f.bytes().size(), std::memory_order_relaxed);
        if (!keep) {
            pixels->release_pages(i, i + 1);
        }
        return {};
    };
    const auto done =
        ordered ? for_each_frame_ordered(*pixels, threads, visit) : for_each_frame(*pixels, threads, visit);
    if (!done) {
        std::fprintf(stderr, "dicompix_read: %s\n", done.error().to_string().c_str());
        return 1;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("frames %u bytes %llu checksum %016llx seconds %.4f\n", pixels->frame_count(),
                static_cast<unsigned long long>(bytes.load()), static_cast<unsigned long long>(sum.load()), s);
    return 0;
}
