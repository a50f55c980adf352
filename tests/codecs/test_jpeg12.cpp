// SPDX-License-Identifier: BSD-3-Clause
// JPEG Extended 12-bit (4.51) and the retired progressive syntaxes (4.53, 4.55) through DCMTK's IJG
// 12-bit build: decoded frames equal dcmdjpeg's output bit for bit (corpus files and streams made by
// dcmcjpeg), 8-bit streams are left to libjpeg-turbo, and truncated, corrupt or mismatching streams
// fail cleanly.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>

#include "codecs/jpeg_test_support.hpp"
#include "corpus/corpus.hpp"
#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::image_desc;
using test::samples;
using u16s = std::initializer_list<std::uint16_t>;

const frame_decoder* jpeg12() {
    return codec_registry::builtin().decoder("jpeg12/dcmtk");
}

#define REQUIRE_JPEG12()                                                                                       \
    do {                                                                                                       \
        if (jpeg12() == nullptr) {                                                                             \
            GTEST_SKIP() << "built without DICOMPIX_WITH_DCMTK";                                               \
        }                                                                                                      \
    } while (false)

#define REQUIRE_TOOLS()                                                                                        \
    do {                                                                                                       \
        if (!test::have_tool("dcmcjpeg") || !test::have_tool("dcmdjpeg")) {                                    \
            GTEST_SKIP() << "dcmcjpeg/dcmdjpeg (dcmtk) not installed";                                         \
        }                                                                                                      \
    } while (false)

/// dcmdjpeg's output read as raw 16-bit samples (DCMTK does not mask lossy overshoot above Bits
/// Stored), then as dicompix serves lossy 12-bit data with fewer Bits Stored: clamped to the range.
samples dcmdjpeg_samples(const std::filesystem::path& compressed) {
    test::temp_dir tmp;
    const auto out = tmp.path("n.dcm");
    EXPECT_TRUE(test::run("dcmdjpeg " + compressed.string() + " " + out.string())) << compressed;
    const auto file = read_file(out);
    EXPECT_TRUE(file) << file.error().to_string();
    if (!file) {
        return {};
    }
    const auto& ds = file->dataset();
    const element* pixels = ds.find(tags::PixelData);
    const auto bs = ds.find(tags::BitsStored)->get<std::uint16_t>(0).value_or(16);
    const bool is_signed = ds.find(tags::PixelRepresentation)->get<std::uint16_t>(0).value_or(0) == 1;
    const auto raw = pixels->bytes();
    samples s(raw.size() / 2);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const std::uint32_t v = std::to_integer<std::uint32_t>(raw[2 * i]) |
                                (std::to_integer<std::uint32_t>(raw[2 * i + 1]) << 8);
        if (is_signed) {
            const std::uint32_t m = v & ((1U << bs) - 1U);
            s[i] = static_cast<std::int64_t>(m) - ((m >> (bs - 1)) != 0 ? (std::int64_t{1} << bs) : 0);
        } else {
            s[i] = std::min<std::int64_t>(static_cast<std::int64_t>(v), (std::int64_t{1} << bs) - 1);
        }
    }
    return s;
}

std::size_t count_differences(const samples& a, const samples& b) {
    if (a.size() != b.size()) {
        return std::max(a.size(), b.size());
    }
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        n += a[i] != b[i] ? 1U : 0U;
    }
    return n;
}

TEST(Jpeg12, CorpusFilesMatchDcmdjpeg) {
    REQUIRE_JPEG12();
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "corpus absent";
    }
    int files = 0;
    for (const auto& row : test::manifest()) {
        if (row.at("transfer_syntax_uid") != uids::jpeg_extended || row.at("bits_allocated") != "16") {
            continue;
        }
        ++files;
        const auto path = dir / row.at("path");
        const auto ours = test::decode_path(path);
        ASSERT_TRUE(ours) << row.at("path") << ": " << ours.error().to_string();
        EXPECT_EQ(ours->codec, "jpeg12/dcmtk") << row.at("path");
        if (test::have_tool("dcmdjpeg")) {
            EXPECT_EQ(count_differences(ours->values, dcmdjpeg_samples(path)), 0U) << row.at("path");
        }
    }
    EXPECT_GE(files, 8);
}

