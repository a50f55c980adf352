// SPDX-License-Identifier: BSD-3-Clause
// JPEG Baseline / Extended 8-bit through libjpeg-turbo (4.50, 4.51): corpus files decoded as dcmdjpeg
// decodes them, round trips through our encoder (checked by djpeg and dcmdjpeg too), codestreams made by
// cjpeg and dcmcjpeg, the colour decisions of PS3.5 §8.2.1 (YBR_FULL_422, YBR_FULL, Adobe APP14
// transform 0, RGB without markers, JFIF streams labelled RGB), 8-bit streams in 16-bit slots, 12-bit
// streams handed to the next decoder, and adversarial codestreams (truncation at every kind of cut point,
// corrupt markers and entropy data, dimension mismatches, huge declared sizes, too many scans).
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

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

constexpr std::string_view baseline = uids::jpeg_baseline;
constexpr std::string_view extended = uids::jpeg_extended;
constexpr std::string_view codec_name = "jpeg/libjpeg-turbo";

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

image_desc desc8(std::uint16_t rows, std::uint16_t columns, std::uint16_t spp, std::string pi) {
    image_desc d;
    d.rows = rows;
    d.columns = columns;
    d.spp = spp;
    d.ba = 8;
    d.bs = 8;
    d.pi = std::move(pi);
    return d;
}

/// Smooth colourful content: gradients, a disc and mild noise, clamped to 8 bits.
samples picture(const image_desc& d, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 3.0);
    samples s;
    s.reserve(std::size_t{d.rows} * d.columns * d.spp * d.frames);
    for (std::uint32_t f = 0; f < d.frames; ++f) {
        for (std::uint32_t y = 0; y < d.rows; ++y) {
            for (std::uint32_t x = 0; x < d.columns; ++x) {
                const double dx = x - d.columns / 2.0;
                const double dy = y - d.rows / 2.0;
                const bool disc = dx * dx + dy * dy < d.rows * d.columns / 10.0;
                for (std::uint32_t c = 0; c < d.spp; ++c) {
                    double v = 40.0 + 150.0 * (c == 0 ? x : c == 1 ? y : (x + y) / 2.0) / std::max(1, d.columns - 1) +
                               (disc ? 50.0 * (c == 2 ? -1 : 1) : 0.0) + noise(rng) + 2.0 * f;
                    s.push_back(static_cast<std::int64_t>(std::clamp(v, 0.0, 255.0)));
                }
            }
        }
    }
    return s;
}

struct stats {
    double max_diff{0};
    double psnr{0};
};

stats compare(const samples& a, const samples& b) {
    stats st;
    if (a.size() != b.size() || a.empty()) {
        st.max_diff = 1e9;
        return st;
    }
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(static_cast<double>(a[i] - b[i]));
        st.max_diff = std::max(st.max_diff, d);
        sum += d * d;
    }
    const double mse = sum / static_cast<double>(a.size());
    st.psnr = mse == 0 ? 1000.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
    return st;
}

encoded_frame encode(const image_desc& d, const samples& s, double quality = 0, bool colour_transform = true) {
    encode_options o;
    o.quality = quality;
    o.colour_transform = colour_transform;
    auto r = encoder().encode(test::to_frame_bytes(d, s), d.info(), baseline, o);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? std::move(*r) : encoded_frame{};
}

/// Decodes one codestream directly with our decoder (no library path).
result<decode_report> decode_direct(const bytes& cs, const frame_info& info, bytes& out, bool strict = false,
                                    std::uint32_t max_scans = 256) {
    out.assign(info.decoded_frame_bytes().value(), std::byte{0});
    limits lim;
    lim.max_jpeg_scans = max_scans;
    decode_options o;
    o.strict = strict;
    o.limits = &lim;
    return decoder().decode(cs, info, out, o);
}

/// All frames of a file as RGB (YBR converted by the library, as the pair test does) or grey samples.
result<samples> decode_rgb_path(const std::filesystem::path& path, const pixel_options& options = {}) {
    DICOMPIX_TRY(const dicom_file file, read_file(path));
    DICOMPIX_TRY(const pixel_data pixels, pixel_data::open(file, options));
    samples out;
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        DICOMPIX_TRY(any_frame f, pixels.frame(i));
        if (f.samples_per_pixel() == 3 && f.meta().photometric_interpretation != photometric::rgb) {
            DICOMPIX_TRY_VOID(convert_to_rgb(f, pixels.info().bits_stored));
        }
        f.visit([&](const auto& frame) {
            for (const auto v : frame.samples()) {
                out.push_back(static_cast<std::int64_t>(v));
            }
        });
    }
    return out;
}

// ---- PNM files for cjpeg / djpeg -------------------------------------------------------------------

