// SPDX-License-Identifier: BSD-3-Clause
// dicompix: the command-line tool. `dicompix COMMAND [options] ARGS`; each command lives in
// cmd_<name>.cpp and defines `int dicompix::cli::cmd_<name>(std::span<const std::string_view> args)`
// (args: the words after the command name; see cli_util.hpp for the shared conventions).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <span>
#include <string_view>
#include <vector>

#include "cli_util.hpp"

// The subcommands, one line each: name, one-line summary. Adding a command is adding its line here
// and its cmd_<name>.cpp (tools/CMakeLists.txt picks up every cmd_*.cpp).
#define DICOMPIX_CLI_COMMANDS(X)                                                                   \
    X(dump, "print the elements of a file, or its PS3.18 DICOM JSON (--json)")                      \
    X(info, "summarise a file: transfer syntax, SOP class, image geometry, pixel data layout, codec")   \
    X(decode, "write every frame's stored values as raw little-endian samples plus a JSON description") \
    X(transcode, "rewrite a file in another transfer syntax, frame by frame") \
    X(convert, "render frames to PNG or PGM/PPM (display pipeline); a directory with parallel workers")

namespace dicompix::cli {

#define DICOMPIX_CLI_DECLARE(name, summary) int cmd_##name(std::span<const std::string_view> args);
DICOMPIX_CLI_COMMANDS(DICOMPIX_CLI_DECLARE)
#undef DICOMPIX_CLI_DECLARE

namespace {

struct command {
    std::string_view name;
    int (*run)(std::span<const std::string_view>);
    std::string_view summary;
};

#define DICOMPIX_CLI_ENTRY(name, summary) command{#name, &cmd_##name, summary},
constexpr command commands[] = {DICOMPIX_CLI_COMMANDS(DICOMPIX_CLI_ENTRY)};
#undef DICOMPIX_CLI_ENTRY

void print_usage(std::FILE* f) {
    std::fputs("usage: dicompix COMMAND [options] ARGS...\n\ncommands:\n", f);
    for (const command& c : commands) {
        std::fprintf(f, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                     static_cast<int>(c.summary.size()), c.summary.data());
    }
    std::fputs("\n'dicompix COMMAND --help' describes a command's options.\n"
               "Exit status: 0 success, 1 the input could not be processed, 2 usage error.\n",
               f);
}

} // namespace
} // namespace dicompix::cli

int main(int argc, char** argv) {
    using namespace dicompix::cli;
    const std::vector<std::string_view> words(argv + std::min(argc, 1), argv + argc);
    if (words.empty()) {
        print_usage(stderr);
        return exit_usage;
    }
    const std::string_view name = words.front();
    if (name == "-h" || name == "--help" || name == "help") {
        print_usage(stdout);
        return exit_ok;
    }
    for (const command& c : commands) {
        if (c.name == name) {
            try {
                return c.run(std::span<const std::string_view>(words).subspan(1));
            } catch (const std::bad_alloc&) {
                std::fputs("dicompix: error: out of memory\n", stderr);
            } catch (const std::exception& e) {
                // The library reports input problems as results; reaching this is a bug, never a crash.
                std::fprintf(stderr, "dicompix: error: internal error: %s\n", e.what());
            }
            return exit_error;
        }
    }
    std::fprintf(stderr, "dicompix: error: unknown command '%.*s'\n", static_cast<int>(name.size()), name.data());
    print_usage(stderr);
    return exit_usage;
}
