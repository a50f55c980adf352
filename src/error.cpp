// SPDX-License-Identifier: BSD-3-Clause
#include "dicompix/error.hpp"

namespace dicompix {

std::string_view to_string(errc code) noexcept {
    switch (code) {
    case errc::ok: return "ok";
    case errc::io_error: return "io_error";
    case errc::unexpected_end: return "unexpected_end";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::overflow: return "overflow";
    case errc::not_dicom: return "not_dicom";
    case errc::invalid_meta: return "invalid_meta";
    case errc::invalid_vr: return "invalid_vr";
    case errc::invalid_length: return "invalid_length";
    case errc::invalid_sequence: return "invalid_sequence";
    case errc::unsupported_transfer_syntax: return "unsupported_transfer_syntax";
    case errc::inflate_error: return "inflate_error";
    case errc::invalid_value: return "invalid_value";
    case errc::element_not_found: return "element_not_found";
    case errc::no_pixel_data: return "no_pixel_data";
    case errc::invalid_pixel_description: return "invalid_pixel_description";
    case errc::pixel_data_too_short: return "pixel_data_too_short";
    case errc::frame_out_of_range: return "frame_out_of_range";
    case errc::invalid_encapsulation: return "invalid_encapsulation";
    case errc::no_decoder: return "no_decoder";
    case errc::no_encoder: return "no_encoder";
    case errc::codec_error: return "codec_error";
    case errc::codestream_mismatch: return "codestream_mismatch";
    case errc::truncated_codestream: return "truncated_codestream";
    case errc::cannot_encode: return "cannot_encode";
    case errc::write_error: return "write_error";
    case errc::inconsistent_dataset: return "inconsistent_dataset";
    case errc::render_error: return "render_error";
    case errc::invalid_lut: return "invalid_lut";
    case errc::invalid_argument: return "invalid_argument";
    }
    return "unknown_error";
}

std::string error::to_string() const {
    std::string s(dicompix::to_string(code));
    if (offset != no_offset) {
        s += " at byte " + std::to_string(offset);
    }
    if (!tag_path.empty()) {
        s += " in " + tag_path;
    }
    if (!message.empty()) {
        s += ": " + message;
    }
    return s;
}

} // namespace dicompix
