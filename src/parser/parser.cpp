// SPDX-License-Identifier: BSD-3-Clause
// The tag-stream parser: PS3.10 §7 (file format), PS3.5 §7 (data set encoding), PS3.5 §A.4
// (encapsulation), PS3.5 §A.5 (deflate), PS3.5 §6.2.2 / CP-246 (UN with undefined length).
#include "dicompix/parser.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "dicompix/dictionary.hpp"
#include "io/byte_reader.hpp"
#include "parser/inflate.hpp"

namespace dicompix {

namespace {

using detail::byte_reader;

constexpr tag pixel_data_tag{0x7FE0, 0x0010};
constexpr tag float_pixel_data_tag{0x7FE0, 0x0008};
constexpr tag double_pixel_data_tag{0x7FE0, 0x0009};
constexpr tag specific_character_set_tag{0x0008, 0x0005};
constexpr tag pixel_representation_tag{0x0028, 0x0103};
constexpr tag transfer_syntax_uid_tag{0x0002, 0x0010};
constexpr tag meta_group_length_tag{0x0002, 0x0000};

/// How a dataset is encoded.
struct encoding {
    bool explicit_vr{true};
    bool big_endian{false};
};

bool is_upper(std::byte b) noexcept {
    const auto c = std::to_integer<unsigned char>(b);
    return c >= 'A' && c <= 'Z';
}

/// True when the two bytes are a VR code this library knows.
bool is_known_vr(std::byte b0, std::byte b1) noexcept {
    return vr_from_chars(static_cast<char>(b0), static_cast<char>(b1)) != vr::unknown;
}

bool is_pixel_data_tag(tag t) noexcept {
    return t == pixel_data_tag || t == float_pixel_data_tag || t == double_pixel_data_tag;
}

/// Guesses the encoding of a dataset from its first element: explicit VR when bytes 4-5 are a VR code,
/// byte order from which reading of the group number is plausible (datasets start with low groups).
struct detection {
    encoding enc;
    bool plausible{false};
};

detection detect_encoding(std::span<const std::byte> bytes) noexcept {
    detection d;
    if (bytes.size() < 8) {
        return d;
    }
    const std::uint16_t group_le = detail::load_u16(bytes.data(), false);
    const std::uint16_t group_be = detail::load_u16(bytes.data(), true);
    d.enc.big_endian = group_be < group_le;
    d.enc.explicit_vr = is_known_vr(bytes[4], bytes[5]);
    const std::uint16_t group = d.enc.big_endian ? group_be : group_le;
    if (group > 0x7FE0 && group != 0xFFFC) {
        return d;
    }
    if (d.enc.explicit_vr) {
        d.plausible = true;
        return d;
    }
    const std::uint32_t length = detail::load_u32(bytes.data() + 4, d.enc.big_endian);
    d.plausible = length == undefined_length || length <= bytes.size() - 8;
    return d;
}

/// The VR an implicit VR element gets: the dictionary's, with PS3.5 §A.1 rules for the ambiguous
/// entries (OB or OW -> OW; US or SS -> SS when Pixel Representation is 1).
vr implicit_vr(tag t, const dataset& current) noexcept {
    if (t.is_group_length()) {
        return vr::UL;
    }
    const dictionary_entry* entry = find_entry(t);
    if (entry == nullptr) {
        return vr::UN;
    }
    if (entry->alternative_vr == vr::unknown) {
        return entry->value_vr;
    }
    const vr a = entry->value_vr;
    const vr b = entry->alternative_vr;
    if (a == vr::OW || b == vr::OW) {
        // "OB or OW", "US or OW", "US or SS or OW": OW, as DCMTK reads them (PS3.5 §A.1 for Pixel Data).
        return vr::OW;
    }
    // Palette Color LUT Descriptors are unsigned whatever Pixel Representation says (PS3.3 C.7.6.3.1.5).
    if (t.group() == 0x0028 && t.element() >= 0x1101 && t.element() <= 0x1103) {
        return vr::US;
    }
    if ((a == vr::US && b == vr::SS) || (a == vr::SS && b == vr::US)) {
        const element* pr = current.find(pixel_representation_tag);
        if (pr != nullptr) {
            const auto value = pr->get<std::uint16_t>();
            if (value && *value == 1) {
                return vr::SS;
            }
        }
        return vr::US;
    }
    return a;
}

struct element_header {
    tag t;
    vr v{vr::unknown};
    std::uint32_t length{0};
    bool implicit_in_explicit{false}; ///< an explicit-VR stream held an implicit-VR element
    bool unknown_vr_code{false};      ///< explicit VR bytes were uppercase letters naming no VR
};

class dataset_parser {
public:
    dataset_parser(const parse_options& options, std::vector<warning>& warnings)
        : options_(options), warnings_(warnings) {}

