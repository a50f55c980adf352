// SPDX-License-Identifier: BSD-3-Clause
// JPEG 2000 through OpenJPEG (4.90 / 4.91, PS3.5 §A.4.4, §8.2.4): lossless round trips over 8/12/16 bits,
// signed data, 1 and 3 components and odd sizes; lossy round trips within a PSNR bound; codestreams made
// by opj_compress (tiles, MCT on/off, 9/7) decoded exactly as opj_decompress decodes them; the colour
// space reported for RCT/ICT/no-MCT (user-needs C3); and adversarial codestreams: truncation at many
// cut points, padding, trailing garbage, corrupt SIZ/COD, huge sizes and tile counts, JP2 boxes.
// Corpus: every 4.90/4.91 file GDCM decodes must decode, and equal gdcmconv --raw's output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "codecs/j2k_codestream.hpp"
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

constexpr std::string_view j2k_lossless = uids::jpeg_2000_lossless;
constexpr std::string_view j2k_lossy = uids::jpeg_2000;

const frame_decoder& decoder() {
    const frame_decoder* d = codec_registry::builtin().decoder("jpeg2000/openjpeg");
    EXPECT_NE(d, nullptr);
    return *d;
}
const frame_encoder& encoder() {
    const frame_encoder* e = codec_registry::builtin().encoder("jpeg2000/openjpeg");
    EXPECT_NE(e, nullptr);
    return *e;
}

encoded_frame encode(const image_desc& d, const samples& s, std::string_view uid, encode_options options = {}) {
    auto r = encoder().encode(test::to_frame_bytes(d, s), d.info(), uid, options);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(*r) : encoded_frame{};
}

/// Decodes one codestream straight through the decoder (no library normalisation).
result<decode_report> decode_raw(const bytes& cs, const frame_info& info, bytes& out, bool strict = false,
                                 std::uint32_t threads = 1) {
    out.assign(info.decoded_frame_bytes().value(), std::byte{0xAB});
    static const limits lim{};
    decode_options o;
    o.strict = strict;
    o.limits = &lim;
    o.threads = threads;
    return decoder().decode(cs, info, out, o);
}

double psnr(const samples& a, const samples& b, double peak) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = static_cast<double>(a[i] - b[i]);
        sum += d * d;
    }
    const double mse = sum / static_cast<double>(a.size());
    return mse == 0 ? 1000.0 : 10.0 * std::log10(peak * peak / mse);
}

image_desc mono(std::uint16_t rows, std::uint16_t cols, std::uint16_t ba, std::uint16_t bs, bool is_signed = false) {
    image_desc d;
    d.rows = rows;
    d.columns = cols;
    d.ba = ba;
    d.bs = bs;
    d.is_signed = is_signed;
    return d;
}
image_desc rgb(std::uint16_t rows, std::uint16_t cols, std::uint16_t ba = 8, std::uint16_t bs = 8) {
    image_desc d = mono(rows, cols, ba, bs);
    d.spp = 3;
    d.pi = "RGB";
    return d;
}

// ---- round trips --------------------------------------------------------------------------------------

struct rt_case {
    const char* name;
    image_desc desc;
    bool smooth;
};

class Jpeg2000RoundTrip : public ::testing::TestWithParam<rt_case> {};

