// SPDX-License-Identifier: BSD-3-Clause
// JPEG Lossless (4.57 / 4.70, T.81 Annex H): round trips over 2-16 bits, 1 and 3 components, signed
// data and all predictors; codestreams made by DCMTK (dcmcjpeg) and GDCM (gdcmconv) decoded bit for
// bit as dcmdjpeg decodes them; restart intervals, non-interleaved scans, DNL and SSSS 16 through a
// small independent reference encoder (cross-checked with dcmdjpeg); the modulo-65536 wrap
// (pylibjpeg-libjpeg #90); and adversarial codestreams that must fail cleanly.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>
#include <thread>

#include "codecs/factories.hpp"
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
using u16s = std::initializer_list<std::uint16_t>;

constexpr std::string_view sv1 = uids::jpeg_lossless_sv1;
constexpr std::string_view p14 = uids::jpeg_lossless;

// ---- a small reference encoder, written straight from T.81 Annex H, for features ours never writes --

struct ref_options {
    int predictor{1};
    int point_transform{0};
    std::uint32_t restart_rows{0}; ///< lines per restart interval; 0: no DRI
    bool interleaved{true};
    bool dnl{false};
    bool fill_bytes{false}; ///< FF fill bytes before markers (T.81 B.1.1.2)
    int precision{0};       ///< 0: Bits Stored
};

class ref_bits {
public:
    explicit ref_bits(bytes& out) : out_(out) {}
    void put(std::uint32_t value, int length) {
        for (int i = length - 1; i >= 0; --i) {
            const std::uint32_t bit = (value >> static_cast<unsigned>(i)) & 1U;
            acc_ = static_cast<std::uint8_t>((static_cast<std::uint32_t>(acc_) << 1U) | bit);
            if (++n_ == 8) {
                flush();
            }
        }
    }
    void align() {
        while (n_ != 0) {
            put(1, 1);
        }
    }

private:
    void flush() {
        out_.push_back(std::byte{acc_});
        if (acc_ == 0xFF) {
            out_.push_back(std::byte{0});
        }
        acc_ = 0;
        n_ = 0;
    }
    bytes& out_;
    std::uint8_t acc_{0};
    int n_{0};
};

void put16(bytes& out, std::uint32_t v) {
    out.push_back(static_cast<std::byte>(v >> 8));
    out.push_back(static_cast<std::byte>(v & 255U));
}

