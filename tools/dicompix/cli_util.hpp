// SPDX-License-Identifier: BSD-3-Clause
// dicompix CLI: what every subcommand shares: argument parsing, error reporting, buffered output.
//
// Conventions of every subcommand:
//   exit 0: success; exit 1: the input could not be processed, with exactly one line on stderr
//   "dicompix: error: FILE: <error>"; exit 2: usage error, usage printed on stderr.
//   --help prints the usage on stdout and exits 0.
#pragma once

#include <cstddef>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicompix/error.hpp"
#include "dicompix/options.hpp"

namespace dicompix::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1;
inline constexpr int exit_usage = 2;

/// One option a subcommand accepts: "--name" (a flag) or "--name=VALUE" / "--name VALUE".
struct option_spec {
    std::string_view name;       ///< without the leading dashes, e.g. "json"
    std::string_view value_name; ///< empty for a flag, e.g. "MODE" for --encapsulated=MODE
    std::string_view help;
};

/// What a subcommand is: its name, synopsis of positionals, description and options, from which the
/// usage text is made.
struct command_spec {
    std::string_view name;        ///< e.g. "dump"
    std::string_view positionals; ///< e.g. "FILE"
    std::string_view summary;     ///< one line
    std::span<const option_spec> options;
    std::string_view details{};   ///< more text after the options (may be empty)
};

/// The parsed command line of a subcommand.
class arguments {
public:
    /// Parses `args` (the words after the subcommand name) against `spec`. "-h" and "--help" set help().
    /// Returns an error message (for the usage error) when an option is unknown, a flag has a value, or
    /// a valued option has none.
    [[nodiscard]] static std::optional<arguments> parse(std::span<const std::string_view> args,
                                                        const command_spec& spec, std::string& message);

    [[nodiscard]] bool help() const noexcept { return help_; }
    /// True when the flag (or valued option) was given.
    [[nodiscard]] bool has(std::string_view name) const noexcept;
    /// The value of the last occurrence of a valued option.
    [[nodiscard]] std::optional<std::string_view> value(std::string_view name) const noexcept;
    [[nodiscard]] std::span<const std::string_view> positionals() const noexcept { return positionals_; }

private:
    struct given {
        std::string_view name;
        std::string_view value;
    };
    std::vector<given> given_;
    std::vector<std::string_view> positionals_;
    bool help_{false};
};

/// The usage text of a subcommand.
[[nodiscard]] std::string usage(const command_spec& spec);
/// Prints "dicompix: error: MESSAGE" and the usage to stderr; returns exit_usage.
int usage_error(const command_spec& spec, std::string_view message);
/// Prints the usage to stdout; returns exit_ok.
int print_help(const command_spec& spec);
/// Prints "dicompix: error: FILE: <e.to_string()>" on one line to stderr; returns exit_error. A copy of
/// the file name at the start of the message (read_file adds one) is not repeated.
int report_error(std::string_view file, const error& e);
/// Prints each warning as "dicompix: warning: FILE: [at byte N] [in PATH: ]MESSAGE" to stderr.
void print_warnings(std::string_view file, std::span<const warning> warnings);

/// Output buffered in memory and written to a FILE* in large blocks: formatting a dump goes through
/// std::string appends, never through iostreams or one syscall per line.
class output {
public:
    explicit output(std::FILE* f) : file_(f) { buffer_.reserve(block * 2); }
    output(const output&) = delete;
    output& operator=(const output&) = delete;
    ~output() { flush(); }

    std::string& buffer() noexcept { return buffer_; }
    output& operator<<(std::string_view s) {
        buffer_.append(s);
        maybe_flush();
        return *this;
    }
    output& operator<<(char c) {
        buffer_.push_back(c);
        return *this;
    }
    void maybe_flush() {
        if (buffer_.size() >= block) {
            flush();
        }
    }
    void flush();
    /// False once a write failed (e.g. a closed pipe).
    [[nodiscard]] bool good() const noexcept { return good_; }

private:
    static constexpr std::size_t block = std::size_t{1} << 16;
    std::FILE* file_;
    std::string buffer_;
    bool good_{true};
};

/// Loads an unsigned integer of the given byte order (element values keep their file byte order).
template <class T>
[[nodiscard]] inline T load(const std::byte* p, bool big_endian) noexcept {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        const std::size_t k = big_endian ? i : sizeof(T) - 1 - i;
        v = static_cast<T>(static_cast<T>(v << 8U) | std::to_integer<T>(p[k]));
    }
    return v;
}

/// Appends s with C-style escapes for control characters and quotes (for one-line display).
void append_escaped(std::string& out, std::string_view s);
/// Appends s as a JSON string literal (RFC 8259 §7), quotes included.
void append_json_string(std::string& out, std::string_view s);

} // namespace dicompix::cli
