// SPDX-License-Identifier: BSD-3-Clause
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "dicompix/writer.hpp"

namespace dicompix {

result<void> memory_sink::write(std::span<const std::byte> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
    return {};
}

result<void> memory_sink::patch(std::uint64_t offset, std::span<const std::byte> bytes) {
    if (offset > bytes_.size() || bytes.size() > bytes_.size() - offset) {
        return failure(errc::invalid_argument, "patch beyond the written bytes");
    }
    std::memcpy(bytes_.data() + offset, bytes.data(), bytes.size());
    return {};
}

namespace {
constexpr std::size_t file_buffer_size = std::size_t{4} << 20; // large writes: one syscall per 4 MiB

failure os_failure(const char* what) {
    return failure(errc::write_error, std::string(what) + ": " + std::strerror(errno));
}

result<void> write_all(int fd, const std::byte* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return os_failure("write failed");
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return {};
}
} // namespace

result<std::unique_ptr<file_sink>> file_sink::open(const std::filesystem::path& path) {
    std::unique_ptr<file_sink> sink(new file_sink());
    sink->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (sink->fd_ < 0) {
        return failure(errc::io_error, "cannot create " + path.string() + ": " + std::strerror(errno));
    }
    sink->buffer_.reserve(file_buffer_size);
    return sink;
}

file_sink::~file_sink() {
    if (fd_ >= 0) {
        (void)flush();
        ::close(fd_);
    }
}

result<void> file_sink::flush() {
    if (buffer_.empty()) {
        return {};
    }
    DICOMPIX_TRY_VOID(write_all(fd_, buffer_.data(), buffer_.size()));
    flushed_ += buffer_.size();
    buffer_.clear();
    return {};
}

result<void> file_sink::write(std::span<const std::byte> bytes) {
    if (fd_ < 0) {
        return failure(errc::write_error, "file is closed");
    }
    position_ += bytes.size();
    if (bytes.size() >= file_buffer_size) {
        // Large blocks (frames) go straight to the file.
        DICOMPIX_TRY_VOID(flush());
        DICOMPIX_TRY_VOID(write_all(fd_, bytes.data(), bytes.size()));
        flushed_ += bytes.size();
        return {};
    }
    if (buffer_.size() + bytes.size() > file_buffer_size) {
        DICOMPIX_TRY_VOID(flush());
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return {};
}

result<void> file_sink::patch(std::uint64_t offset, std::span<const std::byte> bytes) {
    if (offset + bytes.size() > position_) {
        return failure(errc::invalid_argument, "patch beyond the written bytes");
    }
    DICOMPIX_TRY_VOID(flush());
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                   static_cast<off_t>(offset + done));
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return os_failure("pwrite failed");
        }
        done += static_cast<std::size_t>(w);
    }
    return {};
}

result<void> file_sink::close() {
    if (fd_ < 0) {
        return {};
    }
    auto flushed = flush();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (!flushed) {
        return flushed;
    }
    if (rc != 0) {
        return os_failure("close failed");
    }
    return {};
}

} // namespace dicompix
