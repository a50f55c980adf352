// SPDX-License-Identifier: BSD-3-Clause
// JPEG Lossless, Non-Hierarchical (ITU-T T.81 Annex H, Huffman coded, SOF3): 1.2.840.10008.1.2.4.57
// (Process 14, any predictor) and 1.2.840.10008.1.2.4.70 (Process 14, Selection Value 1).
// Project-written decoder and encoder: 2-16 bit precision, 1-4 components, predictors 1-7, point
// transform, restart intervals, DNL, modulo-65536 reconstruction (T.81 H.2.1).
//
// Speed: a 64-bit bit buffer refilled 8 bytes at a time when no 0xFF byte is near, a 12-bit lookahead
// table whose entries carry the decoded difference when code and extra bits fit, and one row function
// per (predictor, components-in-scan) pair so the sample loop never branches on the predictor.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codecs/factories.hpp"
#include "codecs/jpeg_markers.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

using namespace jpeg;

std::string hex_marker(std::uint8_t m) {
    static constexpr char digits[] = "0123456789ABCDEF";
    return std::string("FF") + digits[m >> 4] + digits[m & 15];
}

/// Why a frame that is not SOF3 cannot be decoded here (T.81 Table B.1).
std::string describe_sof(std::uint8_t m) {
    switch (m) {
    case 0xC0: return "baseline DCT (SOF0)";
    case 0xC1: return "extended DCT (SOF1)";
    case 0xC2: return "progressive DCT (SOF2)";
    case 0xC5: case 0xC6: case 0xC7: return "hierarchical differential (" + hex_marker(m) + ")";
    case 0xC9: case 0xCA: case 0xCB: return "arithmetic-coded (" + hex_marker(m) + ")";
    default: return "differential arithmetic-coded (" + hex_marker(m) + ")";
    }
}


struct component_spec {
    std::uint8_t id{0};
    std::uint8_t h{1};
    std::uint8_t v{1};
};

struct frame_spec {
    std::uint16_t precision{0};
    std::uint32_t rows{0}; ///< Y, or the DNL value when Y is 0
    std::uint32_t columns{0};
    std::uint16_t count{0};
    std::array<component_spec, 4> components{};
    bool rows_from_dnl{false};
};

struct scan_spec {
    std::uint16_t count{0};
    std::array<std::uint8_t, 4> component{}; ///< index into frame_spec::components
    std::array<std::uint8_t, 4> table{};     ///< Td
    std::uint8_t predictor{0};               ///< Ss
    std::uint8_t point_transform{0};         ///< Al
    std::uint8_t se{0};
};

/// Walks marker segments (T.81 B.1.1): fill bytes 0xFF before a marker are skipped; other bytes
/// between segments are counted as garbage.
class marker_cursor {
public:
    explicit marker_cursor(std::span<const std::uint8_t> data, std::size_t pos = 0) : data_(data), pos_(pos) {}

    [[nodiscard]] std::size_t pos() const noexcept { return pos_; }
    void seek(std::size_t pos) noexcept { pos_ = pos; }

    /// The next marker code, or 0 when the data ends first.
    std::uint8_t next(std::size_t& garbage) noexcept {
        for (;;) {
            while (pos_ < data_.size() && data_[pos_] != 0xFF) {
                ++pos_;
                ++garbage;
            }
            while (pos_ < data_.size() && data_[pos_] == 0xFF) {
                ++pos_;
            }
            if (pos_ >= data_.size()) {
                return 0;
            }
            const std::uint8_t m = data_[pos_++];
            if (m != 0x00) {
                return m;
            }
            garbage += 2; // a stuffed zero outside entropy-coded data
        }
    }

    /// The payload of the segment whose length field is at pos() (Lseg counts itself, T.81 B.1.1.4).
    result<std::span<const std::uint8_t>> segment(std::uint8_t marker) {
        if (data_.size() - pos_ < 2) {
            return failure(errc::truncated_codestream, "codestream ends inside the " + hex_marker(marker) +
                                                           " segment length" + at(pos_));
        }
        const std::size_t length = be16(data_.data() + pos_);
        if (length < 2) {
            return failure(errc::codec_error, "marker " + hex_marker(marker) + " has length " +
                                                  std::to_string(length) + at(pos_));
        }
        if (data_.size() - pos_ < length) {
            return failure(errc::truncated_codestream, "marker " + hex_marker(marker) + " segment of " +
                                                           std::to_string(length) + " bytes runs past the end" +
                                                           at(pos_));
        }
        const auto payload = data_.subspan(pos_ + 2, length - 2);
        pos_ += length;
        return payload;
    }

private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_;
};

constexpr bool has_length(std::uint8_t m) noexcept {
    return !(m == m_tem || (m >= m_rst0 && m <= m_eoi));
}

result<frame_spec> parse_sof3(std::span<const std::uint8_t> s, std::size_t pos) {
    if (s.size() < 6) {
        return failure(errc::codec_error, "SOF3 segment too short" + at(pos));
    }
    frame_spec f;
    f.precision = s[0];
    f.rows = be16(&s[1]);
    f.columns = be16(&s[3]);
    const std::size_t n = s[5];
    if (s.size() != 6 + 3 * n) {
        return failure(errc::codec_error, "SOF3 length does not match its " + std::to_string(n) + " components" +
                                              at(pos));
    }
    // T.81 Table B.2: P is 2-16 in lossless mode.
    if (f.precision < 2 || f.precision > 16) {
        return failure(errc::codec_error, "SOF3 precision " + std::to_string(f.precision) + " is not 2-16" + at(pos));
    }
    if (n == 0 || n > 4) {
        return failure(errc::codec_error, "SOF3 with " + std::to_string(n) + " components (1-4 supported)" + at(pos));
    }
    if (f.columns == 0) {
        return failure(errc::codec_error, "SOF3 with 0 samples per line" + at(pos));
    }
    f.count = static_cast<std::uint16_t>(n);
    for (std::size_t i = 0; i < n; ++i) {
        component_spec& c = f.components[i];
        c.id = s[6 + 3 * i];
        c.h = static_cast<std::uint8_t>(s[7 + 3 * i] >> 4);
        c.v = static_cast<std::uint8_t>(s[7 + 3 * i] & 15);
        if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4) {
            return failure(errc::codec_error, "SOF3 component " + std::to_string(c.id) + " has sampling factors " +
                                                  std::to_string(c.h) + "x" + std::to_string(c.v) + at(pos));
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (f.components[j].id == c.id) {
                return failure(errc::codec_error, "SOF3 repeats component id " + std::to_string(c.id) + at(pos));
            }
        }
        if (c.h != f.components[0].h || c.v != f.components[0].v) {
            return failure(errc::codec_error, "subsampled lossless JPEG (components with different sampling "
                                              "factors) is not supported" + at(pos));
        }
    }
    return f;
}

