// SPDX-License-Identifier: BSD-3-Clause
// dicompix: the dataset model. Elements are views into the parsed source (never copies) unless they
// were created or replaced by the caller, in which case they own their value. A parsed dataset is not
// modified by reading it, so it can be shared between threads; mutation is single-threaded.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "dicompix/error.hpp"
#include "dicompix/tag.hpp"

namespace dicompix {

class dataset;

/// Value length meaning "undefined" (PS3.5 §7.1.1).
inline constexpr std::uint32_t undefined_length = 0xFFFFFFFFU;

/// One fragment of encapsulated Pixel Data (PS3.5 §A.4): the value of an Item after the Basic Offset
/// Table item.
struct fragment {
    std::uint64_t offset{0};            ///< offset of the fragment's value in the source
    std::span<const std::byte> bytes;   ///< the value (a view; pages are not touched by parsing)
};

/// Encapsulated Pixel Data as parsed: offset table and fragments, recorded without reading their bytes.
struct encapsulated_pixel_data {
    /// Value of the first item (Basic Offset Table), little-endian uint32 entries; may be empty.
    std::span<const std::byte> basic_offset_table;
    /// Offset (in the source) of the first byte after the Basic Offset Table item, i.e. the item tag
    /// of the first fragment: Basic and Extended Offset Table entries count from there (PS3.5 §A.4).
    std::uint64_t first_fragment_offset{0};
    std::vector<fragment> fragments;
    bool has_sequence_delimiter{true}; ///< false when the input ended before (FFFE,E0DD) (lenient)
};

/// One data element. Values are stored in the byte order of the dataset they came from
/// (big_endian()); typed getters convert to host order.
class element {
public:
    element() = default;
    /// An element viewing `value` without copying; the bytes must outlive the element.
    element(dicompix::tag t, dicompix::vr v, std::span<const std::byte> value, bool big_endian = false);
    /// An element owning its value (for values the caller creates).
    [[nodiscard]] static element owning(dicompix::tag t, dicompix::vr v, std::vector<std::byte> value,
                                        bool big_endian = false);
    /// A string element owning its value; `value` is padded to even length with the VR's pad
    /// character (NUL for UI, space otherwise) (PS3.5 §6.2).
    [[nodiscard]] static element from_string(dicompix::tag t, dicompix::vr v, std::string_view value);
    /// A sequence element.
    [[nodiscard]] static element sequence(dicompix::tag t, std::vector<dataset> items);
    /// An element holding one or more binary numbers (US, SS, UL, SL, FL, FD, SV, UV, AT as uint32
    /// group<<16|element, OB/OW/OF/OD/OL/OV arrays), stored little endian.
    template <class T>
    [[nodiscard]] static element from_numbers(dicompix::tag t, dicompix::vr v, std::span<const T> values);

    [[nodiscard]] dicompix::tag tag() const noexcept { return tag_; }
    [[nodiscard]] dicompix::vr vr() const noexcept { return vr_; }
    /// Offset in the source of the element's first byte (its tag); ~0 for elements made by the caller.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    /// Offset in the source of the value's first byte; ~0 for elements made by the caller.
    [[nodiscard]] std::uint64_t value_offset() const noexcept { return value_offset_; }
    /// The value length as encoded (undefined_length for undefined-length SQ / items / encapsulated).
    [[nodiscard]] std::uint32_t declared_length() const noexcept { return declared_length_; }
    [[nodiscard]] bool has_undefined_length() const noexcept { return declared_length_ == undefined_length; }
    /// Byte order of the value bytes.
    [[nodiscard]] bool big_endian() const noexcept { return big_endian_; }
    /// The raw value (file byte order); empty for sequences and encapsulated pixel data.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return owned_.empty() ? view_ : std::span<const std::byte>(owned_);
    }
    /// True when the value is owned by the element (made or changed by the caller).
    [[nodiscard]] bool owns_value() const noexcept { return !owned_.empty(); }

    [[nodiscard]] bool is_sequence() const noexcept { return vr_ == dicompix::vr::SQ || !items_.empty(); }
    /// Items of a sequence (also of a UN element with undefined length, parsed per CP-246).
    [[nodiscard]] const std::vector<dataset>& items() const noexcept { return items_; }
    [[nodiscard]] std::vector<dataset>& items() noexcept { return items_; }

    /// Encapsulated pixel data, or nullptr when the value is not encapsulated.
    [[nodiscard]] const encapsulated_pixel_data* encapsulated() const noexcept { return encapsulated_.get(); }
    [[nodiscard]] bool is_encapsulated() const noexcept { return encapsulated_ != nullptr; }

