// SPDX-License-Identifier: BSD-3-Clause
// dicompix: pluggable frame codecs and their registry.
//
// A decoder turns the codestream of one encapsulated frame into samples; an encoder does the reverse.
// They see only frame_info and bytes (never the parser or the dataset). The registry is searched in
// order: codecs added by the caller first (the most recently added first), then the
// built-ins. A registry is immutable once in use, so lookups need no locks.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicompix/error.hpp"
#include "dicompix/frame_info.hpp"
#include "dicompix/options.hpp"

namespace dicompix {

/// What a codestream header says, read before any pixel is decoded (and before the output is allocated).
struct codestream_info {
    std::uint32_t rows{0};
    std::uint32_t columns{0};
    std::uint16_t components{0};
    std::uint16_t precision{0};       ///< bits per sample in the codestream
    bool is_signed{false};            ///< the codestream's own signedness (J2K SIZ); false where it has none
    photometric colour{photometric::unknown}; ///< colour space decode() will produce
};

/// What a decode produced, for the library to reconcile with the dataset.
struct decode_report {
    photometric colour{photometric::unknown}; ///< colour space of the samples written (e.g. RGB after YCbCr->RGB)
    std::uint16_t precision{0};               ///< bits per sample of the codestream
    bool is_signed{false};                    ///< the codestream's signedness
    std::vector<std::string> warnings;        ///< recoverable oddities (trailing bytes, ...)
};

struct decode_options {
    /// Transfer syntax of the frame (lets a decoder flag a process that does not belong to it).
    std::string_view transfer_syntax_uid;
    bool strict{false};
    const dicompix::limits* limits{nullptr}; ///< never null when called by the library
    std::uint32_t threads{1};                ///< threads the backend may use inside this frame
};

/// Decodes single frames of one or more transfer syntaxes.
///
/// Output contract (DESIGN.md): `out` has exactly info.decoded_frame_bytes() bytes; the decoder writes
/// rows x columns x samples_per_pixel samples of info.bytes_per_sample() bytes each, host-endian,
/// interleaved (Bits Allocated 1: one byte 0/1 per sample), with the codestream's sample values (the
/// library masks to Bits Stored and sign-extends afterwards). It must not write outside `out`, must
/// fail (never pad) on a truncated codestream, must catch its backend's exceptions/longjmps, and
/// must be safe to call concurrently from several threads.
class frame_decoder {
public:
    frame_decoder() = default;
    frame_decoder(const frame_decoder&) = delete;
    frame_decoder& operator=(const frame_decoder&) = delete;
    virtual ~frame_decoder() = default;

    /// Stable name reported with each frame, e.g. "rle", "jpeg-ls/charls", "jpeg2000/openjpeg".
    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    /// True when this decoder handles `transfer_syntax_uid` for frames described by `info`.
    [[nodiscard]] virtual bool can_decode(std::string_view transfer_syntax_uid, const frame_info& info) const noexcept = 0;
    /// Parses the codestream header only. Errors: codec_error, truncated_codestream.
    [[nodiscard]] virtual result<codestream_info> read_header(std::span<const std::byte> codestream,
                                                              const frame_info& info) const = 0;
    /// Decodes one frame into `out` (see the output contract). Errors: codec_error,
    /// truncated_codestream, codestream_mismatch (dimensions or components differ from info),
    /// limit_exceeded.
    [[nodiscard]] virtual result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                                       std::span<std::byte> out, const decode_options& options) const = 0;
};

/// Parameters of an encode.
struct encode_options {
    /// Per codec: JPEG baseline quality 1-100 (0: 90); JPEG 2000 / HTJ2K compression ratio (e.g. 10
    /// means 10:1; 0 = reversible / lossless, also for 4.91); JPEG-LS near-lossless NEAR (0: 2; 4.80
    /// ignores it); JPEG Lossless 4.57 predictor 1-7 (other values: the encoder picks the best for the
    /// frame; 4.70 always uses predictor 1).
    double quality{0};
    /// Use a colour transform (JPEG 2000 RCT/ICT; JPEG YCbCr) for 3-sample data where the syntax allows.
    bool colour_transform{true};
    std::uint32_t threads{1};
};

