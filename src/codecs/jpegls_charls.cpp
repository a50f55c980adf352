// SPDX-License-Identifier: BSD-3-Clause
// JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless (4.81), PS3.5 §A.4.3 / ISO/IEC 14495-1,
// through CharLS 2.4's C API (error codes rather than exceptions, so nothing can escape the adapter).
//
// Signed data: ISO/IEC 14495-1 codes unsigned samples of P bits (C.2.2: 2 <= P <= 16). Decode writes the
// P-bit patterns and the library sign-extends from Bits Stored (pydicom #2009); encode codes signed
// samples as their Bits Stored-bit two's complement patterns, which is exact when lossless.
// Near-lossless keeps each pattern within NEAR (Annex A: reconstructions are clamped to [0, MAXVAL]), but
// a pattern within NEAR of the sign boundary (2^(P-1) - 1 | 2^(P-1)) can come back across it, turning the
// largest positive values into the most negative ones (dcm4che #656). Frames holding such values are
// refused with cannot_encode; all others stay within NEAR in signed terms too. (DCMTK's dcmcjpls refuses
// near-lossless for every signed frame.)
//
// NEAR for 4.81 is encode_options::quality, an integer 1..min(255, MAXVAL/2) (C.2.3, the SOS NEAR
// field); 0 selects 2, the default of DCMTK's dcmcjpls. 4.80 is always NEAR = 0 (quality ignored).
//
// Decoding requires the codestream to end with a marker (normally EOI), see up_to_eoi(): CharLS 2.4.1
// hangs on entropy-coded data that simply stops.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <charls/charls.h>
#pragma GCC diagnostic pop

#include "codecs/factories.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

struct decoder_deleter {
    void operator()(const charls_jpegls_decoder* d) const noexcept { charls_jpegls_decoder_destroy(d); }
};
struct encoder_deleter {
    void operator()(const charls_jpegls_encoder* e) const noexcept { charls_jpegls_encoder_destroy(e); }
};
using decoder_handle = std::unique_ptr<charls_jpegls_decoder, decoder_deleter>;
using encoder_handle = std::unique_ptr<charls_jpegls_encoder, encoder_deleter>;

constexpr bool ok(charls_jpegls_errc e) noexcept {
    return e == charls::jpegls_errc::success;
}

failure charls_failure(charls_jpegls_errc e, std::string_view what) {
    errc code = errc::codec_error;
    switch (e) {
    case charls::jpegls_errc::source_buffer_too_small:
    case charls::jpegls_errc::end_of_image_marker_not_found: code = errc::truncated_codestream; break;
    case charls::jpegls_errc::not_enough_memory: code = errc::limit_exceeded; break;
    default: break;
    }
    return failure(code, "jpeg-ls/charls: " + std::string(what) + ": " + charls_get_error_message(e));
}

bool decodable_shape(const frame_info& info) noexcept {
    return (info.samples_per_pixel == 1 || info.samples_per_pixel == 3) &&
           (info.bits_allocated == 8 || info.bits_allocated == 16) && info.element == pixel_data_element::integer;
}

/// What the SOF55 / SOS / LSE / APP8 markers say.
struct jls_header {
    charls_frame_info frame{};
    charls_interleave_mode interleave{charls::interleave_mode::none};
    charls_color_transformation transform{charls::color_transformation::none};
};

result<jls_header> open_stream(charls_jpegls_decoder* d, std::span<const std::byte> codestream) {
    if (codestream.empty()) {
        return failure(errc::truncated_codestream, "jpeg-ls/charls: empty codestream");
    }
    jls_header h;
    if (auto e = charls_jpegls_decoder_set_source_buffer(d, codestream.data(), codestream.size()); !ok(e)) {
        return charls_failure(e, "source");
    }
    if (auto e = charls_jpegls_decoder_read_header(d); !ok(e)) {
        return charls_failure(e, "header");
    }
    if (auto e = charls_jpegls_decoder_get_frame_info(d, &h.frame); !ok(e)) {
        return charls_failure(e, "frame info");
    }
    if (auto e = charls_jpegls_decoder_get_interleave_mode(d, &h.interleave); !ok(e)) {
        return charls_failure(e, "interleave mode");
    }
    if (auto e = charls_jpegls_decoder_get_color_transformation(d, &h.transform); !ok(e)) {
        return charls_failure(e, "colour transformation");
    }
    return h;
}

