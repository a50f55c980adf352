// SPDX-License-Identifier: BSD-3-Clause
// Factories of the built-in codecs: one codec per file in src/codecs/<format>_<backend>.cpp, each
// exposing only its factory. builtin.cpp lists them explicitly under build flags.
#pragma once

#include <memory>

#include "dicompix/codec.hpp"

namespace dicompix::codecs {

// Always built.
std::shared_ptr<const frame_decoder> make_rle_decoder();
std::shared_ptr<const frame_encoder> make_rle_encoder();
std::shared_ptr<const frame_decoder> make_uncompressed_decoder();
std::shared_ptr<const frame_encoder> make_uncompressed_encoder();
std::shared_ptr<const frame_decoder> make_deflate_decoder();
std::shared_ptr<const frame_encoder> make_deflate_encoder();
std::shared_ptr<const frame_decoder> make_jpeg_lossless_decoder();   // 4.57, 4.70
std::shared_ptr<const frame_encoder> make_jpeg_lossless_encoder();   // 4.70 (SV1), 4.57

#if DICOMPIX_WITH_LIBJPEG_TURBO
std::shared_ptr<const frame_decoder> make_jpeg_turbo_decoder();      // 4.50, 4.51 8-bit
std::shared_ptr<const frame_encoder> make_jpeg_turbo_encoder();      // 4.50
#endif
#if DICOMPIX_WITH_CHARLS
std::shared_ptr<const frame_decoder> make_jpegls_decoder();          // 4.80, 4.81
std::shared_ptr<const frame_encoder> make_jpegls_encoder();
#endif
#if DICOMPIX_WITH_OPENJPEG
std::shared_ptr<const frame_decoder> make_jpeg2000_openjpeg_decoder(); // 4.90, 4.91, 4.201-4.203
std::shared_ptr<const frame_encoder> make_jpeg2000_openjpeg_encoder(); // 4.90, 4.91
#endif
#if DICOMPIX_WITH_OPENJPH
std::shared_ptr<const frame_decoder> make_htj2k_openjph_decoder();    // 4.201-4.203
std::shared_ptr<const frame_encoder> make_htj2k_openjph_encoder();    // 4.201, 4.202
#endif
#if DICOMPIX_WITH_JXL
std::shared_ptr<const frame_decoder> make_jpegxl_decoder();           // 4.110-4.112
#endif
#if DICOMPIX_WITH_DCMTK
std::shared_ptr<const frame_decoder> make_jpeg12_dcmtk_decoder();     // 4.51, 4.53, 4.55 with 12-bit samples
#endif

} // namespace dicompix::codecs
