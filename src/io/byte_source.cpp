// SPDX-License-Identifier: BSD-3-Clause
#include "dicompix/io.hpp"

#include <cerrno>
#include <cstring>
#include <istream>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dicompix {
namespace {

struct mapping {
    void* address{nullptr};
    std::size_t length{0};
    mapping(void* a, std::size_t l) : address(a), length(l) {}
    mapping(const mapping&) = delete;
    mapping& operator=(const mapping&) = delete;
    ~mapping() {
        if (address != nullptr) {
            ::munmap(address, length);
        }
    }
};

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

failure os_error(const std::filesystem::path& path, const char* what) {
    return failure(errc::io_error, std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

} // namespace

result<byte_source> byte_source::map_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
    const fd_guard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) {
        return os_error(path, "cannot open");
    }
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) {
        return os_error(path, "cannot stat");
    }
    if (!S_ISREG(info.st_mode)) {
        return failure(errc::io_error, "not a regular file: " + path.string());
    }
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (size > max_bytes) {
        return failure(errc::limit_exceeded,
                       path.string() + " is " + std::to_string(size) + " bytes, above the limit of " +
                           std::to_string(max_bytes));
    }
    byte_source source;
    if (size == 0) {
        source.owner_ = std::make_shared<int>(0);
        return source;
    }
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
    if (address == MAP_FAILED) {
        return os_error(path, "cannot map");
    }
    auto owner = std::make_shared<mapping>(address, size);
    source.bytes_ = std::span<const std::byte>(static_cast<const std::byte*>(address), size);
    source.owner_ = std::move(owner);
    source.mapped_ = true;
    return source;
}

byte_source byte_source::borrow(std::span<const std::byte> bytes) noexcept {
    byte_source source;
    source.bytes_ = bytes;
    return source;
}

byte_source byte_source::adopt(std::vector<std::byte> bytes) {
    auto owned = std::make_shared<std::vector<std::byte>>(std::move(bytes));
    byte_source source;
    source.bytes_ = std::span<const std::byte>(owned->data(), owned->size());
    source.owner_ = std::move(owned);
    return source;
}

result<byte_source> byte_source::read_stream(std::istream& in, std::uint64_t max_bytes) {
    std::vector<std::byte> buffer;
    constexpr std::size_t chunk = std::size_t{1} << 20;
    for (;;) {
        const std::size_t old_size = buffer.size();
        if (old_size >= max_bytes) {
            // One more byte would exceed the limit; peek to find out whether there is one.
            if (in.peek() != std::char_traits<char>::eof()) {
                return failure(errc::limit_exceeded,
                               "stream is longer than the limit of " + std::to_string(max_bytes) + " bytes");
            }
            break;
        }
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, max_bytes - old_size));
        buffer.resize(old_size + want);
        in.read(reinterpret_cast<char*>(buffer.data() + old_size), static_cast<std::streamsize>(want));
        const auto got = static_cast<std::size_t>(in.gcount());
        buffer.resize(old_size + got);
        if (got < want) {
            if (in.bad()) {
                return failure(errc::io_error, "stream read failed");
            }
            break;
        }
    }
    buffer.shrink_to_fit();
    return adopt(std::move(buffer));
}

} // namespace dicompix
