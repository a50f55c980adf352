// SPDX-License-Identifier: BSD-3-Clause
// JPEG Baseline (Process 1, 1.2.840.10008.1.2.4.50) and JPEG Extended 8-bit (Process 2 & 4, 4.51),
// PS3.5 §A.4.1 / ITU-T T.81, through libjpeg-turbo's jpeglib API. jpeglib rather than TurboJPEG: it
// offers a scan limit (progress monitor), the warnings that reveal truncated or corrupt entropy-coded
// data (libjpeg pads those with zeros and carries on), the APP0/APP14 markers, and decoding straight
// into the caller's rows with the same SIMD paths.
//
// Also the retired 8-bit DCT syntaxes 4.52-4.56 (arithmetic, spectral selection, full progression), which
// libjpeg-turbo decodes too. 12-bit streams (4.51, 4.53, 4.55) are refused by read_header with
// codestream_mismatch: the library then hands the frame to the next capable decoder (the 12-bit one,
// registered after this one).
//
// Colour (PS3.5 §8.2.1; T.81 itself does not define colour spaces). A 3-component stream is decoded to
// RGB and reported as RGB. Whether its samples are YCbCr (converted by libjpeg's SIMD YCbCr->RGB) or
// RGB (copied) is decided from explicit evidence first, then from the dataset:
//   1. Adobe APP14 marker: transform 0 = RGB, 1 = YCbCr;
//   2. JFIF APP0 marker: YCbCr (JFIF requires it);
//   3. component identifiers 'R','G','B': RGB;
//   4. chroma subsampled (components with different sampling factors): YCbCr (nobody subsamples G, B);
//   5. otherwise Photometric Interpretation: RGB = RGB, YBR_* = YCbCr.
// DCMTK 3.6.7 (dcmdjpeg's default +cp) and GDCM 3.0.21 let Photometric Interpretation decide even
// against rules 1-4: a JFIF or 4:2:0 stream labelled RGB comes out as YCbCr samples labelled RGB
// (checked on the corpus: pylibjpeg-data SC_rgb_jpeg_lossy_gdcm.dcm, mean |diff| 93 against the RGB
// original). We follow the markers there and say so in the frame's warnings; where a stream carries no
// evidence (e.g. pydicom SC_jpeg_no_color_transform.dcm: no APP0/APP14, ids 0,1,2, PI RGB) we agree
// with both. YBR_PARTIAL_* streams are left in YCbCr (libjpeg converts full range only) and reported so.
#include <algorithm>
#include <csetjmp>
#include <cstdio> // jpeglib.h uses FILE
#include <cstring>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#include <jpeglib.h>
#include <jerror.h>
#pragma GCC diagnostic pop

#include "codecs/factories.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

constexpr int max_kept_warnings = 4;

enum class phase : std::uint8_t { header, decoding };

/// libjpeg's error manager plus what the callbacks need. Everything here is trivially destructible:
/// it lives in the frame that calls setjmp and is read after the longjmp.
struct error_state {
    jpeg_error_mgr mgr; // first member: libjpeg hands &mgr back as cinfo->err
    std::jmp_buf jump;
    errc code;
    phase stage;
    bool strict;
    bool eof_fatal;  // a premature end loses data even without JWRN_HIT_MARKER (see start_session)
    bool eof_seen;
    int kept;
    char message[JMSG_LENGTH_MAX];
    char warnings[max_kept_warnings][JMSG_LENGTH_MAX];
};

/// Progress monitor used as the scan limit (the guard libjpeg-turbo recommends against progressive
/// streams with thousands of tiny scans, each a pass over the coefficient buffer).
struct scan_monitor {
    jpeg_progress_mgr mgr; // first member
    int max_scans;
};

error_state& state_of(j_common_ptr c) noexcept {
    return *reinterpret_cast<error_state*>(c->err);
}

[[noreturn]] void fail(j_common_ptr c, errc code) {
    error_state& s = state_of(c);
    s.code = code;
    (*c->err->format_message)(c, s.message);
    std::longjmp(s.jump, 1);
}