/// Reads the frame header (and, when Y is 0, the DNL after the first scan, T.81 B.2.5).
result<frame_spec> read_frame(std::span<const std::uint8_t> d) {
    if (d.size() < 2 || d[0] != 0xFF || d[1] != m_soi) {
        return failure(errc::codec_error, "not a JPEG codestream (no SOI marker at the start)");
    }
    marker_cursor cur(d, 2);
    std::size_t garbage = 0;
    frame_spec frame;
    bool have_frame = false;
    for (;;) {
        const std::size_t marker_pos = cur.pos();
        const std::uint8_t m = cur.next(garbage);
        if (m == 0) {
            return failure(errc::truncated_codestream,
                           have_frame ? "codestream ends before the DNL marker" : "codestream ends before the frame header");
        }
        if (is_sof(m)) {
            if (m != m_sof3) {
                return failure(errc::codec_error, "not a lossless JPEG: " + describe_sof(m) + " frame" + at(marker_pos));
            }
            if (have_frame) {
                return failure(errc::codec_error, "second frame header" + at(marker_pos));
            }
            DICOMPIX_TRY(const auto s, cur.segment(m));
            DICOMPIX_TRY(frame, parse_sof3(s, marker_pos));
            if (frame.rows != 0) {
                return frame;
            }
            have_frame = true;
            continue;
        }
        if (m == m_sos) {
            if (!have_frame) {
                return failure(errc::codec_error, "SOS before the frame header" + at(marker_pos));
            }
            DICOMPIX_TRY(const auto s, cur.segment(m));
            (void)s;
            cur.seek(skip_entropy_data(d, cur.pos()));
            continue;
        }
        if (m == m_dnl) {
            if (!have_frame) {
                return failure(errc::codec_error, "DNL before the frame header" + at(marker_pos));
            }
            DICOMPIX_TRY(const auto s, cur.segment(m));
            if (s.size() != 2 || be16(s.data()) == 0) {
                return failure(errc::codec_error, "malformed DNL segment" + at(marker_pos));
            }
            frame.rows = be16(s.data());
            frame.rows_from_dnl = true;
            return frame;
        }
        if (m == m_eoi) {
            return failure(errc::codec_error, have_frame ? "frame has 0 lines and no DNL marker"
                                                         : "EOI before the frame header");
        }
        if (!has_length(m)) {
            if (m == m_soi) {
                return failure(errc::codec_error, "second SOI marker" + at(marker_pos));
            }
            continue; // TEM, stray RSTn
        }
        DICOMPIX_TRY(const auto s, cur.segment(m));
        (void)s;
    }
}

// ----------------------------------------------------------------------------------------------
// Huffman tables (T.81 Annex C, F.2.2.3 procedure on the decoder side).

struct huffman_spec {
    std::array<std::uint8_t, 17> counts{}; ///< counts[l]: codes of length l (1-16)
    std::array<std::uint8_t, 256> symbols{};
    std::uint16_t total{0};
};

constexpr int fast_bits = 12;
constexpr std::uint32_t fast_full = 1U << 5;

/// Decoding table. Lookahead entries: bits 0-4 bits to consume; bit 5 set when the entry is complete
/// (difference in bits 16-31, modulo 2^16); otherwise bits 8-12 hold SSSS and bits 0-4 the code length.
/// A zero entry means the code is longer than the lookahead (or invalid).
struct decode_table {
    std::array<std::uint32_t, 1U << fast_bits> fast{};
    std::array<std::int32_t, 18> maxcode{};  ///< largest code of each length, -1 when none
    std::array<std::int32_t, 17> valoffset{}; ///< symbol index minus smallest code of each length
    std::array<std::uint8_t, 256> symbols{};
};

inline std::uint32_t extend(std::uint32_t v, std::uint32_t s) noexcept {
    // T.81 F.2.2.1 EXTEND, kept modulo 2^16: a leading 0 bit means a negative difference.
    const std::uint32_t negative = ((v >> (s - 1)) & 1U) ^ 1U;
    return v - (negative * ((1U << s) - 1U));
}

/// Derives codes (T.81 C.1/C.2) and checks that they fit their lengths.
result<void> build_decode_table(const huffman_spec& spec, decode_table& t) {
    t.fast.fill(0);
    t.symbols = spec.symbols;
    std::int32_t code = 0;
    std::int32_t k = 0;
    for (int l = 1; l <= 16; ++l) {
        const int n = spec.counts[static_cast<std::size_t>(l)];
        if (n == 0) {
            t.maxcode[static_cast<std::size_t>(l)] = -1;
            t.valoffset[static_cast<std::size_t>(l)] = 0;
        } else {
            t.valoffset[static_cast<std::size_t>(l)] = k - code;
            for (int i = 0; i < n; ++i, ++k, ++code) {
                if (code >= (1 << l)) {
                    return failure(errc::codec_error,
                                   "invalid Huffman table: too many codes of length " + std::to_string(l));
                }
                const auto symbol = spec.symbols[static_cast<std::size_t>(k)];
                if (l <= fast_bits && symbol <= 16) {
                    const int spare = fast_bits - l;
                    const auto first = static_cast<std::uint32_t>(code) << spare;
                    for (std::uint32_t fill = 0; fill < (1U << spare); ++fill) {
                        std::uint32_t e = 0;
                        if (symbol == 0) {
                            e = static_cast<std::uint32_t>(l) | fast_full;
                        } else if (symbol == 16) {
                            // T.81 Table H.2: SSSS 16 is the difference 32768 with no extra bits.
                            e = static_cast<std::uint32_t>(l) | fast_full | (32768U << 16);
                        } else if (l + symbol <= fast_bits) {
                            const std::uint32_t v = (fill >> (spare - symbol)) & ((1U << symbol) - 1U);
                            e = static_cast<std::uint32_t>(l + symbol) | fast_full |
                                ((extend(v, symbol) & 0xFFFFU) << 16);
                        } else {
                            e = static_cast<std::uint32_t>(l) | (std::uint32_t{symbol} << 8);
                        }
                        t.fast[first | fill] = e;
                    }
                }
            }
            t.maxcode[static_cast<std::size_t>(l)] = code - 1;
        }
        code <<= 1;
    }
    t.maxcode[17] = 0x7FFFFFFF;
    return {};
}

result<void> parse_dht(std::span<const std::uint8_t> s, std::array<huffman_spec, 4>& specs,
                       std::array<bool, 4>& defined, std::size_t pos) {
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint8_t tc = static_cast<std::uint8_t>(s[i] >> 4);
        const std::uint8_t th = static_cast<std::uint8_t>(s[i] & 15);
        if (s.size() - i < 17) {
            return failure(errc::codec_error, "DHT segment too short" + at(pos));
        }
        if (tc > 1 || th > 3) {
            return failure(errc::codec_error, "DHT table class " + std::to_string(tc) + " id " + std::to_string(th) + at(pos));
        }
        huffman_spec spec;
        std::size_t total = 0;
        for (std::size_t l = 1; l <= 16; ++l) {
            spec.counts[l] = s[i + l];
            total += s[i + l];
        }
        i += 17;
        if (total > 256 || s.size() - i < total) {
            return failure(errc::codec_error, "DHT segment declares " + std::to_string(total) + " symbols" + at(pos));
        }
        std::copy_n(s.begin() + static_cast<std::ptrdiff_t>(i), total, spec.symbols.begin());
        spec.total = static_cast<std::uint16_t>(total);
        i += total;
        // Lossless scans use only the DC-class (Tc 0) tables (T.81 H.1.3); AC tables are ignored.
        if (tc == 0) {
            specs[th] = spec;
            defined[th] = true;
        }
    }
    return {};
}

// ----------------------------------------------------------------------------------------------
// Entropy-coded data reader (T.81 F.2.2.5 NEXTBYTE with the B.1.1.5 byte stuffing).

class bit_reader {
public:
    bit_reader(const std::uint8_t* p, const std::uint8_t* end) noexcept : p_(p), end_(end) {}

    /// Decodes one difference (T.81 H.2.2), modulo 2^16.
    [[gnu::always_inline]] inline std::uint32_t decode(const decode_table& t) noexcept {
        if (bits_ < 32) {
            refill();
        }
        const std::uint32_t e = t.fast[static_cast<std::size_t>(buf_ >> (64 - fast_bits))];
        if ((e & fast_full) != 0) [[likely]] {
            consume(static_cast<int>(e & 31U));
            return e >> 16;
        }
        if (e != 0) {
            consume(static_cast<int>(e & 31U));
            const std::uint32_t s = (e >> 8) & 31U;
            const auto v = static_cast<std::uint32_t>(buf_ >> (64 - s));
            consume(static_cast<int>(s));
            return extend(v, s);
        }
        return decode_long(t);
    }