bytes pnm(const image_desc& d, const samples& s) {
    const std::string header = std::string(d.spp == 3 ? "P6" : "P5") + "\n" + std::to_string(d.columns) + " " +
                               std::to_string(d.rows) + "\n255\n";
    bytes out = test::to_bytes(header);
    for (const auto v : s) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

samples parse_pnm(const bytes& b) {
    // "P5|P6 <w> <h> <max>\n" then bytes; djpeg writes no comments.
    std::size_t at = 0;
    int fields = 0;
    while (at < b.size() && fields < 4) {
        while (at < b.size() && std::isspace(static_cast<int>(b[at]))) {
            ++at;
        }
        while (at < b.size() && !std::isspace(static_cast<int>(b[at]))) {
            ++at;
        }
        ++fields;
    }
    ++at;
    samples s;
    for (; at < b.size(); ++at) {
        s.push_back(static_cast<std::int64_t>(b[at]));
    }
    return s;
}

/// Runs djpeg on a codestream and returns its samples (empty when djpeg failed).
samples djpeg(const bytes& cs, const std::string& flags = "") {
    test::temp_dir dir;
    test::write_bytes(dir.path("in.jpg"), cs);
    if (!test::run("djpeg -pnm " + flags + " -outfile " + dir.path("out.pnm").string() + " " +
                   dir.path("in.jpg").string())) {
        return {};
    }
    return parse_pnm(test::read_all(dir.path("out.pnm")));
}

/// Runs cjpeg on samples and returns the codestream (empty when cjpeg failed).
bytes cjpeg(const image_desc& d, const samples& s, const std::string& flags) {
    test::temp_dir dir;
    test::write_bytes(dir.path("in.pnm"), pnm(d, s));
    if (!test::run("cjpeg " + flags + " -outfile " + dir.path("out.jpg").string() + " " + dir.path("in.pnm").string())) {
        return {};
    }
    return test::read_all(dir.path("out.jpg"));
}

/// Marker segments: (marker, offset of the marker) up to SOS.
std::vector<std::pair<int, std::size_t>> markers(const bytes& cs) {
    std::vector<std::pair<int, std::size_t>> out;
    std::size_t at = 2;
    while (at + 4 <= cs.size() && cs[at] == std::byte{0xFF}) {
        const int m = static_cast<int>(cs[at + 1]);
        out.emplace_back(m, at);
        if (m == 0xDA) {
            break;
        }
        at += 2 + ((static_cast<std::size_t>(cs[at + 2]) << 8) | static_cast<std::size_t>(cs[at + 3]));
    }
    return out;
}

std::size_t marker_at(const bytes& cs, int marker) {
    for (const auto& [m, at] : markers(cs)) {
        if (m == marker) {
            return at;
        }
    }
    return 0;
}

bytes remove_segment(const bytes& cs, int marker) {
    const std::size_t at = marker_at(cs, marker);
    if (at == 0) {
        return cs;
    }
    const std::size_t length = (static_cast<std::size_t>(cs[at + 2]) << 8) | static_cast<std::size_t>(cs[at + 3]);
    bytes out(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(at));
    out.insert(out.end(), cs.begin() + static_cast<std::ptrdiff_t>(at + 2 + length), cs.end());
    return out;
}

/// Sets the component identifiers of SOF and SOS (for "no evidence" streams).
bytes set_component_ids(bytes cs, std::uint8_t a, std::uint8_t b, std::uint8_t c) {
    const std::uint8_t ids[3] = {a, b, c};
    for (const auto& [m, at] : markers(cs)) {
        if (m == 0xC0 || m == 0xC1 || m == 0xC2) {
            for (std::size_t k = 0; k < 3; ++k) {
                cs[at + 10 + 3 * k] = std::byte{ids[k]};
            }
        } else if (m == 0xDA) {
            // Our encoder writes one interleaved scan with the components in frame order.
            const auto n = static_cast<std::size_t>(cs[at + 4]);
            for (std::size_t k = 0; k < n && k < 3; ++k) {
                cs[at + 5 + 2 * k] = std::byte{ids[k]};
            }
        }
    }
    return cs;
}

std::string manifest_flag(const std::map<std::string, std::string>& row, const char* key) {
    const auto it = row.find(key);
    return it == row.end() ? std::string{} : it->second;
}

// ---- registration and contract ---------------------------------------------------------------------

TEST(JpegTurbo, RegisteredForBaselineAndExtended) {
    const frame_info info = desc8(8, 8, 3, "YBR_FULL_422").info();
    EXPECT_TRUE(decoder().can_decode(baseline, info));
    EXPECT_TRUE(decoder().can_decode(extended, info));
    EXPECT_FALSE(decoder().can_decode(uids::jpeg_lossless_sv1, info));
    const auto found = codec_registry::builtin().decoders_for(baseline, info);
    ASSERT_FALSE(found.empty());
    EXPECT_EQ(found.front()->name(), codec_name);
    // 4.51: ours first, so 12-bit streams go on to the 12-bit decoder after our read_header refuses them.
    image_desc d12 = desc8(8, 8, 1, "MONOCHROME2");
    d12.ba = 16;
    d12.bs = 12;
    const auto found51 = codec_registry::builtin().decoders_for(extended, d12.info());
    ASSERT_GE(found51.size(), 2U);
    EXPECT_EQ(found51.front()->name(), codec_name);
}

// ---- corpus: decoded as dcmdjpeg decodes it ----------------------------------------------------------

TEST(JpegTurbo, CorpusMatchesDcmdjpeg) {
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    if (!test::have_tool("dcmdjpeg")) {
        GTEST_SKIP() << "dcmdjpeg (dcmtk) not installed";
    }
    int checked = 0;
    for (const auto& row : test::manifest()) {
        const std::string ts = manifest_flag(row, "transfer_syntax_uid");
        if ((ts != baseline && ts != extended) || manifest_flag(row, "bits_stored") != "8") {
            continue;
        }
        const std::string path = row.at("path");
        SCOPED_TRACE(path);
        const auto ours = decode_rgb_path(dir / path);
        ASSERT_TRUE(ours) << ours.error().to_string();
        if (path.find("pylibjpeg-data") != std::string::npos && path.find("SC_rgb_jpeg_lossy_gdcm") != std::string::npos) {
            continue; // a YCbCr stream labelled RGB: we differ from DCMTK on purpose (ColourYcbcrLabelledRgb)
        }
        test::temp_dir tmp;
        const auto out = tmp.path("out.dcm");
        if (manifest_flag(row, "dcmtk_decodes").rfind("yes", 0) == 0) {
            ASSERT_TRUE(test::run("dcmdjpeg " + (dir / path).string() + " " + out.string()));
        } else {
            ASSERT_TRUE(test::run("gdcmconv --raw " + (dir / path).string() + " " + out.string()));
        }
        const auto theirs = decode_rgb_path(out);
        ASSERT_TRUE(theirs) << theirs.error().to_string();
        const stats st = compare(*ours, *theirs);
        // GDCM keeps YBR, which the library converts (rounding may differ by 1 from libjpeg's tables).
        EXPECT_LE(st.max_diff, manifest_flag(row, "dcmtk_decodes").rfind("yes", 0) == 0 ? 0.0 : 1.0);
        ++checked;
    }
    EXPECT_GE(checked, 14);
}

TEST(JpegTurbo, MultiFrameYbrFull422CineWithBot) {
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const auto file = read_file(dir / "pydicom/src/pydicom/data/test_files/examples_ybr_color.dcm");
    ASSERT_TRUE(file);
    const auto pixels = pixel_data::open(*file);
    ASSERT_TRUE(pixels);
    EXPECT_EQ(pixels->frame_count(), 30U);
    EXPECT_EQ(pixels->index_method(), frame_index_method::basic_offset_table);
    for (std::uint32_t i = 0; i < pixels->frame_count(); ++i) {
        const auto f = pixels->frame(i);
        ASSERT_TRUE(f) << f.error().to_string();
        EXPECT_EQ(f->meta().photometric_interpretation, photometric::rgb);
        EXPECT_EQ(f->meta().codec, codec_name);
        EXPECT_EQ(f->rows(), 240U);
        EXPECT_EQ(f->columns(), 320U);
    }
}

TEST(JpegTurbo, ColourYcbcrLabelledRgb) {
    // pylibjpeg-data's GDCM file: a 4:2:0 YCbCr stream (ids 1,2,3, no APP0/APP14) labelled RGB. DCMTK
    // and GDCM output the YCbCr samples as RGB; the subsampled chroma says YCbCr, so we convert.
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const auto ours = test::decode_path(dir / "pylibjpeg-data/ljdata/ds/JPEGBaseline/SC_rgb_jpeg_lossy_gdcm.dcm");
    ASSERT_TRUE(ours) << ours.error().to_string();
    EXPECT_EQ(ours->colour, photometric::rgb);
    ASSERT_FALSE(ours->warnings.empty());
    EXPECT_NE(ours->warnings.back().find("subsampled chroma"), std::string::npos) << ours->warnings.back();
    const auto original = decode_rgb_path(dir / "pydicom-data/data_store/data/SC_rgb.dcm");
    ASSERT_TRUE(original);
    // The same stream labelled YBR_FULL (pydicom's copy) is recorded at 28.3 dB against the original.
    EXPECT_GE(compare(ours->values, *original).psnr, 28.0);
    const auto labelled_ybr = decode_rgb_path(dir / "pydicom/src/pydicom/data/test_files/SC_rgb_jpeg_lossy_gdcm.dcm");
    ASSERT_TRUE(labelled_ybr);
    EXPECT_EQ(compare(ours->values, *labelled_ybr).max_diff, 0.0);
}

TEST(JpegTurbo, ReadHeaderRefuses12BitStreams) {
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "../shared/corpus is absent";
    }
    const auto path = dir / "pydicom/src/pydicom/data/test_files/JPGExtended.dcm";
    const bytes cs = test::first_codestream(test::read_all(path));
    image_desc d;
    d.rows = 1024;
    d.columns = 256;
    d.bs = 12;
    const auto header = decoder().read_header(cs, d.info());
    ASSERT_FALSE(header);
    EXPECT_EQ(header.error().code, errc::codestream_mismatch);
    // The library passes the frame on to the next 4.51 decoder.
    const auto whole = test::decode_path(path);
    ASSERT_TRUE(whole) << whole.error().to_string();
    EXPECT_NE(whole->codec, codec_name);
}

