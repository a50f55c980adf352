// SPDX-License-Identifier: BSD-3-Clause
#include "writer/encoder.hpp"

#include <algorithm>
#include <cstring>

#include "dicompix/dictionary.hpp"

namespace dicompix::detail {

void buffered_writer::put16(std::uint16_t v, bool big_endian) {
    const std::byte b[2] = {static_cast<std::byte>(big_endian ? v >> 8U : v & 0xFFU),
                            static_cast<std::byte>(big_endian ? v & 0xFFU : v >> 8U)};
    put(b);
}

void buffered_writer::put32(std::uint32_t v, bool big_endian) {
    if (big_endian) {
        put16(static_cast<std::uint16_t>(v >> 16U), true);
        put16(static_cast<std::uint16_t>(v & 0xFFFFU), true);
    } else {
        put16(static_cast<std::uint16_t>(v & 0xFFFFU), false);
        put16(static_cast<std::uint16_t>(v >> 16U), false);
    }
}

std::byte pad_byte(vr v) noexcept {
    return is_string_vr(v) && v != vr::UI ? std::byte{' '} : std::byte{0};
}

void append_value(std::vector<std::byte>& out, const element& e, bool big_endian) {
    const auto value = e.bytes();
    const std::size_t start = out.size();
    out.insert(out.end(), value.begin(), value.end());
    const std::size_t size = byte_swap_unit(e.vr());
    if (size > 1 && e.big_endian() != big_endian) {
        for (std::size_t i = start; i + size <= out.size(); i += size) {
            std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                         out.begin() + static_cast<std::ptrdiff_t>(i + size));
        }
    }
}

namespace {

bool is_group_length(tag t) noexcept {
    return t.element() == 0 && t.group() != 0xFFFE;
}

/// Elements in ascending tag order (PS3.5 §7.1), whatever order the dataset was read in.
std::vector<const element*> ordered(const dataset& ds) {
    std::vector<const element*> out;
    out.reserve(ds.size());
    for (const element& e : ds) {
        out.push_back(&e);
    }
    if (!ds.sorted()) {
        std::stable_sort(out.begin(), out.end(),
                         [](const element* a, const element* b) { return a->tag() < b->tag(); });
    }
    return out;
}

/// CP-246: a UN element holding items is written with undefined length and implicit VR LE items.
bool is_un_sequence(const element& e) noexcept {
    return !e.items().empty() && e.vr() != vr::SQ;
}

} // namespace

vr dataset_encoder::written_vr(const element& e) const noexcept {
    if (e.vr() == vr::unknown) {
        return vr::UN;
    }
    return e.vr();
}

std::uint32_t dataset_encoder::header_size(tag t, vr v, encoding enc) noexcept {
    if (t.group() == 0xFFFE || !enc.explicit_vr) {
        return 8;
    }
    return has_long_length(v) ? 12 : 8;
}

void dataset_encoder::write_header(buffered_writer& out, tag t, vr v, std::uint32_t length, encoding enc) const {
    out.put16(t.group(), enc.big_endian);
    out.put16(t.element(), enc.big_endian);
    if (t.group() == 0xFFFE || !enc.explicit_vr) {
        out.put32(length, enc.big_endian);
        return;
    }
    const std::string_view code = to_string(v);
    const std::byte c[2] = {static_cast<std::byte>(code[0]), static_cast<std::byte>(code[1])};
    out.put(c);
    if (has_long_length(v)) {
        out.put16(0, false);
        out.put32(length, enc.big_endian);
    } else {
        out.put16(static_cast<std::uint16_t>(length), enc.big_endian);
    }
}

std::uint64_t dataset_encoder::items_size(const element& e, encoding item_enc) const {
    const bool undefined = undefined_sequences_ || is_un_sequence(e);
    std::uint64_t total = 0;
    for (const dataset& item : e.items()) {
        total += 8 + dataset_size(item, item_enc) + (undefined ? 8 : 0);
    }
    return total + (undefined ? 8 : 0);
}

std::uint64_t dataset_encoder::element_size(const element& e, encoding enc) const {
    const vr v = written_vr(e);
    if (e.is_sequence()) {
        const encoding item_enc = is_un_sequence(e) ? encoding{false, false} : enc;
        return header_size(e.tag(), is_un_sequence(e) ? vr::UN : vr::SQ, enc) + items_size(e, item_enc);
    }
    if (e.is_encapsulated()) {
        std::uint64_t total = header_size(e.tag(), v, enc) + 8 + e.encapsulated()->basic_offset_table.size();
        for (const fragment& f : e.encapsulated()->fragments) {
            total += 8 + f.bytes.size() + (f.bytes.size() & 1U);
        }
        return total + 8;
    }
    std::uint64_t length = e.bytes().size();
    length += length & 1U;
    const vr out_vr = (!has_long_length(v) && length > 0xFFFF && enc.explicit_vr) ? vr::UN : v;
    return header_size(e.tag(), out_vr, enc) + length;
}

std::uint64_t dataset_encoder::dataset_size(const dataset& ds, encoding enc) const {
    std::uint64_t total = 0;
    for (const element& e : ds) {
        total += element_size(e, enc);
    }
    return total;
}

