// SPDX-License-Identifier: BSD-3-Clause
// JPEG-LS through CharLS (4.80, 4.81): corpus files decoded as dcmdjpls (or GDCM) decodes them, lossless
// round trips over 2-16 bits, signed data with Bits Stored < Bits Allocated (pydicom #2009), 8-bit
// streams in 16-bit slots, near-lossless with its error bound (and the signed case of dcm4che #656),
// codestreams from dcmcjpls and CharLS itself (interleave none/line/sample, HP colour transforms), our
// streams decoded by dcmdjpls, and adversarial input: truncation at every cut point, corruption,
// dimension/precision mismatches, huge declared sizes, data after the scan.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <charls/charls.h>
#pragma GCC diagnostic pop

#include "codecs/jpeg_test_support.hpp"
#include "corpus/corpus.hpp"
#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::image_desc;
using test::samples;

constexpr std::string_view lossless = uids::jpeg_ls_lossless;
constexpr std::string_view near_lossless = uids::jpeg_ls_near_lossless;
constexpr std::string_view codec_name = "jpeg-ls/charls";

const frame_decoder& decoder() {
    const frame_decoder* d = codec_registry::builtin().decoder(codec_name);
    EXPECT_NE(d, nullptr);
    return *d;
}
const frame_encoder& encoder() {
    const frame_encoder* e = codec_registry::builtin().encoder(codec_name);
    EXPECT_NE(e, nullptr);
    return *e;
}

image_desc desc(std::uint16_t rows, std::uint16_t columns, std::uint16_t spp, std::uint16_t ba, std::uint16_t bs,
                bool is_signed = false) {
    image_desc d;
    d.rows = rows;
    d.columns = columns;
    d.spp = spp;
    d.ba = ba;
    d.bs = bs;
    d.is_signed = is_signed;
    d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
    return d;
}

result<encoded_frame> encode(const image_desc& d, const samples& s, std::string_view uid, double quality = 0) {
    encode_options o;
    o.quality = quality;
    return encoder().encode(test::to_frame_bytes(d, s), d.info(), uid, o);
}

result<decode_report> decode_direct(const bytes& cs, const frame_info& info, bytes& out, bool strict = false) {
    out.assign(info.decoded_frame_bytes().value(), std::byte{0});
    const limits lim;
    decode_options o;
    o.strict = strict;
    o.limits = &lim;
    return decoder().decode(cs, info, out, o);
}

std::int64_t max_error(const samples& a, const samples& b) {
    if (a.size() != b.size()) {
        return std::numeric_limits<std::int64_t>::max();
    }
    std::int64_t m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        m = std::max(m, std::abs(a[i] - b[i]));
    }
    return m;
}

/// Encodes with CharLS directly (features our encoder never writes: interleave none/line, HP transforms).
bytes charls_encode(const image_desc& d, const samples& s, charls::interleave_mode ilv,
                    charls::color_transformation transform = charls::color_transformation::none, int near = 0) {
    const std::size_t width = d.bs <= 8 ? 1 : 2;
    const std::size_t pixels = std::size_t{d.rows} * d.columns;
    bytes src(s.size() * width);
    const std::uint64_t mask = (std::uint64_t{1} << d.bs) - 1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        // Interleave none takes planes; line and sample take pixel-interleaved samples.
        const std::size_t at = ilv == charls::interleave_mode::none ? (i % d.spp) * pixels + i / d.spp : i;
        const auto v = static_cast<std::uint16_t>(static_cast<std::uint64_t>(s[i]) & mask);
        if (width == 1) {
            src[at] = static_cast<std::byte>(v);
        } else {
            std::memcpy(src.data() + 2 * at, &v, 2);
        }
    }
    charls::jpegls_encoder e;
    e.frame_info({d.columns, d.rows, d.bs, d.spp}).interleave_mode(ilv).color_transformation(transform).near_lossless(
        near);
    bytes out(e.estimated_destination_size());
    e.destination(out);
    const std::size_t written = e.encode(src);
    out.resize(written);
    return out;
}

