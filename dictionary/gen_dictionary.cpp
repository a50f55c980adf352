// SPDX-License-Identifier: BSD-3-Clause
// dicompix_gen_dictionary: build-time host tool that turns the committed registry tables
// (dictionary/*.tsv, see dictionary/README.md) into dicompix/tags.hpp and the constant-initialized
// lookup tables that src/dictionary/*.cpp search. It validates the tables so that a bad edit fails
// the build instead of producing a wrong dictionary.
//
// Usage: dicompix_gen_dictionary <dicom.tsv> <uids.tsv> <transfer_syntaxes.tsv>
//                                <tags.hpp> <dictionary_tables.cpp> <transfer_syntax_tables.cpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::string_view_literals;

/// The VR codes of PS3.5 §6.2 (2024), spelled as the dicompix::vr enumerators.
constexpr std::array<std::string_view, 34> vr_codes{
    "AE"sv, "AS"sv, "AT"sv, "CS"sv, "DA"sv, "DS"sv, "DT"sv, "FD"sv, "FL"sv, "IS"sv, "LO"sv, "LT"sv,
    "OB"sv, "OD"sv, "OF"sv, "OL"sv, "OV"sv, "OW"sv, "PN"sv, "SH"sv, "SL"sv, "SQ"sv, "SS"sv, "ST"sv,
    "SV"sv, "TM"sv, "UC"sv, "UI"sv, "UL"sv, "UN"sv, "UR"sv, "US"sv, "UT"sv, "UV"sv};

[[noreturn]] void fail(const std::string& message) {
    throw std::runtime_error(message);
}

struct tsv_table {
    std::string path;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::size_t> lines; ///< 1-based source line of each row, for messages
};

std::vector<std::string> split_tabs(std::string_view line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        const std::size_t tab = line.find('\t', start);
        fields.emplace_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) {
            return fields;
        }
        start = tab + 1;
    }
}

std::string join(const std::vector<std::string>& fields) {
    std::string out;
    for (const auto& f : fields) {
        out += out.empty() ? "" : "\t";
        out += f;
    }
    return out;
}

tsv_table read_tsv(const std::string& path, const std::vector<std::string>& header) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        fail(path + ": cannot open");
    }
    tsv_table table{path, {}, {}};
    std::string line;
    std::size_t number = 0;
    bool have_header = false;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') {
            fail(path + ":" + std::to_string(number) + ": CR line ending (tables use LF)");
        }
        if (line.empty()) {
            continue;
        }
        auto fields = split_tabs(line);
        if (!have_header) {
            if (fields != header) {
                fail(path + ":" + std::to_string(number) + ": header must be '" + join(header) + "'");
            }
            have_header = true;
            continue;
        }
        if (fields.size() != header.size()) {
            fail(path + ":" + std::to_string(number) + ": " + std::to_string(fields.size()) + " fields, expected " +
                 std::to_string(header.size()));
        }
        table.rows.push_back(std::move(fields));
        table.lines.push_back(number);
    }
    if (!have_header) {
        fail(path + ": empty table");
    }
    return table;
}

bool parse_yn(const std::string& where, const std::string& field) {
    if (field == "Y") {
        return true;
    }
    if (field == "N") {
        return false;
    }
    fail(where + ": expected Y or N, found '" + field + "'");
}

std::string vr_enumerator(const std::string& where, std::string_view code) {
    if (std::find(vr_codes.begin(), vr_codes.end(), code) == vr_codes.end()) {
        fail(where + ": unknown VR '" + std::string(code) + "'");
    }
    return "vr::" + std::string(code);
}

/// A C++ string literal. Bytes outside printable ASCII become 3-digit octal escapes, which (unlike
/// \x escapes) cannot swallow a following character.
std::string literal(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (byte < 0x20U || byte >= 0x7FU) {
            std::array<char, 5> buffer{};
            std::snprintf(buffer.data(), buffer.size(), "\\%03o", static_cast<unsigned>(byte));
            out += buffer.data();
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string hex32(std::uint32_t v) {
    std::array<char, 16> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "0x%08XU", static_cast<unsigned>(v));
    return buffer.data();
}

std::string hex16(std::uint32_t v) {
    std::array<char, 8> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "0x%04X", static_cast<unsigned>(v & 0xFFFFU));
    return buffer.data();
}

