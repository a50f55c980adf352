// SPDX-License-Identifier: BSD-3-Clause
// Blanks a rectangular region (e.g. burned-in text) in every frame and saves a valid file. Works for
// native and compressed inputs: changed frames are re-encoded in the input's transfer syntax, which is
// kept (or use --to to pick another one); the dependent attributes are updated by the writer.
//
//   save_modified IN OUT X Y WIDTH HEIGHT [--to TRANSFER_SYNTAX]
#include <cstdio>
#include <cstdlib>
#include <string>

#include <dicompix/dicompix.hpp>

int main(int argc, char** argv) {
    if (argc != 7 && argc != 9) {
        std::fprintf(stderr, "usage: %s IN OUT X Y WIDTH HEIGHT [--to TRANSFER_SYNTAX]\n", argv[0]);
        return 2;
    }
    const auto x0 = static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10));
    const auto y0 = static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10));
    const auto w = static_cast<std::uint32_t>(std::strtoul(argv[5], nullptr, 10));
    const auto h = static_cast<std::uint32_t>(std::strtoul(argv[6], nullptr, 10));
    auto file = dicompix::read_file(argv[1]);
    if (!file) {
        std::fprintf(stderr, "error: %s\n", file.error().to_string().c_str());
        return 1;
    }
    auto pixels = dicompix::pixel_data::open(*file);
    if (!pixels) {
        std::fprintf(stderr, "error: %s\n", pixels.error().to_string().c_str());
        return 1;
    }
    dicompix::pixel_edits edits(*pixels);
    for (std::uint32_t i = 0; i < pixels->frame_count(); ++i) {
        auto frame = pixels->frame(i);
        if (!frame) {
            std::fprintf(stderr, "error: frame %u: %s\n", i, frame.error().to_string().c_str());
            return 1;
        }
        frame->visit([&](auto& f) {
            for (std::uint32_t y = y0; y < std::min(y0 + h, f.rows()); ++y) {
                for (std::uint32_t x = x0; x < std::min(x0 + w, f.columns()); ++x) {
                    for (std::uint16_t s = 0; s < f.samples_per_pixel(); ++s) {
                        f.set(x, y, s, 0);
                    }
                }
            }
        });
        // Frames are held one at a time: a replaced frame costs its samples until the file is written.
        if (auto replaced = edits.replace(i, std::move(*frame)); !replaced) {
            std::fprintf(stderr, "error: %s\n", replaced.error().to_string().c_str());
            return 1;
        }
    }
    dicompix::write_options options;
    if (argc == 9) {
        options.transfer_syntax = argv[8];
    }
    auto report = dicompix::write_file(*file, argv[2], options, &edits);
    if (!report) {
        std::fprintf(stderr, "error: %s\n", report.error().to_string().c_str());
        return 1;
    }
    std::printf("%s: %u frame(s) re-encoded, %u copied, %llu bytes, transfer syntax %s%s\n", argv[2],
                report->frames_encoded, report->frames_copied, static_cast<unsigned long long>(report->bytes_written),
                report->transfer_syntax_uid.c_str(), report->lossy ? " (lossy)" : "");
    return 0;
}