/// Fixed table: SSSS 0-13 in 4 bits, 14-16 in 5 bits (no all-ones code).
constexpr std::array<std::uint8_t, 17> ref_counts{0, 0, 0, 0, 14, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

bytes ref_encode(const image_desc& d, const samples& s, const ref_options& o) {
    const int p = o.precision != 0 ? o.precision : d.bs;
    const std::uint32_t mask = (1U << d.bs) - 1U;
    auto sample = [&](std::uint32_t y, std::uint32_t x, std::uint32_t c) {
        const auto v = static_cast<std::uint32_t>(s[(std::size_t{y} * d.columns + x) * d.spp + c]) & mask;
        return static_cast<std::int32_t>(v >> o.point_transform);
    };
    bytes out;
    put16(out, 0xFFD8);
    put16(out, 0xFFC3);
    put16(out, 8 + 3U * d.spp);
    out.push_back(static_cast<std::byte>(p));
    put16(out, o.dnl ? 0 : d.rows);
    put16(out, d.columns);
    out.push_back(static_cast<std::byte>(d.spp));
    for (std::uint32_t c = 0; c < d.spp; ++c) {
        out.push_back(static_cast<std::byte>(c + 10)); // ids need not be 1..n
        out.push_back(std::byte{0x11});
        out.push_back(std::byte{0});
    }
    put16(out, 0xFFC4);
    put16(out, 2 + 17 + 17);
    out.push_back(std::byte{0x00});
    for (std::size_t l = 1; l <= 16; ++l) {
        out.push_back(static_cast<std::byte>(ref_counts[l]));
    }
    for (int v = 0; v <= 16; ++v) {
        out.push_back(static_cast<std::byte>(v));
    }
    if (o.restart_rows != 0) {
        put16(out, 0xFFDD);
        put16(out, 4);
        put16(out, o.restart_rows * d.columns);
    }
    auto code_of = [](std::uint32_t ssss, std::uint32_t& length) {
        // Canonical codes of ref_counts (T.81 C.2).
        if (ssss < 14) {
            length = 4;
            return ssss;
        }
        length = 5;
        return (14U << 1) + (ssss - 14);
    };
    std::vector<std::vector<std::uint32_t>> scans;
    for (std::uint32_t c = 0; c < d.spp; ++c) {
        if (o.interleaved && !scans.empty()) {
            scans.back().push_back(c);
        } else {
            scans.push_back({c});
        }
    }
    bool first_scan = true;
    for (const auto& comps : scans) {
        if (o.fill_bytes) {
            out.push_back(std::byte{0xFF});
        }
        put16(out, 0xFFDA);
        put16(out, static_cast<std::uint32_t>(6 + 2 * comps.size()));
        out.push_back(static_cast<std::byte>(comps.size()));
        for (const auto c : comps) {
            out.push_back(static_cast<std::byte>(c + 10));
            out.push_back(std::byte{0x00});
        }
        out.push_back(static_cast<std::byte>(o.predictor));
        out.push_back(std::byte{0});
        out.push_back(static_cast<std::byte>(o.point_transform));
        ref_bits bits(out);
        std::uint32_t restarts = 0;
        for (std::uint32_t y = 0; y < d.rows; ++y) {
            const bool first_line = o.restart_rows == 0 ? y == 0 : y % o.restart_rows == 0;
            if (first_line && y != 0) {
                bits.align();
                if (o.fill_bytes) {
                    out.push_back(std::byte{0xFF});
                }
                put16(out, 0xFFD0 + restarts++ % 8);
            }
            for (std::uint32_t x = 0; x < d.columns; ++x) {
                for (const auto c : comps) {
                    std::int32_t pred = 0;
                    if (first_line) {
                        pred = x == 0 ? (1 << (p - o.point_transform - 1)) : sample(y, x - 1, c);
                    } else if (x == 0) {
                        pred = sample(y - 1, 0, c);
                    } else {
                        const std::int32_t ra = sample(y, x - 1, c);
                        const std::int32_t rb = sample(y - 1, x, c);
                        const std::int32_t rc = sample(y - 1, x - 1, c);
                        switch (o.predictor) {
                        case 1: pred = ra; break;
                        case 2: pred = rb; break;
                        case 3: pred = rc; break;
                        case 4: pred = ra + rb - rc; break;
                        case 5: pred = ra + ((rb - rc) >> 1); break;
                        case 6: pred = rb + ((ra - rc) >> 1); break;
                        default: pred = (ra + rb) >> 1; break;
                        }
                    }
                    // T.81 H.1.2.2: the difference modulo 2^16, read in -32767..32768.
                    std::int32_t diff = (sample(y, x, c) - pred) & 0xFFFF;
                    if (diff > 32768) {
                        diff -= 65536;
                    }
                    const std::uint32_t magnitude = static_cast<std::uint32_t>(diff < 0 ? -diff : diff);
                    const auto ssss = static_cast<std::uint32_t>(std::bit_width(magnitude));
                    std::uint32_t length = 0;
                    const std::uint32_t code = code_of(ssss, length);
                    bits.put(code, static_cast<int>(length));
                    if (ssss != 0 && ssss != 16) {
                        bits.put(static_cast<std::uint32_t>(diff < 0 ? diff - 1 : diff) & ((1U << ssss) - 1U),
                                 static_cast<int>(ssss));
                    }
                }
            }
        }
        bits.align();
        if (o.dnl && first_scan) {
            put16(out, 0xFFDC);
            put16(out, 4);
            put16(out, d.rows);
        }
        first_scan = false;
    }
    if (o.fill_bytes) {
        out.push_back(std::byte{0xFF});
    }
    put16(out, 0xFFD9);
    return out;
}

/// What the decoder must return for a stream with point transform Pt: (value >> Pt) << Pt, normalised.
samples expected_after_point_transform(const image_desc& d, const samples& s, int pt) {
    samples out(s.size());
    const std::uint64_t mask = (std::uint64_t{1} << d.bs) - 1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        std::uint64_t v = (static_cast<std::uint64_t>(s[i]) & mask) >> pt << pt;
        std::int64_t r = static_cast<std::int64_t>(v);
        if (d.is_signed && (v >> (d.bs - 1)) != 0) {
            r -= static_cast<std::int64_t>(std::uint64_t{1} << d.bs);
        }
        out[i] = r;
    }
    return out;
}

std::size_t first_mismatch(const samples& a, const samples& b) {
    if (a.size() != b.size()) {
        return 0;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return i;
        }
    }
    return a.size();
}

::testing::AssertionResult same_samples(const samples& got, const samples& want) {
    if (got.size() != want.size()) {
        return ::testing::AssertionFailure() << got.size() << " samples, expected " << want.size();
    }
    const std::size_t i = first_mismatch(got, want);
    if (i == got.size()) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "first difference at sample " << i << ": " << got[i] << " vs " << want[i];
}

#define EXPECT_SAMPLES_EQ(got, want) EXPECT_TRUE(same_samples((got), (want)))

const frame_encoder& encoder() {
    static const auto e = codecs::make_jpeg_lossless_encoder();
    return *e;
}
const frame_decoder& decoder() {
    static const auto d = codecs::make_jpeg_lossless_decoder();
    return *d;
}

bytes encode(const image_desc& d, const samples& s, std::string_view uid, double quality = 0) {
    encode_options o;
    o.quality = quality;
    auto r = encoder().encode(test::to_frame_bytes(d, s), d.info(), uid, o);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->codestream : bytes{};
}

/// Decodes one codestream through the whole library path.
test::decoded decode_ok(const image_desc& d, std::string_view uid, const bytes& codestream) {
    auto r = test::decode_file(test::encapsulated_file(d, uid, {codestream}));
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : test::decoded{};
}

