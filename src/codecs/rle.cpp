// SPDX-License-Identifier: BSD-3-Clause
// RLE Lossless (1.2.840.10008.1.2.5), PS3.5 Annex G. A frame is a 64-byte header (segment count, then
// 15 little-endian segment offsets, G.5) followed by one PackBits-coded Byte Segment per byte plane:
// for each sample in turn, its most significant byte first (G.2). Bits Allocated 1 is not covered by
// Annex G (DCMTK and GDCM refuse it); the layout met in practice (pydicom-data liver_rle.dcm, highdicom's
// frame-wise encoding) is a single segment holding the frame bit-packed as in native data (PS3.5 Annex
// D, first pixel in the least significant bit), and that is what the encoder writes. A segment of one
// byte per pixel (vtk-dicom) is accepted too, with a warning.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "codecs/factories.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "io/checked_math.hpp"

namespace dicompix::codecs {
namespace {

constexpr std::size_t header_size = 64;
constexpr std::uint32_t max_segments = 15;
constexpr bool host_little = std::endian::native == std::endian::little;

std::uint32_t load_le32(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8U |
           static_cast<std::uint32_t>(p[2]) << 16U | static_cast<std::uint32_t>(p[3]) << 24U;
}

void store_le32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8U);
    p[2] = static_cast<std::uint8_t>(v >> 16U);
    p[3] = static_cast<std::uint8_t>(v >> 24U);
}

// The segments a frame of this description needs and the bytes each decodes to.
struct rle_layout {
    std::uint64_t pixels{0};        // rows * columns
    std::uint64_t segment_bytes{0}; // decoded bytes per segment (bit-packed for Bits Allocated 1)
    std::uint32_t segments{0};
    std::uint32_t bytes_per_sample{0}; // bytes of one decoded sample (1 for Bits Allocated 1)
    std::uint32_t samples{0};
    bool bit_packed{false};
};

result<rle_layout> layout_of(const frame_info& info) {
    rle_layout l;
    const auto pixels = detail::checked_mul(info.rows, info.columns);
    if (!pixels || *pixels == 0) {
        return failure(errc::invalid_argument, "RLE frame has no pixels");
    }
    l.pixels = *pixels;
    l.samples = info.samples_per_pixel;
    switch (info.bits_allocated) {
    case 1:
        if (info.samples_per_pixel != 1) {
            return failure(errc::codec_error, "RLE of 1-bit pixels with " + std::to_string(info.samples_per_pixel) +
                                                  " samples per pixel is not defined");
        }
        l.bytes_per_sample = 1;
        l.bit_packed = true;
        l.segments = 1;
        l.segment_bytes = (l.pixels + 7) / 8;
        return l;
    case 8:
    case 16:
    case 32:
    case 64:
        break;
    default:
        return failure(errc::codec_error, "RLE cannot carry Bits Allocated " + std::to_string(info.bits_allocated));
    }
    if (info.samples_per_pixel == 0) {
        return failure(errc::invalid_argument, "RLE frame has no samples");
    }
    l.bytes_per_sample = info.bits_allocated / 8U;
    l.segments = l.bytes_per_sample * info.samples_per_pixel;
    l.segment_bytes = l.pixels;
    return l;
}

// What a decoder reports as the colour of an RLE frame: Annex G does no colour transform. YBR_FULL_422
// cannot be RLE-coded (PS3.3 C.7.6.3.1.2 lists it for JPEG only); such frames hold three full-resolution
// segments, so they are YBR_FULL.
photometric output_colour(photometric pi) noexcept {
    return pi == photometric::ybr_full_422 ? photometric::ybr_full : pi;
}

// The validated header: segment k occupies [begin[k], begin[k + 1]) of the codestream.
struct rle_header {
    std::uint32_t segments{0};
    std::array<std::uint64_t, max_segments + 1> begin{};
};

