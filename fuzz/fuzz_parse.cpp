// SPDX-License-Identifier: BSD-3-Clause
// fuzz_parse: the tag-stream parser alone (DCMTK's dcmtk_dicom_fuzzer: read, then walk the tree).
// Input: DICOM bytes + one option byte (fuzz_common.hpp). Option bits: strict, stop before Pixel Data,
// bit 3: read as a bare Implicit VR Little Endian dataset (read_dataset) instead of a file.
// On success: every value is read, the pixel description is validated, and the dataset is written as
// DICOM JSON (a full tree walk that touches every value through another path).
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dicompix;
    const auto in = fuzz::split(data, size);
    parse_options options = fuzz::make_parse_options(in.options);
    options.stop_before_pixel_data = (in.options & fuzz::opt_stop_before_pixels) != 0;
    const auto source = byte_source::borrow(in.dicom);
    auto file = (in.options & 0x08U) != 0 ? read_dataset(source, "1.2.840.10008.1.2", options)
                                          : read_bytes(source, options);
    if (!file) {
        DICOMPIX_FUZZ_CHECK(file.error().code != errc::ok);
        return 0;
    }
    DICOMPIX_FUZZ_CHECK(file->transfer_syntax() != nullptr);
    // Views never point outside the bytes they were parsed from.
    const auto all = file->source().bytes();
    for (const element& e : file->dataset()) {
        if (!e.owns_value() && !e.bytes().empty()) {
            DICOMPIX_FUZZ_CHECK(e.bytes().data() >= all.data() &&
                                e.bytes().data() + e.bytes().size() <= all.data() + all.size());
        }
    }
    fuzz::walk(file->meta());
    fuzz::walk(file->dataset());
    (void)describe_pixels(file->dataset(), file->transfer_syntax_uid(), options);
    (void)to_json(file->dataset());
    return 0;
}
