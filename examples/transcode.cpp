// SPDX-License-Identifier: BSD-3-Clause
// Transcodes a file to another transfer syntax, streaming frame by frame (memory: about one frame).
//
//   transcode IN OUT TRANSFER_SYNTAX      (UID, keyword such as RLELossless, or name)
#include <cstdio>

#include <dicompix/dicompix.hpp>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s IN OUT TRANSFER_SYNTAX\n", argv[0]);
        return 2;
    }
    auto file = dicompix::read_file(argv[1]);
    if (!file) {
        std::fprintf(stderr, "error: %s\n", file.error().to_string().c_str());
        return 1;
    }
    dicompix::write_options options;
    options.transfer_syntax = argv[3];
    const auto report = dicompix::write_file(*file, argv[2], options);
    if (!report) {
        std::fprintf(stderr, "error: %s\n", report.error().to_string().c_str());
        return 1;
    }
    std::printf("%s -> %s: %s, %u frame(s) encoded, %u copied%s\n", argv[1], argv[2],
                report->transfer_syntax_uid.c_str(), report->frames_encoded, report->frames_copied,
                report->lossy ? ", lossy" : "");
    return 0;
}
