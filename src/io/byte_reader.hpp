// SPDX-License-Identifier: BSD-3-Clause
// A bounds-checked cursor over a byte span with nested length limits: a child limit (the value of a
// sequence, an item) can never extend past its parent's, so no read escapes the enclosing value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include <boost/endian/conversion.hpp>

namespace dicompix::detail {

inline std::uint16_t load_u16(const std::byte* p, bool big_endian) noexcept {
    std::uint16_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return big_endian ? boost::endian::big_to_native(v) : boost::endian::little_to_native(v);
}
inline std::uint32_t load_u32(const std::byte* p, bool big_endian) noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return big_endian ? boost::endian::big_to_native(v) : boost::endian::little_to_native(v);
}
inline std::uint64_t load_u64(const std::byte* p, bool big_endian) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return big_endian ? boost::endian::big_to_native(v) : boost::endian::little_to_native(v);
}

class byte_reader {
public:
    /// `origin` is the offset of bytes[0] in the source, used only to report positions.
    explicit byte_reader(std::span<const std::byte> bytes, std::uint64_t origin = 0) noexcept
        : data_(bytes.data()), limit_(bytes.size()), size_(bytes.size()), origin_(origin) {}

    [[nodiscard]] std::size_t position() const noexcept { return pos_; }
    /// Offset in the source of the current position.
    [[nodiscard]] std::uint64_t offset() const noexcept { return origin_ + pos_; }
    [[nodiscard]] std::uint64_t offset_of(std::size_t position) const noexcept { return origin_ + position; }
    [[nodiscard]] std::size_t remaining() const noexcept { return limit_ - pos_; }
    [[nodiscard]] bool at_end() const noexcept { return pos_ >= limit_; }
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
    /// Bytes after the current limit but inside the whole buffer (for lenient recoveries that look
    /// past a broken defined length).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] const std::byte* data() const noexcept { return data_; }

    [[nodiscard]] bool can_read(std::size_t n) const noexcept { return n <= remaining(); }

    /// Narrows the readable range to the next `length` bytes; returns the previous limit to restore
    /// with pop_limit. The caller must have checked can_read(length).
    [[nodiscard]] std::size_t push_limit(std::size_t length) noexcept {
        const std::size_t previous = limit_;
        limit_ = pos_ + length;
        return previous;
    }
    void pop_limit(std::size_t previous) noexcept { limit_ = previous; }

    void seek(std::size_t position) noexcept { pos_ = position <= limit_ ? position : limit_; }
    void skip(std::size_t n) noexcept { pos_ += n <= remaining() ? n : remaining(); }

    /// Unchecked reads: the caller has checked can_read().
    [[nodiscard]] std::uint16_t u16(bool big_endian) noexcept {
        const auto v = load_u16(data_ + pos_, big_endian);
        pos_ += 2;
        return v;
    }
    [[nodiscard]] std::uint32_t u32(bool big_endian) noexcept {
        const auto v = load_u32(data_ + pos_, big_endian);
        pos_ += 4;
        return v;
    }
    [[nodiscard]] std::span<const std::byte> bytes(std::size_t n) noexcept {
        const std::span<const std::byte> s(data_ + pos_, n);
        pos_ += n;
        return s;
    }
    [[nodiscard]] std::span<const std::byte> peek(std::size_t n) const noexcept {
        return {data_ + pos_, n <= remaining() ? n : remaining()};
    }

private:
    const std::byte* data_;
    std::size_t pos_{0};
    std::size_t limit_;
    std::size_t size_;
    std::uint64_t origin_;
};

} // namespace dicompix::detail