    /// True once more bits were consumed than the segment holds (zeros stood in for the rest).
    [[nodiscard]] bool overrun() const noexcept { return bits_ < pad_; }
    [[nodiscard]] bool bad_code() const noexcept { return bad_code_; }
    /// Real bits left in the buffer (the end of a segment is padded with 1 bits, T.81 F.1.2.3).
    [[nodiscard]] std::int64_t real_bits() const noexcept { return bits_ - pad_; }
    [[nodiscard]] const std::uint8_t* position() const noexcept { return p_; }

    /// Starts a new entropy-coded segment at p (after RSTn).
    void reset(const std::uint8_t* p) noexcept {
        p_ = p;
        buf_ = 0;
        bits_ = 0;
        pad_ = 0;
        at_marker_ = false;
    }

private:
    [[gnu::always_inline]] inline void consume(int n) noexcept {
        buf_ <<= n;
        bits_ -= n;
    }

    [[gnu::always_inline]] inline void refill() noexcept {
        if (end_ - p_ >= 8) {
            std::uint64_t v;
            std::memcpy(&v, p_, 8);
            if constexpr (std::endian::native == std::endian::little) {
                v = __builtin_bswap64(v);
            }
            const std::uint64_t x = ~v; // a 0xFF byte becomes a zero byte
            if (((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) == 0) {
                // Bits below the new count are those of the next bytes: the next refill ORs the same.
                buf_ |= v >> bits_;
                p_ += (63 - bits_) >> 3;
                bits_ |= 56;
                return;
            }
        }
        refill_slow();
    }

    [[gnu::noinline]] void refill_slow() noexcept {
        buf_ = bits_ == 0 ? 0 : buf_ & (~std::uint64_t{0} << (64 - bits_));
        while (bits_ <= 56) {
            std::uint64_t byte = 0;
            if (!at_marker_ && p_ < end_) {
                if (*p_ != 0xFF) {
                    byte = *p_++;
                } else if (end_ - p_ >= 2 && p_[1] == 0x00) {
                    byte = 0xFF;
                    p_ += 2;
                } else {
                    at_marker_ = true; // a marker (or fill bytes before one) ends the segment
                }
            } else {
                at_marker_ = true;
            }
            if (at_marker_) {
                pad_ += 8;
            }
            buf_ |= byte << (56 - bits_);
            bits_ += 8;
        }
    }

    [[gnu::noinline]] std::uint32_t decode_long(const decode_table& t) noexcept {
        // Codes longer than the lookahead: T.81 F.2.2.3 DECODE with MAXCODE per length.
        const auto top = static_cast<std::int32_t>(buf_ >> 48);
        int l = fast_bits + 1;
        for (; l <= 16; ++l) {
            const std::int32_t code = top >> (16 - l);
            if (code <= t.maxcode[static_cast<std::size_t>(l)]) {
                const auto index = static_cast<std::size_t>(code + t.valoffset[static_cast<std::size_t>(l)]);
                const std::uint32_t s = t.symbols[index & 255U];
                consume(l);
                if (s == 0) {
                    return 0;
                }
                if (s == 16) {
                    return 32768;
                }
                if (s > 16) {
                    break;
                }
                const auto v = static_cast<std::uint32_t>(buf_ >> (64 - s));
                consume(static_cast<int>(s));
                return extend(v, s);
            }
        }
        bad_code_ = true;
        consume(16);
        return 0;
    }

    const std::uint8_t* p_;
    const std::uint8_t* end_;
    std::uint64_t buf_{0};
    int bits_{0};
    std::int64_t pad_{0};
    bool at_marker_{false};
    bool bad_code_{false};
};

// ----------------------------------------------------------------------------------------------
// Reconstruction (T.81 H.1.2.1 prediction, H.2.1 modulo 2^16).

/// Predictor 0 stands for the first line of a scan or restart interval: 2^(P-Pt-1) for the first
/// sample, then Ra. Other lines start with Rb, then use the scan's predictor.
template <int Predictor>
[[gnu::always_inline]] inline std::int32_t predict(std::int32_t ra, std::int32_t rb, std::int32_t rc) noexcept {
    if constexpr (Predictor <= 1) {
        return ra;
    } else if constexpr (Predictor == 2) {
        return rb;
    } else if constexpr (Predictor == 3) {
        return rc;
    } else if constexpr (Predictor == 4) {
        return ra + rb - rc;
    } else if constexpr (Predictor == 5) {
        return ra + ((rb - rc) >> 1);
    } else if constexpr (Predictor == 6) {
        return rb + ((ra - rc) >> 1);
    } else {
        return (ra + rb) >> 1;
    }
}

using row_decoder = void (*)(bit_reader&, const decode_table* const*, std::uint16_t*, const std::uint16_t*,
                             std::uint32_t, std::uint32_t);

template <int Predictor, int S>
void decode_row(bit_reader& reader, const decode_table* const* tables, std::uint16_t* cur,
                const std::uint16_t* prev, std::uint32_t width, std::uint32_t initial) {
    bit_reader r = reader; // a local copy stays in registers across the stores
    for (int k = 0; k < S; ++k) {
        const std::uint32_t p = Predictor == 0 ? initial : prev[k];
        cur[k] = static_cast<std::uint16_t>(p + r.decode(*tables[k]));
    }
    if constexpr (Predictor <= 1 && S == 1) {
        std::uint32_t ra = cur[0];
        const decode_table& t = *tables[0];
        for (std::uint32_t x = 1; x < width; ++x) {
            ra = (ra + r.decode(t)) & 0xFFFFU;
            cur[x] = static_cast<std::uint16_t>(ra);
        }
    } else {
        for (std::uint32_t x = 1; x < width; ++x) {
            for (int k = 0; k < S; ++k) {
                const std::size_t i = std::size_t{x} * S + static_cast<std::size_t>(k);
                const std::int32_t ra = cur[i - S];
                std::int32_t rb = 0;
                std::int32_t rc = 0;
                if constexpr (Predictor >= 2) {
                    rb = prev[i];
                    rc = prev[i - S];
                }
                const auto p = static_cast<std::uint32_t>(predict<Predictor>(ra, rb, rc));
                cur[i] = static_cast<std::uint16_t>(p + r.decode(*tables[k]));
            }
        }
    }
    reader = r;
}

template <int S>
row_decoder select_row_decoder(int predictor) {
    switch (predictor) {
    case 0: return decode_row<0, S>;
    case 1: return decode_row<1, S>;
    case 2: return decode_row<2, S>;
    case 3: return decode_row<3, S>;
    case 4: return decode_row<4, S>;
    case 5: return decode_row<5, S>;
    case 6: return decode_row<6, S>;
    default: return decode_row<7, S>;
    }
}

row_decoder select_row_decoder(int predictor, int s) {
    switch (s) {
    case 1: return select_row_decoder<1>(predictor);
    case 2: return select_row_decoder<2>(predictor);
    case 3: return select_row_decoder<3>(predictor);
    default: return select_row_decoder<4>(predictor);
    }
}

/// Writes one reconstructed row to the frame: scan components to their frame positions, << Pt
/// (T.81 H.2.1: the output keeps 16 bits, as IJG does), widened to the sample size.
template <typename T>
void store_row(const std::uint16_t* cur, const scan_spec& scan, std::size_t frame_components, std::uint32_t width,
               std::byte* out_row) {
    const int pt = scan.point_transform;
    for (std::uint32_t x = 0; x < width; ++x) {
        for (std::size_t k = 0; k < scan.count; ++k) {
            const auto v = static_cast<T>(static_cast<std::uint16_t>(std::uint32_t{cur[x * scan.count + k]} << pt));
            std::memcpy(out_row + (std::size_t{x} * frame_components + scan.component[k]) * sizeof(T), &v, sizeof(T));
        }
    }
}

struct decode_state {
    std::span<const std::uint8_t> data;
    const frame_spec& frame;
    std::span<std::byte> out;
    std::size_t bytes_per_sample;
    std::uint32_t restart_interval{0};
    std::vector<std::string>& warnings;
};

/// Decodes the scan whose entropy-coded data starts at `pos`; returns the position after it.
result<std::size_t> decode_scan(decode_state& st, const scan_spec& scan, const std::array<decode_table*, 4>& tables,
                                std::size_t pos) {
    const frame_spec& frame = st.frame;
    const std::uint32_t width = frame.columns;
    const std::uint32_t rows = frame.rows;
    const std::size_t s = scan.count;
    const std::uint32_t initial = 1U << (frame.precision - scan.point_transform - 1);
    // IJG and T.81 H.1.2.1 restart the prediction at the start of a line only: the interval must
    // cover whole lines (MCUs per line = columns when sampling factors are 1).
    std::uint32_t rows_per_interval = rows;
    if (st.restart_interval != 0) {
        if (st.restart_interval % width != 0) {
            return failure(errc::codec_error, "restart interval " + std::to_string(st.restart_interval) +
                                                  " is not a multiple of the " + std::to_string(width) +
                                                  " MCUs of a line");
        }
        rows_per_interval = st.restart_interval / width;
    }
    std::array<const decode_table*, 4> scan_tables{};
    for (std::size_t k = 0; k < s; ++k) {
        scan_tables[k] = tables[scan.table[k]];
    }
    const row_decoder first_row = select_row_decoder(0, static_cast<int>(s));
    const row_decoder other_rows = select_row_decoder(scan.predictor, static_cast<int>(s));

    // One component in 16-bit samples without point transform: reconstruct in place in the frame.
    const bool direct = frame.count == 1 && st.bytes_per_sample == 2 && scan.point_transform == 0 &&
                        reinterpret_cast<std::uintptr_t>(st.out.data()) % alignof(std::uint16_t) == 0;
    std::vector<std::uint16_t> work;
    if (!direct) {
        work.resize(std::size_t{width} * s * 2);
    }
    const std::size_t out_row_bytes = std::size_t{width} * frame.count * st.bytes_per_sample;

    const std::uint8_t* const base = st.data.data();
    bit_reader reader(base + pos, base + st.data.size());
    std::uint32_t restarts = 0;
    std::uint16_t* prev = nullptr;
    for (std::uint32_t y = 0; y < rows; ++y) {
        const bool first = y % rows_per_interval == 0;
        if (first && y != 0) {
            // T.81 F.1.2.3 / E.2.4: byte-aligned RSTn, modulo 8, between intervals.
            if (reader.real_bits() >= 8) {
                st.warnings.push_back("extra entropy-coded bytes before RST" + std::to_string(restarts % 8));
            }
            std::size_t p = static_cast<std::size_t>(reader.position() - base);
            while (p < st.data.size() && st.data[p] != 0xFF) {
                ++p;
            }
            while (p < st.data.size() && st.data[p] == 0xFF) {
                ++p;
            }
            if (p >= st.data.size()) {
                return failure(errc::truncated_codestream, "codestream ends before restart marker " +
                                                               std::to_string(restarts % 8) + " (line " +
                                                               std::to_string(y) + ")");
            }
            const std::uint8_t m = st.data[p];
            if (m != m_rst0 + restarts % 8) {
                return failure(errc::codec_error, "expected RST" + std::to_string(restarts % 8) + " before line " +
                                                      std::to_string(y) + ", found " + hex_marker(m) + at(p - 1));
            }
            ++restarts;
            reader.reset(base + p + 1);
        }
        std::uint16_t* cur = nullptr;
        if (direct) {
            cur = reinterpret_cast<std::uint16_t*>(st.out.data() + std::size_t{y} * out_row_bytes);
        } else {
            cur = work.data() + (y % 2) * std::size_t{width} * s;
        }
        if (first) {
            first_row(reader, scan_tables.data(), cur, nullptr, width, initial);
        } else {
            other_rows(reader, scan_tables.data(), cur, prev, width, initial);
        }
        if (reader.overrun()) [[unlikely]] {
            return failure(errc::truncated_codestream, "entropy-coded data ends in line " + std::to_string(y) +
                                                           " of " + std::to_string(rows));
        }
        if (reader.bad_code()) [[unlikely]] {
            return failure(errc::codec_error, "invalid Huffman code in line " + std::to_string(y));
        }
        if (!direct) {
            std::byte* const out_row = st.out.data() + std::size_t{y} * out_row_bytes;
            switch (st.bytes_per_sample) {
            case 1: store_row<std::uint8_t>(cur, scan, frame.count, width, out_row); break;
            case 2: store_row<std::uint16_t>(cur, scan, frame.count, width, out_row); break;
            default: store_row<std::uint32_t>(cur, scan, frame.count, width, out_row); break;
            }
        }
        prev = cur;
    }
    if (reader.real_bits() >= 8) {
        st.warnings.push_back("extra entropy-coded bytes at the end of a scan");
    }
    return static_cast<std::size_t>(reader.position() - base);
}

result<scan_spec> parse_sos(std::span<const std::uint8_t> s, const frame_spec& frame, std::size_t pos) {
    if (s.empty() || s[0] < 1 || s[0] > 4 || s.size() != 4 + 2 * std::size_t{s[0]}) {
        return failure(errc::codec_error, "malformed SOS segment" + at(pos));
    }
    scan_spec scan;
    scan.count = s[0];
    for (std::size_t k = 0; k < scan.count; ++k) {
        const std::uint8_t id = s[1 + 2 * k];
        std::size_t index = frame.count;
        for (std::size_t i = 0; i < frame.count; ++i) {
            if (frame.components[i].id == id) {
                index = i;
            }
        }
        if (index == frame.count) {
            return failure(errc::codec_error, "SOS names component " + std::to_string(id) +
                                                  ", absent from the frame" + at(pos));
        }
        for (std::size_t j = 0; j < k; ++j) {
            if (scan.component[j] == index) {
                return failure(errc::codec_error, "SOS repeats component " + std::to_string(id) + at(pos));
            }
        }
        scan.component[k] = static_cast<std::uint8_t>(index);
        scan.table[k] = static_cast<std::uint8_t>(s[2 + 2 * k] >> 4);
        if (scan.table[k] > 3) {
            return failure(errc::codec_error, "SOS selects Huffman table " + std::to_string(scan.table[k]) + at(pos));
        }
    }
    const std::size_t tail = 1 + 2 * std::size_t{scan.count};
    scan.predictor = s[tail];
    scan.se = s[tail + 1];
    const std::uint8_t ah = static_cast<std::uint8_t>(s[tail + 2] >> 4);
    scan.point_transform = static_cast<std::uint8_t>(s[tail + 2] & 15);
    // T.81 Table B.3 / H.1.2: Ss selects predictor 1-7, Ah is 0, Pt < P.
    if (scan.predictor < 1 || scan.predictor > 7) {
        return failure(errc::codec_error, "lossless scan with predictor selection " +
                                              std::to_string(scan.predictor) + " (1-7 allowed)" + at(pos));
    }
    if (ah != 0 || scan.point_transform >= frame.precision) {
        return failure(errc::codec_error, "lossless scan with Ah " + std::to_string(ah) + " and point transform " +
                                              std::to_string(scan.point_transform) + at(pos));
    }
    if (scan.count > 1 && (frame.components[0].h != 1 || frame.components[0].v != 1)) {
        return failure(errc::codec_error, "interleaved lossless scan with sampling factors other than 1x1" + at(pos));
    }
    return scan;
}

result<decode_report> decode_frame(std::span<const std::uint8_t> d, const frame_info& info, std::span<std::byte> out,
                                   const decode_options& options) {
    DICOMPIX_TRY(const frame_spec frame, read_frame(d));
    if (frame.rows != info.rows || frame.columns != info.columns || frame.count != info.samples_per_pixel) {
        return failure(errc::codestream_mismatch,
                       "codestream is " + std::to_string(frame.columns) + "x" + std::to_string(frame.rows) + "x" +
                           std::to_string(frame.count) + ", the dataset says " + std::to_string(info.columns) + "x" +
                           std::to_string(info.rows) + "x" + std::to_string(info.samples_per_pixel));
    }
    const std::size_t bps = info.bytes_per_sample();
    if (info.element != pixel_data_element::integer || info.bits_allocated < 8 || frame.precision > 8 * bps) {
        return failure(errc::codestream_mismatch, "codestream precision " + std::to_string(frame.precision) +
                                                      " bits does not fit Bits Allocated " +
                                                      std::to_string(info.bits_allocated));
    }
    DICOMPIX_TRY(const std::uint64_t need, info.decoded_frame_bytes());
    if (options.limits != nullptr && need > options.limits->max_frame_bytes) {
        return failure(errc::limit_exceeded, "decoded frame of " + std::to_string(need) + " bytes exceeds the limit");
    }
    if (out.size() != need) {
        return failure(errc::invalid_argument, "output buffer has " + std::to_string(out.size()) + " bytes, the frame " +
                                                   std::to_string(need));
    }

    decode_report report;
    decode_state st{d, frame, out, bps, 0, report.warnings};
    std::array<huffman_spec, 4> specs{};
    std::array<bool, 4> defined{};
    std::array<bool, 4> stale{};
    // On the heap: 4 x 16 KiB of lookahead tables would strain small thread stacks.
    const auto tables_storage = std::make_unique<std::array<decode_table, 4>>();
    std::array<decode_table*, 4> tables{};
    std::array<bool, 4> done{};
    std::size_t decoded_components = 0;
    std::size_t garbage = 0;
    bool eoi = false;
    bool seen_frame = false;
    marker_cursor cur(d, 2);
    while (!eoi) {
        const std::size_t marker_pos = cur.pos();
        const std::uint8_t m = cur.next(garbage);
        if (m == 0) {
            break;
        }
        if (is_sof(m)) {
            if (m != m_sof3 || seen_frame) {
                return failure(errc::codec_error, "unexpected " + hex_marker(m) + at(marker_pos));
            }
            seen_frame = true;
            DICOMPIX_TRY(const auto s, cur.segment(m));
            (void)s; // parsed by read_frame
            continue;
        }
        switch (m) {
        case m_dht: {
            DICOMPIX_TRY(const auto s, cur.segment(m));
            std::array<bool, 4> now{};
            DICOMPIX_TRY_VOID(parse_dht(s, specs, now, marker_pos));
            for (std::size_t i = 0; i < 4; ++i) {
                if (now[i]) {
                    defined[i] = true;
                    stale[i] = true; // built when a scan uses it: DHT floods cost parsing only
                }
            }
            break;
        }
        case m_dri: {
            DICOMPIX_TRY(const auto s, cur.segment(m));
            if (s.size() != 2) {
                return failure(errc::codec_error, "malformed DRI segment" + at(marker_pos));
            }
            st.restart_interval = be16(s.data());
            break;
        }
        case m_sos: {
            if (!seen_frame) {
                return failure(errc::codec_error, "SOS before the frame header" + at(marker_pos));
            }
            DICOMPIX_TRY(const auto s, cur.segment(m));
            DICOMPIX_TRY(const scan_spec scan, parse_sos(s, frame, marker_pos));
            for (std::size_t k = 0; k < scan.count; ++k) {
                if (done[scan.component[k]]) {
                    return failure(errc::codec_error, "second scan of component " +
                                                          std::to_string(frame.components[scan.component[k]].id) +
                                                          at(marker_pos));
                }
                const std::size_t t = scan.table[k];
                if (!defined[t]) {
                    return failure(errc::codec_error,
                                   "scan uses undefined Huffman table " + std::to_string(t) + at(marker_pos));
                }
                if (stale[t]) {
                    DICOMPIX_TRY_VOID(build_decode_table(specs[t], (*tables_storage)[t]));
                    tables[t] = &(*tables_storage)[t];
                    stale[t] = false;
                }
            }
            if (scan.se != 0) {
                report.warnings.push_back("lossless scan with Se " + std::to_string(scan.se) + " (should be 0)");
            }
            DICOMPIX_TRY(const std::size_t end, decode_scan(st, scan, tables, cur.pos()));
            for (std::size_t k = 0; k < scan.count; ++k) {
                done[scan.component[k]] = true;
                ++decoded_components;
            }
            cur.seek(end);
            break;
        }
        case m_eoi: eoi = true; break;
        case m_soi: return failure(errc::codec_error, "second SOI marker" + at(marker_pos));
        default:
            if (m >= m_rst0 && m <= m_rst7) {
                return failure(errc::codec_error, "restart marker outside a scan" + at(marker_pos));
            }
            if (has_length(m)) {
                DICOMPIX_TRY(const auto s, cur.segment(m)); // APPn, COM, DQT, DNL (read by read_frame), ...
                (void)s;
            }
            break;
        }
    }
    if (decoded_components < frame.count) {
        return failure(eoi ? errc::codec_error : errc::truncated_codestream,
                       std::string(eoi ? "EOI" : "end of data") + " after " + std::to_string(decoded_components) +
                           " of " + std::to_string(frame.count) + " components");
    }
    if (garbage != 0) {
        report.warnings.push_back(std::to_string(garbage) + " bytes of garbage between marker segments");
    }
    if (!eoi) {
        if (options.strict) {
            return failure(errc::truncated_codestream, "codestream ends without EOI after the last scan");
        }
        report.warnings.emplace_back("codestream ends without EOI after the last scan");
    } else {
        // One pad byte to even fragment length is normal (0x00 per PS3.5 §8.2, 0xFF from some encoders).
        const std::size_t rest = d.size() - cur.pos();
        if (rest > 1 || (rest == 1 && d.back() != 0x00 && d.back() != 0xFF)) {
            report.warnings.push_back(std::to_string(rest) + " bytes after EOI ignored");
        }
    }
    report.precision = frame.precision;
    report.is_signed = false; // T.81 samples carry no sign: a signed frame is its two's complement pattern
    if (frame.rows_from_dnl) {
        report.warnings.emplace_back("number of lines given by a DNL marker");
    }
    return report;
}

photometric output_colour(const frame_info& info) noexcept {
    // Lossless JPEG applies no colour transform: samples come out in the colour space they went in
    // (YBR_FULL_422 frames are full resolution, as the 1x1 sampling requires).
    return info.photometric_interpretation == photometric::ybr_full_422 ? photometric::ybr_full
                                                                        : info.photometric_interpretation;
}

std::span<const std::uint8_t> as_u8(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()};
}

