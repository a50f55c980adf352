// SPDX-License-Identifier: BSD-3-Clause
// fuzz_parse_and_decode: a whole file, then every frame (up to fuzz::max_frames_decoded) through
// pixel_data (DCMTK's dcmtk_image_fuzzer). Input: DICOM bytes + one option byte: strict,
// try_next_decoder_on_failure; bit 3: also open the first Icon Image Sequence item's pixel data
// (reliability.md §4.3 "Pixel Data inside sequences"). On success every frame must have the shape of
// the description and samples within Bits Stored (fuzz::check_frame).
#include "fuzz_common.hpp"

namespace {

void decode_all(const dicompix::dicom_file& file, const dicompix::dataset& ds, std::uint8_t option_bits) {
    using namespace dicompix;
    const pixel_options options = fuzz::make_pixel_options(option_bits);
    auto pixels = pixel_data::open(file, ds, options);
    if (!pixels) {
        DICOMPIX_FUZZ_CHECK(pixels.error().code != errc::ok);
        return;
    }
    const frame_info& info = pixels->info();
    DICOMPIX_FUZZ_CHECK(pixels->frame_count() <= pixels->description().number_of_frames);
    DICOMPIX_FUZZ_CHECK(info.decoded_frame_bytes().value_or(~std::uint64_t{0}) <= options.limits.max_frame_bytes);
    if (!fuzz::small_enough(info)) {
        return;
    }
    const std::uint32_t n = std::min(pixels->frame_count(), fuzz::max_frames_decoded);
    for (std::uint32_t i = 0; i < n; ++i) {
        auto f = pixels->frame(i);
        if (f) {
            fuzz::check_frame(*f, info, i);
        } else {
            DICOMPIX_FUZZ_CHECK(f.error().code != errc::ok);
        }
    }
    // Past the last frame is an error, never a read outside the index.
    auto past = pixels->frame(pixels->frame_count());
    DICOMPIX_FUZZ_CHECK(!past && past.error().code == errc::frame_out_of_range);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dicompix;
    const auto in = fuzz::split(data, size);
    auto file = read_bytes(byte_source::borrow(in.dicom), fuzz::make_parse_options(in.options));
    if (!file) {
        return 0;
    }
    decode_all(*file, file->dataset(), in.options);
    if ((in.options & 0x08U) != 0) {
        if (const element* icon = file->dataset().find(tags::IconImageSequence);
            icon != nullptr && !icon->items().empty()) {
            decode_all(*file, icon->items().front(), in.options);
        }
    }
    return 0;
}