struct dictionary_row {
    std::uint32_t tag{0};  ///< wildcard digits zero
    std::uint32_t mask{0}; ///< 0xFFFFFFFF for an exact tag
    std::string text;      ///< "(60xx,3000)"
    std::string value_vr;
    std::string alternative_vr;
    std::string vr_text;
    std::string vm;
    std::string keyword;
    std::string name;
    bool retired{false};
    std::size_t line{0};

    [[nodiscard]] bool repeating() const { return mask != 0xFFFFFFFFU; }
};

/// "(gggg,eeee)" with upper-case hex digits, or lower-case 'x' for the digits a repeating entry
/// leaves free (PS3.6 §6: 60xx, 50xx, 7Fxx, 0028,04x0, 1000,xxx0, ...).
void parse_tag(const std::string& where, const std::string& text, dictionary_row& row) {
    if (text.size() != 11 || text[0] != '(' || text[5] != ',' || text[10] != ')') {
        fail(where + ": tag '" + text + "' is not (gggg,eeee)");
    }
    std::uint32_t tag = 0;
    std::uint32_t mask = 0;
    bool wildcard_group = false;
    for (std::size_t i = 1; i < 10; ++i) {
        if (i == 5) {
            continue;
        }
        const char c = text[i];
        std::uint32_t digit = 0;
        std::uint32_t digit_mask = 0xFU;
        if (c >= '0' && c <= '9') {
            digit = static_cast<std::uint32_t>(c - '0');
        } else if (c >= 'A' && c <= 'F') {
            digit = static_cast<std::uint32_t>(c - 'A' + 10);
        } else if (c == 'x') {
            digit_mask = 0;
            wildcard_group = wildcard_group || i < 5;
        } else {
            fail(where + ": bad character '" + std::string(1, c) + "' in tag " + text);
        }
        tag = tag << 4U | digit;
        mask = mask << 4U | digit_mask;
    }
    // Repeating groups are the even groups of their range (PS3.5 §7.6); the odd ones are private.
    if (wildcard_group) {
        mask |= 0x00010000U;
    }
    if ((mask & 0x00010000U) != 0 && (tag & 0x00010000U) != 0 && mask != 0xFFFFFFFFU) {
        fail(where + ": repeating entry " + text + " lies in an odd (private) group");
    }
    // The repeating-entry lookup narrows by the first group byte; every PS3.6 pattern fixes it.
    if (mask != 0xFFFFFFFFU && (mask & 0xFF000000U) != 0xFF000000U) {
        fail(where + ": repeating entry " + text + " leaves the first group byte free");
    }
    row.tag = tag;
    row.mask = mask;
    row.text = text;
}

/// "OB", "OB or OW", "US or SS", "US or OW", "US or SS or OW", or "NONE" (items and delimiters,
/// which have no VR, PS3.5 §7.5). For the three-way form the alternative is OW: SS is encoded as
/// US is, so OW is the alternative that changes the encoding.
void parse_vr(const std::string& where, const std::string& text, dictionary_row& row) {
    row.vr_text = text;
    if (text == "NONE") {
        row.value_vr = "vr::unknown";
        row.alternative_vr = "vr::unknown";
        return;
    }
    std::vector<std::string> codes;
    std::size_t start = 0;
    for (;;) {
        const std::size_t sep = text.find(" or ", start);
        codes.push_back(text.substr(start, sep == std::string::npos ? std::string::npos : sep - start));
        if (sep == std::string::npos) {
            break;
        }
        start = sep + 4;
    }
    if (codes.size() > 3 || (codes.size() == 3 && codes != std::vector<std::string>{"US", "SS", "OW"})) {
        fail(where + ": unsupported VR alternatives '" + text + "'");
    }
    row.value_vr = vr_enumerator(where, codes.front());
    row.alternative_vr = codes.size() == 1 ? "vr::unknown" : vr_enumerator(where, codes.back());
    for (const auto& code : codes) {
        vr_enumerator(where, code);
    }
}