/// Runs a DCMTK/GDCM decompressor on a file and decodes its native output.
result<test::decoded> tool_decode(const std::string& command, const std::filesystem::path& in) {
    test::temp_dir tmp;
    const auto out = tmp.path("out.dcm");
    if (!test::run(command + " " + in.string() + " " + out.string())) {
        return failure(errc::codec_error, command + " failed on " + in.string());
    }
    return test::decode_path(out);
}

std::size_t marker_at(const bytes& cs, int marker) {
    std::size_t at = 2;
    while (at + 4 <= cs.size() && cs[at] == std::byte{0xFF}) {
        if (static_cast<int>(cs[at + 1]) == marker) {
            return at;
        }
        if (cs[at + 1] == std::byte{0xDA}) {
            break;
        }
        at += 2 + ((static_cast<std::size_t>(cs[at + 2]) << 8) | static_cast<std::size_t>(cs[at + 3]));
    }
    return 0;
}

// ---- registration and corpus -------------------------------------------------------------------------

TEST(JpegLs, Registered) {
    const frame_info info = desc(8, 8, 1, 16, 12).info();
    EXPECT_TRUE(decoder().can_decode(lossless, info));
    EXPECT_TRUE(decoder().can_decode(near_lossless, info));
    EXPECT_FALSE(decoder().can_decode(uids::jpeg_baseline, info));
    const auto found = codec_registry::builtin().decoders_for(lossless, info);
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found.front()->name(), codec_name);
    ASSERT_FALSE(codec_registry::builtin().encoders_for(near_lossless, info).empty());
}

TEST(JpegLs, CorpusMatchesDcmdjplsOrGdcm) {
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    if (!test::have_tool("dcmdjpls") || !test::have_tool("gdcmconv")) {
        GTEST_SKIP() << "dcmdjpls (dcmtk) or gdcmconv (libgdcm-tools) not installed";
    }
    int checked = 0;
    for (const auto& row : test::manifest()) {
        const std::string ts = row.at("transfer_syntax_uid");
        if (ts != lossless && ts != near_lossless) {
            continue;
        }
        const auto path = dir / row.at("path");
        SCOPED_TRACE(row.at("path"));
        const auto ours = test::decode_path(path);
        ASSERT_TRUE(ours) << ours.error().to_string();
        EXPECT_EQ(ours->codec, codec_name);
        const bool dcmtk = row.at("dcmtk_decodes").rfind("yes", 0) == 0;
        // JLSL_08_07_0_1F: DCMTK 3.6.7 fails (P = 7 without LSE), GDCM decodes it.
        const auto theirs = tool_decode(dcmtk ? "dcmdjpls" : "gdcmconv --raw", path);
        ASSERT_TRUE(theirs) << theirs.error().to_string();
        EXPECT_EQ(ours->values, theirs->values);
        ++checked;
    }
    EXPECT_GE(checked, 29);
}

TEST(JpegLs, SignedBitsStoredBelowAllocated) {
    // pydicom #2009: 16 allocated / 15 stored, signed. JPEG-LS codes the 15-bit patterns; the library
    // sign-extends them.
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const auto path = dir / "pydicom-data/data_store/data/JLSL_16_15_1_1F.dcm";
    const auto ours = test::decode_path(path);
    ASSERT_TRUE(ours) << ours.error().to_string();
    EXPECT_LT(*std::min_element(ours->values.begin(), ours->values.end()), 0);
    EXPECT_LT(*std::max_element(ours->values.begin(), ours->values.end()), 1 << 14);
    const bytes cs = test::first_codestream(test::read_all(path));
    const auto h = decoder().read_header(cs, desc(128, 128, 1, 16, 15, true).info());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->precision, 15U);
    EXPECT_FALSE(h->is_signed);
    if (test::have_tool("dcmdjpls")) {
        const auto theirs = tool_decode("dcmdjpls", path);
        ASSERT_TRUE(theirs);
        EXPECT_EQ(ours->values, theirs->values);
    }
}

// ---- round trips --------------------------------------------------------------------------------------

struct shape {
    std::uint16_t spp;
    std::uint16_t ba;
    std::uint16_t bs;
    bool is_signed;
};

