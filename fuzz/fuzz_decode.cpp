// SPDX-License-Identifier: BSD-3-Clause
// fuzz_decode_<codec>: one frame_decoder fed raw codestreams, skipping the DICOM parser (style.md §3.9:
// the fastest way to find codec-adapter bugs). Built once per decoder: DICOMPIX_FUZZ_CODEC selects a row
// of fuzz::codecs in fuzz_codecs.hpp (the decoder's registry name and the transfer syntaxes it is asked to decode).
//
// Input: codestream + an 8-byte trailer that describes the frame the "dataset" claims
// (make_seeds.cpp writes it for codestreams taken from real files):
//   t[0]  bit 0 strict; bit 1 Pixel Representation 1; bit 2 Planar Configuration 1; bit 3 take rows,
//         columns, components and precision from read_header (a consistent dataset, so the decode
//         path itself is exercised); bits 4-7 which of the codec's transfer syntaxes
//   t[1]  rows - 1, low byte;  t[2] high byte      (1..65536 clamped to 65535)
//   t[3]  columns - 1, low;    t[4] high
//   t[5]  bits 0-1 Samples per Pixel {1, 3, 4, 1}; bits 2-5 photometric interpretation among those
//         valid for it
//   t[6]  bits 0-2 Bits Allocated {8, 16, 1, 32, 8, 16, 64, 16}
//   t[7]  Bits Stored - 1 (clamped to Bits Allocated)
// Only descriptions describe_pixels() could produce are made (decoders may rely on the library's
// validation). The output buffer is exactly info.decoded_frame_bytes() bytes, heap-allocated, so ASan
// sees any write past it (GDCM PR #235: decoded size != allocated size).
#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "fuzz_codecs.hpp"
#include "fuzz_common.hpp"

#ifndef DICOMPIX_FUZZ_CODEC
#error "define DICOMPIX_FUZZ_CODEC: an index into fuzz::codecs (fuzz_codecs.hpp)"
#endif

namespace {

using namespace dicompix;

constexpr fuzz::codec_target codec = fuzz::codecs[DICOMPIX_FUZZ_CODEC];
constexpr std::size_t uid_count = codec.uid_count();

/// Makes `info` self-consistent the way describe_pixels() guarantees.
void settle(frame_info& info) noexcept {
    if (info.bits_allocated == 1) {
        info.samples_per_pixel = 1;
        if (info.photometric_interpretation != photometric::monochrome1) {
            info.photometric_interpretation = photometric::monochrome2;
        }
    }
    if (info.samples_per_pixel == 1) {
        info.planar_configuration = 0;
    }
    info.bits_stored = std::clamp<std::uint16_t>(info.bits_stored, 1, info.bits_allocated);
    info.high_bit = static_cast<std::uint16_t>(info.bits_stored - 1);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t trailer = fuzz::trailer_size;
    if (size < trailer + 1) {
        return 0;
    }
    const std::uint8_t* t = data + size - trailer;
    const std::span<const std::byte> codestream(reinterpret_cast<const std::byte*>(data), size - trailer);

    static const frame_decoder* const decoder = codec_registry::builtin().decoder(codec.decoder);
    DICOMPIX_FUZZ_CHECK(decoder != nullptr);

    const std::string_view uid = codec.uids[static_cast<std::size_t>(t[0] >> 4U) % uid_count];
    frame_info info;
    info.rows = std::min<std::uint32_t>(1U + (t[1] | (std::uint32_t{t[2]} << 8U)), 65535U);
    info.columns = std::min<std::uint32_t>(1U + (t[3] | (std::uint32_t{t[4]} << 8U)), 65535U);
    info.samples_per_pixel = fuzz::spp_codes[t[5] & 3U];
    info.photometric_interpretation = fuzz::pick_photometric(info.samples_per_pixel, (t[5] >> 2U) & 15U);
    info.bits_allocated = fuzz::bits_allocated_codes[t[6] & 7U];
    info.bits_stored = static_cast<std::uint16_t>(t[7] + 1U);
    info.is_signed = (t[0] & fuzz::trailer_signed) != 0;
    info.planar_configuration = (t[0] & fuzz::trailer_planar) != 0 ? 1 : 0;
    settle(info);

    if ((t[0] & fuzz::trailer_from_header) != 0) {
        // A dataset that agrees with the codestream, as in a well-formed file.
        auto header = decoder->read_header(codestream, info);
        if (!header) {
            DICOMPIX_FUZZ_CHECK(header.error().code != errc::ok);
            return 0;
        }
        if (header->rows == 0 || header->rows > 65535 || header->columns == 0 || header->columns > 65535) {
            return 0; // describe_pixels() would refuse such a dataset
        }
        info.rows = header->rows;
        info.columns = header->columns;
        if (header->components == 1 || header->components == 3 || header->components == 4) {
            if (header->components != info.samples_per_pixel) {
                info.samples_per_pixel = header->components;
                info.photometric_interpretation =
                    header->colour != photometric::unknown && required_samples(header->colour) == header->components
                        ? header->colour
                        : fuzz::pick_photometric(info.samples_per_pixel, 0);
            }
        }
        if (header->precision >= 1 && header->precision <= 32) {
            info.bits_stored = header->precision;
            if (info.bits_allocated < header->precision || info.bits_allocated == 1) {
                info.bits_allocated = header->precision <= 8 ? 8 : header->precision <= 16 ? 16 : 32;
            }
        }
        settle(info);
    }

    if (!decoder->can_decode(uid, info) || !fuzz::small_enough(info)) {
        return 0;
    }
    const auto frame_bytes = info.decoded_frame_bytes();
    DICOMPIX_FUZZ_CHECK(frame_bytes.has_value());
    const limits l = fuzz::tight_limits();
    if (*frame_bytes > l.max_frame_bytes) {
        return 0; // describe_pixels() refuses it before any decoder runs
    }
    (void)decoder->read_header(codestream, info);

    decode_options options;
    options.strict = (t[0] & fuzz::trailer_strict) != 0;
    options.limits = &l;
    std::vector<std::byte> out(static_cast<std::size_t>(*frame_bytes));
    auto report = decoder->decode(codestream, info, out, options);
    if (!report) {
        DICOMPIX_FUZZ_CHECK(report.error().code != errc::ok);
        DICOMPIX_FUZZ_CHECK(!report.error().message.empty());
        return 0;
    }
    // What the library does next with the samples (pixel_data::frame): must stay inside `out`.
    normalise_samples(out, info);
    return 0;
}
