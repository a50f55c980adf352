// SPDX-License-Identifier: BSD-3-Clause
// JPEG 2000 through OpenJPEG 2.5: decodes JPEG 2000 Image Compression (Lossless Only) 1.2.840.10008.1.2.4.90
// and JPEG 2000 Image Compression 1.2.840.10008.1.2.4.91 (PS3.5 §A.4.4, §8.2.4; ISO/IEC 15444-1), and the
// HTJ2K syntaxes 1.2.840.10008.1.2.4.201-203 (PS3.5 §A.4.10; ISO/IEC 15444-15) as the fallback behind
// OpenJPH; encodes 4.90 and 4.91.
//
// Decoding policy (see j2k_codestream.hpp): the main header is checked against the dataset and the
// tile-part chain walked before OpenJPEG sees a byte. OpenJPEG always runs in strict mode, so it never
// returns a partially decoded image; the leniencies (missing EOC when every tile-part is present, bytes
// or marker segments after the last tile-part, a JP2 file instead of a codestream) are ours, applied in
// lenient mode with a warning and refused in strict mode. Truncated data is an error in both modes.
// Every call has its own opj_codec_t and message handlers (user data), so decode() is reentrant.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#include <openjpeg.h>
#pragma GCC diagnostic pop

#include "codecs/factories.hpp"
#include "codecs/j2k_codestream.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

constexpr std::string_view backend_name = "jpeg2000/openjpeg";

bool is_j2k_syntax(std::string_view uid) noexcept {
    return uid == uids::jpeg_2000_lossless || uid == uids::jpeg_2000 || uid == uids::htj2k_lossless ||
           uid == uids::htj2k_rpcl_lossless || uid == uids::htj2k;
}

// ---- messages: collected per call through the handlers' user data -------------------------------------

struct messages {
    std::string first_error;
    std::vector<std::string> warnings;
    bool truncation{false};

    static std::string trim(const char* msg) {
        std::string s = msg != nullptr ? msg : "";
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
            s.pop_back();
        }
        return s;
    }
    void note_truncation(const std::string& s) {
        // OpenJPEG's wording for data that ends before the codestream says it should.
        if (s.find("too short") != std::string::npos ||
            s.find("inconsistent with stream length") != std::string::npos ||
            s.find("Not enough data") != std::string::npos || s.find("truncat") != std::string::npos ||
            s.find("end of stream") != std::string::npos || s.find("Stream reached its end") != std::string::npos) {
            truncation = true;
        }
    }
};

void on_error(const char* msg, void* user) {
    auto* m = static_cast<messages*>(user);
    std::string s = messages::trim(msg);
    m->note_truncation(s);
    if (m->first_error.empty()) {
        m->first_error = std::move(s);
    }
}

void on_warning(const char* msg, void* user) {
    auto* m = static_cast<messages*>(user);
    std::string s = messages::trim(msg);
    m->note_truncation(s);
    if (m->warnings.size() < 16) {
        m->warnings.push_back("OpenJPEG: " + s);
    }
}

void on_info(const char*, void*) {}

// ---- owning handles -----------------------------------------------------------------------------------

struct codec_deleter {
    void operator()(opj_codec_t* c) const noexcept { opj_destroy_codec(c); }
};
struct stream_deleter {
    void operator()(opj_stream_t* s) const noexcept { opj_stream_destroy(s); }
};
struct image_deleter {
    void operator()(opj_image_t* i) const noexcept { opj_image_destroy(i); }
};
using codec_ptr = std::unique_ptr<opj_codec_t, codec_deleter>;
using stream_ptr = std::unique_ptr<opj_stream_t, stream_deleter>;
using image_ptr = std::unique_ptr<opj_image_t, image_deleter>;

void set_handlers(opj_codec_t* codec, messages& m) {
    opj_set_error_handler(codec, on_error, &m);
    opj_set_warning_handler(codec, on_warning, &m);
    opj_set_info_handler(codec, on_info, &m);
}

int thread_count(std::uint32_t threads) noexcept {
    // 0 (not 1) keeps all work on the calling thread; calling it at all stops OPJ_NUM_THREADS from
    // silently changing what the caller asked for.
    return threads <= 1 ? 0 : static_cast<int>(std::min<std::uint32_t>(threads, 256));
}

// ---- input stream over the frame's bytes (no copy of the codestream) -----------------------------------