[[noreturn]] void fail_text(j_common_ptr c, errc code, const char* text) {
    error_state& s = state_of(c);
    s.code = code;
    std::snprintf(s.message, sizeof s.message, "%s", text);
    std::longjmp(s.jump, 1);
}

[[noreturn]] void on_error_exit(j_common_ptr c) {
    switch (c->err->msg_code) {
    case JERR_BAD_PRECISION:
    case JERR_SOF_UNSUPPORTED: fail(c, errc::codestream_mismatch);
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF: fail(c, errc::truncated_codestream);
    default: fail(c, errc::codec_error);
    }
}

void on_emit_message(j_common_ptr c, int level) {
    if (level >= 0) {
        return; // trace messages
    }
    error_state& s = state_of(c);
    switch (c->err->msg_code) {
    case JWRN_HIT_MARKER: // entropy-coded data ended early: libjpeg would pad with zeros
        fail(c, errc::truncated_codestream);
    case JWRN_JPEG_EOF:
        // The source ran dry and libjpeg inserted a fake EOI. In a single-scan stream that is harmless
        // once every MCU is decoded (only EOI is missing): a Huffman under-run raises JWRN_HIT_MARKER first.
        if (s.strict || s.eof_fatal || s.stage == phase::header) {
            fail(c, errc::truncated_codestream);
        }
        s.eof_seen = true;
        return;
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC: fail(c, errc::codec_error);
    default: break;
    }
    if (s.strict) {
        fail(c, errc::codec_error);
    }
    if (s.kept < max_kept_warnings) {
        (*c->err->format_message)(c, s.warnings[s.kept]);
        ++s.kept;
    }
}

void on_output_message(j_common_ptr) {}

void on_progress(j_common_ptr c) {
    if (!c->is_decompressor) {
        return;
    }
    const auto* d = reinterpret_cast<j_decompress_ptr>(c);
    const auto* monitor = reinterpret_cast<const scan_monitor*>(c->progress);
    if (d->input_scan_number > monitor->max_scans) {
        char text[JMSG_LENGTH_MAX];
        std::snprintf(text, sizeof text, "JPEG has more than %d scans (limits.max_jpeg_scans)", monitor->max_scans);
        fail_text(c, errc::limit_exceeded, text);
    }
}

void init_error_state(error_state& s, bool strict) noexcept {
    jpeg_std_error(&s.mgr);
    s.mgr.error_exit = on_error_exit;
    s.mgr.emit_message = on_emit_message;
    s.mgr.output_message = on_output_message;
    s.code = errc::codec_error;
    s.stage = phase::header;
    s.strict = strict;
    s.eof_fatal = false;
    s.eof_seen = false;
    s.kept = 0;
    s.message[0] = '\0';
}

/// One decompression: libjpeg state, error state and scan monitor, all trivially destructible.
struct decompress_session {
    jpeg_decompress_struct cinfo;
    error_state err;
    scan_monitor monitor;
};

/// Sets up the session and reads the header up to the first SOS. Call only after setjmp(err.jump).
void start_session(decompress_session& s, std::span<const std::byte> codestream, bool strict, int max_scans) {
    init_error_state(s.err, strict);
    s.cinfo.err = &s.err.mgr;
    jpeg_create_decompress(&s.cinfo);
    s.monitor.mgr.progress_monitor = on_progress;
    s.monitor.max_scans = max_scans;
    s.cinfo.progress = &s.monitor.mgr;
    jpeg_mem_src(&s.cinfo, reinterpret_cast<const unsigned char*>(codestream.data()),
                 static_cast<unsigned long>(codestream.size()));
    if (jpeg_read_header(&s.cinfo, TRUE) != JPEG_HEADER_OK) {
        s.cinfo.err->msg_code = JERR_NO_IMAGE;
        on_error_exit(reinterpret_cast<j_common_ptr>(&s.cinfo));
    }
    // jdinput.c: with several scans all entropy-coded data is absorbed before output, so running dry
    // anywhere loses data. The arithmetic decoder (T.81 Annex D) pads with zeros without a HIT_MARKER
    // warning, so for it too a premature end is always fatal.
    s.err.eof_fatal = s.cinfo.progressive_mode != 0 || s.cinfo.comps_in_scan < s.cinfo.num_components ||
                      s.cinfo.arith_code != 0;
}

