// SPDX-License-Identifier: BSD-3-Clause
// Specific Character Set (0008,0005) decoding to UTF-8 (PS3.5 §6.1, PS3.3 C.12.1.1.2).
#include <array>
#include <cerrno>
#include <string>

#include <iconv.h>

#include "dicompix/dataset.hpp"

namespace dicompix {
namespace {

std::string_view first_term(std::string_view charset) noexcept {
    const std::size_t sep = charset.find('\\');
    std::string_view term = charset.substr(0, sep);
    while (!term.empty() && (term.back() == ' ' || term.back() == '\0')) {
        term.remove_suffix(1);
    }
    while (!term.empty() && term.front() == ' ') {
        term.remove_prefix(1);
    }
    return term;
}

bool is_ascii(std::string_view s) noexcept {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return false;
        }
    }
    return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0U | (cp >> 6U));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else {
        out += static_cast<char>(0xE0U | (cp >> 12U));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    }
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    for (const char c : s) {
        append_utf8(out, static_cast<unsigned char>(c));
    }
    return out;
}

/// iconv names of the single- and multi-byte character sets of PS3.3 Table C.12-2 / C.12-4 that do not
/// use ISO 2022 code extensions.
const char* iconv_name(std::string_view term) noexcept {
    struct mapping {
        std::string_view term;
        const char* name;
    };
    static constexpr std::array<mapping, 13> table{{
        {"ISO_IR 101", "ISO-8859-2"},
        {"ISO_IR 109", "ISO-8859-3"},
        {"ISO_IR 110", "ISO-8859-4"},
        {"ISO_IR 144", "ISO-8859-5"},
        {"ISO_IR 127", "ISO-8859-6"},
        {"ISO_IR 126", "ISO-8859-7"},
        {"ISO_IR 138", "ISO-8859-8"},
        {"ISO_IR 148", "ISO-8859-9"},
        {"ISO_IR 203", "ISO-8859-15"},
        {"ISO_IR 166", "TIS-620"},
        {"ISO_IR 13", "JIS_X0201"},
        {"GB18030", "GB18030"},
        {"GBK", "GBK"},
    }};
    for (const auto& m : table) {
        if (m.term == term) {
            return m.name;
        }
    }
    return nullptr;
}

bool iconv_to_utf8(const char* from, std::string_view s, std::string& out) {
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == reinterpret_cast<iconv_t>(-1)) {
        return false;
    }
    out.assign(s.size() * 4 + 4, '\0');
    char* in_ptr = const_cast<char*>(s.data());
    std::size_t in_left = s.size();
    char* out_ptr = out.data();
    std::size_t out_left = out.size();
    const std::size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1)) {
        return false;
    }
    out.resize(out.size() - out_left);
    return true;
}

} // namespace

std::string dataset::decode(std::string_view raw, bool* exact) const {
    if (exact != nullptr) {
        *exact = true;
    }
    std::string_view term = first_term(charset_);
    bool multi = charset_.find('\\') != std::string_view::npos;
    const bool escapes = raw.find('\x1b') != std::string_view::npos;
    if (is_ascii(raw) && !escapes) {
        return std::string(raw);
    }
    std::string single_byte_term;
    if (!escapes && term.starts_with("ISO 2022 IR ")) {
        // Without escape sequences only the initial designation is in effect, and that is the first
        // value of Specific Character Set (PS3.5 §6.1.2.5.3): "ISO 2022 IR 100" (alone or first of
        // several) decodes exactly like "ISO_IR 100" (PS3.3 Table C.12-3).
        single_byte_term.assign("ISO_IR ");
        single_byte_term += term.substr(12);
        term = single_byte_term;
        multi = false;
    }
    if (term == "ISO_IR 192") {
        return std::string(raw);
    }
    if (term == "ISO_IR 100" && !multi) {
        return latin1_to_utf8(raw);
    }
    if (!multi) {
        if (const char* name = iconv_name(term); name != nullptr) {
            std::string out;
            if (iconv_to_utf8(name, raw, out)) {
                return out;
            }
        }
    }
    // Default repertoire with non-ASCII bytes, ISO 2022 code extensions, or an unknown term: raw bytes.
    if (exact != nullptr) {
        *exact = false;
    }
    return std::string(raw);
}

} // namespace dicompix