bool valid_keyword(const std::string& keyword) {
    if (keyword.empty() || !((keyword[0] >= 'A' && keyword[0] <= 'Z') || (keyword[0] >= 'a' && keyword[0] <= 'z'))) {
        return false;
    }
    return std::all_of(keyword.begin(), keyword.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

struct dictionary_data {
    std::vector<dictionary_row> exact;     ///< sorted by tag
    std::vector<dictionary_row> repeating; ///< sorted by tag
};

dictionary_data read_dictionary(const std::string& path) {
    const auto table = read_tsv(path, {"tag", "vr", "vm", "keyword", "name", "retired"});
    dictionary_data data;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const auto& f = table.rows[i];
        const std::string where = path + ":" + std::to_string(table.lines[i]);
        dictionary_row row;
        row.line = table.lines[i];
        parse_tag(where, f[0], row);
        parse_vr(where, f[1], row);
        row.vm = f[2];
        row.keyword = f[3];
        row.name = f[4];
        row.retired = parse_yn(where, f[5]);
        if (row.vm.empty() || row.vm.find_first_not_of("0123456789-n") != std::string::npos) {
            fail(where + ": bad VM '" + row.vm + "'");
        }
        // Names also go into line comments of tags.hpp, where a backslash would splice lines.
        if (!std::all_of(row.name.begin(), row.name.end(), [](char c) { return c >= ' ' && c <= '~' && c != '\\'; })) {
            fail(where + ": name must be printable ASCII without backslash");
        }
        // PS3.6 leaves a few retired rows without keyword and name; everything else has both.
        if (row.keyword.empty() ? !row.retired : !valid_keyword(row.keyword)) {
            fail(where + ": bad keyword '" + row.keyword + "'");
        }
        (row.repeating() ? data.repeating : data.exact).push_back(std::move(row));
    }
    const auto by_tag = [](const dictionary_row& a, const dictionary_row& b) { return a.tag < b.tag; };
    std::stable_sort(data.exact.begin(), data.exact.end(), by_tag);
    std::stable_sort(data.repeating.begin(), data.repeating.end(), by_tag);
    for (std::size_t i = 1; i < data.exact.size(); ++i) {
        if (data.exact[i].tag == data.exact[i - 1].tag) {
            fail(path + ":" + std::to_string(data.exact[i].line) + ": duplicate tag " + data.exact[i].text);
        }
    }
    // Overlapping patterns would make the repeating lookup depend on table order.
    for (std::size_t i = 0; i < data.repeating.size(); ++i) {
        for (std::size_t j = i + 1; j < data.repeating.size(); ++j) {
            const auto& a = data.repeating[i];
            const auto& b = data.repeating[j];
            if (((a.tag ^ b.tag) & a.mask & b.mask) == 0) {
                fail(path + ": repeating entries " + a.text + " and " + b.text + " overlap");
            }
        }
    }
    if (data.exact.size() + data.repeating.size() > 0xFFFFU) {
        fail(path + ": too many entries for 16-bit keyword indices");
    }
    return data;
}

/// The lowest tag a repeating entry matches that is neither a group length (gggg,0000) nor an
/// exact entry: (60xx,3000) -> (6000,3000), (0028,04x0) -> (0028,0410), (1000,xxx0) -> (1000,0010).
std::uint32_t first_instance(const dictionary_row& row, const std::set<std::uint32_t>& exact_tags) {
    std::vector<std::uint32_t> free_nibbles; // bit shifts, most significant first
    for (std::uint32_t shift = 28;; shift -= 4) {
        if (((row.mask >> shift) & 0xFU) != 0xFU) {
            free_nibbles.push_back(shift);
        }
        if (shift == 0) {
            break;
        }
    }
    const std::uint32_t combinations = 1U << (4U * free_nibbles.size());
    for (std::uint32_t v = 0; v < combinations; ++v) {
        std::uint32_t tag = row.tag;
        for (std::size_t k = 0; k < free_nibbles.size(); ++k) {
            const auto digit = (v >> (4U * (free_nibbles.size() - 1 - k))) & 0xFU;
            tag |= digit << free_nibbles[k];
        }
        if ((tag & row.mask) != row.tag || (tag & 0xFFFFU) == 0 || exact_tags.contains(tag)) {
            continue;
        }
        return tag;
    }
    fail(row.text + ": no instance");
}

/// One entry per keyword: the non-retired one when a keyword repeats, else the lowest tag.
std::map<std::string, std::size_t> keyword_owners(const std::vector<const dictionary_row*>& all) {
    std::map<std::string, std::size_t> owners;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& row = *all[i];
        if (row.keyword.empty()) {
            continue;
        }
        const auto [it, inserted] = owners.emplace(row.keyword, i);
        if (!inserted) {
            const auto& held = *all[it->second];
            std::cerr << "dicompix_gen_dictionary: keyword " << row.keyword << " used by " << held.text << " and "
                      << row.text << "\n";
            if (held.retired && !row.retired) {
                it->second = i;
            }
        }
    }
    return owners;
}

