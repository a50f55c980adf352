// SPDX-License-Identifier: BSD-3-Clause
// JPEG Extended 12-bit DCT (1.2.840.10008.1.2.4.51 with 12-bit samples, Process 4) and the retired
// Spectral Selection / Full Progression syntaxes (4.53, 4.55) with 12-bit samples, decoded by DCMTK's
// IJG 6b build for 12 bits (libijg12 through dcmjpeg's DJDecompressIJG12Bit). 8-bit streams of the
// same syntaxes belong to libjpeg-turbo: read_header refuses them so the registry moves on.
//
// The adapter walks the codestream itself first (T.81 Annex B) so that the backend only ever sees a
// frame whose size, components and precision match the output buffer, and so that IJG's warnings can
// be told apart: IJG reports corrupt entropy data (T.81 F.2.2.5 marker hit, bad Huffman code) only
// as warnings and fills with zeros, so every warning the stream's own headers do not explain is an
// error here.
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmjpeg/djcparam.h>
#include <dcmtk/dcmjpeg/djdijg12.h>
#include <dcmtk/dcmjpeg/djutils.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "codecs/factories.hpp"
#include "codecs/jpeg_markers.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

using namespace jpeg;

/// What the walk over the marker segments found.
struct stream_layout {
    std::uint8_t sof{0};
    std::uint16_t precision{0};
    std::uint32_t rows{0};
    std::uint32_t columns{0};
    std::uint16_t components{0};
    std::size_t scans{0};
    std::size_t nonsequential_scans{0}; ///< sequential-frame scans with Ss/Se/Ah/Al not 0/63/0/0
};

/// Reads the frame header; with `whole` the walk continues to EOI and counts the scans (T.81 B.2.3).
result<stream_layout> walk(std::span<const std::uint8_t> d, bool whole, std::size_t max_scans) {
    if (d.size() < 2 || d[0] != 0xFF || d[1] != m_soi) {
        return failure(errc::codec_error, "not a JPEG codestream (no SOI marker at the start)");
    }
    stream_layout layout;
    std::size_t pos = 2;
    for (;;) {
        while (pos < d.size() && d[pos] != 0xFF) {
            ++pos; // IJG skips such bytes too (with a warning it will raise itself)
        }
        while (pos < d.size() && d[pos] == 0xFF) {
            ++pos;
        }
        if (pos >= d.size()) {
            return failure(errc::truncated_codestream, layout.sof == 0 ? "codestream ends before the frame header"
                                                                       : "codestream ends before EOI");
        }
        const std::size_t marker_pos = pos - 1;
        const std::uint8_t m = d[pos++];
        if (m == m_eoi) {
            if (layout.sof == 0) {
                return failure(errc::codec_error, "EOI before the frame header");
            }
            return layout;
        }
        if (m == 0x01 || (m >= m_rst0 && m <= m_rst7) || m == 0x00) {
            continue;
        }
        if (m == m_soi) {
            return failure(errc::codec_error, "second SOI marker" + at(marker_pos));
        }
        if (d.size() - pos < 2) {
            return failure(errc::truncated_codestream, "codestream ends inside a segment length" + at(pos));
        }
        const std::size_t length = be16(d.data() + pos);
        if (length < 2 || d.size() - pos < length) {
            return failure(length < 2 ? errc::codec_error : errc::truncated_codestream,
                           "marker segment of length " + std::to_string(length) + " does not fit" + at(marker_pos));
        }
        const std::span<const std::uint8_t> s = d.subspan(pos + 2, length - 2);
        pos += length;
        if (is_sof(m)) {
            if (layout.sof != 0) {
                return failure(errc::codec_error, "second frame header" + at(marker_pos));
            }
            // IJG 6b decodes the Huffman DCT processes only: SOF0 (also with 12 bits, as IJG allows),
            // SOF1 and SOF2 (T.81 Table B.1).
            if (m != 0xC0 && m != 0xC1 && m != 0xC2) {
                return failure(errc::codec_error, std::string(m == 0xC3 ? "lossless" : "hierarchical or arithmetic-coded") +
                                                      " JPEG frame is not decoded by jpeg12/dcmtk" + at(marker_pos));
            }
            if (s.size() < 6 || s.size() != 6 + 3 * std::size_t{s[5]}) {
                return failure(errc::codec_error, "malformed frame header" + at(marker_pos));
            }
            layout.sof = m;
            layout.precision = s[0];
            layout.rows = be16(&s[1]);
            layout.columns = be16(&s[3]);
            layout.components = s[5];
            if (layout.precision != 12) {
                return failure(errc::codestream_mismatch, std::to_string(layout.precision) +
                                                              "-bit DCT stream: jpeg12/dcmtk decodes 12-bit streams only");
            }
            if (layout.rows == 0 || layout.columns == 0) {
                return failure(errc::codec_error, "frame header with 0 lines or samples (DNL is not supported)");
            }
            if (layout.components != 1 && layout.components != 3) {
                return failure(errc::codec_error, "frame with " + std::to_string(layout.components) +
                                                      " components (1 or 3 supported)");
            }
            if (!whole) {
                return layout;
            }
            continue;
        }
        if (m == m_sos) {
            if (layout.sof == 0) {
                return failure(errc::codec_error, "SOS before the frame header" + at(marker_pos));
            }
            if (s.empty() || s.size() != 4 + 2 * std::size_t{s[0]}) {
                return failure(errc::codec_error, "malformed SOS segment" + at(marker_pos));
            }
            if (++layout.scans > max_scans) {
                return failure(errc::limit_exceeded, "more than " + std::to_string(max_scans) + " scans");
            }
            const std::size_t tail = 1 + 2 * std::size_t{s[0]};
            if (layout.sof != 0xC2 && (s[tail] != 0 || s[tail + 1] != 63 || s[tail + 2] != 0)) {
                ++layout.nonsequential_scans; // IJG warns "Invalid SOS parameters for sequential JPEG"
            }
            pos = skip_entropy_data(d, pos);
        }
    }
}