TEST_P(Jpeg2000RoundTrip, LosslessIsExactThroughTheLibrary) {
    const auto& c = GetParam();
    const samples s = c.smooth ? test::smooth_samples(c.desc, 7) : test::random_samples(c.desc, 7);
    const encoded_frame f = encode(c.desc, s, j2k_lossless);
    EXPECT_FALSE(f.lossy);
    EXPECT_TRUE(f.method.empty());
    image_desc stored = c.desc;
    stored.pi = std::string(to_string(f.colour));
    if (c.desc.spp == 3) {
        EXPECT_EQ(f.colour, photometric::ybr_rct);
    }
    const auto decoded = test::decode_file(test::encapsulated_file(stored, j2k_lossless, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->codec, "jpeg2000/openjpeg");
    EXPECT_EQ(decoded->values, s);
    EXPECT_TRUE(decoded->warnings.empty()) << decoded->warnings.front();
    if (c.desc.spp == 3) {
        EXPECT_EQ(decoded->colour, photometric::rgb);
    }
}

TEST_P(Jpeg2000RoundTrip, Lossy91WithinPsnrBound) {
    const auto& c = GetParam();
    image_desc desc = c.desc;
    if (std::size_t{desc.rows} * desc.columns < 4096) {
        // Headers dominate tiny frames: test the same sample format at a size a ratio can apply to.
        desc.rows = 96;
        desc.columns = 80;
    }
    const samples s = test::smooth_samples(desc, 11);
    encode_options o;
    o.quality = 10;
    const encoded_frame f = encode(desc, s, j2k_lossy, o);
    EXPECT_TRUE(f.lossy);
    EXPECT_EQ(f.method, "ISO_15444_1");
    if (desc.spp == 3) {
        EXPECT_EQ(f.colour, photometric::ybr_ict);
    }
    image_desc stored = desc;
    stored.pi = std::string(to_string(f.colour));
    const auto decoded = test::decode_file(test::encapsulated_file(stored, j2k_lossy, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    ASSERT_EQ(decoded->values.size(), s.size());
    const double peak = std::ldexp(1.0, desc.bs) - 1;
    EXPECT_GT(psnr(decoded->values, s, peak), 30.0);
    const double raw = static_cast<double>(s.size()) * desc.bs / 8.0;
    if (s.size() >= 4096) {
        EXPECT_LE(static_cast<double>(f.codestream.size()), raw / 10.0 * 1.05 + 300);
    }
}

const rt_case rt_cases[] = {
    {"u8", mono(64, 48, 8, 8), false},
    {"u16", mono(64, 64, 16, 16), false},
    {"u12_in_16", mono(60, 70, 16, 12), true},
    {"s16", mono(64, 64, 16, 16, true), false},
    {"s12_in_16", mono(33, 65, 16, 12, true), true},
    {"s8", mono(16, 16, 8, 8, true), false},
    {"rgb8", rgb(40, 50), true},
    {"rgb16", rgb(32, 32, 16, 16), false},
    {"odd_1x1", mono(1, 1, 16, 16), false},
    {"odd_3x5", mono(3, 5, 8, 8), false},
    {"odd_1000x7", mono(1000, 7, 16, 10), true},
    {"odd_1x1000", mono(1, 1000, 8, 8), false},
    {"big_512", mono(512, 512, 16, 16), true},
};
INSTANTIATE_TEST_SUITE_P(Cases, Jpeg2000RoundTrip, ::testing::ValuesIn(rt_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Jpeg2000Encoder, Lossless91AndNoColourTransform) {
    const image_desc d = rgb(24, 40);
    const samples s = test::random_samples(d, 3);
    encode_options o;
    o.colour_transform = false;
    const encoded_frame f = encode(d, s, j2k_lossy, o); // quality 0: reversible even in 4.91
    EXPECT_FALSE(f.lossy);
    EXPECT_EQ(f.colour, photometric::rgb);
    const auto l = codecs::j2k::parse(f.codestream).value();
    EXPECT_EQ(l.mct, 0);
    EXPECT_EQ(l.transform, 1);
    const auto decoded = test::decode_file(test::encapsulated_file(d, j2k_lossy, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->values, s);
    EXPECT_EQ(decoded->colour, photometric::rgb);
}

TEST(Jpeg2000Encoder, RefusesWhatItCannotCarry) {
    encode_options lossy;
    lossy.quality = 5;
    EXPECT_FALSE(encoder().can_encode(j2k_lossless, mono(8, 8, 16, 16).info(), lossy));
    EXPECT_TRUE(encoder().can_encode(j2k_lossy, mono(8, 8, 16, 16).info(), lossy));
    EXPECT_FALSE(encoder().can_encode(uids::jpeg_baseline, mono(8, 8, 8, 8).info(), {}));
    EXPECT_FALSE(encoder().can_encode(j2k_lossless, mono(8, 8, 32, 32).info(), {}));
    image_desc two = mono(8, 8, 8, 8);
    two.spp = 2;
    EXPECT_FALSE(encoder().can_encode(j2k_lossless, two.info(), {}));
    frame_info flt = mono(8, 8, 32, 32).info();
    flt.element = pixel_data_element::float32;
    EXPECT_FALSE(encoder().can_encode(j2k_lossless, flt, {}));
    frame_info palette = mono(8, 8, 8, 8).info();
    palette.photometric_interpretation = photometric::palette_color;
    EXPECT_TRUE(encoder().can_encode(j2k_lossless, palette, {}));
    const auto lossy_palette = encoder().can_encode(j2k_lossy, palette, lossy);
    ASSERT_FALSE(lossy_palette);
    EXPECT_EQ(lossy_palette.error().code, errc::cannot_encode);
    encode_options bad;
    bad.quality = 0.5;
    const auto r = encoder().can_encode(j2k_lossy, mono(8, 8, 8, 8).info(), bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::cannot_encode);
    // Wrong sample count.
    const auto e = encoder().encode(bytes(10), mono(8, 8, 8, 8).info(), j2k_lossless, {});
    EXPECT_FALSE(e);
}

// ---- threads and concurrency --------------------------------------------------------------------------

TEST(Jpeg2000Decoder, ThreadsAndConcurrentCallsAgree) {
    const image_desc d = mono(300, 280, 16, 16);
    const samples s = test::smooth_samples(d, 5);
    const encoded_frame f = encode(d, s, j2k_lossless);
    bytes one;
    ASSERT_TRUE(decode_raw(f.codestream, d.info(), one, false, 1));
    EXPECT_EQ(one, test::to_frame_bytes(d, s));
    bytes two;
    ASSERT_TRUE(decode_raw(f.codestream, d.info(), two, false, 2));
    EXPECT_EQ(one, two);
    std::vector<std::thread> threads;
    std::vector<bytes> outs(4);
    std::vector<int> ok(4, 0);
    for (std::size_t t = 0; t < outs.size(); ++t) {
        threads.emplace_back([&, t] { ok[t] = decode_raw(f.codestream, d.info(), outs[t]) ? 1 : 0; });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (std::size_t t = 0; t < outs.size(); ++t) {
        EXPECT_EQ(ok[t], 1);
        EXPECT_EQ(outs[t], one);
    }
}

// ---- codestreams made by opj_compress, compared with opj_decompress -----------------------------------

/// Planar little-endian raw samples (OpenJPEG's .rawl) of an interleaved image.
bytes to_rawl(const image_desc& d, const samples& s) {
    const std::size_t w = d.bs > 8 ? 2 : 1;
    const std::size_t pixels = std::size_t{d.rows} * d.columns;
    bytes out(s.size() * w);
    for (std::size_t c = 0; c < d.spp; ++c) {
        for (std::size_t i = 0; i < pixels; ++i) {
            const auto v = static_cast<std::uint16_t>(s[i * d.spp + c]);
            const std::size_t at = (c * pixels + i) * w;
            out[at] = static_cast<std::byte>(v & 0xFFU);
            if (w == 2) {
                out[at + 1] = static_cast<std::byte>(v >> 8U);
            }
        }
    }
    return out;
}

samples from_rawl(const image_desc& d, const bytes& raw) {
    const std::size_t w = d.bs > 8 ? 2 : 1;
    const std::size_t pixels = std::size_t{d.rows} * d.columns;
    samples out(pixels * d.spp);
    if (raw.size() < out.size() * w) {
        return {};
    }
    for (std::size_t c = 0; c < d.spp; ++c) {
        for (std::size_t i = 0; i < pixels; ++i) {
            const std::size_t at = (c * pixels + i) * w;
            std::uint32_t v = std::to_integer<std::uint32_t>(raw[at]);
            if (w == 2) {
                v |= std::to_integer<std::uint32_t>(raw[at + 1]) << 8U;
            }
            std::int64_t x = v & ((1U << d.bs) - 1U);
            if (d.is_signed && (x >> (d.bs - 1)) != 0) {
                x -= std::int64_t{1} << d.bs;
            }
            out[i * d.spp + c] = x;
        }
    }
    return out;
}

struct tool_case {
    const char* name;
    image_desc desc;
    std::string options; ///< opj_compress options
    photometric stored;  ///< Photometric Interpretation written in the dataset
    photometric expect;  ///< colour the decoder must report
};

class Jpeg2000Tools : public ::testing::TestWithParam<tool_case> {};

TEST_P(Jpeg2000Tools, DecodesLikeOpjDecompress) {
    if (!test::have_tool("opj_compress") || !test::have_tool("opj_decompress")) {
        GTEST_SKIP() << "opj_compress/opj_decompress (libopenjp2-tools) not installed";
    }
    const auto& c = GetParam();
    const samples s = test::smooth_samples(c.desc, 21);
    test::temp_dir dir;
    test::write_bytes(dir.path("in.rawl"), to_rawl(c.desc, s));
    const std::string format = std::to_string(c.desc.columns) + "," + std::to_string(c.desc.rows) + "," +
                               std::to_string(c.desc.spp) + "," + std::to_string(c.desc.bs) + "," +
                               (c.desc.is_signed ? "s" : "u");
    ASSERT_TRUE(test::run("opj_compress -i " + dir.path("in.rawl").string() + " -F " + format + " -o " +
                          dir.path("x.j2k").string() + " " + c.options));
    ASSERT_TRUE(test::run("opj_decompress -i " + dir.path("x.j2k").string() + " -o " + dir.path("out.rawl").string()));
    const samples reference = from_rawl(c.desc, test::read_all(dir.path("out.rawl")));
    ASSERT_EQ(reference.size(), s.size());
    const bytes cs = test::read_all(dir.path("x.j2k"));
    image_desc stored = c.desc;
    stored.pi = std::string(to_string(c.stored));
    const auto decoded = test::decode_file(test::encapsulated_file(stored, j2k_lossy, {cs}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->codec, "jpeg2000/openjpeg");
    EXPECT_EQ(decoded->values, reference);
    EXPECT_EQ(decoded->colour, c.expect);
    if (c.options.find("-I") == std::string::npos && c.options.find("-r") == std::string::npos) {
        EXPECT_EQ(decoded->values, s); // reversible: exact
    }
    if (test::have_tool("grk_decompress") && c.options.find("-I") == std::string::npos) {
        // A second, independent decoder agrees on reversible codestreams.
        ASSERT_TRUE(
            test::run("grk_decompress -i " + dir.path("x.j2k").string() + " -o " + dir.path("grk.rawl").string()));
        EXPECT_EQ(from_rawl(c.desc, test::read_all(dir.path("grk.rawl"))), reference);
    }
}

image_desc with_pi(image_desc d, const char* pi) {
    d.pi = pi;
    return d;
}

const tool_case tool_cases[] = {
    {"u16_default", mono(100, 90, 16, 16), "", photometric::monochrome2, photometric::monochrome2},
    {"u12_tiles", mono(130, 150, 16, 12), "-t 32,48", photometric::monochrome2, photometric::monochrome2},
    {"s16_tiles", mono(64, 80, 16, 16, true), "-t 30,30 -n 3", photometric::monochrome2, photometric::monochrome2},
    {"s12", mono(50, 60, 16, 12, true), "-p RPCL", photometric::monochrome2, photometric::monochrome2},
    {"u8_97", mono(64, 64, 8, 8), "-I -r 8", photometric::monochrome2, photometric::monochrome2},
    {"u16_97_layers", mono(96, 64, 16, 16), "-I -r 40,20,10", photometric::monochrome2, photometric::monochrome2},
    {"rgb_rct", rgb(48, 40), "", photometric::ybr_rct, photometric::rgb},
    {"rgb_ict", rgb(48, 40), "-I -r 6", photometric::ybr_ict, photometric::rgb},
    {"rgb_no_mct", rgb(48, 40), "-mct 0", photometric::rgb, photometric::rgb},
    {"rct_label_no_mct", rgb(48, 40), "-mct 0", photometric::ybr_rct, photometric::rgb},
    {"ybr_full_no_mct", rgb(48, 40), "-mct 0", photometric::ybr_full, photometric::ybr_full},
    {"rgb16_tiles_mct", rgb(70, 50, 16, 16), "-t 32,32", photometric::ybr_rct, photometric::rgb},
    {"u16_sop_eph_precincts", mono(64, 64, 16, 16), "-SOP -EPH -c '[32,32],[32,32]'", photometric::monochrome2,
     photometric::monochrome2},
};
INSTANTIATE_TEST_SUITE_P(Opj, Jpeg2000Tools, ::testing::ValuesIn(tool_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Jpeg2000Decoder, ReportsColourWarningForRctLabelWithoutMct) {
    const image_desc d = rgb(16, 16);
    const samples s = test::random_samples(d, 1);
    encode_options o;
    o.colour_transform = false;
    const encoded_frame f = encode(d, s, j2k_lossless, o);
    const auto decoded =
        test::decode_file(test::encapsulated_file(with_pi(d, "YBR_RCT"), j2k_lossless, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->colour, photometric::rgb);
    EXPECT_EQ(decoded->values, s);
    ASSERT_FALSE(decoded->warnings.empty());
    EXPECT_NE(decoded->warnings.front().find("no multiple component transform"), std::string::npos);
}

// ---- precision and signedness reported ----------------------------------------------------------------

TEST(Jpeg2000Decoder, ReportsPrecisionAndSignedness) {
    const image_desc d = mono(20, 20, 16, 12, true);
    const samples s = test::random_samples(d, 9);
    const encoded_frame f = encode(d, s, j2k_lossless);
    const auto header = decoder().read_header(f.codestream, d.info());
    ASSERT_TRUE(header);
    EXPECT_EQ(header->precision, 12);
    EXPECT_TRUE(header->is_signed);
    EXPECT_EQ(header->rows, 20U);
    bytes out;
    const auto r = decode_raw(f.codestream, d.info(), out);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->precision, 12);
    EXPECT_TRUE(r->is_signed);
    // Two's complement in the 16-bit container, before the library's normalisation.
    std::int16_t first = 0;
    std::memcpy(&first, out.data(), 2);
    EXPECT_EQ(first, s[0]);

    // A 12-bit codestream in a dataset that says Bits Stored 16: decoded, with the library's warning.
    image_desc wide = d;
    wide.bs = 16;
    const auto decoded = test::decode_file(test::encapsulated_file(wide, j2k_lossless, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->values, s);
    EXPECT_FALSE(decoded->warnings.empty());
    pixel_options strict;
    strict.strict = true;
    EXPECT_FALSE(test::decode_file(test::encapsulated_file(wide, j2k_lossless, {f.codestream}), strict));
}

// ---- adversarial --------------------------------------------------------------------------------------

bytes sample_codestream(const image_desc& d, std::string_view uid = j2k_lossless, double quality = 0) {
    encode_options o;
    o.quality = quality;
    return encode(d, test::smooth_samples(d, 4), uid, o).codestream;
}

TEST(Jpeg2000Adversarial, TruncationIsNeverSuccess) {
    const image_desc d = mono(64, 64, 16, 12);
    for (const double quality : {0.0, 8.0}) {
        const bytes cs = sample_codestream(d, quality == 0 ? j2k_lossless : j2k_lossy, quality);
        const auto l = codecs::j2k::parse(cs).value();
        ASSERT_EQ(l.end, codecs::j2k::ending::eoc);
        std::vector<std::size_t> cuts;
        for (std::size_t n = 0; n < l.first_tile_part + 16 && n < cs.size(); ++n) {
            cuts.push_back(n); // every cut inside the main header and the first tile-part header
        }
        for (std::size_t n = l.first_tile_part + 16; n + 2 < cs.size(); n += std::max<std::size_t>(1, cs.size() / 97)) {
            cuts.push_back(n);
        }
        cuts.push_back(cs.size() - 3);
        for (const std::size_t n : cuts) {
            const bytes cut(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(n));
            for (const bool strict : {false, true}) {
                bytes out;
                const auto r = decode_raw(cut, d.info(), out, strict);
                EXPECT_FALSE(r) << "cut at " << n << " of " << cs.size() << (strict ? " (strict)" : "");
                if (!r) {
                    EXPECT_TRUE(r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error)
                        << r.error().to_string();
                }
            }
        }
        // Through the library as well (pixel_data, then every capable decoder).
        const bytes half(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cs.size() / 2));
        const auto whole = test::decode_file(test::encapsulated_file(d, j2k_lossless, {half}));
        ASSERT_FALSE(whole);
        EXPECT_EQ(whole.error().code, errc::truncated_codestream) << whole.error().to_string();
    }
}

TEST(Jpeg2000Adversarial, MissingEocOnlyIsLenient) {
    const image_desc d = mono(32, 32, 16, 16);
    const samples s = test::smooth_samples(d, 4);
    const bytes cs = encode(d, s, j2k_lossless).codestream;
    const bytes no_eoc(cs.begin(), cs.end() - 2);
    bytes out;
    const auto lenient = decode_raw(no_eoc, d.info(), out, false);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(out, test::to_frame_bytes(d, s));
    ASSERT_FALSE(lenient->warnings.empty());
    EXPECT_NE(lenient->warnings.front().find("EOC"), std::string::npos);
    const auto strict = decode_raw(no_eoc, d.info(), out, true);
    ASSERT_FALSE(strict);
    EXPECT_EQ(strict.error().code, errc::truncated_codestream);
}

TEST(Jpeg2000Adversarial, PaddingAndTrailingBytes) {
    const image_desc d = mono(16, 24, 8, 8);
    const samples s = test::random_samples(d, 4);
    const bytes cs = encode(d, s, j2k_lossless).codestream;
    for (std::size_t pad = 1; pad <= 3; ++pad) {
        bytes padded = cs;
        padded.insert(padded.end(), pad, std::byte{0});
        for (const bool strict : {false, true}) {
            bytes out;
            const auto r = decode_raw(padded, d.info(), out, strict);
            ASSERT_TRUE(r) << pad << ": " << r.error().to_string();
            EXPECT_TRUE(r->warnings.empty());
            EXPECT_EQ(out, test::to_frame_bytes(d, s));
        }
    }
    bytes garbage = cs;
    for (int i = 0; i < 40; ++i) {
        garbage.push_back(static_cast<std::byte>(i * 37));
    }
    bytes out;
    const auto lenient = decode_raw(garbage, d.info(), out, false);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(out, test::to_frame_bytes(d, s));
    EXPECT_FALSE(lenient->warnings.empty());
    EXPECT_FALSE(decode_raw(garbage, d.info(), out, true));
}

TEST(Jpeg2000Adversarial, CommentBetweenLastTilePartAndEoc) {
    // pydicom #966: a COM marker segment after the tile data; OpenJPEG alone refuses the codestream.
    const image_desc d = mono(16, 16, 16, 16);
    const samples s = test::random_samples(d, 2);
    const bytes cs = encode(d, s, j2k_lossless).codestream;
    bytes odd(cs.begin(), cs.end() - 2);
    const unsigned char com[] = {0xFF, 0x64, 0x00, 0x0B, 0x00, 0x01, 'P', 'A', 'D', 'D', 'I', 'N', 'G'};
    for (const unsigned char c : com) {
        odd.push_back(static_cast<std::byte>(c));
    }
    odd.push_back(std::byte{0xFF});
    odd.push_back(std::byte{0xD9});
    bytes out;
    const auto lenient = decode_raw(odd, d.info(), out, false);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    EXPECT_EQ(out, test::to_frame_bytes(d, s));
    EXPECT_FALSE(lenient->warnings.empty());
    EXPECT_FALSE(decode_raw(odd, d.info(), out, true));
}

void put_be16(bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::byte>(v >> 8U);
    b[at + 1] = static_cast<std::byte>(v & 0xFFU);
}
void put_be32(bytes& b, std::size_t at, std::uint32_t v) {
    put_be16(b, at, static_cast<std::uint16_t>(v >> 16U));
    put_be16(b, at + 2, static_cast<std::uint16_t>(v & 0xFFFFU));
}

// Offsets in an OpenJPEG codestream: SOC(2) SIZ at 2: marker(2) Lsiz(2) Rsiz(2) Xsiz@8 Ysiz@12 XOsiz@16
// YOsiz@20 XTsiz@24 YTsiz@28 XTOsiz@32 YTOsiz@36 Csiz@40 Ssiz@42 XRsiz@43 YRsiz@44; COD follows SIZ.
constexpr std::size_t xsiz_at = 8;
constexpr std::size_t ysiz_at = 12;
constexpr std::size_t xtsiz_at = 24;
constexpr std::size_t ytsiz_at = 28;
constexpr std::size_t csiz_at = 40;
constexpr std::size_t ssiz_at = 42;
constexpr std::size_t xrsiz_at = 43;
constexpr std::size_t cod_at = 45; // for one component (Lsiz 41)

TEST(Jpeg2000Adversarial, CorruptHeadersFailCleanly) {
    const image_desc d = mono(64, 64, 16, 16);
    const bytes cs = sample_codestream(d);
    ASSERT_EQ(codecs::j2k::detail::be16(cs, cod_at), codecs::j2k::marker::cod);
    struct mutation {
        const char* what;
        std::function<void(bytes&)> apply;
        errc expected;
    };
    const std::vector<mutation> mutations = {
        {"huge dimensions",
         [](bytes& b) {
             put_be32(b, xsiz_at, 60000);
             put_be32(b, ysiz_at, 60000);
             put_be32(b, xtsiz_at, 60000);
             put_be32(b, ytsiz_at, 60000);
         },
         errc::codestream_mismatch},
        {"one pixel tiles",
         [](bytes& b) {
             put_be32(b, xtsiz_at, 1);
             put_be32(b, ytsiz_at, 1);
         },
         errc::truncated_codestream}, // 4096 tiles, one tile-part
        {"huge tile count",
         [](bytes& b) {
             put_be32(b, xsiz_at, 1U << 20);
             put_be32(b, ysiz_at, 1U << 20);
             put_be32(b, xtsiz_at, 1);
             put_be32(b, ytsiz_at, 1);
         },
         errc::codec_error},
        {"zero tile size", [](bytes& b) { put_be32(b, xtsiz_at, 0); }, errc::codec_error},
        {"Csiz 2", [](bytes& b) { put_be16(b, csiz_at, 2); }, errc::codec_error},
        {"Csiz 0", [](bytes& b) { put_be16(b, csiz_at, 0); }, errc::codec_error},
        {"precision 39", [](bytes& b) { b[ssiz_at] = std::byte{38}; }, errc::codec_error},
        {"precision 17", [](bytes& b) { b[ssiz_at] = std::byte{16}; }, errc::codestream_mismatch},
        {"XRsiz 0", [](bytes& b) { b[xrsiz_at] = std::byte{0}; }, errc::codec_error},
        {"subsampled", [](bytes& b) { b[xrsiz_at] = std::byte{2}; }, errc::codec_error},
        {"progression 9", [](bytes& b) { b[cod_at + 5] = std::byte{9}; }, errc::codec_error},
        {"zero layers", [](bytes& b) { put_be16(b, cod_at + 6, 0); }, errc::codec_error},
        {"MCT on one component", [](bytes& b) { b[cod_at + 8] = std::byte{1}; }, errc::codec_error},
        {"40 levels", [](bytes& b) { b[cod_at + 9] = std::byte{40}; }, errc::codec_error},
        {"code-block 2^12",
         [](bytes& b) {
             b[cod_at + 10] = std::byte{8};
             b[cod_at + 11] = std::byte{8};
         },
         errc::codec_error},
        {"no SOC", [](bytes& b) { b[1] = std::byte{0x50}; }, errc::codec_error},
        {"SIZ length", [](bytes& b) { put_be16(b, 4, 200); }, errc::codec_error},
        {"SOT length",
         [](bytes& b) {
             const auto l = codecs::j2k::parse(b).value();
             put_be16(b, static_cast<std::size_t>(l.first_tile_part) + 2, 11);
         },
         errc::codec_error},
        {"Psot beyond the end",
         [](bytes& b) {
             const auto l = codecs::j2k::parse(b).value();
             put_be32(b, static_cast<std::size_t>(l.first_tile_part) + 6, 0x7FFFFFF0U);
         },
         errc::truncated_codestream},
        {"Isot beyond the tiles",
         [](bytes& b) {
             const auto l = codecs::j2k::parse(b).value();
             put_be16(b, static_cast<std::size_t>(l.first_tile_part) + 4, 3);
         },
         errc::codec_error},
    };
    for (const auto& m : mutations) {
        bytes b = cs;
        m.apply(b);
        for (const bool strict : {false, true}) {
            bytes out;
            const auto r = decode_raw(b, d.info(), out, strict);
            ASSERT_FALSE(r) << m.what;
            EXPECT_EQ(r.error().code, m.expected) << m.what << ": " << r.error().to_string();
        }
        // The library path never crashes either.
        EXPECT_FALSE(test::decode_file(test::encapsulated_file(d, j2k_lossless, {b}))) << m.what;
    }
}

TEST(Jpeg2000Adversarial, TileGridsAreBoundedBeforeDecoding) {
    // A 2048x2048 frame: 9x9 tiles are 51984 tiles (more bookkeeping than 8 frames), 8x8 tiles are more
    // than ISO/IEC 15444-1 allows (65535).
    const image_desc d = mono(2048, 2048, 16, 16);
    bytes cs = sample_codestream(mono(64, 64, 16, 16));
    put_be32(cs, xsiz_at, 2048);
    put_be32(cs, ysiz_at, 2048);
    for (const std::uint32_t tile : {9U, 8U}) {
        put_be32(cs, xtsiz_at, tile);
        put_be32(cs, ytsiz_at, tile);
        bytes out;
        const auto r = decode_raw(cs, d.info(), out);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, tile == 9 ? errc::limit_exceeded : errc::codec_error) << r.error().to_string();
    }
}

TEST(Jpeg2000Adversarial, DimensionMismatchAndOutputSize) {
    const image_desc d = mono(40, 30, 16, 16);
    const bytes cs = sample_codestream(d);
    image_desc other = d;
    other.rows = 41;
    bytes out;
    const auto r = decode_raw(cs, other.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codestream_mismatch);
    const auto whole = test::decode_file(test::encapsulated_file(other, j2k_lossless, {cs}));
    ASSERT_FALSE(whole);
    EXPECT_EQ(whole.error().code, errc::codestream_mismatch);
    image_desc colour = d;
    colour.spp = 3;
    colour.pi = "RGB";
    EXPECT_FALSE(decode_raw(cs, colour.info(), out));
    // An 8-bit container for a 16-bit codestream.
    EXPECT_FALSE(decode_raw(cs, mono(40, 30, 8, 8).info(), out));
    // Output of the wrong size: refused, nothing written.
    bytes small(10, std::byte{0x5A});
    static const limits lim{};
    decode_options o;
    o.limits = &lim;
    const auto e = decoder().decode(cs, d.info(), small, o);
    ASSERT_FALSE(e);
    EXPECT_EQ(small, bytes(10, std::byte{0x5A}));
}

TEST(Jpeg2000Adversarial, RandomCorruptionNeverCrashes) {
    const image_desc d = mono(64, 64, 16, 16);
    const bytes cs = sample_codestream(d);
    std::mt19937 rng(1234);
    int failures = 0;
    for (int i = 0; i < 300; ++i) {
        bytes b = cs;
        const int flips = 1 + static_cast<int>(rng() % 6);
        for (int k = 0; k < flips; ++k) {
            b[2 + rng() % (b.size() - 2)] = static_cast<std::byte>(rng());
        }
        bytes out;
        failures += decode_raw(b, d.info(), out) ? 0 : 1;
    }
    EXPECT_GT(failures, 0);
}

TEST(Jpeg2000Adversarial, Jp2FileInsteadOfCodestream) {
    if (!test::have_tool("opj_compress")) {
        GTEST_SKIP() << "opj_compress not installed";
    }
    const image_desc d = mono(32, 40, 16, 12);
    const samples s = test::smooth_samples(d, 8);
    test::temp_dir dir;
    test::write_bytes(dir.path("in.rawl"), to_rawl(d, s));
    ASSERT_TRUE(test::run("opj_compress -i " + dir.path("in.rawl").string() + " -F 40,32,1,12,u -o " +
                          dir.path("x.jp2").string()));
    const bytes jp2 = test::read_all(dir.path("x.jp2"));
    ASSERT_TRUE(codecs::j2k::parse(jp2).value().jp2);
    const auto decoded = test::decode_file(test::encapsulated_file(d, j2k_lossless, {jp2}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->values, s);
    ASSERT_FALSE(decoded->warnings.empty());
    EXPECT_NE(decoded->warnings.front().find("JP2"), std::string::npos);
    pixel_options strict;
    strict.strict = true;
    EXPECT_FALSE(test::decode_file(test::encapsulated_file(d, j2k_lossless, {jp2}), strict));
    // A JP2 signature with no codestream box.
    const bytes box_only(jp2.begin(), jp2.begin() + 12);
    bytes out;
    EXPECT_FALSE(decode_raw(box_only, d.info(), out));
}

// ---- corpus -------------------------------------------------------------------------------------------

bool is_j2k_row(const std::map<std::string, std::string>& row) {
    const std::string& ts = row.at("transfer_syntax_uid");
    return ts == j2k_lossless || ts == j2k_lossy;
}

TEST(Jpeg2000Corpus, DecodesEveryFileGdcmDecodesAsGdcmconvRaw) {
    if (test::corpus_dir().empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const bool gdcm = test::have_tool("gdcmconv");
    test::temp_dir dir;
    int checked = 0;
    for (const auto& row : test::manifest()) {
        if (!is_j2k_row(row) || row.at("other_decoder").find(": yes") == std::string::npos) {
            continue; // files no other decoder reads are in KakaduInconsistentSot... and the pair tests
        }
        const auto path = test::corpus_dir() / row.at("path");
        const auto ours = test::decode_path(path);
        ASSERT_TRUE(ours) << row.at("path") << ": " << ours.error().to_string();
        ++checked;
        if (!gdcm) {
            continue;
        }
        const auto raw = dir.path("raw.dcm");
        ASSERT_TRUE(test::run("gdcmconv --raw " + path.string() + " " + raw.string())) << row.at("path");
        const auto theirs = test::decode_path(raw);
        ASSERT_TRUE(theirs) << row.at("path") << ": " << theirs.error().to_string();
        ASSERT_EQ(ours->values.size(), theirs->values.size()) << row.at("path");
        // GDCM applies the inverse MCT like OpenJPEG; both sides are normalised by the dataset's Bits
        // Stored / Pixel Representation, so the samples compare directly.
        std::size_t differing = 0;
        std::int64_t max_diff = 0;
        for (std::size_t i = 0; i < ours->values.size(); ++i) {
            const std::int64_t diff = std::llabs(ours->values[i] - theirs->values[i]);
            differing += diff != 0 ? 1 : 0;
            max_diff = std::max(max_diff, diff);
        }
        EXPECT_EQ(differing, 0U) << row.at("path") << ": max |diff| " << max_diff;
    }
    EXPECT_GE(checked, 40);
}

TEST(Jpeg2000Corpus, KakaduInconsistentSotAndSignednessMismatches) {
    if (test::corpus_dir().empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const auto dir = test::corpus_dir() / "pylibjpeg-data/ljdata/ds/JPEG2000Lossless";
    const auto kakadu = test::decode_path(dir / "NM_Kakadu44_SOTmarkerincons.dcm");
    ASSERT_TRUE(kakadu) << kakadu.error().to_string();
    EXPECT_EQ(kakadu->values.size(), 2500U * 2048U);
    for (const char* name : {"TOSHIBA_J2K_SIZ0_PixRep1.dcm", "TOSHIBA_J2K_SIZ1_PixRep0.dcm"}) {
        const auto r = test::decode_path(dir / name);
        EXPECT_TRUE(r) << name << ": " << r.error().to_string();
    }
    // pydicom #966: a COM marker between the last tile-part and EOC; GDCM and OpenJPEG refuse it.
    const auto odd = test::decode_path(dir / "966.dcm");
    ASSERT_TRUE(odd) << odd.error().to_string();
    const auto fixed = test::decode_path(dir / "966_fixed.dcm");
    ASSERT_TRUE(fixed) << fixed.error().to_string();
    EXPECT_EQ(odd->values, fixed->values);
    // A sequence delimiter written over codestream bytes (pydicom #1140): a clean error.
    const auto broken = test::decode_path(
        test::corpus_dir() / "pydicom/src/pydicom/data/test_files/JPEG2000-embedded-sequence-delimiter.dcm");
    EXPECT_FALSE(broken);
}

} // namespace
} // namespace dicompix