enum class colour_evidence : std::uint8_t { monochrome, adobe, jfif, component_ids, subsampling, photometric };

/// How a frame's samples are coded and what decode() produces.
struct colour_choice {
    J_COLOR_SPACE coded{JCS_UNKNOWN};
    J_COLOR_SPACE out{JCS_UNKNOWN};
    photometric produced{photometric::unknown};
    colour_evidence evidence{colour_evidence::photometric};
};

bool is_ybr(photometric p) noexcept {
    return p == photometric::ybr_full || p == photometric::ybr_full_422 || p == photometric::ybr_partial_422 ||
           p == photometric::ybr_partial_420 || p == photometric::ybr_ict || p == photometric::ybr_rct;
}

colour_choice choose_colour(const jpeg_decompress_struct& c, photometric pi) noexcept {
    colour_choice choice;
    if (c.num_components == 1) {
        choice.coded = JCS_GRAYSCALE;
        choice.out = JCS_GRAYSCALE;
        choice.produced = pi == photometric::unknown ? photometric::monochrome2 : pi;
        choice.evidence = colour_evidence::monochrome;
        return choice;
    }
    const jpeg_component_info* comp = c.comp_info;
    if (c.saw_Adobe_marker) {
        choice.coded = c.Adobe_transform == 0 ? JCS_RGB : JCS_YCbCr;
        choice.evidence = colour_evidence::adobe;
    } else if (c.saw_JFIF_marker) {
        choice.coded = JCS_YCbCr;
        choice.evidence = colour_evidence::jfif;
    } else if (comp[0].component_id == 'R' && comp[1].component_id == 'G' && comp[2].component_id == 'B') {
        choice.coded = JCS_RGB;
        choice.evidence = colour_evidence::component_ids;
    } else if (comp[0].h_samp_factor != comp[1].h_samp_factor || comp[0].v_samp_factor != comp[1].v_samp_factor ||
               comp[1].h_samp_factor != comp[2].h_samp_factor || comp[1].v_samp_factor != comp[2].v_samp_factor) {
        choice.coded = JCS_YCbCr;
        choice.evidence = colour_evidence::subsampling;
    } else {
        choice.coded = pi == photometric::rgb ? JCS_RGB : JCS_YCbCr;
        choice.evidence = colour_evidence::photometric;
    }
    if (choice.coded == JCS_YCbCr && (pi == photometric::ybr_partial_422 || pi == photometric::ybr_partial_420)) {
        choice.out = JCS_YCbCr;
        choice.produced = pi;
    } else {
        choice.out = JCS_RGB;
        choice.produced = photometric::rgb;
    }
    return choice;
}

std::string_view evidence_text(colour_evidence e) noexcept {
    switch (e) {
    case colour_evidence::adobe: return "Adobe APP14 marker";
    case colour_evidence::jfif: return "JFIF APP0 marker";
    case colour_evidence::component_ids: return "component identifiers R, G, B";
    case colour_evidence::subsampling: return "subsampled chroma";
    default: return "Photometric Interpretation";
    }
}

/// A note when the codestream's own evidence contradicts Photometric Interpretation.
std::string colour_conflict(const colour_choice& choice, photometric pi) {
    if (choice.evidence == colour_evidence::monochrome || choice.evidence == colour_evidence::photometric) {
        return {};
    }
    const bool coded_ybr = choice.coded == JCS_YCbCr;
    if (coded_ybr == is_ybr(pi) || pi == photometric::unknown) {
        return {};
    }
    return std::string("codestream is ") + (coded_ybr ? "YCbCr" : "RGB") + " (" + std::string(evidence_text(choice.evidence)) +
           ") but Photometric Interpretation is " + std::string(to_string(pi)) +
           (coded_ybr ? "; converted to RGB" : "; samples are RGB as stored");
}