// ---- our encoder ------------------------------------------------------------------------------------

TEST(JpegTurbo, RoundTripGrey) {
    const image_desc d = desc8(61, 83, 1, "MONOCHROME2");
    const samples s = picture(d, 1);
    const encoded_frame f = encode(d, s);
    EXPECT_TRUE(f.lossy);
    EXPECT_EQ(f.method, "ISO_10918_1");
    EXPECT_EQ(f.colour, photometric::monochrome2);
    const auto back = test::decode_file(test::encapsulated_file(d, baseline, {f.codestream}));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->codec, codec_name);
    EXPECT_EQ(back->colour, photometric::monochrome2);
    EXPECT_GE(compare(back->values, s).psnr, 38.0);
    // Interoperability: libjpeg's own djpeg decodes it to the same samples.
    if (test::have_tool("djpeg")) {
        EXPECT_EQ(djpeg(f.codestream), back->values);
    }
}

TEST(JpegTurbo, RoundTripRgbBecomesYbrFull422) {
    const image_desc d = desc8(48, 70, 3, "RGB");
    const samples s = picture(d, 2);
    const encoded_frame f = encode(d, s);
    EXPECT_EQ(f.colour, photometric::ybr_full_422);
    // SOF0 with Y sampled 2x1 and chroma 1x1 (PS3.5 §8.2.1: 4:2:2 is YBR_FULL_422), JFIF APP0.
    const std::size_t sof = marker_at(f.codestream, 0xC0);
    ASSERT_NE(sof, 0U);
    EXPECT_EQ(f.codestream[sof + 11], std::byte{0x21});
    EXPECT_EQ(f.codestream[sof + 14], std::byte{0x11});
    EXPECT_NE(marker_at(f.codestream, 0xE0), 0U);
    image_desc stored = d;
    stored.pi = "YBR_FULL_422";
    const auto back = test::decode_file(test::encapsulated_file(stored, baseline, {f.codestream}));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->colour, photometric::rgb);
    EXPECT_TRUE(back->warnings.empty());
    EXPECT_GE(compare(back->values, s).psnr, 33.0);
    if (test::have_tool("djpeg")) {
        EXPECT_EQ(djpeg(f.codestream), back->values);
    }
    if (test::have_tool("dcmdjpeg")) {
        test::temp_dir tmp;
        test::write_bytes(tmp.path("in.dcm"), test::encapsulated_file(stored, baseline, {f.codestream}));
        ASSERT_TRUE(test::run("dcmdjpeg " + tmp.path("in.dcm").string() + " " + tmp.path("out.dcm").string()));
        const auto theirs = decode_rgb_path(tmp.path("out.dcm"));
        ASSERT_TRUE(theirs);
        EXPECT_EQ(*theirs, back->values);
    }
}

