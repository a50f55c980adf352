// SPDX-License-Identifier: BSD-3-Clause
// dicompix_fuzz_seeds: builds seed directories for every fuzz target (fuzz/README.md).
//
// usage: dicompix_fuzz_seeds OUTDIR [--synthetic] [--max-bytes N] [FILE_OR_DIR...]
//
//   OUTDIR/<target>/<hash>   one directory per fuzz target, files named by an FNV-1a hash of content
//
// DICOM-level targets (fuzz_parse, fuzz_parse_and_decode, fuzz_roundtrip, fuzz_render) get each input
// file of at most --max-bytes (default 600 KiB) with the option byte 0 appended (fuzz_common.hpp).
// Codec targets (fuzz_decode_<codec>) get the codestreams of the first two frames of every encapsulated
// input whose transfer syntax the codec decodes, with the 8-byte trailer describing the dataset's frame
// (fuzz_codecs.hpp). --synthetic adds small images made here (every native and encapsulated transfer
// syntax the built-in encoders write, palette / LUT / overlay / float / 1-bit variants), so the seed set
// needs no external file: CI replays them (fuzz/CMakeLists.txt).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/dicompix.hpp"
#include "fuzz_codecs.hpp"

#if DICOMPIX_FUZZ_SEEDS_JXL
#include <jxl/encode.h>
#include <jxl/encode_cxx.h>
#endif

namespace {

using namespace dicompix;
namespace fs = std::filesystem;

constexpr std::array<std::string_view, 4> dicom_targets{"fuzz_parse", "fuzz_parse_and_decode", "fuzz_roundtrip",
                                                        "fuzz_render"};

struct seeds {
    fs::path out;
    std::uint64_t max_bytes{600U * 1024U};
    std::size_t written{0};

    void save(std::string_view target, std::span<const std::byte> body, std::span<const std::uint8_t> tail) {
        if (body.size() + tail.size() > max_bytes) {
            return;
        }
        std::uint64_t h = 14695981039346656037ULL;
        const auto mix = [&h](std::uint8_t b) {
            h ^= b;
            h *= 1099511628211ULL;
        };
        for (const std::byte b : body) {
            mix(static_cast<std::uint8_t>(b));
        }
        for (const std::uint8_t b : tail) {
            mix(b);
        }
        char name[17];
        std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
        const fs::path dir = out / std::string(target);
        fs::create_directories(dir);
        std::ofstream f(dir / name, std::ios::binary);
        f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
        f.write(reinterpret_cast<const char*>(tail.data()), static_cast<std::streamsize>(tail.size()));
        ++written;
    }

    void dicom(std::span<const std::byte> file_bytes) {
        const std::array<std::uint8_t, 1> option{0};
        for (const auto target : dicom_targets) {
            save(target, file_bytes, option);
        }
    }

    /// The codestreams of the first frames of an encapsulated file, for every codec target that takes them.
    void codestreams(const dicom_file& file) {
        auto pixels = pixel_data::open(file);
        if (!pixels || !pixels->encapsulated()) {
            return;
        }
        const std::string& uid = pixels->description().transfer_syntax_uid;
        for (std::uint32_t i = 0; i < std::min<std::uint32_t>(pixels->frame_count(), 2); ++i) {
            std::vector<std::byte> scratch;
            auto cs = pixels->frame_codestream(i, scratch);
            if (!cs) {
                continue;
            }
            for (const auto& codec : fuzz::codecs) {
                const frame_decoder* d = codec_registry::builtin().decoder(codec.decoder);
                if (d == nullptr || !d->can_decode(uid, pixels->info())) {
                    continue;
                }
                for (std::size_t u = 0; u < codec.uid_count(); ++u) {
                    if (codec.uids[u] == uid) {
                        const auto trailer = fuzz::make_trailer(pixels->info(), u, false);
                        save("fuzz_decode_" + std::string(codec.target), *cs, trailer);
                    }
                }
            }
        }
    }