struct header_facts {
    std::uint32_t rows;
    std::uint32_t columns;
    std::uint16_t components;
    std::uint16_t precision;
    colour_choice colour;
};

header_facts facts_of(const jpeg_decompress_struct& c, const frame_info& info) noexcept {
    header_facts f{};
    f.rows = c.image_height;
    f.columns = c.image_width;
    f.components = static_cast<std::uint16_t>(c.num_components);
    f.precision = static_cast<std::uint16_t>(c.data_precision);
    if (c.num_components == 1 || c.num_components == 3) {
        f.colour = choose_colour(c, info.photometric_interpretation);
    }
    return f;
}

bool fits(const header_facts& f, const frame_info& info) noexcept {
    return f.precision == 8 && f.rows == info.rows && f.columns == info.columns &&
           f.components == info.samples_per_pixel && (f.components == 1 || f.components == 3);
}

/// Why a header that does not fit cannot be decoded into `info`.
error header_mismatch(const header_facts& f, const frame_info& info) {
    if (f.precision != 8) {
        return make_error(errc::codestream_mismatch, "JPEG precision is " + std::to_string(f.precision) +
                                                         " bits; jpeg/libjpeg-turbo decodes 8-bit streams only");
    }
    return make_error(errc::codestream_mismatch,
                      "JPEG frame is " + std::to_string(f.columns) + "x" + std::to_string(f.rows) + "x" +
                          std::to_string(f.components) + ", the dataset says " + std::to_string(info.columns) + "x" +
                          std::to_string(info.rows) + "x" + std::to_string(info.samples_per_pixel));
}

/// Runs `body` (libjpeg calls) with `jump` armed; false when libjpeg failed and longjmp'd back. The setjmp
/// lives here, where nothing is read after the second return, and `body` must hold only trivially
/// destructible locals (the longjmp skips its frame).
template <class Body>
[[gnu::noinline]] bool guarded(std::jmp_buf& jump, Body& body) {
    if (setjmp(jump) != 0) {
        return false;
    }
    body();
    return true;
}

/// T.81 DCT processes: 4.50 (Process 1), 4.51 (2 & 4) and the retired 4.52-4.56 (arithmetic coding,
/// spectral selection, full progression; PS3.5 §A.4.1, PS3.6 Table A-1), all decoded by libjpeg-turbo.
bool dct_syntax(std::string_view uid) noexcept {
    static constexpr std::string_view retired[] = {"1.2.840.10008.1.2.4.52", "1.2.840.10008.1.2.4.53",
                                                   "1.2.840.10008.1.2.4.54", "1.2.840.10008.1.2.4.55",
                                                   "1.2.840.10008.1.2.4.56"};
    return uid == uids::jpeg_baseline || uid == uids::jpeg_extended ||
           std::find(std::begin(retired), std::end(retired), uid) != std::end(retired);
}

bool decodable_shape(const frame_info& info) noexcept {
    return (info.samples_per_pixel == 1 || info.samples_per_pixel == 3) &&
           (info.bits_allocated == 8 || info.bits_allocated == 16) && info.element == pixel_data_element::integer;
}

std::string state_message(const error_state& s) {
    return std::string("jpeg/libjpeg-turbo: ") + s.message;
}

