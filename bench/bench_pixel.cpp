// SPDX-License-Identifier: BSD-3-Clause
// Native pixel access beside the physical reference: memcpy bandwidth, then pixel_data::frame() on native
// data that is served as a zero-copy view, byte-swapped, normalised (12 bits stored in 16 with garbage high
// bits, signed), bit-unpacked (1-bit, frames starting mid-byte), planar-to-interleaved; and every frame of
// the 524 MB file visited one after another.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>

#include "bench_support.hpp"

namespace dicompix::bench {
namespace {

void bm_memcpy(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::byte> a(n, std::byte{1});
    std::vector<std::byte> b(n);
    for (auto _ : state) {
        std::memcpy(b.data(), a.data(), n);
        benchmark::DoNotOptimize(b.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(n) * state.iterations());
}

/// A parsed in-memory file with its pixel_data, kept alive for the run.
struct memory_input {
    std::vector<std::byte> bytes;
    dicom_file file;
    pixel_data pixels;
};

std::shared_ptr<memory_input> make_input(const native_spec& spec, std::vector<std::byte> pixels) {
    auto in = std::make_shared<memory_input>();
    in->bytes = native_file(spec, pixels);
    auto f = read_bytes(byte_source::borrow(in->bytes));
    if (!f) {
        return nullptr;
    }
    in->file = std::move(*f);
    auto p = pixel_data::open(in->file);
    if (!p) {
        return nullptr;
    }
    in->pixels = std::move(*p);
    return in;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::vector<std::byte> v(n);
    std::mt19937 rng(seed);
    for (auto& b : v) {
        b = static_cast<std::byte>(rng() & 0xFFU);
    }
    return v;
}

/// Frames of `in` one after another (cycling), touching every byte of each (fold) unless `touch` is false.
void bm_frames(benchmark::State& state, std::shared_ptr<memory_input> in, bool touch) {
    const std::uint32_t n = in->pixels.frame_count();
    std::uint32_t i = 0;
    std::uint64_t bytes = 0;
    bool view = false;
    for (auto _ : state) {
        auto f = in->pixels.frame(i);
        if (!f) {
            state.SkipWithError(f.error().to_string().c_str());
            return;
        }
        bytes = f->bytes().size();
        view = f->is_view();
        if (touch) {
            benchmark::DoNotOptimize(fold(f->bytes()));
        } else {
            benchmark::DoNotOptimize(f->bytes().data());
        }
        i = (i + 1) % n;
    }
    state.SetLabel(view ? "zero-copy view" : "unpacked copy");
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}

/// Every frame of a (large) mapped file, one after another, like a streaming reader.
void bm_file_all_frames(benchmark::State& state, std::filesystem::path path) {
    std::uint64_t bytes = 0;
    for (auto _ : state) {
        auto file = read_file(path);
        if (!file) {
            state.SkipWithError(file.error().to_string().c_str());
            return;
        }
        auto pixels = pixel_data::open(*file);
        if (!pixels) {
            state.SkipWithError(pixels.error().to_string().c_str());
            return;
        }
        bytes = 0;
        std::uint64_t acc = 0;
        for (std::uint32_t i = 0; i < pixels->frame_count(); ++i) {
            auto f = pixels->frame(i);
            if (!f) {
                state.SkipWithError(f.error().to_string().c_str());
                return;
            }
            acc ^= fold(f->bytes());
            bytes += f->bytes().size();
            pixels->release_pages(i, i + 1);
        }
        benchmark::DoNotOptimize(acc);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
}

void register_all() {
    for (const std::int64_t n : {std::int64_t{512} << 10, std::int64_t{18} << 20, std::int64_t{256} << 20}) {
        benchmark::RegisterBenchmark("memcpy", bm_memcpy)->Arg(n);
    }
    constexpr std::uint32_t frames = 8;
    const std::size_t px = 512 * 512;

    // 16 bits stored in 16, little endian: zero-copy view (after one vectorised "already normalised" check).
    native_spec le16;
    le16.frames = frames;
    auto clean = random_bytes(px * 2 * frames, 1);
    const std::vector<std::pair<std::string, std::shared_ptr<memory_input>>> cases = [&] {
        std::vector<std::pair<std::string, std::shared_ptr<memory_input>>> c;
        c.emplace_back("view_u16_le", make_input(le16, clean));
        native_spec be16 = le16;
        be16.big_endian = true;
        c.emplace_back("byteswap_u16_be", make_input(be16, clean));
        native_spec n12 = le16;
        n12.bits_stored = 12;
        c.emplace_back("normalise_12_in_16_garbage", make_input(n12, clean)); // random high bits: mask
        native_spec s12 = n12;
        s12.is_signed = true;
        c.emplace_back("normalise_12_in_16_signed", make_input(s12, clean)); // mask + sign-extend
        auto masked = clean;
        for (std::size_t i = 1; i < masked.size(); i += 2) {
            masked[i] &= std::byte{0x0F};
        }
        c.emplace_back("view_12_in_16_clean", make_input(n12, masked)); // already clean: view
        native_spec one;
        one.rows = 511;
        one.columns = 511; // 261121 bits per frame: every frame after the first starts mid-byte
        one.bits_allocated = 1;
        one.bits_stored = 1;
        one.frames = frames;
        c.emplace_back("unpack_1bit_mid_byte",
                       make_input(one, random_bytes((std::size_t{511} * 511 * frames + 7) / 8, 2)));
        native_spec planar;
        planar.rows = 480;
        planar.columns = 640;
        planar.samples = 3;
        planar.bits_allocated = 8;
        planar.bits_stored = 8;
        planar.planar = 1;
        planar.photometric = "RGB";
        planar.frames = frames;
        c.emplace_back("planar_to_interleaved_rgb8",
                       make_input(planar, random_bytes(std::size_t{640} * 480 * 3 * frames, 3)));
        native_spec rgb = planar;
        rgb.planar = 0;
        c.emplace_back("view_rgb8", make_input(rgb, random_bytes(std::size_t{640} * 480 * 3 * frames, 4)));
        return c;
    }();
    for (const auto& [name, in] : cases) {
        if (in) {
            benchmark::RegisterBenchmark(("frame/" + name).c_str(), bm_frames, in, false)
                ->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark(("frame_touched/" + name).c_str(), bm_frames, in, true)
                ->Unit(benchmark::kMicrosecond);
        }
    }
    if (const auto p = input("mf1000.dcm")) {
        benchmark::RegisterBenchmark("all_frames_one_by_one/mf1000.dcm", bm_file_all_frames, *p)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
}

} // namespace
} // namespace dicompix::bench

int main(int argc, char** argv) {
    return dicompix::bench::main_with_inputs(argc, argv, dicompix::bench::register_all);
}