/// The colour of decoded samples: CharLS undoes an HP colour transform (APP8 "mrfx") itself; otherwise
/// the samples are what the dataset says, at full resolution.
photometric produced_colour(const jls_header& h, const frame_info& info) noexcept {
    if (h.frame.component_count == 3 && h.transform != charls::color_transformation::none) {
        return photometric::rgb;
    }
    if (info.photometric_interpretation == photometric::ybr_full_422) {
        return photometric::ybr_full;
    }
    return info.photometric_interpretation;
}

result<void> check_header(const jls_header& h, const frame_info& info) {
    const charls_frame_info& f = h.frame;
    if (f.width != info.columns || f.height != info.rows ||
        f.component_count != static_cast<std::int32_t>(info.samples_per_pixel)) {
        return failure(errc::codestream_mismatch, "jpeg-ls/charls: codestream is " + std::to_string(f.width) + "x" +
                                                      std::to_string(f.height) + "x" +
                                                      std::to_string(f.component_count) + ", the dataset says " +
                                                      std::to_string(info.columns) + "x" +
                                                      std::to_string(info.rows) + "x" +
                                                      std::to_string(info.samples_per_pixel));
    }
    if (f.bits_per_sample < 2 || f.bits_per_sample > 16 || f.bits_per_sample > info.bits_allocated) {
        return failure(errc::codestream_mismatch, "jpeg-ls/charls: codestream precision " +
                                                      std::to_string(f.bits_per_sample) +
                                                      " bits does not fit Bits Allocated " +
                                                      std::to_string(info.bits_allocated));
    }
    return {};
}

/// True when the codestream ends with a marker (FF followed by a byte >= 0x80, T.81 B.1.1.2), ignoring one
/// trailing 0x00 (fragment padding, PS3.5 §A.4).
bool ends_with_marker(std::span<const std::byte> b) noexcept {
    std::size_t n = b.size();
    if (n > 0 && b[n - 1] == std::byte{0}) {
        --n;
    }
    return n >= 2 && b[n - 2] == std::byte{0xFF} && (b[n - 1] & std::byte{0x80}) != std::byte{0};
}

/// The part of the codestream CharLS may decode. CharLS 2.4.1 loops forever when entropy-coded data
/// runs out at the end of its buffer (decoder_strategy::fill_read_cache stops only when valid_bits_ is
/// exactly 0; read_high_bits then reads zero bits without end), but stops at a marker. A complete
/// stream ends with EOI (ISO/IEC 14495-1 C.1.1), so the buffer is cut after the last EOI; a stream
/// without one is truncated (a lost EOI alone also ends here: no padded frame is ever returned).
result<std::span<const std::byte>> up_to_eoi(std::span<const std::byte> b, std::vector<std::string>& warnings) {
    if (ends_with_marker(b)) {
        return b;
    }
    for (std::size_t i = b.size() < 2 ? 0 : b.size() - 1; i-- > 0;) { // i = size - 2 down to 0
        if (b[i] == std::byte{0xFF} && b[i + 1] == std::byte{0xD9}) {
            warnings.push_back("JPEG-LS: " + std::to_string(b.size() - i - 2) + " bytes after the EOI marker ignored");
            return b.first(i + 2);
        }
    }
    return failure(errc::truncated_codestream, "jpeg-ls/charls: codestream of " + std::to_string(b.size()) +
                                                   " bytes ends without an EOI marker (truncated)");
}

/// Widens n 8-bit samples at the upper half of `buf` (bytes [n, 2n)) to 16-bit samples over all of it.
/// Forward is safe: sample i is read from byte n + i before bytes 2i and 2i + 1 are written.
void widen_in_place(std::byte* buf, std::size_t n) noexcept {
    const auto* from = reinterpret_cast<const std::uint8_t*>(buf + n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t v = from[i];
        std::memcpy(buf + 2 * i, &v, 2);
    }
}

/// Interleaves 3 planes (interleave mode none, ISO/IEC 14495-1 B.2.2: one scan per component) into
/// pixels, widening 8-bit samples into 16-bit slots when needed.
template <class From, class To>
void interleave_planes(const std::byte* planar, std::size_t pixels, std::byte* out) noexcept {
    for (std::size_t c = 0; c < 3; ++c) {
        const std::byte* plane = planar + c * pixels * sizeof(From);
        for (std::size_t i = 0; i < pixels; ++i) {
            From v;
            std::memcpy(&v, plane + i * sizeof(From), sizeof(From));
            const To w = v;
            std::memcpy(out + (i * 3 + c) * sizeof(To), &w, sizeof(To));
        }
    }
}