std::span<const std::uint8_t> as_u8(std::span<const std::byte> b) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()};
}

bool is_dct_uid(std::string_view uid) noexcept {
    return uid == uids::jpeg_extended || uid == uids::jpeg_spectral_selection || uid == uids::jpeg_full_progression;
}

bool is_ybr(photometric p) noexcept {
    return p == photometric::ybr_full || p == photometric::ybr_full_422 || p == photometric::ybr_partial_422 ||
           p == photometric::ybr_partial_420 || p == photometric::ybr_ict;
}

/// What DJDecompressIJG12Bit produces: YCbCr converted to RGB when the dataset says YBR (as dcmdjpeg
/// does by default), except for signed data, which IJG cannot convert; other data as stored.
photometric output_colour(const frame_info& info, std::uint16_t components) noexcept {
    if (components == 3 && is_ybr(info.photometric_interpretation)) {
        return info.is_signed ? photometric::ybr_full : photometric::rgb;
    }
    return info.photometric_interpretation;
}

/// Counts IJG warnings instead of logging them (the backend calls this from inside the decode).
class counting_decompressor final : public DJDecompressIJG12Bit {
public:
    counting_decompressor(const DJCodecParameter& cp, bool ybr) : DJDecompressIJG12Bit(cp, ybr ? OFTrue : OFFalse) {}
    void emitMessage(int msg_level) const override {
        if (msg_level < 0) {
            ++warnings_;
        }
    }
    [[nodiscard]] std::size_t warnings() const noexcept { return warnings_; }

private:
    mutable std::size_t warnings_{0};
};

