// SPDX-License-Identifier: BSD-3-Clause
// `dicompix dump FILE`: one line per element (like dcmdump), or the DICOM JSON Model (PS3.18 F.2).
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli_util.hpp"
#include "dicompix/dataset.hpp"
#include "dicompix/dictionary.hpp"
#include "dicompix/json.hpp"
#include "dicompix/parser.hpp"

namespace dicompix::cli {

namespace {

constexpr std::array<option_spec, 12> dump_options{{
    {"json", "", "write the DICOM JSON Model (PS3.18 F.2) instead of the listing"},
    {"compact", "", "with --json: no whitespace (default: indented)"},
    {"encapsulated", "MODE", "with --json: encapsulated Pixel Data as 'inline' (base64 of its items, the default), 'omit' or 'error'"},
    {"meta", "", "include the File Meta Information (default for the listing; with --json, as dcm2json +m)"},
    {"no-meta", "", "leave the File Meta Information out (default with --json)"},
    {"no-pixel", "", "stop before the top-level Pixel Data (it is not read)"},
    {"strict", "", "reject every deviation from PS3.5 that lenient parsing would recover from"},
    {"warnings", "", "list the parser's warnings on stderr (otherwise only their number is printed)"},
    {"offsets", "", "start each line with the byte offset of the element (or item) in the file"},
    {"full", "", "print whole values (strings are cut at 64 characters, numbers at 16 values otherwise)"},
    {"group-lengths", "", "with --json: keep group length elements (gggg,0000), which dcm2json drops"},
    {"no-charset-rewrite", "", "with --json: keep Specific Character Set as found (default: ISO_IR 192, the JSON text being UTF-8)"},
}};

constexpr command_spec dump_spec{
    "dump", "FILE", "Print the elements of a DICOM file, one per line, or its DICOM JSON Model.", dump_options,
    "Listing columns: tag, VR, keyword, value length ('u/l' = undefined), value. Nested items are shown\n"
    "as '> Item #i' blocks, indented. Strings are decoded to UTF-8 using Specific Character Set."};

constexpr std::size_t short_string = 64;
constexpr std::size_t short_numbers = 16;
constexpr std::size_t value_column = 56;

class dumper {
public:
    dumper(output& out, bool full, bool offsets) : out_(out), full_(full), offsets_(offsets) {}

    void dataset_lines(const dataset& ds, std::uint32_t depth) {
        for (const element& e : ds) {
            line(e, ds, depth);
            if (e.is_sequence()) {
                std::size_t i = 0;
                for (const dataset& item : e.items()) {
                    std::string& b = out_.buffer();
                    offset_column(b, item.offset());
                    b.append(std::size_t{depth} * 4 + 2, ' ');
                    b += "> Item #";
                    b += std::to_string(i++);
                    if (item.undefined_length()) {
                        b += "  u/l";
                    }
                    b += '\n';
                    dataset_lines(item, depth + 1);
                }
            }
            out_.maybe_flush();
        }
    }

private:
    void line(const element& e, const dataset& ds, std::uint32_t depth) {
        std::string& b = out_.buffer();
        offset_column(b, e.offset());
        const std::size_t start = b.size();
        b.append(std::size_t{depth} * 4, ' ');
        b += e.tag().to_string();
        b += ' ';
        const vr v = e.is_sequence() ? vr::SQ : e.vr();
        b += to_string(v == vr::unknown ? vr::UN : v);
        b += ' ';
        const dictionary_entry* entry = find_entry(e.tag());
        b += entry != nullptr ? entry->keyword : std::string_view("?");
        pad(b, start, value_column - 8);
        if (e.has_undefined_length()) {
            b += "u/l";
        } else {
            append_number(b, e.declared_length());
        }
        pad(b, start, value_column);
        value(b, e, ds);
        b += '\n';
    }

    /// Offsets count in the file, or in the inflated stream of a deflated dataset (dicom_file::source()).
    void offset_column(std::string& b, std::uint64_t offset) const {
        if (!offsets_) {
            return;
        }
        const std::size_t start = b.size();
        if (offset != ~std::uint64_t{0}) {
            append_number(b, offset);
        }
        const std::size_t used = b.size() - start;
        b.insert(start, used < 10 ? 10 - used : 0, ' ');
        b += "  ";
    }

    static void pad(std::string& b, std::size_t start, std::size_t column) {
        const std::size_t used = b.size() - start;
        b.append(used < column ? column - used : 1, ' ');
    }

