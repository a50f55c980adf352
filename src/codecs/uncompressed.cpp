// SPDX-License-Identifier: BSD-3-Clause
// Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98, PS3.5 §A.4.11): each
// frame's native little-endian bytes in its own fragment(s).
#include <algorithm>
#include <bit>
#include <cstring>

#include "codecs/factories.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "pixel/unpack.hpp"

namespace dicompix::codecs {
namespace {

result<std::uint64_t> native_bytes(const frame_info& info) {
    DICOMPIX_TRY(const std::uint64_t bits, info.native_frame_bits());
    return (bits + 7) / 8;
}

class uncompressed_decoder final : public frame_decoder {
public:
    std::string_view name() const noexcept override { return "uncompressed"; }
    bool can_decode(std::string_view uid, const frame_info&) const noexcept override {
        return uid == uids::encapsulated_uncompressed;
    }
    result<codestream_info> read_header(std::span<const std::byte>, const frame_info& info) const override {
        return codestream_info{info.rows, info.columns, info.samples_per_pixel, 0, info.is_signed,
                               info.photometric_interpretation == photometric::ybr_full_422
                                   ? photometric::ybr_full
                                   : info.photometric_interpretation};
    }
    result<decode_report> decode(std::span<const std::byte> codestream, const frame_info& info,
                                 std::span<std::byte> out, const decode_options&) const override {
        DICOMPIX_TRY(const std::uint64_t need, native_bytes(info));
        if (codestream.size() < need) {
            return failure(errc::truncated_codestream, "uncompressed frame has " + std::to_string(codestream.size()) +
                                                           " bytes, needs " + std::to_string(need));
        }
        detail::unpack_native(codestream, 0, info, false, out);
        decode_report report;
        report.colour = info.photometric_interpretation == photometric::ybr_full_422 ? photometric::ybr_full
                                                                                     : info.photometric_interpretation;
        report.precision = info.bits_stored;
        if (codestream.size() > need + 1) {
            report.warnings.push_back(std::to_string(codestream.size() - need) + " bytes after the frame ignored");
        }
        return report;
    }
};

class uncompressed_encoder final : public frame_encoder {
public:
    std::string_view name() const noexcept override { return "uncompressed"; }
    result<void> can_encode(std::string_view uid, const frame_info& info, const encode_options&) const override {
        if (uid != uids::encapsulated_uncompressed) {
            return failure(errc::cannot_encode, "uncompressed encodes only " + std::string(uids::encapsulated_uncompressed));
        }
        if (info.photometric_interpretation == photometric::ybr_full_422 || info.bits_allocated == 1) {
            return failure(errc::cannot_encode,
                           "encapsulated uncompressed frames are written from full-resolution samples of 8 bits or more");
        }
        return {};
    }
    result<encoded_frame> encode(std::span<const std::byte> samples, const frame_info& info, std::string_view uid,
                                 const encode_options& options) const override {
        DICOMPIX_TRY_VOID(can_encode(uid, info, options));
        encoded_frame f;
        f.codestream.assign(samples.begin(), samples.end());
        if constexpr (std::endian::native == std::endian::big) {
            const std::size_t w = info.bytes_per_sample();
            for (std::size_t i = 0; w > 1 && i + w <= f.codestream.size(); i += w) {
                std::reverse(f.codestream.begin() + static_cast<std::ptrdiff_t>(i),
                             f.codestream.begin() + static_cast<std::ptrdiff_t>(i + w));
            }
        }
        f.colour = info.photometric_interpretation;
        return f;
    }
};

} // namespace

std::shared_ptr<const frame_decoder> make_uncompressed_decoder() {
    return std::make_shared<uncompressed_decoder>();
}
std::shared_ptr<const frame_encoder> make_uncompressed_encoder() {
    return std::make_shared<uncompressed_encoder>();
}

} // namespace dicompix::codecs