struct source {
    j2k::stream_pieces pieces;
    std::uint64_t size{0};
    std::uint64_t pos{0};
};

OPJ_SIZE_T read_source(void* buffer, OPJ_SIZE_T bytes, void* user) {
    auto* s = static_cast<source*>(user);
    if (s->pos >= s->size) {
        return static_cast<OPJ_SIZE_T>(-1);
    }
    auto* out = static_cast<unsigned char*>(buffer);
    std::size_t done = 0;
    std::uint64_t base = 0;
    for (std::size_t i = 0; i < s->pieces.count && done < bytes; ++i) {
        const auto piece = s->pieces.parts[i];
        const std::uint64_t end = base + piece.size();
        if (s->pos < end) {
            const auto from = static_cast<std::size_t>(s->pos - base);
            const std::size_t n = std::min<std::size_t>(bytes - done, piece.size() - from);
            std::memcpy(out + done, piece.data() + from, n);
            done += n;
            s->pos += n;
        }
        base = end;
    }
    return done;
}

OPJ_OFF_T skip_source(OPJ_OFF_T bytes, void* user) {
    auto* s = static_cast<source*>(user);
    if (bytes < 0) {
        const auto back = static_cast<std::uint64_t>(-bytes);
        if (back > s->pos) {
            return -1;
        }
        s->pos -= back;
        return bytes;
    }
    const std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(bytes), s->size - s->pos);
    s->pos += n;
    return static_cast<OPJ_OFF_T>(n);
}

OPJ_BOOL seek_source(OPJ_OFF_T offset, void* user) {
    auto* s = static_cast<source*>(user);
    if (offset < 0 || static_cast<std::uint64_t>(offset) > s->size) {
        return OPJ_FALSE;
    }
    s->pos = static_cast<std::uint64_t>(offset);
    return OPJ_TRUE;
}

stream_ptr make_input(source& s) {
    // OpenJPEG reads large requests (tile-part data) straight into its own buffers; the stream buffer only
    // serves marker parsing, so it need not be large.
    const auto buffer = static_cast<OPJ_SIZE_T>(std::clamp<std::uint64_t>(s.size, 4096, 1U << 16));
    stream_ptr stream(opj_stream_create(buffer, OPJ_TRUE));
    if (!stream) {
        return stream;
    }
    opj_stream_set_user_data(stream.get(), &s, nullptr);
    opj_stream_set_user_data_length(stream.get(), s.size);
    opj_stream_set_read_function(stream.get(), read_source);
    opj_stream_set_skip_function(stream.get(), skip_source);
    opj_stream_set_seek_function(stream.get(), seek_source);
    return stream;
}

// ---- output: one tight pass per component into the interleaved frame ----------------------------------

template <class T, std::size_t Stride>
void store_component(const OPJ_INT32* src, std::size_t count, std::byte* dst, std::size_t stride) noexcept {
    const std::size_t step = (Stride != 0 ? Stride : stride) * sizeof(T);
    for (std::size_t i = 0; i < count; ++i) {
        // Two's complement for signed codestreams: the library sign-extends from Bits Stored afterwards.
        const auto v = static_cast<T>(static_cast<std::uint32_t>(src[i]));
        std::memcpy(dst + i * step, &v, sizeof(T));
    }
}

template <class T> void store(const OPJ_INT32* src, std::size_t count, std::byte* dst, std::size_t stride) noexcept {
    switch (stride) {
    case 1:
        store_component<T, 1>(src, count, dst, 1);
        break;
    case 3:
        store_component<T, 3>(src, count, dst, 3);
        break;
    default:
        store_component<T, 0>(src, count, dst, stride);
        break;
    }
}

error backend_error(const messages& m, std::string_view what) {
    std::string message = std::string(backend_name) + ": " + std::string(what);
    if (!m.first_error.empty()) {
        message += ": " + m.first_error;
    }
    return make_error(m.truncation ? errc::truncated_codestream : errc::codec_error, std::move(message));
}