    // ---- values -------------------------------------------------------------------------------------
    /// Number of values: backslash-separated values for multi-valued string VRs (0 for an empty value),
    /// 1 for LT/ST/UT/UR with a value, byte length / value size for binary VRs, items for SQ.
    [[nodiscard]] std::size_t value_count() const noexcept;
    /// The whole string value with trailing padding (spaces, NULs) removed. Not decoded: see
    /// dataset::text for character-set decoding.
    [[nodiscard]] std::string_view raw_string() const noexcept;
    /// The index-th backslash-separated string value, padding removed (trailing spaces for all,
    /// leading spaces too for VRs where they are insignificant: DS, IS, AE, CS, DA, DT, TM, UI, AS).
    /// Errors: invalid_value (not a string VR), element_not_found (index >= value_count()).
    [[nodiscard]] result<std::string_view> string(std::size_t index = 0) const;
    /// All string values (see string()).
    [[nodiscard]] std::vector<std::string_view> strings() const;
    /// The index-th binary value of type T (uint16_t for US, int32_t for SL, float for FL, ...), in
    /// host byte order. T's size must equal the VR's value size (OB/UN: 1 byte, OW: 2 bytes, ...).
    /// Errors: invalid_value (size mismatch, not binary), element_not_found (index out of range).
    template <class T>
    [[nodiscard]] result<T> get(std::size_t index = 0) const;
    /// The index-th value as a number: binary numeric VRs, and IS/DS parsed (PS3.5 §6.2).
    /// Errors: invalid_value (not numeric, or text that does not parse), element_not_found.
    [[nodiscard]] result<double> to_double(std::size_t index = 0) const;
    /// As to_double, but integral: fails with invalid_value for a DS/FL/FD value with a fraction.
    [[nodiscard]] result<std::int64_t> to_int(std::size_t index = 0) const;
    /// The index-th AT value. Errors: invalid_value (not AT), element_not_found.
    [[nodiscard]] result<dicompix::tag> to_tag(std::size_t index = 0) const;

    // ---- used by the parser -------------------------------------------------------------------------
    struct parse_info {
        std::uint64_t offset;
        std::uint64_t value_offset;
        std::uint32_t declared_length;
    };
    void set_parse_info(const parse_info& info) noexcept {
        offset_ = info.offset;
        value_offset_ = info.value_offset;
        declared_length_ = info.declared_length;
    }
    void set_encapsulated(encapsulated_pixel_data data);
    void set_vr(dicompix::vr v) noexcept { vr_ = v; }

private:
    std::span<const std::byte> view_;
    std::vector<std::byte> owned_;
    std::vector<dataset> items_;
    std::shared_ptr<encapsulated_pixel_data> encapsulated_; // shared: copying a dataset is cheap
    std::uint64_t offset_{~std::uint64_t{0}};
    std::uint64_t value_offset_{~std::uint64_t{0}};
    std::uint32_t declared_length_{0};
    dicompix::tag tag_{};
    dicompix::vr vr_{dicompix::vr::unknown};
    bool big_endian_{false};
};

/// One step of a tag path: a tag, and for a sequence the item index to descend into.
struct path_step {
    dicompix::tag tag;
    std::size_t item{0};
};

/// An ordered collection of elements: the top-level dataset, the file meta group, or a sequence item.
class dataset {
public:
    dataset() = default;

    [[nodiscard]] std::span<const element> elements() const noexcept { return elements_; }
    [[nodiscard]] std::span<element> elements() noexcept { return elements_; }
    [[nodiscard]] std::size_t size() const noexcept { return elements_.size(); }
    [[nodiscard]] bool empty() const noexcept { return elements_.empty(); }
    [[nodiscard]] auto begin() const noexcept { return elements_.begin(); }
    [[nodiscard]] auto end() const noexcept { return elements_.end(); }

    /// The element with tag t, or nullptr. O(log n) (O(n) for a dataset that was out of order).
    [[nodiscard]] const element* find(dicompix::tag t) const noexcept;
    [[nodiscard]] element* find(dicompix::tag t) noexcept;
    [[nodiscard]] bool contains(dicompix::tag t) const noexcept { return find(t) != nullptr; }

    /// Follows a path of (sequence tag, item index) steps to an element, e.g.
    /// {{ReferencedImageSequence, 0}, {ReferencedSOPInstanceUID}}. nullptr when any step is missing.
    [[nodiscard]] const element* find(std::span<const path_step> path) const noexcept;
    /// Parses and follows a textual path: steps separated by '/' or '.', each a tag "(0008,1140)" or
    /// "00081140" or a keyword, with "[i]" selecting an item (default 0) for all but the last step.
    /// Errors: invalid_argument (bad path), element_not_found.
    [[nodiscard]] result<const element*> at(std::string_view path) const;

