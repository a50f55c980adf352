// SPDX-License-Identifier: BSD-3-Clause
// frame_cache: the hit path on 1 and 2 threads (one shard lock + LRU splice per call), and random access
// over more frames than the budget holds, from several threads, reporting the hit rate, the decodes and
// the peak of the charged bytes against the budget (which must stay below budget + one frame per thread).
#include <benchmark/benchmark.h>

#include <random>

#include "bench_support.hpp"
#include "dicompix/frame_cache.hpp"

namespace dicompix::bench {
namespace {

struct cache_input {
    dicom_file file;
    pixel_data pixels;
};

std::shared_ptr<cache_input> load(const std::string& name) {
    auto file = open_input(name);
    if (!file) {
        return nullptr;
    }
    auto in = std::make_shared<cache_input>();
    in->file = std::move(*file);
    auto p = pixel_data::open(in->file);
    if (!p) {
        return nullptr;
    }
    in->pixels = std::move(*p);
    return in;
}

// Shared between the benchmark threads of one run (Google Benchmark runs thread 0's setup first).
frame_cache* hit_cache = nullptr;

void bm_hits(benchmark::State& state, std::shared_ptr<cache_input> in) {
    constexpr std::uint32_t hot = 32;
    if (state.thread_index() == 0) {
        hit_cache = new frame_cache(std::uint64_t{1} << 30);
        for (std::uint32_t i = 0; i < hot; ++i) {
            (void)hit_cache->get(in->pixels, i);
        }
    }
    std::uint32_t i = static_cast<std::uint32_t>(state.thread_index()) * 7;
    for (auto _ : state) {
        auto f = hit_cache->get(in->pixels, i % hot);
        benchmark::DoNotOptimize(f);
        ++i;
    }
    if (state.thread_index() == 0) {
        const auto st = hit_cache->stats();
        state.counters["decodes"] = static_cast<double>(st.decodes);
        delete hit_cache;
        hit_cache = nullptr;
    }
}

frame_cache* random_cache = nullptr;

void bm_random_access(benchmark::State& state, std::shared_ptr<cache_input> in) {
    const std::uint64_t frame_bytes = in->pixels.info().decoded_frame_bytes().value_or(0);
    const std::uint32_t span = std::min<std::uint32_t>(in->pixels.frame_count(), 256);
    const std::uint64_t budget = frame_bytes * 64; // a quarter of the frames visited
    if (state.thread_index() == 0) {
        random_cache = new frame_cache(budget);
    }
    std::mt19937 rng(static_cast<std::uint32_t>(state.thread_index()) + 1);
    // Skewed access: half the calls go to 32 "hot" frames, half anywhere in the span.
    std::uniform_int_distribution<std::uint32_t> any(0, span - 1);
    std::uniform_int_distribution<std::uint32_t> hot(0, 31);
    std::uint64_t seen_peak = 0;
    for (auto _ : state) {
        const std::uint32_t i = (rng() & 1U) != 0 ? hot(rng) : any(rng);
        auto f = random_cache->get(in->pixels, i);
        if (!f) {
            state.SkipWithError(f.error().to_string().c_str());
            break;
        }
        seen_peak = std::max(seen_peak, random_cache->bytes());
        benchmark::DoNotOptimize(f);
    }
    if (state.thread_index() == 0) {
        const auto st = random_cache->stats();
        const double calls = static_cast<double>(st.hits + st.misses);
        state.counters["hit_rate"] = calls > 0 ? static_cast<double>(st.hits) / calls : 0;
        state.counters["decodes"] = static_cast<double>(st.decodes);
        state.counters["evictions"] = static_cast<double>(st.evictions);
        state.counters["peak_over_budget_frames"] =
            (static_cast<double>(st.peak_bytes) - static_cast<double>(budget)) / static_cast<double>(frame_bytes);
        state.SetLabel("budget " + std::to_string(budget >> 20) + " MiB, " + std::to_string(span) + " frames");
        delete random_cache;
        random_cache = nullptr;
    }
}

void register_all() {
    for (const std::string name : {"mf1000.rle.dcm", "mf1000.dcm", "ct.jls.dcm"}) {
        if (auto in = load(name)) {
            benchmark::RegisterBenchmark(("cache_hit/" + name).c_str(), bm_hits, in)
                ->Threads(1)
                ->Threads(2)
                ->UseRealTime();
            if (in->pixels.frame_count() >= 128 && in->pixels.encapsulated()) {
                benchmark::RegisterBenchmark(("cache_random_access/" + name).c_str(), bm_random_access, in)
                    ->Threads(1)
                    ->Threads(2)
                    ->Threads(4)
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);
            }
        }
    }
}

} // namespace
} // namespace dicompix::bench

int main(int argc, char** argv) {
    return dicompix::bench::main_with_inputs(argc, argv, dicompix::bench::register_all);
}
