// SPDX-License-Identifier: BSD-3-Clause
// Builds DICOM byte streams in memory for tests: any encoding, nesting, defined or undefined lengths,
// and deliberately broken headers, so edge cases need no binary fixtures.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicompix/tag.hpp"

namespace dicompix::test {

using bytes = std::vector<std::byte>;

bytes to_bytes(std::string_view s);

class dicom_builder {
public:
    explicit dicom_builder(bool explicit_vr = true, bool big_endian = false)
        : explicit_(explicit_vr), big_endian_(big_endian) {}

    /// Element header with an arbitrary length (no value written).
    dicom_builder& header(tag t, vr v, std::uint32_t length);
    /// A complete element; the value is written as given (no padding).
    dicom_builder& element(tag t, vr v, std::span<const std::byte> value);
    /// A string element padded to even length (NUL for UI, space otherwise).
    dicom_builder& str(tag t, vr v, std::string_view value);
    dicom_builder& us(tag t, std::initializer_list<std::uint16_t> values, vr v = vr::US);
    dicom_builder& ul(tag t, std::initializer_list<std::uint32_t> values, vr v = vr::UL);
    dicom_builder& fd(tag t, std::initializer_list<double> values);

    /// Sequence with undefined length (closed by a delimiter) or defined length (patched on close).
    dicom_builder& begin_sequence(tag t, bool undefined = true, vr v = vr::SQ);
    dicom_builder& end_sequence();
    dicom_builder& begin_item(bool undefined = true);
    dicom_builder& end_item();

    /// Encapsulated Pixel Data (7FE0,0010) OB with undefined length: BOT item then fragment items.
    dicom_builder& encapsulated(std::span<const std::uint32_t> bot, const std::vector<bytes>& fragments,
                                bool delimiter = true);

    dicom_builder& raw(std::span<const std::byte> b);
    dicom_builder& raw_u16(std::uint16_t v);
    dicom_builder& raw_u32(std::uint32_t v);

    [[nodiscard]] const bytes& data() const noexcept { return out_; }
    [[nodiscard]] bool big_endian() const noexcept { return big_endian_; }

    /// Wraps a dataset in a Part 10 file: preamble, DICM, meta group (with group length unless told not
    /// to), transfer syntax UID, then the dataset bytes.
    static bytes part10(std::span<const std::byte> dataset, std::string_view transfer_syntax_uid,
                        bool group_length = true, std::string_view sop_class = "1.2.840.10008.5.1.4.1.1.7",
                        std::string_view sop_instance = "1.2.3.4.5.6.7.8.9");

private:
    void put16(std::uint16_t v);
    void put32(std::uint32_t v);
    void patch32(std::size_t pos, std::uint32_t v);
    struct open_value {
        std::size_t length_pos;
        bool undefined;
        bool is_item;
    };
    std::vector<open_value> open_;
    bytes out_;
    bool explicit_;
    bool big_endian_;
};

} // namespace dicompix::test
