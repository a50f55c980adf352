// SPDX-License-Identifier: BSD-3-Clause
// Rendering: display_pipeline::render of one frame (Modality LUT, VOI window, presentation) to an 8-bit
// bitmap, for the CT slice, the radiograph and a frame of the RGB cine; and PNG encoding of the result.
#include <benchmark/benchmark.h>

#include "bench_support.hpp"
#include "dicompix/render.hpp"

namespace dicompix::bench {
namespace {

struct render_input {
    dicom_file file;
    pixel_data pixels;
    display_pipeline pipeline;
    any_frame frame;
};

std::shared_ptr<render_input> load(const std::string& name) {
    auto file = open_input(name);
    if (!file) {
        return nullptr;
    }
    auto in = std::make_shared<render_input>();
    in->file = std::move(*file);
    auto pixels = pixel_data::open(in->file);
    if (!pixels) {
        return nullptr;
    }
    in->pixels = std::move(*pixels);
    auto pipeline = display_pipeline::create(in->file, in->pixels);
    auto frame = in->pixels.frame(0);
    if (!pipeline || !frame) {
        return nullptr;
    }
    in->pipeline = std::move(*pipeline);
    in->frame = std::move(*frame);
    return in;
}

void bm_render(benchmark::State& state, std::shared_ptr<render_input> in) {
    bitmap out;
    for (auto _ : state) {
        if (auto r = in->pipeline.render(in->frame, out); !r) {
            state.SkipWithError(r.error().to_string().c_str());
            return;
        }
        benchmark::DoNotOptimize(out.bytes().data());
    }
    const double px = double(in->frame.rows()) * in->frame.columns();
    state.counters["Mpx/s"] =
        benchmark::Counter(px * static_cast<double>(state.iterations()) / 1e6, benchmark::Counter::kIsRate);
    state.SetLabel(in->pipeline.describe(0));
}

void bm_png(benchmark::State& state, std::shared_ptr<render_input> in) {
    bitmap image;
    if (auto r = in->pipeline.render(in->frame, image); !r) {
        state.SkipWithError(r.error().to_string().c_str());
        return;
    }
    std::size_t size = 0;
    for (auto _ : state) {
        auto png = encode_png(image);
        if (!png) {
            state.SkipWithError(png.error().to_string().c_str());
            return;
        }
        size = png->size();
        benchmark::DoNotOptimize(png->data());
    }
    state.counters["png_bytes"] = static_cast<double>(size);
}

void register_all() {
    for (const std::string name : {"ct.dcm", "cr3000.dcm", "cine.dcm", "mf1000.dcm"}) {
        if (auto in = load(name)) {
            benchmark::RegisterBenchmark(("render8/" + name).c_str(), bm_render, in)->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark(("png/" + name).c_str(), bm_png, in)->Unit(benchmark::kMicrosecond);
        }
    }
}

} // namespace
} // namespace dicompix::bench

int main(int argc, char** argv) {
    return dicompix::bench::main_with_inputs(argc, argv, dicompix::bench::register_all);
}
