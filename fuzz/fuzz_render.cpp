// SPDX-License-Identifier: BSD-3-Clause
// fuzz_render: parse -> pixel data -> display pipeline -> render one frame -> PNG in memory
// (reliability.md §4.8: LUTs, palettes and overlays that lie). Input: DICOM bytes + one option byte:
//   bit 0 strict (parse, pixels and pipeline); bit 1 try the next decoder on failure; bit 2 burn in
//   overlays; bits 3-4 output (display8, display8, stored16, modality16); bits 5-6 VOI (automatic,
//   min-max, none, file window 1); bit 7 render the last frame instead of frame 0.
// On success the bitmap has the frame's size, 1 or 3 channels, and encodes to a PNG.
#include <cstring>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dicompix;
    const auto in = fuzz::split(data, size);
    const std::uint8_t bits = in.options;
    auto file = read_bytes(byte_source::borrow(in.dicom), fuzz::make_parse_options(bits));
    if (!file) {
        return 0;
    }
    auto pixels = pixel_data::open(*file, fuzz::make_pixel_options(bits));
    if (!pixels || pixels->frame_count() == 0 || !fuzz::small_enough(pixels->info())) {
        return 0;
    }
    render_options options;
    options.strict = (bits & fuzz::opt_strict) != 0;
    options.overlays = (bits & 0x04U) != 0;
    switch ((bits >> 3U) & 3U) {
    case 2: options.output = output_kind::stored16; break;
    case 3: options.output = output_kind::modality16; break;
    default: options.output = output_kind::display8; break;
    }
    switch ((bits >> 5U) & 3U) {
    case 1: options.voi.mode = voi_mode::min_max; break;
    case 2: options.voi.mode = voi_mode::none; break;
    case 3:
        options.voi.mode = voi_mode::file_window;
        options.voi.index = 1;
        break;
    default: break;
    }
    auto pipeline = display_pipeline::create(*file, *pixels, options);
    if (!pipeline) {
        DICOMPIX_FUZZ_CHECK(pipeline.error().code != errc::ok);
        return 0;
    }
    (void)pipeline->describe(0);
    const std::uint32_t index = (bits & 0x80U) != 0 ? pixels->frame_count() - 1 : 0;
    auto frame = pixels->frame(index);
    if (!frame) {
        return 0;
    }
    fuzz::check_frame(*frame, pixels->info(), index);
    auto image = pipeline->render(*frame);
    if (!image) {
        DICOMPIX_FUZZ_CHECK(image.error().code != errc::ok);
        return 0;
    }
    DICOMPIX_FUZZ_CHECK(image->width() == pixels->info().columns);
    DICOMPIX_FUZZ_CHECK(image->height() == pixels->info().rows);
    DICOMPIX_FUZZ_CHECK(image->channels() == 1 || image->channels() == 3);
    DICOMPIX_FUZZ_CHECK(image->bit_depth() == (options.output == output_kind::display8 ? 8 : 16));
    auto png = encode_png(*image);
    DICOMPIX_FUZZ_CHECK(png.has_value());
    DICOMPIX_FUZZ_CHECK(png->size() > 8 && std::memcmp(png->data(), "\x89PNG", 4) == 0);
    return 0;
}