TEST(JpegLs, LosslessRoundTrips) {
    const shape shapes[] = {{1, 8, 8, false},   {1, 8, 8, true},    {1, 8, 7, false},  {1, 8, 2, false},
                            {1, 16, 16, false}, {1, 16, 16, true},  {1, 16, 12, true}, {1, 16, 15, true},
                            {1, 16, 10, false}, {1, 16, 9, false},  {1, 16, 8, false}, {1, 16, 3, true},
                            {3, 8, 8, false},   {3, 16, 12, false}, {3, 16, 16, true}, {3, 16, 8, false}};
    for (const auto& sh : shapes) {
        for (const bool noisy : {false, true}) {
            const image_desc d = desc(23, 37, sh.spp, sh.ba, sh.bs, sh.is_signed);
            SCOPED_TRACE(std::to_string(sh.spp) + " samples " + std::to_string(sh.ba) + "/" + std::to_string(sh.bs) +
                         (sh.is_signed ? " signed" : "") + (noisy ? " random" : " smooth"));
            const samples s = noisy ? test::random_samples(d, sh.bs) : test::smooth_samples(d, sh.bs);
            const auto f = encode(d, s, lossless);
            ASSERT_TRUE(f) << f.error().to_string();
            EXPECT_FALSE(f->lossy);
            EXPECT_TRUE(f->method.empty());
            EXPECT_EQ(f->colour, d.info().photometric_interpretation);
            const auto h = decoder().read_header(f->codestream, d.info());
            ASSERT_TRUE(h);
            EXPECT_EQ(h->precision, sh.bs);
            const auto back = test::decode_file(test::encapsulated_file(d, lossless, {f->codestream}));
            ASSERT_TRUE(back) << back.error().to_string();
            EXPECT_EQ(back->values, s);
            EXPECT_TRUE(back->warnings.empty());
        }
    }
}

TEST(JpegLs, OurStreamsDecodeWithDcmdjplsAndGdcm) {
    if (!test::have_tool("dcmdjpls") || !test::have_tool("gdcmconv")) {
        GTEST_SKIP() << "dcmdjpls (dcmtk) or gdcmconv (libgdcm-tools) not installed";
    }
    std::vector<shape> shapes;
    for (std::uint16_t bs = 2; bs <= 16; ++bs) {
        shapes.push_back({1, static_cast<std::uint16_t>(bs <= 8 ? 8 : 16), bs, bs % 4 == 0});
    }
    shapes.push_back({3, 8, 8, false});
    shapes.push_back({3, 16, 12, false});
    for (const auto& sh : shapes) {
        for (const double near : {0.0, 1.0}) {
            const image_desc d = desc(31, 29, sh.spp, sh.ba, sh.bs, sh.is_signed);
            SCOPED_TRACE(std::to_string(sh.spp) + " samples " + std::to_string(sh.ba) + "/" + std::to_string(sh.bs) +
                         (sh.is_signed ? " signed" : "") + " NEAR " + std::to_string(near));
            samples s = test::smooth_samples(d, 3);
            if (sh.is_signed) {
                // Keep signed near-lossless samples NEAR away from the range limits (see SignedNearLossless).
                const std::int64_t half = std::int64_t{1} << (sh.bs - 1);
                for (auto& v : s) {
                    v = std::clamp<std::int64_t>(v, -half + 1, half - 2);
                }
            }
            const std::string_view uid = near > 0 ? near_lossless : lossless;
            const auto f = encode(d, s, uid, near);
            ASSERT_TRUE(f) << f.error().to_string();
            test::temp_dir tmp;
            test::write_bytes(tmp.path("in.dcm"), test::encapsulated_file(d, uid, {f->codestream}));
            const auto ours = test::decode_path(tmp.path("in.dcm"));
            ASSERT_TRUE(ours) << ours.error().to_string();
            EXPECT_LE(max_error(ours->values, s), static_cast<std::int64_t>(near));
            // DCMTK 3.6.7 refuses every JPEG-LS stream with P < 8 (as it refuses the corpus's
            // JLSL_08_07_0_1F); GDCM decodes them.
            const std::vector<std::string> tools =
                sh.bs < 8 ? std::vector<std::string>{"gdcmconv --raw"} : std::vector<std::string>{"dcmdjpls", "gdcmconv --raw"};
            for (const auto& tool : tools) {
                const auto theirs = tool_decode(tool, tmp.path("in.dcm"));
                ASSERT_TRUE(theirs) << theirs.error().to_string();
                EXPECT_EQ(ours->values, theirs->values) << tool;
            }
        }
    }
}