    template <class T>
    static void append_number(std::string& b, T v) {
        std::array<char, 48> buf{};
        const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
        (void)ec;
        b.append(buf.data(), static_cast<std::size_t>(end - buf.data()));
    }

    void value(std::string& b, const element& e, const dataset& ds) {
        if (e.is_encapsulated()) {
            const encapsulated_pixel_data& enc = *e.encapsulated();
            b += "encapsulated: ";
            append_number(b, enc.fragments.size());
            b += enc.fragments.size() == 1 ? " fragment, BOT " : " fragments, BOT ";
            append_number(b, enc.basic_offset_table.size() / 4);
            b += enc.basic_offset_table.size() / 4 == 1 ? " entry" : " entries";
            if (!enc.has_sequence_delimiter) {
                b += " (no sequence delimiter)";
            }
            return;
        }
        if (e.is_sequence()) {
            append_number(b, e.items().size());
            b += e.items().size() == 1 ? " item" : " items";
            return;
        }
        const vr v = e.vr();
        const auto bytes = e.bytes();
        if (is_string_vr(v)) {
            string_value(b, e, ds);
            return;
        }
        const std::size_t size = binary_value_size(v);
        switch (v) {
        case vr::US: case vr::SS: case vr::UL: case vr::SL: case vr::FL: case vr::FD: case vr::UV: case vr::SV:
        case vr::AT:
            numbers(b, e, size);
            return;
        default:
            break;
        }
        // OB, OW, OF, OD, OL, OV, UN: the size, and the bytes themselves when they are few.
        if (bytes.size() <= 12 && !bytes.empty()) {
            static constexpr char hex[] = "0123456789abcdef";
            for (std::size_t i = 0; i < bytes.size(); ++i) {
                if (i != 0) {
                    b += '\\';
                }
                const auto u = std::to_integer<unsigned>(bytes[i]);
                b += hex[u >> 4U];
                b += hex[u & 0xFU];
            }
            return;
        }
        append_number(b, bytes.size());
        b += " bytes";
    }

    void numbers(std::string& b, const element& e, std::size_t size) {
        const auto bytes = e.bytes();
        const std::size_t count = bytes.size() / size;
        if (count == 0) {
            b += "(empty)";
            return;
        }
        const std::size_t shown = full_ ? count : std::min(count, short_numbers);
        const bool big = e.big_endian();
        const std::byte* p = bytes.data();
        for (std::size_t i = 0; i < shown; ++i, p += size) {
            if (i != 0) {
                b += '\\';
            }
            switch (e.vr()) {
            case vr::US: append_number(b, load<std::uint16_t>(p, big)); break;
            case vr::SS: append_number(b, static_cast<std::int16_t>(load<std::uint16_t>(p, big))); break;
            case vr::UL: append_number(b, load<std::uint32_t>(p, big)); break;
            case vr::SL: append_number(b, static_cast<std::int32_t>(load<std::uint32_t>(p, big))); break;
            case vr::UV: append_number(b, load<std::uint64_t>(p, big)); break;
            case vr::SV: append_number(b, static_cast<std::int64_t>(load<std::uint64_t>(p, big))); break;
            case vr::FL: floating(b, std::bit_cast<float>(load<std::uint32_t>(p, big))); break;
            case vr::FD: floating(b, std::bit_cast<double>(load<std::uint64_t>(p, big))); break;
            case vr::AT: b += tag(load<std::uint16_t>(p, big), load<std::uint16_t>(p + 2, big)).to_string(); break;
            default: break;
            }
        }
        if (shown < count) {
            b += "\\... (";
            append_number(b, count);
            b += " values)";
        }
    }

    template <class T>
    static void floating(std::string& b, T v) {
        if (std::isnan(v)) {
            b += "nan";
        } else if (std::isinf(v)) {
            b += v < 0 ? "-inf" : "inf";
        } else {
            append_number(b, v);
        }
    }

    void string_value(std::string& b, const element& e, const dataset& ds) {
        const std::string_view raw = e.raw_string();
        if (raw.empty()) {
            b += "(empty)";
            return;
        }
        const bool ascii = std::none_of(raw.begin(), raw.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x80 || c == '\x1b';
        });
        if (ascii) {
            quoted(b, raw);
        } else {
            bool exact = true;
            const std::string decoded = ds.decode(raw, &exact);
            quoted(b, decoded);
            if (!exact) {
                b += " (not decoded: character set '";
                append_escaped(b, ds.specific_character_set());
                b += "')";
            }
        }
        if (e.vr() == vr::UI) {
            if (const uid_entry* u = find_uid(raw); u != nullptr) {
                b += " (";
                b += u->name;
                b += ')';
            }
        }
    }

