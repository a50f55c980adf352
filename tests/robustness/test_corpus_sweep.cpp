// SPDX-License-Identifier: BSD-3-Clause
// Truncation and bit-flip sweeps over the real corpus (style.md §3.8 "truncation sweep"; OpenJPH
// test_truncated_decode.cpp): every corpus file is cut at several points and corrupted by bit flips, and
// each mutation is parsed, opened, decoded (frames 0 and 1), rendered and encoded to PNG. Nothing may
// crash, hang, throw or exceed the memory bound; errors are expected and fine.
//
// One forked child per corpus file (robustness/bounded.hpp) runs all its variants; when a child fails,
// each mutation is re-run alone to name the culprit, which is saved under <build>/sweep-failures/.
//
// Sampled by default (a few cuts and flips per file, ~1-2 minutes for the whole corpus in an optimised
// build). DICOMPIX_SWEEP=full runs the full sweep (tests/robustness/README.md); DICOMPIX_SWEEP_CUTS and
// DICOMPIX_SWEEP_FLIPS override the counts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "corpus/corpus.hpp"
#include "robustness/bounded.hpp"
#include "robustness/pipeline.hpp"

namespace dicompix::test {
namespace {

struct mutation {
    std::string what;          ///< "cut at 1234", "flip byte 56 bit 3", "flip 8 bits near 100"
    std::size_t cut{0};        ///< bytes kept (cuts); 0 for flips
    std::vector<std::pair<std::size_t, unsigned>> flips;
};

struct sweep_size {
    std::size_t cuts;
    std::size_t flips;
};

sweep_size configured_size() {
    sweep_size s{6, 6};
    if (const char* mode = std::getenv("DICOMPIX_SWEEP"); mode != nullptr && std::string(mode) == "full") {
        s = {64, 64};
    } else if (built_with_asan()) {
        s = {3, 3}; // the sanitizer build runs the same code paths ~10x slower
    }
    if (const char* cuts = std::getenv("DICOMPIX_SWEEP_CUTS"); cuts != nullptr) {
        s.cuts = std::strtoul(cuts, nullptr, 10);
    }
    if (const char* flips = std::getenv("DICOMPIX_SWEEP_FLIPS"); flips != nullptr) {
        s.flips = std::strtoul(flips, nullptr, 10);
    }
    return s;
}

/// Deterministic variants of a file of `size` bytes: half of the cuts and flips land in the first 4 KiB
/// (meta group, dataset, offset tables, codestream headers: where the parsing decisions are), half
/// anywhere; every third flip mutation flips 8 bits at once.
std::vector<mutation> variants_of(const std::string& name, std::size_t size, sweep_size n) {
    std::vector<mutation> out;
    if (size < 2) {
        return out;
    }
    std::seed_seq seed(name.begin(), name.end());
    std::mt19937_64 rng(seed);
    const std::size_t head = std::min<std::size_t>(size, 4096);
    const auto pick = [&](bool in_head) {
        return std::uniform_int_distribution<std::size_t>(0, (in_head ? head : size) - 1)(rng);
    };
    for (std::size_t i = 0; i < n.cuts; ++i) {
        mutation v;
        v.cut = i == 0 ? size - 1 : pick(i % 2 == 1);
        v.what = "cut at " + std::to_string(v.cut);
        out.push_back(std::move(v));
    }
    for (std::size_t i = 0; i < n.flips; ++i) {
        mutation v;
        const bool in_head = i % 2 == 0;
        const std::size_t count = i % 3 == 2 ? 8 : 1;
        v.what = "flip";
        for (std::size_t k = 0; k < count; ++k) {
            const std::size_t at = pick(in_head);
            const auto bit = static_cast<unsigned>(rng() % 8U);
            v.flips.emplace_back(at, bit);
            // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for " " + to_string(...).
            v.what += ' ';
            v.what += std::to_string(at);
            v.what += ':';
            v.what += std::to_string(bit);
        }
        out.push_back(std::move(v));
    }
    return out;
}

std::vector<std::byte> mutate(const std::vector<std::byte>& file, const mutation& v) {
    if (v.flips.empty()) {
        return {file.begin(), file.begin() + static_cast<std::ptrdiff_t>(v.cut)};
    }
    std::vector<std::byte> out = file;
    for (const auto& [at, bit] : v.flips) {
        out[at] ^= static_cast<std::byte>(1U << bit);
    }
    return out;
}

pipeline_options sweep_options() {
    pipeline_options o;
    o.max_frames = 2;
    o.render = true;
    return o;
}

/// Runs `list` in one bounded child: the worst CPU time of one mutation is the outcome's code (ms).
bounded_result run_variants(const std::vector<std::byte>& file, const std::vector<mutation>& list) {
    bounds b;
    b.memory_bytes = (std::uint64_t{512} << 20U) + 3 * file.size();
    b.cpu_seconds = 10.0 * static_cast<double>(std::max<std::size_t>(list.size(), 1));
    return run_bounded(
        [&] {
            double worst = 0;
            std::string worst_what;
            for (const mutation& v : list) {
                const auto mutated = mutate(file, v);
                const auto start = std::clock();
                (void)run_pipeline(mutated, sweep_options());
                const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
                if (seconds > worst) {
                    worst = seconds;
                    worst_what = v.what;
                }
            }
            return child_outcome{static_cast<int>(worst * 1000), "slowest mutation: " + worst_what};
        },
        b);
}

std::vector<std::string> corpus_paths() {
    std::vector<std::string> out;
    for (const auto& row : manifest()) {
        out.push_back(row.at("path"));
    }
    return out;
}

class CorpusSweep : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusSweep, CutsAndFlipsFailCleanly) {
    const auto path = corpus_dir() / GetParam();
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> file(chars.size());
    std::memcpy(file.data(), chars.data(), chars.size());
    const auto list = variants_of(GetParam(), file.size(), configured_size());
    RecordProperty("mutations", static_cast<int>(list.size()));

    const bounded_result r = run_variants(file, list);
    // Per mutation: at most 10 s of CPU (a hang shows up here or as a killed child).
    const double per_variant_bound = 10.0 * slow_build_factor();
    bool ok = r.how == bounded_result::ending::returned && r.outcome.code <= per_variant_bound * 1000 &&
              (!built_with_asan() || r.peak_heap <= (std::uint64_t{512} << 20U) + 3 * file.size());
    if (ok) {
        RecordProperty("slowest_ms", r.outcome.code);
        return;
    }
    // Name the culprit: each mutation alone.
    for (const mutation& v : list) {
        const bounded_result one = run_variants(file, {v});
        if (one.how != bounded_result::ending::returned || one.outcome.code > per_variant_bound * 1000 ||
            (built_with_asan() && one.peak_heap > (std::uint64_t{512} << 20U) + 3 * file.size())) {
            const std::filesystem::path dir = std::filesystem::path(DICOMPIX_BINARY_DIR) / "sweep-failures";
            std::filesystem::create_directories(dir);
            const auto saved = dir / (test_name(GetParam()) + ".dcm");
            const auto mutated = mutate(file, v);
            std::ofstream(saved, std::ios::binary)
                .write(reinterpret_cast<const char*>(mutated.data()), static_cast<std::streamsize>(mutated.size()));
            ADD_FAILURE() << v.what << ": " << one.describe() << " (input saved as " << saved.string() << ")";
            return;
        }
    }
    ADD_FAILURE() << "all variants together: " << r.describe();
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusSweep, ::testing::ValuesIn(corpus_paths()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return test_name(p.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CorpusSweep);

} // namespace
} // namespace dicompix::test