/// One encoded frame.
struct encoded_frame {
    std::vector<std::byte> codestream;        ///< not padded; the writer pads fragments to even length
    photometric colour{photometric::unknown}; ///< Photometric Interpretation the codestream holds (e.g. YBR_RCT)
    bool lossy{false};
    std::string method;                       ///< Lossy Image Compression Method (0028,2114) when lossy, e.g. "ISO_10918_1"
};

/// Encodes single frames into one transfer syntax.
class frame_encoder {
public:
    frame_encoder() = default;
    frame_encoder(const frame_encoder&) = delete;
    frame_encoder& operator=(const frame_encoder&) = delete;
    virtual ~frame_encoder() = default;

    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    /// Whether frames described by `info` can be encoded into `transfer_syntax_uid`; the error says why
    /// not (errc::cannot_encode: e.g. 16-bit into JPEG baseline, signed data the codec cannot carry).
    [[nodiscard]] virtual result<void> can_encode(std::string_view transfer_syntax_uid, const frame_info& info,
                                                  const encode_options& options) const = 0;
    /// Encodes one frame given as host-endian interleaved samples of info.type() (full resolution,
    /// normalised). Errors: cannot_encode, codec_error.
    [[nodiscard]] virtual result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info,
                                                       std::string_view transfer_syntax_uid,
                                                       const encode_options& options) const = 0;
};

/// An ordered collection of decoders and encoders.
class codec_registry {
public:
    /// An empty registry.
    codec_registry() = default;
    /// The built-in codecs compiled into this build (see src/codecs/builtin.cpp), immutable, shared.
    [[nodiscard]] static const codec_registry& builtin();
    /// A copy of the built-ins that the caller can extend before use.
    [[nodiscard]] static codec_registry with_builtins();

    /// Adds a decoder that is searched before every decoder already present (so a caller's decoder
    /// overrides the built-ins). Not thread-safe: add codecs before sharing the registry.
    void add_decoder(std::shared_ptr<const frame_decoder> decoder);
    /// Adds an encoder searched before every encoder already present.
    void add_encoder(std::shared_ptr<const frame_encoder> encoder);

    /// Decoders able to decode this transfer syntax and description, in search order.
    [[nodiscard]] std::vector<const frame_decoder*> decoders_for(std::string_view transfer_syntax_uid,
                                                                 const frame_info& info) const;
    /// Decoder by name, or nullptr.
    [[nodiscard]] const frame_decoder* decoder(std::string_view name) const noexcept;
    /// Encoders able to encode frames of this description into the transfer syntax.
    [[nodiscard]] std::vector<const frame_encoder*> encoders_for(std::string_view transfer_syntax_uid,
                                                                 const frame_info& info,
                                                                 const encode_options& options = {}) const;
    [[nodiscard]] const frame_encoder* encoder(std::string_view name) const noexcept;
    /// Whether any registered decoder handles the transfer syntax for some description.
    [[nodiscard]] std::span<const std::shared_ptr<const frame_decoder>> decoders() const noexcept { return decoders_; }
    [[nodiscard]] std::span<const std::shared_ptr<const frame_encoder>> encoders() const noexcept { return encoders_; }

private:
    std::vector<std::shared_ptr<const frame_decoder>> decoders_;
    std::vector<std::shared_ptr<const frame_encoder>> encoders_;
};

/// The built-in backends that would decode a transfer syntax, for error messages and `dicompix info`
/// (e.g. "jpeg2000/openjpeg (not built)"); empty when the library knows none.
[[nodiscard]] std::string known_decoders_for(std::string_view transfer_syntax_uid);

} // namespace dicompix
