// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by the JPEG codec tests: DICOM files built in memory around samples or codestreams,
// whole-path decoding, and the DCMTK/GDCM command-line tools as oracles (tests skip when absent).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/pixel.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix::test {

/// The Image Pixel module of a test image.
struct image_desc {
    std::uint16_t rows{8};
    std::uint16_t columns{8};
    std::uint16_t spp{1};
    std::uint16_t ba{16};
    std::uint16_t bs{16};
    bool is_signed{false};
    std::string pi{"MONOCHROME2"};
    std::uint32_t frames{1};

    [[nodiscard]] frame_info info() const;
};

/// Samples as they appear in a normalised frame (sign-extended when signed), row-major interleaved.
using samples = std::vector<std::int64_t>;

/// Random samples over the full Bits Stored range.
samples random_samples(const image_desc& d, std::uint32_t seed);
/// Smooth content (gradients, a disc, mild noise): what real images look like to a predictor.
samples smooth_samples(const image_desc& d, std::uint32_t seed);

/// The samples as host-endian bytes of Bits Allocated width (the encoder's input).
bytes to_frame_bytes(const image_desc& d, const samples& s);
/// A Part 10 file with native (Explicit VR Little Endian) pixel data.
bytes native_file(const image_desc& d, const samples& s);
/// A Part 10 file with the codestreams as encapsulated frames (one fragment each, empty BOT).
bytes encapsulated_file(const image_desc& d, std::string_view uid, const std::vector<bytes>& codestreams);

/// All frames of a file decoded through pixel_data (the whole library path), normalised samples.
struct decoded {
    samples values;
    photometric colour{photometric::unknown};
    std::string codec;
    std::vector<std::string> warnings;
};
result<decoded> decode_file(const bytes& file, const pixel_options& options = {});
result<decoded> decode_path(const std::filesystem::path& path, const pixel_options& options = {});
/// The codestream of frame 0 of a file.
bytes first_codestream(const bytes& file);

/// True when the command-line tool is on PATH.
bool have_tool(std::string_view tool);
/// A fresh directory under the system temporary directory, removed by the destructor.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] std::filesystem::path path(std::string_view name) const { return dir_ / name; }

private:
    std::filesystem::path dir_;
};
void write_bytes(const std::filesystem::path& path, const bytes& b);
bytes read_all(const std::filesystem::path& path);
/// Runs a shell command with output discarded; true when it exits with 0.
bool run(const std::string& command);

} // namespace dicompix::test