bool is_lossless_uid(std::string_view uid) noexcept {
    return uid == uids::jpeg_lossless || uid == uids::jpeg_lossless_sv1;
}

class jpeg_lossless_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "jpeg-lossless"; }
    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return is_lossless_uid(uid) && info.element == pixel_data_element::integer && info.bits_allocated >= 8 &&
               info.samples_per_pixel >= 1 && info.samples_per_pixel <= 4;
    }
    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        DICOMPIX_TRY(const frame_spec frame, read_frame(as_u8(codestream)));
        return codestream_info{frame.rows, frame.columns, frame.count, frame.precision, false, output_colour(info)};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override {
        DICOMPIX_TRY(decode_report report, decode_frame(as_u8(codestream), info, out, options));
        report.colour = output_colour(info);
        return report;
    }
};

// ----------------------------------------------------------------------------------------------
// Encoder.

/// Code lengths limited to 16 bits from symbol frequencies (T.81 K.2, Figures K.1-K.3), with one
/// code point reserved so that no code is all 1 bits (as IJG's jpeg_gen_optimal_table).
huffman_spec optimal_table(const std::array<std::uint64_t, 17>& counts) {
    constexpr int n = 18; // 17 symbols + the reserved one
    std::array<std::uint64_t, n> freq{};
    std::array<int, n> codesize{};
    std::array<int, n> others{};
    others.fill(-1);
    for (std::size_t i = 0; i < 17; ++i) {
        freq[i] = counts[i];
    }
    freq[17] = 1;
    for (;;) {
        int c1 = -1;
        std::uint64_t v = ~std::uint64_t{0};
        for (int i = 0; i < n; ++i) {
            if (freq[static_cast<std::size_t>(i)] != 0 && freq[static_cast<std::size_t>(i)] <= v) {
                v = freq[static_cast<std::size_t>(i)];
                c1 = i;
            }
        }
        int c2 = -1;
        v = ~std::uint64_t{0};
        for (int i = 0; i < n; ++i) {
            if (freq[static_cast<std::size_t>(i)] != 0 && freq[static_cast<std::size_t>(i)] <= v && i != c1) {
                v = freq[static_cast<std::size_t>(i)];
                c2 = i;
            }
        }
        if (c2 < 0) {
            break;
        }
        auto u = [](int i) { return static_cast<std::size_t>(i); };
        freq[u(c1)] += freq[u(c2)];
        freq[u(c2)] = 0;
        ++codesize[u(c1)];
        while (others[u(c1)] >= 0) {
            c1 = others[u(c1)];
            ++codesize[u(c1)];
        }
        others[u(c1)] = c2;
        ++codesize[u(c2)];
        while (others[u(c2)] >= 0) {
            c2 = others[u(c2)];
            ++codesize[u(c2)];
        }
    }
    std::array<int, 33> bits{};
    for (int i = 0; i < n; ++i) {
        if (codesize[static_cast<std::size_t>(i)] != 0) {
            ++bits[static_cast<std::size_t>(codesize[static_cast<std::size_t>(i)])];
        }
    }
    // T.81 Figure K.3: move codes longer than 16 bits up the tree.
    for (int i = 32; i > 16; --i) {
        while (bits[static_cast<std::size_t>(i)] > 0) {
            int j = i - 2;
            while (bits[static_cast<std::size_t>(j)] == 0) {
                --j;
            }
            bits[static_cast<std::size_t>(i)] -= 2;
            bits[static_cast<std::size_t>(i - 1)] += 1;
            bits[static_cast<std::size_t>(j + 1)] += 2;
            bits[static_cast<std::size_t>(j)] -= 1;
        }
    }
    int longest = 16;
    while (bits[static_cast<std::size_t>(longest)] == 0) {
        --longest;
    }
    --bits[static_cast<std::size_t>(longest)]; // drop the reserved code point
    huffman_spec spec;
    for (std::size_t l = 1; l <= 16; ++l) {
        spec.counts[l] = static_cast<std::uint8_t>(bits[l]);
    }
    // Symbols in order of code length (T.81 K.2 Figure K.4), ties by value.
    std::size_t k = 0;
    for (int l = 1; l <= 32; ++l) {
        for (int i = 0; i < 17; ++i) {
            if (codesize[static_cast<std::size_t>(i)] == l) {
                spec.symbols[k++] = static_cast<std::uint8_t>(i);
            }
        }
    }
    spec.total = static_cast<std::uint16_t>(k);
    return spec;
}

