// SPDX-License-Identifier: BSD-3-Clause
#include "parser/inflate.hpp"

#include <algorithm>
#include <string>

#include <zlib.h>

namespace dicompix::detail {
namespace {

struct stream_guard {
    z_stream* stream;
    bool inflating;
    ~stream_guard() {
        if (inflating) {
            inflateEnd(stream);
        } else {
            deflateEnd(stream);
        }
    }
};

result<inflate_result> inflate_with(std::span<const std::byte> input, std::uint64_t max_output, int window_bits) {
    z_stream zs{};
    if (inflateInit2(&zs, window_bits) != Z_OK) {
        return failure(errc::inflate_error, "zlib inflateInit2 failed");
    }
    const stream_guard guard{&zs, true};
    inflate_result out;
    // Start from an estimate, grow geometrically, never beyond the limit.
    std::size_t capacity = static_cast<std::size_t>(
        std::min<std::uint64_t>(max_output, std::max<std::uint64_t>(4096, std::uint64_t{input.size()} * 4)));
    out.bytes.resize(capacity);
    const std::byte* next_in = input.data();
    std::size_t left_in = input.size();
    std::size_t produced = 0;
    for (;;) {
        if (produced == out.bytes.size()) {
            if (out.bytes.size() >= max_output) {
                // Output is at the limit: the stream is done only if no more output is pending.
                unsigned char probe = 0;
                zs.next_out = &probe;
                zs.avail_out = 1;
                zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(next_in));
                zs.avail_in = static_cast<uInt>(std::min<std::size_t>(left_in, 1U << 30));
                const int rc = inflate(&zs, Z_NO_FLUSH);
                if (rc == Z_STREAM_END && zs.avail_out == 1) {
                    left_in -= static_cast<std::size_t>(zs.next_in - reinterpret_cast<const Bytef*>(next_in));
                    break;
                }
                return failure(errc::limit_exceeded,
                               "inflated data exceeds the limit of " + std::to_string(max_output) + " bytes");
            }
            const std::uint64_t grown = std::min<std::uint64_t>(max_output, std::uint64_t{out.bytes.size()} * 2);
            out.bytes.resize(static_cast<std::size_t>(grown));
        }
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(next_in));
        zs.avail_in = static_cast<uInt>(std::min<std::size_t>(left_in, 1U << 30));
        zs.next_out = reinterpret_cast<Bytef*>(out.bytes.data() + produced);
        zs.avail_out = static_cast<uInt>(std::min<std::size_t>(out.bytes.size() - produced, 1U << 30));
        const uInt avail_out_before = zs.avail_out;
        const uInt avail_in_before = zs.avail_in;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        produced += avail_out_before - zs.avail_out;
        const std::size_t used = avail_in_before - zs.avail_in;
        next_in += used;
        left_in -= used;
        if (rc == Z_STREAM_END) {
            break;
        }
        if (rc == Z_BUF_ERROR && left_in == 0 && zs.avail_out != 0) {
            return failure(errc::inflate_error, "deflated data is truncated");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return failure(errc::inflate_error,
                           std::string("corrupt deflated data: ") + (zs.msg != nullptr ? zs.msg : "zlib error"));
        }
    }
    out.bytes.resize(produced);
    out.consumed = input.size() - left_in;
    return out;
}

} // namespace

result<inflate_result> inflate_bounded(std::span<const std::byte> input, std::uint64_t max_output,
                                       deflate_format format) {
    if (format == deflate_format::raw) {
        return inflate_with(input, max_output, -MAX_WBITS);
    }
    if (format == deflate_format::zlib) {
        auto r = inflate_with(input, max_output, MAX_WBITS);
        if (r) {
            r->used_wrapper = true;
        }
        return r;
    }
    // A zlib header is 2 bytes with (CMF*256 + FLG) % 31 == 0 and CM == 8; a gzip header starts 1F 8B.
    const bool looks_zlib = input.size() >= 2 && (std::to_integer<unsigned>(input[0]) & 0x0FU) == 8U &&
                            ((std::to_integer<unsigned>(input[0]) << 8U) | std::to_integer<unsigned>(input[1])) % 31U == 0;
    const bool looks_gzip = input.size() >= 2 && input[0] == std::byte{0x1F} && input[1] == std::byte{0x8B};
    auto raw = inflate_with(input, max_output, -MAX_WBITS);
    if (raw || (!looks_zlib && !looks_gzip) || raw.error().code == errc::limit_exceeded) {
        return raw;
    }
    auto wrapped = inflate_with(input, max_output, MAX_WBITS + 32); // +32: detect zlib or gzip
    if (wrapped) {
        wrapped->used_wrapper = true;
        return wrapped;
    }
    return raw;
}

result<std::vector<std::byte>> deflate_raw(std::span<const std::byte> input, int level) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return failure(errc::write_error, "zlib deflateInit2 failed");
    }
    const stream_guard guard{&zs, false};
    std::vector<std::byte> out(deflateBound(&zs, static_cast<uLong>(input.size())) + 16);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));
    zs.avail_in = static_cast<uInt>(input.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        return failure(errc::write_error, "zlib deflate failed");
    }
    out.resize(zs.total_out);
    return out;
}

} // namespace dicompix::detail
