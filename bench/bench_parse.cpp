// SPDX-License-Identifier: BSD-3-Clause
// Metadata: read_file (map + parse everything but pixel values), the same stopping before Pixel Data, and
// pixel_data::open (validate the Image Pixel module and index the frames), for every input file.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include "bench_support.hpp"

namespace dicompix::bench {
namespace {

void bm_parse(benchmark::State& state, std::filesystem::path path, bool stop_before_pixels) {
    parse_options options;
    options.stop_before_pixel_data = stop_before_pixels;
    std::size_t elements = 0;
    for (auto _ : state) {
        auto file = read_file(path, options);
        if (!file) {
            state.SkipWithError(file.error().to_string().c_str());
            return;
        }
        elements = file->dataset().size();
        benchmark::DoNotOptimize(elements);
    }
    state.counters["elements"] = static_cast<double>(elements);
    state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
}

void bm_open_pixels(benchmark::State& state, std::filesystem::path path) {
    auto file = read_file(path);
    if (!file) {
        state.SkipWithError(file.error().to_string().c_str());
        return;
    }
    std::uint32_t frames = 0;
    for (auto _ : state) {
        auto pixels = pixel_data::open(*file);
        if (!pixels) {
            state.SkipWithError(pixels.error().to_string().c_str());
            return;
        }
        frames = pixels->frame_count();
        benchmark::DoNotOptimize(frames);
    }
    state.counters["frames"] = frames;
}

/// Every file of the corpus (MANIFEST.tsv of $DICOMPIX_CORPUS or ../shared/corpus), parsed once per
/// iteration; counters give the slowest file (of the fastest of the iterations per file) and the median.
void bm_corpus(benchmark::State& state, std::filesystem::path corpus, std::vector<std::filesystem::path> files) {
    std::vector<double> best(files.size(), 1e9);
    std::size_t failed = 0;
    for (auto _ : state) {
        failed = 0;
        for (std::size_t i = 0; i < files.size(); ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            auto file = read_file(files[i]);
            const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
            failed += file ? 0U : 1U;
            best[i] = std::min(best[i], us);
        }
    }
    std::vector<double> sorted = best;
    std::sort(sorted.begin(), sorted.end());
    const auto worst = static_cast<std::size_t>(std::max_element(best.begin(), best.end()) - best.begin());
    state.counters["files"] = static_cast<double>(files.size());
    state.counters["not_parsed"] = static_cast<double>(failed);
    state.counters["max_us"] = sorted.back();
    state.counters["median_us"] = sorted[sorted.size() / 2];
    state.counters["p99_us"] = sorted[sorted.size() * 99 / 100];
    state.SetLabel("slowest: " + std::filesystem::relative(files[worst], corpus).string());
}

void register_all() {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(inputs_dir(), ec)) {
        if (e.path().extension() == ".dcm") {
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
        const std::string name = p.filename().string();
        benchmark::RegisterBenchmark(("parse/" + name).c_str(), bm_parse, p, false)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("parse_stop_before_pixels/" + name).c_str(), bm_parse, p, true)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("frame_index/" + name).c_str(), bm_open_pixels, p)->Unit(benchmark::kMicrosecond);
    }
    const char* env = std::getenv("DICOMPIX_CORPUS");
    const std::filesystem::path corpus = env != nullptr
                                             ? std::filesystem::path(env)
                                             : std::filesystem::path(DICOMPIX_SOURCE_DIR) / ".." / "shared" / "corpus";
    std::ifstream manifest(corpus / "MANIFEST.tsv");
    std::vector<std::filesystem::path> corpus_files;
    std::string line;
    std::getline(manifest, line); // header
    while (std::getline(manifest, line)) {
        const auto tab = line.find('\t');
        if (tab != std::string::npos) {
            corpus_files.push_back(corpus / line.substr(0, tab));
        }
    }
    if (!corpus_files.empty()) {
        benchmark::RegisterBenchmark("parse_corpus", bm_corpus, corpus, corpus_files)
            ->Unit(benchmark::kMillisecond)
            ->Iterations(20);
    }
}

} // namespace
} // namespace dicompix::bench

int main(int argc, char** argv) {
    return dicompix::bench::main_with_inputs(argc, argv, dicompix::bench::register_all);
}