TEST(JpegLs, NearLosslessBound) {
    const shape shapes[] = {{1, 16, 12, false}, {1, 8, 8, false}, {3, 8, 8, false}, {1, 16, 16, false}};
    for (const auto& sh : shapes) {
        for (const int near : {1, 2, 5}) {
            const image_desc d = desc(40, 33, sh.spp, sh.ba, sh.bs, sh.is_signed);
            SCOPED_TRACE(std::to_string(sh.bs) + " bits, NEAR " + std::to_string(near));
            const samples s = test::smooth_samples(d, 4);
            // quality 0 selects NEAR 2 (dcmcjpls's default).
            const auto f = encode(d, s, near_lossless, near == 2 ? 0.0 : near);
            ASSERT_TRUE(f) << f.error().to_string();
            EXPECT_TRUE(f->lossy);
            EXPECT_EQ(f->method, "ISO_14495_1");
            const auto back = test::decode_file(test::encapsulated_file(d, near_lossless, {f->codestream}));
            ASSERT_TRUE(back) << back.error().to_string();
            const std::int64_t err = max_error(back->values, s);
            EXPECT_LE(err, near);
            EXPECT_GT(err, 0); // really lossy
        }
    }
}

TEST(JpegLs, SignedNearLossless) {
    // dcm4che #656: coding the two's complement patterns is exact when lossless but near-lossless error
    // may carry a pattern across the sign boundary. Values NEAR away from the limits are safe.
    image_desc d = desc(32, 32, 1, 16, 12, true);
    samples s(std::size_t{32} * 32);
    std::mt19937 rng(5);
    for (std::size_t i = 0; i < s.size(); ++i) {
        s[i] = static_cast<std::int64_t>(i % 32) * 60 - 1000 + static_cast<std::int64_t>(rng() % 7); // crosses 0
    }
    const auto f = encode(d, s, near_lossless, 3);
    ASSERT_TRUE(f) << f.error().to_string();
    const auto back = test::decode_file(test::encapsulated_file(d, near_lossless, {f->codestream}));
    ASSERT_TRUE(back);
    EXPECT_LE(max_error(back->values, s), 3);
    // Near the limits: refused rather than flipped.
    s[100] = 2047;
    auto refused = encode(d, s, near_lossless, 3);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, errc::cannot_encode);
    s[100] = -2048 + 2;
    refused = encode(d, s, near_lossless, 3);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, errc::cannot_encode);
    s[100] = -2048 + 3; // exactly NEAR away: fine
    EXPECT_TRUE(encode(d, s, near_lossless, 3));
    // Lossless takes the full range.
    s[100] = -2048;
    s[101] = 2047;
    const auto exact = encode(d, s, lossless);
    ASSERT_TRUE(exact);
    const auto back2 = test::decode_file(test::encapsulated_file(d, lossless, {exact->codestream}));
    ASSERT_TRUE(back2);
    EXPECT_EQ(back2->values, s);
}

