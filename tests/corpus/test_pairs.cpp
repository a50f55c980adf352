// SPDX-License-Identifier: BSD-3-Clause
// PAIRS.tsv: every compressed (or byte-order / VR / deflate variant) corpus file decodes to its
// uncompressed reference: exactly for `exact` rows, no worse than the recorded max |diff| and PSNR for
// `approximate` rows. YBR samples are converted to RGB on both sides first, as the pairs were verified.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "corpus/corpus.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"

namespace dicompix {
namespace {

struct decoded {
    std::vector<double> samples;
    std::uint32_t frames{0};
    std::uint32_t rows{0};
    std::uint32_t columns{0};
    std::uint16_t spp{0};
};

result<decoded> decode_all(const std::filesystem::path& path) {
    DICOMPIX_TRY(const dicom_file file, read_file(path));
    DICOMPIX_TRY(const pixel_data pixels, pixel_data::open(file));
    decoded out;
    out.frames = pixels.frame_count();
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        DICOMPIX_TRY(any_frame f, pixels.frame(i));
        const photometric pi = f.meta().photometric_interpretation;
        if (pi != photometric::rgb && f.samples_per_pixel() == 3) {
            DICOMPIX_TRY_VOID(convert_to_rgb(f, pixels.info().bits_stored));
        }
        out.rows = f.rows();
        out.columns = f.columns();
        out.spp = f.samples_per_pixel();
        f.visit([&](const auto& frame) {
            for (const auto v : frame.samples()) {
                out.samples.push_back(static_cast<double>(v));
            }
        });
    }
    return out;
}

struct pair_case {
    std::map<std::string, std::string> row;
};

std::vector<pair_case> cases() {
    std::vector<pair_case> out;
    for (const auto& row : test::pairs()) {
        out.push_back({row});
    }
    return out;
}

class CorpusPairs : public ::testing::TestWithParam<pair_case> {};

TEST_P(CorpusPairs, DecodesToReference) {
    const auto& row = GetParam().row;
    const auto dir = test::corpus_dir();
    const auto compressed = decode_all(dir / row.at("compressed_path"));
    ASSERT_TRUE(compressed) << row.at("compressed_path") << ": " << compressed.error().to_string();
    const auto reference = decode_all(dir / row.at("reference_path"));
    ASSERT_TRUE(reference) << row.at("reference_path") << ": " << reference.error().to_string();
    ASSERT_EQ(compressed->frames, reference->frames);
    ASSERT_EQ(compressed->rows, reference->rows);
    ASSERT_EQ(compressed->columns, reference->columns);
    ASSERT_EQ(compressed->spp, reference->spp);
    ASSERT_EQ(compressed->samples.size(), reference->samples.size());
    const auto& a = compressed->samples;
    const auto& b = reference->samples;
    double max_diff = 0;
    double sum_sq = 0;
    std::size_t differing = 0;
    std::size_t first_diff = a.size();
    double lo = b.empty() ? 0 : b[0];
    double hi = lo;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(a[i] - b[i]);
        if (d != 0) {
            ++differing;
            first_diff = std::min(first_diff, i);
        }
        max_diff = std::max(max_diff, d);
        sum_sq += d * d;
        lo = std::min(lo, b[i]);
        hi = std::max(hi, b[i]);
    }
    if (row.at("expected_match") == "exact") {
        EXPECT_EQ(differing, 0U) << "max |diff| " << max_diff << ", first at sample " << first_diff << " ("
                                 << (first_diff < a.size() ? a[first_diff] : 0) << " vs "
                                 << (first_diff < b.size() ? b[first_diff] : 0) << ")";
        return;
    }
    // "max|diff|=6; PSNR=46.6 dB (peak=reference range); ..."
    const std::string measured = row.at("measured");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(measured, m, std::regex(R"(max\|diff\|=([0-9.]+); PSNR=([0-9.]+))")))
        << measured;
    const double allowed_max = std::stod(m[1].str());
    const double recorded_psnr = std::stod(m[2].str());
    const double mse = sum_sq / static_cast<double>(a.size());
    const double peak = hi - lo;
    const double psnr = mse == 0 ? 1000.0 : 10.0 * std::log10(peak * peak / mse);
    EXPECT_LE(max_diff, allowed_max) << "PSNR " << psnr << " dB";
    // The recorded PSNR is rounded to 0.1 dB.
    EXPECT_GE(psnr, recorded_psnr - 0.05) << "max |diff| " << max_diff;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusPairs, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<pair_case>& param_info) {
                             // A compressed file may pair with several references: the index keeps names unique.
                             return test::test_name(param_info.param.row.at("compressed_path")) + "_" +
                                    std::to_string(param_info.index);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CorpusPairs);

TEST(CorpusPairsPresence, CorpusAvailable) {
    if (test::corpus_dir().empty()) {
        GTEST_SKIP() << "../shared/corpus is absent: corpus pair tests skipped";
    }
    EXPECT_GT(test::pairs().size(), 100U);
}

} // namespace
} // namespace dicompix
