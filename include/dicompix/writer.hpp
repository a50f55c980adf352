// SPDX-License-Identifier: BSD-3-Clause
// dicompix: writing datasets back: Part 10 files or bare datasets, in any native transfer syntax or any
// encapsulated one with an encoder, streaming frame by frame.
//
// Pixel data is written from a pixel_data (frames copied through or transcoded) plus optional changes
// (pixel_edits): untouched compressed frames are copied byte-identical when the transfer syntax stays the
// same; changed frames, and every frame when the transfer syntax changes, are decoded and re-encoded. The
// dependent attributes (Rows ... Number of Frames, Photometric Interpretation, Planar Configuration,
// Transfer Syntax UID, lossy compression attributes) are updated to match what is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/dataset.hpp"
#include "dicompix/error.hpp"
#include "dicompix/pixel.hpp"

namespace dicompix {

class dicom_file;

/// Where written bytes go. Sinks that can seek back (files, memory) let the writer fill in offset
/// tables after the frames are written, so encoding streams one frame at a time.
class byte_sink {
public:
    byte_sink() = default;
    byte_sink(const byte_sink&) = delete;
    byte_sink& operator=(const byte_sink&) = delete;
    virtual ~byte_sink() = default;
    /// Appends bytes. Errors: write_error.
    virtual result<void> write(std::span<const std::byte> bytes) = 0;
    /// Bytes written so far.
    [[nodiscard]] virtual std::uint64_t position() const noexcept = 0;
    /// Overwrites bytes written earlier at `offset` (never extends). Errors: write_error, or
    /// invalid_argument when the sink cannot seek back (then the writer avoids needing it).
    virtual result<void> patch(std::uint64_t offset, std::span<const std::byte> bytes) = 0;
    [[nodiscard]] virtual bool can_patch() const noexcept { return true; }
};

/// Collects bytes in memory.
class memory_sink final : public byte_sink {
public:
    result<void> write(std::span<const std::byte> bytes) override;
    [[nodiscard]] std::uint64_t position() const noexcept override { return bytes_.size(); }
    result<void> patch(std::uint64_t offset, std::span<const std::byte> bytes) override;
    [[nodiscard]] std::vector<std::byte>& bytes() noexcept { return bytes_; }

private:
    std::vector<std::byte> bytes_;
};

/// Writes to a file through a large buffer. The file is created (truncated) on open.
class file_sink final : public byte_sink {
public:
    /// Errors: io_error.
    [[nodiscard]] static result<std::unique_ptr<file_sink>> open(const std::filesystem::path& path);
    ~file_sink() override;
    result<void> write(std::span<const std::byte> bytes) override;
    [[nodiscard]] std::uint64_t position() const noexcept override { return position_; }
    result<void> patch(std::uint64_t offset, std::span<const std::byte> bytes) override;
    /// Flushes and closes; errors surface here (write_error).
    result<void> close();

private:
    file_sink() = default;
    result<void> flush();
    int fd_{-1};
    std::vector<std::byte> buffer_;
    std::uint64_t position_{0};
    std::uint64_t flushed_{0};
};

/// Offset table choice for encapsulated output (PS3.5 §A.4).
enum class offset_table : std::uint8_t {
    none,     ///< empty Basic Offset Table
    basic,    ///< Basic Offset Table; switches to the Extended Offset Table when offsets exceed 32 bits
    extended, ///< Extended Offset Table (7FE0,0001)/(7FE0,0002) and an empty Basic Offset Table
};

struct write_options {
    /// Target transfer syntax UID (or a keyword/name accepted by find_transfer_syntax_by_name);
    /// empty: the source's.
    std::string transfer_syntax;
    /// Part 10 file (preamble, DICM, meta group); false: a bare dataset.
    bool part10{true};
    /// Sequences and items with undefined length (delimited) instead of defined lengths.
    bool undefined_length_sequences{false};
    offset_table table{offset_table::basic};
    /// Encoder parameters (quality etc.) for re-encoded frames.
    encode_options encode{};
    /// Codecs (nullptr: codec_registry::builtin()). Also used to decode source frames.
    const codec_registry* registry{nullptr};
    /// Use only the encoder with this name (empty: the registry's first capable one).
    std::string encoder;
    /// Give the written instance a new SOP Instance UID when it is lossy-compressed here (PS3.3 C.7.6.1.1.5).
    bool new_uid_when_lossy{true};
    /// zlib level for Deflated Explicit VR Little Endian / Deflated Image Frame Compression.
    int deflate_level{6};
    /// Implementation Version Name written to (0002,0013).
    std::string implementation_version{"DICOMPIX_010"};
    /// Frames decoded and re-encoded in parallel by this many worker threads (0: one per hardware thread;
    /// 1: all on the calling thread). The output is byte-identical whatever the count: the calling thread
    /// writes frames in order through a reorder window of 2 x threads frames, so memory stays at about that
    /// many decoded + encoded frames. Encoders and decoders must be thread-safe (the built-ins are).
    std::uint32_t threads{1};
    /// Limits for decoding source frames that are re-packed or re-encoded (reliability.md §4.10: one
    /// limits object, checked centrally); the defaults are those of pixel_options.
    dicompix::limits limits{};
};

/// What a write did.
struct write_report {
    std::string transfer_syntax_uid;
    std::uint64_t bytes_written{0};
    std::uint32_t frames_copied{0};  ///< compressed or native frames copied through unchanged
    std::uint32_t frames_encoded{0}; ///< frames decoded and re-encoded (or re-packed)
    bool lossy{false};
    double compression_ratio{0}; ///< uncompressed / compressed bytes of the frames encoded here
    std::vector<warning> warnings;
};

/// Changes to the pixel data of a file: replaced frames, or a whole new set of frames with a new
/// description. Frames are held by value (a changed frame costs its samples; untouched frames cost
/// nothing).
class pixel_edits {
public:
    /// No changes yet: writing copies or transcodes `original`'s frames.
    explicit pixel_edits(const pixel_data& original);
    /// Replaces frame i. A frame that was never modified (native_frame::modified() is false) is treated
    /// as unchanged. The frame must have the shape and sample type of the original's decoded frames.
    /// Errors: frame_out_of_range, invalid_argument.
    result<void> replace(std::uint32_t index, any_frame frame);
    /// Replaces all pixel data with `frames` described by `info` (Rows, Columns, Samples per Pixel, Bits
    /// Allocated/Stored, High Bit, Pixel Representation, Photometric Interpretation of the samples). The
    /// writer updates the dataset's Image Pixel attributes and Number of Frames to match.
    /// Errors: inconsistent_dataset (a combination the standard forbids, or frames that disagree with
    /// the description), invalid_argument (no frames).
    [[nodiscard]] static result<pixel_edits> replace_all(const frame_info& info, std::vector<any_frame> frames);

