// SPDX-License-Identifier: BSD-3-Clause
// HTJ2K through OpenJPH 0.9: decodes High-Throughput JPEG 2000 (Lossless Only) 1.2.840.10008.1.2.4.201,
// HTJ2K with RPCL Options (Lossless Only) 1.2.840.10008.1.2.4.202 and HTJ2K 1.2.840.10008.1.2.4.203
// (PS3.5 §A.4.10, §10.18; ISO/IEC 15444-15); encodes 4.201, 4.202 and 4.203.
//
// OpenJPH 0.9 decodes truncated codestreams silently and aborts on some malformed headers (asserts), so
// read_header() accepts only what it decodes correctly: an HTJ2K codestream whose main and tile-part
// headers are checked here (j2k_codestream.hpp), with one quality layer, no COC/QCC/POC/RGN/PPM/CRG or
// other-part markers, zero image and tile offsets, a TLM (if any) that matches the tile-parts, and no
// more decomposition levels than its decoder reconstructs correctly, and packet headers that its parser
// reads without tripping its asserts (j2k_packets.hpp walks them all). Everything else fails read_header()
// so that the library hands the frame to the next decoder (jpeg2000/openjpeg), which decodes HTJ2K too.
//
// OpenJPH reports errors by printing to a FILE* and throwing std::runtime_error("ojph error"); its
// handler objects cannot be replaced in 0.9 (configure_error() is a no-op there). So that a library never
// writes to the host's stdout/stderr and errors carry their text, the message streams are pointed once
// (thread-safe function-local static) at an unbuffered glibc cookie stream that appends to a
// thread_local buffer of the calling thread. This is OpenJPH's process-wide state, not ours: a host that
// sets OpenJPH's streams itself afterwards only changes where the text goes; errors still throw. The
// error stream is never set to null: OpenJPH 0.9 then returns from its error handler instead of throwing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_defs.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
#pragma GCC diagnostic pop

#include "codecs/factories.hpp"
#include "codecs/j2k_codestream.hpp"
#include "codecs/j2k_packets.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

constexpr std::string_view backend_name = "htj2k/openjph";

bool is_htj2k_syntax(std::string_view uid) noexcept {
    return uid == uids::htj2k_lossless || uid == uids::htj2k_rpcl_lossless || uid == uids::htj2k;
}

// ---- OpenJPH's messages -------------------------------------------------------------------------------

thread_local std::string* message_sink = nullptr;

#if defined(__GLIBC__)
ssize_t write_message(void*, const char* text, std::size_t size) {
    if (message_sink != nullptr && message_sink->size() < 4096) {
        message_sink->append(text, std::min<std::size_t>(size, 4096 - message_sink->size()));
    }
    return static_cast<ssize_t>(size);
}
#endif

void route_messages() {
    static const bool routed = [] {
#if defined(__GLIBC__)
        cookie_io_functions_t io{};
        io.write = write_message;
        if (FILE* f = fopencookie(nullptr, "w", io); f != nullptr) {
            std::setvbuf(f, nullptr, _IONBF, 0); // each message is written on the calling thread
            ojph::set_error_stream(f);
            ojph::set_warning_stream(f);
            ojph::set_info_stream(f);
            return true;
        }
#endif
        ojph::set_warning_stream(nullptr); // stdout by default
        ojph::set_info_stream(nullptr);
        return false;
    }();
    static_cast<void>(routed);
}

/// Collects what OpenJPH prints while it runs on this thread.
class capture {
public:
    capture() : previous_(message_sink) {
        route_messages();
        message_sink = &text_;
    }
    capture(const capture&) = delete;
    capture& operator=(const capture&) = delete;
    ~capture() { message_sink = previous_; }

    /// "ojph error 0x... at file:line: text" -> "text" (first line).
    [[nodiscard]] std::string message(std::string_view fallback) const {
        std::string_view s = text_;
        if (const auto at = s.find(" at "); at != std::string_view::npos) {
            if (const auto colon = s.find(": ", at); colon != std::string_view::npos) {
                s.remove_prefix(colon + 2);
            }
        }
        s = s.substr(0, s.find('\n'));
        return s.empty() ? std::string(fallback) : std::string(s);
    }

private:
    std::string text_;
    std::string* previous_;
};

// ---- what OpenJPH 0.9 decodes correctly ---------------------------------------------------------------

unsigned ceil_log2(std::uint64_t v) noexcept {
    unsigned n = 0;
    while ((std::uint64_t{1} << n) < v) {
        ++n;
    }
    return n;
}

