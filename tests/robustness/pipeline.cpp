// SPDX-License-Identifier: BSD-3-Clause
#include "robustness/pipeline.hpp"

#include <algorithm>
#include <vector>

#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/render.hpp"
#include "dicompix/writer.hpp"

namespace dicompix::test {

const char* to_string(stage s) noexcept {
    switch (s) {
    case stage::none: return "none";
    case stage::parse: return "parse";
    case stage::pixels: return "pixels";
    case stage::decode: return "decode";
    case stage::render: return "render";
    case stage::write: return "write";
    }
    return "?";
}

namespace {

void add_warnings(std::string& out, const std::vector<warning>& warnings) {
    for (const warning& w : warnings) {
        out += w.message;
        out += '\n';
    }
}

pipeline_outcome fail(pipeline_outcome o, stage s, const error& e) {
    o.failed = s;
    o.code = static_cast<int>(e.code);
    o.message = e.to_string();
    return o;
}

} // namespace

pipeline_outcome run_pipeline(std::span<const std::byte> bytes, const pipeline_options& options) {
    pipeline_outcome o;
    parse_options popt;
    popt.strict = options.strict;
    popt.limits = options.limits;
    auto file = read_bytes(byte_source::adopt(std::vector<std::byte>(bytes.begin(), bytes.end())), popt);
    if (!file) {
        return fail(std::move(o), stage::parse, file.error());
    }
    add_warnings(o.warnings, file->warnings());

    pixel_options xopt;
    xopt.strict = options.strict;
    xopt.limits = options.limits;
    auto pixels = pixel_data::open(*file, xopt);
    if (!pixels) {
        return fail(std::move(o), stage::pixels, pixels.error());
    }
    add_warnings(o.warnings, pixels->warnings());
    o.frame_count = pixels->frame_count();
    const std::uint32_t n = std::min(pixels->frame_count(), options.max_frames);
    for (std::uint32_t i = 0; i < n; ++i) {
        auto f = pixels->frame(i);
        if (!f) {
            return fail(std::move(o), stage::decode, f.error());
        }
        for (const std::string& w : f->meta().warnings) {
            o.warnings += w + '\n';
        }
        ++o.frames_decoded;
    }

    if (options.render && pixels->frame_count() > 0) {
        render_options ropt;
        ropt.strict = options.strict;
        ropt.overlays = options.overlays;
        auto pipeline = display_pipeline::create(*file, *pixels, ropt);
        if (!pipeline) {
            return fail(std::move(o), stage::render, pipeline.error());
        }
        add_warnings(o.warnings, pipeline->warnings());
        auto f = pixels->frame(0);
        if (!f) {
            return fail(std::move(o), stage::decode, f.error());
        }
        auto image = pipeline->render(*f);
        if (!image) {
            return fail(std::move(o), stage::render, image.error());
        }
        auto png = encode_png(*image);
        if (!png) {
            return fail(std::move(o), stage::render, png.error());
        }
    }

    if (options.write) {
        memory_sink sink;
        auto report = write(*file, sink);
        if (!report) {
            return fail(std::move(o), stage::write, report.error());
        }
        add_warnings(o.warnings, report->warnings);
        parse_options again_options;
        again_options.limits = options.limits;
        auto again = read_bytes(byte_source::adopt(std::move(sink.bytes())), again_options);
        if (!again) {
            return fail(std::move(o), stage::write, again.error());
        }
    }
    return o;
}

} // namespace dicompix::test