    void quoted(std::string& b, std::string_view s) const {
        b += '[';
        if (!full_ && s.size() > short_string) {
            // Cut on a UTF-8 character boundary.
            std::size_t cut = short_string;
            while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U) {
                --cut;
            }
            append_escaped(b, s.substr(0, cut));
            b += "...";
        } else {
            append_escaped(b, s);
        }
        b += ']';
    }

    output& out_;
    bool full_;
    bool offsets_;
};

std::string describe_encoding(const dicom_file& file) {
    std::string s(file.transfer_syntax_uid());
    if (const transfer_syntax* ts = find_transfer_syntax(file.transfer_syntax_uid()); ts != nullptr) {
        s = std::string(ts->name) + " (" + s + ")";
    }
    if (file.transfer_syntax() != nullptr && file.transfer_syntax()->uid != file.transfer_syntax_uid()) {
        s += ", read as " + std::string(file.transfer_syntax()->name);
    }
    return s;
}

} // namespace

int cmd_dump(std::span<const std::string_view> args) {
    std::string message;
    const auto a = arguments::parse(args, dump_spec, message);
    if (!a) {
        return usage_error(dump_spec, message);
    }
    if (a->help()) {
        return print_help(dump_spec);
    }
    if (a->positionals().size() != 1) {
        return usage_error(dump_spec, a->positionals().empty() ? "no FILE given" : "more than one FILE given");
    }
    json_options jopt;
    if (const auto mode = a->value("encapsulated"); mode) {
        if (*mode == "inline") {
            jopt.encapsulated = json_encapsulated::inline_items;
        } else if (*mode == "omit") {
            jopt.encapsulated = json_encapsulated::omit;
        } else if (*mode == "error") {
            jopt.encapsulated = json_encapsulated::error;
        } else {
            return usage_error(dump_spec, "--encapsulated takes inline, omit or error, not '" + std::string(*mode) + "'");
        }
    }
    if (a->has("meta") && a->has("no-meta")) {
        return usage_error(dump_spec, "--meta and --no-meta contradict each other");
    }
    const bool json = a->has("json");
    // The listing shows the meta group by default (as dcmdump does); JSON leaves it out (as dcm2json
    // does: PS3.18 F.2 has no place for it).
    const bool meta = json ? a->has("meta") : !a->has("no-meta");

    const std::string_view file_name = a->positionals()[0];
    parse_options popt;
    popt.strict = a->has("strict");
    popt.stop_before_pixel_data = a->has("no-pixel");
    auto file = read_file(std::filesystem::path(file_name), popt);
    if (!file) {
        return report_error(file_name, file.error());
    }

    if (json) {
        jopt.indent = a->has("compact") ? 0 : 2;
        jopt.group_lengths = a->has("group-lengths");
        jopt.rewrite_character_set = !a->has("no-charset-rewrite");
        jopt.meta = meta ? &file->meta() : nullptr;
        if (auto written = write_json(std::cout, file->dataset(), jopt); !written) {
            std::cout.flush();
            return report_error(file_name, written.error());
        }
        std::cout.flush();
    } else {
        output out(stdout);
        dumper d(out, a->has("full"), a->has("offsets"));
        if (meta && !file->meta().empty()) {
            out << "# file meta information\n";
            d.dataset_lines(file->meta(), 0);
        }
        out << "# dataset: " << describe_encoding(*file) << "\n";
        d.dataset_lines(file->dataset(), 0);
        if (file->stopped_before_pixel_data()) {
            out << "# stopped before Pixel Data (--no-pixel)\n";
        }
        out.flush();
        if (!out.good()) {
            return report_error(file_name, error{errc::write_error, error::no_offset, {}, "writing to stdout failed"});
        }
    }

    const auto& warnings = file->warnings();
    if (a->has("warnings")) {
        print_warnings(file_name, warnings);
    } else if (!warnings.empty()) {
        std::fflush(stdout);
        std::fprintf(stderr, "dicompix: %.*s: %zu parser warning%s (--warnings lists them)\n",
                     static_cast<int>(file_name.size()), file_name.data(), warnings.size(),
                     warnings.size() == 1 ? "" : "s");
    }
    return exit_ok;
}

} // namespace dicompix::cli