result<rle_header> parse_header(std::span<const std::byte> codestream, const frame_info& info, const rle_layout& l,
                                bool strict, std::vector<std::string>* warnings) {
    if (codestream.size() < header_size) {
        return failure(errc::truncated_codestream, "RLE frame of " + std::to_string(codestream.size()) +
                                                       " bytes is shorter than its 64-byte header");
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(codestream.data());
    rle_header h;
    h.segments = load_le32(p);
    if (h.segments == 0 || h.segments > max_segments) {
        return failure(errc::codec_error,
                       "RLE header gives " + std::to_string(h.segments) + " segments (PS3.5 G.5 allows 1 to 15)");
    }
    if (h.segments != l.segments) {
        return failure(errc::codestream_mismatch, "RLE header gives " + std::to_string(h.segments) + " segments, " +
                                                      std::to_string(info.samples_per_pixel) + " samples of " +
                                                      std::to_string(info.bits_allocated) + " bits need " +
                                                      std::to_string(l.segments));
    }
    const std::uint64_t size = codestream.size();
    std::vector<std::uint32_t> odd;
    for (std::uint32_t k = 0; k < h.segments; ++k) {
        const std::uint64_t offset = load_le32(p + 4 + 4 * k);
        const std::string which = "RLE segment " + std::to_string(k + 1) + " ";
        if (k == 0 && offset != header_size) {
            if (offset < header_size || strict) {
                return failure(errc::codec_error, which + "starts at byte " + std::to_string(offset) +
                                                      ", not right after the 64-byte header");
            }
            if (warnings != nullptr) {
                warnings->push_back(which + "starts at byte " + std::to_string(offset) + ", after a gap");
            }
        }
        if (k > 0 && offset <= h.begin[k - 1]) {
            return failure(errc::codec_error, which + "offset " + std::to_string(offset) +
                                                  " does not follow the previous segment's " +
                                                  std::to_string(h.begin[k - 1]));
        }
        if (offset >= size) {
            return failure(errc::truncated_codestream, which + "starts at byte " + std::to_string(offset) +
                                                           ", beyond the " + std::to_string(size) + "-byte codestream");
        }
        if (offset % 2 != 0) {
            // G.2 pads every segment to even length; GDCM 3.0 and pydicom 2.4 (pydicom #2180) do not.
            if (strict) {
                return failure(errc::codec_error, which + "starts at odd offset " + std::to_string(offset) +
                                                      " (PS3.5 G.2 pads segments to even length)");
            }
            odd.push_back(k + 1);
        }
        h.begin[k] = offset;
    }
    h.begin[h.segments] = size;
    if (warnings != nullptr && !odd.empty()) {
        std::string m = "RLE segment";
        m += odd.size() > 1 ? "s" : "";
        for (std::size_t i = 0; i < odd.size(); ++i) {
            m += (i == 0 ? " " : ", ") + std::to_string(odd[i]);
        }
        warnings->push_back(m + " start at odd offsets (PS3.5 G.2 pads segments to even length)");
    }
    if (warnings != nullptr) {
        for (std::uint32_t k = h.segments; k < max_segments; ++k) {
            if (load_le32(p + 4 + 4 * k) != 0) {
                warnings->emplace_back("RLE header has non-zero offsets for unused segments (PS3.5 G.5)");
                break;
            }
        }
    }
    return h;
}

// What decoding one segment found.
struct segment_outcome {
    std::size_t produced{0}; // bytes written, at most `need`
    std::size_t overrun{0};  // bytes of the last run beyond `need` (not written)
    std::size_t unused{0};   // segment bytes after the run that completed the segment
    bool cut_run{false};     // a run's header or data lies past the segment end
};

// PackBits (PS3.5 G.3.2), resumable: read() continues where the last call stopped, so a multi-segment frame
// is decoded a chunk of every segment at a time and interleaved from those chunks (decoding then needs the
// frame plus a few cache-sized chunks, not a second frame-sized buffer of byte planes). `read_end`
// (>= src_end) bounds the over-reads of the fast path: literal runs are copied 128 bytes at a time when both
// the input and the output have room, so most runs cost a fixed-size copy, never a call. Bounds are checked
// once per run.
class packbits_reader {
public:
    packbits_reader(const std::uint8_t* src, const std::uint8_t* src_end, const std::uint8_t* read_end) noexcept
        : src_(src), src_end_(src_end), read_end_(read_end) {}

    /// Writes the segment's next bytes to dst[0, n); fewer only when the segment ran out (or a run is cut).
    std::size_t read(std::uint8_t* dst, std::size_t n) noexcept {
        // Locals, not members, in the loop: stores through uint8_t* may alias the members, which would make
        // the compiler reload them after every run (measured 2x slower on the RGB cine).
        const std::uint8_t* src = src_;
        const std::uint8_t* const src_end = src_end_;
        std::uint8_t* out = dst;
        std::uint8_t* const out_end = dst + n;
        if (literal_left_ > 0) {
            const std::size_t c = std::min(literal_left_, n);
            std::memcpy(out, src, c);
            src += c;
            out += c;
            literal_left_ -= c;
        }
        if (repeat_left_ > 0 && out < out_end) {
            const std::size_t c = std::min(repeat_left_, static_cast<std::size_t>(out_end - out));
            std::memset(out, repeat_value_, c);
            out += c;
            repeat_left_ -= c;
        }
        while (out < out_end && !stopped_) {
            if (src >= src_end) {
                stopped_ = true;
                break;
            }
            const unsigned code = *src++;
            const auto room = static_cast<std::size_t>(out_end - out);
            if (code < 128) { // literal run of code + 1 bytes
                const std::size_t count = code + 1U;
                if (count > static_cast<std::size_t>(src_end - src)) {
                    cut_run_ = true;
                    stopped_ = true;
                    break;
                }
                if (room >= 128 && static_cast<std::size_t>(read_end_ - src) >= 128) {
                    std::memcpy(out, src, 128); // fixed-size copy; only `count` bytes are kept
                } else if (count <= room) {
                    std::memcpy(out, src, count);
                } else {
                    std::memcpy(out, src, room);
                    src += room;
                    literal_left_ = count - room;
                    out = out_end;
                    break;
                }
                out += count;
                src += count;
            } else if (code > 128) { // replicate run: the next byte 257 - code times
                const std::size_t count = 257U - code;
                if (src >= src_end) {
                    cut_run_ = true;
                    stopped_ = true;
                    break;
                }
                const std::uint8_t value = *src++;
                if (room >= 128) {
                    std::memset(out, value, 128);
                } else if (count <= room) {
                    std::memset(out, value, count);
                } else {
                    std::memset(out, value, room);
                    repeat_left_ = count - room;
                    repeat_value_ = value;
                    out = out_end;
                    break;
                }
                out += count;
            }
            // code == 128 (-128) is a no-op.
        }
        src_ = src;
        const auto written = static_cast<std::size_t>(out - dst);
        produced_ += written;
        return written;
    }

    [[nodiscard]] std::size_t produced() const noexcept { return produced_; }
    [[nodiscard]] bool stopped() const noexcept { return stopped_; }

    /// What decoding found, once the segment's whole length was asked for: bytes written, bytes of the last
    /// run beyond that length, segment bytes after that run, whether a run lay past the segment end.
    [[nodiscard]] segment_outcome finish() const noexcept {
        segment_outcome r;
        r.produced = produced_;
        r.cut_run = cut_run_;
        if (!stopped_) {
            r.overrun = literal_left_ + repeat_left_;
            r.unused = static_cast<std::size_t>(src_end_ - src_) - literal_left_;
        }
        return r;
    }

private:
    const std::uint8_t* src_;
    const std::uint8_t* src_end_;
    const std::uint8_t* read_end_;
    std::size_t literal_left_{0}; // bytes of a literal run still to copy from src_
    std::size_t repeat_left_{0};  // bytes of a replicate run still to write
    std::uint8_t repeat_value_{0};
    std::size_t produced_{0};
    bool stopped_{false};
    bool cut_run_{false};
};

// The whole segment [src, src_end) into dst[0, need) at once.
segment_outcome unpack_bits(const std::uint8_t* src, const std::uint8_t* src_end, const std::uint8_t* read_end,
                            std::uint8_t* dst, std::size_t need) noexcept {
    packbits_reader reader(src, src_end, read_end);
    (void)reader.read(dst, need);
    return reader.finish();
}

bool only_padding(const std::uint8_t* begin, std::size_t count) noexcept {
    return std::all_of(begin, begin + count, [](std::uint8_t b) { return b == 0x00 || b == 0x80; });
}

// Judges a decoded segment: short is an error; exactly full (plus at most the G.2 pad byte) is clean;
// excess that can only be padding is a warning (an error in strict mode); runs beyond the segment's
// Rows * Columns bytes are a mismatch. `ends_even_codestream`: the segment is the last and the codestream has
// even length, so its last byte may be the pad of an odd-length fragment (PS3.5 A.4) rather than RLE data.
result<void> check_segment(const segment_outcome& r, std::size_t need, const std::uint8_t* segment_end,
                           bool ends_even_codestream, std::uint32_t index, bool strict,
                           std::vector<std::string>& warnings) {
    if (r.produced == need && r.overrun == 0 && r.unused <= 1) {
        return {};
    }
    const std::string which = "RLE segment " + std::to_string(index + 1);
    if (r.produced < need) {
        return failure(errc::truncated_codestream, which + " ends after " + std::to_string(r.produced) + " of its " +
                                                       std::to_string(need) + " bytes" +
                                                       (r.cut_run ? " (inside a run)" : ""));
    }
    // A zero ending an even codestream after the runs may be a fragment pad, which a writer adds to an odd-length
    // fragment (itself malformed) when it copies the frame: the rest of the segment is judged as it was before
    // the pad, so a frame decoded leniently still decodes once written back (fuzz-roundtrip-1116e983, -f0b6cb67).
    std::size_t unused = r.unused;
    const std::uint8_t* end = segment_end;
    if (ends_even_codestream && unused > 0 && end[-1] == 0x00) {
        --unused;
        --end;
    }
    // Also one stray byte followed by a zero: an odd-length fragment whose last segment ends in one stray byte,
    // then a zero (read as a pad).
    const bool stray_then_pad = r.overrun == 0 && unused == 2 && end[-1] == 0x00;
    const bool padding =
        (r.overrun <= 1 && unused <= 1) || stray_then_pad || (r.overrun == 0 && only_padding(end - unused, unused));
    if (!padding) {
        return failure(errc::codestream_mismatch, which + " holds more than the " + std::to_string(need) +
                                                      " bytes of the frame (" + std::to_string(r.overrun) +
                                                      " more in its last run, " + std::to_string(r.unused) +
                                                      " bytes unread)");
    }
    std::string m = which + " runs past its " + std::to_string(need) + " bytes by padding only (" +
                    std::to_string(r.overrun) + " bytes in its last run, " + std::to_string(r.unused) +
                    " bytes after it)";
    if (strict) {
        return failure(errc::codec_error, std::move(m));
    }
    warnings.push_back(std::move(m));
    return {};
}

// Interleaves byte planes (plane k = sample k / B, byte k % B counted from the most significant) into
// host-endian samples. Compile-time S and B let the compiler turn this into shuffles.
template <std::size_t S, std::size_t B>
void interleave_fixed(const std::uint8_t* planes, std::size_t plane_stride, std::size_t pixels,
                      std::uint8_t* out) noexcept {
    constexpr std::size_t stride = S * B;
    std::array<const std::uint8_t*, stride> src{};
    for (std::size_t k = 0; k < stride; ++k) {
        src[k] = planes + k * plane_stride;
    }
    for (std::size_t p = 0; p < pixels; ++p) {
        for (std::size_t s = 0; s < S; ++s) {
            for (std::size_t b = 0; b < B; ++b) {
                const std::size_t byte = host_little ? B - 1 - b : b;
                out[p * stride + s * B + byte] = src[s * B + b][p];
            }
        }
    }
}

void interleave(const std::uint8_t* planes, std::size_t plane_stride, std::size_t pixels, std::size_t samples,
                std::size_t bytes, std::uint8_t* out) noexcept {
    if (samples == 1 && bytes == 2) {
        interleave_fixed<1, 2>(planes, plane_stride, pixels, out);
    } else if (samples == 1 && bytes == 4) {
        interleave_fixed<1, 4>(planes, plane_stride, pixels, out);
    } else if (samples == 1 && bytes == 8) {
        interleave_fixed<1, 8>(planes, plane_stride, pixels, out);
    } else if (samples == 3 && bytes == 1) {
        interleave_fixed<3, 1>(planes, plane_stride, pixels, out);
    } else if (samples == 3 && bytes == 2) {
        interleave_fixed<3, 2>(planes, plane_stride, pixels, out);
    } else if (samples == 3 && bytes == 4) {
        interleave_fixed<3, 4>(planes, plane_stride, pixels, out);
    } else {
        const std::size_t stride = samples * bytes;
        for (std::size_t k = 0; k < stride; ++k) {
            const std::size_t s = k / bytes;
            const std::size_t b = k % bytes;
            const std::size_t at = s * bytes + (host_little ? bytes - 1 - b : b);
            const std::uint8_t* plane = planes + k * plane_stride;
            for (std::size_t p = 0; p < pixels; ++p) {
                out[p * stride + at] = plane[p];
            }
        }
    }
}

class rle_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "rle"; }
    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return uid == uids::rle_lossless && info.element == pixel_data_element::integer;
    }
    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        DICOMPIX_TRY(const rle_layout l, layout_of(info));
        DICOMPIX_TRY_VOID(parse_header(codestream, info, l, false, nullptr));
        // RLE carries no precision: 0 leaves Bits Stored unchallenged.
        return codestream_info{info.rows, info.columns,   info.samples_per_pixel,
                               0,         info.is_signed, output_colour(info.photometric_interpretation)};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override;
};