TEST(JpegTurbo, RoundTripYbrFullKeepsFullChroma) {
    const image_desc d = desc8(32, 40, 3, "YBR_FULL");
    const samples s = picture(d, 3); // treated as YCbCr samples
    const encoded_frame f = encode(d, s, 95);
    EXPECT_EQ(f.colour, photometric::ybr_full);
    const std::size_t sof = marker_at(f.codestream, 0xC0);
    ASSERT_NE(sof, 0U);
    EXPECT_EQ(f.codestream[sof + 11], std::byte{0x11});
    // Decoded to RGB by libjpeg; converting the input with the library's YBR_FULL equations matches.
    const auto back = test::decode_file(test::encapsulated_file(d, baseline, {f.codestream}));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->colour, photometric::rgb);
    bytes expected = test::to_frame_bytes(d, s);
    ybr_full_to_rgb(expected, sample_type::u8, 8);
    samples expected_rgb;
    for (const auto b : expected) {
        expected_rgb.push_back(static_cast<std::int64_t>(b));
    }
    EXPECT_GE(compare(back->values, expected_rgb).psnr, 36.0);
}

TEST(JpegTurbo, RoundTripRgbWithoutColourTransformUsesAdobe0) {
    const image_desc d = desc8(24, 24, 3, "RGB");
    const samples s = picture(d, 4);
    const encoded_frame f = encode(d, s, 90, false);
    EXPECT_EQ(f.colour, photometric::rgb);
    const std::size_t app14 = marker_at(f.codestream, 0xEE);
    ASSERT_NE(app14, 0U);
    EXPECT_EQ(f.codestream[app14 + 15], std::byte{0}); // Adobe transform 0
    const auto back = test::decode_file(test::encapsulated_file(d, baseline, {f.codestream}));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->colour, photometric::rgb);
    EXPECT_TRUE(back->warnings.empty());
    EXPECT_GE(compare(back->values, s).psnr, 33.0);
    if (test::have_tool("djpeg")) {
        EXPECT_EQ(djpeg(f.codestream), back->values);
    }
}

TEST(JpegTurbo, QualityControlsSize) {
    const image_desc d = desc8(64, 64, 1, "MONOCHROME2");
    const samples s = picture(d, 5);
    const auto low = encode(d, s, 30);
    const auto high = encode(d, s, 98);
    EXPECT_LT(low.codestream.size(), high.codestream.size());
    EXPECT_EQ(encode(d, s, 0).codestream, encode(d, s, 90).codestream); // default quality 90
}