class openjpeg_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return backend_name; }

    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return is_j2k_syntax(uid) && info.element == pixel_data_element::integer &&
               (info.bits_allocated == 1 || info.bits_allocated == 8 || info.bits_allocated == 16 ||
                info.bits_allocated == 32);
    }

    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        DICOMPIX_TRY(const j2k::layout l, j2k::parse(codestream));
        if (l.end == j2k::ending::truncated) {
            return failure(errc::truncated_codestream, std::string(backend_name) + ": " + l.problem);
        }
        return j2k::header_info(l, info);
    }

    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override {
        DICOMPIX_TRY(const std::uint64_t frame_bytes, info.decoded_frame_bytes());
        if (out.size() != frame_bytes) {
            return failure(errc::invalid_argument, std::string(backend_name) + ": output has " +
                                                       std::to_string(out.size()) + " bytes, the frame needs " +
                                                       std::to_string(frame_bytes));
        }
        DICOMPIX_TRY(const j2k::layout l, j2k::parse(codestream));
        DICOMPIX_TRY_VOID(j2k::check_frame(l, info, backend_name));
        if (options.limits != nullptr && frame_bytes > options.limits->max_frame_bytes) {
            return failure(errc::limit_exceeded, std::string(backend_name) + ": frame of " +
                                                     std::to_string(frame_bytes) + " bytes exceeds the limit");
        }
        decode_report report;
        DICOMPIX_TRY(const j2k::stream_pieces pieces,
                     j2k::select_stream(l, options.strict, false, backend_name, report.warnings));

        source src{pieces, pieces.size(), 0};
        stream_ptr stream = make_input(src);
        codec_ptr codec(opj_create_decompress(OPJ_CODEC_J2K));
        if (!stream || !codec) {
            return failure(errc::codec_error, std::string(backend_name) + ": out of memory");
        }
        messages m;
        set_handlers(codec.get(), m);
        opj_dparameters_t parameters;
        opj_set_default_decoder_parameters(&parameters);
        if (opj_setup_decoder(codec.get(), &parameters) == OPJ_FALSE) {
            return failure(backend_error(m, "decoder setup failed"));
        }
        // Never a partially decoded image (OpenJPEG 2.5 decodes truncated data in non-strict mode).
        opj_decoder_set_strict_mode(codec.get(), OPJ_TRUE);
        opj_codec_set_threads(codec.get(), thread_count(options.threads));
        opj_image_t* raw_image = nullptr;
        if (opj_read_header(stream.get(), codec.get(), &raw_image) == OPJ_FALSE) {
            image_ptr discard(raw_image);
            return failure(backend_error(m, "cannot read the main header"));
        }
        image_ptr image(raw_image);
        if (opj_decode(codec.get(), stream.get(), image.get()) == OPJ_FALSE ||
            opj_end_decompress(codec.get(), stream.get()) == OPJ_FALSE) {
            return failure(backend_error(m, "decoding failed"));
        }
        if (m.truncation) {
            return failure(backend_error(m, "codestream is incomplete"));
        }
        const std::size_t pixels = std::size_t{info.rows} * info.columns;
        const std::size_t spp = info.samples_per_pixel;
        if (image->numcomps != spp) {
            return failure(errc::codec_error, std::string(backend_name) + ": decoded " +
                                                  std::to_string(image->numcomps) + " components, expected " +
                                                  std::to_string(spp));
        }
        for (std::size_t c = 0; c < spp; ++c) {
            const opj_image_comp_t& comp = image->comps[c];
            if (comp.data == nullptr || comp.w != info.columns || comp.h != info.rows) {
                return failure(errc::codec_error, std::string(backend_name) + ": component " + std::to_string(c) +
                                                      " decoded as " + std::to_string(comp.w) + "x" +
                                                      std::to_string(comp.h));
            }
        }
        const std::size_t width = info.bytes_per_sample();
        for (std::size_t c = 0; c < spp; ++c) {
            std::byte* dst = out.data() + c * width;
            const OPJ_INT32* plane = image->comps[c].data;
            switch (width) {
            case 1:
                store<std::uint8_t>(plane, pixels, dst, spp);
                break;
            case 2:
                store<std::uint16_t>(plane, pixels, dst, spp);
                break;
            default:
                store<std::uint32_t>(plane, pixels, dst, spp);
                break;
            }
        }
        report.colour = j2k::decoded_colour(l, info.photometric_interpretation);
        report.precision = l.max_precision;
        report.is_signed = l.is_signed;
        j2k::colour_warnings(l, info.photometric_interpretation, report.warnings);
        for (auto& w : m.warnings) {
            report.warnings.push_back(std::move(w));
        }
        return report;
    }
};

// ---- encoder ------------------------------------------------------------------------------------------

struct sink {
    std::vector<std::byte> bytes;
    std::size_t pos{0};
};