result<decode_report> rle_decoder::decode(std::span<const std::byte> codestream, const frame_info& info,
                                          std::span<std::byte> out, const decode_options& options) const {
    DICOMPIX_TRY(const rle_layout l, layout_of(info));
    DICOMPIX_TRY(const std::uint64_t frame_bytes, info.decoded_frame_bytes());
    if (out.size() != frame_bytes) {
        return failure(errc::invalid_argument, "RLE output buffer has " + std::to_string(out.size()) +
                                                   " bytes, the frame needs " + std::to_string(frame_bytes));
    }
    if (options.limits != nullptr && frame_bytes > options.limits->max_frame_bytes) {
        return failure(errc::limit_exceeded,
                       "RLE frame of " + std::to_string(frame_bytes) + " bytes exceeds max_frame_bytes");
    }
    decode_report report;
    report.colour = output_colour(info.photometric_interpretation);
    report.precision = info.bits_stored;
    report.is_signed = info.is_signed;
    if (info.photometric_interpretation == photometric::ybr_full_422) {
        std::string m = "RLE frame described as YBR_FULL_422, which RLE cannot carry; decoded as YBR_FULL";
        if (options.strict) {
            return failure(errc::codestream_mismatch, std::move(m));
        }
        report.warnings.push_back(std::move(m));
    }
    DICOMPIX_TRY(const rle_header h, parse_header(codestream, info, l, options.strict, &report.warnings));

    const auto* base = reinterpret_cast<const std::uint8_t*>(codestream.data());
    const std::uint8_t* const read_end = base + codestream.size();
    auto* dst = reinterpret_cast<std::uint8_t*>(out.data());
    const bool even = codestream.size() % 2 == 0;
    const auto decode_segment = [&](std::uint32_t k, std::uint8_t* into, std::size_t need) -> result<void> {
        const std::uint8_t* seg_end = base + h.begin[k + 1];
        const segment_outcome r = unpack_bits(base + h.begin[k], seg_end, read_end, into, need);
        return check_segment(r, need, seg_end, seg_end == read_end && even, k, options.strict, report.warnings);
    };

    if (l.bit_packed) {
        // One bit per pixel, least significant first (PS3.5 Annex D), unless the segment turns out to hold
        // one byte per pixel.
        const auto packed = static_cast<std::size_t>(l.segment_bytes);
        const auto pixels = static_cast<std::size_t>(l.pixels);
        auto bits = std::make_unique_for_overwrite<std::uint8_t[]>(packed);
        std::vector<std::string> packed_warnings;
        const std::uint8_t* seg_end = base + h.begin[1];
        const segment_outcome r = unpack_bits(base + h.begin[0], seg_end, read_end, bits.get(), packed);
        const bool last_even = seg_end == read_end && even;
        auto as_bits = check_segment(r, packed, seg_end, last_even, 0, options.strict, packed_warnings);
        if (!as_bits && r.produced == packed && packed != pixels) {
            std::vector<std::string> byte_warnings;
            const segment_outcome rb = unpack_bits(base + h.begin[0], seg_end, read_end, dst, pixels);
            if (check_segment(rb, pixels, seg_end, last_even, 0, options.strict, byte_warnings)) {
                for (std::size_t p = 0; p < pixels; ++p) {
                    dst[p] = dst[p] != 0 ? 1 : 0;
                }
                report.warnings.insert(report.warnings.end(), byte_warnings.begin(), byte_warnings.end());
                report.warnings.emplace_back("1-bit RLE segment holds one byte per pixel, not packed bits");
                return report;
            }
        }
        if (!as_bits) {
            return failure(std::move(as_bits).error());
        }
        report.warnings.insert(report.warnings.end(), packed_warnings.begin(), packed_warnings.end());
        for (std::size_t p = 0; p < pixels; ++p) {
            dst[p] = static_cast<std::uint8_t>((static_cast<unsigned>(bits[p >> 3U]) >> (p & 7U)) & 1U);
        }
        return report;
    }

    const auto pixels = static_cast<std::size_t>(l.pixels);
    if (l.segments == 1) {
        DICOMPIX_TRY_VOID(decode_segment(0, dst, pixels));
        return report;
    }
    // A chunk of every segment at a time into small byte planes, each chunk interleaved while it is in cache:
    // memory is the frame plus segments x chunk bytes (at most 15 x 16 KiB), not a second frame of planes.
    constexpr std::size_t chunk_pixels = std::size_t{16} << 10;
    const std::size_t chunk = std::min(chunk_pixels, pixels);
    const std::size_t plane_stride = chunk + 192; // not a power of two: the planes stay in different cache sets
    auto planes = std::make_unique_for_overwrite<std::uint8_t[]>(plane_stride * l.segments);
    std::vector<packbits_reader> readers;
    readers.reserve(l.segments);
    for (std::uint32_t k = 0; k < l.segments; ++k) {
        readers.emplace_back(base + h.begin[k], base + h.begin[k + 1], read_end);
    }
    bool complete = true;
    for (std::size_t done = 0; done < pixels && complete; done += chunk) {
        const std::size_t n = std::min(chunk, pixels - done);
        for (std::uint32_t k = 0; k < l.segments; ++k) {
            complete = readers[k].read(planes.get() + std::size_t{k} * plane_stride, n) == n && complete;
        }
        if (complete) {
            interleave(planes.get(), plane_stride, n, l.samples, l.bytes_per_sample, dst + done * l.segments);
        }
    }
    if (!complete) {
        // A segment ran short: read the others to their end, so that each is judged (in order) as a whole.
        for (auto& r : readers) {
            while (!r.stopped() && r.produced() < pixels) {
                (void)r.read(planes.get(), std::min(chunk, pixels - r.produced()));
            }
        }
    }
    for (std::uint32_t k = 0; k < l.segments; ++k) {
        const std::uint8_t* seg_end = base + h.begin[k + 1];
        DICOMPIX_TRY_VOID(check_segment(readers[k].finish(), pixels, seg_end, seg_end == read_end && even, k,
                                        options.strict, report.warnings));
    }
    return report;
}