class jpeg_turbo_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "jpeg/libjpeg-turbo"; }

    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return dct_syntax(uid) && decodable_shape(info);
    }

    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        decompress_session s{};
        header_facts f{};
        auto body = [&] {
            start_session(s, codestream, false, 1 << 30);
            f = facts_of(s.cinfo, info);
        };
        const bool completed = guarded(s.err.jump, body);
        jpeg_destroy_decompress(&s.cinfo);
        if (!completed) {
            return failure(s.err.code, state_message(s.err));
        }
        if (f.precision != 8) {
            return failure(errc::codestream_mismatch,
                           "JPEG precision is " + std::to_string(f.precision) +
                               " bits; jpeg/libjpeg-turbo decodes 8-bit streams only");
        }
        return codestream_info{f.rows, f.columns, f.components, f.precision, false, f.colour.produced};
    }

    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override {
        if (!decodable_shape(info)) {
            return failure(errc::codestream_mismatch, "jpeg/libjpeg-turbo decodes 1 or 3 samples of 8 or 16 bits");
        }
        DICOMPIX_TRY(const std::uint64_t need, info.decoded_frame_bytes());
        if (out.size() != need) {
            return failure(errc::invalid_argument, "output buffer has " + std::to_string(out.size()) +
                                                       " bytes, the frame needs " + std::to_string(need));
        }
        const limits defaults{};
        const limits& lim = options.limits != nullptr ? *options.limits : defaults;
        const int max_scans = static_cast<int>(std::min<std::uint32_t>(lim.max_jpeg_scans, 1U << 30));
        const std::size_t wide = info.bytes_per_sample();
        const std::size_t row_bytes = std::size_t{info.columns} * info.samples_per_pixel;
        // 8-bit samples for a 16-bit frame land in the upper half of `out` and are widened in place.
        std::byte* const base = out.data() + (wide == 2 ? need / 2 : 0);
        std::vector<JSAMPROW> rows(info.rows);
        for (std::uint32_t y = 0; y < info.rows; ++y) {
            rows[y] = reinterpret_cast<JSAMPROW>(base + y * row_bytes);
        }

        decompress_session s{};
        header_facts f{};
        bool header_fits = false;
        std::size_t trailing = 0;
        auto body = [&] {
            start_session(s, codestream, options.strict, max_scans);
            f = facts_of(s.cinfo, info);
            header_fits = fits(f, info);
            if (!header_fits) {
                return;
            }
            s.cinfo.jpeg_color_space = f.colour.coded;
            s.cinfo.out_color_space = f.colour.out;
            s.cinfo.dct_method = JDCT_ISLOW; // the IJG reference IDCT: bit-exact with DCMTK and GDCM
            s.err.stage = phase::decoding;
            jpeg_start_decompress(&s.cinfo);
            if (s.cinfo.output_width != info.columns || s.cinfo.output_height != info.rows ||
                s.cinfo.output_components != static_cast<int>(info.samples_per_pixel)) {
                fail_text(reinterpret_cast<j_common_ptr>(&s.cinfo), errc::codestream_mismatch,
                          "decompressed frame shape differs from the header");
            }
            while (s.cinfo.output_scanline < s.cinfo.output_height) {
                const JDIMENSION done = s.cinfo.output_scanline;
                if (jpeg_read_scanlines(&s.cinfo, rows.data() + done, s.cinfo.output_height - done) == 0) {
                    // A memory source never suspends: no progress means no data.
                    fail_text(reinterpret_cast<j_common_ptr>(&s.cinfo), errc::truncated_codestream,
                              "no scanline could be read");
                }
            }
            jpeg_finish_decompress(&s.cinfo);
            trailing = s.cinfo.src->bytes_in_buffer;
        };
        const bool completed = guarded(s.err.jump, body);
        jpeg_destroy_decompress(&s.cinfo);
        if (!completed) {
            return failure(s.err.code, state_message(s.err));
        }
        if (!header_fits) {
            return failure(header_mismatch(f, info));
        }

        if (wide == 2) {
            // Forward is safe: sample i is read from byte need/2 + i before bytes 2i, 2i+1 are written.
            const std::size_t count = need / 2;
            const auto* from = reinterpret_cast<const std::uint8_t*>(base);
            auto* to = out.data();
            for (std::size_t i = 0; i < count; ++i) {
                const std::uint16_t v = from[i];
                std::memcpy(to + 2 * i, &v, 2);
            }
        }
        decode_report report;
        report.colour = f.colour.produced;
        report.precision = 8;
        report.is_signed = false;
        for (int i = 0; i < s.err.kept; ++i) {
            report.warnings.emplace_back(s.err.warnings[i]);
        }
        if (s.err.eof_seen) {
            report.warnings.emplace_back("JPEG codestream ends without an EOI marker");
        }
        if (std::string conflict = colour_conflict(f.colour, info.photometric_interpretation); !conflict.empty()) {
            report.warnings.push_back(std::move(conflict));
        }
        if (trailing > 1) {
            report.warnings.push_back(std::to_string(trailing) + " bytes after the EOI marker ignored");
        }
        return report;
    }
};