OPJ_SIZE_T write_sink(void* buffer, OPJ_SIZE_T n, void* user) {
    auto* s = static_cast<sink*>(user);
    if (s->pos + n > s->bytes.size()) {
        s->bytes.resize(s->pos + n);
    }
    std::memcpy(s->bytes.data() + s->pos, buffer, n);
    s->pos += n;
    return n;
}

OPJ_OFF_T skip_sink(OPJ_OFF_T n, void* user) {
    auto* s = static_cast<sink*>(user);
    if (n < 0 && static_cast<std::uint64_t>(-n) > s->pos) {
        return -1;
    }
    s->pos = static_cast<std::size_t>(static_cast<OPJ_OFF_T>(s->pos) + n);
    if (s->pos > s->bytes.size()) {
        s->bytes.resize(s->pos);
    }
    return n;
}

OPJ_BOOL seek_sink(OPJ_OFF_T offset, void* user) {
    auto* s = static_cast<sink*>(user);
    if (offset < 0) {
        return OPJ_FALSE;
    }
    s->pos = static_cast<std::size_t>(offset);
    if (s->pos > s->bytes.size()) {
        s->bytes.resize(s->pos);
    }
    return OPJ_TRUE;
}

template <class T>
void load_component(const std::byte* src, std::size_t count, std::size_t stride, OPJ_INT32* dst) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        T v;
        std::memcpy(&v, src + i * stride * sizeof(T), sizeof(T));
        dst[i] = static_cast<OPJ_INT32>(v);
    }
}

