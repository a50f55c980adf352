// SPDX-License-Identifier: BSD-3-Clause
// Every DICOM regression file in testdata/crashers/ (style.md §3.8 "crashers"; libspng tests/crashers/)
// goes through the whole read path — parse, frames, render, write — in a bounded child: it must give a
// result (an error is fine) without crashing, hanging or exceeding the memory bound. Files found by the
// DICOM-level fuzz targets carry the fuzzer's option byte at the end, so they are run both with and
// without it. Raw codestreams of the fuzz_decode_<codec> targets (fuzz-decode_<codec>-*) are replayed by
// their targets (ctest replay_fuzz_decode_<codec>, fuzz/CMakeLists.txt), not here.
#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "robustness/bounded.hpp"
#include "robustness/pipeline.hpp"

namespace dicompix::test {
namespace {

std::vector<std::string> crasher_names() {
    std::vector<std::string> out;
    const std::filesystem::path dir = std::filesystem::path(DICOMPIX_TESTDATA_DIR) / "crashers";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && entry.path().extension() != ".md" && !name.starts_with("fuzz-decode_")) {
            out.push_back(name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Crashers : public ::testing::TestWithParam<std::string> {};

TEST_P(Crashers, ReadPathFailsCleanly) {
    const auto path = std::filesystem::path(DICOMPIX_TESTDATA_DIR) / "crashers" / GetParam();
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> file(chars.size());
    std::memcpy(file.data(), chars.data(), chars.size());
    for (const bool strict : {false, true}) {
        for (const bool drop_option_byte : {false, true}) {
            std::span<const std::byte> input(file);
            if (drop_option_byte && !input.empty()) {
                input = input.first(input.size() - 1);
            }
            pipeline_options options;
            options.strict = strict;
            options.render = true;
            options.overlays = true;
            options.write = true;
            bounds b;
            b.memory_bytes = (std::uint64_t{256} << 20U) + 4 * file.size();
            b.cpu_seconds = 10;
            const bounded_result r = run_bounded(
                [&] {
                    const pipeline_outcome o = run_pipeline(input, options);
                    return child_outcome{o.packed(), std::string(to_string(o.failed)) + ": " + o.message};
                },
                b);
            SCOPED_TRACE(r.describe());
            EXPECT_EQ(r.how, bounded_result::ending::returned);
            EXPECT_LE(r.cpu_seconds, b.cpu_seconds * slow_build_factor());
            if (built_with_asan()) {
                EXPECT_LE(r.peak_heap, b.memory_bytes);
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Testdata, Crashers, ::testing::ValuesIn(crasher_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                             std::string name;
                             for (const char ch : p.param) {
                                 name += std::isalnum(static_cast<unsigned char>(ch)) != 0 ? ch : '_';
                             }
                             return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Crashers);

} // namespace
} // namespace dicompix::test
