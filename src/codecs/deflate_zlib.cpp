// SPDX-License-Identifier: BSD-3-Clause
// Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 §A.4.12 / §8.2.16): each frame is the
// raw deflate (RFC 1951) of its native little-endian bytes. Inflation is bounded by the frame size.
#include "codecs/factories.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "parser/inflate.hpp"
#include "pixel/unpack.hpp"

namespace dicompix::codecs {
namespace {

class deflate_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "deflate/zlib"; }
    bool can_decode(std::string_view uid, const frame_info&) const noexcept override {
        return uid == uids::deflated_image_frame;
    }
    result<codestream_info> read_header(std::span<const std::byte>, const frame_info& info) const override {
        return codestream_info{info.rows, info.columns, info.samples_per_pixel, 0, info.is_signed,
                               info.photometric_interpretation};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options&) const override {
        DICOMPIX_TRY(const std::uint64_t bits, info.native_frame_bits());
        const std::uint64_t need = (bits + 7) / 8;
        // One pad byte may follow the frame; anything more is a bomb or garbage.
        auto inflated = detail::inflate_bounded(codestream, need + 1, detail::deflate_format::automatic);
        if (!inflated) {
            auto e = std::move(inflated).error();
            if (e.code == errc::limit_exceeded) {
                e.code = errc::codestream_mismatch;
                e.message = "deflated frame inflates to more than the " + std::to_string(need) + " bytes of a frame";
            }
            return failure(std::move(e));
        }
        if (inflated->bytes.size() < need) {
            return failure(errc::truncated_codestream, "deflated frame inflates to " +
                                                           std::to_string(inflated->bytes.size()) + " bytes, needs " +
                                                           std::to_string(need));
        }
        detail::unpack_native(inflated->bytes, 0, info, false, out);
        decode_report report;
        report.colour = info.photometric_interpretation;
        report.precision = info.bits_stored;
        if (inflated->used_wrapper) {
            report.warnings.emplace_back("deflated frame has a zlib/gzip wrapper");
        }
        return report;
    }
};

class deflate_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return "deflate/zlib"; }
    result<void> can_encode(std::string_view uid, const frame_info& info, const encode_options&) const override {
        if (uid != uids::deflated_image_frame) {
            return failure(errc::cannot_encode, "deflate encodes only " + std::string(uids::deflated_image_frame));
        }
        if (info.photometric_interpretation == photometric::ybr_full_422) {
            return failure(errc::cannot_encode, "deflated frames are written from full-resolution samples");
        }
        return {};
    }
    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        std::vector<std::byte> native;
        std::span<const std::byte> input = samples;
        if (info.bits_allocated == 1) {
            // Repack one byte per pixel into bits, least significant first (PS3.5 Annex D).
            native.assign((samples.size() + 7) / 8, std::byte{0});
            for (std::size_t i = 0; i < samples.size(); ++i) {
                if (samples[i] != std::byte{0}) {
                    native[i / 8] |= static_cast<std::byte>(1U << (i % 8));
                }
            }
            input = native;
        }
        DICOMPIX_TRY(std::vector<std::byte> deflated, detail::deflate_raw(input, 6));
        encoded_frame f;
        f.codestream = std::move(deflated);
        f.colour = info.photometric_interpretation;
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_deflate_decoder() {
    return std::make_shared<deflate_decoder>();
}
std::shared_ptr<const frame_encoder> make_deflate_encoder() {
    return std::make_shared<deflate_encoder>();
}

} // namespace dicompix::codecs