void write_file(const std::string& path, const std::string& content) {
    const std::filesystem::path p(path);
    if (p.has_parent_path()) {
        std::filesystem::create_directories(p.parent_path());
    }
    // Rewritten unconditionally: the build reruns the generator only when an input changed.
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
        fail(path + ": write failed");
    }
}

constexpr std::string_view generated_banner = "// SPDX-License-Identifier: BSD-3-Clause\n"
                                              "// Generated by dicompix_gen_dictionary (dictionary/gen_dictionary.cpp) "
                                              "from dictionary/*.tsv. Do not edit.\n";

std::string entry_initializer(const dictionary_row& row) {
    return "    {" + hex32(row.tag) + ", " + hex32(row.mask) + ", " + row.value_vr + ", " + row.alternative_vr + ", " +
           literal(row.vm) + ", " + literal(row.keyword) + ", " + literal(row.name) + ", " +
           (row.retired ? "true" : "false") + "},\n";
}

std::string make_tags_header(const dictionary_data& data, const std::vector<const dictionary_row*>& all,
                             const std::map<std::string, std::size_t>& owners) {
    std::set<std::uint32_t> exact_tags;
    for (const auto& row : data.exact) {
        exact_tags.insert(row.tag);
    }
    std::vector<std::pair<std::uint32_t, const dictionary_row*>> constants;
    for (const auto& [keyword, index] : owners) {
        const auto* row = all[index];
        constants.emplace_back(row->repeating() ? first_instance(*row, exact_tags) : row->tag, row);
    }
    std::sort(constants.begin(), constants.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    std::ostringstream out;
    out << generated_banner
        << "// dicompix: a tag constant for every PS3.6 keyword (PS3.6 §6), e.g. tags::PixelData.\n"
           "// A repeating-group entry (PS3.5 §7.6) is named by its first instance: tags::OverlayData is\n"
           "// (6000,3000); the n-th overlay is tag{static_cast<std::uint16_t>(0x6000 + 2 * n), 0x3000}.\n"
           "#pragma once\n\n"
           "#include \"dicompix/tag.hpp\"\n\n"
           "namespace dicompix::tags {\n\n";
    for (const auto& [value, row] : constants) {
        out << "inline constexpr tag " << row->keyword << "{" << hex16(value >> 16U) << ", " << hex16(value)
            << "}; ///< " << row->text << " " << row->vr_text << " " << row->vm << " " << row->name
            << (row->retired ? " (retired)" : "") << "\n";
    }
    out << "\n} // namespace dicompix::tags\n";
    return out.str();
}

struct uid_row {
    std::string uid;
    std::string name;
    std::string type;
    bool retired{false};
};

std::vector<uid_row> read_uids(const std::string& path) {
    const auto table = read_tsv(path, {"uid", "name", "type", "retired", "keyword"});
    std::vector<uid_row> rows;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const auto& f = table.rows[i];
        const std::string where = path + ":" + std::to_string(table.lines[i]);
        // PS3.5 §9.1: digits and dots, at most 64 characters.
        if (f[0].empty() || f[0].size() > 64 || f[0].find_first_not_of("0123456789.") != std::string::npos) {
            fail(where + ": bad UID '" + f[0] + "'");
        }
        rows.push_back({f[0], f[1], f[2], parse_yn(where, f[3])});
    }
    // Byte order, as find_uid compares std::string_view.
    std::sort(rows.begin(), rows.end(), [](const uid_row& a, const uid_row& b) { return a.uid < b.uid; });
    for (std::size_t i = 1; i < rows.size(); ++i) {
        if (rows[i].uid == rows[i - 1].uid) {
            fail(path + ": duplicate UID " + rows[i].uid);
        }
    }
    return rows;
}

