// SPDX-License-Identifier: BSD-3-Clause
// Changed-frame byte identity on real files: for every multi-frame encapsulated corpus file, change one frame
// (decode it, alter a block of samples, pixel_edits::replace), write in the same transfer syntax, read back,
// and check that every other frame's fragments are byte-identical to the source's, that the changed frame
// decodes to the new samples (exactly for lossless syntaxes; close for lossy ones, which are marked lossy),
// and that the untouched frames decode as before. Frames that the syntax's encoder cannot carry (1-bit into
// JPEG 2000) make the write fail with cannot_encode instead.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "corpus/corpus.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "dicompix/writer.hpp"

namespace dicompix {
namespace {

struct corpus_case {
    std::string path;
    std::uint32_t frames{0};
};

/// Multi-frame encapsulated files of the manifest.
std::vector<corpus_case> multiframe_encapsulated() {
    std::vector<corpus_case> out;
    for (const auto& row : test::manifest()) {
        const auto& frames = row.at("frames");
        const auto& fragments = row.at("fragments");
        if (frames.empty() || fragments.empty() || frames.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const auto n = static_cast<std::uint32_t>(std::stoul(frames));
        if (n > 1) {
            out.push_back({row.at("path"), n});
        }
    }
    return out;
}

/// The lossy syntaxes whose re-encoded frame can only be close to the edit.
bool lossy_syntax(std::string_view uid) {
    return uid == "1.2.840.10008.1.2.4.50" || uid == "1.2.840.10008.1.2.4.51" || uid == "1.2.840.10008.1.2.4.81" ||
           uid == "1.2.840.10008.1.2.4.91" || uid == "1.2.840.10008.1.2.4.203";
}

/// Replaces a block of about a quarter of the frame (every sample) by a ramp that stays inside Bits Stored,
/// so the changed frame is still a valid, normalised frame of the description.
void edit_block(any_frame& frame, const frame_info& info) {
    const std::uint32_t x1 = std::max(1U, frame.columns() / 2);
    const std::uint32_t y1 = std::max(1U, frame.rows() / 2);
    frame.visit([&](auto& f) {
        using T = typename std::decay_t<decltype(f)>::value_type;
        double lo = 0;
        double hi = 1;
        if constexpr (std::is_integral_v<T>) {
            const unsigned bits = info.bits_allocated == 1 ? 1U : info.bits_stored;
            if (info.is_signed) {
                lo = -std::ldexp(1.0, static_cast<int>(bits) - 1);
                hi = std::ldexp(1.0, static_cast<int>(bits) - 1) - 1;
            } else {
                hi = std::ldexp(1.0, static_cast<int>(bits)) - 1;
            }
        }
        for (std::uint32_t y = 0; y < y1; ++y) {
            for (std::uint32_t x = 0; x < x1; ++x) {
                for (std::uint16_t s = 0; s < f.samples_per_pixel(); ++s) {
                    // A smooth ramp (lossy codecs reproduce it closely) from lo to hi.
                    const double t = static_cast<double>(x + y) / static_cast<double>(x1 + y1);
                    f.set(x, y, s, static_cast<T>(std::floor(lo + t * (hi - lo))));
                }
            }
        }
    });
}

std::vector<double> as_doubles(const any_frame& f) {
    std::vector<double> out;
    f.visit([&](const auto& fr) {
        for (const auto v : fr.samples()) {
            out.push_back(static_cast<double>(v));
        }
    });
    return out;
}

bool same_fragments(const pixel_data& a, std::uint32_t i, const pixel_data& b) {
    const auto fa = a.frame_index()[i];
    const auto fb = b.frame_index()[i];
    if (fa.count != fb.count) {
        return false;
    }
    for (std::uint32_t k = 0; k < fa.count; ++k) {
        const auto x = a.fragments()[fa.first + k].bytes;
        auto y = b.fragments()[fb.first + k].bytes;
        // The writer pads an odd-length fragment to even length (PS3.5 §A.4).
        if ((x.size() & 1U) != 0 && y.size() == x.size() + 1) {
            y = y.first(x.size());
        }
        if (!std::ranges::equal(x, y)) {
            return false;
        }
    }
    return true;
}

/// A string value without its padding ("" when absent).
std::string text(const dataset& ds, tag t) {
    const element* e = ds.find(t);
    std::string s = e != nullptr ? std::string(e->raw_string()) : std::string{};
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) {
        s.pop_back();
    }
    return s;
}

class ChangedFrameCorpus : public ::testing::TestWithParam<corpus_case> {};

TEST_P(ChangedFrameCorpus, OtherFramesKeepTheirFragments) {
    const corpus_case c = GetParam();
    auto file = read_file(test::corpus_dir() / c.path);
    ASSERT_TRUE(file) << file.error().to_string();
    auto opened = pixel_data::open(*file);
    if (!opened) {
        GTEST_SKIP() << "pixel data does not open (covered elsewhere): " << opened.error().to_string();
    }
    const pixel_data& pixels = *opened;
    if (!pixels.encapsulated()) {
        GTEST_SKIP() << "native";
    }
    const std::string uid(file->transfer_syntax_uid());
    ASSERT_GT(pixels.frame_count(), 1U);
    std::vector<any_frame> before;
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        auto f = pixels.frame(i);
        if (!f) {
            GTEST_SKIP() << "frame " << i << " does not decode (a malformed file, covered by the pixel tests): "
                         << f.error().to_string();
        }
        before.push_back(std::move(*f));
    }
    // A middle frame, so that frames before and after it are copied.
    const std::uint32_t k = pixels.frame_count() / 2;
    any_frame changed = before[k];
    edit_block(changed, pixels.info());
    ASSERT_TRUE(changed.modified());
    pixel_edits edits(pixels);
    ASSERT_TRUE(edits.replace(k, changed));