/// Largest tile side handed to OpenJPH (see unsupported()).
constexpr std::uint32_t max_openjph_tile_side = std::uint32_t{1} << 24;

/// Why OpenJPH 0.9 should not decode this codestream, or empty.
std::string unsupported(const j2k::layout& l) {
    if (!l.ht) {
        return "not an HTJ2K codestream (Rsiz bit 14 / CAP Part 15 capability absent)";
    }
    if ((l.main_markers & (j2k::has_coc | j2k::has_qcc | j2k::has_rgn | j2k::has_poc | j2k::has_ppm | j2k::has_crg |
                           j2k::has_other)) != 0) {
        return "main header uses COC/QCC/RGN/POC/PPM/CRG or markers of other parts";
    }
    if (!l.simple_tile_headers) {
        return "tile-part headers carry coding parameters";
    }
    if (!l.tlm_consistent) {
        return "TLM marker does not match the tile-parts";
    }
    if (l.x_offset != 0 || l.y_offset != 0 || l.tile_x_offset != 0 || l.tile_y_offset != 0) {
        return "image or tile offsets are not zero";
    }
    // OpenJPH 0.9 holds tile sizes in signed 32-bit integers: a YTsiz of 0xFFFFFF00 made it dereference a
    // null tile-component (fuzz finding 2aca45e6). Frames are at most 65535 wide, so larger tiles are
    // only ever "the whole image"; OpenJPEG takes them.
    if (l.tile_width > max_openjph_tile_side || l.tile_height > max_openjph_tile_side) {
        return "tile size " + std::to_string(l.tile_width) + "x" + std::to_string(l.tile_height) +
               " beyond what OpenJPH's 32-bit arithmetic holds";
    }
    if (l.layers != 1 || (l.cblk_style & 0x40U) == 0 || (l.cblk_style & 0x80U) != 0) {
        return "more than one quality layer or code-blocks that are not all HT";
    }
    if (l.components != 1 && l.components != 3) {
        return std::to_string(l.components) + " components";
    }
    if (!l.uniform || l.max_precision > 16) {
        return "components of different or more than 16-bit precision";
    }
    if ((l.transform == 1) != (l.quantisation_style == 0) || (l.transform == 0 && l.quantisation_style != 2)) {
        return "quantisation style " + std::to_string(l.quantisation_style) + " with the " +
               (l.transform == 1 ? "5/3" : "9/7") + " wavelet";
    }
    // OpenJPH 0.9 reconstructs wrongly when the decomposition levels exceed ceil(log2) of the larger
    // side of the smallest tile (measured); such codestreams go to OpenJPEG.
    const std::uint64_t last_w = l.width - (l.tiles_x - 1) * std::uint64_t{l.tile_width};
    const std::uint64_t last_h = l.height - (l.tiles_y - 1) * std::uint64_t{l.tile_height};
    const std::uint64_t smallest =
        std::max(std::min<std::uint64_t>(l.tile_width, last_w), std::min<std::uint64_t>(l.tile_height, last_h));
    if (smallest > 1 && l.levels > ceil_log2(smallest)) {
        return std::to_string(l.levels) + " decomposition levels for a " + std::to_string(smallest) + "-sample tile";
    }
    return {};
}

template <class T, std::size_t Stride>
void store_line(const ojph::si32* src, std::size_t count, std::byte* dst, ojph::si32 lo, ojph::si32 hi) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        // Clamped to the codestream's range (the 9/7 path can overshoot it); two's complement for signed.
        // Selects on values, not std::clamp's references, so that GCC vectorises the loop.
        ojph::si32 c = src[i];
        c = c < lo ? lo : c;
        c = c > hi ? hi : c;
        const auto v = static_cast<T>(static_cast<std::uint32_t>(c));
        std::memcpy(dst + i * Stride * sizeof(T), &v, sizeof(T));
    }
}

template <class T>
void store(const ojph::si32* src, std::size_t count, std::byte* dst, std::size_t stride, ojph::si32 lo,
           ojph::si32 hi) noexcept {
    if (stride == 1) {
        store_line<T, 1>(src, count, dst, lo, hi);
    } else {
        store_line<T, 3>(src, count, dst, lo, hi);
    }
}