    void file(const fs::path& path) {
        std::error_code ec;
        if (fs::file_size(path, ec) > max_bytes || ec) {
            return;
        }
        auto parsed = read_file(path);
        if (!parsed) {
            return;
        }
        dicom(parsed->file_source().bytes());
        codestreams(*parsed);
    }
};

// ---- synthetic images ----------------------------------------------------------------------------------

element us(tag t, std::uint16_t v) {
    const std::array<std::uint16_t, 1> values{v};
    return element::from_numbers<std::uint16_t>(t, vr::US, values);
}

element text(tag t, vr v, std::string_view s) { return element::from_string(t, v, s); }

struct image_spec {
    std::string_view name;
    std::uint16_t rows, columns, spp, bits_allocated, bits_stored, frames;
    bool is_signed;
    std::string_view photometric;
    std::uint16_t planar{0};
    bool float_data{false};
};

/// A small image with a gradient plus noise; extras (palette, LUTs, overlay, windows) by name.
dataset make_image(const image_spec& s) {
    dataset ds;
    ds.set(text(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7"));
    ds.set(text(tags::SOPInstanceUID, vr::UI, "1.2.826.0.1.3680043.10.1045.99.1"));
    ds.set(text(tags::Modality, vr::CS, "OT"));
    ds.set(us(tags::Rows, s.rows));
    ds.set(us(tags::Columns, s.columns));
    ds.set(us(tags::SamplesPerPixel, s.spp));
    ds.set(text(tags::PhotometricInterpretation, vr::CS, s.photometric));
    ds.set(us(tags::BitsAllocated, s.bits_allocated));
    if (!s.float_data) {
        ds.set(us(tags::BitsStored, s.bits_stored));
        ds.set(us(tags::HighBit, static_cast<std::uint16_t>(s.bits_stored - 1)));
        ds.set(us(tags::PixelRepresentation, s.is_signed ? 1 : 0));
    }
    if (s.spp > 1) {
        ds.set(us(tags::PlanarConfiguration, s.planar));
    }
    if (s.frames > 1) {
        ds.set(text(tags::NumberOfFrames, vr::IS, std::to_string(s.frames)));
    }
    const std::size_t pixels = std::size_t{s.rows} * s.columns;
    const std::size_t samples = pixels * s.spp * s.frames;
    std::vector<std::byte> data;
    std::uint32_t noise = 12345;
    const auto next = [&noise] {
        noise = noise * 1103515245U + 12345U;
        return noise >> 16U;
    };
    if (s.bits_allocated == 1) {
        data.assign((samples + 7) / 8, std::byte{0});
        for (std::size_t i = 0; i < samples; ++i) {
            if (((i % s.columns) + (i / s.columns)) % 3 == 0) {
                data[i / 8] |= std::byte{static_cast<unsigned char>(1U << (i % 8))};
            }
        }
    } else {
        const std::size_t width = s.bits_allocated / 8U;
        data.resize(samples * width);
        const double max = s.float_data ? 1.0 : std::ldexp(1.0, s.bits_stored) - 1;
        for (std::size_t i = 0; i < samples; ++i) {
            const std::size_t p = (i / s.spp) % pixels;
            const double ramp = static_cast<double>(p % s.columns + p / s.columns) /
                                static_cast<double>(s.columns + s.rows);
            double v = ramp * max * 0.9 + static_cast<double>(next() % 7U);
            if (s.float_data) {
                v = ramp - 0.25;
                const float f = static_cast<float>(v);
                std::memcpy(data.data() + i * width, &f, 4);
                continue;
            }
            std::int64_t iv = std::llround(std::min(v, max));
            if (s.is_signed) {
                iv -= static_cast<std::int64_t>(max / 2);
            }
            for (std::size_t b = 0; b < width; ++b) {
                data[i * width + b] = static_cast<std::byte>((static_cast<std::uint64_t>(iv) >> (8 * b)) & 0xFFU);
            }
        }
    }
    const tag pixel_tag = s.float_data ? tags::FloatPixelData : tags::PixelData;
    const vr pixel_vr = s.float_data ? vr::OF : (s.bits_allocated > 8 ? vr::OW : vr::OB);
    if ((data.size() & 1U) != 0) {
        data.push_back(std::byte{0});
    }
    ds.set(element::owning(pixel_tag, pixel_vr, std::move(data)));

    const std::string_view n = s.name;
    if (n == "palette") {
        // PS3.3 C.7.6.3.1.5: 256 entries, first value mapped 0, 16 bits per entry.
        const std::array<std::uint16_t, 3> descriptor{256, 0, 16};
        for (const tag t : {tags::RedPaletteColorLookupTableDescriptor, tags::GreenPaletteColorLookupTableDescriptor,
                            tags::BluePaletteColorLookupTableDescriptor}) {
            ds.set(element::from_numbers<std::uint16_t>(t, vr::US, descriptor));
        }
        std::vector<std::uint16_t> lut(256);
        for (std::size_t i = 0; i < lut.size(); ++i) {
            lut[i] = static_cast<std::uint16_t>(i * 257U);
        }
        ds.set(element::from_numbers<std::uint16_t>(tags::RedPaletteColorLookupTableData, vr::OW, lut));
        std::reverse(lut.begin(), lut.end());
        ds.set(element::from_numbers<std::uint16_t>(tags::GreenPaletteColorLookupTableData, vr::OW, lut));
        ds.set(element::from_numbers<std::uint16_t>(tags::BluePaletteColorLookupTableData, vr::OW, lut));
    } else if (n == "luts") {
        // Windows, a Modality LUT Sequence, a VOI LUT Sequence (C.11.1, C.11.2) and an overlay (C.9.2).
        ds.set(text(tags::WindowCenter, vr::DS, "2048\\1000"));
        ds.set(text(tags::WindowWidth, vr::DS, "4096\\500"));
        ds.set(text(tags::VOILUTFunction, vr::CS, "SIGMOID"));
        const auto lut_item = [](tag descriptor_tag, std::uint16_t count, std::uint16_t bits) {
            dataset item;
            const std::array<std::uint16_t, 3> descriptor{count, 0, bits};
            item.set(element::from_numbers<std::uint16_t>(descriptor_tag, vr::US, descriptor));
            std::vector<std::uint16_t> entries(count);
            for (std::size_t i = 0; i < entries.size(); ++i) {
                entries[i] = static_cast<std::uint16_t>((i * 3U) & ((1U << bits) - 1U));
            }
            item.set(element::from_numbers<std::uint16_t>(tags::LUTData, vr::OW, entries));
            return item;
        };
        ds.set(element::sequence(tags::ModalityLUTSequence, {lut_item(tags::LUTDescriptor, 4096, 12)}));
        ds.set(element::sequence(tags::VOILUTSequence, {lut_item(tags::LUTDescriptor, 4096, 10)}));
        ds.set(us(tag{0x6000, 0x0010}, s.rows));
        ds.set(us(tag{0x6000, 0x0011}, s.columns));
        ds.set(text(tag{0x6000, 0x0040}, vr::CS, "G"));
        const std::array<std::int16_t, 2> origin{1, 1};
        ds.set(element::from_numbers<std::int16_t>(tag{0x6000, 0x0050}, vr::SS, origin));
        ds.set(us(tag{0x6000, 0x0100}, 1));
        ds.set(us(tag{0x6000, 0x0102}, 0));
        std::vector<std::byte> bits((pixels + 15) / 16 * 2, std::byte{0x5A});
        ds.set(element::owning(tag{0x6000, 0x3000}, vr::OW, std::move(bits)));
        ds.set(text(tags::PresentationLUTShape, vr::CS, "INVERSE"));
    } else if (n == "rescale") {
        ds.set(text(tags::RescaleIntercept, vr::DS, "-1024"));
        ds.set(text(tags::RescaleSlope, vr::DS, "1"));
        ds.set(text(tags::WindowCenter, vr::DS, "40"));
        ds.set(text(tags::WindowWidth, vr::DS, "400"));
    }
    return ds;
}

constexpr std::array<image_spec, 10> images{{
    {"mono8", 17, 11, 1, 8, 8, 1, false, "MONOCHROME2"},
    {"rescale", 16, 16, 1, 16, 12, 1, true, "MONOCHROME2"},
    {"mono16x2", 9, 13, 1, 16, 16, 2, false, "MONOCHROME1"},
    {"rgb", 12, 10, 3, 8, 8, 1, false, "RGB"},
    {"rgb_planar", 8, 6, 3, 8, 8, 2, false, "RGB", 1},
    {"ybr", 8, 8, 3, 8, 8, 1, false, "YBR_FULL"},
    {"palette", 10, 10, 1, 8, 8, 1, false, "PALETTE COLOR"},
    {"luts", 16, 16, 1, 16, 12, 1, false, "MONOCHROME2"},
    {"bits1", 7, 9, 1, 1, 1, 3, false, "MONOCHROME2"},
    {"float", 6, 6, 1, 32, 32, 1, false, "MONOCHROME2", 0, true},
}};

constexpr std::array<std::string_view, 17> syntaxes{
    "1.2.840.10008.1.2",      "1.2.840.10008.1.2.1",      "1.2.840.10008.1.2.2",      "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.5",    "1.2.840.10008.1.2.4.50",   "1.2.840.10008.1.2.4.57",   "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",   "1.2.840.10008.1.2.4.90",   "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.8.1",
    "1.2.840.10008.1.2.1.98"};

#if DICOMPIX_FUZZ_SEEDS_JXL
/// A lossless 8-bit JPEG XL codestream of a grey ramp (no JPEG XL file in the corpus, no encoder in
/// the registry).
std::vector<std::byte> jxl_ramp(std::uint32_t rows, std::uint32_t columns, std::uint32_t channels) {
    JxlEncoderPtr enc = JxlEncoderMake(nullptr);
    JxlBasicInfo bi;
    JxlEncoderInitBasicInfo(&bi);
    bi.xsize = columns;
    bi.ysize = rows;
    bi.bits_per_sample = 8;
    bi.num_color_channels = channels;
    bi.uses_original_profile = JXL_TRUE;
    if (JxlEncoderSetBasicInfo(enc.get(), &bi) != JXL_ENC_SUCCESS) {
        return {};
    }
    JxlColorEncoding ce;
    JxlColorEncodingSetToSRGB(&ce, channels == 1 ? JXL_TRUE : JXL_FALSE);
    JxlEncoderSetColorEncoding(enc.get(), &ce);
    JxlEncoderFrameSettings* settings = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);
    JxlEncoderSetFrameLossless(settings, JXL_TRUE);
    const JxlPixelFormat format{channels, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    std::vector<std::uint8_t> input(std::size_t{rows} * columns * channels);
    for (std::size_t i = 0; i < input.size(); ++i) {
        input[i] = static_cast<std::uint8_t>(i * 7U);
    }
    if (JxlEncoderAddImageFrame(settings, &format, input.data(), input.size()) != JXL_ENC_SUCCESS) {
        return {};
    }
    JxlEncoderCloseInput(enc.get());
    std::vector<std::byte> out(4096);
    std::size_t used = 0;
    for (;;) {
        auto* next = reinterpret_cast<std::uint8_t*>(out.data()) + used;
        std::size_t avail = out.size() - used;
        const JxlEncoderStatus status = JxlEncoderProcessOutput(enc.get(), &next, &avail);
        used = out.size() - avail;
        if (status == JXL_ENC_NEED_MORE_OUTPUT) {
            out.resize(out.size() * 2);
            continue;
        }
        if (status != JXL_ENC_SUCCESS) {
            return {};
        }
        break;
    }
    out.resize(used);
    return out;
}
#endif

void synthetic(seeds& s) {
    for (const image_spec& spec : images) {
        memory_sink native;
        write_options base;
        if (!write_dataset(dataset{}, make_image(spec), native, base)) {
            std::fprintf(stderr, "seeds: cannot write %s\n", std::string(spec.name).c_str());
            continue;
        }
        auto file = read_bytes(byte_source::adopt(std::move(native.bytes())));
        if (!file) {
            continue;
        }
        for (const auto uid : syntaxes) {
            memory_sink out;
            write_options w;
            w.transfer_syntax = std::string(uid);
            w.encode.quality = uid.ends_with(".81") ? 2 : 0; // JPEG-LS near-lossless needs NEAR > 0
            if (!write(*file, out, w)) {
                continue; // not every pixel format fits every syntax
            }
            s.dicom(out.bytes());
            if (auto again = read_bytes(byte_source::adopt(std::move(out.bytes())))) {
                s.codestreams(*again);
            }
        }
    }
#if DICOMPIX_FUZZ_SEEDS_JXL
    for (const std::uint32_t channels : {1U, 3U}) {
        const auto cs = jxl_ramp(12, 9, channels);
        if (cs.empty()) {
            continue;
        }
        frame_info info;
        info.rows = 12;
        info.columns = 9;
        info.samples_per_pixel = static_cast<std::uint16_t>(channels);
        info.bits_allocated = 8;
        info.bits_stored = 8;
        info.high_bit = 7;
        info.photometric_interpretation = channels == 1 ? photometric::monochrome2 : photometric::rgb;
        s.save("fuzz_decode_jpegxl", cs, fuzz::make_trailer(info, 1, false));
    }
#endif
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUTDIR [--synthetic] [--max-bytes N] [FILE_OR_DIR...]\n", argv[0]);
        return 2;
    }
    seeds s;
    s.out = argv[1];
    bool make_synthetic = false;
    std::vector<fs::path> inputs;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--synthetic") {
            make_synthetic = true;
        } else if (arg == "--max-bytes" && i + 1 < argc) {
            s.max_bytes = std::stoull(argv[++i]);
        } else {
            inputs.emplace_back(arg);
        }
    }
    fs::create_directories(s.out);
    if (make_synthetic) {
        synthetic(s);
    }
    for (const auto& input : inputs) {
        std::error_code ec;
        if (fs::is_directory(input, ec)) {
            std::vector<fs::path> files;
            for (const auto& entry : fs::recursive_directory_iterator(input, ec)) {
                if (entry.is_regular_file()) {
                    files.push_back(entry.path());
                }
            }
            std::sort(files.begin(), files.end());
            for (const auto& f : files) {
                s.file(f);
            }
        } else {
            s.file(input);
        }
    }
    std::printf("wrote %zu seed files under %s\n", s.written, s.out.string().c_str());
    return 0;
}