TEST(JpegTurbo, EncoderRefusals) {
    const encode_options o;
    auto refused = [&](image_desc d, std::string_view uid = baseline, encode_options opt = {}) {
        const auto r = encoder().can_encode(uid, d.info(), opt);
        return !r && r.error().code == errc::cannot_encode;
    };
    image_desc d = desc8(8, 8, 1, "MONOCHROME2");
    EXPECT_TRUE(encoder().can_encode(baseline, d.info(), o));
    EXPECT_TRUE(refused(d, extended));
    EXPECT_TRUE(refused(d, uids::jpeg_lossless_sv1));
    image_desc d16 = d;
    d16.ba = 16;
    d16.bs = 12;
    EXPECT_TRUE(refused(d16));
    image_desc d7 = d;
    d7.bs = 7;
    EXPECT_TRUE(refused(d7));
    image_desc signed8 = d;
    signed8.is_signed = true;
    EXPECT_TRUE(refused(signed8));
    image_desc one_bit = d;
    one_bit.ba = 1;
    one_bit.bs = 1;
    EXPECT_TRUE(refused(one_bit));
    EXPECT_TRUE(refused(desc8(8, 8, 1, "PALETTE COLOR")));
    EXPECT_TRUE(refused(desc8(8, 8, 4, "ARGB")));
    EXPECT_TRUE(refused(desc8(8, 8, 3, "YBR_PARTIAL_420")));
    encode_options bad_quality;
    bad_quality.quality = 101;
    EXPECT_TRUE(refused(d, baseline, bad_quality));
    image_desc floats = d;
    frame_info fi = floats.info();
    fi.element = pixel_data_element::float32;
    EXPECT_FALSE(encoder().can_encode(baseline, fi, o));
    // And encode() itself refuses too.
    EXPECT_FALSE(encoder().encode(bytes(64 * 2), d16.info(), baseline, o));
}

// ---- codestreams made by other encoders ----------------------------------------------------------------

TEST(JpegTurbo, CjpegVariantsMatchDjpeg) {
    if (!test::have_tool("cjpeg") || !test::have_tool("djpeg")) {
        GTEST_SKIP() << "cjpeg/djpeg (libjpeg-turbo-progs) not installed";
    }
    const image_desc rgb = desc8(37, 53, 3, "YBR_FULL_422");
    const image_desc grey = desc8(37, 53, 1, "MONOCHROME2");
    const samples srgb = picture(rgb, 6);
    const samples sgrey = picture(grey, 7);
    struct variant {
        const char* flags;
        bool colour;
        bool progressive;
    };
    const variant variants[] = {
        {"-quality 85", true, false},
        {"-quality 85 -sample 2x2", true, false},
        {"-quality 85 -sample 1x1", true, false},
        {"-quality 75 -sample 2x1 -restart 1", true, false},
        {"-quality 90 -optimize", true, false},
        {"-quality 90 -progressive", true, true},
        {"-quality 90 -rgb", true, false},
        {"-quality 60 -grayscale", false, false},
        {"-quality 60 -restart 2B", false, false},
        {"-quality 80 -progressive", false, true},
    };
    for (const auto& v : variants) {
        SCOPED_TRACE(v.flags);
        const bool rgb_coded = std::string_view(v.flags).find("-rgb") != std::string_view::npos;
        image_desc d = v.colour ? rgb : grey;
        if (rgb_coded) {
            d.pi = "RGB";
        }
        const bytes cs = cjpeg(v.colour ? rgb : grey, v.colour ? srgb : sgrey, v.flags);
        ASSERT_FALSE(cs.empty());
        const auto r = test::decode_file(test::encapsulated_file(d, baseline, {cs}));
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(r->values, djpeg(cs));
        if (v.progressive) {
            // Under its own (retired) transfer syntax, JPEG Full Progression 4.55, too.
            const auto p = test::decode_file(test::encapsulated_file(d, "1.2.840.10008.1.2.4.55", {cs}));
            ASSERT_TRUE(p) << p.error().to_string();
            EXPECT_EQ(p->values, r->values);
        }
    }
}

TEST(JpegTurbo, RetiredArithmeticCodingProcess) {
    if (!test::have_tool("cjpeg") || !test::have_tool("djpeg")) {
        GTEST_SKIP() << "cjpeg/djpeg (libjpeg-turbo-progs) not installed";
    }
    const image_desc d = desc8(29, 35, 3, "YBR_FULL_422");
    const bytes cs = cjpeg(d, picture(d, 27), "-arithmetic");
    ASSERT_FALSE(cs.empty());
    ASSERT_NE(marker_at(cs, 0xC9), 0U); // SOF9: extended sequential, arithmetic (T.81 Annex D)
    const auto r = test::decode_file(test::encapsulated_file(d, "1.2.840.10008.1.2.4.52", {cs}));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->values, djpeg(cs));
    EXPECT_EQ(r->codec, codec_name);
    // Truncated arithmetic-coded data (no HIT_MARKER warning in libjpeg's arithmetic decoder): still an error.
    bytes out;
    const bytes half(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cs.size() / 2));
    EXPECT_FALSE(decode_direct(half, d.info(), out));
    for (std::size_t cut = cs.size() - 40; cut + 2 < cs.size(); ++cut) {
        const bytes part(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cut));
        EXPECT_FALSE(decode_direct(part, d.info(), out)) << "cut at " << cut << " of " << cs.size();
    }
}

