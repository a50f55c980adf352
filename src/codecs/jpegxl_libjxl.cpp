// SPDX-License-Identifier: BSD-3-Clause
// JPEG XL (ISO/IEC 18181): JPEG XL Lossless (1.2.840.10008.1.2.4.110), JPEG XL JPEG Recompression
// (1.2.840.10008.1.2.4.111, decoded to pixels; the original JPEG is not reconstructed) and JPEG XL
// (1.2.840.10008.1.2.4.112), added to PS3.5 by Supplement 232; decoded with libjxl 0.7.
//
// libjxl 0.7 has no way to ask for samples at the codestream's bit depth: integer output is scaled to
// the full range of the output type. Samples of fewer bits (e.g. 12 in 16) are scaled back, which is
// exact because the scaling is injective and rounds to nearest.
#include <jxl/decode.h>
#include <jxl/decode_cxx.h>
#include <jxl/thread_parallel_runner.h>
#include <jxl/thread_parallel_runner_cxx.h>

#include <cstring>
#include <string>

#include "codecs/factories.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix::codecs {
namespace {

bool is_jpegxl(std::string_view uid) noexcept {
    return uid == uids::jpeg_xl_lossless || uid == uids::jpeg_xl_jpeg_recompression || uid == uids::jpeg_xl;
}

// The colour space of decoded samples: libjxl returns RGB for colour images whatever the codestream's
// internal transform (XYB, or YCbCr of a recompressed JPEG).
photometric colour_of(std::uint32_t channels, const frame_info& info) noexcept {
    if (channels == 3) {
        return photometric::rgb;
    }
    return info.photometric_interpretation == photometric::monochrome1 ? photometric::monochrome1
                                                                       : info.photometric_interpretation;
}

struct jxl_input {
    JxlDecoderPtr decoder;
    // Threads inside this frame; the runner lives for one call only, nothing is shared between calls.
    JxlThreadParallelRunnerPtr runner;
    JxlBasicInfo basic{};
};

// Creates a decoder over the whole codestream (input closed: there is no more) and runs it to the basic
// info. Errors: truncated_codestream, codec_error.
result<jxl_input> open(std::span<const std::byte> codestream, int events, std::uint32_t threads) {
    jxl_input in;
    if (codestream.empty()) {
        return failure(errc::truncated_codestream, "JPEG XL frame is empty");
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(codestream.data());
    if (JxlSignatureCheck(data, codestream.size()) == JXL_SIG_INVALID) {
        return failure(errc::codec_error, "not a JPEG XL codestream or container (bad signature)");
    }
    in.decoder = JxlDecoderMake(nullptr);
    if (!in.decoder) {
        return failure(errc::codec_error, "libjxl: cannot create a decoder");
    }
    JxlDecoder* dec = in.decoder.get();
    if (threads > 1) {
        in.runner = JxlThreadParallelRunnerMake(nullptr, threads);
        if (!in.runner || JxlDecoderSetParallelRunner(dec, JxlThreadParallelRunner, in.runner.get()) != JXL_DEC_SUCCESS) {
            return failure(errc::codec_error, "libjxl: cannot set up " + std::to_string(threads) + " threads");
        }
    }
    if (JxlDecoderSubscribeEvents(dec, events | JXL_DEC_BASIC_INFO) != JXL_DEC_SUCCESS ||
        JxlDecoderSetKeepOrientation(dec, JXL_TRUE) != JXL_DEC_SUCCESS ||
        JxlDecoderSetInput(dec, data, codestream.size()) != JXL_DEC_SUCCESS) {
        return failure(errc::codec_error, "libjxl: cannot set up the decoder");
    }
    JxlDecoderCloseInput(dec);
    for (;;) {
        const JxlDecoderStatus s = JxlDecoderProcessInput(dec);
        if (s == JXL_DEC_BASIC_INFO) {
            if (JxlDecoderGetBasicInfo(dec, &in.basic) != JXL_DEC_SUCCESS) {
                return failure(errc::codec_error, "libjxl: cannot read the basic info");
            }
            return in;
        }
        if (s == JXL_DEC_NEED_MORE_INPUT) {
            return failure(errc::truncated_codestream, "JPEG XL codestream ends inside its header");
        }
        if (s == JXL_DEC_ERROR || s == JXL_DEC_SUCCESS) {
            return failure(errc::codec_error, "JPEG XL header is corrupt");
        }
    }
}

std::string dims(std::uint32_t columns, std::uint32_t rows, std::uint32_t channels) {
    return std::to_string(columns) + "x" + std::to_string(rows) + "x" + std::to_string(channels);
}

// Rejects a codestream that cannot fill a frame of this description, before anything is allocated.
result<void> check_against(const JxlBasicInfo& b, const frame_info& info) {
    if (b.xsize != info.columns || b.ysize != info.rows || b.num_color_channels != info.samples_per_pixel) {
        return failure(errc::codestream_mismatch, "JPEG XL codestream is " +
                                                      dims(b.xsize, b.ysize, b.num_color_channels) +
                                                      ", the dataset says " +
                                                      dims(info.columns, info.rows, info.samples_per_pixel));
    }
    const bool float_stream = b.exponent_bits_per_sample > 0;
    if (info.element == pixel_data_element::integer) {
        if (float_stream) {
            return failure(errc::codestream_mismatch, "JPEG XL codestream holds floating-point samples, the "
                                                      "dataset integer ones");
        }
        if (b.bits_per_sample == 0 || b.bits_per_sample > info.bits_allocated) {
            return failure(errc::codestream_mismatch, "JPEG XL samples have " + std::to_string(b.bits_per_sample) +
                                                          " bits, Bits Allocated is " +
                                                          std::to_string(info.bits_allocated));
        }
    } else if (!float_stream) {
        return failure(errc::codestream_mismatch, "JPEG XL codestream holds integer samples, the dataset "
                                                  "floating-point ones");
    }
    return {};
}

class jpegxl_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "jpegxl/libjxl"; }
    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        if (!is_jpegxl(uid) || (info.samples_per_pixel != 1 && info.samples_per_pixel != 3)) {
            return false;
        }
        if (info.element == pixel_data_element::float32) {
            return info.bits_allocated == 32;
        }
        return info.element == pixel_data_element::integer &&
               (info.bits_allocated == 8 || info.bits_allocated == 16);
    }
    result<codestream_info> read_header(std::span<const std::byte> codestream, const frame_info& info) const override {
        DICOMPIX_TRY(const jxl_input in, open(codestream, 0, 1));
        const JxlBasicInfo& b = in.basic;
        return codestream_info{b.ysize, b.xsize, static_cast<std::uint16_t>(b.num_color_channels),
                               b.exponent_bits_per_sample > 0 ? std::uint16_t{0}
                                                              : static_cast<std::uint16_t>(b.bits_per_sample),
                               false, colour_of(b.num_color_channels, info)};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options& options) const override;
};

