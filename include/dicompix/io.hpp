// SPDX-License-Identifier: BSD-3-Clause
// dicompix: byte sources. A byte_source is an immutable, shared view of input bytes: a memory-mapped
// file, a caller's buffer, or a buffer the library owns. Copies share the same bytes; the bytes live
// as long as any copy (or any dataset, pixel_data or frame made from it).
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <span>
#include <vector>

#include "dicompix/error.hpp"

namespace dicompix {

class byte_source {
public:
    /// An empty source.
    byte_source() = default;

    /// Memory-maps a file read-only. Pages are read by the OS only when touched, so parsing the
    /// metadata of a large file reads little more than its metadata.
    /// Errors: io_error (cannot open, stat or map), limit_exceeded (larger than max_bytes).
    [[nodiscard]] static result<byte_source> map_file(const std::filesystem::path& path,
                                                      std::uint64_t max_bytes = ~std::uint64_t{0});

    /// Views a caller's buffer without copying. The caller keeps the buffer alive and unchanged for as
    /// long as the source, or anything made from it, is used.
    [[nodiscard]] static byte_source borrow(std::span<const std::byte> bytes) noexcept;

    /// Takes ownership of a buffer.
    [[nodiscard]] static byte_source adopt(std::vector<std::byte> bytes);

    /// Reads a whole stream into an owned buffer (streams cannot be mapped).
    /// Errors: io_error, limit_exceeded (more than max_bytes).
    [[nodiscard]] static result<byte_source> read_stream(std::istream& in,
                                                         std::uint64_t max_bytes = ~std::uint64_t{0});

    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] const std::byte* data() const noexcept { return bytes_.data(); }
    /// True when the bytes come from a memory map (pages may be backed by the page cache).
    [[nodiscard]] bool is_mapped() const noexcept { return mapped_; }
    /// Shared ownership token that keeps the bytes alive; views of the bytes may hold it.
    [[nodiscard]] const std::shared_ptr<const void>& owner() const noexcept { return owner_; }

private:
    std::shared_ptr<const void> owner_;
    std::span<const std::byte> bytes_;
    bool mapped_{false};
};

} // namespace dicompix