TEST(JpegTurbo, DcmcjpegVariantsMatchDcmdjpeg) {
    if (!test::have_tool("dcmcjpeg") || !test::have_tool("dcmdjpeg")) {
        GTEST_SKIP() << "dcmcjpeg/dcmdjpeg (dcmtk) not installed";
    }
    const image_desc rgb = desc8(40, 56, 3, "RGB");
    const image_desc grey = desc8(40, 56, 1, "MONOCHROME2");
    const samples srgb = picture(rgb, 8);
    const samples sgrey = picture(grey, 9);
    const char* variants[] = {"+eb +cy +s2", "+eb +cy +s4", "+eb +cy +n2", "+eb +cr", "+ee +cy +s2", "+eb"};
    for (const char* flags : variants) {
        for (const bool colour : {true, false}) {
            if (!colour && std::string_view(flags).find("+c") != std::string_view::npos) {
                continue;
            }
            SCOPED_TRACE(std::string(flags) + (colour ? " colour" : " grey"));
            test::temp_dir tmp;
            test::write_bytes(tmp.path("native.dcm"),
                              test::native_file(colour ? rgb : grey, colour ? srgb : sgrey));
            ASSERT_TRUE(test::run("dcmcjpeg " + std::string(flags) + " " + tmp.path("native.dcm").string() + " " +
                                  tmp.path("jpeg.dcm").string()));
            ASSERT_TRUE(test::run("dcmdjpeg " + tmp.path("jpeg.dcm").string() + " " + tmp.path("back.dcm").string()));
            const auto ours = decode_rgb_path(tmp.path("jpeg.dcm"));
            ASSERT_TRUE(ours) << ours.error().to_string();
            const auto theirs = decode_rgb_path(tmp.path("back.dcm"));
            ASSERT_TRUE(theirs) << theirs.error().to_string();
            EXPECT_EQ(*ours, *theirs);
        }
    }
}

// ---- colour decisions ----------------------------------------------------------------------------------

TEST(JpegTurbo, ColourRgbWithoutMarkersFollowsPhotometric) {
    // An RGB-coded stream (Adobe 0) with the APP14 removed and ids 1,2,3: no evidence in the codestream,
    // so Photometric Interpretation decides (as DCMTK and GDCM do, e.g. SC_jpeg_no_color_transform.dcm).
    const image_desc d = desc8(16, 24, 3, "RGB");
    const samples s = picture(d, 10);
    const bytes adobe = encode(d, s, 90, false).codestream;
    const bytes bare = set_component_ids(remove_segment(adobe, 0xEE), 1, 2, 3);
    ASSERT_EQ(marker_at(bare, 0xEE), 0U);
    const auto with_marker = test::decode_file(test::encapsulated_file(d, baseline, {adobe}));
    const auto as_rgb = test::decode_file(test::encapsulated_file(d, baseline, {bare}));
    ASSERT_TRUE(with_marker && as_rgb);
    EXPECT_EQ(as_rgb->values, with_marker->values);
    EXPECT_EQ(as_rgb->colour, photometric::rgb);
    EXPECT_TRUE(as_rgb->warnings.empty());
    image_desc ybr = d;
    ybr.pi = "YBR_FULL";
    const auto as_ybr = test::decode_file(test::encapsulated_file(ybr, baseline, {bare}));
    ASSERT_TRUE(as_ybr);
    EXPECT_EQ(as_ybr->colour, photometric::rgb);
    EXPECT_NE(as_ybr->values, with_marker->values); // converted as YCbCr
}

TEST(JpegTurbo, ColourAdobeMarkerWinsOverPhotometric) {
    const image_desc d = desc8(16, 16, 3, "RGB");
    const samples s = picture(d, 11);
    const bytes adobe = encode(d, s, 90, false).codestream;
    image_desc mislabelled = d;
    mislabelled.pi = "YBR_FULL_422";
    const auto rgb = test::decode_file(test::encapsulated_file(d, baseline, {adobe}));
    const auto r = test::decode_file(test::encapsulated_file(mislabelled, baseline, {adobe}));
    ASSERT_TRUE(rgb && r);
    EXPECT_EQ(r->values, rgb->values);
    ASSERT_FALSE(r->warnings.empty());
    EXPECT_NE(r->warnings.back().find("Adobe APP14"), std::string::npos) << r->warnings.back();
}

TEST(JpegTurbo, ColourJfifLabelledRgbIsConverted) {
    const image_desc d = desc8(16, 32, 3, "RGB");
    const samples s = picture(d, 12);
    image_desc ybr = d;
    ybr.pi = "YBR_FULL";
    const bytes jfif = encode(ybr, s, 90).codestream; // 4:4:4 YCbCr with JFIF APP0
    ASSERT_NE(marker_at(jfif, 0xE0), 0U);
    const auto labelled_ybr = test::decode_file(test::encapsulated_file(ybr, baseline, {jfif}));
    const auto labelled_rgb = test::decode_file(test::encapsulated_file(d, baseline, {jfif}));
    ASSERT_TRUE(labelled_ybr && labelled_rgb);
    EXPECT_EQ(labelled_rgb->values, labelled_ybr->values);
    ASSERT_FALSE(labelled_rgb->warnings.empty());
    EXPECT_NE(labelled_rgb->warnings.back().find("JFIF"), std::string::npos);
    EXPECT_TRUE(labelled_ybr->warnings.empty());
}

TEST(JpegTurbo, ReadHeaderReportsShapeAndColour) {
    const image_desc d = desc8(20, 30, 3, "RGB");
    const bytes cs = encode(d, picture(d, 13)).codestream;
    image_desc stored = d;
    stored.pi = "YBR_FULL_422";
    const auto h = decoder().read_header(cs, stored.info());
    ASSERT_TRUE(h) << h.error().to_string();
    EXPECT_EQ(h->rows, 20U);
    EXPECT_EQ(h->columns, 30U);
    EXPECT_EQ(h->components, 3U);
    EXPECT_EQ(h->precision, 8U);
    EXPECT_FALSE(h->is_signed);
    EXPECT_EQ(h->colour, photometric::rgb);
}

