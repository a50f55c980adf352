// SPDX-License-Identifier: BSD-3-Clause
// dicompix: reading DICOM files and datasets (PS3.10 §7 file format; PS3.5 §7 data set encoding).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "dicompix/dataset.hpp"
#include "dicompix/error.hpp"
#include "dicompix/io.hpp"
#include "dicompix/options.hpp"
#include "dicompix/transfer_syntax.hpp"

namespace dicompix {

/// A parsed file: the file meta group, the dataset, the transfer syntax it was read with, and the
/// warnings of lenient recoveries. Element values are views into source() (and, for the meta group of
/// a deflated file, into file_source()); they stay valid as long as this object or a copy of it lives.
/// Copies are cheap-ish (elements are copied, bytes are shared). Reading is thread-safe.
class dicom_file {
public:
    dicom_file() = default;

    /// The File Meta Information group (0002,xxxx); empty for a bare dataset.
    [[nodiscard]] const dicompix::dataset& meta() const noexcept { return meta_; }
    [[nodiscard]] dicompix::dataset& meta() noexcept { return meta_; }
    /// The dataset after the meta group.
    [[nodiscard]] const dicompix::dataset& dataset() const noexcept { return dataset_; }
    [[nodiscard]] dicompix::dataset& dataset() noexcept { return dataset_; }

    /// The transfer syntax the dataset was actually parsed with (for a bare dataset, the detected one;
    /// when the meta group names one that contradicts the encoding, lenient mode uses the encoding
    /// found and records a warning). Never null after a successful parse.
    [[nodiscard]] const dicompix::transfer_syntax* transfer_syntax() const noexcept { return transfer_syntax_; }
    /// The Transfer Syntax UID as declared (meta group), or the detected one for a bare dataset; may
    /// name a transfer syntax unknown to the table (then transfer_syntax() describes its encoding).
    [[nodiscard]] std::string_view transfer_syntax_uid() const noexcept { return transfer_syntax_uid_; }
    /// Lenient recoveries and oddities, in input order.
    [[nodiscard]] const std::vector<warning>& warnings() const noexcept { return warnings_; }
    /// True when the input had the 128-byte preamble and "DICM" prefix.
    [[nodiscard]] bool has_preamble() const noexcept { return has_preamble_; }
    /// Offset of the first dataset byte (after the meta group) in the file.
    [[nodiscard]] std::uint64_t dataset_offset() const noexcept { return dataset_offset_; }
    /// Bytes the dataset's element views point into: the file, or the inflated stream of a deflated
    /// file (element offsets then count in the inflated stream).
    [[nodiscard]] const byte_source& source() const noexcept { return dataset_source_; }
    /// The bytes of the file itself.
    [[nodiscard]] const byte_source& file_source() const noexcept { return file_source_; }
    /// Whether parsing stopped before Pixel Data (parse_options::stop_before_pixel_data).
    [[nodiscard]] bool stopped_before_pixel_data() const noexcept { return stopped_before_pixel_data_; }

private:
    friend class file_parser;
    dicompix::dataset meta_;
    dicompix::dataset dataset_;
    const dicompix::transfer_syntax* transfer_syntax_{nullptr};
    std::string transfer_syntax_uid_;
    std::vector<warning> warnings_;
    byte_source file_source_;
    byte_source dataset_source_;
    std::uint64_t dataset_offset_{0};
    bool has_preamble_{false};
    bool stopped_before_pixel_data_{false};
};

/// Reads a Part 10 file or a bare dataset from a file (memory-mapped; pixel data pages are not
/// touched). Errors: io_error, not_dicom, invalid_meta, unexpected_end, invalid_length,
/// invalid_sequence, invalid_vr, limit_exceeded, inflate_error, unsupported_transfer_syntax.
[[nodiscard]] result<dicom_file> read_file(const std::filesystem::path& path, const parse_options& options = {});

/// Reads from bytes in memory (see byte_source::borrow / adopt). Same errors as read_file.
[[nodiscard]] result<dicom_file> read_bytes(byte_source source, const parse_options& options = {});

/// Reads a bare dataset (no preamble, no meta group) known to be encoded with `transfer_syntax_uid`.
[[nodiscard]] result<dicom_file> read_dataset(byte_source source, std::string_view transfer_syntax_uid,
                                              const parse_options& options = {});

} // namespace dicompix
