// SPDX-License-Identifier: BSD-3-Clause
// The DICOM JSON Model writer (PS3.18 Annex F.2). Writes straight into one output buffer: values are
// read from the element views, numbers formatted with std::to_chars, base64 encoded in place; only
// values with non-ASCII bytes go through a temporary (character set decoding).
#include "dicompix/json.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ostream>
#include <type_traits>
#include <vector>

#include "io/byte_reader.hpp"
#include "string_values.hpp"

namespace dicompix {
namespace {

constexpr tag specific_character_set_tag{0x0008, 0x0005};
/// Flush to the stream when the buffer holds this much (and keeps base64 of huge values chunked).
constexpr std::size_t flush_threshold = std::size_t{1} << 20;
/// 2^53: the largest magnitude every JSON reader holds exactly in a double (RFC 8259 §6).
constexpr std::uint64_t max_exact_json_integer = std::uint64_t{1} << 53;

using detail::is_padding;
using detail::trim;

/// True when the string needs no character set decoding: 7-bit and no ISO 2022 escape (PS3.5 §6.1.2.5).
bool plain_ascii(std::string_view s) noexcept {
    return std::none_of(s.begin(), s.end(),
                        [](char c) { return static_cast<unsigned char>(c) >= 0x80 || c == '\x1b'; });
}

/// Binary VRs written as InlineBinary, and the byte-swap unit that turns their values little-endian.
std::size_t inline_binary_swap_unit(vr v) noexcept {
    switch (v) {
    case vr::OW:
        return 2;
    case vr::OF:
    case vr::OL:
        return 4;
    case vr::OD:
    case vr::OV:
        return 8;
    default:
        return 1;
    }
}

bool is_inline_binary_vr(vr v) noexcept {
    switch (v) {
    case vr::OB:
    case vr::OD:
    case vr::OF:
    case vr::OL:
    case vr::OV:
    case vr::OW:
    case vr::UN:
    case vr::unknown:
        return true;
    default:
        return false;
    }
}

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4), 0 when ill-formed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    const auto at = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[i + k]); };
    const auto cont = [&](std::size_t k) { return i + k < s.size() && (at(k) & 0xC0U) == 0x80U; };
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!cont(1) || !cont(2)) {
            return 0;
        }
        if ((b0 == 0xE0 && at(1) < 0xA0) || (b0 == 0xED && at(1) > 0x9F)) {
            return 0; // overlong, or a UTF-16 surrogate
        }
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) {
            return 0;
        }
        if ((b0 == 0xF0 && at(1) < 0x90) || (b0 == 0xF4 && at(1) > 0x8F)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() * 2);
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
            out += c;
        } else {
            out += static_cast<char>(0xC0U | (u >> 6U));
            out += static_cast<char>(0x80U | (u & 0x3FU));
        }
    }
    return out;
}

/// A JSON number equal to a DS or IS value (PS3.5 Table 6.2-1 syntax), or not one.
struct decimal_parts {
    bool valid{false};
    bool negative{false};
    std::string_view integer;  ///< leading zeros removed; may be empty (then "0")
    std::string_view fraction; ///< digits after '.', may be empty
    char exponent_sign{0};     ///< '+', '-' or 0
    std::string_view exponent; ///< digits, empty when there is no exponent
};

decimal_parts parse_decimal(std::string_view s) noexcept {
    decimal_parts p;
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        return s.substr(start, i - start);
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        p.negative = s[i] == '-';
        ++i;
    }
    p.integer = digits();
    if (i < s.size() && s[i] == '.') {
        ++i;
        p.fraction = digits();
    }
    if (p.integer.empty() && p.fraction.empty()) {
        return p;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            p.exponent_sign = s[i];
            ++i;
        }
        p.exponent = digits();
        if (p.exponent.empty()) {
            return p;
        }
    }
    if (i != s.size()) {
        return p;
    }
    while (!p.integer.empty() && p.integer.front() == '0') {
        p.integer.remove_prefix(1);
    }
    p.valid = true;
    return p;
}

