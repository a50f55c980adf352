// SPDX-License-Identifier: BSD-3-Clause
// HTJ2K through OpenJPH (4.201 / 4.202 / 4.203, PS3.5 §A.4.10, §10.18; ISO/IEC 15444-15): round trips
// over 8/12/16 bits, signed data, 1 and 3 components and odd sizes (cross-checked with OpenJPEG);
// 4.202's RPCL order, resolution count and TLM marker; lossy 4.203 at a compression ratio; codestreams
// made by ojph_compress (tiles, colour transform, 9/7) decoded as ojph_expand decodes them; the
// fallback to OpenJPEG for what OpenJPH 0.9 cannot decode; and adversarial codestreams (truncation at
// many cut points, header corruptions that make OpenJPH 0.9 abort, random corruption).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "codecs/j2k_codestream.hpp"
#include "codecs/j2k_packets.hpp"
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
namespace j2k = codecs::j2k;

constexpr std::string_view ht_lossless = uids::htj2k_lossless;
constexpr std::string_view ht_rpcl = uids::htj2k_rpcl_lossless;
constexpr std::string_view ht_lossy = uids::htj2k;

const frame_decoder& decoder(std::string_view name = "htj2k/openjph") {
    const frame_decoder* d = codec_registry::builtin().decoder(name);
    EXPECT_NE(d, nullptr);
    return *d;
}
const frame_encoder& encoder() {
    const frame_encoder* e = codec_registry::builtin().encoder("htj2k/openjph");
    EXPECT_NE(e, nullptr);
    return *e;
}

encoded_frame encode(const image_desc& d, const samples& s, std::string_view uid, encode_options options = {}) {
    auto r = encoder().encode(test::to_frame_bytes(d, s), d.info(), uid, options);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(*r) : encoded_frame{};
}

result<decode_report> decode_raw(const bytes& cs, const frame_info& info, bytes& out, bool strict = false,
                                 std::string_view name = "htj2k/openjph") {
    out.assign(info.decoded_frame_bytes().value(), std::byte{0xAB});
    static const limits lim{};
    decode_options o;
    o.strict = strict;
    o.limits = &lim;
    return decoder(name).decode(cs, info, out, o);
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
};

class Htj2kRoundTrip : public ::testing::TestWithParam<rt_case> {};

TEST_P(Htj2kRoundTrip, LosslessExactAndReadableByOpenJpeg) {
    const auto& c = GetParam();
    const samples s = test::random_samples(c.desc, 3);
    for (const std::string_view uid : {ht_lossless, ht_rpcl}) {
        const encoded_frame f = encode(c.desc, s, uid);
        EXPECT_FALSE(f.lossy);
        image_desc stored = c.desc;
        stored.pi = std::string(to_string(f.colour));
        if (c.desc.spp == 3) {
            EXPECT_EQ(f.colour, photometric::ybr_rct);
        }
        const auto l = j2k::parse(f.codestream).value();
        EXPECT_TRUE(l.ht);
        EXPECT_EQ(l.transform, 1);
        EXPECT_EQ(l.end, j2k::ending::eoc);
        if (uid == ht_rpcl) {
            // PS3.5 §10.18: RPCL, lowest resolution <= 64 on each side, TLM present.
            EXPECT_EQ(l.progression, 2);
            EXPECT_LE((std::max(c.desc.rows, c.desc.columns) + (1U << l.levels) - 1) >> l.levels, 64U);
            EXPECT_NE(l.main_markers & j2k::has_tlm, 0U);
            EXPECT_TRUE(l.tlm_consistent);
        }
        const bytes file = test::encapsulated_file(stored, uid, {f.codestream});
        const auto decoded = test::decode_file(file);
        ASSERT_TRUE(decoded) << decoded.error().to_string();
        EXPECT_EQ(decoded->codec, "htj2k/openjph");
        EXPECT_EQ(decoded->values, s);
        EXPECT_TRUE(decoded->warnings.empty()) << decoded->warnings.front();
        if (c.desc.spp == 3) {
            EXPECT_EQ(decoded->colour, photometric::rgb);
        }
        pixel_options openjpeg;
        openjpeg.decoder = "jpeg2000/openjpeg";
        const auto cross = test::decode_file(file, openjpeg);
        ASSERT_TRUE(cross) << cross.error().to_string();
        EXPECT_EQ(cross->values, s);
    }
}

