// SPDX-License-Identifier: BSD-3-Clause
// Dataset serialisation (PS3.5 §7): element headers per encoding, values converted to the target byte
// order and padded to even length, sequences and items with defined or undefined lengths.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dicompix/dataset.hpp"
#include "dicompix/options.hpp"
#include "dicompix/writer.hpp"

namespace dicompix::detail {

struct encoding {
    bool explicit_vr{true};
    bool big_endian{false};
};

/// Buffers small writes and hands large blocks to a sink.
class buffered_writer {
public:
    explicit buffered_writer(byte_sink& sink) : sink_(sink) { buffer_.reserve(1 << 16); }
    void put(std::span<const std::byte> b) {
        if (buffer_.size() + b.size() > (1U << 16)) {
            flush_pending();
            if (b.size() >= (1U << 16)) {
                record(sink_.write(b));
                return;
            }
        }
        buffer_.insert(buffer_.end(), b.begin(), b.end());
    }
    void put16(std::uint16_t v, bool big_endian);
    void put32(std::uint32_t v, bool big_endian);
    void zeros(std::size_t n) {
        buffer_.insert(buffer_.end(), n, std::byte{0});
    }
    /// Position in the sink of the next byte written.
    [[nodiscard]] std::uint64_t position() const noexcept { return sink_.position() + buffer_.size(); }
    /// Flushes and returns the first error seen.
    result<void> flush() {
        flush_pending();
        if (failed_) {
            return failure(error_);
        }
        return {};
    }
    byte_sink& sink() noexcept { return sink_; }

private:
    void flush_pending() {
        if (!buffer_.empty()) {
            record(sink_.write(buffer_));
            buffer_.clear();
        }
    }
    void record(result<void> r) {
        if (!r && !failed_) {
            failed_ = true;
            error_ = std::move(r).error();
        }
    }
    byte_sink& sink_;
    std::vector<std::byte> buffer_;
    error error_;
    bool failed_{false};
};

/// Called when the top-level encoder reaches an element the caller writes itself (Pixel Data).
using element_hook = std::function<result<void>(const element&, buffered_writer&)>;

class dataset_encoder {
public:
    dataset_encoder(encoding enc, bool undefined_sequences, std::vector<warning>& warnings)
        : enc_(enc), undefined_sequences_(undefined_sequences), warnings_(warnings) {}

    /// Writes the elements of ds in tag order. `hook` (may be empty) takes over elements for which
    /// `hooked(tag)` is true.
    result<void> write_dataset(const dataset& ds, buffered_writer& out, const std::function<bool(tag)>& hooked = {},
                               const element_hook& hook = {},
                               const std::function<std::optional<std::uint64_t>(const element&)>& hooked_size = {});
    /// Bytes write_dataset would produce for ds (without hooks).
    [[nodiscard]] std::uint64_t dataset_size(const dataset& ds, encoding enc) const;
    /// Writes one element as write_dataset does outside hooks (for a hook that writes it itself).
    result<void> write_element(const element& e, buffered_writer& out, encoding enc);
    /// Bytes write_element produces for e.
    [[nodiscard]] std::uint64_t element_size(const element& e, encoding enc) const;
    /// Writes one element header (tag, VR, length) in encoding `enc`.
    void write_header(buffered_writer& out, tag t, vr v, std::uint32_t length, encoding enc) const;
    [[nodiscard]] static std::uint32_t header_size(tag t, vr v, encoding enc) noexcept;
    [[nodiscard]] encoding enc() const noexcept { return enc_; }

private:
    [[nodiscard]] std::uint64_t items_size(const element& e, encoding item_enc) const;
    [[nodiscard]] vr written_vr(const element& e) const noexcept;

    encoding enc_;
    bool undefined_sequences_;
    std::vector<warning>& warnings_;
};

/// Value bytes of e converted to byte order `big_endian` (binary VRs swapped per value size).
void append_value(std::vector<std::byte>& out, const element& e, bool big_endian);
/// The pad byte of a VR (PS3.5 §6.2: NUL for UI and binary, space for other strings).
[[nodiscard]] std::byte pad_byte(vr v) noexcept;

} // namespace dicompix::detail