struct encode_table {
    std::array<std::uint32_t, 17> code{};
    std::array<std::uint8_t, 17> length{};
};

encode_table make_encode_table(const huffman_spec& spec) {
    // T.81 C.1-C.3: canonical codes in order of length.
    encode_table t;
    std::uint32_t code = 0;
    std::size_t k = 0;
    for (std::size_t l = 1; l <= 16; ++l) {
        for (std::size_t i = 0; i < spec.counts[l]; ++i, ++k) {
            const std::uint8_t s = spec.symbols[k];
            t.code[s] = code++;
            t.length[s] = static_cast<std::uint8_t>(l);
        }
        code <<= 1;
    }
    return t;
}

/// Difference category (T.81 Table H.2) of a difference taken modulo 2^16 and read in -32767..32768.
[[gnu::always_inline]] inline std::uint32_t category(std::uint32_t d16, std::int32_t& signed_diff) noexcept {
    signed_diff = static_cast<std::int32_t>((d16 + 32767U) & 0xFFFFU) - 32767;
    const auto magnitude = static_cast<std::uint32_t>(signed_diff < 0 ? -signed_diff : signed_diff);
    // bit_width without the branch on zero (frequent in flat regions): 2m+1 is never 0.
    return 31U - static_cast<std::uint32_t>(std::countl_zero(2 * magnitude + 1));
}