result<test::decoded> decode_one(const image_desc& d, const bytes& codestream, bool strict = false) {
    pixel_options o;
    o.strict = strict;
    return test::decode_file(test::encapsulated_file(d, sv1, {codestream}), o);
}

// ---- round trips ------------------------------------------------------------------------------------

struct round_trip_case {
    std::uint16_t bits;
    std::uint16_t spp;
    bool is_signed;
};

class LosslessRoundTrip : public ::testing::TestWithParam<round_trip_case> {};

TEST_P(LosslessRoundTrip, AllPredictorsRandomAndSmooth) {
    const auto c = GetParam();
    image_desc d;
    d.rows = 19;
    d.columns = 23;
    d.spp = c.spp;
    d.bs = c.bits;
    d.ba = c.bits <= 8 ? 8 : 16;
    d.is_signed = c.is_signed;
    d.pi = c.spp == 3 ? "RGB" : "MONOCHROME2";
    for (const bool smooth : {false, true}) {
        const samples s = smooth ? test::smooth_samples(d, c.bits) : test::random_samples(d, c.bits);
        for (int predictor = 1; predictor <= 7; ++predictor) {
            const bytes cs = encode(d, s, p14, predictor);
            const auto out = decode_ok(d, p14, cs);
            EXPECT_EQ(out.codec, "jpeg-lossless");
            EXPECT_SAMPLES_EQ(out.values, s);
        }
        const bytes cs = encode(d, s, sv1);
        EXPECT_SAMPLES_EQ(decode_ok(d, sv1, cs).values, s);
        EXPECT_SAMPLES_EQ(decode_ok(d, p14, encode(d, s, p14)).values, s); // automatic predictor
    }
}

std::vector<round_trip_case> round_trip_cases() {
    std::vector<round_trip_case> out;
    for (std::uint16_t bits = 2; bits <= 16; ++bits) {
        for (const std::uint16_t spp : u16s{1, 3}) {
            for (const bool is_signed : {false, true}) {
                out.push_back({bits, spp, is_signed});
            }
        }
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Bits, LosslessRoundTrip, ::testing::ValuesIn(round_trip_cases()),
                         [](const ::testing::TestParamInfo<round_trip_case>& i) {
                             return std::to_string(i.param.bits) + "bit_" + std::to_string(i.param.spp) + "spp_" +
                                    (i.param.is_signed ? "signed" : "unsigned");
                         });

TEST(JpegLossless, RoundTripShapes) {
    // Single line, single column, 1x1, wide, 32-bit sample containers.
    for (const auto& [rows, columns] : std::vector<std::pair<std::uint16_t, std::uint16_t>>{
             {1, 1}, {1, 300}, {300, 1}, {2, 2}, {3, 1000}}) {
        image_desc d;
        d.rows = rows;
        d.columns = columns;
        const samples s = test::random_samples(d, 7);
        EXPECT_SAMPLES_EQ(decode_ok(d, sv1, encode(d, s, sv1)).values, s);
        EXPECT_SAMPLES_EQ(decode_ok(d, p14, encode(d, s, p14)).values, s);
    }
    image_desc d32;
    d32.ba = 32;
    d32.bs = 16;
    d32.is_signed = true;
    const samples s = test::random_samples(d32, 9);
    EXPECT_SAMPLES_EQ(decode_ok(d32, sv1, encode(d32, s, sv1)).values, s);
}

TEST(JpegLossless, ConstantImageAndExtremes) {
    image_desc d;
    d.rows = 16;
    d.columns = 16;
    for (const std::int64_t v : {0, 1, 32767, 32768, 65535}) {
        const samples s(256, v);
        EXPECT_SAMPLES_EQ(decode_ok(d, sv1, encode(d, s, sv1)).values, s);
    }
}

// The modulo-65536 rule (T.81 H.1.2.2, H.2.1): prediction + difference wraps; a decoder that clamps
// or widens returns wrong pixels (pylibjpeg-libjpeg #90).
samples large_jumps(const image_desc& d) {
    samples s(std::size_t{d.rows} * d.columns * d.spp);
    std::mt19937 rng(90);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto r = static_cast<std::uint32_t>(rng());
        s[i] = (r & 3U) == 0 ? 0 : (r & 3U) == 1 ? 65535 : (r & 3U) == 2 ? 32768 : static_cast<std::int64_t>(r & 0xFFFFU);
    }
    return s;
}

TEST(JpegLossless, Modulo65536Wrap) {
    image_desc d;
    d.rows = 40;
    d.columns = 41;
    const samples s = large_jumps(d);
    for (int predictor = 1; predictor <= 7; ++predictor) {
        EXPECT_SAMPLES_EQ(decode_ok(d, p14, encode(d, s, p14, predictor)).values, s) << "predictor " << predictor;
        ref_options o;
        o.predictor = predictor;
        EXPECT_SAMPLES_EQ(decode_ok(d, p14, ref_encode(d, s, o)).values, s) << "predictor " << predictor;
    }
    // The first sample of a 16-bit image predicted from 32768 with difference 32768 (SSSS 16).
    samples edge(std::size_t{d.rows} * d.columns, 0);
    edge[1] = 32768;
    edge[2] = 0;
    EXPECT_SAMPLES_EQ(decode_ok(d, sv1, encode(d, edge, sv1)).values, edge);
    EXPECT_SAMPLES_EQ(decode_ok(d, sv1, ref_encode(d, edge, {})).values, edge);
}

