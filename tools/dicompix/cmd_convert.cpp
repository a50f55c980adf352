// SPDX-License-Identifier: BSD-3-Clause
// `dicompix convert IN OUT.png` and `dicompix convert INDIR OUTDIR [-j N]`: frames rendered through the
// display pipeline (include/dicompix/render.hpp) and written as PNG or PGM/PPM.
//
// Directory mode: a pool of worker threads takes files from a shared counter; each worker maps one file,
// decodes, renders and writes one frame at a time, so memory is bounded by workers x (one frame + one bitmap),
// whatever the file sizes. A progress bar is drawn on stderr when it is a terminal; a summary (converted,
// skipped with reason, failed with reason) goes to stdout; the exit status is 1 when any file failed.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli_util.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/render.hpp"

namespace dicompix::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::array<option_spec, 19> convert_options{{
    {"frame", "N", "convert only frame N (0-based); default: frame 0 of a file, every frame in directory mode"},
    {"all-frames", "", "convert every frame: OUT_0000.png, OUT_0001.png, ..."},
    {"window", "C,W", "explicit VOI window: centre and width (also written --window C W)"},
    {"voi", "K", "use the file's window K (0-based) instead of the first one"},
    {"voi-lut", "K", "use the file's VOI LUT K (0-based)"},
    {"min-max", "", "window from the frame's minimum to maximum value"},
    {"no-voi", "", "no VOI: scale the full range of modality values"},
    {"voi-function", "F", "LINEAR, LINEAR_EXACT or SIGMOID, overriding the file's VOI LUT Function"},
    {"presentation", "SHAPE", "IDENTITY or INVERSE, overriding the file (MONOCHROME1 is inverted by default)"},
    {"no-modality", "", "ignore Rescale Slope/Intercept and the Modality LUT"},
    {"raw16", "", "16-bit grey PNG of the stored values, no LUT (signed values + 32768)"},
    {"modality16", "", "16-bit grey PNG of the modality values (Rescale / Modality LUT), no windowing"},
    {"overlays", "", "burn overlay planes (60xx) in, white"},
    {"format", "EXT", "directory mode: png (default), pgm, ppm or pnm"},
    {"jobs", "N", "directory mode: worker threads (also -j N; default: the number of CPUs)"},
    {"strict", "", "parse, decode and render strictly (no lenient recoveries)"},
    {"png-level", "L", "PNG compression: 1 (default) fast (UP filter, zlib RLE); 2-9 smaller, slower (adaptive filters)"},
    {"verbose", "", "print what the display pipeline does to each converted file"},
    {"quiet", "", "print no warnings and no progress bar"},
}};

constexpr command_spec convert_spec{
    "convert", "IN OUT | INDIR OUTDIR",
    "Render DICOM frames to 8-bit grey or RGB PNG (or PGM/PPM, by the extension of OUT): Modality LUT,\n"
    "VOI window or LUT (the file's first window by default, else its first VOI LUT, else min-max),\n"
    "Presentation LUT Shape / MONOCHROME1 inversion, PALETTE COLOR and YBR to RGB. --raw16 and --modality16\n"
    "write 16-bit grey PNGs of unwindowed values instead.",
    convert_options,
    "Directory mode converts every file under INDIR (recursively) into the same relative path under OUTDIR,\n"
    "NAME.png (NAME_0000.png, ... for multi-frame files), with N parallel workers. Files that are not DICOM\n"
    "or have no pixel data are skipped; a summary lists skipped and failed files with the reason.\n"
    "Exit status: 0 when nothing failed, 1 otherwise, 2 usage error."};