TEST(JpegLs, EncoderRefusals) {
    auto refused = [](const frame_info& info, std::string_view uid = lossless, double quality = 0) {
        encode_options o;
        o.quality = quality;
        const auto r = encoder().can_encode(uid, info, o);
        return !r && r.error().code == errc::cannot_encode;
    };
    EXPECT_FALSE(refused(desc(8, 8, 1, 16, 12).info()));
    EXPECT_TRUE(refused(desc(8, 8, 1, 16, 12).info(), uids::jpeg_baseline));
    EXPECT_TRUE(refused(desc(8, 8, 1, 32, 32).info()));
    EXPECT_TRUE(refused(desc(8, 8, 1, 8, 1).info()));
    EXPECT_TRUE(refused(desc(8, 8, 1, 1, 1).info()));
    EXPECT_TRUE(refused(desc(8, 8, 2, 8, 8).info()));
    EXPECT_TRUE(refused(desc(8, 8, 4, 8, 8).info()));
    frame_info floats = desc(8, 8, 1, 16, 16).info();
    floats.element = pixel_data_element::float32;
    EXPECT_TRUE(refused(floats));
    EXPECT_TRUE(refused(desc(8, 8, 1, 8, 8).info(), near_lossless, 128)); // NEAR > MAXVAL/2
    EXPECT_FALSE(refused(desc(8, 8, 1, 8, 8).info(), near_lossless, 127));
    EXPECT_TRUE(refused(desc(8, 8, 1, 8, 8).info(), near_lossless, 2.5));
    EXPECT_TRUE(refused(desc(8, 8, 1, 8, 8).info(), near_lossless, -1));
    frame_info palette = desc(8, 8, 1, 8, 8).info();
    palette.photometric_interpretation = photometric::palette_color;
    EXPECT_FALSE(refused(palette));
    EXPECT_TRUE(refused(palette, near_lossless));
    // Samples that do not fit Bits Stored (not normalised) are an argument error, not silent masking.
    const image_desc d = desc(4, 4, 1, 16, 10);
    samples s(16, 5);
    s[3] = 1024;
    const auto r = encode(d, s, lossless);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::invalid_argument);
}

// ---- other encoders, interleave modes, colour transforms -------------------------------------------------

TEST(JpegLs, DcmcjplsVariantsMatchDcmdjpls) {
    if (!test::have_tool("dcmcjpls") || !test::have_tool("dcmdjpls")) {
        GTEST_SKIP() << "dcmcjpls/dcmdjpls (dcmtk) not installed";
    }
    const image_desc grey = desc(33, 47, 1, 16, 12, true);
    const image_desc grey_unsigned = desc(33, 47, 1, 16, 12, false);
    const image_desc rgb = desc(33, 47, 3, 8, 8);
    const char* variants[] = {"+el",     "+el +pc", "+en",         "+en +md 5", "+el +in",
                              "+el +is", "+el +il", "+en +is +pz", "+el +pz"};
    for (const char* flags : variants) {
        for (const bool colour : {false, true}) {
            if (!colour && std::string_view(flags).find("+pc") != std::string_view::npos) {
                continue; // dcmcjpls 3.6.7's cooked encoder aborts (assertion in scan.h) on signed 12-bit data
            }
            SCOPED_TRACE(std::string(flags) + (colour ? " rgb" : " grey"));
            // dcmcjpls refuses near-lossless for signed data ("Unsupported pixel representation").
            const bool near = std::string_view(flags).find("+en") != std::string_view::npos;
            const image_desc& d = colour ? rgb : near ? grey_unsigned : grey;
            const samples s = test::smooth_samples(d, 6);
            test::temp_dir tmp;
            test::write_bytes(tmp.path("native.dcm"), test::native_file(d, s));
            ASSERT_TRUE(test::run("dcmcjpls " + std::string(flags) + " " + tmp.path("native.dcm").string() + " " +
                                  tmp.path("jls.dcm").string()));
            const auto ours = test::decode_path(tmp.path("jls.dcm"));
            ASSERT_TRUE(ours) << ours.error().to_string();
            const auto theirs = tool_decode("dcmdjpls", tmp.path("jls.dcm"));
            ASSERT_TRUE(theirs);
            EXPECT_EQ(ours->values, theirs->values);
            if (std::string_view(flags).find("+el") != std::string_view::npos) {
                EXPECT_EQ(ours->values, s);
            }
        }
    }
}

