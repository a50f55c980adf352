// SPDX-License-Identifier: BSD-3-Clause
// `dicompix transcode IN OUT --transfer-syntax TS`: rewrites a file in another transfer syntax, frame by
// frame (memory: about one frame), with the dependent attributes updated.
#include <array>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "dicompix/writer.hpp"

namespace dicompix::cli {

namespace {

constexpr std::array<option_spec, 10> transcode_options{{
    {"transfer-syntax", "TS", "target transfer syntax: UID, keyword (e.g. JPEGLSLossless, RLELossless) or name"},
    {"jobs", "N", "decode and encode frames on N threads (also -j N; 0: one per CPU; default 1); same output"},
    {"quality", "Q", "lossy quality: JPEG 1-100 (default 90); JPEG 2000 / HTJ2K compression ratio; JPEG-LS NEAR"},
    {"keep-uid", "", "keep the SOP Instance UID even when the output is lossy"},
    {"encoder", "NAME", "use only this encoder"},
    {"offset-table", "KIND", "basic (default; extended beyond 4 GiB), extended, or none"},
    {"undefined-lengths", "", "write sequences and items with undefined length"},
    {"bare", "", "write a bare dataset (no preamble, no meta group)"},
    {"strict", "", "parse strictly"},
    {"quiet", "", "do not print warnings or the summary"},
}};

constexpr command_spec transcode_spec{
    "transcode", "IN OUT",
    "Rewrite IN as OUT in another transfer syntax. Frames are decoded and re-encoded one at a time; untouched\n"
    "compressed frames are copied byte-identical when the transfer syntax does not change. Lossy output is\n"
    "marked (Lossy Image Compression 01, ratio, method) and gets a new SOP Instance UID unless --keep-uid.",
    transcode_options,
    "Transfer syntaxes with an encoder: ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian,\n"
    "DeflatedExplicitVRLittleEndian, EncapsulatedUncompressedExplicitVRLittleEndian, RLELossless,\n"
    "JPEGBaseline8Bit, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless,\n"
    "JPEG2000, HTJ2KLossless, HTJ2KLosslessRPCL, DeflatedImageFrameCompression."};

/// "-j N" / "-jN" -> "--jobs=N" (cli_util knows long options only).
std::vector<std::string> expand_jobs(std::span<const std::string_view> args) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") {
            out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        if (args[i] == "-j" && i + 1 < args.size()) {
            out.push_back("--jobs=" + std::string(args[++i]));
        } else if (args[i].size() > 2 && args[i].starts_with("-j")) {
            out.push_back("--jobs=" + std::string(args[i].substr(2)));
        } else {
            out.emplace_back(args[i]);
        }
    }
    return out;
}

} // namespace

int cmd_transcode(std::span<const std::string_view> raw_args) {
    const std::vector<std::string> expanded = expand_jobs(raw_args);
    const std::vector<std::string_view> args(expanded.begin(), expanded.end());
    std::string message;
    const auto parsed = arguments::parse(args, transcode_spec, message);
    if (!parsed) {
        return usage_error(transcode_spec, message);
    }
    if (parsed->help()) {
        return print_help(transcode_spec);
    }
    if (parsed->positionals().size() != 2) {
        return usage_error(transcode_spec, "expected IN and OUT");
    }
    const auto ts = parsed->value("transfer-syntax");
    if (!ts) {
        return usage_error(transcode_spec, "--transfer-syntax is required");
    }
    if (find_transfer_syntax_by_name(*ts) == nullptr) {
        return usage_error(transcode_spec, "unknown transfer syntax '" + std::string(*ts) + "'");
    }
    write_options options;
    options.transfer_syntax = std::string(*ts);
    if (const auto q = parsed->value("quality")) {
        char* end = nullptr;
        const std::string text(*q);
        options.encode.quality = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || options.encode.quality < 0) {
            return usage_error(transcode_spec, "--quality needs a non-negative number");
        }
    }
    if (const auto j = parsed->value("jobs")) {
        char* end = nullptr;
        const std::string text(*j);
        const unsigned long n = std::strtoul(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n > 1024) {
            return usage_error(transcode_spec, "--jobs needs a thread count (0-1024)");
        }
        options.threads = static_cast<std::uint32_t>(n);
    }
    options.new_uid_when_lossy = !parsed->has("keep-uid");
    options.undefined_length_sequences = parsed->has("undefined-lengths");
    options.part10 = !parsed->has("bare");
    if (const auto e = parsed->value("encoder")) {
        options.encoder = std::string(*e);
    }
    if (const auto t = parsed->value("offset-table")) {
        if (*t == "basic") {
            options.table = offset_table::basic;
        } else if (*t == "extended") {
            options.table = offset_table::extended;
        } else if (*t == "none") {
            options.table = offset_table::none;
        } else {
            return usage_error(transcode_spec, "--offset-table is basic, extended or none");
        }
    }
    const std::string in(parsed->positionals()[0]);
    const std::string out(parsed->positionals()[1]);
    parse_options popt;
    popt.strict = parsed->has("strict");
    auto file = read_file(in, popt);
    if (!file) {
        return report_error(in, file.error());
    }
    const bool quiet = parsed->has("quiet");
    if (!quiet) {
        print_warnings(in, file->warnings());
    }
    auto report = write_file(*file, out, options);
    if (!report) {
        return report_error(in, report.error());
    }
    if (!quiet) {
        print_warnings(out, report->warnings);
        const transfer_syntax* target = find_transfer_syntax(report->transfer_syntax_uid);
        std::string line = in + " -> " + out + ": " + (target != nullptr ? std::string(target->name) : report->transfer_syntax_uid) +
                           ", " + std::to_string(report->bytes_written) + " bytes, " +
                           std::to_string(report->frames_encoded) + " frame(s) encoded, " +
                           std::to_string(report->frames_copied) + " copied";
        if (report->lossy) {
            char ratio[32];
            std::snprintf(ratio, sizeof ratio, "%.2f", report->compression_ratio);
            line += ", lossy " + std::string(ratio) + ":1";
        }
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    return exit_ok;
}

} // namespace dicompix::cli