std::string make_dictionary_tables(const std::vector<const dictionary_row*>& all, std::size_t exact_count,
                                   const std::map<std::string, std::size_t>& owners, const std::vector<uid_row>& uids) {
    std::ostringstream out;
    out << generated_banner
        << "// dicompix: the PS3.6 §6 registry and the PS3.6 Annex A UIDs as constant-initialized tables.\n\n"
           "#include <cstddef>\n#include <cstdint>\n#include <span>\n\n"
           "#include \"dicompix/dictionary.hpp\"\n\n"
           "namespace dicompix::detail {\n\n"
           "// Declared identically in src/dictionary/dictionary.cpp.\n"
           "extern const std::span<const dictionary_entry> dictionary_table;\n"
           "extern const std::size_t dictionary_exact_count;\n"
           "extern const std::span<const std::uint16_t> dictionary_keyword_index;\n"
           "extern const std::span<const uid_entry> uid_table;\n\n"
           "namespace {\n\n"
           "// Exact entries sorted by tag, then repeating entries sorted by tag.\n"
           "constexpr dictionary_entry entries[] = {\n";
    for (const auto* row : all) {
        out << entry_initializer(*row);
    }
    out << "};\n\n// Indices into entries, sorted by keyword (byte order).\n"
           "constexpr std::uint16_t keyword_index[] = {\n";
    std::size_t column = 0;
    for (const auto& [keyword, index] : owners) {
        out << (column == 0 ? "    " : " ") << index << ",";
        if (++column == 16) {
            out << "\n";
            column = 0;
        }
    }
    out << (column == 0 ? "" : "\n") << "};\n\n// Sorted by UID (byte order).\nconstexpr uid_entry uids[] = {\n";
    for (const auto& u : uids) {
        out << "    {" << literal(u.uid) << ", " << literal(u.name) << ", " << literal(u.type) << ", "
            << (u.retired ? "true" : "false") << "},\n";
    }
    out << "};\n\n"
           "} // namespace\n\n"
           "constinit const std::span<const dictionary_entry> dictionary_table{entries};\n"
           "constinit const std::size_t dictionary_exact_count = "
        << exact_count
        << ";\n"
           "constinit const std::span<const std::uint16_t> dictionary_keyword_index{keyword_index};\n"
           "constinit const std::span<const uid_entry> uid_table{uids};\n\n"
           "} // namespace dicompix::detail\n";
    return out.str();
}