class openjph_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return backend_name; }

    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return is_htj2k_syntax(uid) && info.element == pixel_data_element::integer &&
               (info.bits_allocated == 1 || info.bits_allocated == 8 || info.bits_allocated == 16) &&
               (info.samples_per_pixel == 1 || info.samples_per_pixel == 3);
    }

    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        DICOMPIX_TRY(const j2k::layout l, j2k::parse(codestream));
        DICOMPIX_TRY_VOID(supported(l, info));
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
        DICOMPIX_TRY_VOID(supported(l, info));
        if (options.limits != nullptr && frame_bytes > options.limits->max_frame_bytes) {
            return failure(errc::limit_exceeded, std::string(backend_name) + ": frame of " +
                                                     std::to_string(frame_bytes) + " bytes exceeds the limit");
        }
        decode_report report;
        // OpenJPH decodes whatever bytes it gets: only codestreams proven complete are accepted.
        DICOMPIX_TRY(const j2k::stream_pieces pieces,
                     j2k::select_stream(l, options.strict, true, backend_name, report.warnings));
        // The first piece holds all tile-parts (a missing EOC is not needed by OpenJPH).
        const std::span<const std::byte> bytes = pieces.parts[0];

        const std::size_t width = info.bytes_per_sample();
        const std::size_t spp = info.samples_per_pixel;
        const std::size_t row_bytes = std::size_t{info.columns} * spp * width;
        const std::uint16_t precision = l.precision;
        const ojph::si32 lo = l.is_signed ? -(ojph::si32{1} << (precision - 1)) : 0;
        const ojph::si32 hi = l.is_signed ? (ojph::si32{1} << (precision - 1)) - 1
                                          : static_cast<ojph::si32>((std::int64_t{1} << precision) - 1);
        capture messages;
        try {
            ojph::mem_infile file;
            file.open(reinterpret_cast<const ojph::ui8*>(bytes.data()), bytes.size());
            ojph::codestream cs;
            cs.read_headers(&file);
            ojph::param_siz siz = cs.access_siz();
            if (siz.get_num_components() != spp || siz.get_image_extent().x != info.columns ||
                siz.get_image_extent().y != info.rows) {
                return failure(errc::codec_error, std::string(backend_name) + ": OpenJPH read a different header");
            }
            cs.set_planar(false);
            cs.create();
            std::array<std::uint32_t, 3> next_row{};
            for (std::size_t row = 0; row < info.rows; ++row) {
                for (std::size_t c = 0; c < spp; ++c) {
                    ojph::ui32 component = 0;
                    const ojph::line_buf* line = cs.pull(component);
                    if (line == nullptr || component >= spp || next_row[component] >= info.rows ||
                        line->size < info.columns) {
                        return failure(errc::codec_error, std::string(backend_name) + ": unexpected line from OpenJPH");
                    }
                    std::byte* dst = out.data() + next_row[component] * row_bytes + component * width;
                    ++next_row[component];
                    switch (width) {
                    case 1:
                        store<std::uint8_t>(line->i32, info.columns, dst, spp, lo, hi);
                        break;
                    default:
                        store<std::uint16_t>(line->i32, info.columns, dst, spp, lo, hi);
                        break;
                    }
                }
            }
            cs.close();
        } catch (const std::bad_alloc&) {
            return failure(errc::codec_error, std::string(backend_name) + ": out of memory");
        } catch (const std::exception& e) {
            return failure(errc::codec_error, std::string(backend_name) + ": " + messages.message(e.what()));
        }
        report.colour = j2k::decoded_colour(l, info.photometric_interpretation);
        report.precision = l.max_precision;
        report.is_signed = l.is_signed;
        j2k::colour_warnings(l, info.photometric_interpretation, report.warnings);
        return report;
    }

private:
    /// Whether OpenJPH may decode this codestream for this frame: the header checks, the frame checks
    /// (which also bound the packet walk's memory by the frame size), then every packet header
    /// (j2k_packets.hpp). A failure in read_header() sends the frame to OpenJPEG.
    static result<void> supported(const j2k::layout& l, const frame_info& info) {
        if (l.end == j2k::ending::truncated) {
            return failure(errc::truncated_codestream, std::string(backend_name) + ": " + l.problem);
        }
        if (const std::string why = unsupported(l); !why.empty()) {
            return failure(errc::codec_error, std::string(backend_name) + ": " + why);
        }
        if (l.end == j2k::ending::unparseable || l.end == j2k::ending::missing_eoc_unverified) {
            return failure(errc::codec_error, std::string(backend_name) + ": " + l.problem);
        }
        DICOMPIX_TRY_VOID(j2k::check_frame(l, info, backend_name));
        if (const std::string why = j2k::check_ht_packet_headers(l); !why.empty()) {
            return failure(errc::codec_error, std::string(backend_name) + ": " + why);
        }
        return {};
    }
};

// ---- encoder ------------------------------------------------------------------------------------------

