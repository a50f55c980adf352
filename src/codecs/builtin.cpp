// SPDX-License-Identifier: BSD-3-Clause
// The built-in codecs, listed explicitly (no static self-registration: it silently drops codecs from
// static libraries). Order matters: the first capable decoder wins.
#include <array>
#include <string>

#include "codecs/factories.hpp"
#include "dicompix/codec.hpp"

namespace dicompix {

const codec_registry& codec_registry::builtin() {
    static const codec_registry registry = [] {
        codec_registry r;
        // add_* puts a codec in front, so add in reverse order of preference.
        r.add_decoder(codecs::make_deflate_decoder());
        r.add_decoder(codecs::make_jpeg_lossless_decoder());
#if DICOMPIX_WITH_DCMTK
        // Behind libjpeg-turbo for 4.51/4.53/4.55: it takes the 12-bit streams turbo's read_header refuses.
        r.add_decoder(codecs::make_jpeg12_dcmtk_decoder());
#endif
        r.add_decoder(codecs::make_uncompressed_decoder());
        r.add_decoder(codecs::make_rle_decoder());
#if DICOMPIX_WITH_LIBJPEG_TURBO
        // After jpeg_lossless: searched first for 4.51, refuses 12-bit streams in read_header.
        r.add_decoder(codecs::make_jpeg_turbo_decoder());
#endif
#if DICOMPIX_WITH_CHARLS
        r.add_decoder(codecs::make_jpegls_decoder());
#endif
#if DICOMPIX_WITH_OPENJPEG
        // 4.90/4.91, and HTJ2K behind OpenJPH (takes what OpenJPH's read_header refuses).
        r.add_decoder(codecs::make_jpeg2000_openjpeg_decoder());
#endif
#if DICOMPIX_WITH_OPENJPH
        r.add_decoder(codecs::make_htj2k_openjph_decoder());
#endif
#if DICOMPIX_WITH_JXL
        r.add_decoder(codecs::make_jpegxl_decoder());
#endif
        r.add_encoder(codecs::make_deflate_encoder());
        r.add_encoder(codecs::make_jpeg_lossless_encoder());
        r.add_encoder(codecs::make_uncompressed_encoder());
        r.add_encoder(codecs::make_rle_encoder());
#if DICOMPIX_WITH_LIBJPEG_TURBO
        r.add_encoder(codecs::make_jpeg_turbo_encoder());
#endif
#if DICOMPIX_WITH_CHARLS
        r.add_encoder(codecs::make_jpegls_encoder());
#endif
#if DICOMPIX_WITH_OPENJPEG
        r.add_encoder(codecs::make_jpeg2000_openjpeg_encoder());
#endif
#if DICOMPIX_WITH_OPENJPH
        r.add_encoder(codecs::make_htj2k_openjph_encoder());
#endif
        return r;
    }();
    return registry;
}

std::string known_decoders_for(std::string_view uid) {
    struct known {
        std::string_view uid_prefix;
        std::string_view backend;
        bool built;
    };
    static constexpr std::array<known, 19> table{{
        {"1.2.840.10008.1.2.5", "rle", true},
        {"1.2.840.10008.1.2.1.98", "uncompressed", true},
        {"1.2.840.10008.1.2.8.1", "deflate/zlib", true},
        {"1.2.840.10008.1.2.4.50", "jpeg/libjpeg-turbo", DICOMPIX_WITH_LIBJPEG_TURBO != 0},
        {"1.2.840.10008.1.2.4.51", "jpeg/libjpeg-turbo (8-bit), jpeg12/dcmtk (12-bit)",
         DICOMPIX_WITH_LIBJPEG_TURBO != 0 && DICOMPIX_WITH_DCMTK != 0},
        {"1.2.840.10008.1.2.4.53", "jpeg/libjpeg-turbo (8-bit), jpeg12/dcmtk (12-bit)",
         DICOMPIX_WITH_LIBJPEG_TURBO != 0 && DICOMPIX_WITH_DCMTK != 0},
        {"1.2.840.10008.1.2.4.55", "jpeg/libjpeg-turbo (8-bit), jpeg12/dcmtk (12-bit)",
         DICOMPIX_WITH_LIBJPEG_TURBO != 0 && DICOMPIX_WITH_DCMTK != 0},
        {"1.2.840.10008.1.2.4.57", "jpeg-lossless", true},
        {"1.2.840.10008.1.2.4.70", "jpeg-lossless", true},
        {"1.2.840.10008.1.2.4.80", "jpeg-ls/charls", DICOMPIX_WITH_CHARLS != 0},
        {"1.2.840.10008.1.2.4.81", "jpeg-ls/charls", DICOMPIX_WITH_CHARLS != 0},
        {"1.2.840.10008.1.2.4.90", "jpeg2000/openjpeg", DICOMPIX_WITH_OPENJPEG != 0},
        {"1.2.840.10008.1.2.4.91", "jpeg2000/openjpeg", DICOMPIX_WITH_OPENJPEG != 0},
        {"1.2.840.10008.1.2.4.201", "htj2k/openjph, jpeg2000/openjpeg", DICOMPIX_WITH_OPENJPH != 0 || DICOMPIX_WITH_OPENJPEG != 0},
        {"1.2.840.10008.1.2.4.202", "htj2k/openjph, jpeg2000/openjpeg", DICOMPIX_WITH_OPENJPH != 0 || DICOMPIX_WITH_OPENJPEG != 0},
        {"1.2.840.10008.1.2.4.203", "htj2k/openjph, jpeg2000/openjpeg", DICOMPIX_WITH_OPENJPH != 0 || DICOMPIX_WITH_OPENJPEG != 0},
        {"1.2.840.10008.1.2.4.110", "jpegxl/libjxl", DICOMPIX_WITH_JXL != 0},
        {"1.2.840.10008.1.2.4.111", "jpegxl/libjxl", DICOMPIX_WITH_JXL != 0},
        {"1.2.840.10008.1.2.4.112", "jpegxl/libjxl", DICOMPIX_WITH_JXL != 0},
    }};
    for (const auto& k : table) {
        if (k.uid_prefix == uid) {
            return std::string(k.backend) + (k.built ? "" : " (not built into this library)");
        }
    }
    return {};
}

} // namespace dicompix