TEST(JpegLs, InterleaveModesAndWidening) {
    for (const auto ilv : {charls::interleave_mode::none, charls::interleave_mode::line, charls::interleave_mode::sample}) {
        for (const shape sh : {shape{3, 8, 8, false}, shape{3, 16, 8, false}, shape{3, 16, 12, false}, shape{1, 16, 6, false}}) {
            if (sh.spp == 1 && ilv != charls::interleave_mode::none) {
                continue;
            }
            const image_desc d = desc(17, 19, sh.spp, sh.ba, sh.bs);
            SCOPED_TRACE("ilv " + std::to_string(static_cast<int>(ilv)) + ", " + std::to_string(sh.ba) + "/" +
                         std::to_string(sh.bs));
            const samples s = test::random_samples(d, 7);
            const bytes cs = charls_encode(d, s, ilv);
            const auto back = test::decode_file(test::encapsulated_file(d, lossless, {cs}));
            ASSERT_TRUE(back) << back.error().to_string();
            EXPECT_EQ(back->values, s);
            EXPECT_EQ(back->colour, d.info().photometric_interpretation);
        }
    }
}

TEST(JpegLs, HpColourTransformsAreUndone) {
    const image_desc d = desc(16, 24, 3, 8, 8);
    const samples s = test::smooth_samples(d, 8);
    for (const auto t : {charls::color_transformation::hp1, charls::color_transformation::hp2,
                         charls::color_transformation::hp3}) {
        SCOPED_TRACE(static_cast<int>(t));
        const bytes cs = charls_encode(d, s, charls::interleave_mode::sample, t);
        const auto back = test::decode_file(test::encapsulated_file(d, lossless, {cs}));
        ASSERT_TRUE(back) << back.error().to_string();
        EXPECT_EQ(back->values, s);
        EXPECT_EQ(back->colour, photometric::rgb);
        ASSERT_FALSE(back->warnings.empty());
        EXPECT_NE(back->warnings.back().find("HP colour"), std::string::npos);
    }
}

TEST(JpegLs, EightBitStreamIn16BitSlots) {
    // A P=8 stream in a Bits Allocated 16 dataset (dcm4che #741's shape): 2-byte samples out.
    const image_desc d16 = desc(21, 25, 1, 16, 8);
    const samples s = test::random_samples(d16, 9);
    const auto f = encode(d16, s, lossless);
    ASSERT_TRUE(f);
    const auto h = decoder().read_header(f->codestream, d16.info());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->precision, 8U);
    const auto back = test::decode_file(test::encapsulated_file(d16, lossless, {f->codestream}));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->values, s);
}

// ---- adversarial ----------------------------------------------------------------------------------------

TEST(JpegLs, TruncationIsAnErrorAtEveryCut) {
    std::vector<std::pair<bytes, image_desc>> streams;
    const image_desc grey = desc(40, 48, 1, 16, 12);
    const image_desc rgb = desc(24, 32, 3, 8, 8);
    streams.emplace_back(encode(grey, test::smooth_samples(grey, 10), lossless)->codestream, grey);
    streams.emplace_back(encode(grey, test::smooth_samples(grey, 11), near_lossless, 2)->codestream, grey);
    streams.emplace_back(encode(rgb, test::random_samples(rgb, 12), lossless)->codestream, rgb);
    streams.emplace_back(charls_encode(rgb, test::smooth_samples(rgb, 13), charls::interleave_mode::none), rgb);
    int wrong_successes = 0;
    for (const auto& [cs, d] : streams) {
        bytes full;
        ASSERT_TRUE(decode_direct(cs, d.info(), full));
        for (std::size_t cut = 0; cut < cs.size(); ++cut) {
            // Exactly-sized copies, so ASan sees any read past the end.
            const bytes part(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cut));
            bytes out;
            const auto r = decode_direct(part, d.info(), out);
            if (r) {
                // Only a cut inside the final EOI may leave the frame complete.
                EXPECT_GE(cut, cs.size() - 2) << "cut at " << cut << " of " << cs.size();
                EXPECT_EQ(out, full) << "cut at " << cut;
            } else {
                EXPECT_TRUE(r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error)
                    << r.error().to_string();
            }
            // The same cut with an EOI spliced on (a lost fragment): CharLS must stop (2.4.1 loops forever
            // when data runs out at the very end of its buffer, but not before a marker).
            bytes spliced = part;
            spliced.push_back(std::byte{0xFF});
            spliced.push_back(std::byte{0xD9});
            const auto s = decode_direct(spliced, d.info(), out);
            if (s && out != full) {
                ++wrong_successes;
                ADD_FAILURE() << "spliced cut at " << cut << " of " << cs.size() << " decodes to wrong samples";
            }
        }
    }
    EXPECT_EQ(wrong_successes, 0);
}

