// SPDX-License-Identifier: BSD-3-Clause
// dicompix: error codes, the error record, and result<T>.
#pragma once

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace dicompix {

/// Error codes returned by every input-facing call. Numbered in ranges so that a code's range says
/// which layer produced it (io 1xx, parser 2xx, pixel 3xx, codec 4xx, writer 5xx, render 6xx).
enum class errc : std::uint16_t {
    ok = 0,
    // io
    io_error = 100,             ///< the operating system refused a read, write, open or map
    unexpected_end = 101,       ///< a read ran past the end of the input (or of an enclosing value)
    limit_exceeded = 102,       ///< a value, count or size exceeds a configured limit (see limits)
    overflow = 103,             ///< size arithmetic overflowed 64 bits
    // parser
    not_dicom = 200,            ///< the input is neither a Part 10 file nor a recognisable dataset
    invalid_meta = 201,         ///< the file meta information group is malformed
    invalid_vr = 202,           ///< an explicit VR is not a known VR (strict mode)
    invalid_length = 203,       ///< a value length is impossible (odd in strict mode, undefined where forbidden)
    invalid_sequence = 204,     ///< item or delimiter structure is broken
    unsupported_transfer_syntax = 205, ///< the dataset's encoding cannot be parsed
    inflate_error = 206,        ///< a deflated dataset could not be inflated
    invalid_value = 207,        ///< a value cannot be read as the requested type
    element_not_found = 208,    ///< a required element is absent
    // pixel
    no_pixel_data = 300,        ///< the dataset has no Pixel Data element
    invalid_pixel_description = 301, ///< Image Pixel module values are missing or inconsistent
    pixel_data_too_short = 302, ///< Pixel Data is shorter than the description requires
    frame_out_of_range = 303,   ///< frame index >= number of frames
    invalid_encapsulation = 304,///< fragments or offset tables are malformed
    // codec
    no_decoder = 400,           ///< no registered decoder handles this transfer syntax / description
    no_encoder = 401,           ///< no registered encoder handles this transfer syntax / description
    codec_error = 402,          ///< the codestream is corrupt or the backend failed
    codestream_mismatch = 403,  ///< the codestream disagrees with the pixel description
    truncated_codestream = 404, ///< the codestream ends before the frame is complete
    cannot_encode = 405,        ///< the target transfer syntax cannot carry this pixel data
    // writer
    write_error = 500,          ///< the output could not be written
    inconsistent_dataset = 501, ///< the dataset cannot be written as asked
    // render
    render_error = 600,         ///< the display pipeline cannot render this frame
    invalid_lut = 601,          ///< a LUT's descriptor or data is malformed
    // api
    invalid_argument = 900,     ///< the caller passed a bad argument
};

/// Short stable name of an error code, e.g. "unexpected_end".
[[nodiscard]] std::string_view to_string(errc code) noexcept;

/// An error: what went wrong, where in the input (byte offset from the start of the source, or
/// no_offset), in which element (tag path such as "(0054,0016)[0]/(0018,1072)"), and a message.
struct error {
    static constexpr std::uint64_t no_offset = ~std::uint64_t{0};

    errc code{errc::ok};
    std::uint64_t offset{no_offset};
    std::string tag_path;
    std::string message;

    /// "unexpected_end at byte 1234 in (7FE0,0010): message"
    [[nodiscard]] std::string to_string() const;
};

/// Thrown by result<T>::value() on an error; carries the error record.
class dicompix_error : public std::runtime_error {
public:
    explicit dicompix_error(error e) : std::runtime_error(e.to_string()), error_(std::move(e)) {}
    [[nodiscard]] const dicompix::error& get() const noexcept { return error_; }

private:
    dicompix::error error_;
};

/// Builds an error; the common case in the library.
[[nodiscard]] inline error make_error(errc code, std::string message, std::uint64_t offset = error::no_offset,
                                      std::string tag_path = {}) {
    return error{code, offset, std::move(tag_path), std::move(message)};
}

/// Marker wrapper so that result<error> stays unambiguous: `return failure(e);`.
struct failure {
    error err;
    explicit failure(error e) : err(std::move(e)) {}
    failure(errc code, std::string message, std::uint64_t offset = error::no_offset, std::string tag_path = {})
        : err{code, offset, std::move(tag_path), std::move(message)} {}
};

/// Either a value or an error (an expected-like type; std::expected is C++23).
/// Check with `if (r)` / has_value(); `value()` throws dicompix_error on error; `*r` is unchecked.
template <class T>
class [[nodiscard]] result {
public:
    using value_type = T;

    template <class U = T, std::enable_if_t<std::is_constructible_v<T, U&&>, int> = 0>
    result(U&& v) : state_(std::in_place_index<0>, std::forward<U>(v)) {} // NOLINT(google-explicit-constructor)
    result(failure f) : state_(std::in_place_index<1>, std::move(f.err)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        check();
        return *std::get_if<0>(&state_);
    }
    const T& value() const& {
        check();
        return *std::get_if<0>(&state_);
    }
    T&& value() && {
        check();
        return std::move(*std::get_if<0>(&state_));
    }
    T& operator*() & noexcept { return *std::get_if<0>(&state_); }
    const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
    T&& operator*() && noexcept { return std::move(*std::get_if<0>(&state_)); }
    T* operator->() noexcept { return std::get_if<0>(&state_); }
    const T* operator->() const noexcept { return std::get_if<0>(&state_); }

    /// The error; only valid when !has_value().
    [[nodiscard]] const dicompix::error& error() const& noexcept { return *std::get_if<1>(&state_); }
    [[nodiscard]] dicompix::error&& error() && noexcept { return std::move(*std::get_if<1>(&state_)); }

    template <class U>
    [[nodiscard]] T value_or(U&& fallback) const& {
        return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
    }

private:
    void check() const {
        if (!has_value()) {
            throw dicompix_error(*std::get_if<1>(&state_));
        }
    }
    std::variant<T, dicompix::error> state_;
};

/// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(failure f) : error_(std::move(f.err)), failed_(true) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return !failed_; }
    void value() const {
        if (failed_) {
            throw dicompix_error(error_);
        }
    }
    [[nodiscard]] const dicompix::error& error() const& noexcept { return error_; }
    [[nodiscard]] dicompix::error&& error() && noexcept { return std::move(error_); }

private:
    dicompix::error error_;
    bool failed_{false};
};

} // namespace dicompix

/// Propagates an error from an expression returning result<U>: `DICOMPIX_TRY(auto x, f());`
#define DICOMPIX_CONCAT_INNER(a, b) a##b
#define DICOMPIX_CONCAT(a, b) DICOMPIX_CONCAT_INNER(a, b)
#define DICOMPIX_TRY_IMPL(tmp, decl, expr)                                                                     \
    auto tmp = (expr);                                                                                         \
    if (!tmp.has_value()) {                                                                                    \
        return ::dicompix::failure(std::move(tmp).error());                                                    \
    }                                                                                                          \
    decl = std::move(*tmp)
#define DICOMPIX_TRY(decl, expr) DICOMPIX_TRY_IMPL(DICOMPIX_CONCAT(dicompix_try_, __LINE__), decl, expr)
/// Propagates an error from an expression returning result<void>.
#define DICOMPIX_TRY_VOID(expr)                                                                                \
    do {                                                                                                       \
        auto dicompix_try_void_ = (expr);                                                                      \
        if (!dicompix_try_void_.has_value()) {                                                                 \
            return ::dicompix::failure(std::move(dicompix_try_void_).error());                                 \
        }                                                                                                      \
    } while (false)