// ---- features through the reference encoder ---------------------------------------------------------

TEST(JpegLossless, RestartIntervalsNonInterleavedDnlFillBytes) {
    for (const std::uint16_t spp : u16s{1, 3}) {
        image_desc d;
        d.rows = 37;
        d.columns = 29;
        d.spp = spp;
        d.bs = 12;
        d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
        const samples s = test::smooth_samples(d, 3);
        for (int predictor = 1; predictor <= 7; ++predictor) {
            for (const std::uint32_t restart : {0U, 1U, 3U, 36U, 37U, 100U}) {
                for (const bool interleaved : {true, false}) {
                    ref_options o;
                    o.predictor = predictor;
                    o.restart_rows = restart;
                    o.interleaved = interleaved;
                    o.dnl = restart == 3;
                    o.fill_bytes = restart == 1;
                    const auto out = decode_ok(d, p14, ref_encode(d, s, o));
                    EXPECT_SAMPLES_EQ(out.values, s) << "predictor " << predictor << " restart " << restart
                                                     << (interleaved ? " interleaved" : " one scan per component");
                }
            }
        }
    }
}

TEST(JpegLossless, PointTransform) {
    image_desc d;
    d.rows = 21;
    d.columns = 17;
    d.bs = 16;
    const samples s = test::random_samples(d, 5);
    for (const int pt : {1, 4, 15}) {
        ref_options o;
        o.point_transform = pt;
        o.predictor = 4;
        EXPECT_SAMPLES_EQ(decode_ok(d, p14, ref_encode(d, s, o)).values, expected_after_point_transform(d, s, pt));
    }
}

TEST(JpegLossless, TrailingBytesAndMissingEoi) {
    image_desc d;
    const samples s = test::random_samples(d, 11);
    bytes cs = encode(d, s, sv1);
    bytes trailing = cs;
    for (int i = 0; i < 9; ++i) {
        trailing.push_back(std::byte{0x5A});
    }
    const auto out = decode_ok(d, sv1, trailing);
    EXPECT_SAMPLES_EQ(out.values, s);
    EXPECT_FALSE(out.warnings.empty());
    bytes no_eoi(cs.begin(), cs.end() - 2);
    EXPECT_SAMPLES_EQ(decode_ok(d, sv1, no_eoi).values, s);
    EXPECT_FALSE(decode_one(d, no_eoi, true)) << "strict mode wants EOI";
}

TEST(JpegLossless, HeaderReportsCodestream) {
    image_desc d;
    d.rows = 5;
    d.columns = 7;
    d.spp = 3;
    d.bs = 10;
    d.pi = "YBR_FULL";
    const bytes cs = encode(d, test::random_samples(d, 1), sv1);
    const auto h = decoder().read_header(cs, d.info());
    ASSERT_TRUE(h) << h.error().to_string();
    EXPECT_EQ(h->rows, 5U);
    EXPECT_EQ(h->columns, 7U);
    EXPECT_EQ(h->components, 3);
    EXPECT_EQ(h->precision, 10);
    EXPECT_EQ(h->colour, photometric::ybr_full); // lossless JPEG does no colour conversion
    const auto out = decode_ok(d, sv1, cs);
    EXPECT_EQ(out.colour, photometric::ybr_full);
}

