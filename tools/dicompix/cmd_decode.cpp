// SPDX-License-Identifier: BSD-3-Clause
// `dicompix decode IN OUT.raw`: every frame's stored values, in order, as raw little-endian samples, and
// OUT.raw.json describing them. Frames are decoded and written one at a time (memory: one frame).
#include <algorithm>
#include <array>
#include <bit>
#include <memory>
#include <optional>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"

namespace dicompix::cli {

namespace {

constexpr std::array<option_spec, 5> decode_options{{
    {"frame", "N", "write only frame N (0-based)"},
    {"jobs", "N", "decode frames on N threads (also -j N; 0: one per CPU; default 1); output order is kept"},
    {"strict", "", "parse and decode strictly (no lenient recoveries)"},
    {"decoder", "NAME", "use only the decoder with this name (see `dicompix info`)"},
    {"quiet", "", "do not print warnings"},
}};

constexpr command_spec decode_spec{
    "decode", "IN OUT.raw",
    "Decode every frame of IN and write the samples to OUT.raw: row-major, sample-interleaved,\n"
    "little-endian, full resolution (native YBR_FULL_422 upsampled; Bits Allocated 1 as one byte 0/1\n"
    "per pixel), masked to Bits Stored and sign-extended (PS3.5 8.1.1). OUT.raw.json describes the\n"
    "samples: frames, rows, columns, samples_per_pixel, bits_allocated, bits_stored,\n"
    "pixel_representation, photometric_interpretation (of the samples written, e.g. RGB when the\n"
    "decoder converted YCbCr), sample_type and codec.",
    decode_options};

struct file_closer {
    void operator()(std::FILE* f) const noexcept {
        if (f != nullptr) {
            std::fclose(f);
        }
    }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

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

/// Writes samples little-endian (a no-op conversion on little-endian hosts).
bool write_samples(std::FILE* out, std::span<const std::byte> bytes, std::size_t sample_bytes) {
    if constexpr (std::endian::native == std::endian::little) {
        return std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
    } else {
        std::vector<std::byte> swapped(bytes.begin(), bytes.end());
        for (std::size_t i = 0; sample_bytes > 1 && i + sample_bytes <= swapped.size(); i += sample_bytes) {
            std::reverse(swapped.begin() + static_cast<std::ptrdiff_t>(i),
                         swapped.begin() + static_cast<std::ptrdiff_t>(i + sample_bytes));
        }
        return std::fwrite(swapped.data(), 1, swapped.size(), out) == swapped.size();
    }
}

} // namespace

int cmd_decode(std::span<const std::string_view> raw_args) {
    std::vector<std::string> expanded = expand_jobs(raw_args);
    const std::vector<std::string_view> args(expanded.begin(), expanded.end());
    std::string message;
    const auto parsed = arguments::parse(args, decode_spec, message);
    if (!parsed) {
        return usage_error(decode_spec, message);
    }
    if (parsed->help()) {
        return print_help(decode_spec);
    }
    if (parsed->positionals().size() != 2) {
        return usage_error(decode_spec, "expected IN and OUT.raw");
    }
    const std::string in(parsed->positionals()[0]);
    const std::string out_path(parsed->positionals()[1]);
    std::optional<std::uint32_t> only;
    if (const auto v = parsed->value("frame")) {
        char* end = nullptr;
        const std::string text(*v);
        const unsigned long n = std::strtoul(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n > 0xFFFFFFFFUL) {
            return usage_error(decode_spec, "--frame needs a frame number");
        }
        only = static_cast<std::uint32_t>(n);
    }
    std::uint32_t jobs = 1;
    if (const auto j = parsed->value("jobs")) {
        char* end = nullptr;
        const std::string text(*j);
        const unsigned long n = std::strtoul(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n > 1024) {
            return usage_error(decode_spec, "--jobs needs a thread count (0-1024)");
        }
        jobs = static_cast<std::uint32_t>(n);
    }
    const bool strict = parsed->has("strict");
    parse_options popt;
    popt.strict = strict;
    auto file = read_file(in, popt);
    if (!file) {
        return report_error(in, file.error());
    }
    pixel_options options;
    options.strict = strict;
    if (const auto d = parsed->value("decoder")) {
        options.decoder = std::string(*d);
    }
    auto pixels = pixel_data::open(*file, options);
    if (!pixels) {
        return report_error(in, pixels.error());
    }
    if (!parsed->has("quiet")) {
        print_warnings(in, file->warnings());
        print_warnings(in, pixels->warnings());
    }
    const std::uint32_t first = only.value_or(0);
    const std::uint32_t last = only ? *only + 1 : pixels->frame_count();
    if (first >= pixels->frame_count()) {
        return report_error(in, make_error(errc::frame_out_of_range,
                                           "frame " + std::to_string(first) + " asked, " +
                                               std::to_string(pixels->frame_count()) + " available"));
    }
    file_ptr out(std::fopen(out_path.c_str(), "wb"));
    if (!out) {
        return report_error(out_path, make_error(errc::io_error, std::string("cannot create: ") + std::strerror(errno)));
    }
    photometric produced = photometric::unknown;
    std::string codec;
    std::uint32_t rows = 0;
    std::uint32_t columns = 0;
    std::uint16_t samples = 0;
    // Frames are decoded on `jobs` workers and written here in order; the mapped source pages of each
    // written frame are released, so the resident set stays near the frames in flight.
    const bool quiet = parsed->has("quiet");
    bool write_failed = false;
    const auto write_frame = [&](std::uint32_t i, any_frame&& frame) -> result<void> {
        if (i == first) {
            produced = frame.meta().photometric_interpretation;
            codec = std::string(frame.meta().codec);
            rows = frame.rows();
            columns = frame.columns();
            samples = frame.samples_per_pixel();
        }
        if (!quiet) {
            for (const auto& w : frame.meta().warnings) {
                std::fprintf(stderr, "dicompix: warning: %s: frame %u: %s\n", in.c_str(), i, w.c_str());
            }
        }
        if (!write_samples(out.get(), frame.bytes(), sample_size(frame.type()))) {
            write_failed = true;
            return failure(errc::io_error, "write failed");
        }
        pixels->release_pages(i, i + 1);
        return {};
    };
    if (auto done = for_each_frame_ordered(*pixels, jobs, write_frame, first, last); !done) {
        if (write_failed) {
            return report_error(out_path, done.error());
        }
        out.reset();
        std::remove(out_path.c_str());
        return report_error(in, done.error());
    }
    if (std::fclose(out.release()) != 0) {
        return report_error(out_path, make_error(errc::io_error, "write failed"));
    }

    const frame_info& info = pixels->info();
    std::string json = "{\n";
    const auto num = [&](std::string_view key, std::uint64_t v, bool comma = true) {
        json += "  ";
        append_json_string(json, key);
        json += ": " + std::to_string(v) + (comma ? ",\n" : "\n");
    };
    const auto str = [&](std::string_view key, std::string_view v, bool comma = true) {
        json += "  ";
        append_json_string(json, key);
        json += ": ";
        append_json_string(json, v);
        json += comma ? ",\n" : "\n";
    };
    num("frames", last - first);
    num("rows", rows);
    num("columns", columns);
    num("samples_per_pixel", samples);
    num("bits_allocated", info.bits_allocated);
    num("bits_stored", info.bits_stored);
    num("pixel_representation", info.is_signed ? 1 : 0);
    str("photometric_interpretation", to_string(produced));
    str("sample_type", to_string(info.type()));
    str("codec", codec, false);
    json += "}\n";
    const std::string json_path = out_path + ".json";
    file_ptr meta(std::fopen(json_path.c_str(), "wb"));
    if (!meta || std::fwrite(json.data(), 1, json.size(), meta.get()) != json.size() ||
        std::fclose(meta.release()) != 0) {
        return report_error(json_path, make_error(errc::io_error, "cannot write"));
    }
    return exit_ok;
}

} // namespace dicompix::cli