class json_writer {
public:
    json_writer(std::string& out, std::ostream* stream, const json_options& options)
        : out_(out), stream_(stream), options_(options) {}

    result<void> document(const dataset& ds) {
        out_ += '{';
        bool first = true;
        if (options_.meta != nullptr) {
            DICOMPIX_TRY_VOID(members(*options_.meta, 1, first));
        }
        DICOMPIX_TRY_VOID(members(ds, 1, first));
        if (!first) {
            newline(0);
        }
        out_ += '}';
        if (options_.indent != 0) {
            out_ += '\n';
        }
        return flush(true);
    }

private:
    // ---- output ------------------------------------------------------------------------------------
    result<void> flush(bool force) {
        if (stream_ == nullptr || (!force && out_.size() < flush_threshold)) {
            return {};
        }
        stream_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
        out_.clear();
        if (!*stream_) {
            return failure(errc::write_error, "writing JSON to the output stream failed");
        }
        return {};
    }

    void newline(std::uint32_t level) {
        if (options_.indent != 0) {
            out_ += '\n';
            out_.append(std::size_t{level} * options_.indent, ' ');
        }
    }
    void colon() { out_.append(options_.indent != 0 ? ": " : ":"); }
    void comma() { out_.append(options_.indent != 0 ? ", " : ","); }

    template <class T> void number(T v) {
        std::array<char, 64> buffer{};
        const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
        (void)ec; // 64 characters hold any integer or shortest float form
        out_.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
    }

    /// A 64-bit integer: a JSON number while every reader holds it exactly in a double, else a string.
    template <class T> void large_integer(T v) {
        auto magnitude = static_cast<std::uint64_t>(v);
        if constexpr (std::is_signed_v<T>) {
            if (v < 0) {
                magnitude = std::uint64_t{0} - magnitude;
            }
        }
        if (magnitude > max_exact_json_integer) {
            out_ += '"';
            number(v);
            out_ += '"';
        } else {
            number(v);
        }
    }

    template <class T> void floating(T v) {
        if (std::isnan(v)) {
            out_ += "\"NaN\"";
        } else if (std::isinf(v)) {
            out_ += v < 0 ? "\"-Infinity\"" : "\"Infinity\"";
        } else {
            number(v);
        }
    }

    void hex4(std::uint16_t v) {
        static constexpr char digits[] = "0123456789ABCDEF";
        for (int shift = 12; shift >= 0; shift -= 4) {
            out_ += digits[(static_cast<unsigned>(v) >> static_cast<unsigned>(shift)) & 0xFU];
        }
    }