TEST(JpegTurbo, EightBitStreamIn16BitSlots) {
    const image_desc d = desc8(19, 21, 1, "MONOCHROME2");
    const samples s = picture(d, 14);
    const bytes cs = encode(d, s).codestream;
    image_desc wide = d;
    wide.ba = 16;
    const auto narrow = test::decode_file(test::encapsulated_file(d, baseline, {cs}));
    const auto r = test::decode_file(test::encapsulated_file(wide, baseline, {cs}));
    ASSERT_TRUE(narrow && r) << (r ? "" : r.error().to_string());
    EXPECT_EQ(r->values, narrow->values);
    // Colour too, and 12 Bits Stored with an 8-bit stream: decoded with a precision warning.
    image_desc rgb = desc8(9, 13, 3, "RGB");
    const samples srgb = picture(rgb, 15);
    const bytes ccs = encode(rgb, srgb, 90, false).codestream;
    image_desc rgb16 = rgb;
    rgb16.ba = 16;
    rgb16.bs = 12;
    const auto a = test::decode_file(test::encapsulated_file(rgb, baseline, {ccs}));
    const auto b = test::decode_file(test::encapsulated_file(rgb16, baseline, {ccs}));
    ASSERT_TRUE(a && b) << (b ? "" : b.error().to_string());
    EXPECT_EQ(a->values, b->values);
    ASSERT_FALSE(b->warnings.empty());
    EXPECT_NE(b->warnings.front().find("precision"), std::string::npos);
}

// ---- adversarial ------------------------------------------------------------------------------------

TEST(JpegTurbo, TruncationIsAnErrorAtEveryCut) {
    const image_desc colour = desc8(40, 48, 3, "YBR_FULL_422");
    const image_desc grey = desc8(40, 48, 1, "MONOCHROME2");
    const bytes sequential = encode(colour, picture(colour, 16)).codestream;
    const bytes grey_cs = encode(grey, picture(grey, 17)).codestream;
    std::vector<std::pair<bytes, image_desc>> streams{{sequential, colour}, {grey_cs, grey}};
    if (test::have_tool("cjpeg")) {
        streams.emplace_back(cjpeg(colour, picture(colour, 18), "-progressive -quality 90"), colour);
        streams.emplace_back(cjpeg(colour, picture(colour, 18), "-restart 1 -quality 90"), colour);
    }
    for (const auto& [cs, d] : streams) {
        ASSERT_GT(cs.size(), 100U);
        bytes full_out;
        ASSERT_TRUE(decode_direct(cs, d.info(), full_out));
        const bool progressive = marker_at(cs, 0xC2) != 0;
        for (std::size_t cut = 0; cut + 2 < cs.size(); cut += (cut < 700 || cut + 64 > cs.size() ? 1U : 7U)) {
            const bytes part(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cut));
            bytes out;
            const auto r = decode_direct(part, d.info(), out);
            ASSERT_FALSE(r) << "cut at " << cut << " of " << cs.size() << (progressive ? " (progressive)" : "");
            EXPECT_TRUE(r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error)
                << r.error().to_string();
        }
        // Only the EOI missing: the pixels are complete. Lenient: success with a warning; strict: error.
        const bytes no_eoi(cs.begin(), cs.end() - 2);
        bytes out;
        const auto lenient = decode_direct(no_eoi, d.info(), out);
        if (progressive) {
            EXPECT_FALSE(lenient);
        } else {
            ASSERT_TRUE(lenient) << lenient.error().to_string();
            EXPECT_EQ(out, full_out);
            ASSERT_FALSE(lenient->warnings.empty());
            EXPECT_NE(lenient->warnings.front().find("EOI"), std::string::npos);
        }
        EXPECT_FALSE(decode_direct(no_eoi, d.info(), out, true));
    }
}

TEST(JpegTurbo, TruncatedFrameThroughTheLibrary) {
    const image_desc d = desc8(32, 32, 3, "YBR_FULL_422");
    const bytes cs = encode(d, picture(d, 19)).codestream;
    const bytes half(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cs.size() / 2));
    const auto r = test::decode_file(test::encapsulated_file(d, baseline, {half}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::truncated_codestream) << r.error().to_string();
}