    // Convenience getters: errors as for element's, plus element_not_found when t is absent.
    [[nodiscard]] result<std::string_view> string(dicompix::tag t, std::size_t index = 0) const;
    template <class T>
    [[nodiscard]] result<T> get(dicompix::tag t, std::size_t index = 0) const;
    [[nodiscard]] result<double> to_double(dicompix::tag t, std::size_t index = 0) const;
    [[nodiscard]] result<std::int64_t> to_int(dicompix::tag t, std::size_t index = 0) const;
    /// A string value decoded to UTF-8 using this dataset's Specific Character Set (inherited from the
    /// enclosing dataset when an item has none). Repertoires decoded: default (ISO_IR 6), ISO_IR 192
    /// (UTF-8), ISO_IR 100/101/109/110/144/127/126/138/148/203/166 (ISO 8859), GB18030, GBK; others
    /// are returned raw with `*exact = false`.
    [[nodiscard]] result<std::string> text(dicompix::tag t, std::size_t index = 0, bool* exact = nullptr) const;
    /// Decodes any string of this dataset's character set to UTF-8 (see text()).
    [[nodiscard]] std::string decode(std::string_view raw, bool* exact = nullptr) const;

    // ---- mutation -----------------------------------------------------------------------------------
    /// Inserts e in tag order, replacing an element with the same tag. Returns the stored element.
    element& set(element e);
    /// Removes the element with tag t; returns whether one was removed.
    bool erase(dicompix::tag t);
    /// Appends without ordering checks (parser use).
    void push_back_unordered(element e);

    // ---- properties ----------------------------------------------------------------------------------
    /// Byte order of values in this dataset.
    [[nodiscard]] bool big_endian() const noexcept { return big_endian_; }
    void set_big_endian(bool v) noexcept { big_endian_ = v; }
    /// The Specific Character Set (0008,0005) in force: this dataset's or the enclosing one's.
    [[nodiscard]] std::string_view specific_character_set() const noexcept { return charset_; }
    void set_specific_character_set(std::string_view raw) noexcept { charset_ = raw; }
    /// For an item: offset of its item tag, and whether it was encoded with undefined length.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    [[nodiscard]] bool undefined_length() const noexcept { return undefined_length_; }
    void set_item_info(std::uint64_t offset, bool undefined) noexcept {
        offset_ = offset;
        undefined_length_ = undefined;
    }
    /// Whether elements are in ascending tag order (the parser records files that are not).
    [[nodiscard]] bool sorted() const noexcept { return sorted_; }

private:
    std::vector<element> elements_;
    std::string_view charset_;
    std::uint64_t offset_{~std::uint64_t{0}};
    bool big_endian_{false};
    bool undefined_length_{false};
    bool sorted_{true};
};

/// Formats a path of steps the way errors report them: "(0008,1140)[0]/(0008,1155)".
[[nodiscard]] std::string to_string(std::span<const path_step> path);

// ---- template definitions ---------------------------------------------------------------------------
namespace detail {
[[nodiscard]] result<std::span<const std::byte>> binary_value(const element& e, std::size_t size, std::size_t index);
void byteswap_in_place(std::byte* p, std::size_t size) noexcept;
} // namespace detail

template <class T>
result<T> element::get(std::size_t index) const {
    static_assert(std::is_arithmetic_v<T>, "element::get<T> reads arithmetic values");
    DICOMPIX_TRY(const auto bytes, detail::binary_value(*this, sizeof(T), index));
    std::byte buffer[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        buffer[i] = bytes[i];
    }
    const bool host_big = std::endian::native == std::endian::big;
    if (sizeof(T) > 1 && big_endian_ != host_big) {
        detail::byteswap_in_place(buffer, sizeof(T));
    }
    T v;
    std::memcpy(&v, buffer, sizeof(T));
    return v;
}

template <class T>
result<T> dataset::get(dicompix::tag t, std::size_t index) const {
    const element* e = find(t);
    if (e == nullptr) {
        return failure(errc::element_not_found, "element " + t.to_string() + " is absent");
    }
    return e->get<T>(index);
}

template <class T>
element element::from_numbers(dicompix::tag t, dicompix::vr v, std::span<const T> values) {
    static_assert(std::is_arithmetic_v<T>);
    std::vector<std::byte> bytes(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::memcpy(bytes.data() + i * sizeof(T), &values[i], sizeof(T));
        if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
            detail::byteswap_in_place(bytes.data() + i * sizeof(T), sizeof(T));
        }
    }
    return owning(t, v, std::move(bytes), false);
}

} // namespace dicompix