// Length of the run of equal bytes starting at in[i], at most limit - i.
std::size_t run_length(const std::uint8_t* in, std::size_t i, std::size_t limit) noexcept {
    const std::uint8_t v = in[i];
    std::size_t j = i + 1;
#if defined(__SSE2__)
    const __m128i vv = _mm_set1_epi8(static_cast<char>(v));
    while (j + 16 <= limit) {
        const auto eq = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + j)), vv)));
        if (eq != 0xFFFFU) {
            return j + static_cast<std::size_t>(std::countr_zero(~eq)) - i;
        }
        j += 16;
    }
#endif
    while (j < limit && in[j] == v) {
        ++j;
    }
    return j - i;
}

// First t in [from, len) that starts three equal bytes, or len.
std::size_t find_triple(const std::uint8_t* in, std::size_t from, std::size_t len) noexcept {
    std::size_t t = from;
#if defined(__SSE2__)
    while (t + 18 <= len) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + t));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + t + 1));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + t + 2));
        const auto m =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, b), _mm_cmpeq_epi8(b, c))));
        if (m != 0) {
            return t + static_cast<std::size_t>(std::countr_zero(m));
        }
        t += 16;
    }
#endif
    for (; t + 2 < len; ++t) {
        if (in[t] == in[t + 1] && in[t + 1] == in[t + 2]) {
            return t;
        }
    }
    return len;
}