    /// Parses elements until the end of the reader's limit (or an item delimiter when
    /// `in_undefined_item`). `top_level` enables stop_before_pixel_data.
    result<void> parse_dataset(byte_reader& r, dataset& out, encoding enc, std::uint32_t depth, bool in_undefined_item,
                               bool top_level);

    [[nodiscard]] bool stopped_before_pixel_data() const noexcept { return stopped_; }

    /// Records a leniency, or fails in strict mode.
    result<void> recover(errc code, std::uint64_t offset, std::string message) {
        if (options_.strict) {
            return failure(code, std::move(message), offset, path_string());
        }
        note(offset, std::move(message));
        return {};
    }
    /// Records a warning; beyond limits::max_warnings they are only counted (reliability.md §4.3:
    /// zero-progress structures such as a million stray delimiters must not cost unbounded memory).
    void note(std::uint64_t offset, std::string message) {
        if (warnings_.size() >= options_.limits.max_warnings) {
            ++suppressed_warnings_;
            return;
        }
        warnings_.push_back(warning{offset, path_string(), std::move(message)});
    }
    /// Adds the count of warnings that were not recorded, once parsing is done.
    void finish() {
        if (suppressed_warnings_ != 0) {
            warnings_.push_back(warning{~std::uint64_t{0}, {},
                                        std::to_string(suppressed_warnings_) +
                                            " more warnings not recorded (limits::max_warnings)"});
            suppressed_warnings_ = 0;
        }
    }
    failure fail(errc code, std::uint64_t offset, std::string message) const {
        return failure(code, std::move(message), offset, path_string());
    }

private:
    result<element_header> read_header(byte_reader& r, encoding enc, const dataset& current);
    result<void> parse_sequence(byte_reader& r, element& e, encoding enc, std::uint32_t depth,
                                std::string_view inherited_charset);
    result<void> parse_encapsulated(byte_reader& r, element& e, encoding enc);
    result<void> count_element(std::uint64_t offset) {
        if (++element_count_ > options_.limits.max_elements) {
            return fail(errc::limit_exceeded, offset,
                        "more than " + std::to_string(options_.limits.max_elements) + " elements and items");
        }
        return {};
    }
    [[nodiscard]] std::string path_string() const { return to_string(path_); }

