// SPDX-License-Identifier: BSD-3-Clause
#include "support/dicom_builder.hpp"

#include <cstring>
#include <stdexcept>

namespace dicompix::test {

bytes to_bytes(std::string_view s) {
    bytes b(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    return b;
}

void dicom_builder::put16(std::uint16_t v) {
    if (big_endian_) {
        out_.push_back(static_cast<std::byte>(v >> 8U));
        out_.push_back(static_cast<std::byte>(v & 0xFFU));
    } else {
        out_.push_back(static_cast<std::byte>(v & 0xFFU));
        out_.push_back(static_cast<std::byte>(v >> 8U));
    }
}

void dicom_builder::put32(std::uint32_t v) {
    if (big_endian_) {
        put16(static_cast<std::uint16_t>(v >> 16U));
        put16(static_cast<std::uint16_t>(v & 0xFFFFU));
    } else {
        put16(static_cast<std::uint16_t>(v & 0xFFFFU));
        put16(static_cast<std::uint16_t>(v >> 16U));
    }
}

void dicom_builder::patch32(std::size_t pos, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t shift = big_endian_ ? (3 - i) * 8 : i * 8;
        out_[pos + i] = static_cast<std::byte>((v >> shift) & 0xFFU);
    }
}

dicom_builder& dicom_builder::raw(std::span<const std::byte> b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
}
dicom_builder& dicom_builder::raw_u16(std::uint16_t v) {
    put16(v);
    return *this;
}
dicom_builder& dicom_builder::raw_u32(std::uint32_t v) {
    put32(v);
    return *this;
}

dicom_builder& dicom_builder::header(tag t, vr v, std::uint32_t length) {
    put16(t.group());
    put16(t.element());
    if (t.group() == 0xFFFE || !explicit_) {
        put32(length);
        return *this;
    }
    const std::string_view code = to_string(v);
    out_.push_back(static_cast<std::byte>(code[0]));
    out_.push_back(static_cast<std::byte>(code[1]));
    if (has_long_length(v)) {
        put16(0);
        put32(length);
    } else {
        put16(static_cast<std::uint16_t>(length));
    }
    return *this;
}

dicom_builder& dicom_builder::element(tag t, vr v, std::span<const std::byte> value) {
    header(t, v, static_cast<std::uint32_t>(value.size()));
    return raw(value);
}

dicom_builder& dicom_builder::str(tag t, vr v, std::string_view value) {
    bytes b = to_bytes(value);
    if ((b.size() & 1U) != 0) {
        b.push_back(v == vr::UI ? std::byte{0} : std::byte{' '});
    }
    return element(t, v, b);
}

dicom_builder& dicom_builder::us(tag t, std::initializer_list<std::uint16_t> values, vr v) {
    header(t, v, static_cast<std::uint32_t>(values.size() * 2));
    for (const auto x : values) {
        put16(x);
    }
    return *this;
}

dicom_builder& dicom_builder::ul(tag t, std::initializer_list<std::uint32_t> values, vr v) {
    header(t, v, static_cast<std::uint32_t>(values.size() * 4));
    for (const auto x : values) {
        put32(x);
    }
    return *this;
}

dicom_builder& dicom_builder::fd(tag t, std::initializer_list<double> values) {
    header(t, vr::FD, static_cast<std::uint32_t>(values.size() * 8));
    for (const double x : values) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &x, 8);
        if (big_endian_) {
            put32(static_cast<std::uint32_t>(bits >> 32U));
            put32(static_cast<std::uint32_t>(bits & 0xFFFFFFFFU));
        } else {
            put32(static_cast<std::uint32_t>(bits & 0xFFFFFFFFU));
            put32(static_cast<std::uint32_t>(bits >> 32U));
        }
    }
    return *this;
}

dicom_builder& dicom_builder::begin_sequence(tag t, bool undefined, vr v) {
    header(t, v, undefined ? 0xFFFFFFFFU : 0U);
    open_.push_back({out_.size() - 4, undefined, false});
    return *this;
}

dicom_builder& dicom_builder::end_sequence() {
    const open_value o = open_.back();
    open_.pop_back();
    if (o.is_item) {
        throw std::logic_error("end_sequence closes an item");
    }
    if (o.undefined) {
        put16(0xFFFE);
        put16(0xE0DD);
        put32(0);
    } else {
        patch32(o.length_pos, static_cast<std::uint32_t>(out_.size() - (o.length_pos + 4)));
    }
    return *this;
}

dicom_builder& dicom_builder::begin_item(bool undefined) {
    put16(0xFFFE);
    put16(0xE000);
    put32(undefined ? 0xFFFFFFFFU : 0U);
    open_.push_back({out_.size() - 4, undefined, true});
    return *this;
}

dicom_builder& dicom_builder::end_item() {
    const open_value o = open_.back();
    open_.pop_back();
    if (!o.is_item) {
        throw std::logic_error("end_item closes a sequence");
    }
    if (o.undefined) {
        put16(0xFFFE);
        put16(0xE00D);
        put32(0);
    } else {
        patch32(o.length_pos, static_cast<std::uint32_t>(out_.size() - (o.length_pos + 4)));
    }
    return *this;
}

dicom_builder& dicom_builder::encapsulated(std::span<const std::uint32_t> bot, const std::vector<bytes>& fragments,
                                           bool delimiter) {
    header(tag(0x7FE0, 0x0010), vr::OB, 0xFFFFFFFFU);
    put16(0xFFFE);
    put16(0xE000);
    put32(static_cast<std::uint32_t>(bot.size() * 4));
    for (const auto x : bot) {
        put32(x);
    }
    for (const auto& f : fragments) {
        put16(0xFFFE);
        put16(0xE000);
        put32(static_cast<std::uint32_t>(f.size()));
        raw(f);
    }
    if (delimiter) {
        put16(0xFFFE);
        put16(0xE0DD);
        put32(0);
    }
    return *this;
}

bytes dicom_builder::part10(std::span<const std::byte> dataset, std::string_view transfer_syntax_uid,
                            bool group_length, std::string_view sop_class, std::string_view sop_instance) {
    dicom_builder meta(true, false);
    const std::byte version[2] = {std::byte{0}, std::byte{1}};
    meta.element(tag(0x0002, 0x0001), vr::OB, version);
    meta.str(tag(0x0002, 0x0002), vr::UI, sop_class);
    meta.str(tag(0x0002, 0x0003), vr::UI, sop_instance);
    meta.str(tag(0x0002, 0x0010), vr::UI, transfer_syntax_uid);
    meta.str(tag(0x0002, 0x0012), vr::UI, "1.2.826.0.1.3680043.10.1");
    bytes out(128, std::byte{0});
    const bytes dicm = to_bytes("DICM");
    out.insert(out.end(), dicm.begin(), dicm.end());
    if (group_length) {
        dicom_builder gl(true, false);
        gl.ul(tag(0x0002, 0x0000), {static_cast<std::uint32_t>(meta.data().size())});
        out.insert(out.end(), gl.data().begin(), gl.data().end());
    }
    out.insert(out.end(), meta.data().begin(), meta.data().end());
    out.insert(out.end(), dataset.begin(), dataset.end());
    return out;
}

} // namespace dicompix::test