    [[nodiscard]] bool changed(std::uint32_t index) const noexcept;
    [[nodiscard]] bool replaces_all() const noexcept { return original_ == nullptr; }
    [[nodiscard]] const pixel_data* original() const noexcept { return original_; }
    [[nodiscard]] const frame_info& info() const noexcept { return info_; }
    [[nodiscard]] std::uint32_t frame_count() const noexcept { return count_; }
    /// The frame to write at i: the replacement, or the original decoded.
    [[nodiscard]] result<any_frame> frame(std::uint32_t index) const;

private:
    pixel_edits() = default;
    const pixel_data* original_{nullptr};
    frame_info info_{};
    std::uint32_t count_{0};
    std::vector<std::pair<std::uint32_t, any_frame>> replaced_; // sorted by index
};

/// Writes `file` (its meta group regenerated, its dataset, and its pixel data with `edits`) to `out`.
/// Errors: write_error, io_error, unsupported_transfer_syntax, no_encoder, cannot_encode,
/// inconsistent_dataset (also: a Part 10 big endian dataset that would start with an element of group 0200,
/// which reads as the meta group's 0002; a group length (0200,0000) there is dropped instead), and the decode
/// errors of source frames.
[[nodiscard]] result<write_report> write(const dicom_file& file, byte_sink& out, const write_options& options = {},
                                         const pixel_edits* edits = nullptr);
/// As write(), to a new file at `path` (written to a temporary name and renamed on success).
[[nodiscard]] result<write_report> write_file(const dicom_file& file, const std::filesystem::path& path,
                                              const write_options& options = {}, const pixel_edits* edits = nullptr);
/// Writes a dataset made by the caller (no source file). Pixel Data elements in it are written as they
/// are (their bytes must already be in the target encoding); `meta` may be empty.
[[nodiscard]] result<write_report> write_dataset(const dataset& meta, const dataset& ds, byte_sink& out,
                                                 const write_options& options = {});

/// A new UID under the 2.25 root from 128 random bits (PS3.5 §B.2).
[[nodiscard]] std::string make_uid();

} // namespace dicompix