/// Rewrites the two forms cli_util does not know: "-j N" / "-jN" and "--window C W".
std::vector<std::string> normalise(std::span<const std::string_view> args) {
    std::vector<std::string> out;
    const auto is_number = [](std::string_view s) {
        double d = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view w = args[i];
        if (w == "--") {
            out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        if (w == "-j" && i + 1 < args.size()) {
            out.push_back("--jobs=" + std::string(args[++i]));
        } else if (w.size() > 2 && w.starts_with("-j") && !w.starts_with("--")) {
            out.push_back("--jobs=" + std::string(w.substr(2)));
        } else if (w == "--window" && i + 2 < args.size() && is_number(args[i + 1]) && is_number(args[i + 2])) {
            out.push_back("--window=" + std::string(args[i + 1]) + "," + std::string(args[i + 2]));
            i += 2;
        } else {
            out.emplace_back(w);
        }
    }
    return out;
}

std::optional<std::uint32_t> parse_count(std::string_view s) {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<double> parse_number(std::string_view s) {
    double v = 0;
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

std::string upper(std::string_view s) {
    std::string u(s);
    for (char& c : u) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return u;
}

struct settings {
    render_options render;
    png_options png;
    parse_options parse;
    pixel_options pixels;
    std::optional<std::uint32_t> frame;
    bool all_frames{false};
    unsigned jobs{0};
    std::string format{".png"};
    bool verbose{false};
    bool quiet{false};
};

/// Reads the options into settings; returns an error message for a usage error.
std::optional<std::string> read_settings(const arguments& a, settings& s) {
    if (const auto v = a.value("frame")) {
        s.frame = parse_count(*v);
        if (!s.frame) {
            return "--frame needs a frame number";
        }
    }
    s.all_frames = a.has("all-frames");
    if (s.frame && s.all_frames) {
        return "--frame and --all-frames exclude each other";
    }
    int voi_choices = 0;
    if (const auto v = a.value("window")) {
        const std::size_t sep = v->find_first_of(", /");
        const auto c = sep == std::string_view::npos ? std::nullopt : parse_number(v->substr(0, sep));
        const auto w = sep == std::string_view::npos ? std::nullopt : parse_number(v->substr(sep + 1));
        if (!c || !w) {
            return "--window needs a centre and a width, e.g. --window 40 400";
        }
        s.render.voi.mode = voi_mode::explicit_window;
        s.render.voi.center = *c;
        s.render.voi.width = *w;
        ++voi_choices;
    }
    if (const auto v = a.value("voi")) {
        const auto k = parse_count(*v);
        if (!k) {
            return "--voi needs a window number";
        }
        s.render.voi.mode = voi_mode::file_window;
        s.render.voi.index = *k;
        ++voi_choices;
    }
    if (const auto v = a.value("voi-lut")) {
        const auto k = parse_count(*v);
        if (!k) {
            return "--voi-lut needs a VOI LUT number";
        }
        s.render.voi.mode = voi_mode::file_lut;
        s.render.voi.index = *k;
        ++voi_choices;
    }
    if (a.has("min-max")) {
        s.render.voi.mode = voi_mode::min_max;
        ++voi_choices;
    }
    if (a.has("no-voi")) {
        s.render.voi.mode = voi_mode::none;
        ++voi_choices;
    }
    if (voi_choices > 1) {
        return "choose one of --window, --voi, --voi-lut, --min-max, --no-voi";
    }
    if (const auto v = a.value("voi-function")) {
        const std::string f = upper(*v);
        if (f == "LINEAR") {
            s.render.voi.function = voi_function::linear;
        } else if (f == "LINEAR_EXACT") {
            s.render.voi.function = voi_function::linear_exact;
        } else if (f == "SIGMOID") {
            s.render.voi.function = voi_function::sigmoid;
        } else {
            return "--voi-function is LINEAR, LINEAR_EXACT or SIGMOID";
        }
    }
    if (const auto v = a.value("presentation")) {
        const std::string p = upper(*v);
        if (p == "IDENTITY") {
            s.render.presentation = presentation_shape::identity;
        } else if (p == "INVERSE") {
            s.render.presentation = presentation_shape::inverse;
        } else {
            return "--presentation is IDENTITY or INVERSE";
        }
    }
    s.render.modality = !a.has("no-modality");
    if (a.has("raw16") && a.has("modality16")) {
        return "--raw16 and --modality16 exclude each other";
    }
    if (a.has("raw16")) {
        s.render.output = output_kind::stored16;
    } else if (a.has("modality16")) {
        s.render.output = output_kind::modality16;
    }
    s.render.overlays = a.has("overlays");
    if (const auto v = a.value("format")) {
        std::string f = std::string(*v);
        for (char& c : f) {
            c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        if (f != "png" && f != "pgm" && f != "ppm" && f != "pnm") {
            return "--format is png, pgm, ppm or pnm";
        }
        s.format = "." + f;
    }
    if (const auto v = a.value("jobs")) {
        const auto j = parse_count(*v);
        if (!j || *j > 1024) {
            return "--jobs needs a number of workers";
        }
        s.jobs = *j;
    }
    if (const auto v = a.value("png-level")) {
        const auto l = parse_count(*v);
        if (!l || *l > 9) {
            return "--png-level is 0..9";
        }
        s.png.compression_level = static_cast<int>(*l);
        if (*l >= 2) {
            s.png.filter = png_filter::adaptive;
            s.png.run_length = false;
        }
    }
    const bool strict = a.has("strict");
    s.parse.strict = strict;
    s.pixels.strict = strict;
    s.render.strict = strict;
    s.verbose = a.has("verbose");
    s.quiet = a.has("quiet");
    return std::nullopt;
}

/// OUT.png -> OUT_0007.png
fs::path frame_path(const fs::path& out, std::uint32_t index) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "_%04u", index);
    fs::path p = out;
    p.replace_filename(out.stem().string() + suffix + out.extension().string());
    return p;
}

enum class outcome : std::uint8_t { converted, skipped, failed };

struct file_result {
    outcome status{outcome::failed};
    std::string reason;
    std::uint32_t images{0};
};

std::string describe_error(const error& e) {
    std::string s(to_string(e.code));
    s += ": ";
    s += e.message;
    return s;
}

/// Tells the kernel that the mapped pages of frames already converted will not be read again: they are
/// file-backed (re-read from the file if ever touched), so this only keeps the resident set of a large mapped
/// file near one frame instead of growing to the file's size as frames stream by.
void release_consumed(const dicom_file& file, const pixel_data& pixels, std::uint32_t frame) noexcept {
    if (!file.source().is_mapped()) {
        return;
    }
    const std::byte* begin = nullptr;
    const std::byte* end = nullptr;
    if (!pixels.encapsulated()) {
        const auto native = pixels.native_bytes();
        const auto bits = pixels.info().native_frame_bits();
        if (native.empty() || !bits) {
            return;
        }
        const std::uint64_t done = (std::uint64_t{frame} + 1) * *bits / 8;
        begin = native.data();
        end = native.data() + std::min<std::uint64_t>(done, native.size());
    } else {
        const auto index = pixels.frame_index();
        const auto fragments = pixels.fragments();
        if (frame >= index.size() || index[frame].count == 0 || index[0].count == 0) {
            return;
        }
        const std::size_t last = std::size_t{index[frame].first} + index[frame].count - 1;
        if (last >= fragments.size() || index[0].first >= fragments.size()) {
            return;
        }
        begin = fragments[index[0].first].bytes.data();
        end = fragments[last].bytes.data() + fragments[last].bytes.size();
    }
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
    const std::uintptr_t stop = reinterpret_cast<std::uintptr_t>(end) / page * page;
    if (page > 0 && stop > first) {
        madvise(reinterpret_cast<void*>(first), stop - first, MADV_DONTNEED);
    }
}

/// Converts the frames of one file. `single` names the output of frame `only` (or OUT_nnnn for all frames);
/// in directory mode `out` is the base path without extension and multi-frame files get _nnnn suffixes.
file_result convert_file(const fs::path& in, const fs::path& out, bool directory_mode, const settings& s,
                         bitmap& scratch, std::vector<std::string>* messages) {
    file_result r;
    auto file = read_file(in, s.parse);
    if (!file) {
        r.status = file.error().code == errc::not_dicom ? outcome::skipped : outcome::failed;
        r.reason = file.error().code == errc::not_dicom ? "not DICOM" : describe_error(file.error());
        return r;
    }
    auto pixels = pixel_data::open(*file, s.pixels);
    if (!pixels) {
        r.status = pixels.error().code == errc::no_pixel_data ? outcome::skipped : outcome::failed;
        r.reason = pixels.error().code == errc::no_pixel_data ? "no pixel data" : describe_error(pixels.error());
        return r;
    }
    auto pipeline = display_pipeline::create(*file, *pixels, s.render);
    if (!pipeline) {
        r.reason = describe_error(pipeline.error());
        return r;
    }
    if (messages != nullptr && !s.quiet) {
        for (const auto* list : {&file->warnings(), &pixels->warnings(), &pipeline->warnings()}) {
            for (const warning& w : *list) {
                messages->push_back("warning: " + in.string() + ": " + (w.tag_path.empty() ? "" : "in " + w.tag_path + ": ") +
                                    w.message);
            }
        }
    }
    const std::uint32_t count = pixels->frame_count();
    std::uint32_t first = 0;
    std::uint32_t last = 1;
    if (s.frame) {
        if (*s.frame >= count) {
            r.status = directory_mode ? outcome::skipped : outcome::failed;
            r.reason = "no frame " + std::to_string(*s.frame) + " (" + std::to_string(count) + " frame(s))";
            return r;
        }
        first = *s.frame;
        last = first + 1;
    } else if (s.all_frames || directory_mode) {
        last = count;
    }
    if (s.verbose && messages != nullptr) {
        messages->push_back("info: " + in.string() + ": frames " + std::to_string(first) + ".." + std::to_string(last - 1) +
                            ": " + pipeline->describe(first));
    }
    const bool numbered = directory_mode ? count > 1 && !s.frame : s.all_frames;
    for (std::uint32_t i = first; i < last; ++i) {
        auto frame = pixels->frame(i);
        if (!frame) {
            r.reason = "frame " + std::to_string(i) + ": " + describe_error(frame.error());
            return r;
        }
        if (auto rendered = pipeline->render(*frame, scratch); !rendered) {
            r.reason = "frame " + std::to_string(i) + ": " + describe_error(rendered.error());
            return r;
        }
        fs::path target = out;
        if (directory_mode) {
            target += s.format;
        }
        if (numbered) {
            target = frame_path(target, i);
        }
        if (auto written = write_image(scratch, target, s.png); !written) {
            r.reason = describe_error(written.error());
            return r;
        }
        ++r.images;
        if (last - first > 1) {
            release_consumed(*file, *pixels, i);
        }
    }
    r.status = outcome::converted;
    return r;
}

int convert_single(const fs::path& in, fs::path out, const settings& s) {
    std::error_code ec;
    if (fs::is_directory(out, ec)) {
        out /= in.stem().string() + ".png";
    }
    const std::string ext = out.extension().string();
    if (ext != ".png" && ext != ".pgm" && ext != ".ppm" && ext != ".pnm" && ext != ".PNG") {
        return usage_error(convert_spec, "OUT must end in .png, .pgm, .ppm or .pnm (or be a directory)");
    }
    bitmap scratch;
    std::vector<std::string> messages;
    const file_result r = convert_file(in, out, false, s, scratch, &messages);
    for (const std::string& m : messages) {
        std::fprintf(stderr, "dicompix: %s\n", m.c_str());
    }
    if (r.status != outcome::converted) {
        std::fprintf(stderr, "dicompix: error: %s: %s\n", in.string().c_str(), r.reason.c_str());
        return exit_error;
    }
    return exit_ok;
}

/// Output base path (no extension) of an input under the input directory.
fs::path output_base(const fs::path& in_dir, const fs::path& file, const fs::path& out_dir) {
    fs::path rel = file.lexically_relative(in_dir);
    std::string ext = rel.extension().string();
    for (char& c : ext) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (ext == ".dcm" || ext == ".dicom" || ext == ".dic") {
        rel.replace_extension();
    }
    return out_dir / rel;
}

void draw_progress(std::size_t done, std::size_t total, std::size_t skipped, std::size_t failed) {
    constexpr int width = 30;
    const int filled = total == 0 ? width : static_cast<int>(static_cast<double>(done) * width / static_cast<double>(total));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '.');
    std::fprintf(stderr, "\r[%s] %zu/%zu files, %zu skipped, %zu failed ", bar.c_str(), done, total, skipped, failed);
    std::fflush(stderr);
}

int convert_directory(const fs::path& in_dir, const fs::path& out_dir, const settings& s) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(in_dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) {
            files.push_back(it->path());
        }
    }
    if (ec) {
        return report_error(in_dir.string(), make_error(errc::io_error, "cannot list: " + ec.message()));
    }
    std::sort(files.begin(), files.end());
    fs::create_directories(out_dir, ec);
    if (ec) {
        return report_error(out_dir.string(), make_error(errc::io_error, "cannot create: " + ec.message()));
    }

    std::vector<file_result> results(files.size());
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> skipped{0};
    std::atomic<std::size_t> failed{0};
    std::mutex messages_mutex;
    std::vector<std::string> messages;
    std::mutex wake_mutex;
    std::condition_variable wake;

    const unsigned hw = std::max(1U, std::thread::hardware_concurrency());
    const auto workers = static_cast<unsigned>(std::min<std::size_t>(s.jobs == 0 ? hw : s.jobs, std::max<std::size_t>(files.size(), 1)));
    const auto work = [&] {
        bitmap scratch; // one per worker, reused for every frame
        std::vector<std::string> local;
        for (std::size_t i = next.fetch_add(1); i < files.size(); i = next.fetch_add(1)) {
            fs::path base = output_base(in_dir, files[i], out_dir);
            std::error_code mk;
            fs::create_directories(base.parent_path(), mk);
            try {
                results[i] = convert_file(files[i], base, true, s, scratch, &local);
            } catch (const std::bad_alloc&) {
                results[i] = file_result{outcome::failed, "out of memory", 0};
            } catch (const std::exception& e) {
                results[i] = file_result{outcome::failed, std::string("internal error: ") + e.what(), 0};
            }
            if (results[i].status == outcome::skipped) {
                skipped.fetch_add(1);
            } else if (results[i].status == outcome::failed) {
                failed.fetch_add(1);
            }
            if (!local.empty()) {
                const std::lock_guard lock(messages_mutex);
                messages.insert(messages.end(), std::make_move_iterator(local.begin()), std::make_move_iterator(local.end()));
                local.clear();
            }
            done.fetch_add(1);
            wake.notify_one();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(workers);
    for (unsigned w = 0; w < workers; ++w) {
        pool.emplace_back(work);
    }
    const bool progress = !s.quiet && isatty(STDERR_FILENO) != 0;
    auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    while (done.load() < files.size()) {
        std::unique_lock lock(wake_mutex);
        wake.wait_for(lock, std::chrono::milliseconds(100));
        // At most ten redraws a second, however fast files complete.
        if (progress && std::chrono::steady_clock::now() - last_draw >= std::chrono::milliseconds(100)) {
            draw_progress(done.load(), files.size(), skipped.load(), failed.load());
            last_draw = std::chrono::steady_clock::now();
        }
    }
    for (std::thread& t : pool) {
        t.join();
    }
    if (progress) {
        draw_progress(files.size(), files.size(), skipped.load(), failed.load());
        std::fputc('\n', stderr);
    }
    for (const std::string& m : messages) {
        std::fprintf(stderr, "dicompix: %s\n", m.c_str());
    }

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::size_t converted = 0;
    std::size_t images = 0;
    for (const file_result& r : results) {
        converted += r.status == outcome::converted ? 1 : 0;
        images += r.images;
    }
    output o(stdout);
    char line[512];
    std::snprintf(line, sizeof line, "converted %zu of %zu files (%zu images) into %s in %.2f s with %u workers\n",
                  converted, files.size(), images, out_dir.string().c_str(), seconds, workers);
    o << line;
    for (const auto kind : {outcome::skipped, outcome::failed}) {
        const std::size_t n = kind == outcome::skipped ? skipped.load() : failed.load();
        if (n == 0) {
            continue;
        }
        o << (kind == outcome::skipped ? "skipped " : "failed ") << std::to_string(n) << ":\n";
        for (std::size_t i = 0; i < files.size(); ++i) {
            if (results[i].status == kind) {
                o << "  " << files[i].lexically_relative(in_dir).string() << ": " << results[i].reason << '\n';
            }
        }
    }
    o.flush();
    if (failed.load() != 0) {
        std::fprintf(stderr, "dicompix: error: %zu of %zu files failed\n", failed.load(), files.size());
        return exit_error;
    }
    return exit_ok;
}

} // namespace

int cmd_convert(std::span<const std::string_view> args) {
    const std::vector<std::string> owned = normalise(args);
    const std::vector<std::string_view> words(owned.begin(), owned.end());
    std::string message;
    const auto parsed = arguments::parse(words, convert_spec, message);
    if (!parsed) {
        return usage_error(convert_spec, message);
    }
    if (parsed->help()) {
        return print_help(convert_spec);
    }
    if (parsed->positionals().size() != 2) {
        return usage_error(convert_spec, "expected IN and OUT");
    }
    settings s;
    if (const auto bad = read_settings(*parsed, s)) {
        return usage_error(convert_spec, *bad);
    }
    const fs::path in(parsed->positionals()[0]);
    const fs::path out(parsed->positionals()[1]);
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
        if (s.all_frames) {
            return usage_error(convert_spec, "directory mode converts every frame already; --all-frames is for one file");
        }
        return convert_directory(in, out, s);
    }
    return convert_single(in, out, s);
}

} // namespace dicompix::cli