/// PS3.5 §10.18 (4.202): a TLM marker segment must be present. OpenJPH 0.9 writes none, so one is
/// inserted at the end of the main header: Ztlm 0, Stlm 0x60 (16-bit Ttlm, 32-bit Ptlm), one entry per
/// tile-part (ISO/IEC 15444-1 A.7.1). Psot values are unchanged (they do not count the main header).
result<std::vector<std::byte>> with_tlm(std::span<const std::byte> codestream) {
    DICOMPIX_TRY(const j2k::layout l, j2k::parse(codestream));
    if (l.end != j2k::ending::eoc || (l.main_markers & j2k::has_tlm) != 0) {
        return failure(errc::codec_error, std::string(backend_name) + ": unexpected encoder output");
    }
    std::vector<std::pair<std::uint16_t, std::uint32_t>> parts;
    for (std::size_t p = static_cast<std::size_t>(l.first_tile_part); p + 12 <= codestream.size();) {
        if (j2k::detail::be16(codestream, p) != j2k::marker::sot) {
            break;
        }
        const std::uint32_t psot = j2k::detail::be32(codestream, p + 6);
        parts.emplace_back(j2k::detail::be16(codestream, p + 4), psot);
        if (psot == 0) {
            return failure(errc::codec_error, std::string(backend_name) + ": encoder wrote Psot 0");
        }
        p += psot;
    }
    if (parts.empty() || parts.size() > (65535 - 4) / 6) {
        return failure(errc::codec_error, std::string(backend_name) + ": cannot build a TLM marker for " +
                                              std::to_string(parts.size()) + " tile-parts");
    }
    std::vector<std::byte> out;
    out.reserve(codestream.size() + 6 + parts.size() * 6);
    const auto main = codestream.first(static_cast<std::size_t>(l.first_tile_part));
    out.insert(out.end(), main.begin(), main.end());
    auto put = [&](std::uint64_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) {
            out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xFFU));
        }
    };
    put(j2k::marker::tlm, 2);
    put(4 + 6 * parts.size(), 2);
    put(0, 1);    // Ztlm
    put(0x60, 1); // Stlm: ST = 2, SP = 1
    for (const auto& [tile, length] : parts) {
        put(tile, 2);
        put(length, 4);
    }
    const auto rest = codestream.subspan(static_cast<std::size_t>(l.first_tile_part));
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

struct encode_plan {
    std::uint32_t levels{5};
    bool reversible{true};
    float qstep{0};
    bool colour_transform{false};
};

template <class T>
void load_line(const std::byte* src, std::size_t count, std::size_t stride, ojph::si32* dst) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        T v;
        std::memcpy(&v, src + i * stride * sizeof(T), sizeof(T));
        dst[i] = static_cast<ojph::si32>(v);
    }
}

result<std::vector<std::byte>> encode_once(std::span<const std::byte> samples, const frame_info& info,
                                           const encode_plan& plan) {
    capture messages;
    try {
        ojph::codestream cs;
        ojph::param_siz siz = cs.access_siz();
        siz.set_image_extent(ojph::point(info.columns, info.rows));
        siz.set_num_components(info.samples_per_pixel);
        for (ojph::ui32 c = 0; c < info.samples_per_pixel; ++c) {
            siz.set_component(c, ojph::point(1, 1), info.bits_stored, info.is_signed);
        }
        siz.set_image_offset(ojph::point(0, 0));
        siz.set_tile_size(ojph::size(info.columns, info.rows));
        siz.set_tile_offset(ojph::point(0, 0));
        ojph::param_cod cod = cs.access_cod();
        cod.set_num_decomposition(plan.levels);
        cod.set_block_dims(64, 64);
        cod.set_progression_order("RPCL");
        cod.set_color_transform(plan.colour_transform);
        cod.set_reversible(plan.reversible);
        if (!plan.reversible) {
            cs.access_qcd().set_irrev_quant(plan.qstep);
        }
        cs.set_planar(false);
        ojph::mem_outfile file;
        file.open(std::max<std::size_t>(samples.size() / 2, 65536));
        cs.write_headers(&file);
        const std::size_t spp = info.samples_per_pixel;
        const std::size_t width = info.bytes_per_sample();
        const std::size_t row_bytes = std::size_t{info.columns} * spp * width;
        ojph::ui32 component = 0;
        ojph::line_buf* line = cs.exchange(nullptr, component);
        for (std::size_t row = 0; row < info.rows; ++row) {
            for (std::size_t c = 0; c < spp; ++c) {
                if (line == nullptr || component >= spp) {
                    return failure(errc::codec_error, std::string(backend_name) + ": unexpected line request");
                }
                const std::byte* src = samples.data() + row * row_bytes + component * width;
                switch (info.type()) {
                case sample_type::u8:
                    load_line<std::uint8_t>(src, info.columns, spp, line->i32);
                    break;
                case sample_type::i8:
                    load_line<std::int8_t>(src, info.columns, spp, line->i32);
                    break;
                case sample_type::u16:
                    load_line<std::uint16_t>(src, info.columns, spp, line->i32);
                    break;
                default:
                    load_line<std::int16_t>(src, info.columns, spp, line->i32);
                    break;
                }
                line = cs.exchange(line, component);
            }
        }
        cs.flush();
        const auto* data = reinterpret_cast<const std::byte*>(file.get_data());
        std::vector<std::byte> out(data, data + file.tell());
        cs.close();
        return out;
    } catch (const std::bad_alloc&) {
        return failure(errc::codec_error, std::string(backend_name) + ": out of memory");
    } catch (const std::exception& e) {
        return failure(errc::codec_error, std::string(backend_name) + ": " + messages.message(e.what()));
    }
}