/// Calls sink(k, difference mod 2^16) for each sample of a row, predicting as the decoder will.
template <int Predictor, int S, typename Sink>
[[gnu::always_inline]] inline void for_each_difference(const std::uint16_t* cur, const std::uint16_t* prev,
                                                       std::uint32_t width, std::uint32_t initial, Sink&& sink) {
    for (int k = 0; k < S; ++k) {
        const std::uint32_t p = Predictor == 0 ? initial : prev[k];
        sink(k, (cur[k] - p) & 0xFFFFU);
    }
    for (std::uint32_t x = 1; x < width; ++x) {
        for (int k = 0; k < S; ++k) {
            const std::size_t i = std::size_t{x} * S + static_cast<std::size_t>(k);
            std::int32_t rb = 0;
            std::int32_t rc = 0;
            if constexpr (Predictor >= 2) {
                rb = prev[i];
                rc = prev[i - S];
            }
            const auto p = static_cast<std::uint32_t>(predict<Predictor>(cur[i - S], rb, rc));
            sink(k, (cur[i] - p) & 0xFFFFU);
        }
    }
}

/// Branch-free bit writer: whole bytes go out with one 8-byte store per code; byte stuffing (T.81
/// B.1.1.5, a 0x00 after each 0xFF) is done in one pass at the end.
class bit_writer {
public:
    explicit bit_writer(std::vector<std::byte>& out)
        : out_(&out), data_(out.data()), start_(out.size()), pos_(out.size()) {}