// PackBits of one row (PS3.5 G.3.1: runs never cross a row boundary). Three or more equal bytes make a
// Replicate Run; a pair makes one too, unless it follows a Literal Run, which it then joins (G.3.1 note:
// never longer, usually shorter). So a Literal Run extends to the next three equal bytes.
std::uint8_t* pack_row(const std::uint8_t* in, std::size_t len, std::uint8_t* out) noexcept {
    std::size_t i = 0;
    while (i < len) {
        const std::size_t run = run_length(in, i, std::min(len, i + 128));
        if (run >= 2) {
            *out++ = static_cast<std::uint8_t>(257 - run);
            *out++ = in[i];
            i += run;
            continue;
        }
        const std::size_t end = find_triple(in, i + 1, len);
        while (i < end) {
            const std::size_t chunk = std::min<std::size_t>(end - i, 128);
            *out++ = static_cast<std::uint8_t>(chunk - 1);
            std::memcpy(out, in + i, chunk);
            out += chunk;
            i += chunk;
        }
    }
    return out;
}

// Every `stride`-th byte of `src` into `row`; constant strides let the compiler vectorise.
template <std::size_t Stride>
void gather_fixed(const std::uint8_t* src, std::size_t count, std::uint8_t* row) noexcept {
    for (std::size_t c = 0; c < count; ++c) {
        row[c] = src[c * Stride];
    }
}