TEST(JpegLossless, ConcurrentDecodes) {
    image_desc d;
    d.rows = 200;
    d.columns = 300;
    const samples s = test::smooth_samples(d, 2);
    const bytes file = test::encapsulated_file(d, sv1, {encode(d, s, sv1)});
    const dicom_file f = read_bytes(byte_source::adopt(file)).value();
    const pixel_data pixels = pixel_data::open(f).value();
    std::vector<std::thread> threads;
    std::array<bool, 4> ok{};
    for (std::size_t t = 0; t < ok.size(); ++t) {
        threads.emplace_back([&, t] {
            bool good = true;
            for (int i = 0; i < 20; ++i) {
                auto frame = pixels.frame_as<std::uint16_t>(0);
                good = good && frame && std::equal(frame->samples().begin(), frame->samples().end(), s.begin());
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

// ---- encoder refusals ----------------------------------------------------------------------------------

TEST(JpegLossless, CanEncodeRefusals) {
    const encode_options o;
    auto refused = [&](frame_info info, std::string_view uid = sv1) {
        const auto r = encoder().can_encode(uid, info, o);
        return !r && r.error().code == errc::cannot_encode;
    };
    frame_info ok = image_desc{}.info();
    EXPECT_TRUE(encoder().can_encode(sv1, ok, o));
    EXPECT_TRUE(encoder().can_encode(p14, ok, o));
    EXPECT_TRUE(refused(ok, uids::jpeg_baseline));
    frame_info f = ok;
    f.bits_allocated = 32;
    f.bits_stored = 17;
    EXPECT_TRUE(refused(f));
    f = ok;
    f.element = pixel_data_element::float32;
    f.bits_allocated = 32;
    EXPECT_TRUE(refused(f));
    f = ok;
    f.bits_allocated = 1;
    f.bits_stored = 1;
    EXPECT_TRUE(refused(f));
    f = ok;
    f.samples_per_pixel = 3;
    f.photometric_interpretation = photometric::ybr_full_422;
    EXPECT_TRUE(refused(f));
    f = ok;
    f.samples_per_pixel = 2;
    EXPECT_TRUE(refused(f));
    const auto r = encoder().encode(bytes(3), ok, sv1, o);
    EXPECT_FALSE(r);
}

// ---- adversarial codestreams ------------------------------------------------------------------------

bool is_clean_error(const result<test::decoded>& r) {
    return !r && (r.error().code == errc::truncated_codestream || r.error().code == errc::codec_error ||
                  r.error().code == errc::codestream_mismatch || r.error().code == errc::no_decoder ||
                  r.error().code == errc::limit_exceeded) &&
           !r.error().message.empty();
}

TEST(JpegLosslessAdversarial, TruncationAtEveryCutIsAnError) {
    image_desc d;
    d.rows = 12;
    d.columns = 13;
    d.spp = 3;
    d.pi = "RGB";
    const samples s = test::random_samples(d, 21);
    ref_options o;
    o.restart_rows = 4;
    for (const bytes& cs : {encode(d, s, sv1), ref_encode(d, s, o)}) {
        // Cutting anywhere before the last entropy-coded byte must fail: never padding as success. (A
        // cut just before EOI can leave a complete scan: the fragment's even-length pad byte may even
        // restore a stuffed 0xFF 0x00; then the pixels must be right.)
        for (std::size_t cut = 0; cut + 2 < cs.size(); ++cut) {
            const bytes prefix(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cut));
            const auto r = decode_one(d, prefix);
            if (r && cut + 4 >= cs.size()) {
                EXPECT_SAMPLES_EQ(r->values, s) << "cut at " << cut << " of " << cs.size();
            } else {
                EXPECT_TRUE(is_clean_error(r)) << "cut at " << cut << " of " << cs.size();
            }
        }
    }
}

TEST(JpegLosslessAdversarial, TruncatedLargeFrame) {
    image_desc d;
    d.rows = 512;
    d.columns = 512;
    const samples s = test::smooth_samples(d, 4);
    const bytes cs = encode(d, s, sv1);
    for (const double fraction : {0.1, 0.5, 0.9, 0.999}) {
        const auto cut = static_cast<std::size_t>(static_cast<double>(cs.size()) * fraction);
        const auto r = decode_one(d, bytes(cs.begin(), cs.begin() + static_cast<std::ptrdiff_t>(cut)));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::truncated_codestream) << r.error().to_string();
    }
}

std::size_t find_marker(const bytes& cs, std::uint8_t m) {
    for (std::size_t i = 0; i + 1 < cs.size(); ++i) {
        if (cs[i] == std::byte{0xFF} && cs[i + 1] == std::byte{m}) {
            return i;
        }
    }
    return cs.size();
}

TEST(JpegLosslessAdversarial, CorruptHeaders) {
    image_desc d;
    d.rows = 9;
    d.columns = 10;
    const samples s = test::random_samples(d, 31);
    const bytes good = encode(d, s, sv1);
    const std::size_t sof = find_marker(good, 0xC3);
    const std::size_t dht = find_marker(good, 0xC4);
    const std::size_t sos = find_marker(good, 0xDA);
    ASSERT_LT(sos, good.size());
    auto patched = [&](std::size_t at, std::initializer_list<std::uint8_t> values) {
        bytes b = good;
        std::size_t i = at;
        for (const auto v : values) {
            b[i++] = std::byte{v};
        }
        return b;
    };
    const std::vector<std::pair<std::string, bytes>> cases{
        {"SOF7 (differential)", patched(sof + 1, {0xC7})},
        {"SOF11 (arithmetic)", patched(sof + 1, {0xCB})},
        {"SOF1 (DCT)", patched(sof + 1, {0xC1})},
        {"precision 1", patched(sof + 4, {1})},
        {"precision 17", patched(sof + 4, {17})},
        {"0 components", patched(sof + 9, {0})},
        {"SOF length 1", patched(sof + 2, {0, 1})},
        {"SOF length past end", patched(sof + 2, {0xFF, 0xF0})},
        {"DHT length 0", patched(dht + 2, {0, 0})},
        {"DHT counts overflow", patched(dht + 5, {2, 4, 8})},
        {"DHT 255 codes of length 1", patched(dht + 5, {255})},
        {"DHT table id 5", patched(dht + 4, {0x05})},
        {"SOS predictor 0", patched(sos + 7, {0})},
        {"SOS predictor 8", patched(sos + 7, {8})},
        {"SOS point transform 16", patched(sos + 9, {0x0F + 0x10})},
        {"SOS unknown component", patched(sos + 5, {9})},
        {"SOS undefined table", patched(sos + 6, {0x30})},
        {"no SOI", patched(0, {0x00})},
        {"SOS length 1", patched(sos + 2, {0, 1})},
    };
    for (const auto& [what, cs] : cases) {
        const auto r = decode_one(d, cs);
        EXPECT_TRUE(is_clean_error(r)) << what << ": " << (r ? "decoded" : r.error().to_string());
        const auto direct = decoder().read_header(cs, d.info());
        if (direct) {
            bytes out(std::size_t{d.rows} * d.columns * 2);
            EXPECT_FALSE(decoder().decode(cs, d.info(), out, decode_options{})) << what;
        }
    }
}

TEST(JpegLosslessAdversarial, DimensionsMismatchAndHugeDeclarations) {
    image_desc d;
    d.rows = 9;
    d.columns = 10;
    const bytes cs = encode(d, test::random_samples(d, 41), sv1);
    const std::size_t sof = find_marker(cs, 0xC3);
    for (const auto& [rows, columns] :
         std::vector<std::pair<std::uint32_t, std::uint32_t>>{{10, 10}, {9, 11}, {65535, 65535}, {1, 65535}}) {
        bytes b = cs;
        b[sof + 5] = static_cast<std::byte>(rows >> 8);
        b[sof + 6] = static_cast<std::byte>(rows & 255U);
        b[sof + 7] = static_cast<std::byte>(columns >> 8);
        b[sof + 8] = static_cast<std::byte>(columns & 255U);
        const auto r = decode_one(d, b);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::codestream_mismatch) << r.error().to_string();
        // Called directly, the decoder checks too (and writes nothing outside `out`).
        bytes out(std::size_t{d.rows} * d.columns * 2);
        const auto direct = decoder().decode(b, d.info(), out, decode_options{});
        ASSERT_FALSE(direct);
        EXPECT_EQ(direct.error().code, errc::codestream_mismatch);
    }
    // Components and precision against the dataset.
    image_desc rgb = d;
    rgb.spp = 3;
    rgb.pi = "RGB";
    EXPECT_EQ(decode_one(rgb, cs).error().code, errc::codestream_mismatch);
    image_desc eight = d;
    eight.ba = 8;
    eight.bs = 8;
    EXPECT_EQ(decode_one(eight, cs).error().code, errc::codestream_mismatch);
    // A huge dataset with a tiny codestream: the decoder must stop at the end of the data, quickly.
    image_desc huge;
    huge.rows = 4000;
    huge.columns = 4000;
    const bytes tiny = ref_encode(image_desc{}, test::random_samples(image_desc{}, 1), {});
    bytes lying = tiny;
    const std::size_t s2 = find_marker(lying, 0xC3);
    lying[s2 + 5] = std::byte{0x0F};
    lying[s2 + 6] = std::byte{0xA0};
    lying[s2 + 7] = std::byte{0x0F};
    lying[s2 + 8] = std::byte{0xA0};
    const auto r = decode_one(huge, lying);
    EXPECT_TRUE(is_clean_error(r));
}

TEST(JpegLosslessAdversarial, RestartMarkerErrors) {
    image_desc d;
    d.rows = 12;
    d.columns = 8;
    const samples s = test::random_samples(d, 51);
    ref_options o;
    o.restart_rows = 3;
    const bytes cs = ref_encode(d, s, o);
    // Wrong restart number.
    bytes wrong = cs;
    const std::size_t rst = find_marker(wrong, 0xD0);
    ASSERT_LT(rst, wrong.size());
    wrong[rst + 1] = std::byte{0xD3};
    EXPECT_TRUE(is_clean_error(decode_one(d, wrong)));
    // Restart interval not a multiple of the line.
    bytes odd = cs;
    const std::size_t dri = find_marker(odd, 0xDD);
    odd[dri + 5] = std::byte{5};
    EXPECT_TRUE(is_clean_error(decode_one(d, odd)));
}

TEST(JpegLosslessAdversarial, RandomCorruptionNeverCrashes) {
    image_desc d;
    d.rows = 24;
    d.columns = 20;
    d.spp = 3;
    d.pi = "RGB";
    const samples s = test::smooth_samples(d, 61);
    ref_options o;
    o.restart_rows = 6;
    const std::vector<bytes> seeds{encode(d, s, sv1), encode(d, s, p14, 7), ref_encode(d, s, o)};
    std::mt19937 rng(62);
    for (const bytes& seed : seeds) {
        for (int i = 0; i < 300; ++i) {
            bytes b = seed;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < flips; ++k) {
                b[rng() % b.size()] = static_cast<std::byte>(rng());
            }
            const auto r = decode_one(d, b);
            if (r) {
                EXPECT_EQ(r->values.size(), s.size()); // corrupt entropy data can still be a valid codestream
            } else {
                EXPECT_FALSE(r.error().message.empty());
            }
        }
    }
}

// ---- DCMTK and GDCM as oracles ----------------------------------------------------------------------

/// Encodes `s` with a tool command ("dcmcjpeg +e1"), then checks that our decoding of the result equals
/// dcmdjpeg's decoding of it and the expected samples.
void check_tool_encoding(const image_desc& d, const samples& s, const std::string& encode_command,
                         const samples& expected) {
    test::temp_dir dir;
    const auto native = dir.path("in.dcm");
    const auto compressed = dir.path("jpeg.dcm");
    const auto back = dir.path("back.dcm");
    test::write_bytes(native, test::native_file(d, s));
    ASSERT_TRUE(test::run(encode_command + " " + native.string() + " " + compressed.string())) << encode_command;
    const auto ours = test::decode_path(compressed);
    ASSERT_TRUE(ours) << encode_command << ": " << ours.error().to_string();
    EXPECT_EQ(ours->codec, "jpeg-lossless");
    ASSERT_TRUE(test::run("dcmdjpeg " + compressed.string() + " " + back.string()));
    const auto theirs = test::decode_path(back);
    ASSERT_TRUE(theirs) << theirs.error().to_string();
    EXPECT_SAMPLES_EQ(ours->values, theirs->values);
    EXPECT_SAMPLES_EQ(ours->values, expected);
}

TEST(JpegLosslessOracle, DcmtkEncodedAllPredictorsAndDepths) {
    if (!test::have_tool("dcmcjpeg") || !test::have_tool("dcmdjpeg")) {
        GTEST_SKIP() << "dcmcjpeg/dcmdjpeg (dcmtk) not installed";
    }
    for (const std::uint16_t bits : u16s{2, 5, 8, 10, 12, 15, 16}) {
        for (const std::uint16_t spp : u16s{1, 3}) {
            for (const bool is_signed : {false, true}) {
                image_desc d;
                d.rows = 33;
                d.columns = 47;
                d.spp = spp;
                d.bs = bits;
                d.ba = bits <= 8 ? 8 : 16;
                d.is_signed = is_signed;
                d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
                const samples s = (bits % 2 == 0) ? test::smooth_samples(d, bits) : test::random_samples(d, bits);
                check_tool_encoding(d, s, "dcmcjpeg +e1", s);
                for (int sv = 2; sv <= 7; ++sv) {
                    check_tool_encoding(d, s, "dcmcjpeg +el +sv " + std::to_string(sv), s);
                }
            }
        }
    }
}

TEST(JpegLosslessOracle, DcmtkPointTransform) {
    if (!test::have_tool("dcmcjpeg") || !test::have_tool("dcmdjpeg")) {
        GTEST_SKIP() << "dcmcjpeg/dcmdjpeg (dcmtk) not installed";
    }
    image_desc d;
    d.rows = 30;
    d.columns = 31;
    d.bs = 12;
    const samples s = test::random_samples(d, 71);
    for (const int pt : {1, 3, 11}) {
        check_tool_encoding(d, s, "dcmcjpeg +el +sv 4 +pt " + std::to_string(pt),
                            expected_after_point_transform(d, s, pt));
    }
}

TEST(JpegLosslessOracle, DcmtkLargeJumpsAndRealContent) {
    if (!test::have_tool("dcmcjpeg") || !test::have_tool("dcmdjpeg")) {
        GTEST_SKIP() << "dcmcjpeg/dcmdjpeg (dcmtk) not installed";
    }
    image_desc d;
    d.rows = 64;
    d.columns = 70;
    const samples s = large_jumps(d);
    check_tool_encoding(d, s, "dcmcjpeg +e1", s);
    for (int sv = 2; sv <= 7; ++sv) {
        check_tool_encoding(d, s, "dcmcjpeg +el +sv " + std::to_string(sv), s);
    }
    // A real CT slice from the corpus, when present.
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        return;
    }
    const auto ct = test::decode_path(dir / "DICOMHTJ2K/test/fixtures/dicomp10/CT2_UNC");
    ASSERT_TRUE(ct) << ct.error().to_string();
    image_desc c;
    c.rows = 512;
    c.columns = 512;
    c.is_signed = true;
    check_tool_encoding(c, ct->values, "dcmcjpeg +e1", ct->values);
    check_tool_encoding(c, ct->values, "dcmcjpeg +el +sv 6", ct->values);
}