class openjph_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return backend_name; }

    result<void> can_encode(std::string_view uid, const frame_info& info,
                            const encode_options& options) const override {
        auto refuse = [](std::string why) {
            return failure(errc::cannot_encode, std::string(backend_name) + ": " + std::move(why));
        };
        if (!is_htj2k_syntax(uid)) {
            return refuse("encodes only HTJ2K (1.2.840.10008.1.2.4.201, .202, .203)");
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
        if (uid != uids::htj2k && options.quality != 0) {
            return refuse(std::string(uid) + " is lossless only (quality must be 0)");
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
        encode_plan plan;
        plan.reversible = !lossy;
        // The RCT/ICT is defined on RGB (ISO/IEC 15444-1 G.2/G.3); YBR input is coded as it is.
        plan.colour_transform = info.samples_per_pixel == 3 && options.colour_transform &&
                                info.photometric_interpretation == photometric::rgb;
        // Five levels as OpenJPH's default; 4.202 needs the lowest resolution <= 64 samples on each side
        // (PS3.5 §10.18). Never more than ceil(log2) of the larger side: OpenJPH 0.9 decodes such
        // codestreams wrongly.
        const std::uint32_t larger = std::max(info.rows, info.columns);
        plan.levels = std::max<std::uint32_t>(5, uid == uids::htj2k_rpcl_lossless ? ceil_log2((larger + 63) / 64) : 0);
        plan.levels = std::min<std::uint32_t>(plan.levels, ceil_log2(larger));

        std::vector<std::byte> codestream;
        if (!lossy) {
            DICOMPIX_TRY(codestream, encode_once(samples, info, plan));
        } else {
            // OpenJPH sets the quantisation step, not a rate: search the step (log scale) for the
            // finest quantisation whose codestream meets the ratio (quality) asked for.
            const double target = static_cast<double>(info.rows) * info.columns * info.samples_per_pixel *
                                  info.bits_stored / 8.0 / options.quality;
            double lo = std::log2(1e-5);
            double hi = std::log2(0.5);
            std::vector<std::byte> best;
            for (int i = 0; i < 9; ++i) {
                const double mid = i == 0 ? hi : (lo + hi) / 2;
                plan.qstep = static_cast<float>(std::exp2(mid));
                DICOMPIX_TRY(std::vector<std::byte> attempt, encode_once(samples, info, plan));
                if (static_cast<double>(attempt.size()) <= target || best.empty()) {
                    best = std::move(attempt);
                    if (i == 0 && static_cast<double>(best.size()) > target) {
                        break; // even the coarsest step is too big: keep it
                    }
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            codestream = std::move(best);
        }
        if (uid == uids::htj2k_rpcl_lossless) {
            DICOMPIX_TRY(codestream, with_tlm(codestream));
        }
        encoded_frame f;
        f.codestream = std::move(codestream);
        f.lossy = lossy;
        if (lossy) {
            f.method = "ISO_15444_15";
        }
        if (plan.colour_transform) {
            f.colour = lossy ? photometric::ybr_ict : photometric::ybr_rct;
        } else if (info.photometric_interpretation == photometric::ybr_full_422) {
            f.colour = photometric::ybr_full;
        } else {
            f.colour = info.photometric_interpretation;
        }
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_htj2k_openjph_decoder() {
    return std::make_shared<openjph_decoder>();
}
std::shared_ptr<const frame_encoder> make_htj2k_openjph_encoder() {
    return std::make_shared<openjph_encoder>();
}

} // namespace dicompix::codecs
