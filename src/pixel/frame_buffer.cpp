// SPDX-License-Identifier: BSD-3-Clause
#include <cstring>
#include <utility>

#include "dicompix/pixel.hpp"

namespace dicompix {
namespace {
constexpr std::size_t frame_alignment = 64; // a cache line: SIMD loops never split a line at the start
}

frame_buffer::frame_buffer(std::size_t bytes, std::pmr::memory_resource* memory)
    : size_(bytes), memory_(memory != nullptr ? memory : std::pmr::new_delete_resource()) {
    if (bytes != 0) {
        data_ = static_cast<std::byte*>(memory_->allocate(bytes, frame_alignment));
    }
}

frame_buffer::frame_buffer(const frame_buffer& other) : frame_buffer(other.size_, other.memory_) {
    if (size_ != 0) {
        std::memcpy(data_, other.data_, size_);
    }
}

frame_buffer& frame_buffer::operator=(const frame_buffer& other) {
    if (this != &other) {
        frame_buffer copy(other);
        *this = std::move(copy);
    }
    return *this;
}

frame_buffer::frame_buffer(frame_buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      memory_(std::exchange(other.memory_, nullptr)) {}

frame_buffer& frame_buffer::operator=(frame_buffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        memory_ = std::exchange(other.memory_, nullptr);
    }
    return *this;
}

frame_buffer::~frame_buffer() {
    release();
}

void frame_buffer::release() noexcept {
    if (data_ != nullptr) {
        memory_->deallocate(data_, size_, frame_alignment);
        data_ = nullptr;
        size_ = 0;
    }
}

} // namespace dicompix