class jpegls_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "jpeg-ls/charls"; }

    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return (uid == uids::jpeg_ls_lossless || uid == uids::jpeg_ls_near_lossless) && decodable_shape(info);
    }

    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        const decoder_handle d(charls_jpegls_decoder_create());
        if (!d) {
            return failure(errc::codec_error, "jpeg-ls/charls: cannot create a decoder");
        }
        DICOMPIX_TRY(const jls_header h, open_stream(d.get(), codestream));
        return codestream_info{h.frame.height, h.frame.width, static_cast<std::uint16_t>(h.frame.component_count),
                               static_cast<std::uint16_t>(h.frame.bits_per_sample), false, produced_colour(h, info)};
    }

    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override {
        if (!decodable_shape(info)) {
            return failure(errc::codestream_mismatch, "jpeg-ls/charls decodes 1 or 3 samples of 8 or 16 bits");
        }
        DICOMPIX_TRY(const std::uint64_t need, info.decoded_frame_bytes());
        if (out.size() != need) {
            return failure(errc::invalid_argument, "output buffer has " + std::to_string(out.size()) +
                                                       " bytes, the frame needs " + std::to_string(need));
        }
        std::vector<std::string> warnings;
        DICOMPIX_TRY(codestream, up_to_eoi(codestream, warnings));
        const decoder_handle d(charls_jpegls_decoder_create());
        if (!d) {
            return failure(errc::codec_error, "jpeg-ls/charls: cannot create a decoder");
        }
        DICOMPIX_TRY(const jls_header h, open_stream(d.get(), codestream));
        DICOMPIX_TRY_VOID(check_header(h, info));

        // After a complete single scan, bytes other than a marker (e.g. WG04 MR1_JLSL: one 0x00 before EOI)
        // make CharLS fail although every line is decoded; DCMTK accepts them. Lenient mode does too.
        const bool single_scan = info.samples_per_pixel == 1 || h.interleave != charls::interleave_mode::none;
        auto decode_into = [&](std::byte* to, std::size_t size) -> result<void> {
            const charls_jpegls_errc e = charls_jpegls_decoder_decode_to_buffer(d.get(), to, size, 0);
            if (ok(e)) {
                return {};
            }
            if (e == charls::jpegls_errc::jpeg_marker_start_byte_not_found && single_scan && !options.strict) {
                warnings.emplace_back("JPEG-LS: data after the end of the scan is not a marker; ignored");
                return {};
            }
            return charls_failure(e, "decode");
        };

        const std::size_t wide = info.bytes_per_sample();
        const std::size_t coded = h.frame.bits_per_sample <= 8 ? 1 : 2; // CharLS's destination sample size
        const std::size_t samples = need / wide;
        if (info.samples_per_pixel == 3 && h.interleave == charls::interleave_mode::none) {
            // Planes come out one after the other: one pass to interleave them (and widen).
            std::vector<std::byte> planar(samples * coded);
            DICOMPIX_TRY_VOID(decode_into(planar.data(), planar.size()));
            const std::size_t pixels = samples / 3;
            if (coded == wide) {
                if (wide == 1) {
                    interleave_planes<std::uint8_t, std::uint8_t>(planar.data(), pixels, out.data());
                } else {
                    interleave_planes<std::uint16_t, std::uint16_t>(planar.data(), pixels, out.data());
                }
            } else {
                interleave_planes<std::uint8_t, std::uint16_t>(planar.data(), pixels, out.data());
            }
        } else if (coded == wide) {
            DICOMPIX_TRY_VOID(decode_into(out.data(), out.size()));
        } else {
            // 8-bit codestream in 16-bit slots (e.g. Bits Allocated 16, Bits Stored 8): decode into the upper
            // half, then widen in place; no scratch buffer.
            DICOMPIX_TRY_VOID(decode_into(out.data() + samples, samples));
            widen_in_place(out.data(), samples);
        }
        decode_report report;
        report.colour = produced_colour(h, info);
        report.precision = static_cast<std::uint16_t>(h.frame.bits_per_sample);
        report.is_signed = false;
        report.warnings = std::move(warnings);
        if (h.transform != charls::color_transformation::none) {
            report.warnings.emplace_back("JPEG-LS HP colour transformation " +
                                         std::to_string(static_cast<int>(h.transform)) +
                                         " (not defined by DICOM) undone: samples are RGB");
        }
        return report;
    }
};

// ---------------------------------------------------------------------------------------------------

struct near_choice {
    int value{0};
    bool valid{true};
};