    /// Makes room for `bytes` more output bytes.
    void reserve(std::size_t bytes) {
        if (out_->size() - pos_ < bytes + 16) {
            out_->resize(std::max(out_->size() * 2, pos_ + bytes + 16));
            data_ = out_->data();
        }
    }
    /// Appends `length` (<= 31) bits.
    [[gnu::always_inline]] inline void put(std::uint32_t v, int length) noexcept {
        acc_ |= std::uint64_t{v} << (64 - n_ - length);
        n_ += length;
        const std::uint64_t be = std::endian::native == std::endian::little ? __builtin_bswap64(acc_) : acc_;
        std::memcpy(data_ + pos_, &be, 8);
        const int whole = n_ >> 3;
        pos_ += static_cast<std::size_t>(whole);
        acc_ <<= whole * 8;
        n_ &= 7;
    }
    /// Pads the last byte with 1 bits (T.81 F.1.2.3), stuffs, and trims the output.
    void finish() {
        if (n_ != 0) {
            put((1U << (8 - n_)) - 1U, 8 - n_);
        }
        std::vector<std::byte>& out = *out_;
        std::vector<std::size_t> ff;
        const auto* data = reinterpret_cast<const std::uint8_t*>(out.data());
        for (const std::uint8_t* p = data + start_; p < data + pos_;) {
            const void* hit = std::memchr(p, 0xFF, static_cast<std::size_t>(data + pos_ - p));
            if (hit == nullptr) {
                break;
            }
            const auto* h = static_cast<const std::uint8_t*>(hit);
            ff.push_back(static_cast<std::size_t>(h - data));
            p = h + 1;
        }
        out.resize(pos_ + ff.size());
        // Move the segments between 0xFF bytes up, from the back, inserting the zeros.
        std::size_t end = pos_;
        for (std::size_t k = ff.size(); k > 0; --k) {
            const std::size_t after = ff[k - 1] + 1;
            std::memmove(out.data() + after + k, out.data() + after, end - after);
            out[after + k - 1] = std::byte{0};
            end = after;
        }
    }

private:
    std::vector<std::byte>* out_;
    std::byte* data_;
    std::size_t start_;
    std::size_t pos_;
    std::uint64_t acc_{0}; ///< pending bits, left-aligned
    int n_{0};
};

/// The frame as rows of interleaved 16-bit samples holding the Bits Stored pattern; the rows of the
/// two most recent calls stay valid (the current row and its predecessor).
class row_source {
public:
    row_source(std::span<const std::byte> samples, const frame_info& info)
        : samples_(samples), bps_(info.bytes_per_sample()),
          row_samples_(std::size_t{info.columns} * info.samples_per_pixel),
          mask_(static_cast<std::uint32_t>((1U << info.bits_stored) - 1U)) {
        // 16-bit samples already hold the pattern when unsigned (normalised) or 16 bits wide.
        direct_ = bps_ == 2 && (!info.is_signed || info.bits_stored == 16) &&
                  reinterpret_cast<std::uintptr_t>(samples.data()) % alignof(std::uint16_t) == 0;
        if (!direct_) {
            rows_[0].resize(row_samples_);
            rows_[1].resize(row_samples_);
        }
    }
    const std::uint16_t* row(std::uint32_t y) {
        const std::byte* src = samples_.data() + std::size_t{y} * row_samples_ * bps_;
        if (direct_) {
            return reinterpret_cast<const std::uint16_t*>(src);
        }
        std::uint16_t* dst = rows_[y % 2].data();
        switch (bps_) {
        case 1:
            for (std::size_t i = 0; i < row_samples_; ++i) {
                dst[i] = static_cast<std::uint16_t>(std::to_integer<std::uint32_t>(src[i]) & mask_);
            }
            break;
        case 2:
            for (std::size_t i = 0; i < row_samples_; ++i) {
                std::uint16_t v;
                std::memcpy(&v, src + 2 * i, 2);
                dst[i] = static_cast<std::uint16_t>(v & mask_);
            }
            break;
        default:
            for (std::size_t i = 0; i < row_samples_; ++i) {
                std::uint32_t v;
                std::memcpy(&v, src + 4 * i, 4);
                dst[i] = static_cast<std::uint16_t>(v & mask_);
            }
            break;
        }
        return dst;
    }

private:
    std::span<const std::byte> samples_;
    std::size_t bps_;
    std::size_t row_samples_;
    std::uint32_t mask_;
    bool direct_{false};
    std::array<std::vector<std::uint16_t>, 2> rows_;
};

using histogram = std::array<std::array<std::uint64_t, 17>, 4>;

template <int Predictor, int S>
void histogram_row(const std::uint16_t* cur, const std::uint16_t* prev, std::uint32_t width, std::uint32_t initial,
                   histogram& h) {
    // Four interleaved copies: runs of equal categories do not wait on the previous increment.
    std::array<std::array<std::array<std::uint32_t, 17>, static_cast<std::size_t>(S)>, 4> local{};
    std::size_t n = 0;
    for_each_difference<Predictor, S>(cur, prev, width, initial, [&](int k, std::uint32_t d) {
        std::int32_t sd = 0;
        ++local[n++ & 3U][static_cast<std::size_t>(k)][category(d, sd)];
    });
    for (const auto& copy : local) {
        for (std::size_t k = 0; k < S; ++k) {
            for (std::size_t c = 0; c < 17; ++c) {
                h[k][c] += copy[k][c];
            }
        }
    }
}

template <int Predictor, int S>
void encode_row(const std::uint16_t* cur, const std::uint16_t* prev, std::uint32_t width, std::uint32_t initial,
                const std::array<encode_table, 4>& tables, bit_writer& writer) {
    bit_writer w = writer; // a local copy stays in registers across the output stores
    for_each_difference<Predictor, S>(cur, prev, width, initial, [&](int k, std::uint32_t d) {
        std::int32_t sd = 0;
        const std::uint32_t s = category(d, sd);
        const encode_table& t = tables[static_cast<std::size_t>(k)];
        if (s == 0 || s == 16) {
            w.put(t.code[s], t.length[s]);
        } else {
            // T.81 F.1.2.1.1: negative differences are sent as diff - 1 in s bits.
            const auto extra = static_cast<std::uint32_t>(sd < 0 ? sd - 1 : sd) & ((1U << s) - 1U);
            w.put((t.code[s] << s) | extra, t.length[s] + static_cast<int>(s));
        }
    });
    writer = w;
}

using histogram_fn = void (*)(const std::uint16_t*, const std::uint16_t*, std::uint32_t, std::uint32_t, histogram&);
using encode_fn = void (*)(const std::uint16_t*, const std::uint16_t*, std::uint32_t, std::uint32_t,
                           const std::array<encode_table, 4>&, bit_writer&);

template <int S>
std::pair<histogram_fn, encode_fn> select_encoder(int predictor) {
    switch (predictor) {
    case 0: return {histogram_row<0, S>, encode_row<0, S>};
    case 1: return {histogram_row<1, S>, encode_row<1, S>};
    case 2: return {histogram_row<2, S>, encode_row<2, S>};
    case 3: return {histogram_row<3, S>, encode_row<3, S>};
    case 4: return {histogram_row<4, S>, encode_row<4, S>};
    case 5: return {histogram_row<5, S>, encode_row<5, S>};
    case 6: return {histogram_row<6, S>, encode_row<6, S>};
    default: return {histogram_row<7, S>, encode_row<7, S>};
    }
}

std::pair<histogram_fn, encode_fn> select_encoder(int predictor, int s) {
    switch (s) {
    case 1: return select_encoder<1>(predictor);
    case 2: return select_encoder<2>(predictor);
    case 3: return select_encoder<3>(predictor);
    default: return select_encoder<4>(predictor);
    }
}

/// Picks the predictor with the smallest estimated size (entropy of the categories plus their extra
/// bits) over up to 32 evenly spaced line pairs.
int choose_predictor(row_source& src, const frame_info& info, std::uint32_t initial) {
    if (info.rows < 2) {
        return 1;
    }
    const std::uint32_t pairs = std::min<std::uint32_t>(32, info.rows - 1);
    const std::uint32_t step = (info.rows - 1) / pairs;
    std::array<histogram, 8> h{};
    for (std::uint32_t i = 0; i < pairs; ++i) {
        const std::uint32_t y = 1 + i * step;
        const std::uint16_t* prev = src.row(y - 1);
        const std::uint16_t* cur = src.row(y);
        for (int p = 1; p <= 7; ++p) {
            select_encoder(p, info.samples_per_pixel).first(cur, prev, info.columns, initial,
                                                            h[static_cast<std::size_t>(p)]);
        }
    }
    int best = 1;
    double best_bits = 0;
    for (int p = 1; p <= 7; ++p) {
        double bits = 0;
        for (const auto& component : h[static_cast<std::size_t>(p)]) {
            std::uint64_t total = 0;
            for (const auto c : component) {
                total += c;
            }
            for (std::size_t s = 0; s < 17; ++s) {
                if (component[s] != 0) {
                    const auto c = static_cast<double>(component[s]);
                    bits += c * (static_cast<double>(s == 16 ? 0 : s) - std::log2(c / static_cast<double>(total)));
                }
            }
        }
        if (p == 1 || bits < best_bits) {
            best = p;
            best_bits = bits;
        }
    }
    return best;
}