    const parse_options& options_;
    std::vector<warning>& warnings_;
    std::vector<path_step> path_;
    std::uint64_t element_count_{0};
    std::uint64_t suppressed_warnings_{0};
    bool stopped_{false};
};

result<element_header> dataset_parser::read_header(byte_reader& r, encoding enc, const dataset& current) {
    const std::uint64_t offset = r.offset();
    if (!r.can_read(8)) {
        return fail(errc::unexpected_end, offset,
                    "element header needs 8 bytes, " + std::to_string(r.remaining()) + " left");
    }
    element_header h;
    const std::uint16_t group = r.u16(enc.big_endian);
    const std::uint16_t elem = r.u16(enc.big_endian);
    h.t = tag(group, elem);
    if (group == 0xFFFE) {
        // Items and delimiters have no VR in any transfer syntax (PS3.5 §7.5).
        h.length = r.u32(enc.big_endian);
        return h;
    }
    if (!enc.explicit_vr) {
        h.length = r.u32(enc.big_endian);
        h.v = implicit_vr(h.t, current);
        return h;
    }
    const auto code = r.peek(2);
    if (is_known_vr(code[0], code[1])) {
        h.v = vr_from_chars(static_cast<char>(code[0]), static_cast<char>(code[1]));
        r.skip(2);
        if (has_long_length(h.v)) {
            if (!r.can_read(6)) {
                return fail(errc::unexpected_end, offset, "explicit VR element header is truncated");
            }
            r.skip(2); // reserved (PS3.5 §7.1.2)
            h.length = r.u32(enc.big_endian);
        } else {
            h.length = r.u16(enc.big_endian);
        }
        return h;
    }
    if (is_upper(code[0]) && is_upper(code[1])) {
        // An unknown VR code: PS3.5 §7.1.2 reserves the 4-byte length form for VRs defined later.
        h.unknown_vr_code = true;
        h.v = vr::UN;
        r.skip(2);
        if (!r.can_read(6)) {
            return fail(errc::unexpected_end, offset, "explicit VR element header is truncated");
        }
        r.skip(2);
        h.length = r.u32(enc.big_endian);
        return h;
    }
    // Not a VR at all: an implicit VR element inside an explicit VR stream (seen in real files).
    h.implicit_in_explicit = true;
    h.length = r.u32(enc.big_endian);
    h.v = implicit_vr(h.t, current);
    return h;
}

result<void> dataset_parser::parse_dataset(byte_reader& r, dataset& out, encoding enc, std::uint32_t depth,
                                           bool in_undefined_item, bool top_level) {
    out.set_big_endian(enc.big_endian);
    tag previous{0};
    bool first = true;
    while (!r.at_end()) {
        const std::size_t start = r.position();
        const std::uint64_t offset = r.offset();
        if (!r.can_read(8)) {
            DICOMPIX_TRY_VOID(recover(errc::unexpected_end, offset,
                                      std::to_string(r.remaining()) + " trailing bytes too short for an element ignored"));
            r.skip(r.remaining());
            break;
        }
        DICOMPIX_TRY(element_header h, read_header(r, enc, out));
        if (h.t == item_delimitation_tag) {
            if (in_undefined_item) {
                if (h.length != 0) {
                    note(offset, "Item Delimitation Item has non-zero length " + std::to_string(h.length));
                }
                return {};
            }
            DICOMPIX_TRY_VOID(recover(errc::invalid_sequence, offset, "stray Item Delimitation Item skipped"));
            continue;
        }
        if (h.t == sequence_delimitation_tag) {
            if (in_undefined_item) {
                // The item's delimiter is missing; let the sequence consume its delimiter.
                DICOMPIX_TRY_VOID(recover(errc::invalid_sequence, offset,
                                          "Sequence Delimitation Item where Item Delimitation Item expected"));
                r.seek(start);
                return {};
            }
            DICOMPIX_TRY_VOID(recover(errc::invalid_sequence, offset, "stray Sequence Delimitation Item skipped"));
            continue;
        }
        if (h.t == item_tag) {
            return fail(errc::invalid_sequence, offset, "Item tag (FFFE,E000) outside a sequence");
        }
        if (top_level && h.t.value == 0 && h.length == 0 && !first) {
            // Trailing zero bytes after the dataset (vtk-dicom #201): stop rather than read thousands of
            // empty (0000,0000) elements.
            DICOMPIX_TRY_VOID(recover(errc::invalid_length, offset,
                                      std::to_string(r.remaining() + 8) + " trailing bytes starting with zeros ignored"));
            r.skip(r.remaining());
            break;
        }
        if (top_level && options_.stop_before_pixel_data && is_pixel_data_tag(h.t)) {
            r.seek(start);
            stopped_ = true;
            return {};
        }
        DICOMPIX_TRY_VOID(count_element(offset));
        if (h.implicit_in_explicit) {
            DICOMPIX_TRY_VOID(recover(errc::invalid_vr, offset,
                                      "implicit VR element " + h.t.to_string() + " in an explicit VR dataset"));
        } else if (h.unknown_vr_code) {
            DICOMPIX_TRY_VOID(recover(errc::invalid_vr, offset,
                                      "unknown VR code for " + h.t.to_string() + " read as UN"));
        }
        if (!first && h.t <= previous) {
            if (h.t == previous) {
                note(offset, "duplicate element " + h.t.to_string());
            } else {
                note(offset, "element " + h.t.to_string() + " out of order after " + previous.to_string());
            }
        }
        first = false;
        previous = h.t;

        element e(h.t, h.v, {}, enc.big_endian);
        e.set_parse_info({offset, r.offset(), h.length});
        path_.push_back(path_step{h.t, 0});

        const bool undefined = h.length == undefined_length;
        const bool cp246 = undefined && (h.v == vr::UN || h.v == vr::unknown);
        if (h.v == vr::SQ || cp246) {
            // CP-246: a UN element with undefined length holds a sequence in implicit VR little endian.
            const encoding items_enc = cp246 ? encoding{false, false} : enc;
            DICOMPIX_TRY_VOID(parse_sequence(r, e, items_enc, depth, out.specific_character_set()));
            if (cp246 && e.vr() == vr::UN) {
                const dictionary_entry* entry = find_entry(h.t);
                if (entry != nullptr && entry->value_vr == vr::SQ) {
                    e.set_vr(vr::SQ);
                }
            }
        } else if (undefined) {
            if (!is_pixel_data_tag(h.t)) {
                return fail(errc::invalid_length, offset,
                            "undefined length is not allowed for " + h.t.to_string() + " with VR " +
                                std::string(to_string(h.v)));
            }
            DICOMPIX_TRY_VOID(parse_encapsulated(r, e, enc));
        } else {
            if (h.length > options_.limits.max_value_length) {
                return fail(errc::limit_exceeded, offset,
                            "value length " + std::to_string(h.length) + " exceeds the limit of " +
                                std::to_string(options_.limits.max_value_length));
            }
            std::size_t length = h.length;
            if (!r.can_read(length)) {
                const bool ascii_spaces = h.length == 0x20202020U || h.length == 0x2020U;
                // A truncated last element is recoverable only where nothing encloses it.
                const bool at_outer_end = r.limit() == r.size();
                if (!at_outer_end) {
                    return fail(errc::unexpected_end, offset,
                                "value length " + std::to_string(h.length) + " of " + h.t.to_string() +
                                    " runs past the enclosing value (" + std::to_string(r.remaining()) + " bytes left)");
                }
                DICOMPIX_TRY_VOID(recover(errc::unexpected_end, offset,
                                          std::string(ascii_spaces ? "value length is ASCII spaces; " : "") +
                                              "value of " + h.t.to_string() + " truncated: length " +
                                              std::to_string(h.length) + ", " + std::to_string(r.remaining()) +
                                              " bytes left"));
                length = r.remaining();
            }
            if ((length & 1U) != 0 && length == h.length) {
                DICOMPIX_TRY_VOID(recover(errc::invalid_length, offset,
                                          "odd value length " + std::to_string(h.length) + " for " + h.t.to_string()));
            }
            element viewed(h.t, h.v, r.bytes(length), enc.big_endian);
            viewed.set_parse_info({offset, e.value_offset(), h.length});
            e = std::move(viewed);
            if (h.t == specific_character_set_tag) {
                out.set_specific_character_set(e.raw_string());
            }
        }
        path_.pop_back();
        out.push_back_unordered(std::move(e));
    }
    if (in_undefined_item) {
        DICOMPIX_TRY_VOID(recover(errc::unexpected_end, r.offset(), "input ends inside an undefined-length item"));
    }
    return {};
}

result<void> dataset_parser::parse_sequence(byte_reader& r, element& e, encoding enc, std::uint32_t depth,
                                            std::string_view inherited_charset) {
    if (depth + 1 > options_.limits.max_sequence_depth) {
        return fail(errc::limit_exceeded, e.offset(),
                    "sequences nested deeper than " + std::to_string(options_.limits.max_sequence_depth));
    }
    const bool undefined = e.has_undefined_length();
    std::size_t saved_limit = 0;
    if (!undefined) {
        if (!r.can_read(e.declared_length())) {
            return fail(errc::unexpected_end, e.offset(),
                        "sequence length " + std::to_string(e.declared_length()) + " runs past the enclosing value (" +
                            std::to_string(r.remaining()) + " bytes left)");
        }
        saved_limit = r.push_limit(e.declared_length());
    }
    // Items inherit the Specific Character Set of the enclosing dataset (PS3.5 §7.5.1 note).
    std::vector<dataset>& items = e.items();
    for (;;) {
        if (r.at_end()) {
            if (undefined) {
                DICOMPIX_TRY_VOID(recover(errc::unexpected_end, r.offset(),
                                          "input ends before the Sequence Delimitation Item of " + e.tag().to_string()));
            }
            break;
        }
        const std::size_t start = r.position();
        const std::uint64_t offset = r.offset();
        if (!r.can_read(8)) {
            return fail(errc::unexpected_end, offset, "item header is truncated");
        }
        const tag t{r.u16(enc.big_endian), r.u16(enc.big_endian)}; // braces: left-to-right evaluation
        const std::uint32_t length = r.u32(enc.big_endian);
        if (t == sequence_delimitation_tag) {
            if (length != 0) {
                note(offset, "Sequence Delimitation Item has non-zero length " + std::to_string(length));
            }
            if (undefined) {
                break;
            }
            DICOMPIX_TRY_VOID(recover(errc::invalid_sequence, offset,
                                      "Sequence Delimitation Item in a defined-length sequence"));
            continue;
        }
        if (t == item_delimitation_tag) {
            DICOMPIX_TRY_VOID(recover(errc::invalid_sequence, offset, "stray Item Delimitation Item in a sequence"));
            continue;
        }
        if (t != item_tag) {
            if (undefined) {
                // The Sequence Delimitation Item is missing: the sequence ends where the next element starts.
                DICOMPIX_TRY_VOID(recover(errc::invalid_sequence, offset,
                                          "missing Sequence Delimitation Item before " + t.to_string()));
                r.seek(start);
                break;
            }
            return fail(errc::invalid_sequence, offset, "expected an Item in sequence, found " + t.to_string());
        }
        DICOMPIX_TRY_VOID(count_element(offset));
        path_.back().item = items.size();
        dataset item;
        item.set_item_info(offset, length == undefined_length);
        item.set_specific_character_set(inherited_charset);
        if (length == undefined_length) {
            DICOMPIX_TRY_VOID(parse_dataset(r, item, enc, depth + 1, true, false));
        } else {
            if (!r.can_read(length)) {
                return fail(errc::unexpected_end, offset,
                            "item length " + std::to_string(length) + " runs past the enclosing value (" +
                                std::to_string(r.remaining()) + " bytes left)");
            }
            const std::size_t item_limit = r.push_limit(length);
            DICOMPIX_TRY_VOID(parse_dataset(r, item, enc, depth + 1, false, false));
            r.pop_limit(item_limit);
        }
        items.push_back(std::move(item));
    }
    if (!undefined) {
        r.pop_limit(saved_limit);
    }
    return {};
}

result<void> dataset_parser::parse_encapsulated(byte_reader& r, element& e, encoding enc) {
    // PS3.5 §A.4: Item (Basic Offset Table), Items (fragments), Sequence Delimitation Item.
    encapsulated_pixel_data data;
    bool first_item = true;
    for (;;) {
        if (r.at_end()) {
            data.has_sequence_delimiter = false;
            DICOMPIX_TRY_VOID(recover(errc::unexpected_end, r.offset(),
                                      "input ends before the Sequence Delimitation Item of encapsulated Pixel Data"));
            break;
        }
        const std::size_t start = r.position();
        const std::uint64_t offset = r.offset();
        if (!r.can_read(8)) {
            data.has_sequence_delimiter = false;
            DICOMPIX_TRY_VOID(recover(errc::unexpected_end, offset, "encapsulated Pixel Data ends in an item header"));
            r.skip(r.remaining());
            break;
        }
        const tag t{r.u16(enc.big_endian), r.u16(enc.big_endian)}; // braces: left-to-right evaluation
        const std::uint32_t length = r.u32(enc.big_endian);
        if (t == sequence_delimitation_tag) {
            if (length != 0) {
                note(offset, "Sequence Delimitation Item has non-zero length " + std::to_string(length));
            }
            break;
        }
        if (t != item_tag) {
            data.has_sequence_delimiter = false;
            DICOMPIX_TRY_VOID(recover(errc::invalid_encapsulation, offset,
                                      "encapsulated Pixel Data has no Sequence Delimitation Item before " +
                                          t.to_string()));
            r.seek(start);
            break;
        }
        if (length == undefined_length) {
            return fail(errc::invalid_encapsulation, offset, "fragment item with undefined length");
        }
        std::size_t available = length;
        if (!r.can_read(length)) {
            DICOMPIX_TRY_VOID(recover(errc::unexpected_end, offset,
                                      "fragment length " + std::to_string(length) + " runs past the end (" +
                                          std::to_string(r.remaining()) + " bytes left); fragment truncated"));
            available = r.remaining();
        }
        if (first_item) {
            first_item = false;
            data.basic_offset_table = r.bytes(available);
            data.first_fragment_offset = r.offset();
            if (length % 4 != 0) {
                note(offset, "Basic Offset Table length " + std::to_string(length) + " is not a multiple of 4");
            }
            continue;
        }
        if (data.fragments.size() >= options_.limits.max_fragments) {
            return fail(errc::limit_exceeded, offset,
                        "more than " + std::to_string(options_.limits.max_fragments) + " fragments");
        }
        if ((length & 1U) != 0) {
            note(offset, "odd fragment length " + std::to_string(length));
        }
        const std::uint64_t value_offset = r.offset();
        data.fragments.push_back(fragment{value_offset, r.bytes(available)});
    }
    if (first_item) {
        DICOMPIX_TRY_VOID(recover(errc::invalid_encapsulation, e.offset(),
                                  "encapsulated Pixel Data has no Basic Offset Table item"));
        data.first_fragment_offset = r.offset();
    }
    e.set_encapsulated(std::move(data));
    return {};
}

} // namespace

/// Splits the file into preamble, meta group and dataset, then runs dataset_parser.
class file_parser {
public:
    explicit file_parser(const parse_options& options) : options_(options) {}

