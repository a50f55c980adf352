// SPDX-License-Identifier: BSD-3-Clause
#include "cli_util.hpp"

#include <algorithm>

namespace dicompix::cli {

namespace {

const option_spec* find_option(const command_spec& spec, std::string_view name) noexcept {
    const auto it = std::find_if(spec.options.begin(), spec.options.end(),
                                 [name](const option_spec& o) { return o.name == name; });
    return it != spec.options.end() ? &*it : nullptr;
}

/// One line only: a message with a newline would break "exactly one line on stderr".
std::string one_line(std::string_view s) {
    std::string out(s);
    std::replace(out.begin(), out.end(), '\n', ' ');
    std::replace(out.begin(), out.end(), '\r', ' ');
    return out;
}

} // namespace

std::optional<arguments> arguments::parse(std::span<const std::string_view> args, const command_spec& spec,
                                          std::string& message) {
    arguments a;
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view word = args[i];
        if (options_done || word.size() < 2 || word[0] != '-') {
            a.positionals_.push_back(word); // "-" alone is a positional (conventionally stdin)
            continue;
        }
        if (word == "--") {
            options_done = true;
            continue;
        }
        if (word == "-h" || word == "--help") {
            a.help_ = true;
            continue;
        }
        if (!word.starts_with("--")) {
            message = "unknown option '" + std::string(word) + "'";
            return std::nullopt;
        }
        std::string_view name = word.substr(2);
        std::string_view value;
        bool has_value = false;
        if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        const option_spec* o = find_option(spec, name);
        if (o == nullptr) {
            message = "unknown option '--" + std::string(name) + "'";
            return std::nullopt;
        }
        if (o->value_name.empty()) {
            if (has_value) {
                message = "option '--" + std::string(name) + "' takes no value";
                return std::nullopt;
            }
        } else if (!has_value) {
            if (i + 1 >= args.size()) {
                message = "option '--" + std::string(name) + "' needs a value (" + std::string(o->value_name) + ")";
                return std::nullopt;
            }
            value = args[++i];
        }
        a.given_.push_back(given{o->name, value});
    }
    return a;
}

bool arguments::has(std::string_view name) const noexcept {
    return std::any_of(given_.begin(), given_.end(), [name](const given& g) { return g.name == name; });
}

std::optional<std::string_view> arguments::value(std::string_view name) const noexcept {
    for (auto it = given_.rbegin(); it != given_.rend(); ++it) {
        if (it->name == name) {
            return it->value;
        }
    }
    return std::nullopt;
}

std::string usage(const command_spec& spec) {
    std::string s = "usage: dicompix ";
    s += spec.name;
    s += " [options] ";
    s += spec.positionals;
    s += "\n\n";
    s += spec.summary;
    s += "\n\noptions:\n";
    std::vector<std::string> left;
    std::size_t width = std::string_view("-h, --help").size();
    for (const option_spec& o : spec.options) {
        // Appends rather than "--" + name: GCC 12 at -O3 warns falsely (-Wrestrict, PR 105329) on that.
        std::string l("--");
        l += o.name;
        if (!o.value_name.empty()) {
            l += '=';
            l += o.value_name;
        }
        width = std::max(width, l.size());
        left.push_back(std::move(l));
    }
    const auto line = [&](std::string_view l, std::string_view help) {
        s += "  ";
        s += l;
        s.append(width + 2 - l.size(), ' ');
        s += help;
        s += '\n';
    };
    for (std::size_t i = 0; i < spec.options.size(); ++i) {
        line(left[i], spec.options[i].help);
    }
    line("-h, --help", "print this help and exit");
    if (!spec.details.empty()) {
        s += '\n';
        s += spec.details;
        if (spec.details.back() != '\n') {
            s += '\n';
        }
    }
    return s;
}

int usage_error(const command_spec& spec, std::string_view message) {
    std::fprintf(stderr, "dicompix: error: %s\n%s", one_line(message).c_str(), usage(spec).c_str());
    return exit_usage;
}

int print_help(const command_spec& spec) {
    std::fputs(usage(spec).c_str(), stdout);
    return exit_ok;
}

int report_error(std::string_view file, const error& e) {
    error shown = e;
    const std::string prefix = std::string(file) + ": ";
    if (shown.message.starts_with(prefix)) {
        shown.message.erase(0, prefix.size());
    }
    std::fflush(stdout);
    std::fprintf(stderr, "dicompix: error: %s: %s\n", one_line(file).c_str(), one_line(shown.to_string()).c_str());
    return exit_error;
}

void print_warnings(std::string_view file, std::span<const warning> warnings) {
    std::string s;
    for (const warning& w : warnings) {
        s += "dicompix: warning: ";
        s += file;
        s += ": ";
        if (w.offset != ~std::uint64_t{0}) {
            s += "at byte " + std::to_string(w.offset) + " ";
        }
        if (!w.tag_path.empty()) {
            s += "in " + w.tag_path + " ";
        }
        s += one_line(w.message);
        s += '\n';
    }
    std::fflush(stdout);
    std::fputs(s.c_str(), stderr);
}

void output::flush() {
    if (!buffer_.empty() && good_) {
        good_ = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
    }
    buffer_.clear();
    if (good_) {
        good_ = std::fflush(file_) == 0;
    }
}

void append_escaped(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20 || u == 0x7F) {
                out += "\\x";
                out += hex[u >> 4U];
                out += hex[u & 0xFU];
            } else {
                out += c;
            }
        }
    }
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4U];
                out += hex[u & 0xFU];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

} // namespace dicompix::cli