/// Compresses `s` with dcmcjpeg and checks our decoding against dcmdjpeg's; returns the file.
bytes check_tool(const image_desc& d, const samples& s, const std::string& options, std::string_view want_uid) {
    test::temp_dir dir;
    const auto native = dir.path("in.dcm");
    const auto compressed = dir.path("jpeg.dcm");
    test::write_bytes(native, test::native_file(d, s));
    EXPECT_TRUE(test::run("dcmcjpeg " + options + " " + native.string() + " " + compressed.string())) << options;
    const bytes file = test::read_all(compressed);
    const auto parsed = read_bytes(byte_source::adopt(file));
    EXPECT_TRUE(parsed);
    if (!parsed) {
        return file;
    }
    EXPECT_EQ(parsed->transfer_syntax_uid(), want_uid) << options;
    const auto ours = test::decode_file(file);
    EXPECT_TRUE(ours) << options << ": " << ours.error().to_string();
    if (ours) {
        EXPECT_EQ(ours->codec, "jpeg12/dcmtk") << options;
        EXPECT_EQ(count_differences(ours->values, dcmdjpeg_samples(compressed)), 0U) << options;
        if (d.spp == 3) {
            EXPECT_EQ(ours->colour, photometric::rgb) << options;
        }
    }
    return file;
}

TEST(Jpeg12, DcmtkEncodedSequentialAndProgressive) {
    REQUIRE_JPEG12();
    REQUIRE_TOOLS();
    for (const std::uint16_t bs : u16s{12, 10}) {
        for (const std::uint16_t spp : u16s{1, 3}) {
            image_desc d;
            d.rows = 45;
            d.columns = 67;
            d.bs = bs;
            d.spp = spp;
            d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
            for (const bool smooth : {true, false}) {
                const samples s = smooth ? test::smooth_samples(d, bs) : test::random_samples(d, bs);
                check_tool(d, s, "+ee +q 85", uids::jpeg_extended);
                check_tool(d, s, "+ee +q 100 +s4", uids::jpeg_extended);
                check_tool(d, s, "+es", uids::jpeg_spectral_selection);
                check_tool(d, s, "+ep", uids::jpeg_full_progression);
            }
        }
    }
}

TEST(Jpeg12, EightBitStreamsAreNotOurs) {
    REQUIRE_JPEG12();
    REQUIRE_TOOLS();
    image_desc d;
    d.ba = 8;
    d.bs = 8;
    d.rows = 16;
    d.columns = 16;
    test::temp_dir dir;
    test::write_bytes(dir.path("in.dcm"), test::native_file(d, test::smooth_samples(d, 1)));
    ASSERT_TRUE(test::run("dcmcjpeg +ee " + dir.path("in.dcm").string() + " " + dir.path("j.dcm").string()));
    const bytes cs = test::first_codestream(test::read_all(dir.path("j.dcm")));
    const auto h = jpeg12()->read_header(cs, d.info());
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, errc::codestream_mismatch);
    const auto via_library = test::decode_path(dir.path("j.dcm"));
    if (via_library) {
        EXPECT_NE(via_library->codec, "jpeg12/dcmtk");
    }
}

struct made {
    image_desc d;
    bytes file;
    bytes codestream;
};

made make_stream(const std::string& options, std::uint16_t spp = 1) {
    made m;
    m.d.rows = 64;
    m.d.columns = 80;
    m.d.bs = 12;
    m.d.spp = spp;
    m.d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
    test::temp_dir dir;
    test::write_bytes(dir.path("in.dcm"), test::native_file(m.d, test::smooth_samples(m.d, 5)));
    EXPECT_TRUE(test::run("dcmcjpeg " + options + " " + dir.path("in.dcm").string() + " " + dir.path("j.dcm").string()));
    m.file = test::read_all(dir.path("j.dcm"));
    m.codestream = test::first_codestream(m.file);
    if (spp == 3) {
        m.d.pi = "YBR_FULL_422";
    }
    return m;
}

result<test::decoded> decode_codestream(const made& m, const bytes& cs, std::string_view uid = uids::jpeg_extended,
                                        pixel_options o = {}) {
    return test::decode_file(test::encapsulated_file(m.d, uid, {cs}), o);
}

