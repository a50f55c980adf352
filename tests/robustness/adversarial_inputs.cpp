// SPDX-License-Identifier: BSD-3-Clause
#include "robustness/adversarial_inputs.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "dicompix/codec.hpp"
#include "dicompix/tags.hpp"

namespace dicompix::test {

void put_image_module(dicom_builder& b, const image_module& m) {
    b.us(tags::SamplesPerPixel, {m.samples});
    b.str(tags::PhotometricInterpretation, vr::CS, m.photometric);
    if (m.planar >= 0) {
        b.us(tags::PlanarConfiguration, {static_cast<std::uint16_t>(m.planar)});
    }
    if (!m.frames.empty()) {
        b.str(tags::NumberOfFrames, vr::IS, m.frames);
    }
    if (m.rows_as_ul) {
        b.ul(tags::Rows, {m.rows});
        b.ul(tags::Columns, {m.columns});
    } else {
        b.us(tags::Rows, {static_cast<std::uint16_t>(m.rows)});
        b.us(tags::Columns, {static_cast<std::uint16_t>(m.columns)});
    }
    b.us(tags::BitsAllocated, {m.bits_allocated});
    b.us(tags::BitsStored, {m.bits_stored});
    b.us(tags::HighBit, {m.high_bit});
    b.us(tags::PixelRepresentation, {m.pixel_representation});
}

frame_info info_of(const image_module& m) {
    frame_info f;
    f.rows = m.rows;
    f.columns = m.columns;
    f.samples_per_pixel = m.samples;
    f.bits_allocated = m.bits_allocated;
    f.bits_stored = m.bits_stored;
    f.high_bit = m.high_bit;
    f.is_signed = m.pixel_representation == 1;
    f.photometric_interpretation = parse_photometric(m.photometric);
    f.planar_configuration = m.planar > 0 ? 1 : 0;
    return f;
}

namespace {

void put_header(dicom_builder& b) {
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.826.0.1.3680043.10.1045.77.1");
}

} // namespace

bytes native_file(const image_module& m, std::span<const std::byte> pixel_bytes, std::span<const std::byte> extra,
                  std::string_view ts) {
    dicom_builder b(true, false);
    put_header(b);
    put_image_module(b, m);
    b.raw(extra);
    b.element(tags::PixelData, m.bits_allocated > 8 ? vr::OW : vr::OB, pixel_bytes);
    return dicom_builder::part10(b.data(), ts);
}

bytes encapsulated_file(const image_module& m, std::string_view ts, std::span<const std::uint32_t> bot,
                        const std::vector<bytes>& fragments, std::span<const std::byte> extra) {
    dicom_builder b(true, false);
    put_header(b);
    put_image_module(b, m);
    b.raw(extra);
    b.encapsulated(bot, fragments);
    return dicom_builder::part10(b.data(), ts);
}

bytes gradient(const frame_info& info) {
    const std::size_t samples = std::size_t{info.rows} * info.columns * info.samples_per_pixel;
    const std::size_t width = info.bytes_per_sample();
    bytes out(samples * width);
    const std::uint64_t max = (std::uint64_t{1} << info.bits_stored) - 1;
    for (std::size_t i = 0; i < samples; ++i) {
        const std::uint64_t v = (i * 37U) % (max + 1);
        for (std::size_t k = 0; k < width; ++k) {
            out[i * width + k] = static_cast<std::byte>((v >> (8 * k)) & 0xFFU);
        }
    }
    return out;
}

bytes encode_with_builtin(std::string_view uid, const frame_info& info, double quality) {
    encode_options options;
    options.quality = quality;
    const auto encoders = codec_registry::builtin().encoders_for(uid, info, options);
    if (encoders.empty()) {
        return {};
    }
    auto encoded = encoders.front()->encode(gradient(info), info, uid, options);
    if (!encoded) {
        throw std::runtime_error("encoder failed: " + encoded.error().to_string());
    }
    return encoded->codestream;
}

bytes rle_frame(std::uint32_t count, std::span<const std::uint32_t> offsets, std::span<const bytes> segments) {
    bytes out(64, std::byte{0});
    const auto put32 = [&out](std::size_t at, std::uint32_t v) {
        for (std::size_t i = 0; i < 4; ++i) {
            out[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFFU);
        }
    };
    put32(0, count);
    for (std::size_t i = 0; i < offsets.size() && i < 15; ++i) {
        put32(4 + 4 * i, offsets[i]);
    }
    for (const bytes& s : segments) {
        out.insert(out.end(), s.begin(), s.end());
    }
    return out;
}

bytes rle_literal_segment(std::size_t n, std::uint8_t value) {
    bytes out;
    while (n > 0) {
        const std::size_t run = std::min<std::size_t>(n, 128);
        out.push_back(static_cast<std::byte>(run - 1));
        out.insert(out.end(), run, static_cast<std::byte>(value));
        n -= run;
    }
    return out;
}

namespace {

void put_be16(bytes& out, std::uint32_t v) {
    out.push_back(static_cast<std::byte>((v >> 8U) & 0xFFU));
    out.push_back(static_cast<std::byte>(v & 0xFFU));
}
void put_be32(bytes& out, std::uint32_t v) {
    put_be16(out, v >> 16U);
    put_be16(out, v & 0xFFFFU);
}
void put_bytes(bytes& out, std::initializer_list<unsigned> values) {
    for (const unsigned v : values) {
        out.push_back(static_cast<std::byte>(v));
    }
}

} // namespace

bytes jpeg_many_scans(std::uint32_t scans) {
    // T.81 Annex G: SOF2, one component, one 8x8 block. Huffman tables with a single 1-bit code "0"
    // for symbol 0 (DC difference category 0; AC EOB run of 1), so each scan's entropy data is the one
    // byte 0x7F (code 0, then 1-bit padding).
    bytes out;
    put_bytes(out, {0xFF, 0xD8});
    put_bytes(out, {0xFF, 0xDB, 0x00, 0x43, 0x00});
    out.insert(out.end(), 64, std::byte{1});
    put_bytes(out, {0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00});
    for (const unsigned table_class : {0U, 1U}) {
        put_bytes(out, {0xFF, 0xC4, 0x00, 0x14, (table_class << 4U)});
        bytes counts(16, std::byte{0});
        counts[0] = std::byte{1};
        out.insert(out.end(), counts.begin(), counts.end());
        out.push_back(std::byte{0});
    }
    // First DC scan, then AC first scans of band 1..63 over and over (each repeats the same band: libjpeg
    // only warns about the bogus progression and keeps going, as the audit found).
    put_bytes(out, {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x7F});
    for (std::uint32_t i = 0; i < scans; ++i) {
        put_bytes(out, {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3F, 0x00, 0x7F});
    }
    put_bytes(out, {0xFF, 0xD9});
    return out;
}

bytes j2k_header(std::uint32_t width, std::uint32_t height, std::uint32_t tile_width, std::uint32_t tile_height,
                 std::uint16_t components, std::uint8_t precision) {
    bytes out;
    put_bytes(out, {0xFF, 0x4F});
    // SIZ (T.800 A.5.1)
    put_bytes(out, {0xFF, 0x51});
    put_be16(out, 38U + 3U * components);
    put_be16(out, 0);
    put_be32(out, width);
    put_be32(out, height);
    put_be32(out, 0);
    put_be32(out, 0);
    put_be32(out, tile_width);
    put_be32(out, tile_height);
    put_be32(out, 0);
    put_be32(out, 0);
    put_be16(out, components);
    for (std::uint16_t c = 0; c < components; ++c) {
        put_bytes(out, {static_cast<unsigned>(precision - 1U), 1, 1});
    }
    // COD: no precincts, LRCP, 1 layer, no MCT, 5 levels, 64x64 code-blocks, 5-3 reversible.
    put_bytes(out, {0xFF, 0x52, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x04, 0x04, 0x00, 0x01});
    // QCD: no quantisation, 2 guard bits, one exponent per sub-band (3 x 5 + 1).
    put_bytes(out, {0xFF, 0x5C, 0x00, 0x13, 0x40});
    for (int i = 0; i < 16; ++i) {
        out.push_back(std::byte{0x40});
    }
    // One tile-part to EOC (Psot = 0), with no packet data.
    put_bytes(out, {0xFF, 0x90, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01});
    put_bytes(out, {0xFF, 0x93, 0x00, 0x00});
    put_bytes(out, {0xFF, 0xD9});
    return out;
}

bytes deflate_zeros(std::uint64_t n) {
    z_stream zs{};
    if (deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2");
    }
    std::vector<unsigned char> zeros(1U << 20, 0);
    bytes out;
    std::vector<unsigned char> buffer(1U << 16);
    std::uint64_t left = n;
    int flush = Z_NO_FLUSH;
    do {
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
        left -= chunk;
        flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = zeros.data();
        zs.avail_in = static_cast<uInt>(chunk);
        do {
            zs.next_out = buffer.data();
            zs.avail_out = static_cast<uInt>(buffer.size());
            deflate(&zs, flush);
            const std::size_t have = buffer.size() - zs.avail_out;
            const auto* p = reinterpret_cast<const std::byte*>(buffer.data());
            out.insert(out.end(), p, p + have);
        } while (zs.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&zs);
    return out;
}

} // namespace dicompix::test