result<void> dataset_encoder::write_element(const element& e, buffered_writer& out, encoding enc) {
    vr v = written_vr(e);
    if (e.is_sequence()) {
        const bool un = is_un_sequence(e);
        const encoding item_enc = un ? encoding{false, false} : enc;
        const bool undefined = undefined_sequences_ || un;
        const std::uint64_t content = items_size(e, item_enc);
        if (!undefined && content > 0xFFFFFFFEULL) {
            return failure(errc::write_error, "sequence " + e.tag().to_string() + " is longer than 4 GiB");
        }
        write_header(out, e.tag(), un ? vr::UN : vr::SQ,
                     undefined ? undefined_length : static_cast<std::uint32_t>(content), enc);
        for (const dataset& item : e.items()) {
            const std::uint64_t item_length = dataset_size(item, item_enc);
            write_header(out, item_tag, vr::unknown,
                         undefined ? undefined_length : static_cast<std::uint32_t>(item_length), item_enc);
            for (const element* child : ordered(item)) {
                DICOMPIX_TRY_VOID(write_element(*child, out, item_enc));
            }
            if (undefined) {
                write_header(out, item_delimitation_tag, vr::unknown, 0, item_enc);
            }
        }
        if (undefined) {
            write_header(out, sequence_delimitation_tag, vr::unknown, 0, item_enc);
        }
        return {};
    }
    if (e.is_encapsulated()) {
        // Encapsulated data outside the top-level Pixel Data (e.g. an icon): copied as it is.
        const auto* enc_data = e.encapsulated();
        write_header(out, e.tag(), vr::OB, undefined_length, enc);
        write_header(out, item_tag, vr::unknown, static_cast<std::uint32_t>(enc_data->basic_offset_table.size()), enc);
        out.put(enc_data->basic_offset_table);
        for (const fragment& f : enc_data->fragments) {
            const std::size_t padded = f.bytes.size() + (f.bytes.size() & 1U);
            write_header(out, item_tag, vr::unknown, static_cast<std::uint32_t>(padded), enc);
            out.put(f.bytes);
            if (padded != f.bytes.size()) {
                out.zeros(1);
            }
        }
        write_header(out, sequence_delimitation_tag, vr::unknown, 0, enc);
        return {};
    }
    const auto value = e.bytes();
    const std::size_t padded = value.size() + (value.size() & 1U);
    if (padded > 0xFFFFFFFEULL) {
        return failure(errc::write_error, "value of " + e.tag().to_string() + " is longer than 4 GiB");
    }
    if (enc.explicit_vr && !has_long_length(v) && padded > 0xFFFF) {
        // The 16-bit length of this VR cannot hold the value (PS3.5 §7.1.2): write it as UN.
        warnings_.push_back(warning{e.offset(), e.tag().to_string(),
                                    "value of " + std::to_string(padded) + " bytes written as UN (VR " +
                                        std::string(to_string(v)) + " has a 16-bit length)"});
        v = vr::UN;
    }
    write_header(out, e.tag(), v, static_cast<std::uint32_t>(padded), enc);
    const std::size_t size = byte_swap_unit(e.vr());
    if (size > 1 && e.big_endian() != enc.big_endian) {
        std::vector<std::byte> converted;
        converted.reserve(padded);
        append_value(converted, e, enc.big_endian);
        out.put(converted);
    } else {
        out.put(value);
    }
    if (padded != value.size()) {
        const std::byte pad[1] = {pad_byte(e.vr())};
        out.put(pad);
    }
    return {};
}

result<void>
dataset_encoder::write_dataset(const dataset& ds, buffered_writer& out, const std::function<bool(tag)>& hooked,
                               const element_hook& hook,
                               const std::function<std::optional<std::uint64_t>(const element&)>& hooked_size) {
    const auto elements = ordered(ds);
    for (std::size_t i = 0; i < elements.size(); ++i) {
        const element& e = *elements[i];
        if (hooked && hooked(e.tag())) {
            DICOMPIX_TRY_VOID(hook(e, out));
            continue;
        }
        if (is_group_length(e.tag())) {
            // Retired group lengths (PS3.5 §7.2) are recomputed for what is written, so they stay true.
            // A duplicate of one (a malformed input) is dropped: it would count itself in the first.
            if (i > 0 && elements[i - 1]->tag() == e.tag()) {
                continue;
            }
            std::uint64_t length = 0;
            bool unknown = false;
            for (std::size_t j = i + 1; j < elements.size() && elements[j]->tag().group() == e.tag().group(); ++j) {
                if (elements[j]->tag() == e.tag()) {
                    continue;
                }
                if (hooked && hooked(elements[j]->tag())) {
                    const auto size = hooked_size ? hooked_size(*elements[j]) : std::nullopt;
                    unknown = unknown || !size;
                    length += size.value_or(0);
                } else {
                    length += element_size(*elements[j], enc_);
                }
            }
            if (unknown || length > 0xFFFFFFFFULL) {
                continue; // not known before streaming (encapsulated pixel data): drop the retired element
            }
            write_header(out, e.tag(), vr::UL, 4, enc_);
            out.put32(static_cast<std::uint32_t>(length), enc_.big_endian);
            continue;
        }
        DICOMPIX_TRY_VOID(write_element(e, out, enc_));
    }
    return {};
}

} // namespace dicompix::detail