void put16(std::vector<std::byte>& out, std::uint32_t v) {
    out.push_back(static_cast<std::byte>(v >> 8));
    out.push_back(static_cast<std::byte>(v & 0xFFU));
}

class jpeg_lossless_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return "jpeg-lossless"; }

    result<void> can_encode(std::string_view uid, const frame_info& info, const encode_options&) const override {
        if (!is_lossless_uid(uid)) {
            return failure(errc::cannot_encode, "jpeg-lossless encodes only " + std::string(uids::jpeg_lossless) +
                                                    " and " + std::string(uids::jpeg_lossless_sv1));
        }
        if (info.element != pixel_data_element::integer) {
            return failure(errc::cannot_encode, "JPEG lossless cannot carry float pixel data");
        }
        if (info.bits_allocated != 8 && info.bits_allocated != 16 && info.bits_allocated != 32) {
            return failure(errc::cannot_encode, "JPEG lossless needs Bits Allocated 8, 16 or 32, not " +
                                                    std::to_string(info.bits_allocated));
        }
        // T.81 Table H.2 / B.2: sample precision 2-16.
        if (info.bits_stored < 2 || info.bits_stored > 16 || info.bits_stored > info.bits_allocated) {
            return failure(errc::cannot_encode, "JPEG lossless carries 2-16 bit samples, Bits Stored is " +
                                                    std::to_string(info.bits_stored));
        }
        if (info.samples_per_pixel != 1 && info.samples_per_pixel != 3) {
            return failure(errc::cannot_encode, "JPEG lossless encoder takes 1 or 3 samples per pixel");
        }
        if (info.photometric_interpretation == photometric::ybr_full_422 ||
            info.photometric_interpretation == photometric::ybr_partial_422 ||
            info.photometric_interpretation == photometric::ybr_partial_420) {
            return failure(errc::cannot_encode, "JPEG lossless encoder does not write subsampled (4:2:x) frames");
        }
        if (info.rows == 0 || info.columns == 0 || info.rows > 65535 || info.columns > 65535) {
            return failure(errc::cannot_encode, "JPEG frame dimensions are 1-65535");
        }
        return {};
    }

    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        DICOMPIX_TRY(const std::uint64_t need, info.decoded_frame_bytes());
        if (samples.size() != need) {
            return failure(errc::invalid_argument, "frame has " + std::to_string(samples.size()) + " bytes, expected " +
                                                       std::to_string(need));
        }
        // Signed samples are written as their Bits Stored-bit two's complement pattern: T.81 has no
        // signed samples; the decoder returns the pattern and the library's normalisation
        // (sign extension at Bits Stored) restores the values.
        const auto precision = static_cast<std::uint16_t>(info.bits_stored);
        const std::uint32_t initial = 1U << (precision - 1);
        const int s = info.samples_per_pixel;
        row_source src(samples, info);
        int predictor = 1;
        if (uid == uids::jpeg_lossless) {
            // 4.57: encode_options::quality 1-7 selects the predictor; otherwise the best is estimated.
            const double q = options.quality;
            if (q >= 1 && q <= 7 && q == std::floor(q)) {
                predictor = static_cast<int>(q);
            } else {
                predictor = choose_predictor(src, info, initial);
            }
        }
        const auto [first_hist, first_enc] = select_encoder(0, s);
        const auto [rest_hist, rest_enc] = select_encoder(predictor, s);

        // Pass 1: category statistics for optimal tables (T.81 K.2).
        histogram h{};
        const std::uint16_t* prev = nullptr;
        const std::size_t row_samples = std::size_t{info.columns} * info.samples_per_pixel;
        for (std::uint32_t y = 0; y < info.rows; ++y) {
            const std::uint16_t* cur = src.row(y);
            if (y == 0) {
                first_hist(cur, nullptr, info.columns, initial, h);
            } else {
                rest_hist(cur, prev, info.columns, initial, h);
            }
            prev = cur;
        }
        std::array<huffman_spec, 4> specs{};
        std::array<encode_table, 4> tables{};
        for (int k = 0; k < s; ++k) {
            specs[static_cast<std::size_t>(k)] = optimal_table(h[static_cast<std::size_t>(k)]);
            tables[static_cast<std::size_t>(k)] = make_encode_table(specs[static_cast<std::size_t>(k)]);
        }

        // Headers: SOI, SOF3 (T.81 B.2.2), DHT (B.2.4.2), SOS (B.2.3).
        encoded_frame f;
        std::vector<std::byte>& out = f.codestream;
        out.reserve(need / 2 + 1024);
        put16(out, 0xFFD8);
        put16(out, 0xFFC3);
        put16(out, 8 + 3 * static_cast<std::uint32_t>(s));
        out.push_back(static_cast<std::byte>(precision));
        put16(out, info.rows);
        put16(out, info.columns);
        out.push_back(static_cast<std::byte>(s));
        for (int k = 0; k < s; ++k) {
            out.push_back(static_cast<std::byte>(k + 1));
            out.push_back(std::byte{0x11});
            out.push_back(std::byte{0});
        }
        for (int k = 0; k < s; ++k) {
            const huffman_spec& spec = specs[static_cast<std::size_t>(k)];
            put16(out, 0xFFC4);
            put16(out, 2 + 1 + 16 + std::uint32_t{spec.total});
            out.push_back(static_cast<std::byte>(k));
            for (std::size_t l = 1; l <= 16; ++l) {
                out.push_back(static_cast<std::byte>(spec.counts[l]));
            }
            for (std::size_t i = 0; i < spec.total; ++i) {
                out.push_back(static_cast<std::byte>(spec.symbols[i]));
            }
        }
        put16(out, 0xFFDA);
        put16(out, 6 + 2 * static_cast<std::uint32_t>(s));
        out.push_back(static_cast<std::byte>(s));
        for (int k = 0; k < s; ++k) {
            out.push_back(static_cast<std::byte>(k + 1));
            out.push_back(static_cast<std::byte>(k << 4));
        }
        out.push_back(static_cast<std::byte>(predictor));
        out.push_back(std::byte{0}); // Se
        out.push_back(std::byte{0}); // Ah, Al (Pt 0)

        // Pass 2: entropy-coded data.
        bit_writer w(out);
        prev = nullptr;
        for (std::uint32_t y = 0; y < info.rows; ++y) {
            w.reserve(row_samples * 8); // 31 bits per sample at most, doubled by stuffing
            const std::uint16_t* cur = src.row(y);
            if (y == 0) {
                first_enc(cur, nullptr, info.columns, initial, tables, w);
            } else {
                rest_enc(cur, prev, info.columns, initial, tables, w);
            }
            prev = cur;
        }
        w.finish();
        put16(out, 0xFFD9);
        f.colour = output_colour(info);
        f.lossy = false;
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_jpeg_lossless_decoder() {
    return std::make_shared<jpeg_lossless_decoder>();
}
std::shared_ptr<const frame_encoder> make_jpeg_lossless_encoder() {
    return std::make_shared<jpeg_lossless_encoder>();
}

} // namespace dicompix::codecs