void gather(const std::uint8_t* src, std::size_t stride, std::size_t count, std::uint8_t* row) noexcept {
    switch (stride) {
    case 2:
        gather_fixed<2>(src, count, row);
        return;
    case 3:
        gather_fixed<3>(src, count, row);
        return;
    case 4:
        gather_fixed<4>(src, count, row);
        return;
    case 6:
        gather_fixed<6>(src, count, row);
        return;
    case 8:
        gather_fixed<8>(src, count, row);
        return;
    default:
        for (std::size_t c = 0; c < count; ++c) {
            row[c] = src[c * stride];
        }
    }
}

// Worst case of pack_row: every 128 bytes need a header byte.
std::size_t packed_row_bound(std::size_t len) noexcept {
    return len + (len + 127) / 128;
}

class rle_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return "rle"; }
    result<void> can_encode(std::string_view uid, const frame_info& info, const encode_options&) const override {
        if (uid != uids::rle_lossless) {
            return failure(errc::cannot_encode, "rle encodes only " + std::string(uids::rle_lossless));
        }
        if (info.element != pixel_data_element::integer) {
            return failure(errc::cannot_encode, "RLE Lossless cannot carry Float or Double Float Pixel Data");
        }
        switch (info.photometric_interpretation) {
        case photometric::ybr_partial_420:
        case photometric::ybr_partial_422:
        case photometric::ybr_ict:
        case photometric::ybr_rct:
            return failure(errc::cannot_encode,
                           "RLE Lossless cannot carry " + std::string(to_string(info.photometric_interpretation)));
        default:
            break;
        }
        auto l = layout_of(info);
        if (!l) {
            return failure(errc::cannot_encode, l.error().message);
        }
        if (l->segments > max_segments) {
            return failure(errc::cannot_encode, std::to_string(info.samples_per_pixel) + " samples of " +
                                                    std::to_string(info.bits_allocated) + " bits need " +
                                                    std::to_string(l->segments) +
                                                    " RLE segments, more than the 15 of PS3.5 G.5");
        }
        return {};
    }

    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        DICOMPIX_TRY(const rle_layout l, layout_of(info));
        DICOMPIX_TRY(const std::uint64_t frame_bytes, info.decoded_frame_bytes());
        if (samples.size() != frame_bytes) {
            return failure(errc::invalid_argument, "RLE encoder got " + std::to_string(samples.size()) +
                                                       " bytes, the frame has " + std::to_string(frame_bytes));
        }
        const auto* in = reinterpret_cast<const std::uint8_t*>(samples.data());
        const std::size_t columns = info.columns;
        const std::size_t rows = info.rows;

        // Bits Allocated 1: the frame bit-packed like native data, in one segment. Rows are coded apart
        // when they start on byte boundaries; otherwise G.3.1's row rule cannot apply.
        std::unique_ptr<std::uint8_t[]> packed;
        std::size_t row_bytes = columns;
        std::size_t row_count = rows;
        if (l.bit_packed) {
            const auto n = static_cast<std::size_t>(l.segment_bytes);
            packed = std::make_unique<std::uint8_t[]>(n);
            for (std::size_t p = 0; p < l.pixels; ++p) {
                packed[p >> 3U] = static_cast<std::uint8_t>(packed[p >> 3U] | ((in[p] != 0 ? 1U : 0U) << (p & 7U)));
            }
            if (columns % 8 == 0) {
                row_bytes = columns / 8;
            } else {
                row_bytes = n;
                row_count = 1;
            }
        }
        // Every segment fits in its worst case plus the pad byte; the frame size was checked by the caller.
        const std::uint64_t segment_bound = std::uint64_t{row_count} * packed_row_bound(row_bytes) + 1;
        const auto total_bound = detail::checked_product(segment_bound, l.segments);
        if (!total_bound || *total_bound > (std::uint64_t{1} << 40U)) {
            return failure(errc::cannot_encode, "RLE frame of " + std::to_string(frame_bytes) + " bytes is too large");
        }
        auto buffer =
            std::make_unique_for_overwrite<std::uint8_t[]>(static_cast<std::size_t>(*total_bound) + header_size);
        std::uint8_t* const begin = buffer.get();
        std::memset(begin, 0, header_size);
        store_le32(begin, l.segments);
        std::uint8_t* out = begin + header_size;
        const std::size_t stride = std::size_t{l.samples} * l.bytes_per_sample;
        std::unique_ptr<std::uint8_t[]> row;
        if (!l.bit_packed && stride > 1) {
            row = std::make_unique_for_overwrite<std::uint8_t[]>(columns);
        }
        for (std::uint32_t k = 0; k < l.segments; ++k) {
            const auto offset = static_cast<std::uint64_t>(out - begin);
            if (offset > 0xFFFFFFFFU) {
                return failure(errc::cannot_encode, "RLE segment offset exceeds 32 bits");
            }
            store_le32(begin + 4 + 4 * k, static_cast<std::uint32_t>(offset));
            const std::uint8_t* segment_start = out;
            if (l.bit_packed) {
                for (std::size_t r = 0; r < row_count; ++r) {
                    out = pack_row(packed.get() + r * row_bytes, row_bytes, out);
                }
            } else if (stride == 1) {
                for (std::size_t r = 0; r < rows; ++r) {
                    out = pack_row(in + r * columns, columns, out);
                }
            } else {
                // Byte plane k: sample k / B, most significant byte first (G.2).
                const std::size_t s = k / l.bytes_per_sample;
                const std::size_t b = k % l.bytes_per_sample;
                const std::size_t at = s * l.bytes_per_sample + (host_little ? l.bytes_per_sample - 1 - b : b);
                for (std::size_t r = 0; r < rows; ++r) {
                    gather(in + r * columns * stride + at, stride, columns, row.get());
                    out = pack_row(row.get(), columns, out);
                }
            }
            if ((out - segment_start) % 2 != 0) {
                // G.2: segments are padded to even length; 0x80 (-128) is a no-op for any decoder that
                // reads on.
                *out++ = 0x80;
            }
        }
        encoded_frame f;
        const auto* first = reinterpret_cast<const std::byte*>(begin);
        f.codestream.assign(first, first + (out - begin));
        f.colour = output_colour(info.photometric_interpretation);
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_rle_decoder() {
    return std::make_shared<rle_decoder>();
}
std::shared_ptr<const frame_encoder> make_rle_encoder() {
    return std::make_shared<rle_encoder>();
}

} // namespace dicompix::codecs