class jpeg12_dcmtk_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "jpeg12/dcmtk"; }
    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return is_dct_uid(uid) && info.element == pixel_data_element::integer && info.bits_allocated >= 8 &&
               (info.samples_per_pixel == 1 || info.samples_per_pixel == 3);
    }
    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        DICOMPIX_TRY(const stream_layout layout, walk(as_u8(codestream), false, 0));
        return codestream_info{layout.rows, layout.columns, layout.components, layout.precision, false,
                               output_colour(info, layout.components)};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override {
        const std::size_t max_scans = options.limits != nullptr ? options.limits->max_jpeg_scans : 256;
        DICOMPIX_TRY(const stream_layout layout, walk(as_u8(codestream), true, max_scans));
        if (layout.rows != info.rows || layout.columns != info.columns || layout.components != info.samples_per_pixel) {
            return failure(errc::codestream_mismatch,
                           "codestream is " + std::to_string(layout.columns) + "x" + std::to_string(layout.rows) + "x" +
                               std::to_string(layout.components) + ", the dataset says " + std::to_string(info.columns) +
                               "x" + std::to_string(info.rows) + "x" + std::to_string(info.samples_per_pixel));
        }
        if (info.element != pixel_data_element::integer || (info.bits_allocated != 16 && info.bits_allocated != 32)) {
            return failure(errc::codestream_mismatch, "12-bit samples do not fit Bits Allocated " +
                                                          std::to_string(info.bits_allocated));
        }
        DICOMPIX_TRY(const std::uint64_t need, info.decoded_frame_bytes());
        if (options.limits != nullptr && need > options.limits->max_frame_bytes) {
            return failure(errc::limit_exceeded, "decoded frame of " + std::to_string(need) + " bytes exceeds the limit");
        }
        if (out.size() != need) {
            return failure(errc::invalid_argument, "output buffer has " + std::to_string(out.size()) +
                                                       " bytes, the frame " + std::to_string(need));
        }
        // IJG writes rows x columns x components 16-bit JSAMPLEs: straight into a 16-bit frame, via a
        // scratch buffer for wider samples.
        const std::uint64_t samples = std::uint64_t{info.rows} * info.columns * info.samples_per_pixel;
        const std::uint64_t ijg_bytes = samples * 2;
        if (ijg_bytes > std::numeric_limits<Uint32>::max() || codestream.size() > std::numeric_limits<Uint32>::max()) {
            return failure(errc::limit_exceeded, "frame too large for DCMTK's 32-bit buffer sizes");
        }
        std::vector<std::uint16_t> scratch;
        Uint8* target = nullptr;
        if (info.bytes_per_sample() == 2) {
            target = reinterpret_cast<Uint8*>(out.data());
        } else {
            scratch.resize(static_cast<std::size_t>(samples));
            target = reinterpret_cast<Uint8*>(scratch.data());
        }
        const bool ybr = is_ybr(info.photometric_interpretation) && !info.is_signed;
        std::size_t warnings = 0;
        try {
            const DJCodecParameter parameters(ECC_lossyYCbCr, EDC_photometricInterpretation, EUC_never, EPC_default);
            counting_decompressor decompressor(parameters, ybr);
            OFCondition status = decompressor.init();
            if (status.good()) {
                // DCMTK's API takes a non-const buffer; IJG only reads the compressed data.
                status = decompressor.decode(const_cast<Uint8*>(as_u8(codestream).data()),
                                             static_cast<Uint32>(codestream.size()), target,
                                             static_cast<Uint32>(ijg_bytes), info.is_signed ? OFTrue : OFFalse);
            }
            if (status == EJ_Suspension) {
                return failure(errc::truncated_codestream, "JPEG data ends before the frame is complete");
            }
            if (status.bad()) {
                return failure(errc::codec_error, std::string("DCMTK/IJG 12-bit: ") + status.text());
            }
            warnings = decompressor.warnings();
        } catch (const std::bad_alloc&) {
            return failure(errc::limit_exceeded, "DCMTK/IJG 12-bit: out of memory");
        } catch (const std::exception& e) {
            return failure(errc::codec_error, std::string("DCMTK/IJG 12-bit: ") + e.what());
        }
        decode_report report;
        if (warnings > layout.nonsequential_scans) {
            return failure(errc::codec_error, "corrupt JPEG data: IJG reported " +
                                                  std::to_string(warnings - layout.nonsequential_scans) +
                                                  " warning(s) (premature end of entropy data, bad Huffman code, "
                                                  "missing restart marker or extraneous bytes)");
        }
        if (layout.nonsequential_scans != 0) {
            report.warnings.emplace_back("sequential scan with SOS Ss/Se/Ah/Al other than 0/63/0/0");
        }
        if (!info.is_signed && info.bits_stored < layout.precision) {
            // Bits Stored below the 12-bit precision (e.g. WG04 RG3_JPLY: 10 bits): DCT overshoot above
            // the stored range is clamped; masking it to Bits Stored would turn the brightest pixels dark.
            const auto top = static_cast<std::uint16_t>((1U << info.bits_stored) - 1U);
            std::size_t clamped = 0;
            for (std::size_t i = 0; i < samples; ++i) {
                std::uint16_t v;
                std::memcpy(&v, target + 2 * i, 2);
                if (v > top) {
                    std::memcpy(target + 2 * i, &top, 2);
                    ++clamped;
                }
            }
            if (clamped != 0) {
                report.warnings.push_back(std::to_string(clamped) + " samples above the " +
                                          std::to_string(info.bits_stored) + "-bit Bits Stored range clamped");
            }
        }
        if (!scratch.empty()) {
            auto* dst = out.data();
            for (std::size_t i = 0; i < scratch.size(); ++i) {
                const std::uint32_t v = scratch[i];
                std::memcpy(dst + i * 4, &v, 4);
            }
        }
        report.colour = output_colour(info, layout.components);
        report.precision = layout.precision;
        report.is_signed = false;
        return report;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_jpeg12_dcmtk_decoder() {
    return std::make_shared<jpeg12_dcmtk_decoder>();
}

} // namespace dicompix::codecs
