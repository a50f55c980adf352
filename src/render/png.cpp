// SPDX-License-Identifier: BSD-3-Clause
// Bitmap writers: PNG through libspng (8/16-bit grey or RGB, sBIT and the value offset recorded), and binary
// PGM/PPM (Netpbm: maxval 255, or 65535 with big-endian samples).
//
// PNG speed: rendering a frame is one table lookup per pixel, so the encoder dominates. The UP filter with
// zlib's run-length strategy was measured on the corpus as the best trade (doc/design.md, "Rendering"): grey
// levels of neighbouring rows are close, so UP leaves long runs of small values that Z_RLE codes well.
#include <spng.h>
#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "dicompix/render.hpp"

namespace dicompix {
namespace {

struct ctx_deleter {
    void operator()(spng_ctx* c) const noexcept { spng_ctx_free(c); }
};
using ctx_ptr = std::unique_ptr<spng_ctx, ctx_deleter>;

struct file_closer {
    void operator()(std::FILE* f) const noexcept {
        if (f != nullptr) {
            std::fclose(f);
        }
    }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

result<void> check(const bitmap& image) {
    if (image.empty()) {
        return failure(errc::invalid_argument, "the bitmap is empty");
    }
    if ((image.channels() != 1 && image.channels() != 3) || (image.bit_depth() != 8 && image.bit_depth() != 16)) {
        return failure(errc::invalid_argument, "bitmaps are written with 1 or 3 channels of 8 or 16 bits");
    }
    return {};
}

failure spng_failed(int code, std::string_view what) {
    return failure(errc::write_error, std::string(what) + ": " + spng_strerror(code));
}

/// Sets up an encoder for `image`; the output target is set by the caller.
result<void> configure(spng_ctx* ctx, const bitmap& image, const png_options& options, std::string& offset_text) {
    spng_ihdr ihdr{};
    ihdr.width = image.width();
    ihdr.height = image.height();
    ihdr.bit_depth = static_cast<std::uint8_t>(image.bit_depth());
    ihdr.color_type = image.channels() == 3 ? SPNG_COLOR_TYPE_TRUECOLOR : SPNG_COLOR_TYPE_GRAYSCALE;
    if (int rc = spng_set_ihdr(ctx, &ihdr); rc != 0) {
        return spng_failed(rc, "PNG header");
    }
    const int level = options.compression_level < 0 ? 0 : options.compression_level > 9 ? 9 : options.compression_level;
    spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, level);
    int filters = SPNG_DISABLE_FILTERING;
    switch (options.filter) {
    case png_filter::none: filters = SPNG_FILTER_CHOICE_NONE; break;
    case png_filter::sub: filters = SPNG_FILTER_CHOICE_SUB; break;
    case png_filter::up: filters = SPNG_FILTER_CHOICE_UP; break;
    case png_filter::paeth: filters = SPNG_FILTER_CHOICE_PAETH; break;
    case png_filter::adaptive: filters = SPNG_FILTER_CHOICE_SUB | SPNG_FILTER_CHOICE_UP | SPNG_FILTER_CHOICE_PAETH; break;
    }
    spng_set_option(ctx, SPNG_FILTER_CHOICE, filters);
    spng_set_option(ctx, SPNG_IMG_COMPRESSION_STRATEGY, options.run_length ? Z_RLE : Z_DEFAULT_STRATEGY);
    const std::uint16_t sig = image.significant_bits();
    if (sig != 0 && sig < image.bit_depth()) {
        spng_sbit sbit{};
        const auto b = static_cast<std::uint8_t>(sig);
        if (image.channels() == 3) {
            sbit.red_bits = sbit.green_bits = sbit.blue_bits = b;
        } else {
            sbit.grayscale_bits = b;
        }
        if (int rc = spng_set_sbit(ctx, &sbit); rc != 0) {
            return spng_failed(rc, "PNG sBIT");
        }
    }
    if (image.value_offset() != 0) {
        // The offset that makes signed values unsigned; a reader subtracts it.
        offset_text = std::to_string(image.value_offset());
        spng_text text{};
        std::strncpy(text.keyword, "dicompix:value-offset", sizeof(text.keyword) - 1);
        text.type = SPNG_TEXT;
        text.length = offset_text.size();
        text.text = offset_text.data();
        if (int rc = spng_set_text(ctx, &text, 1); rc != 0) {
            return spng_failed(rc, "PNG text");
        }
    }
    return {};
}

result<void> encode(spng_ctx* ctx, const bitmap& image) {
    // SPNG_FMT_PNG: samples in the PNG's layout, 16-bit ones in host byte order.
    const auto bytes = image.bytes();
    if (int rc = spng_encode_image(ctx, bytes.data(), bytes.size(), SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE); rc != 0) {
        return spng_failed(rc, "PNG encoding");
    }
    return {};
}

std::string lower_extension(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (char& c : ext) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return ext;
}

result<file_ptr> open_for_writing(const std::filesystem::path& path) {
    file_ptr f(std::fopen(path.c_str(), "wb"));
    if (!f) {
        return failure(errc::io_error, "cannot create " + path.string() + ": " + std::strerror(errno));
    }
    return f;
}

result<void> close_file(file_ptr f, const std::filesystem::path& path) {
    if (std::fclose(f.release()) != 0) {
        return failure(errc::io_error, "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    return {};
}

} // namespace

result<std::vector<std::byte>> encode_png(const bitmap& image, const png_options& options) {
    DICOMPIX_TRY_VOID(check(image));
    ctx_ptr ctx(spng_ctx_new(SPNG_CTX_ENCODER));
    if (!ctx) {
        throw std::bad_alloc();
    }
    spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
    std::string offset_text;
    DICOMPIX_TRY_VOID(configure(ctx.get(), image, options, offset_text));
    DICOMPIX_TRY_VOID(encode(ctx.get(), image));
    std::size_t length = 0;
    int rc = 0;
    void* buffer = spng_get_png_buffer(ctx.get(), &length, &rc);
    if (buffer == nullptr) {
        return spng_failed(rc, "PNG buffer");
    }
    const auto* p = static_cast<const std::byte*>(buffer);
    std::vector<std::byte> out(p, p + length);
    std::free(buffer); // libspng allocates the buffer with malloc (default allocator)
    return out;
}

result<void> write_png(const bitmap& image, std::FILE* out, const png_options& options) {
    DICOMPIX_TRY_VOID(check(image));
    if (out == nullptr) {
        return failure(errc::invalid_argument, "no output stream");
    }
    ctx_ptr ctx(spng_ctx_new(SPNG_CTX_ENCODER));
    if (!ctx) {
        throw std::bad_alloc();
    }
    if (int rc = spng_set_png_file(ctx.get(), out); rc != 0) {
        return spng_failed(rc, "PNG output");
    }
    std::string offset_text;
    DICOMPIX_TRY_VOID(configure(ctx.get(), image, options, offset_text));
    return encode(ctx.get(), image);
}

result<void> write_png(const bitmap& image, const std::filesystem::path& path, const png_options& options) {
    DICOMPIX_TRY_VOID(check(image));
    DICOMPIX_TRY(file_ptr f, open_for_writing(path));
    auto written = write_png(image, f.get(), options);
    if (!written) {
        f.reset();
        std::remove(path.c_str());
        return written;
    }
    return close_file(std::move(f), path);
}

result<void> write_pnm(const bitmap& image, std::FILE* out) {
    DICOMPIX_TRY_VOID(check(image));
    if (out == nullptr) {
        return failure(errc::invalid_argument, "no output stream");
    }
    const std::string header = std::string(image.channels() == 3 ? "P6\n" : "P5\n") + std::to_string(image.width()) +
                               " " + std::to_string(image.height()) + "\n" +
                               (image.bit_depth() == 16 ? "65535\n" : "255\n");
    if (std::fwrite(header.data(), 1, header.size(), out) != header.size()) {
        return failure(errc::write_error, "cannot write the PNM header");
    }
    if (image.bit_depth() == 8) {
        const auto bytes = image.bytes();
        if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
            return failure(errc::write_error, "cannot write PNM samples");
        }
        return {};
    }
    // Netpbm: 16-bit samples most significant byte first; written a row at a time.
    const auto samples = image.samples16();
    std::vector<unsigned char> row(image.row_samples() * 2);
    for (std::size_t y = 0; y < image.height(); ++y) {
        for (std::size_t i = 0; i < image.row_samples(); ++i) {
            const std::uint16_t v = samples[y * image.row_samples() + i];
            row[2 * i] = static_cast<unsigned char>(v >> 8U);
            row[2 * i + 1] = static_cast<unsigned char>(v & 0xFFU);
        }
        if (std::fwrite(row.data(), 1, row.size(), out) != row.size()) {
            return failure(errc::write_error, "cannot write PNM samples");
        }
    }
    return {};
}

result<void> write_pnm(const bitmap& image, const std::filesystem::path& path) {
    DICOMPIX_TRY_VOID(check(image));
    DICOMPIX_TRY(file_ptr f, open_for_writing(path));
    auto written = write_pnm(image, f.get());
    if (!written) {
        f.reset();
        std::remove(path.c_str());
        return written;
    }
    return close_file(std::move(f), path);
}

result<void> write_image(const bitmap& image, const std::filesystem::path& path, const png_options& options) {
    const std::string ext = lower_extension(path);
    if (ext == ".png") {
        return write_png(image, path, options);
    }
    if (ext == ".pgm" || ext == ".ppm" || ext == ".pnm") {
        return write_pnm(image, path);
    }
    return failure(errc::invalid_argument, "unknown image file extension '" + ext + "' (use .png, .pgm, .ppm or .pnm)");
}

} // namespace dicompix