    result<dicom_file> parse(byte_source source, std::string_view forced_transfer_syntax);

private:
    result<void> parse_meta(byte_reader& r, dataset_parser& parser, dicom_file& file);
    const parse_options& options_;
};

result<void> file_parser::parse_meta(byte_reader& r, dataset_parser& parser, dicom_file& file) {
    // PS3.10 §7.1: explicit VR little endian, group 0002. Read elements while the group is 0002 so that
    // a missing or wrong group length (both seen in real files) still finds the end of the group.
    std::uint64_t declared_end = 0;
    bool have_group_length = false;
    const std::size_t meta_start = r.position();
    dataset& meta = file.meta_;
    bool first = true;
    while (r.can_read(8)) {
        const std::uint16_t group = detail::load_u16(r.peek(2).data(), false);
        if (group != 0x0002) {
            break;
        }
        const std::uint64_t offset = r.offset();
        const auto head = r.peek(6);
        const bool explicit_vr = is_known_vr(head[4], head[5]);
        const tag t{r.u16(false), r.u16(false)}; // braces: left-to-right evaluation
        vr v = vr::UN;
        std::uint32_t length = 0;
        if (explicit_vr) {
            v = vr_from_chars(static_cast<char>(head[4]), static_cast<char>(head[5]));
            r.skip(2);
            if (has_long_length(v)) {
                if (!r.can_read(6)) {
                    return parser.fail(errc::invalid_meta, offset, "file meta element header is truncated");
                }
                r.skip(2);
                length = r.u32(false);
            } else {
                length = r.u16(false);
            }
        } else {
            DICOMPIX_TRY_VOID(parser.recover(errc::invalid_meta, offset,
                                             "file meta element " + t.to_string() + " is not explicit VR"));
            length = r.u32(false);
            const dictionary_entry* entry = find_entry(t);
            v = t.is_group_length() ? vr::UL : (entry != nullptr ? entry->value_vr : vr::UN);
        }
        if (length == undefined_length || !r.can_read(length)) {
            return parser.fail(errc::invalid_meta, offset,
                               "file meta element " + t.to_string() + " length " + std::to_string(length) +
                                   " runs past the end of the input");
        }
        if (length > options_.limits.max_value_length) {
            return parser.fail(errc::limit_exceeded, offset, "file meta element value too long");
        }
        element e(t, v, r.bytes(length), false);
        e.set_parse_info({offset, r.offset() - length, length});
        if (first && t == meta_group_length_tag) {
            if (auto gl = e.get<std::uint32_t>(); gl) {
                have_group_length = true;
                declared_end = r.position() + std::uint64_t{*gl};
            }
        }
        first = false;
        meta.push_back_unordered(std::move(e));
    }
    if (!have_group_length) {
        parser.note(r.offset_of(meta_start), "file meta information has no group length (0002,0000)");
    } else if (declared_end != r.position()) {
        parser.note(r.offset_of(meta_start),
                    "file meta group length says the group ends at " + std::to_string(r.offset_of(0) + declared_end) +
                        ", it ends at " + std::to_string(r.offset()));
    }
    return {};
}

result<dicom_file> file_parser::parse(byte_source source, std::string_view forced_transfer_syntax) {
    dicom_file file;
    file.file_source_ = source;
    const std::span<const std::byte> bytes = source.bytes();
    if (bytes.size() > options_.limits.max_total_bytes) {
        return failure(errc::limit_exceeded, "input of " + std::to_string(bytes.size()) + " bytes exceeds the limit");
    }
    dataset_parser parser(options_, file.warnings_);
    byte_reader r(bytes);

    constexpr std::size_t preamble_size = 128;
    const auto is_dicm = [](std::span<const std::byte> b) {
        return b.size() >= 4 && std::memcmp(b.data(), "DICM", 4) == 0;
    };
    bool has_meta = false;
    if (forced_transfer_syntax.empty()) {
        if (bytes.size() >= preamble_size + 4 && is_dicm(bytes.subspan(preamble_size))) {
            file.has_preamble_ = true;
            r.skip(preamble_size + 4);
            has_meta = true;
        } else if (is_dicm(bytes)) {
            // "DICM" without the preamble: not PS3.10, but unambiguous.
            DICOMPIX_TRY_VOID(parser.recover(errc::not_dicom, 0, "file starts with DICM but has no 128-byte preamble"));
            r.skip(4);
            has_meta = true;
        } else if (bytes.size() >= 8 && detail::load_u16(bytes.data(), false) == 0x0002) {
            // A meta group without preamble.
            DICOMPIX_TRY_VOID(parser.recover(errc::not_dicom, 0, "file meta group without preamble and DICM prefix"));
            has_meta = true;
        }
    }
    if (has_meta) {
        DICOMPIX_TRY_VOID(parse_meta(r, parser, file));
    }
    file.dataset_offset_ = r.offset();

    // Decide the transfer syntax: declared (meta), forced (caller), or detected (bare dataset).
    std::string declared;
    if (!forced_transfer_syntax.empty()) {
        declared = std::string(forced_transfer_syntax);
    } else if (const element* ts = file.meta_.find(transfer_syntax_uid_tag); ts != nullptr) {
        declared = std::string(ts->raw_string());
    }
    const std::span<const std::byte> rest = bytes.subspan(r.position());
    const detection detected = detect_encoding(rest);
    const transfer_syntax* ts = declared.empty() ? nullptr : find_transfer_syntax(declared);
    encoding enc;
    if (ts == nullptr) {
        if (!has_meta && forced_transfer_syntax.empty()) {
            if (!detected.plausible) {
                return failure(errc::not_dicom, "not a DICOM file: no DICM prefix and no recognisable dataset", 0);
            }
            parser.note(0, std::string("no file meta information; dataset detected as ") +
                               (detected.enc.explicit_vr ? "explicit" : "implicit") + " VR " +
                               (detected.enc.big_endian ? "big" : "little") + " endian");
        } else if (declared.empty()) {
            DICOMPIX_TRY_VOID(parser.recover(errc::invalid_meta, r.offset(),
                                             "file meta information has no Transfer Syntax UID; encoding detected"));
        } else {
            DICOMPIX_TRY_VOID(parser.recover(errc::unsupported_transfer_syntax, r.offset(),
                                             "unknown transfer syntax " + declared + "; encoding detected"));
        }
        enc = detected.plausible ? detected.enc : encoding{true, false};
        if (declared.empty()) {
            const std::string_view uid = enc.big_endian ? uids::explicit_vr_big_endian
                                         : enc.explicit_vr ? uids::explicit_vr_little_endian
                                                           : uids::implicit_vr_little_endian;
            declared = std::string(uid);
        }
        ts = find_transfer_syntax(enc.big_endian ? uids::explicit_vr_big_endian
                                  : enc.explicit_vr ? uids::explicit_vr_little_endian
                                                    : uids::implicit_vr_little_endian);
    } else {
        enc = encoding{ts->explicit_vr, ts->big_endian};
    }
    file.transfer_syntax_uid_ = declared;

    byte_source dataset_source = source;
    std::span<const std::byte> dataset_bytes = rest;
    std::uint64_t origin = r.offset();
    if (ts != nullptr && ts->deflated) {
        auto inflated = detail::inflate_bounded(rest, options_.limits.max_inflated_bytes);
        if (!inflated) {
            auto err = std::move(inflated).error();
            err.offset = r.offset();
            return failure(std::move(err));
        }
        if (inflated->used_wrapper) {
            DICOMPIX_TRY_VOID(parser.recover(errc::inflate_error, r.offset(),
                                             "deflated dataset has a zlib/gzip wrapper (PS3.5 §A.5 requires raw deflate)"));
        }
        // One NUL after the stream only pads the file to even length.
        const std::size_t left = rest.size() - inflated->consumed;
        if (left > 1 || (left == 1 && rest.back() != std::byte{0})) {
            parser.note(r.offset() + inflated->consumed,
                        std::to_string(rest.size() - inflated->consumed) + " bytes after the deflated stream ignored");
        }
        dataset_source = byte_source::adopt(std::move(inflated->bytes));
        dataset_bytes = dataset_source.bytes();
        origin = 0;
    } else if (!dataset_bytes.empty()) {
        // A declared encoding that contradicts the bytes (seen: explicit VR data labelled implicit).
        const detection check = detect_encoding(dataset_bytes);
        if (check.plausible && check.enc.explicit_vr != enc.explicit_vr) {
            DICOMPIX_TRY_VOID(parser.recover(
                errc::unsupported_transfer_syntax, r.offset(),
                std::string("transfer syntax says ") + (enc.explicit_vr ? "explicit" : "implicit") +
                    " VR but the dataset is " + (check.enc.explicit_vr ? "explicit" : "implicit") + " VR"));
            enc.explicit_vr = check.enc.explicit_vr;
            if (ts->encapsulated == false) {
                ts = find_transfer_syntax(enc.big_endian ? uids::explicit_vr_big_endian
                                          : enc.explicit_vr ? uids::explicit_vr_little_endian
                                                            : uids::implicit_vr_little_endian);
            }
        }
    }
    file.transfer_syntax_ = ts;
    file.dataset_source_ = dataset_source;

    byte_reader dr(dataset_bytes, origin);
    DICOMPIX_TRY_VOID(parser.parse_dataset(dr, file.dataset_, enc, 0, false, true));
    parser.finish();
    file.stopped_before_pixel_data_ = parser.stopped_before_pixel_data();
    return file;
}

result<dicom_file> read_bytes(byte_source source, const parse_options& options) {
    file_parser parser(options);
    return parser.parse(std::move(source), {});
}

result<dicom_file> read_dataset(byte_source source, std::string_view transfer_syntax_uid,
                                const parse_options& options) {
    if (transfer_syntax_uid.empty()) {
        return failure(errc::invalid_argument, "read_dataset needs a transfer syntax UID");
    }
    file_parser parser(options);
    return parser.parse(std::move(source), transfer_syntax_uid);
}

result<dicom_file> read_file(const std::filesystem::path& path, const parse_options& options) {
    auto source = byte_source::map_file(path, options.limits.max_total_bytes);
    if (!source) {
        return failure(std::move(source).error());
    }
    auto file = read_bytes(std::move(*source), options);
    if (!file) {
        auto err = std::move(file).error();
        err.message = path.string() + ": " + err.message;
        return failure(std::move(err));
    }
    return file;
}

} // namespace dicompix