// ---------------------------------------------------------------------------------------------------
// Encoder: JPEG Baseline, 8-bit, Huffman, ISLOW DCT (PS3.5 §A.4.1).

/// Destination manager that grows a std::vector (declared before setjmp, so it survives a longjmp).
struct vector_destination {
    jpeg_destination_mgr mgr; // first member
    std::vector<std::byte>* buffer;
};

void dest_init(j_compress_ptr c) {
    auto* d = reinterpret_cast<vector_destination*>(c->dest);
    d->mgr.next_output_byte = reinterpret_cast<JOCTET*>(d->buffer->data());
    d->mgr.free_in_buffer = d->buffer->size();
}

boolean dest_empty(j_compress_ptr c) {
    auto* d = reinterpret_cast<vector_destination*>(c->dest);
    const std::size_t used = d->buffer->size();
    bool grown = true;
    try {
        d->buffer->resize(used * 2);
    } catch (...) { // std::bad_alloc must not cross libjpeg's C frames
        grown = false;
    }
    if (!grown) {
        c->err->msg_code = JERR_OUT_OF_MEMORY;
        on_error_exit(reinterpret_cast<j_common_ptr>(c));
    }
    d->mgr.next_output_byte = reinterpret_cast<JOCTET*>(d->buffer->data() + used);
    d->mgr.free_in_buffer = d->buffer->size() - used;
    return TRUE;
}

void dest_term(j_compress_ptr c) {
    auto* d = reinterpret_cast<vector_destination*>(c->dest);
    d->buffer->resize(d->buffer->size() - d->mgr.free_in_buffer); // shrinking never allocates
}

struct compress_session {
    jpeg_compress_struct cinfo;
    error_state err;
    vector_destination dest;
};

