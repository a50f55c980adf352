// SPDX-License-Identifier: BSD-3-Clause
#include "codecs/jpeg_test_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"

namespace dicompix::test {

frame_info image_desc::info() const {
    frame_info f;
    f.rows = rows;
    f.columns = columns;
    f.samples_per_pixel = spp;
    f.bits_allocated = ba;
    f.bits_stored = bs;
    f.high_bit = static_cast<std::uint16_t>(bs - 1);
    f.is_signed = is_signed;
    f.photometric_interpretation = parse_photometric(pi);
    return f;
}

namespace {

std::int64_t from_pattern(const image_desc& d, std::uint64_t pattern) {
    const std::uint64_t mask = (std::uint64_t{1} << d.bs) - 1;
    pattern &= mask;
    if (d.is_signed && (pattern >> (d.bs - 1)) != 0) {
        return static_cast<std::int64_t>(pattern) - static_cast<std::int64_t>(std::uint64_t{1} << d.bs);
    }
    return static_cast<std::int64_t>(pattern);
}

std::size_t count(const image_desc& d) {
    return std::size_t{d.rows} * d.columns * d.spp * d.frames;
}

} // namespace

samples random_samples(const image_desc& d, std::uint32_t seed) {
    std::mt19937_64 rng(seed);
    samples s(count(d));
    for (auto& v : s) {
        v = from_pattern(d, rng());
    }
    return s;
}

samples smooth_samples(const image_desc& d, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 2.0);
    const double range = std::ldexp(1.0, d.bs);
    samples s(count(d));
    std::size_t i = 0;
    for (std::uint32_t f = 0; f < d.frames; ++f) {
        for (std::uint32_t y = 0; y < d.rows; ++y) {
            for (std::uint32_t x = 0; x < d.columns; ++x) {
                const double dx = x - d.columns / 2.0;
                const double dy = y - d.rows / 2.0;
                const bool disc = dx * dx + dy * dy < (d.rows * d.columns) / 8.0;
                for (std::uint32_t c = 0; c < d.spp; ++c) {
                    double v = range * (0.1 + 0.5 * x / std::max(1, d.columns - 1) + 0.1 * c) + (disc ? range / 4 : 0) +
                               noise(rng) + f * 3.0;
                    v = std::clamp(v, 0.0, range - 1);
                    const auto pattern = static_cast<std::uint64_t>(v);
                    // Signed images: centre the range on zero.
                    s[i++] = d.is_signed ? static_cast<std::int64_t>(pattern) - static_cast<std::int64_t>(range / 2)
                                         : static_cast<std::int64_t>(pattern);
                }
            }
        }
    }
    return s;
}

bytes to_frame_bytes(const image_desc& d, const samples& s) {
    const std::size_t w = d.ba / 8;
    bytes out(s.size() * w);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto v = static_cast<std::uint64_t>(s[i]);
        if (w == 1) {
            const auto b = static_cast<std::uint8_t>(v);
            std::memcpy(out.data() + i, &b, 1);
        } else if (w == 2) {
            const auto b = static_cast<std::uint16_t>(v);
            std::memcpy(out.data() + 2 * i, &b, 2);
        } else {
            const auto b = static_cast<std::uint32_t>(v);
            std::memcpy(out.data() + 4 * i, &b, 4);
        }
    }
    return out;
}

namespace {

void image_module(dicom_builder& b, const image_desc& d) {
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4.5.6.7.8.9");
    b.str(tags::Modality, vr::CS, "OT");
    b.us(tags::SamplesPerPixel, {d.spp});
    b.str(tags::PhotometricInterpretation, vr::CS, d.pi);
    if (d.spp > 1) {
        b.us(tags::PlanarConfiguration, {0});
    }
    if (d.frames != 1) {
        b.str(tags::NumberOfFrames, vr::IS, std::to_string(d.frames));
    }
    b.us(tags::Rows, {d.rows}).us(tags::Columns, {d.columns});
    b.us(tags::BitsAllocated, {d.ba}).us(tags::BitsStored, {d.bs});
    b.us(tags::HighBit, {static_cast<std::uint16_t>(d.bs - 1)});
    b.us(tags::PixelRepresentation, {static_cast<std::uint16_t>(d.is_signed ? 1 : 0)});
}

} // namespace

bytes native_file(const image_desc& d, const samples& s) {
    dicom_builder b(true, false);
    image_module(b, d);
    bytes pixels = to_frame_bytes(d, s);
    if constexpr (std::endian::native == std::endian::big) {
        const std::size_t w = d.ba / 8;
        for (std::size_t i = 0; w > 1 && i < pixels.size(); i += w) {
            std::reverse(pixels.begin() + static_cast<std::ptrdiff_t>(i),
                         pixels.begin() + static_cast<std::ptrdiff_t>(i + w));
        }
    }
    if (pixels.size() % 2 != 0) {
        pixels.push_back(std::byte{0});
    }
    b.element(tags::PixelData, d.ba == 8 ? vr::OB : vr::OW, pixels);
    return dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1");
}

bytes encapsulated_file(const image_desc& d, std::string_view uid, const std::vector<bytes>& codestreams) {
    dicom_builder b(true, false);
    image_module(b, d);
    std::vector<bytes> fragments = codestreams;
    for (auto& f : fragments) {
        if (f.size() % 2 != 0) {
            f.push_back(std::byte{0});
        }
    }
    b.encapsulated({}, fragments);
    return dicom_builder::part10(b.data(), uid);
}

namespace {

result<decoded> decode_all(const dicom_file& file, const pixel_options& options) {
    DICOMPIX_TRY(const pixel_data pixels, pixel_data::open(file, options));
    decoded out;
    for (std::uint32_t i = 0; i < pixels.frame_count(); ++i) {
        DICOMPIX_TRY(const any_frame f, pixels.frame(i));
        out.colour = f.meta().photometric_interpretation;
        out.codec = std::string(f.meta().codec);
        out.warnings.insert(out.warnings.end(), f.meta().warnings.begin(), f.meta().warnings.end());
        f.visit([&](const auto& frame) {
            for (const auto v : frame.samples()) {
                out.values.push_back(static_cast<std::int64_t>(v));
            }
        });
    }
    return out;
}

} // namespace

result<decoded> decode_file(const bytes& file, const pixel_options& options) {
    DICOMPIX_TRY(const dicom_file f, read_bytes(byte_source::adopt(file)));
    return decode_all(f, options);
}

result<decoded> decode_path(const std::filesystem::path& path, const pixel_options& options) {
    DICOMPIX_TRY(const dicom_file f, read_file(path));
    return decode_all(f, options);
}

bytes first_codestream(const bytes& file) {
    const dicom_file f = read_bytes(byte_source::adopt(file)).value();
    const pixel_data p = pixel_data::open(f).value();
    std::vector<std::byte> scratch;
    const auto cs = p.frame_codestream(0, scratch).value();
    return bytes(cs.begin(), cs.end());
}

bool have_tool(std::string_view tool) {
    return std::system(("command -v " + std::string(tool) + " >/dev/null 2>&1").c_str()) == 0;
}

temp_dir::temp_dir() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("dicompix-jpeg-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void write_bytes(const std::filesystem::path& path, const bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

bytes read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
}

bool run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

} // namespace dicompix::test