TEST_P(Htj2kRoundTrip, Lossy203AtARatio) {
    const auto& c = GetParam();
    image_desc desc = c.desc;
    if (std::size_t{desc.rows} * desc.columns < 4096) {
        // Headers dominate tiny frames: test the same sample format at a size a ratio can apply to.
        desc.rows = 96;
        desc.columns = 80;
    }
    const samples s = test::smooth_samples(desc, 5);
    encode_options o;
    o.quality = 8;
    const encoded_frame f = encode(desc, s, ht_lossy, o);
    EXPECT_TRUE(f.lossy);
    EXPECT_EQ(f.method, "ISO_15444_15");
    const double raw = static_cast<double>(s.size()) * desc.bs / 8.0;
    EXPECT_LE(static_cast<double>(f.codestream.size()), raw / 8.0 + 400);
    image_desc stored = desc;
    stored.pi = std::string(to_string(f.colour));
    const auto decoded = test::decode_file(test::encapsulated_file(stored, ht_lossy, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_GT(psnr(decoded->values, s, std::ldexp(1.0, desc.bs) - 1), 30.0);
    // Lossless in 4.203 when quality is 0.
    const encoded_frame exact = encode(desc, s, ht_lossy);
    EXPECT_FALSE(exact.lossy);
}

const rt_case rt_cases[] = {
    {"u8", mono(64, 48, 8, 8)},
    {"u16", mono(64, 64, 16, 16)},
    {"u12_in_16", mono(60, 70, 16, 12)},
    {"s16", mono(64, 64, 16, 16, true)},
    {"s12_in_16", mono(33, 65, 16, 12, true)},
    {"s8", mono(16, 16, 8, 8, true)},
    {"rgb8", rgb(40, 50)},
    {"rgb16", rgb(32, 32, 16, 16)},
    {"odd_1x1", mono(1, 1, 16, 16)},
    {"odd_3x5", mono(3, 5, 8, 8)},
    {"odd_8x8", mono(8, 8, 8, 8)},
    {"odd_1000x7", mono(1000, 7, 16, 10)},
    {"odd_1x1000", mono(1, 1000, 8, 8)},
    {"big_600x500", mono(600, 500, 16, 16)},
};
INSTANTIATE_TEST_SUITE_P(Cases, Htj2kRoundTrip, ::testing::ValuesIn(rt_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Htj2kEncoder, RefusesWhatItCannotCarry) {
    encode_options lossy;
    lossy.quality = 5;
    EXPECT_FALSE(encoder().can_encode(ht_lossless, mono(8, 8, 16, 16).info(), lossy));
    EXPECT_FALSE(encoder().can_encode(ht_rpcl, mono(8, 8, 16, 16).info(), lossy));
    EXPECT_TRUE(encoder().can_encode(ht_lossy, mono(8, 8, 16, 16).info(), lossy));
    EXPECT_FALSE(encoder().can_encode(uids::jpeg_2000, mono(8, 8, 8, 8).info(), {}));
    EXPECT_FALSE(encoder().can_encode(ht_lossless, mono(8, 8, 32, 32).info(), {}));
    image_desc four = mono(8, 8, 8, 8);
    four.spp = 4;
    EXPECT_FALSE(encoder().can_encode(ht_lossless, four.info(), {}));
    frame_info palette = mono(8, 8, 8, 8).info();
    palette.photometric_interpretation = photometric::palette_color;
    EXPECT_TRUE(encoder().can_encode(ht_lossless, palette, {}));
    const auto lossy_palette = encoder().can_encode(ht_lossy, palette, lossy);
    ASSERT_FALSE(lossy_palette);
    EXPECT_EQ(lossy_palette.error().code, errc::cannot_encode);
}

// ---- codestreams made by ojph_compress, compared with ojph_expand -------------------------------------

/// Planar raw samples as OpenJPH's .yuv reader takes them (little-endian 16-bit above 8 bits).
bytes to_planar(const image_desc& d, const samples& s) {
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

samples from_planar(const image_desc& d, const bytes& raw) {
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
    std::string options;
    std::string_view uid;
    std::string expect_codec;
};

class Htj2kTools : public ::testing::TestWithParam<tool_case> {};

/// A binary PPM (P6, 8-bit) of interleaved RGB samples.
bytes to_ppm(const image_desc& d, const samples& s) {
    const std::string header = "P6\n" + std::to_string(d.columns) + " " + std::to_string(d.rows) + "\n255\n";
    bytes out = test::to_bytes(header);
    for (const auto v : s) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

samples from_ppm(const image_desc& d, const bytes& b) {
    // Skip the three header tokens (magic, size, maxval), then one whitespace byte.
    std::size_t p = 0;
    for (int tokens = 0; tokens < 4 && p < b.size(); ++p) {
        const bool space = b[p] == std::byte{' '} || b[p] == std::byte{'\n'};
        if (space && (p == 0 || !(b[p - 1] == std::byte{' '} || b[p - 1] == std::byte{'\n'}))) {
            ++tokens;
        }
    }
    samples out;
    for (; p < b.size() && out.size() < std::size_t{d.rows} * d.columns * 3; ++p) {
        out.push_back(std::to_integer<std::int64_t>(b[p]));
    }
    return out;
}

TEST_P(Htj2kTools, DecodesLikeOjphExpand) {
    if (!test::have_tool("ojph_compress") || !test::have_tool("ojph_expand")) {
        GTEST_SKIP() << "ojph_compress/ojph_expand (openjph-tools) not installed";
    }
    const auto& c = GetParam();
    const samples s = test::smooth_samples(c.desc, 13);
    test::temp_dir dir;
    // ojph_compress 0.9 reads RGB from PPM; monochrome from planar raw (.yuv). Its .yuv reader does not
    // convert signed samples (it codes their unsigned bit patterns), so signed data is tested through
    // our own encoder and the corpus instead.
    const bool colour = c.desc.spp == 3;
    const std::string in = dir.path(colour ? "in.ppm" : "in.yuv").string();
    const std::string out = dir.path(colour ? "out.ppm" : "out.yuv").string();
    std::string command = "ojph_compress -i " + in + " -o " + dir.path("x.j2c").string() + " " + c.options;
    if (colour) {
        test::write_bytes(in, to_ppm(c.desc, s));
    } else {
        test::write_bytes(in, to_planar(c.desc, s));
        command += " -dims \\{" + std::to_string(c.desc.columns) + "," + std::to_string(c.desc.rows) +
                   "\\} -num_comps 1 -signed false -bit_depth " + std::to_string(c.desc.bs) + " -downsamp \\{1,1\\}";
    }
    ASSERT_TRUE(test::run(command)) << command;
    ASSERT_TRUE(test::run("ojph_expand -i " + dir.path("x.j2c").string() + " -o " + out));
    const bytes expanded = test::read_all(out);
    const samples reference = colour ? from_ppm(c.desc, expanded) : from_planar(c.desc, expanded);
    ASSERT_EQ(reference.size(), s.size());
    const bytes cs = test::read_all(dir.path("x.j2c"));
    const auto decoded = test::decode_file(test::encapsulated_file(c.desc, c.uid, {cs}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->codec, c.expect_codec);
    if (c.expect_codec == "htj2k/openjph") {
        EXPECT_EQ(decoded->values, reference);
    }
    if (c.options.find("-reversible true") != std::string::npos) {
        EXPECT_EQ(decoded->values, s);
    } else {
        EXPECT_GT(psnr(decoded->values, s, std::ldexp(1.0, c.desc.bs) - 1), 35.0);
    }
    if (colour) {
        EXPECT_EQ(decoded->colour, photometric::rgb);
    }
}

const tool_case tool_cases[] = {
    {"u16_rev", mono(100, 90, 16, 16), "-reversible true", ht_lossless, "htj2k/openjph"},
    {"u12_tiles", mono(130, 150, 16, 12), "-reversible true -tile_size \\{64,48\\} -num_decomps 3", ht_lossless,
     "htj2k/openjph"},
    {"u16_tiles", mono(64, 80, 16, 16), "-reversible true -tile_size \\{32,32\\} -num_decomps 4", ht_lossless,
     "htj2k/openjph"},
    {"u12_lrcp", mono(50, 60, 16, 12), "-reversible true -prog_order LRCP", ht_lossless, "htj2k/openjph"},
    // The packet walk (j2k_packets.hpp) must follow every progression order and precinct partition that
    // OpenJPH writes, or these frames would go to OpenJPEG.
    {"u12_rlcp_precincts", mono(70, 50, 16, 12),
     "-reversible true -prog_order RLCP -precincts \\{8,8\\},\\{16,16\\},\\{32,32\\}", ht_lossless, "htj2k/openjph"},
    {"u16_pcrl_precincts_tiles", mono(90, 75, 16, 16),
     "-reversible true -prog_order PCRL -tile_size \\{48,40\\} -num_decomps 3 -precincts \\{8,8\\},\\{16,16\\}",
     ht_lossless, "htj2k/openjph"},
    {"rgb_cprl_precincts", rgb(66, 52), "-reversible true -prog_order CPRL -precincts \\{16,16\\},\\{32,32\\}",
     ht_lossless, "htj2k/openjph"},
    {"u8_rpcl_precincts_blocks", mono(100, 33, 8, 8),
     "-reversible true -prog_order RPCL -block_size \\{8,16\\} -precincts \\{16,8\\},\\{32,16\\},\\{64,32\\}",
     ht_lossless, "htj2k/openjph"},
    {"u8_97", mono(64, 64, 8, 8), "-qstep 0.01", ht_lossy, "htj2k/openjph"},
    {"u16_97", mono(64, 64, 16, 16), "-qstep 0.0005", ht_lossy, "htj2k/openjph"},
    {"rgb_ct", rgb(48, 40), "-reversible true", ht_lossless, "htj2k/openjph"},
    {"rgb_ct_tiles", rgb(70, 90), "-reversible true -tile_size \\{32,40\\} -num_decomps 3", ht_lossless,
     "htj2k/openjph"},
    {"rgb_no_ct", rgb(48, 40), "-reversible true -colour_trans false", ht_lossless, "htj2k/openjph"},
    {"rgb_97_ct", rgb(48, 40), "-qstep 0.005", ht_lossy, "htj2k/openjph"},
    {"blocks_32x16", mono(70, 70, 16, 16), "-reversible true -block_size \\{16,32\\}", ht_lossless, "htj2k/openjph"},
    // Five levels on an 8x8 image: OpenJPH 0.9 reconstructs it wrongly, so OpenJPEG decodes it.
    {"too_many_levels", mono(8, 8, 8, 8), "-reversible true -num_decomps 5", ht_lossless, "jpeg2000/openjpeg"},
    // Image offset: not in OpenJPH's accepted subset.
    {"image_offset", mono(32, 32, 8, 8), "-reversible true -image_offset \\{3,5\\}", ht_lossless, "jpeg2000/openjpeg"},
};
INSTANTIATE_TEST_SUITE_P(Ojph, Htj2kTools, ::testing::ValuesIn(tool_cases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(Htj2kDecoder, PartOneCodestreamGoesToOpenJpeg) {
    // A 4.201 file whose codestream is plain JPEG 2000 (no HT code-blocks).
    const image_desc d = mono(32, 32, 16, 16);
    const samples s = test::random_samples(d, 6);
    const auto* j2k_encoder = codec_registry::builtin().encoder("jpeg2000/openjpeg");
    ASSERT_NE(j2k_encoder, nullptr);
    const auto f = j2k_encoder->encode(test::to_frame_bytes(d, s), d.info(), uids::jpeg_2000_lossless, {}).value();
    bytes out;
    EXPECT_FALSE(decoder().read_header(f.codestream, d.info()));
    const auto decoded = test::decode_file(test::encapsulated_file(d, ht_lossless, {f.codestream}));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(decoded->codec, "jpeg2000/openjpeg");
    EXPECT_EQ(decoded->values, s);
}

TEST(Htj2kDecoder, ConcurrentCallsAgree) {
    const image_desc d = mono(200, 180, 16, 12);
    const samples s = test::smooth_samples(d, 5);
    const encoded_frame f = encode(d, s, ht_rpcl);
    bytes corrupt = f.codestream;
    corrupt[corrupt.size() / 2] = std::byte{0xFF};
    corrupt[corrupt.size() / 2 + 1] = std::byte{0xFF};
    std::vector<std::thread> threads;
    std::vector<int> ok(8, 0);
    for (std::size_t t = 0; t < ok.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                bytes out;
                const bool good = (t % 2) == 0;
                const auto r = decode_raw(good ? f.codestream : corrupt, d.info(), out);
                ok[t] += (good && r && out == test::to_frame_bytes(d, s)) || !good ? 1 : 0;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const int n : ok) {
        EXPECT_EQ(n, 5);
    }
}

// ---- adversarial --------------------------------------------------------------------------------------

// fuzz_decode_htj2k finding fa0b8ac9 (testdata/crashers/fuzz-decode_htj2k-fa0b8ac9.j2c): a hostile packet
// header made OpenJPH 0.9 assert (abort) on a segment-length read of more than 32 bits.
TEST(Htj2kAdversarial, FuzzFindingFa0b8ac9NeverReachesOpenJph) {
    const bytes file =
        test::read_all(std::filesystem::path(DICOMPIX_TESTDATA_DIR) / "crashers" / "fuzz-decode_htj2k-fa0b8ac9.j2c");
    // The fuzz input is the codestream followed by the harness's option bytes.
    const auto eoc = std::search(file.begin(), file.end(), j2k::eoc_bytes.begin(), j2k::eoc_bytes.end());
    ASSERT_NE(eoc, file.end());
    const bytes cs(file.begin(), eoc + 2);
    const auto l = j2k::parse(cs);
    ASSERT_TRUE(l);
    EXPECT_EQ(j2k::check_ht_packet_headers(*l).rfind("packet walk: ", 0), 0U);
    const image_desc d = mono(16, 16, 16, 12);
    bytes out;
    const auto r = decode_raw(cs, d.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codec_error);
    EXPECT_NE(r.error().message.find("packet walk"), std::string::npos) << r.error().message;
    // Through the library the frame goes to OpenJPEG, which refuses the packet header too.
    const auto whole = test::decode_file(test::encapsulated_file(d, ht_lossless, {cs}));
    ASSERT_FALSE(whole);
    EXPECT_NE(whole.error().message.find("jpeg2000/openjpeg"), std::string::npos) << whole.error().message;
}

// The same abort, built on purpose: one code-block whose Lblock comma code (ISO/IEC 15444-1 B.10.7.1)
// holds 30 ones, so that its segment length would be read with 33 bits.
TEST(Htj2kAdversarial, LblockOverflowIsRefusedBeforeOpenJph) {
    const image_desc d = mono(16, 16, 16, 12);
    const bytes valid = encode(d, test::smooth_samples(d, 3), ht_lossless).codestream;
    const auto vl = j2k::parse(valid).value();
    bytes cs(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(vl.first_tile_part));
    // No decomposition: one resolution, one band, one code-block, one packet.
    constexpr std::array<std::byte, 2> cod_marker{std::byte{0xFF}, std::byte{0x52}};
    const auto cod =
        static_cast<std::size_t>(std::search(cs.begin(), cs.end(), cod_marker.begin(), cod_marker.end()) - cs.begin());
    ASSERT_LT(cod, cs.size());
    cs[cod + 9] = std::byte{0};
    // Packet header bits (B.10.1: a byte after 0xFF carries 7 bits): present, included, no missing
    // bit-plane, one pass, Lblock comma code of 30 ones, then 33 length bits.
    const std::string bits = "1110" + std::string(30, '1') + "0" + std::string(32, '0') + "1";
    bytes header;
    for (std::size_t i = 0; i < bits.size();) {
        const unsigned width = !header.empty() && header.back() == std::byte{0xFF} ? 7U : 8U;
        unsigned v = 0;
        for (unsigned k = 0; k < width; ++k, ++i) {
            v = (v << 1U) | (i < bits.size() && bits[i] == '1' ? 1U : 0U);
        }
        header.push_back(static_cast<std::byte>(v));
    }
    header.resize(header.size() + 8, std::byte{0x11}); // some "code-block data"
    const std::uint32_t psot = static_cast<std::uint32_t>(14 + header.size());
    for (const unsigned v : {0xFFU, 0x90U, 0x00U, 0x0AU, 0x00U, 0x00U, psot >> 24U, (psot >> 16U) & 0xFFU,
                             (psot >> 8U) & 0xFFU, psot & 0xFFU, 0x00U, 0x01U, 0xFFU, 0x93U}) {
        cs.push_back(static_cast<std::byte>(v));
    }
    cs.insert(cs.end(), header.begin(), header.end());
    cs.push_back(std::byte{0xFF});
    cs.push_back(std::byte{0xD9});
    const auto l = j2k::parse(cs);
    ASSERT_TRUE(l) << l.error().to_string();
    ASSERT_EQ(l->end, j2k::ending::eoc);
    const std::string why = j2k::check_ht_packet_headers(*l);
    EXPECT_NE(why.find("segment length field of 33 bits"), std::string::npos) << why;
    bytes out;
    const auto r = decode_raw(cs, d.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codec_error);
    EXPECT_NE(r.error().message.find("segment length field of 33 bits"), std::string::npos) << r.error().message;
    EXPECT_FALSE(test::decode_file(test::encapsulated_file(d, ht_lossless, {cs})));
}

// fuzz_decode_htj2k finding 2aca45e6 (testdata/crashers/fuzz-decode_htj2k-2aca45e6.j2c): a YTsiz of
// 0xFFFFFF00 (one tile, larger than the image: valid) made OpenJPH 0.9, which holds tile sizes in signed
// 32-bit integers, dereference a null pointer. Such tiles go to OpenJPEG, which decodes them, or (when its
// own 32-bit tile count overflows, as for this one) refuses them cleanly.
TEST(Htj2kAdversarial, HugeTileSizeGoesToOpenJpeg) {
    const image_desc d = mono(40, 30, 16, 12);
    const samples s = test::smooth_samples(d, 5);
    const bytes cs = encode(d, s, ht_lossless).codestream;
    const std::size_t siz = 4; // SOC, then the SIZ marker and its length
    ASSERT_EQ(j2k::detail::be16(cs, 2), j2k::marker::siz);
    for (const std::size_t field : {siz + 20, siz + 24}) { // XTsiz, YTsiz (ISO/IEC 15444-1 A.5.1)
        for (const std::uint32_t side : {0x01000001U, 0xFFFFFF00U}) {
            bytes big = cs;
            for (std::size_t k = 0; k < 4; ++k) {
                big[field + k] = static_cast<std::byte>((side >> (24 - 8 * k)) & 0xFFU);
            }
            bytes out;
            const auto r = decode_raw(big, d.info(), out);
            ASSERT_FALSE(r);
            EXPECT_NE(r.error().message.find("tile size"), std::string::npos) << r.error().message;
            const auto whole = test::decode_file(test::encapsulated_file(d, ht_lossless, {big}));
            if (side == 0x01000001U) {
                ASSERT_TRUE(whole) << whole.error().to_string();
                EXPECT_EQ(whole->codec, "jpeg2000/openjpeg");
                EXPECT_EQ(whole->values, s);
            } else {
                ASSERT_FALSE(whole);
                EXPECT_NE(whole.error().message.find("jpeg2000/openjpeg"), std::string::npos) << whole.error().message;
            }
        }
    }
    const bytes file =
        test::read_all(std::filesystem::path(DICOMPIX_TESTDATA_DIR) / "crashers" / "fuzz-decode_htj2k-2aca45e6.j2c");
    const auto eoc = std::search(file.begin(), file.end(), j2k::eoc_bytes.begin(), j2k::eoc_bytes.end());
    ASSERT_NE(eoc, file.end());
    bytes out;
    const auto r = decode_raw(bytes(file.begin(), eoc + 2), mono(1024, 1024, 16, 16).info(), out);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("tile size"), std::string::npos) << r.error().message;
}

// The packet walk accepts what the encoder writes, uses up each tile exactly, and refuses a codestream
// whose tile data no longer matches its packet headers (the frame then goes to OpenJPEG).
TEST(Htj2kAdversarial, PacketWalkFollowsTheTileData) {
    const image_desc d = mono(96, 80, 16, 12);
    const samples s = test::smooth_samples(d, 9);
    for (const std::string_view uid : {ht_lossless, ht_rpcl, ht_lossy}) {
        const bytes cs = encode(d, s, uid).codestream;
        const auto l = j2k::parse(cs).value();
        EXPECT_EQ(j2k::check_ht_packet_headers(l), "") << uid;

        // One byte more in the tile-part (Psot and TLM say so): a byte after the last packet.
        bytes longer = cs;
        longer.insert(longer.end() - 2, std::byte{0});
        const std::size_t sot = static_cast<std::size_t>(l.first_tile_part);
        const std::uint32_t psot = j2k::detail::be32(cs, sot + 6) + 1;
        for (int i = 0; i < 4; ++i) {
            longer[sot + 6 + static_cast<std::size_t>(i)] = static_cast<std::byte>((psot >> (24 - 8 * i)) & 0xFFU);
        }
        const auto ll = j2k::parse(longer).value();
        if ((ll.main_markers & j2k::has_tlm) != 0) {
            continue; // the adapter already refuses the stale TLM
        }
        const std::string why = j2k::check_ht_packet_headers(ll);
        EXPECT_NE(why.find("1 bytes after its last packet"), std::string::npos) << uid << ": " << why;
        const auto whole = test::decode_file(test::encapsulated_file(d, uid, {longer}));
        ASSERT_TRUE(whole) << whole.error().to_string();
        EXPECT_EQ(whole->codec, "jpeg2000/openjpeg");
    }
}

TEST(Htj2kAdversarial, TruncationIsNeverSuccess) {
    const image_desc d = mono(64, 64, 16, 12);
    const samples s = test::smooth_samples(d, 4);
    for (const std::string_view uid : {ht_lossless, ht_rpcl}) {
        const bytes cs = encode(d, s, uid).codestream;
        const auto l = j2k::parse(cs).value();
        std::vector<std::size_t> cuts;
        for (std::size_t n = 0; n < l.first_tile_part + 16; ++n) {
            cuts.push_back(n);
        }
        for (std::size_t n = l.first_tile_part + 16; n + 2 < cs.size(); n += std::max<std::size_t>(1, cs.size() / 89)) {
            cuts.push_back(n);
        }
        for (const std::size_t n : cuts) {
            const bytes cut(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(n));
            for (const bool strict : {false, true}) {
                bytes out;
                EXPECT_FALSE(decode_raw(cut, d.info(), out, strict)) << "cut at " << n;
            }
            // The whole path (OpenJPH, then OpenJPEG) refuses it as well.
            EXPECT_FALSE(test::decode_file(test::encapsulated_file(d, uid, {cut}))) << "cut at " << n;
        }
        // Only the EOC missing: lenient decodes (the tile-parts are all there), strict refuses.
        const bytes no_eoc(cs.begin(), cs.end() - 2);
        bytes out;
        const auto lenient = decode_raw(no_eoc, d.info(), out, false);
        ASSERT_TRUE(lenient) << lenient.error().to_string();
        EXPECT_EQ(out, test::to_frame_bytes(d, s));
        EXPECT_FALSE(lenient->warnings.empty());
        EXPECT_FALSE(decode_raw(no_eoc, d.info(), out, true));
        // Up to three pad bytes are fine.
        bytes padded = cs;
        padded.insert(padded.end(), 3, std::byte{0});
        ASSERT_TRUE(decode_raw(padded, d.info(), out, true));
        EXPECT_EQ(out, test::to_frame_bytes(d, s));
    }
}

TEST(Htj2kAdversarial, CorpusTruncatedAtTilePartBoundaries) {
    // chafey/DICOMHTJ2K files have one tile-part per resolution: a cut at a tile-part boundary looks
    // like a complete lower-resolution codestream to OpenJPH (which then decodes it silently).
    if (test::corpus_dir().empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const bytes file = test::read_all(test::corpus_dir() / "DICOMHTJ2K/test/fixtures/htj2k/CT2_JPH");
    const bytes cs = test::first_codestream(file);
    const auto l = j2k::parse(cs).value();
    ASSERT_EQ(l.tile_parts, 4U);
    std::size_t p = static_cast<std::size_t>(l.first_tile_part);
    const frame_info info = [] {
        frame_info f = mono(512, 512, 16, 16, true).info();
        return f;
    }();
    for (int part = 0; part < 4; ++part) {
        p += j2k::detail::be32(cs, p + 6);
        const bytes cut(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(p));
        bytes out;
        const auto r = decode_raw(cut, info, out);
        if (part < 3) {
            ASSERT_FALSE(r) << "cut after tile-part " << part;
            EXPECT_EQ(r.error().code, errc::truncated_codestream);
        } else {
            EXPECT_TRUE(r) << r.error().to_string(); // only EOC missing
        }
    }
}

void put_be16(bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::byte>(v >> 8U);
    b[at + 1] = static_cast<std::byte>(v & 0xFFU);
}

std::size_t marker_offset(const bytes& cs, std::uint16_t code) {
    std::size_t p = 2;
    while (p + 4 <= cs.size()) {
        const std::uint16_t m = j2k::detail::be16(cs, p);
        if (m == code) {
            return p;
        }
        if (m == j2k::marker::sot) {
            break;
        }
        p += 2 + std::size_t{j2k::detail::be16(cs, p + 2)};
    }
    return 0;
}

TEST(Htj2kAdversarial, HeaderCorruptionsThatAbortOpenJph) {
    // Each of these made OpenJPH 0.9 abort (assert) or loop in a fuzz run; they must fail or fall back.
    const image_desc d = mono(96, 96, 16, 16, true);
    const samples s = test::smooth_samples(d, 2);
    const bytes cs = encode(d, s, ht_rpcl).codestream;
    const std::size_t cod = marker_offset(cs, j2k::marker::cod);
    const std::size_t qcd = marker_offset(cs, j2k::marker::qcd);
    const std::size_t tlm = marker_offset(cs, j2k::marker::tlm);
    ASSERT_NE(cod, 0U);
    ASSERT_NE(qcd, 0U);
    ASSERT_NE(tlm, 0U);
    const std::vector<std::pair<const char*, std::function<void(bytes&)>>> mutations = {
        {"58113 layers", [&](bytes& b) { put_be16(b, cod + 6, 58113); }},
        {"progression 0xB8", [&](bytes& b) { b[cod + 5] = std::byte{0xB8}; }},
        {"9/7 with reversible quantisation", [&](bytes& b) { b[cod + 13] = std::byte{0}; }},
        {"scalar derived quantisation", [&](bytes& b) { b[qcd + 4] = std::byte{0x41}; }},
        {"TLM length of tile-part", [&](bytes& b) { put_be16(b, tlm + 10, 0x6200); }},
        {"TLM tile index", [&](bytes& b) { put_be16(b, tlm + 6, 7); }},
        {"XOsiz", [](bytes& b) { b[19] = std::byte{0xAE}; }},
        {"YOsiz huge", [](bytes& b) { b[20] = std::byte{0x37}; }},
        {"Xsiz huge", [](bytes& b) { b[8] = std::byte{0x9D}; }},
        {"CAP marker code", [](bytes& b) { b[45] = std::byte{0x9D}; }},
    };
    for (const auto& [what, apply] : mutations) {
        bytes b = cs;
        apply(b);
        bytes out;
        for (const bool strict : {false, true}) {
            const auto r = decode_raw(b, d.info(), out, strict);
            EXPECT_FALSE(r) << what;
        }
        const auto whole = test::decode_file(test::encapsulated_file(d, ht_rpcl, {b}));
        if (whole) {
            EXPECT_NE(whole->codec, "htj2k/openjph") << what;
        }
    }
}

TEST(Htj2kAdversarial, RandomCorruptionNeverCrashes) {
    const image_desc d = mono(64, 64, 16, 16);
    const samples s = test::smooth_samples(d, 9);
    const bytes cs = encode(d, s, ht_rpcl).codestream;
    const auto l = j2k::parse(cs).value();
    std::mt19937 rng(99);
    int failures = 0;
    for (int i = 0; i < 400; ++i) {
        bytes b = cs;
        const bool header = (i % 2) == 0;
        const std::size_t span = header ? static_cast<std::size_t>(l.first_tile_part) - 2 : cs.size() - 2;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            b[2 + rng() % span] = static_cast<std::byte>(rng());
        }
        bytes out;
        failures += decode_raw(b, d.info(), out) ? 0 : 1;
        // The whole path, with OpenJPEG behind OpenJPH.
        static_cast<void>(test::decode_file(test::encapsulated_file(d, ht_rpcl, {b})));
    }
    EXPECT_GT(failures, 0);
}

TEST(Htj2kAdversarial, ErrorsCarryOpenJphsTextAndPrintNothing) {
    const image_desc d = mono(64, 64, 16, 16);
    const bytes cs = encode(d, test::smooth_samples(d, 1), ht_lossless).codestream;
    bytes b = cs;
    const auto l = j2k::parse(cs).value();
    for (std::size_t i = static_cast<std::size_t>(l.first_tile_part) + 14; i < b.size() - 2; i += 7) {
        b[i] = std::byte{0xFF}; // marker-like bytes all over the tile data
    }
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    bytes out;
    const auto r = decode_raw(b, d.info(), out);
    const std::string printed = ::testing::internal::GetCapturedStdout() + ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(printed.empty()) << printed;
    if (!r) {
        EXPECT_EQ(r.error().code, errc::codec_error);
        EXPECT_EQ(r.error().message.find("ojph error"), std::string::npos) << r.error().message;
    }
}

// ---- corpus -------------------------------------------------------------------------------------------

TEST(Htj2kCorpus, DecodesEveryFileAndAgreesWithOpenJpeg) {
    if (test::corpus_dir().empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    int checked = 0;
    for (const auto& row : test::manifest()) {
        const std::string& ts = row.at("transfer_syntax_uid");
        if (ts != ht_lossless && ts != ht_rpcl && ts != ht_lossy) {
            continue;
        }
        const auto path = test::corpus_dir() / row.at("path");
        const auto ours = test::decode_path(path);
        ASSERT_TRUE(ours) << row.at("path") << ": " << ours.error().to_string();
        EXPECT_EQ(ours->codec, "htj2k/openjph") << row.at("path");
        pixel_options openjpeg;
        openjpeg.decoder = "jpeg2000/openjpeg";
        const auto theirs = test::decode_path(path, openjpeg);
        ASSERT_TRUE(theirs) << row.at("path") << ": " << theirs.error().to_string();
        EXPECT_EQ(ours->values, theirs->values) << row.at("path");
        EXPECT_EQ(ours->colour, theirs->colour) << row.at("path");
        ++checked;
    }
    EXPECT_GE(checked, 12);
}

} // namespace
} // namespace dicompix