TEST(JpegTurbo, CorruptMarkersAndDataFailCleanly) {
    const image_desc d = desc8(24, 32, 3, "YBR_FULL_422");
    const bytes cs = encode(d, picture(d, 20)).codestream;
    bytes out;
    EXPECT_FALSE(decode_direct({}, d.info(), out));
    EXPECT_FALSE(decode_direct(test::to_bytes("not a jpeg at all"), d.info(), out));
    // Tables only (SOI DQT EOI): no image.
    const std::size_t dqt = marker_at(cs, 0xDB);
    const std::size_t dqt_len = (static_cast<std::size_t>(cs[dqt + 2]) << 8) | static_cast<std::size_t>(cs[dqt + 3]);
    bytes tables{std::byte{0xFF}, std::byte{0xD8}};
    tables.insert(tables.end(), cs.begin() + static_cast<std::ptrdiff_t>(dqt),
                  cs.begin() + static_cast<std::ptrdiff_t>(dqt + 2 + dqt_len));
    tables.push_back(std::byte{0xFF});
    tables.push_back(std::byte{0xD9});
    EXPECT_FALSE(decode_direct(tables, d.info(), out));
    // SOF replaced by an unsupported SOF (lossless SOF3), or by garbage.
    bytes sof3 = cs;
    sof3[marker_at(cs, 0xC0) + 1] = std::byte{0xC3};
    const auto r3 = decode_direct(sof3, d.info(), out);
    ASSERT_FALSE(r3);
    EXPECT_EQ(r3.error().code, errc::codestream_mismatch);
    bytes bad_length = cs;
    bad_length[marker_at(cs, 0xC4) + 2] = std::byte{0xFF};
    EXPECT_FALSE(decode_direct(bad_length, d.info(), out));
    // A marker inside the entropy-coded data (premature end of the data segment).
    const std::size_t sos = marker_at(cs, 0xDA);
    bytes marker_inside = cs;
    const std::size_t mid = sos + (cs.size() - sos) / 2;
    marker_inside[mid] = std::byte{0xFF};
    marker_inside[mid + 1] = std::byte{0xD9};
    EXPECT_FALSE(decode_direct(marker_inside, d.info(), out));
    // Random corruption anywhere: never a crash, never a write outside `out` (ASan), always a result.
    std::mt19937 rng(21);
    for (int i = 0; i < 300; ++i) {
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

TEST(JpegTurbo, DimensionAndComponentMismatch) {
    const image_desc d = desc8(24, 32, 3, "YBR_FULL_422");
    const bytes cs = encode(d, picture(d, 22)).codestream;
    bytes out;
    image_desc taller = d;
    taller.rows = 25;
    auto r = decode_direct(cs, taller.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codestream_mismatch);
    const image_desc grey = desc8(24, 32, 1, "MONOCHROME2");
    r = decode_direct(cs, grey.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codestream_mismatch);
    // Through the library: the header check stops it before allocation.
    const auto whole = test::decode_file(test::encapsulated_file(taller, baseline, {cs}));
    ASSERT_FALSE(whole);
    EXPECT_EQ(whole.error().code, errc::codestream_mismatch);
}

TEST(JpegTurbo, HugeDeclaredSizeIsRejectedBeforeDecoding) {
    const image_desc d = desc8(16, 16, 1, "MONOCHROME2");
    bytes cs = encode(d, picture(d, 23)).codestream;
    const std::size_t sof = marker_at(cs, 0xC0);
    for (const std::size_t at : {sof + 5, sof + 7}) { // height, width = 65500
        cs[at] = std::byte{0xFF};
        cs[at + 1] = std::byte{0xDC};
    }
    const auto h = decoder().read_header(cs, d.info());
    ASSERT_TRUE(h) << h.error().to_string();
    EXPECT_EQ(h->rows, 65500U);
    bytes out;
    const auto r = decode_direct(cs, d.info(), out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::codestream_mismatch);
}

TEST(JpegTurbo, ScanLimit) {
    if (!test::have_tool("cjpeg")) {
        GTEST_SKIP() << "cjpeg not installed";
    }
    const image_desc d = desc8(32, 32, 3, "YBR_FULL_422");
    const bytes cs = cjpeg(d, picture(d, 24), "-progressive");
    ASSERT_FALSE(cs.empty());
    bytes out;
    ASSERT_TRUE(decode_direct(cs, d.info(), out));
    const auto r = decode_direct(cs, d.info(), out, false, 3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::limit_exceeded);
    // A hostile stream: the first scan repeated 400 times. The default limit (256) stops it.
    const std::size_t sos = marker_at(cs, 0xDA);
    std::size_t end = sos + 2;
    while (end + 1 < cs.size() &&
           !(cs[end] == std::byte{0xFF} && cs[end + 1] != std::byte{0} &&
             (static_cast<int>(cs[end + 1]) < 0xD0 || static_cast<int>(cs[end + 1]) > 0xD7))) {
        ++end;
    }
    bytes hostile(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(end));
    for (int i = 0; i < 400; ++i) {
        hostile.insert(hostile.end(), cs.begin() + static_cast<std::ptrdiff_t>(sos),
                       cs.begin() + static_cast<std::ptrdiff_t>(end));
    }
    hostile.insert(hostile.end(), cs.begin() + static_cast<std::ptrdiff_t>(end), cs.end());
    const auto h = decode_direct(hostile, d.info(), out);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, errc::limit_exceeded) << h.error().to_string();
}

TEST(JpegTurbo, StrictModeTurnsWarningsIntoErrors) {
    // SOS with Se = 0 in a sequential stream (the JPEGExtended_3s_1f corpus file has it): a warning
    // when lenient, an error when strict.
    const image_desc d = desc8(16, 16, 1, "MONOCHROME2");
    bytes cs = encode(d, picture(d, 25)).codestream;
    const std::size_t sos = marker_at(cs, 0xDA);
    const auto n = static_cast<std::size_t>(cs[sos + 4]);
    cs[sos + 5 + 2 * n + 1] = std::byte{0}; // Se
    bytes out;
    const auto lenient = decode_direct(cs, d.info(), out);
    ASSERT_TRUE(lenient) << lenient.error().to_string();
    ASSERT_FALSE(lenient->warnings.empty());
    EXPECT_FALSE(decode_direct(cs, d.info(), out, true));
}

TEST(JpegTurbo, ConcurrentDecodes) {
    const image_desc d = desc8(64, 80, 3, "YBR_FULL_422");
    const bytes cs = encode(d, picture(d, 26)).codestream;
    bytes expected;
    ASSERT_TRUE(decode_direct(cs, d.info(), expected));
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
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