near_choice near_for(std::string_view uid, const frame_info& info, const encode_options& options) noexcept {
    if (uid == uids::jpeg_ls_lossless) {
        return {0, true};
    }
    if (options.quality == 0) {
        return {2, true};
    }
    const int max_near = std::min(255, ((1 << info.bits_stored) - 1) / 2);
    if (!(options.quality >= 0 && options.quality <= max_near) || options.quality != std::floor(options.quality)) {
        return {0, false};
    }
    return {static_cast<int>(options.quality), true};
}

/// Copies samples of type From into CharLS's source layout (To), as Bits Stored-bit patterns.
template <class From, class To>
void to_patterns(std::span<const std::byte> samples, std::uint32_t mask, std::vector<std::byte>& out) {
    const std::size_t n = samples.size() / sizeof(From);
    out.resize(n * sizeof(To));
    for (std::size_t i = 0; i < n; ++i) {
        From v;
        std::memcpy(&v, samples.data() + i * sizeof(From), sizeof(From));
        const To p = static_cast<To>(static_cast<std::uint32_t>(static_cast<std::int32_t>(v)) & mask);
        std::memcpy(out.data() + i * sizeof(To), &p, sizeof(To));
    }
}

/// The first sample outside [lo, hi], or none.
template <class T>
bool all_within(std::span<const std::byte> samples, std::int64_t lo, std::int64_t hi, std::int64_t& bad) noexcept {
    const std::size_t n = samples.size() / sizeof(T);
    const auto* p = reinterpret_cast<const T*>(samples.data());
    bool within = true;
    for (std::size_t i = 0; i < n; ++i) {
        within &= static_cast<std::int64_t>(p[i]) >= lo && static_cast<std::int64_t>(p[i]) <= hi;
    }
    if (!within) {
        for (std::size_t i = 0; i < n; ++i) {
            if (static_cast<std::int64_t>(p[i]) < lo || static_cast<std::int64_t>(p[i]) > hi) {
                bad = p[i];
                break;
            }
        }
    }
    return within;
}

