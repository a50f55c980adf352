// SPDX-License-Identifier: BSD-3-Clause
// Reads a DICOM file, draws a bright square into the centre of frame 0 with set(), and prints what
// changed. (Writing the result back is shown in examples/save_modified.cpp.)
//
//   modify_pixels FILE
#include <cstdio>
#include <limits>
#include <type_traits>

#include <dicompix/dicompix.hpp>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
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
    auto frame = pixels->frame(0);
    if (!frame) {
        std::fprintf(stderr, "error: %s\n", frame.error().to_string().c_str());
        return 1;
    }
    const auto& info = pixels->info();
    std::printf("%s: %u x %u, %u sample(s) of %s, %u frame(s), codec %.*s, %s\n", argv[1], info.columns, info.rows,
                info.samples_per_pixel, std::string(to_string(info.type())).c_str(), pixels->frame_count(),
                static_cast<int>(frame->meta().codec.size()), frame->meta().codec.data(),
                frame->is_view() ? "served as a zero-copy view" : "decoded into an owned buffer");

    // The same code for every sample type: visit() hands us native_frame<T> for the concrete T.
    frame->visit([&](auto& f) {
        using T = typename std::remove_reference_t<decltype(f)>::value_type;
        // The brightest value Bits Stored allows (or 1.0 for float data).
        T bright = std::numeric_limits<T>::max();
        if constexpr (std::is_integral_v<T>) {
            const unsigned bits = info.is_signed ? info.bits_stored - 1U : info.bits_stored;
            bright = static_cast<T>(bits >= sizeof(T) * 8 ? std::numeric_limits<T>::max()
                                                          : (std::uint64_t{1} << bits) - 1U);
        } else {
            bright = T{1};
        }
        const std::uint32_t size = std::min(f.rows(), f.columns()) / 4;
        const std::uint32_t x0 = (f.columns() - size) / 2;
        const std::uint32_t y0 = (f.rows() - size) / 2;
        std::size_t changed = 0;
        const auto before = f.get(x0, y0);
        for (std::uint32_t y = y0; y < y0 + size; ++y) {
            for (std::uint32_t x = x0; x < x0 + size; ++x) {
                for (std::uint16_t s = 0; s < f.samples_per_pixel(); ++s) {
                    if (f.get(x, y, s) != bright) {
                        f.set(x, y, s, bright);
                        ++changed;
                    }
                }
            }
        }
        std::printf("set %zu samples in the %ux%u square at (%u,%u) to %s; pixel (%u,%u) was %s, is now %s\n",
                    changed, size, size, x0, y0, std::to_string(bright).c_str(), x0, y0,
                    std::to_string(before).c_str(), std::to_string(f.get(x0, y0)).c_str());
        std::printf("frame is now %s and %s\n", f.is_view() ? "a view" : "an owned copy",
                    f.modified() ? "marked modified" : "unmodified");
    });
    return 0;
}