TEST(JpegLosslessOracle, GdcmEncoded) {
    if (!test::have_tool("gdcmconv")) {
        GTEST_SKIP() << "gdcmconv (GDCM) not installed";
    }
    for (const std::uint16_t spp : u16s{1, 3}) {
        for (const std::uint16_t bits : u16s{8, 12, 16}) {
            image_desc d;
            d.rows = 40;
            d.columns = 35;
            d.spp = spp;
            d.bs = bits;
            d.ba = bits <= 8 ? 8 : 16;
            d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
            const samples s = test::smooth_samples(d, bits + spp);
            test::temp_dir dir;
            test::write_bytes(dir.path("in.dcm"), test::native_file(d, s));
            ASSERT_TRUE(test::run("gdcmconv --jpeg " + dir.path("in.dcm").string() + " " + dir.path("j.dcm").string()));
            const auto ours = test::decode_path(dir.path("j.dcm"));
            ASSERT_TRUE(ours) << ours.error().to_string();
            EXPECT_SAMPLES_EQ(ours->values, s);
        }
    }
}

TEST(JpegLosslessOracle, DcmtkDecodesOurStreams) {
    if (!test::have_tool("dcmdjpeg")) {
        GTEST_SKIP() << "dcmdjpeg (dcmtk) not installed";
    }
    for (const std::uint16_t bits : u16s{2, 8, 12, 16}) {
        for (const std::uint16_t spp : u16s{1, 3}) {
            image_desc d;
            d.rows = 29;
            d.columns = 31;
            d.spp = spp;
            d.bs = bits;
            d.ba = bits <= 8 ? 8 : 16;
            d.is_signed = bits == 12;
            d.pi = spp == 3 ? "RGB" : "MONOCHROME2";
            const samples s = bits == 16 ? large_jumps(d) : test::random_samples(d, bits);
            std::vector<std::pair<std::string_view, bytes>> streams{{sv1, encode(d, s, sv1)}};
            for (int predictor = 2; predictor <= 7; ++predictor) {
                streams.emplace_back(p14, encode(d, s, p14, predictor));
            }
            ref_options o;
            o.restart_rows = 5;
            o.interleaved = false;
            streams.emplace_back(p14, ref_encode(d, s, o));
            for (const auto& [uid, cs] : streams) {
                test::temp_dir dir;
                test::write_bytes(dir.path("j.dcm"), test::encapsulated_file(d, uid, {cs}));
                ASSERT_TRUE(test::run("dcmdjpeg " + dir.path("j.dcm").string() + " " + dir.path("n.dcm").string()));
                const auto theirs = test::decode_path(dir.path("n.dcm"));
                ASSERT_TRUE(theirs) << theirs.error().to_string();
                EXPECT_SAMPLES_EQ(theirs->values, s);
            }
        }
    }
}