class jpegls_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return "jpeg-ls/charls"; }

    result<void> can_encode(std::string_view uid, const frame_info& info, const encode_options& options) const override {
        auto refuse = [](std::string why) { return failure(errc::cannot_encode, "JPEG-LS: " + std::move(why)); };
        if (uid != uids::jpeg_ls_lossless && uid != uids::jpeg_ls_near_lossless) {
            return refuse("jpeg-ls/charls encodes only " + std::string(uids::jpeg_ls_lossless) + " and " +
                          std::string(uids::jpeg_ls_near_lossless));
        }
        if (info.element != pixel_data_element::integer || (info.bits_allocated != 8 && info.bits_allocated != 16)) {
            return refuse("needs integer samples with Bits Allocated 8 or 16, got " + std::to_string(info.bits_allocated));
        }
        if (info.bits_stored < 2 || info.bits_stored > info.bits_allocated) {
            return refuse("Bits Stored must be 2.." + std::to_string(info.bits_allocated) +
                          " (ISO/IEC 14495-1 precision is 2..16), got " + std::to_string(info.bits_stored));
        }
        if (info.samples_per_pixel != 1 && info.samples_per_pixel != 3) {
            return refuse("needs 1 or 3 samples per pixel");
        }
        if (info.rows == 0 || info.columns == 0 || info.rows > 65535 || info.columns > 65535) {
            return refuse("frame dimensions must be 1..65535");
        }
        const near_choice near = near_for(uid, info, options);
        if (!near.valid) {
            return refuse("NEAR (quality) must be an integer 0.." +
                          std::to_string(std::min(255, ((1 << info.bits_stored) - 1) / 2)) + " for " +
                          std::to_string(info.bits_stored) + "-bit samples");
        }
        if (near.value > 0 && info.photometric_interpretation == photometric::palette_color) {
            return refuse("near-lossless coding of PALETTE COLOR indices would change the colours");
        }
        return {};
    }

    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        DICOMPIX_TRY(const std::uint64_t need, info.decoded_frame_bytes());
        if (samples.size() != need) {
            return failure(errc::invalid_argument, "JPEG-LS: " + std::to_string(samples.size()) +
                                                       " sample bytes for a frame of " + std::to_string(need));
        }
        const int near = near_for(uid, info, options).value;
        const int bits = info.bits_stored;
        const std::uint32_t mask = (std::uint32_t{1} << bits) - 1;
        const std::size_t wide = info.bytes_per_sample();
        const std::size_t coded = bits <= 8 ? 1 : 2;

        // Samples must fit Bits Stored (normalised); signed near-lossless must stay NEAR away from the sign
        // boundary (see the top of this file).
        std::int64_t lo = 0;
        std::int64_t hi = mask;
        if (info.is_signed) {
            lo = -(std::int64_t{1} << (bits - 1)) + near;
            hi = (std::int64_t{1} << (bits - 1)) - 1 - near;
        }
        std::int64_t bad = 0;
        const bool fits = wide == 1 ? (info.is_signed ? all_within<std::int8_t>(samples, lo, hi, bad)
                                                      : all_within<std::uint8_t>(samples, lo, hi, bad))
                                    : (info.is_signed ? all_within<std::int16_t>(samples, lo, hi, bad)
                                                      : all_within<std::uint16_t>(samples, lo, hi, bad));
        if (!fits) {
            if (info.is_signed && near > 0) {
                return failure(errc::cannot_encode,
                               "JPEG-LS near-lossless: signed sample " + std::to_string(bad) + " is within NEAR " +
                                   std::to_string(near) + " of the " + std::to_string(bits) +
                                   "-bit range limits; its two's complement pattern could decode with the opposite "
                                   "sign (dcm4che #656). Use lossless JPEG-LS");
            }
            return failure(errc::invalid_argument, "JPEG-LS: sample " + std::to_string(bad) + " does not fit " +
                                                       std::to_string(bits) + " Bits Stored (not normalised)");
        }
        std::vector<std::byte> converted;
        std::span<const std::byte> source = samples;
        if (info.is_signed || coded != wide) {
            if (wide == 1) {
                to_patterns<std::int8_t, std::uint8_t>(samples, mask, converted);
            } else if (coded == 1) {
                to_patterns<std::int16_t, std::uint8_t>(samples, mask, converted);
            } else {
                to_patterns<std::int16_t, std::uint16_t>(samples, mask, converted);
            }
            source = converted;
        }

        const encoder_handle e(charls_jpegls_encoder_create());
        if (!e) {
            return failure(errc::codec_error, "jpeg-ls/charls: cannot create an encoder");
        }
        const charls_frame_info frame{info.columns, info.rows, bits, info.samples_per_pixel};
        const charls_interleave_mode interleave =
            info.samples_per_pixel == 3 ? charls::interleave_mode::sample : charls::interleave_mode::none;
        // LSE preset parameters are written explicitly for decoders that mis-derive the defaults
        // (JAI ImageIO, used by dcm4che).
        if (auto r = charls_jpegls_encoder_set_frame_info(e.get(), &frame); !ok(r)) {
            return charls_failure(r, "frame info");
        }
        if (auto r = charls_jpegls_encoder_set_near_lossless(e.get(), near); !ok(r)) {
            return charls_failure(r, "NEAR");
        }
        if (auto r = charls_jpegls_encoder_set_interleave_mode(e.get(), interleave); !ok(r)) {
            return charls_failure(r, "interleave mode");
        }
        if (auto r = charls_jpegls_encoder_set_encoding_options(e.get(), charls::encoding_options::include_pc_parameters_jai);
            !ok(r)) {
            return charls_failure(r, "encoding options");
        }
        std::size_t estimate = 0;
        if (auto r = charls_jpegls_encoder_get_estimated_destination_size(e.get(), &estimate); !ok(r)) {
            return charls_failure(r, "size estimate");
        }
        encoded_frame f;
        f.codestream.resize(estimate);
        if (auto r = charls_jpegls_encoder_set_destination_buffer(e.get(), f.codestream.data(), f.codestream.size());
            !ok(r)) {
            return charls_failure(r, "destination");
        }
        if (auto r = charls_jpegls_encoder_encode_from_buffer(e.get(), source.data(), source.size(), 0); !ok(r)) {
            return charls_failure(r, "encode");
        }
        std::size_t written = 0;
        if (auto r = charls_jpegls_encoder_get_bytes_written(e.get(), &written); !ok(r)) {
            return charls_failure(r, "bytes written");
        }
        f.codestream.resize(written);
        f.colour = info.photometric_interpretation == photometric::ybr_full_422 ? photometric::ybr_full
                                                                                : info.photometric_interpretation;
        f.lossy = near > 0;
        if (f.lossy) {
            f.method = "ISO_14495_1";
        }
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_jpegls_decoder() {
    return std::make_shared<jpegls_decoder>();
}
std::shared_ptr<const frame_encoder> make_jpegls_encoder() {
    return std::make_shared<jpegls_encoder>();
}

} // namespace dicompix::codecs