result<decode_report> jpegxl_decoder::decode(std::span<const std::byte> codestream, const frame_info& info,
                                             std::span<std::byte> out, const decode_options& options) const {
    DICOMPIX_TRY(const std::uint64_t frame_bytes, info.decoded_frame_bytes());
    if (out.size() != frame_bytes) {
        return failure(errc::invalid_argument, "JPEG XL output buffer has " + std::to_string(out.size()) +
                                                   " bytes, the frame needs " + std::to_string(frame_bytes));
    }
    if (options.limits != nullptr && frame_bytes > options.limits->max_frame_bytes) {
        return failure(errc::limit_exceeded, "JPEG XL frame of " + std::to_string(frame_bytes) +
                                                 " bytes exceeds max_frame_bytes");
    }
    DICOMPIX_TRY(jxl_input in, open(codestream, JXL_DEC_FULL_IMAGE, options.threads));
    const JxlBasicInfo& b = in.basic;
    DICOMPIX_TRY_VOID(check_against(b, info));
    JxlDecoder* dec = in.decoder.get();
    JxlPixelFormat format{};
    format.num_channels = info.samples_per_pixel;
    format.endianness = JXL_NATIVE_ENDIAN;
    format.align = 0;
    if (info.element != pixel_data_element::integer) {
        format.data_type = JXL_TYPE_FLOAT;
    } else {
        format.data_type = info.bits_allocated == 8 ? JXL_TYPE_UINT8 : JXL_TYPE_UINT16;
    }

    decode_report report;
    report.colour = colour_of(b.num_color_channels, info);
    report.precision = b.exponent_bits_per_sample > 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(b.bits_per_sample);
    if (b.orientation != JXL_ORIENT_IDENTITY) {
        report.warnings.emplace_back("JPEG XL orientation " + std::to_string(static_cast<int>(b.orientation)) +
                                     " ignored: samples are returned as stored");
    }
    if (b.have_animation != 0) {
        report.warnings.emplace_back("JPEG XL codestream is an animation: its first frame is decoded");
    }
    bool have_buffer = false;
    for (;;) {
        const JxlDecoderStatus s = JxlDecoderProcessInput(dec);
        if (s == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
            std::size_t size = 0;
            if (JxlDecoderImageOutBufferSize(dec, &format, &size) != JXL_DEC_SUCCESS || size != out.size()) {
                return failure(errc::codestream_mismatch, "libjxl wants " + std::to_string(size) +
                                                              " output bytes, the frame has " +
                                                              std::to_string(out.size()));
            }
            if (JxlDecoderSetImageOutBuffer(dec, &format, out.data(), out.size()) != JXL_DEC_SUCCESS) {
                return failure(errc::codec_error, "libjxl refused the output buffer");
            }
            have_buffer = true;
        } else if (s == JXL_DEC_FULL_IMAGE) {
            if (!have_buffer) {
                return failure(errc::codec_error, "JPEG XL frame has no image");
            }
            break; // the first frame is the DICOM frame
        } else if (s == JXL_DEC_NEED_MORE_INPUT) {
            return failure(errc::truncated_codestream, "JPEG XL codestream ends before the frame is complete");
        } else if (s == JXL_DEC_ERROR) {
            return failure(errc::codec_error, "JPEG XL codestream is corrupt");
        } else if (s == JXL_DEC_SUCCESS) {
            return failure(errc::codec_error, "JPEG XL codestream holds no frame");
        }
        // Other events were not subscribed; JXL_DEC_BASIC_INFO was consumed by open().
    }

    // Integer output is scaled to the full range of its type; bring it back to bits_per_sample.
    if (format.data_type != JXL_TYPE_FLOAT) {
        const std::uint32_t bits = b.bits_per_sample;
        if (format.data_type == JXL_TYPE_UINT8 && bits < 8) {
            const std::uint32_t max = (1U << bits) - 1;
            for (auto& v : out) {
                v = static_cast<std::byte>((std::to_integer<std::uint32_t>(v) * max + 127U) / 255U);
            }
        } else if (format.data_type == JXL_TYPE_UINT16 && bits < 16) {
            const std::uint32_t max = (1U << bits) - 1;
            for (std::size_t i = 0; i + 1 < out.size(); i += 2) {
                std::uint16_t v = 0;
                std::memcpy(&v, out.data() + i, 2);
                v = static_cast<std::uint16_t>((std::uint32_t{v} * max + 32767U) / 65535U);
                std::memcpy(out.data() + i, &v, 2);
            }
        }
    }
    return report;
}

} // namespace

std::shared_ptr<const frame_decoder> make_jpegxl_decoder() {
    return std::make_shared<jpegxl_decoder>();
}

} // namespace dicompix::codecs