TEST(JpegLosslessOracle, CompressionWithinReachOfDcmtk) {
    if (!test::have_tool("dcmcjpeg")) {
        GTEST_SKIP() << "dcmcjpeg (dcmtk) not installed";
    }
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "corpus absent";
    }
    const auto ct = test::decode_path(dir / "DICOMHTJ2K/test/fixtures/dicomp10/CT2_UNC");
    ASSERT_TRUE(ct);
    image_desc c;
    c.rows = 512;
    c.columns = 512;
    c.is_signed = true;
    test::temp_dir tmp;
    test::write_bytes(tmp.path("in.dcm"), test::native_file(c, ct->values));
    ASSERT_TRUE(test::run("dcmcjpeg +e1 " + tmp.path("in.dcm").string() + " " + tmp.path("sv1.dcm").string()));
    ASSERT_TRUE(test::run("dcmcjpeg +el " + tmp.path("in.dcm").string() + " " + tmp.path("p14.dcm").string()));
    const auto theirs_sv1 = test::first_codestream(test::read_all(tmp.path("sv1.dcm"))).size();
    const auto theirs_p14 = test::first_codestream(test::read_all(tmp.path("p14.dcm"))).size();
    const auto ours_sv1 = encode(c, ct->values, sv1).size();
    const auto ours_p14 = encode(c, ct->values, p14).size();
    EXPECT_LE(static_cast<double>(ours_sv1), 1.02 * static_cast<double>(theirs_sv1));
    EXPECT_LE(static_cast<double>(ours_p14), 1.02 * static_cast<double>(theirs_p14));
}