bool clean_error(const result<test::decoded>& r) {
    return !r && (r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error ||
                  r.error().code == errc::codestream_mismatch || r.error().code == errc::limit_exceeded) &&
           !r.error().message.empty();
}

TEST(Jpeg12Adversarial, TruncationIsAnError) {
    REQUIRE_JPEG12();
    REQUIRE_TOOLS();
    for (const auto& [options, uid] : std::vector<std::pair<std::string, std::string_view>>{
             {"+ee", uids::jpeg_extended}, {"+ep", uids::jpeg_full_progression}}) {
        const made m = make_stream(options);
        const auto good = decode_codestream(m, m.codestream, uid);
        ASSERT_TRUE(good) << good.error().to_string();
        const std::size_t step = std::max<std::size_t>(1, m.codestream.size() / 150);
        for (std::size_t cut = 0; cut + 2 < m.codestream.size(); cut += step) {
            const bytes prefix(m.codestream.begin(), m.codestream.begin() + static_cast<std::ptrdiff_t>(cut));
            const auto r = decode_codestream(m, prefix, uid);
            EXPECT_TRUE(clean_error(r)) << options << " cut at " << cut;
            // Cut entropy data followed by EOI: IJG would pad with zeros; we must not.
            bytes with_eoi = prefix;
            with_eoi.push_back(std::byte{0xFF});
            with_eoi.push_back(std::byte{0xD9});
            const auto e = decode_codestream(m, with_eoi, uid);
            EXPECT_TRUE(clean_error(e)) << options << " cut at " << cut << " + EOI";
        }
    }
}

TEST(Jpeg12Adversarial, MismatchAndLimits) {
    REQUIRE_JPEG12();
    REQUIRE_TOOLS();
    made m = make_stream("+ee");
    made wrong = m;
    wrong.d.rows = 63;
    EXPECT_EQ(decode_codestream(wrong, m.codestream).error().code, errc::codestream_mismatch);
    wrong = m;
    wrong.d.spp = 3;
    wrong.d.pi = "RGB";
    EXPECT_EQ(decode_codestream(wrong, m.codestream).error().code, errc::codestream_mismatch);
    // Called directly with a mismatching description, the adapter refuses before the backend runs.
    frame_info info = m.d.info();
    info.columns = 81;
    bytes out(std::size_t{info.rows} * info.columns * 2);
    const auto direct = jpeg12()->decode(m.codestream, info, out, decode_options{});
    ASSERT_FALSE(direct);
    EXPECT_EQ(direct.error().code, errc::codestream_mismatch);
    // Progressive scans beyond the limit.
    const made p = make_stream("+ep");
    pixel_options few;
    few.limits.max_jpeg_scans = 2;
    const auto r = decode_codestream(p, p.codestream, uids::jpeg_full_progression, few);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::limit_exceeded);
}

TEST(Jpeg12Adversarial, RandomCorruptionNeverCrashes) {
    REQUIRE_JPEG12();
    REQUIRE_TOOLS();
    const made m = make_stream("+ee", 3);
    std::mt19937 rng(12);
    for (int i = 0; i < 300; ++i) {
        bytes b = m.codestream;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < flips; ++k) {
            b[rng() % b.size()] = static_cast<std::byte>(rng());
        }
        const auto r = decode_codestream(m, b);
        if (!r) {
            EXPECT_FALSE(r.error().message.empty());
        }
    }
}

TEST(Jpeg12, ConcurrentDecodes) {
    REQUIRE_JPEG12();
    REQUIRE_TOOLS();
    const made m = make_stream("+ee", 3);
    const auto reference = decode_codestream(m, m.codestream);
    ASSERT_TRUE(reference) << reference.error().to_string();
    std::array<bool, 4> ok{};
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < ok.size(); ++t) {
        threads.emplace_back([&, t] {
            bool good = true;
            for (int i = 0; i < 10; ++i) {
                const auto r = decode_codestream(m, m.codestream);
                good = good && r && r->values == reference->values;
            }
            ok[t] = good;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const bool b : ok) {
        EXPECT_TRUE(b);
    }
}

} // namespace
} // namespace dicompix