    /// A JSON string: escapes per RFC 8259 §7; ill-formed UTF-8 bytes become U+FFFD.
    void string(std::string_view s) {
        out_ += '"';
        std::size_t run = 0; // start of the pending run of bytes that need no escaping
        for (std::size_t i = 0; i < s.size();) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
                ++i;
                continue;
            }
            if (c >= 0x80) {
                const std::size_t n = utf8_sequence_length(s, i);
                if (n != 0) {
                    i += n;
                    continue;
                }
            }
            out_.append(s.data() + run, i - run);
            switch (c) {
            case '"':
                out_ += "\\\"";
                break;
            case '\\':
                out_ += "\\\\";
                break;
            case '\b':
                out_ += "\\b";
                break;
            case '\f':
                out_ += "\\f";
                break;
            case '\n':
                out_ += "\\n";
                break;
            case '\r':
                out_ += "\\r";
                break;
            case '\t':
                out_ += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out_ += "\\u00";
                    out_ += "0123456789abcdef"[c >> 4U];
                    out_ += "0123456789abcdef"[c & 0xFU];
                } else {
                    out_ += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
                }
            }
            ++i;
            run = i;
        }
        out_.append(s.data() + run, s.size() - run);
        out_ += '"';
    }

    // ---- base64 (RFC 4648 §4), fed in pieces --------------------------------------------------------
    void base64_put(std::span<const std::byte> bytes) {
        static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::size_t i = 0;
        while (carry_size_ != 0 && carry_size_ < 3 && i < bytes.size()) {
            carry_[carry_size_++] = std::to_integer<unsigned char>(bytes[i++]);
        }
        if (carry_size_ == 3) {
            base64_group(carry_[0], carry_[1], carry_[2]);
            carry_size_ = 0;
        }
        const std::size_t groups = (bytes.size() - i) / 3;
        const std::size_t start = out_.size();
        out_.resize(start + groups * 4);
        char* dst = out_.data() + start;
        const std::byte* src = bytes.data() + i;
        for (std::size_t g = 0; g < groups; ++g, src += 3, dst += 4) {
            const std::uint32_t v = std::to_integer<std::uint32_t>(src[0]) << 16U |
                                    std::to_integer<std::uint32_t>(src[1]) << 8U |
                                    std::to_integer<std::uint32_t>(src[2]);
            dst[0] = alphabet[(v >> 18U) & 0x3FU];
            dst[1] = alphabet[(v >> 12U) & 0x3FU];
            dst[2] = alphabet[(v >> 6U) & 0x3FU];
            dst[3] = alphabet[v & 0x3FU];
        }
        i += groups * 3;
        while (i < bytes.size()) {
            carry_[carry_size_++] = std::to_integer<unsigned char>(bytes[i++]);
        }
    }
    void base64_group(unsigned a, unsigned b, unsigned c) {
        static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned v = a << 16U | b << 8U | c;
        out_ += alphabet[(v >> 18U) & 0x3FU];
        out_ += alphabet[(v >> 12U) & 0x3FU];
        out_ += alphabet[(v >> 6U) & 0x3FU];
        out_ += alphabet[v & 0x3FU];
    }
    void base64_finish() {
        static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        if (carry_size_ == 1) {
            const unsigned v = static_cast<unsigned>(carry_[0]) << 16U;
            out_ += alphabet[(v >> 18U) & 0x3FU];
            out_ += alphabet[(v >> 12U) & 0x3FU];
            out_ += "==";
        } else if (carry_size_ == 2) {
            const unsigned v = static_cast<unsigned>(carry_[0]) << 16U | static_cast<unsigned>(carry_[1]) << 8U;
            out_ += alphabet[(v >> 18U) & 0x3FU];
            out_ += alphabet[(v >> 12U) & 0x3FU];
            out_ += alphabet[(v >> 6U) & 0x3FU];
            out_ += '=';
        }
        carry_size_ = 0;
    }

    /// Base64 of `bytes` with each `unit`-byte value reversed (big to little endian), in chunks so that
    /// a stream sees bounded buffering even for gigabytes.
    result<void> base64_value(std::span<const std::byte> bytes, std::size_t unit) {
        constexpr std::size_t chunk = std::size_t{3} << 18U; // multiple of 3 and of every unit
        if (unit <= 1) {
            for (std::size_t at = 0; at < bytes.size(); at += chunk) {
                base64_put(bytes.subspan(at, std::min(chunk, bytes.size() - at)));
                DICOMPIX_TRY_VOID(flush(false));
            }
        } else {
            std::array<std::byte, 4096 * 6> swapped{}; // multiple of 3 and of 8
            const std::size_t whole = bytes.size() - bytes.size() % unit;
            for (std::size_t at = 0; at < whole;) {
                const std::size_t n = std::min(swapped.size(), whole - at);
                std::memcpy(swapped.data(), bytes.data() + at, n);
                for (std::size_t k = 0; k < n; k += unit) {
                    std::reverse(swapped.begin() + static_cast<std::ptrdiff_t>(k),
                                 swapped.begin() + static_cast<std::ptrdiff_t>(k + unit));
                }
                base64_put(std::span<const std::byte>(swapped.data(), n));
                at += n;
                DICOMPIX_TRY_VOID(flush(false));
            }
            // A trailing partial value (odd length) has no byte order to fix: copied as stored.
            base64_put(bytes.subspan(whole));
        }
        base64_finish();
        return {};
    }

    // ---- elements ----------------------------------------------------------------------------------
    result<void> members(const dataset& ds, std::uint32_t level, bool& first) {
        if (ds.sorted()) {
            for (const element& e : ds) {
                DICOMPIX_TRY_VOID(member(e, ds, level, first));
            }
            return {};
        }
        // Out-of-order input: JSON readers expect unique keys, and PS3.18 F.2 lists attributes in tag
        // order. Keep the first of duplicates, as DCMTK does when it reads them.
        std::vector<const element*> order;
        order.reserve(ds.size());
        for (const element& e : ds) {
            order.push_back(&e);
        }
        std::stable_sort(order.begin(), order.end(),
                         [](const element* a, const element* b) { return a->tag() < b->tag(); });
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (i != 0 && order[i]->tag() == order[i - 1]->tag()) {
                continue;
            }
            DICOMPIX_TRY_VOID(member(*order[i], ds, level, first));
        }
        return {};
    }

    result<void> member(const element& e, const dataset& ds, std::uint32_t level, bool& first) {
        if (e.tag().is_group_length() && !options_.group_lengths) {
            return {};
        }
        if (e.is_encapsulated()) {
            if (options_.encapsulated == json_encapsulated::omit) {
                return {};
            }
            if (options_.encapsulated == json_encapsulated::error) {
                return failure(errc::invalid_argument, "the DICOM JSON Model cannot hold encapsulated Pixel Data",
                               e.offset(), e.tag().to_string());
            }
        }
        if (!first) {
            out_ += ',';
        }
        first = false;
        newline(level);
        out_ += '"';
        hex4(e.tag().group());
        hex4(e.tag().element());
        out_ += '"';
        colon();
        out_ += '{';
        DICOMPIX_TRY_VOID(attribute(e, ds, level));
        out_ += '}';
        return flush(false);
    }

    void vr_member(std::string_view code) {
        out_ += "\"vr\"";
        colon();
        out_ += '"';
        out_ += code;
        out_ += '"';
    }
    void value_open() {
        comma();
        out_ += "\"Value\"";
        colon();
        out_ += '[';
    }

    result<void> attribute(const element& e, const dataset& ds, std::uint32_t level) {
        const vr v = e.vr();
        if (e.is_sequence()) {
            // A UN of undefined length read per CP-246 holds items: the JSON Model has only SQ for them.
            vr_member("SQ");
            return items(e, level);
        }
        vr_member(v == vr::unknown ? "UN" : to_string(v));
        if (e.is_encapsulated()) {
            return encapsulated_value(*e.encapsulated());
        }
        const auto bytes = e.bytes();
        if (is_string_vr(v)) {
            string_value(e, ds);
            return {};
        }
        if (is_inline_binary_vr(v)) {
            if (bytes.empty()) {
                return {};
            }
            comma();
            out_ += "\"InlineBinary\"";
            colon();
            out_ += '"';
            DICOMPIX_TRY_VOID(base64_value(bytes, e.big_endian() ? inline_binary_swap_unit(v) : 1));
            out_ += '"';
            return {};
        }
        const std::size_t size = binary_value_size(v);
        if (size == 0 || bytes.size() < size) {
            return {}; // no complete value (or a VR with no JSON form): "vr" alone, as for an empty value
        }
        value_open();
        const std::size_t count = bytes.size() / size;
        const bool big = e.big_endian();
        const std::byte* p = bytes.data();
        for (std::size_t i = 0; i < count; ++i, p += size) {
            if (i != 0) {
                comma();
            }
            switch (v) {
            case vr::US:
                number(detail::load_u16(p, big));
                break;
            case vr::SS:
                number(static_cast<std::int16_t>(detail::load_u16(p, big)));
                break;
            case vr::UL:
                number(detail::load_u32(p, big));
                break;
            case vr::SL:
                number(static_cast<std::int32_t>(detail::load_u32(p, big)));
                break;
            case vr::FL:
                floating(std::bit_cast<float>(detail::load_u32(p, big)));
                break;
            case vr::FD:
                floating(std::bit_cast<double>(detail::load_u64(p, big)));
                break;
            case vr::UV:
                large_integer(detail::load_u64(p, big));
                break;
            case vr::SV:
                large_integer(static_cast<std::int64_t>(detail::load_u64(p, big)));
                break;
            case vr::AT:
                // PS3.18 F.2.3.1: "GGGGEEEE" (PS3.5 §6.2: group then element, each 16-bit).
                out_ += '"';
                hex4(detail::load_u16(p, big));
                hex4(detail::load_u16(p + 2, big));
                out_ += '"';
                break;
            default:
                out_ += "null";
                break;
            }
        }
        out_ += ']';
        return {};
    }

    result<void> items(const element& e, std::uint32_t level) {
        if (e.items().empty()) {
            return {};
        }
        value_open();
        bool first_item = true;
        for (const dataset& item : e.items()) {
            if (!first_item) {
                out_ += ',';
            }
            first_item = false;
            newline(level + 1);
            out_ += '{';
            bool first = true;
            DICOMPIX_TRY_VOID(members(item, level + 2, first));
            if (!first) {
                newline(level + 1);
            }
            out_ += '}';
        }
        newline(level);
        out_ += ']';
        return {};
    }

    result<void> encapsulated_value(const encapsulated_pixel_data& data) {
        comma();
        out_ += "\"InlineBinary\"";
        colon();
        out_ += '"';
        // Item headers are little-endian whatever the transfer syntax (encapsulation is only defined for
        // little-endian transfer syntaxes, PS3.5 §A.4).
        const auto header = [this](std::size_t length) {
            std::array<std::byte, 8> h{std::byte{0xFE}, std::byte{0xFF}, std::byte{0x00}, std::byte{0xE0}};
            const auto n = static_cast<std::uint32_t>(length);
            for (std::size_t k = 0; k < 4; ++k) {
                h[4 + k] = static_cast<std::byte>((n >> (8U * k)) & 0xFFU);
            }
            base64_put(h);
        };
        header(data.basic_offset_table.size());
        base64_put(data.basic_offset_table);
        for (const fragment& f : data.fragments) {
            header(f.bytes.size());
            constexpr std::size_t chunk = std::size_t{3} << 18U;
            for (std::size_t at = 0; at < f.bytes.size(); at += chunk) {
                base64_put(f.bytes.subspan(at, std::min(chunk, f.bytes.size() - at)));
                DICOMPIX_TRY_VOID(flush(false));
            }
        }
        base64_finish();
        out_ += '"';
        return {};
    }

    /// Writes the values of a string element; `text` is the whole value (padding removed), already
    /// UTF-8 or ASCII.
    void string_values(std::string_view text, vr v) {
        value_open();
        if (!is_multi_valued_string_vr(v)) {
            // LT, ST, UT, UR: one value; a backslash is part of the text (PS3.5 §6.4).
            string(trim(text, v));
            out_ += ']';
            return;
        }
        bool first = true;
        for (;;) {
            const std::size_t sep = text.find('\\');
            const std::string_view value = trim(text.substr(0, sep), v);
            if (!first) {
                comma();
            }
            first = false;
            if (value.empty()) {
                out_ += "null"; // PS3.18 F.2.5: an empty value among several
            } else if (v == vr::PN) {
                person_name(value);
            } else if (v == vr::IS || v == vr::DS) {
                decimal(value);
            } else {
                string(value);
            }
            if (sep == std::string_view::npos) {
                break;
            }
            text.remove_prefix(sep + 1);
        }
        out_ += ']';
    }

    void string_value(const element& e, const dataset& ds) {
        const vr v = e.vr();
        const std::string_view raw = e.raw_string();
        if (raw.empty()) {
            return;
        }
        if (e.tag() == specific_character_set_tag && options_.rewrite_character_set) {
            const std::string_view term = trim(raw, vr::CS);
            if (!term.empty() && term != "ISO_IR 192" && term != "ISO_IR 6") {
                // The values below are written in UTF-8 (PS3.18 F.2: JSON text is UTF-8).
                value_open();
                string("ISO_IR 192");
                out_ += ']';
                return;
            }
        }
        if (v == vr::PN &&
            std::all_of(raw.begin(), raw.end(), [](char c) { return c == '^' || c == '=' || c == ' ' || c == '\\'; })) {
            return; // only delimiters: no name at all, so no value (PS3.5 §6.2.1.1)
        }
        if (plain_ascii(raw)) {
            string_values(raw, v);
            return;
        }
        // Decode the whole value before splitting: in GBK/GB18030 a 0x5C byte may be the second byte of
        // a character rather than a delimiter; in UTF-8 it never is.
        bool exact = true;
        std::string decoded = ds.decode(raw, &exact);
        if (!exact && !valid_utf8(decoded)) {
            // Undeclared or undecodable character set: read the bytes as ISO 8859-1 so that no byte is
            // lost (each maps to one code point), rather than replacing them with U+FFFD.
            decoded = latin1_to_utf8(raw);
        }
        string_values(decoded, v);
    }

    /// PS3.18 F.2.2: the component groups of a Person Name (PS3.5 §6.2.1) as an object. Trailing empty
    /// components and their '^' delimiters are dropped, as PS3.5 §6.2.1.1 allows ("OB^^^^" is "OB"),
    /// and empty groups are left out; a name with no component at all is null.
    void person_name(std::string_view value) {
        static constexpr std::array<std::string_view, 3> names{"Alphabetic", "Ideographic", "Phonetic"};
        std::array<std::string_view, 3> groups{};
        for (std::size_t group = 0; group < names.size(); ++group) {
            // The last group takes any further '=' as text: there are only three groups.
            const std::size_t sep = group + 1 < names.size() ? value.find('=') : std::string_view::npos;
            std::string_view part = value.substr(0, sep);
            while (!part.empty() && (part.back() == '^' || part.back() == ' ')) {
                part.remove_suffix(1);
            }
            groups[group] = part;
            if (sep == std::string_view::npos) {
                break;
            }
            value.remove_prefix(sep + 1);
        }
        if (groups[0].empty() && groups[1].empty() && groups[2].empty()) {
            out_ += "null";
            return;
        }
        out_ += '{';
        bool first = true;
        for (std::size_t group = 0; group < names.size(); ++group) {
            if (groups[group].empty()) {
                continue;
            }
            if (!first) {
                comma();
            }
            first = false;
            out_ += '"';
            out_ += names[group];
            out_ += '"';
            colon();
            string(groups[group]);
        }
        out_ += '}';
    }

    /// IS/DS: a JSON number with the same digits (PS3.18 F.2.3.1), or a string when it is no number.
    void decimal(std::string_view value) {
        const decimal_parts p = parse_decimal(value);
        if (!p.valid) {
            string(value);
            return;
        }
        if (p.negative) {
            out_ += '-';
        }
        if (p.integer.empty()) {
            out_ += '0';
        } else {
            out_ += p.integer;
        }
        if (!p.fraction.empty()) {
            out_ += '.';
            out_ += p.fraction;
        }
        if (!p.exponent.empty()) {
            out_ += 'e';
            if (p.exponent_sign == '-') {
                out_ += '-';
            }
            out_ += p.exponent;
        }
    }

    std::string& out_;
    std::ostream* stream_;
    const json_options& options_;
    std::array<unsigned char, 3> carry_{};
    std::size_t carry_size_{0};
};

/// A guess of the output size, to avoid most reallocations: ~48 bytes per element plus base64.
std::size_t estimate(const dataset& ds) noexcept {
    std::size_t n = 64;
    for (const element& e : ds) {
        n += 48 + e.bytes().size() * 4 / 3;
    }
    return n;
}

} // namespace

result<std::string> to_json(const dataset& ds, const json_options& options) {
    std::string out;
    out.reserve(estimate(ds) + (options.meta != nullptr ? estimate(*options.meta) : 0));
    json_writer writer(out, nullptr, options);
    DICOMPIX_TRY_VOID(writer.document(ds));
    return out;
}

result<void> write_json(std::ostream& out, const dataset& ds, const json_options& options) {
    std::string buffer;
    buffer.reserve(flush_threshold + flush_threshold / 4);
    json_writer writer(buffer, &out, options);
    return writer.document(ds);
}

} // namespace dicompix