// Every corpus file of 4.57 / 4.70 decodes, and as dcmdjpeg decodes it (MANIFEST: all are decoded by
// DCMTK, so all must be decoded here).
TEST(JpegLosslessOracle, CorpusFilesMatchDcmdjpeg) {
    const auto dir = test::corpus_dir();
    if (dir.empty()) {
        GTEST_SKIP() << "corpus absent";
    }
    const bool tool = test::have_tool("dcmdjpeg");
    int files = 0;
    for (const auto& row : test::manifest()) {
        const std::string& uid = row.at("transfer_syntax_uid");
        if (uid != p14 && uid != sv1) {
            continue;
        }
        ++files;
        const auto path = dir / row.at("path");
        const auto ours = test::decode_path(path);
        ASSERT_TRUE(ours) << row.at("path") << ": " << ours.error().to_string();
        EXPECT_EQ(ours->codec, "jpeg-lossless") << row.at("path");
        if (!tool) {
            continue;
        }
        test::temp_dir tmp;
        ASSERT_TRUE(test::run("dcmdjpeg " + path.string() + " " + tmp.path("n.dcm").string())) << row.at("path");
        const auto theirs = test::decode_path(tmp.path("n.dcm"));
        ASSERT_TRUE(theirs) << theirs.error().to_string();
        EXPECT_SAMPLES_EQ(ours->values, theirs->values);
    }
    EXPECT_GE(files, 14);
}

} // namespace
} // namespace dicompix