    memory_sink sink;
    const auto report = write(*file, sink, {}, &edits);
    if (pixels.info().bits_allocated == 1 && (uid == "1.2.840.10008.1.2.4.90" || uid == "1.2.840.10008.1.2.4.91")) {
        // The JPEG 2000 encoder takes 8- and 16-bit samples: a 1-bit frame cannot be re-encoded.
        ASSERT_FALSE(report);
        EXPECT_EQ(report.error().code, errc::cannot_encode) << report.error().to_string();
        return;
    }
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->transfer_syntax_uid, uid);
    EXPECT_EQ(report->frames_encoded, 1U);
    EXPECT_EQ(report->frames_copied, pixels.frame_count() - 1);

    auto again = read_bytes(byte_source::adopt(std::move(sink.bytes())));
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->transfer_syntax_uid(), uid);
    auto reread = pixel_data::open(*again);
    ASSERT_TRUE(reread) << reread.error().to_string();
    ASSERT_EQ(reread->frame_count(), pixels.frame_count());
    ASSERT_EQ(reread->frame_index().size(), pixels.frame_count());
    // A source with a Basic Offset Table keeps frames locatable by one (offsets recomputed).
    if (pixels.index_method() == frame_index_method::basic_offset_table) {
        EXPECT_EQ(reread->index_method(), frame_index_method::basic_offset_table);
    }
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        if (i == k) {
            continue;
        }
        EXPECT_TRUE(same_fragments(pixels, i, *reread)) << "frame " << i << " fragments changed";
        auto f = reread->frame(i);
        ASSERT_TRUE(f) << "frame " << i << ": " << f.error().to_string();
        EXPECT_TRUE(std::ranges::equal(f->bytes(), before[i].bytes())) << "frame " << i << " decodes differently";
    }
    auto got = reread->frame(k);
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_EQ(got->type(), changed.type());
    if (!lossy_syntax(uid)) {
        EXPECT_TRUE(std::ranges::equal(got->bytes(), changed.bytes())) << "changed frame " << k << " not reproduced";
        EXPECT_FALSE(report->lossy);
    } else {
        // Close to the edit (PSNR over Bits Stored), and marked lossy (PS3.3 C.7.6.1.1.5).
        const auto a = as_doubles(changed);
        const auto b = as_doubles(*got);
        ASSERT_EQ(a.size(), b.size());
        double mse = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            mse += (a[i] - b[i]) * (a[i] - b[i]);
        }
        mse /= static_cast<double>(a.size());
        const double peak = std::ldexp(1.0, pixels.info().bits_stored) - 1;
        const double psnr = mse == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(peak * peak / mse);
        EXPECT_GT(psnr, 30.0) << "changed frame " << k;
        EXPECT_TRUE(report->lossy);
        EXPECT_EQ(text(again->dataset(), tags::LossyImageCompression), "01");
        EXPECT_NE(text(again->dataset(), tags::SOPInstanceUID), text(file->dataset(), tags::SOPInstanceUID));
    }
}

INSTANTIATE_TEST_SUITE_P(Corpus, ChangedFrameCorpus, ::testing::ValuesIn(multiframe_encapsulated()),
                         [](const ::testing::TestParamInfo<corpus_case>& p) { return test::test_name(p.param.path); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ChangedFrameCorpus);

} // namespace
} // namespace dicompix