std::string make_transfer_syntax_tables(const std::string& path) {
    const auto table =
        read_tsv(path, {"uid", "name", "keyword", "byte_order", "vr", "encapsulated", "lossy", "deflated", "retired"});
    if (table.rows.empty() || table.rows.size() > 0xFFU) {
        fail(path + ": expected 1-255 transfer syntaxes");
    }
    std::ostringstream out;
    out << generated_banner
        << "// dicompix: the transfer syntaxes of PS3.6 Table A-1 with their PS3.5 §10 / Annex A encodings.\n\n"
           "#include <cstdint>\n#include <span>\n\n"
           "#include \"dicompix/transfer_syntax.hpp\"\n\n"
           "namespace dicompix::detail {\n\n"
           "// Declared identically in src/dictionary/transfer_syntax.cpp.\n"
           "extern const std::span<const transfer_syntax> transfer_syntax_table;\n"
           "extern const std::span<const std::uint8_t> transfer_syntax_uid_index;\n\n"
           "namespace {\n\n"
           "// uid, name, keyword, big_endian, explicit_vr, encapsulated, lossy, deflated, retired\n"
           "constexpr transfer_syntax syntaxes[] = {\n";
    std::set<std::string> seen_uids;
    std::set<std::string> seen_keywords;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const auto& f = table.rows[i];
        const std::string where = path + ":" + std::to_string(table.lines[i]);
        if (f[0].empty() || f[0].size() > 64 || f[0].find_first_not_of("0123456789.") != std::string::npos) {
            fail(where + ": bad UID '" + f[0] + "'");
        }
        if (!seen_uids.insert(f[0]).second || !seen_keywords.insert(f[2]).second) {
            fail(where + ": duplicate UID or keyword");
        }
        if (!valid_keyword(f[2]) || f[1].empty()) {
            fail(where + ": bad keyword or empty name");
        }
        if ((f[3] != "little" && f[3] != "big") || (f[4] != "implicit" && f[4] != "explicit")) {
            fail(where + ": byte_order must be little/big and vr implicit/explicit");
        }
        const auto flag = [&](std::size_t k) { return parse_yn(where, f[k]) ? "true" : "false"; };
        out << "    {" << literal(f[0]) << ", " << literal(f[1]) << ", " << literal(f[2]) << ", "
            << (f[3] == "big" ? "true" : "false") << ", " << (f[4] == "explicit" ? "true" : "false") << ", " << flag(5)
            << ", " << flag(6) << ", " << flag(7) << ", " << flag(8) << "},\n";
    }
    std::vector<std::size_t> order(table.rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return table.rows[a][0] < table.rows[b][0]; });
    out << "};\n\n// Indices into syntaxes, sorted by UID (byte order).\nconstexpr std::uint8_t uid_index[] = {\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
        out << (i % 16 == 0 ? "    " : " ") << order[i] << ",";
        if (i % 16 == 15 || i + 1 == order.size()) {
            out << "\n";
        }
    }
    out << "};\n\n"
           "} // namespace\n\n"
           "constinit const std::span<const transfer_syntax> transfer_syntax_table{syntaxes};\n"
           "constinit const std::span<const std::uint8_t> transfer_syntax_uid_index{uid_index};\n\n"
           "} // namespace dicompix::detail\n";
    return out.str();
}

int run(const std::vector<std::string>& args) {
    if (args.size() != 6) {
        std::cerr << "usage: dicompix_gen_dictionary <dicom.tsv> <uids.tsv> <transfer_syntaxes.tsv> "
                     "<tags.hpp> <dictionary_tables.cpp> <transfer_syntax_tables.cpp>\n";
        return 2;
    }
    const auto data = read_dictionary(args[0]);
    std::vector<const dictionary_row*> all;
    for (const auto& row : data.exact) {
        all.push_back(&row);
    }
    for (const auto& row : data.repeating) {
        all.push_back(&row);
    }
    const auto owners = keyword_owners(all);
    const auto uids = read_uids(args[1]);
    const auto ts_tables = make_transfer_syntax_tables(args[2]);
    write_file(args[3], make_tags_header(data, all, owners));
    write_file(args[4], make_dictionary_tables(all, data.exact.size(), owners, uids));
    write_file(args[5], ts_tables);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::exception& e) {
        std::cerr << "dicompix_gen_dictionary: " << e.what() << "\n";
        return 1;
    }
}