class jpeg_turbo_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return "jpeg/libjpeg-turbo"; }

    result<void> can_encode(std::string_view uid, const frame_info& info, const encode_options& options) const override {
        auto refuse = [](std::string why) { return failure(errc::cannot_encode, "JPEG Baseline: " + std::move(why)); };
        if (uid != uids::jpeg_baseline) {
            return refuse("jpeg/libjpeg-turbo encodes only " + std::string(uids::jpeg_baseline));
        }
        if (info.element != pixel_data_element::integer || info.bits_allocated != 8 || info.bits_stored != 8) {
            return refuse("needs 8-bit samples (Bits Allocated and Bits Stored 8), got " +
                          std::to_string(info.bits_allocated) + "/" + std::to_string(info.bits_stored));
        }
        if (info.is_signed) {
            return refuse("signed samples cannot be carried (Process 1 is unsigned)");
        }
        if (info.rows == 0 || info.columns == 0 || info.rows > JPEG_MAX_DIMENSION ||
            info.columns > JPEG_MAX_DIMENSION) {
            return refuse("frame dimensions must be 1.." + std::to_string(JPEG_MAX_DIMENSION));
        }
        const photometric pi = info.photometric_interpretation;
        if (info.samples_per_pixel == 1) {
            if (pi != photometric::monochrome1 && pi != photometric::monochrome2) {
                return refuse("1-sample frames must be MONOCHROME1/2 (lossy coding of " +
                              std::string(to_string(pi)) + " indices would corrupt them)");
            }
        } else if (info.samples_per_pixel == 3) {
            if (pi != photometric::rgb && pi != photometric::ybr_full && pi != photometric::ybr_full_422) {
                return refuse("3-sample frames must be RGB, YBR_FULL or YBR_FULL_422, not " + std::string(to_string(pi)));
            }
        } else {
            return refuse("needs 1 or 3 samples per pixel");
        }
        if (options.quality != 0 && !(options.quality >= 1 && options.quality <= 100)) {
            return refuse("quality must be 1..100 (0 = default 90)");
        }
        return {};
    }

    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        const std::size_t row_bytes = std::size_t{info.columns} * info.samples_per_pixel;
        if (samples.size() != row_bytes * info.rows) {
            return failure(errc::invalid_argument, "JPEG Baseline: " + std::to_string(samples.size()) +
                                                       " sample bytes for a frame of " +
                                                       std::to_string(row_bytes * info.rows));
        }
        const int quality = options.quality == 0 ? 90 : static_cast<int>(options.quality + 0.5);
        const photometric pi = info.photometric_interpretation;
        // PS3.5 §8.2.1: YCbCr coding of colour is YBR_FULL_422 when chroma is halved horizontally,
        // YBR_FULL when not. RGB input is subsampled 4:2:2 (the usual DICOM choice); YBR_FULL input keeps
        // full chroma; without colour_transform RGB is coded as is (Adobe APP14 transform 0).
        const bool colour = info.samples_per_pixel == 3;
        const bool keep_rgb = colour && pi == photometric::rgb && !options.colour_transform;
        const bool subsample = colour && !keep_rgb && pi != photometric::ybr_full;
        std::vector<std::byte> buffer(std::max<std::size_t>(row_bytes * info.rows / 4, 1U << 14));
        std::vector<JSAMPROW> rows(info.rows);
        for (std::uint32_t y = 0; y < info.rows; ++y) {
            // libjpeg reads but never writes input rows; JSAMPROW is simply not const-qualified.
            rows[y] = reinterpret_cast<JSAMPROW>(const_cast<std::byte*>(samples.data() + y * row_bytes));
        }

        compress_session s{};
        auto body = [&] {
            init_error_state(s.err, false);
            s.cinfo.err = &s.err.mgr;
            jpeg_create_compress(&s.cinfo);
            s.dest.mgr.init_destination = dest_init;
            s.dest.mgr.empty_output_buffer = dest_empty;
            s.dest.mgr.term_destination = dest_term;
            s.dest.buffer = &buffer;
            s.cinfo.dest = &s.dest.mgr;
            s.cinfo.image_width = info.columns;
            s.cinfo.image_height = info.rows;
            s.cinfo.input_components = info.samples_per_pixel;
            s.cinfo.in_color_space = !colour ? JCS_GRAYSCALE : pi == photometric::rgb ? JCS_RGB : JCS_YCbCr;
            jpeg_set_defaults(&s.cinfo);
            if (colour) {
                jpeg_set_colorspace(&s.cinfo, keep_rgb ? JCS_RGB : JCS_YCbCr);
                for (int c = 0; c < 3; ++c) {
                    s.cinfo.comp_info[c].h_samp_factor = c == 0 && subsample ? 2 : 1;
                    s.cinfo.comp_info[c].v_samp_factor = 1;
                }
            }
            s.cinfo.dct_method = JDCT_ISLOW;
            jpeg_set_quality(&s.cinfo, quality, TRUE); // force_baseline: 8-bit quantisation tables (T.81 B.2.4.1)
            jpeg_start_compress(&s.cinfo, TRUE);
            while (s.cinfo.next_scanline < s.cinfo.image_height) {
                const JDIMENSION done = s.cinfo.next_scanline;
                jpeg_write_scanlines(&s.cinfo, rows.data() + done, s.cinfo.image_height - done);
            }
            jpeg_finish_compress(&s.cinfo);
        };
        // init_error_state runs inside: jpeg_std_error cannot fail, and the jump buffer is armed first.
        const bool completed = guarded(s.err.jump, body);
        jpeg_destroy_compress(&s.cinfo);
        if (!completed) {
            return failure(s.err.code, state_message(s.err));
        }

        encoded_frame f;
        f.codestream = std::move(buffer);
        f.colour = !colour ? pi : keep_rgb ? photometric::rgb : subsample ? photometric::ybr_full_422 : photometric::ybr_full;
        f.lossy = true;
        f.method = "ISO_10918_1";
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_jpeg_turbo_decoder() {
    return std::make_shared<jpeg_turbo_decoder>();
}
std::shared_ptr<const frame_encoder> make_jpeg_turbo_encoder() {
    return std::make_shared<jpeg_turbo_encoder>();
}

} // namespace dicompix::codecs