class openjpeg_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return backend_name; }

    result<void> can_encode(std::string_view uid, const frame_info& info,
                            const encode_options& options) const override {
        auto refuse = [](std::string why) {
            return failure(errc::cannot_encode, std::string(backend_name) + ": " + std::move(why));
        };
        if (uid != uids::jpeg_2000_lossless && uid != uids::jpeg_2000) {
            return refuse("encodes only JPEG 2000 (1.2.840.10008.1.2.4.90 and .91)");
        }
        if (info.element != pixel_data_element::integer || (info.bits_allocated != 8 && info.bits_allocated != 16)) {
            return refuse("encodes 8- and 16-bit integer samples only");
        }
        if (info.bits_stored == 0 || info.bits_stored > info.bits_allocated) {
            return refuse("Bits Stored " + std::to_string(info.bits_stored) + " does not fit Bits Allocated " +
                          std::to_string(info.bits_allocated));
        }
        if (info.samples_per_pixel != 1 && info.samples_per_pixel != 3) {
            return refuse("encodes 1 or 3 samples per pixel");
        }
        if (info.rows == 0 || info.columns == 0) {
            return refuse("empty frame");
        }
        if (!(options.quality == 0 || (std::isfinite(options.quality) && options.quality >= 1))) {
            return refuse("quality is a compression ratio >= 1 (or 0 for lossless)");
        }
        if (uid == uids::jpeg_2000_lossless && options.quality != 0) {
            return refuse("1.2.840.10008.1.2.4.90 is lossless only (quality must be 0)");
        }
        // PS3.5 §8.2.4 (and §8.2.14 for HTJ2K): PALETTE COLOR with the lossless syntaxes only; lossy coding of
        // the indices would change the colours.
        if (options.quality != 0 && info.photometric_interpretation == photometric::palette_color) {
            return refuse("lossy coding of PALETTE COLOR indices would change the colours");
        }
        return {};
    }

    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        DICOMPIX_TRY(const std::uint64_t frame_bytes, info.decoded_frame_bytes());
        if (samples.size() != frame_bytes) {
            return failure(errc::invalid_argument, std::string(backend_name) + ": " + std::to_string(samples.size()) +
                                                       " bytes of samples for a frame of " +
                                                       std::to_string(frame_bytes));
        }
        const bool lossy = options.quality != 0;
        const std::uint16_t spp = info.samples_per_pixel;
        // The RCT/ICT is defined on RGB (ISO/IEC 15444-1 G.2/G.3); YBR input is coded as it is.
        const bool mct = spp == 3 && options.colour_transform && info.photometric_interpretation == photometric::rgb;

        std::array<opj_image_cmptparm_t, 3> parms{};
        for (std::size_t c = 0; c < spp; ++c) {
            parms[c].dx = 1;
            parms[c].dy = 1;
            parms[c].w = info.columns;
            parms[c].h = info.rows;
            parms[c].prec = info.bits_stored;
            parms[c].sgnd = info.is_signed ? 1U : 0U;
        }
        image_ptr image(opj_image_create(spp, parms.data(), spp == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY));
        if (!image) {
            return failure(errc::codec_error, std::string(backend_name) + ": out of memory");
        }
        image->x0 = 0;
        image->y0 = 0;
        image->x1 = info.columns;
        image->y1 = info.rows;
        const std::size_t pixels = std::size_t{info.rows} * info.columns;
        for (std::size_t c = 0; c < spp; ++c) {
            const std::byte* src = samples.data() + c * info.bytes_per_sample();
            OPJ_INT32* dst = image->comps[c].data;
            switch (info.type()) {
            case sample_type::u8:
                load_component<std::uint8_t>(src, pixels, spp, dst);
                break;
            case sample_type::i8:
                load_component<std::int8_t>(src, pixels, spp, dst);
                break;
            case sample_type::u16:
                load_component<std::uint16_t>(src, pixels, spp, dst);
                break;
            default:
                load_component<std::int16_t>(src, pixels, spp, dst);
                break;
            }
        }

        opj_cparameters_t parameters;
        opj_set_default_encoder_parameters(&parameters);
        parameters.tcp_numlayers = 1;
        parameters.cp_disto_alloc = 1;
        // quality is a compression ratio against the samples at Bits Stored (OpenJPEG's -r); 0 = lossless.
        parameters.tcp_rates[0] = lossy ? static_cast<float>(options.quality) : 0.0F;
        parameters.irreversible = lossy ? 1 : 0;
        parameters.tcp_mct = mct ? 1 : 0;
        // Five decomposition levels (six resolutions), fewer for frames too small for them (ISO/IEC
        // 15444-1 B.5: each level halves the smaller side).
        const std::uint32_t smaller = std::min(info.rows, info.columns);
        int resolutions = 1;
        while (resolutions < 6 && (smaller >> resolutions) > 0) {
            ++resolutions;
        }
        parameters.numresolution = resolutions;

        messages m;
        codec_ptr codec(opj_create_compress(OPJ_CODEC_J2K));
        if (!codec) {
            return failure(errc::codec_error, std::string(backend_name) + ": out of memory");
        }
        set_handlers(codec.get(), m);
        if (opj_setup_encoder(codec.get(), &parameters, image.get()) == OPJ_FALSE) {
            return failure(backend_error(m, "encoder setup failed"));
        }
        opj_codec_set_threads(codec.get(), thread_count(options.threads));
        sink out;
        out.bytes.reserve(lossy ? static_cast<std::size_t>(static_cast<double>(frame_bytes) / options.quality) + 1024
                                : static_cast<std::size_t>(frame_bytes / 2 + 1024));
        stream_ptr stream(opj_stream_create(1U << 16, OPJ_FALSE));
        if (!stream) {
            return failure(errc::codec_error, std::string(backend_name) + ": out of memory");
        }
        opj_stream_set_user_data(stream.get(), &out, nullptr);
        opj_stream_set_write_function(stream.get(), write_sink);
        opj_stream_set_skip_function(stream.get(), skip_sink);
        opj_stream_set_seek_function(stream.get(), seek_sink);
        if (opj_start_compress(codec.get(), image.get(), stream.get()) == OPJ_FALSE ||
            opj_encode(codec.get(), stream.get()) == OPJ_FALSE ||
            opj_end_compress(codec.get(), stream.get()) == OPJ_FALSE) {
            return failure(backend_error(m, "encoding failed"));
        }
        stream.reset(); // flushes
        out.bytes.resize(out.pos);

        encoded_frame f;
        f.codestream = std::move(out.bytes);
        f.lossy = lossy;
        if (lossy) {
            f.method = "ISO_15444_1";
        }
        if (mct) {
            f.colour = lossy ? photometric::ybr_ict : photometric::ybr_rct;
        } else if (info.photometric_interpretation == photometric::ybr_full_422) {
            f.colour = photometric::ybr_full; // the frame's samples are full resolution
        } else {
            f.colour = info.photometric_interpretation;
        }
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_jpeg2000_openjpeg_decoder() {
    return std::make_shared<openjpeg_decoder>();
}
std::shared_ptr<const frame_encoder> make_jpeg2000_openjpeg_encoder() {
    return std::make_shared<openjpeg_encoder>();
}

} // namespace dicompix::codecs