TEST(JpegLs, CorruptionFailsCleanly) {
    const image_desc d = desc(32, 40, 3, 8, 8);
    const bytes cs = encode(d, test::smooth_samples(d, 14), lossless)->codestream;
    bytes out;
    EXPECT_FALSE(decode_direct({}, d.info(), out));
    EXPECT_FALSE(decode_direct(test::to_bytes("JPEG-LS? no"), d.info(), out));
    std::mt19937 rng(15);
    for (int i = 0; i < 400; ++i) {
        bytes c = cs;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            c[rng() % c.size()] = static_cast<std::byte>(rng());
        }
        bytes o;
        const auto r = decode_direct(c, d.info(), o);
        if (r) {
            EXPECT_EQ(o.size(), d.info().decoded_frame_bytes().value());
        }
    }
}

TEST(JpegLs, HeaderMismatches) {
    const image_desc d = desc(24, 32, 1, 16, 16);
    const bytes cs = encode(d, test::smooth_samples(d, 16), lossless)->codestream;
    bytes out;
    auto expect_mismatch = [&](const image_desc& other) {
        const auto r = decode_direct(cs, other.info(), out);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::codestream_mismatch) << r.error().to_string();
    };
    expect_mismatch(desc(25, 32, 1, 16, 16));
    expect_mismatch(desc(24, 31, 1, 16, 16));
    expect_mismatch(desc(24, 32, 3, 16, 16));
    expect_mismatch(desc(24, 32, 1, 8, 8)); // P = 16 does not fit Bits Allocated 8
    // Through the library: refused before allocation.
    const auto whole = test::decode_file(test::encapsulated_file(desc(24, 32, 1, 8, 8), lossless, {cs}));
    ASSERT_FALSE(whole);
    EXPECT_EQ(whole.error().code, errc::codestream_mismatch);
    // A header declaring 65535 x 65535 for a 24 x 32 frame.
    bytes huge = cs;
    const std::size_t sof = marker_at(cs, 0xF7);
    ASSERT_NE(sof, 0U);
    for (std::size_t k = 5; k < 9; ++k) {
        huge[sof + k] = std::byte{0xFF};
    }
    const auto h = decoder().read_header(huge, d.info());
    ASSERT_TRUE(h);
    EXPECT_EQ(h->rows, 65535U);
    const auto r = decode_direct(huge, d.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codestream_mismatch);
}

TEST(JpegLs, BytesBetweenScanAndEoi) {
    // WG04 MR1_JLSL has a 0x00 between the end of the scan and EOI: DCMTK decodes it, CharLS refuses.
    const image_desc d = desc(24, 32, 1, 16, 12);
    const samples s = test::smooth_samples(d, 17);
    const bytes cs = encode(d, s, lossless)->codestream;
    bytes padded(cs.begin(), cs.end() - 2);
    padded.push_back(std::byte{0});
    padded.push_back(std::byte{0xFF});
    padded.push_back(std::byte{0xD9});
    bytes out;
    const auto lenient = decode_direct(padded, d.info(), out);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_FALSE(lenient->warnings.empty());
    bytes expected;
    ASSERT_TRUE(decode_direct(cs, d.info(), expected));
    EXPECT_EQ(out, expected);
    EXPECT_FALSE(decode_direct(padded, d.info(), out, true));
}

TEST(JpegLs, ConcurrentDecodes) {
    const image_desc d = desc(64, 64, 1, 16, 16);
    const bytes cs = encode(d, test::smooth_samples(d, 18), lossless)->codestream;
    bytes expected;
    ASSERT_TRUE(decode_direct(cs, d.info(), expected));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                bytes out;
                if (!decode_direct(cs, d.info(), out) || out != expected) {
                    ++mismatches;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(mismatches.load(), 0);
}

} // namespace
} // namespace dicompix
