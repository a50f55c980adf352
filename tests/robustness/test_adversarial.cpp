// SPDX-License-Identifier: BSD-3-Clause
// The adversarial suite: one generated input per item of reliability.md §4, each run through the read
// path (parse -> pixel data -> frames -> render / write) in a forked child under a memory bound and a
// CPU-time bound (robustness/bounded.hpp). Each case asserts the stage and error code it must fail with,
// or the documented lenient recovery (a warning) it must report. tests/robustness/README.md lists them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "robustness/adversarial_inputs.hpp"
#include "robustness/bounded.hpp"
#include "robustness/pipeline.hpp"

namespace dicompix::test {
namespace {

constexpr std::string_view explicit_le = "1.2.840.10008.1.2.1";
constexpr std::string_view implicit_le = "1.2.840.10008.1.2";
constexpr std::string_view deflated_le = "1.2.840.10008.1.2.1.99";
constexpr std::string_view rle = "1.2.840.10008.1.2.5";
constexpr std::string_view jpeg_baseline = "1.2.840.10008.1.2.4.50";
constexpr std::string_view jpeg_ls = "1.2.840.10008.1.2.4.80";
constexpr std::string_view j2k_lossless = "1.2.840.10008.1.2.4.90";
constexpr std::string_view htj2k_lossless = "1.2.840.10008.1.2.4.201";
constexpr std::string_view jpeg_lossless = "1.2.840.10008.1.2.4.70";
constexpr std::string_view deflated_frame = "1.2.840.10008.1.2.8.1";

struct adversarial_case {
    std::string name;
    std::string ref;              ///< reliability.md §4 item
    std::function<bytes()> make;  ///< the input (built in the parent, before the fork)
    pipeline_options run;
    stage want_stage;
    errc want_code;
    std::string want_warning;     ///< success cases: a substring of the warnings (the documented recovery)
    std::uint64_t memory_mib;     ///< plus twice the input size
    double cpu_seconds;
    std::string skip_if_empty;    ///< reason to skip when make() returns no bytes (backend not built)

    adversarial_case(std::string n, std::string r, std::function<bytes()> m, pipeline_options o = {},
                     stage s = stage::none, errc e = errc::ok, std::string w = {}, std::uint64_t mem = 64,
                     double cpu = 2.0, std::string skip = {})
        : name(std::move(n)), ref(std::move(r)), make(std::move(m)), run(o), want_stage(s), want_code(e),
          want_warning(std::move(w)), memory_mib(mem), cpu_seconds(cpu), skip_if_empty(std::move(skip)) {}
};

std::ostream& operator<<(std::ostream& os, const adversarial_case& c) { return os << c.name; }

pipeline_options strict_run() {
    pipeline_options o;
    o.strict = true;
    return o;
}
pipeline_options render_run(bool overlays = false) {
    pipeline_options o;
    o.render = true;
    o.overlays = overlays;
    return o;
}

bytes zeros(std::size_t n) { return bytes(n, std::byte{0}); }

/// A file with the module `m` (default: 8x8 8-bit MONOCHROME2) and `extra` encoded before Pixel Data,
/// whose Pixel Data holds all the frames the module describes, or 1 MiB when that is more (the cases
/// with absurd sizes must fail before the length matters).
bytes small_image(std::span<const std::byte> extra = {}, image_module m = {}) {
    const frame_info f = info_of(m);
    const long long frames = m.frames.empty() ? 1 : std::max(1LL, std::atoll(m.frames.c_str()));
    const auto bits = f.native_frame_bits().value_or(0);
    const std::uint64_t all = bits / 8 > (std::uint64_t{1} << 20) ? (std::uint64_t{1} << 20)
                                                                   : (bits * static_cast<std::uint64_t>(frames) + 7) / 8;
    bytes px(static_cast<std::size_t>(std::min<std::uint64_t>(all, std::uint64_t{1} << 20)), std::byte{0x40});
    if ((px.size() & 1U) != 0) {
        px.push_back(std::byte{0});
    }
    return native_file(m, px, extra);
}

/// Encoded elements of `fill` (explicit VR little endian), for the `extra` argument.
bytes encoded(const std::function<void(dicom_builder&)>& fill) {
    dicom_builder b(true, false);
    fill(b);
    return b.data();
}

/// A Part 10 wrapper around a bare dataset built by `fill`.
bytes file_of(const std::function<void(dicom_builder&)>& fill, std::string_view ts = explicit_le,
              bool explicit_vr = true) {
    dicom_builder b(explicit_vr, false);
    fill(b);
    return dicom_builder::part10(b.data(), ts);
}

/// The PALETTE COLOR module with a descriptor (count, first, bits) and `entries` 16-bit entries per
/// colour (PS3.3 C.7.6.3.1.5).
bytes palette(std::uint16_t count, std::uint16_t first, std::uint16_t bits, std::size_t entries) {
    return encoded([&](dicom_builder& b) {
        for (const tag t : {tags::RedPaletteColorLookupTableDescriptor, tags::GreenPaletteColorLookupTableDescriptor,
                            tags::BluePaletteColorLookupTableDescriptor}) {
            b.us(t, {count, first, bits});
        }
        bytes data(entries * 2);
        for (std::size_t i = 0; i < entries; ++i) {
            data[2 * i] = static_cast<std::byte>(i & 0xFFU);
            data[2 * i + 1] = static_cast<std::byte>(i & 0xFFU);
        }
        for (const tag t : {tags::RedPaletteColorLookupTableData, tags::GreenPaletteColorLookupTableData,
                            tags::BluePaletteColorLookupTableData}) {
            b.element(t, vr::OW, data);
        }
    });
}

std::vector<adversarial_case> cases() {
    std::vector<adversarial_case> c;
    const auto add = [&c](adversarial_case x) { c.push_back(std::move(x)); };

    // ---- 4.1 file framing and meta header ----------------------------------------------------------------
    add({"empty_file", "4.1 empty file", [] { return bytes{}; }, {}, stage::parse, errc::not_dicom});
    add({"short_text_file", "4.1 file < 132 bytes, non-DICOM text",
         [] { return to_bytes("This is not a DICOM file, just text.\n"); }, {}, stage::parse, errc::not_dicom});
    add({"png_file", "4.1 non-DICOM PNG",
         [] {
             bytes b = to_bytes("\x89PNG\r\n\x1a\n");
             b.resize(4096, std::byte{0x11});
             return b;
         },
         {}, stage::parse, errc::not_dicom});
    add({"zip_file", "4.1 non-DICOM ZIP",
         [] {
             bytes b = to_bytes("PK\x03\x04");
             b.resize(300, std::byte{0x7A});
             return b;
         },
         {}, stage::parse, errc::not_dicom});
    add({"preamble_and_dicm_only", "4.1 file of exactly 132 bytes",
         [] {
             bytes b(128, std::byte{0});
             const bytes d = to_bytes("DICM");
             b.insert(b.end(), d.begin(), d.end());
             return b;
         },
         {}, stage::pixels, errc::no_pixel_data});
    add({"meta_group_length_past_eof", "4.1 file meta group length pointing past EOF",
         [] {
             bytes f = small_image();
             // (0002,0000) UL value sits right after the 12-byte header at offset 132.
             f[140] = std::byte{0xF0};
             f[141] = std::byte{0xFF};
             f[142] = std::byte{0xFF};
             f[143] = std::byte{0x7F};
             return f;
         },
         {}, stage::none, errc::ok, "group length"});
    add({"meta_element_huge_length", "4.1 meta element with huge VL (GDCM CVE-2026-3650)",
         [] {
             dicom_builder m(true, false);
             m.header(tags::TransferSyntaxUID, vr::UN, 0xFFFFFFF0U);
             m.raw(to_bytes("1.2.840.10008.1.2.1"));
             bytes b(128, std::byte{0});
             const bytes d = to_bytes("DICM");
             b.insert(b.end(), d.begin(), d.end());
             b.insert(b.end(), m.data().begin(), m.data().end());
             return b;
         },
         {}, stage::parse, errc::invalid_meta});
    add({"unknown_transfer_syntax_strict", "4.1 TransferSyntaxUID unknown/private, strict",
         [] {
             dicom_builder b(true, false);
             b.us(tags::Rows, {1});
             return dicom_builder::part10(b.data(), "1.2.3.4.5.6.7.8");
         },
         strict_run(), stage::parse, errc::unsupported_transfer_syntax});
    add({"implicit_data_labelled_explicit", "4.1 TS inconsistent with the encoding (lenient: detected)",
         [] {
             dicom_builder b(false, false);
             put_image_module(b, {});
             b.element(tags::PixelData, vr::OB, bytes(64, std::byte{3}));
             return dicom_builder::part10(b.data(), explicit_le);
         },
         {}, stage::none, errc::ok, "but the dataset is implicit VR"});
    add({"implicit_data_labelled_explicit_strict", "4.1 TS inconsistent with the encoding (strict)",
         [] {
             dicom_builder b(false, false);
             put_image_module(b, {});
             b.element(tags::PixelData, vr::OB, bytes(64, std::byte{3}));
             return dicom_builder::part10(b.data(), explicit_le);
         },
         strict_run(), stage::parse, errc::unsupported_transfer_syntax});
    add({"deflated_dataset_bomb", "4.1 deflated dataset inflating beyond the cap (fo-dicom #2165)",
         [] { return dicom_builder::part10(deflate_zeros(std::uint64_t{192} << 20), deflated_le); },
         [] {
             pipeline_options o;
             o.limits.max_inflated_bytes = std::uint64_t{32} << 20;
             return o;
         }(),
         stage::parse, errc::limit_exceeded, "", 96, 4.0});
    add({"preamble_with_elf_header", "4.1 preamble holding an executable header (fo-dicom #879): parsed",
         [] {
             bytes f = small_image();
             const bytes elf = to_bytes("\x7F" "ELF\x02\x01\x01");
             std::copy(elf.begin(), elf.end(), f.begin());
             return f;
         },
         {}, stage::none, errc::ok});
    add({"trailing_zeros", "4.1 trailing zeros after the dataset (vtk-dicom #201)",
         [] {
             bytes f = small_image();
             f.resize(f.size() + 100000, std::byte{0});
             return f;
         },
         {}, stage::none, errc::ok, "trailing bytes"});

    // ---- 4.2 element lengths ------------------------------------------------------------------------------
    add({"value_length_past_eof_lenient", "4.2 declared VL > remaining bytes (last element, lenient)",
         [] {
             bytes f = small_image();
             dicom_builder tail(true, false);
             tail.header(tag{0x7FE1, 0x0010}, vr::OB, 0x7FFFFFF0U).raw(to_bytes("abcd"));
             f.insert(f.end(), tail.data().begin(), tail.data().end());
             return f;
         },
         {}, stage::none, errc::ok, "truncated"});
    add({"value_length_past_eof_strict", "4.2 declared VL > remaining bytes (strict)",
         [] {
             bytes f = small_image();
             dicom_builder tail(true, false);
             tail.header(tag{0x7FE1, 0x0010}, vr::OB, 0x7FFFFFF0U).raw(to_bytes("abcd"));
             f.insert(f.end(), tail.data().begin(), tail.data().end());
             return f;
         },
         strict_run(), stage::parse, errc::unexpected_end});
    add({"value_length_past_item_end", "4.2 VL beyond the enclosing item (GDCM PR #214)",
         [] {
             return file_of([](dicom_builder& b) {
                 b.begin_sequence(tags::ReferencedImageSequence, false).begin_item(false);
                 b.header(tags::ReferencedSOPInstanceUID, vr::UI, 0xFFF0).raw(to_bytes("1.2.3.4"));
                 b.end_item().end_sequence();
                 b.us(tags::Rows, {8});
             });
         },
         {}, stage::parse, errc::unexpected_end});
    add({"undefined_length_on_string", "4.2 VL 0xFFFFFFFF on a VR that forbids it",
         [] {
             return file_of([](dicom_builder& b) { b.header(tags::PatientName, vr::PN, 0xFFFFFFFFU); },
                            implicit_le, false);
         },
         {}, stage::parse, errc::invalid_length});
    add({"ascii_space_value_length", "4.2 VL = ASCII spaces 0x20202020 (Siemens VRUN, GDCM PR #233)",
         [] {
             bytes f = small_image();
             dicom_builder tail(true, false);
             tail.header(tag{0x7FE1, 0x1010}, vr::UN, 0x20202020U).raw(to_bytes("VRUNVRUN"));
             f.insert(f.end(), tail.data().begin(), tail.data().end());
             return f;
         },
         {}, stage::none, errc::ok, "ASCII spaces"});
    add({"odd_value_length_strict", "4.2 odd VL (strict rejects; lenient accepts with a warning)",
         [] { return file_of([](dicom_builder& b) { b.element(tags::PatientID, vr::LO, to_bytes("ABC")); }); },
         strict_run(), stage::parse, errc::invalid_length});
    add({"pixel_data_vl_wrapped_at_4gib", "4.2 Pixel Data shorter than Rows x Columns x Frames (4 GiB wrap)",
         [] {
             image_module m;
             m.rows = 32768;
             m.columns = 32768;
             m.bits_allocated = 16;
             m.bits_stored = 16;
             m.high_bit = 15;
             m.frames = "3";
             return native_file(m, zeros(4096));
         },
         {}, stage::pixels, errc::pixel_data_too_short});
    add({"sequence_length_past_eof", "4.2 sequence length near 2^32 (counter overflow, GDCM PR #214)",
         [] {
             return file_of([](dicom_builder& b) {
                 b.header(tags::ReferencedImageSequence, vr::SQ, 0xFFFFFFF0U);
                 b.begin_item(false).str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2").end_item();
             });
         },
         {}, stage::parse, errc::unexpected_end});
    add({"two_million_elements", "4.2 millions of tiny elements (element-count limit)",
         [] {
             dicom_builder b(false, false);
             for (std::uint32_t i = 0; i < 2000000; ++i) {
                 b.header(tag{static_cast<std::uint16_t>(0x0009 + 2 * (i >> 16U)), static_cast<std::uint16_t>(i & 0xFFFFU)},
                          vr::UN, 0);
             }
             return dicom_builder::part10(b.data(), implicit_le);
         },
         [] {
             pipeline_options o;
             o.limits.max_elements = 1000000;
             return o;
         }(),
         stage::parse, errc::limit_exceeded, "", 400, 6.0});

    // ---- 4.3 sequences and delimiters ---------------------------------------------------------------------
    add({"nesting_2000_undefined", "4.3 2000 nested undefined-length sequences (fo-dicom PR #2114)",
         [] {
             dicom_builder b(true, false);
             for (int i = 0; i < 2000; ++i) {
                 b.begin_sequence(tags::ReferencedImageSequence, true).begin_item(true);
             }
             for (int i = 0; i < 2000; ++i) {
                 b.end_item().end_sequence();
             }
             return dicom_builder::part10(b.data(), explicit_le);
         },
         {}, stage::parse, errc::limit_exceeded});
    add({"nesting_100k_defined", "4.3 100k nested defined-length sequences (no stack overflow)",
         [] {
             dicom_builder b(true, false);
             for (int i = 0; i < 100000; ++i) {
                 b.begin_sequence(tags::ReferencedImageSequence, false).begin_item(false);
             }
             for (int i = 0; i < 100000; ++i) {
                 b.end_item().end_sequence();
             }
             return dicom_builder::part10(b.data(), explicit_le);
         },
         {}, stage::parse, errc::limit_exceeded});
    add({"zero_length_sequence_and_items", "4.3 SQ of length 0, items of length 0 (fo-dicom #1009)",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.header(tag{0x0028, 0x3000}, vr::SQ, 0);
                 b.begin_sequence(tag{0x0028, 0x3010}, true);
                 for (int i = 0; i < 1000; ++i) {
                     b.begin_item(false).end_item();
                 }
                 b.end_sequence();
             }));
         },
         {}, stage::none, errc::ok});
    add({"million_stray_item_delimiters", "4.3 zero-progress loop: 1M stray Item Delimitation Items",
         [] {
             dicom_builder b(true, false);
             b.us(tags::Rows, {8});
             for (int i = 0; i < 1000000; ++i) {
                 b.raw_u16(0xFFFE).raw_u16(0xE00D).raw_u32(0);
             }
             return dicom_builder::part10(b.data(), explicit_le);
         },
         {}, stage::pixels, errc::no_pixel_data, "", 96, 4.0});
    add({"sequence_delimiter_nonzero_length", "4.3 Sequence Delimitation Item with non-zero length (dicomParser #266)",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.begin_sequence(tag{0x0028, 0x3010}, true).begin_item(true).end_item();
                 b.raw_u16(0xFFFE).raw_u16(0xE0DD).raw_u32(0xFFFFFFFFU);
             }));
         },
         {}, stage::none, errc::ok, "non-zero length"});
    add({"item_delimiter_for_sequence_strict", "4.3 Item Delimitation where Sequence Delimitation expected",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.begin_sequence(tag{0x0028, 0x3010}, true).begin_item(true).end_item();
                 b.raw_u16(0xFFFE).raw_u16(0xE00D).raw_u32(0);
                 b.raw_u16(0xFFFE).raw_u16(0xE0DD).raw_u32(0);
             }));
         },
         strict_run(), stage::parse, errc::invalid_sequence});
    add({"item_longer_than_sequence", "4.3 item length exceeding the parent's length",
         [] {
             return file_of([](dicom_builder& b) {
                 b.header(tags::ReferencedImageSequence, vr::SQ, 16);
                 b.raw_u16(0xFFFE).raw_u16(0xE000).raw_u32(4000);
                 b.str(tags::ReferencedSOPInstanceUID, vr::UI, "1.2");
                 b.us(tags::Rows, {8});
             });
         },
         {}, stage::parse, errc::unexpected_end});
    add({"stray_item_at_top_level", "4.3 stray Item tag at top level (dicom-rs #828/083)",
         [] { return file_of([](dicom_builder& b) { b.us(tags::Rows, {8}).raw_u16(0xFFFE).raw_u16(0xE000).raw_u32(0); }); },
         {}, stage::parse, errc::invalid_sequence});
    add({"undefined_length_un_cp246", "4.3 undefined-length UN holding a sequence (CP-246)",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.header(tag{0x0028, 0x3010}, vr::UN, 0xFFFFFFFFU);
                 dicom_builder inner(false, false);
                 inner.begin_item(true).us(tags::LUTDescriptor, {4, 0, 8}).end_item();
                 b.raw(inner.data());
                 b.raw_u16(0xFFFE).raw_u16(0xE0DD).raw_u32(0);
             }));
         },
         {}, stage::none, errc::ok});

    // ---- 4.4 Image Pixel module values -------------------------------------------------------------------
    const auto module_case = [&add](std::string name, std::string ref, image_module m, stage s, errc e,
                                    std::string warning = {}, pipeline_options run = {}) {
        add({std::move(name), std::move(ref), [m] { return small_image({}, m); }, run, s, e, std::move(warning)});
    };
    module_case("rows_zero", "4.4 Rows = 0", {.rows = 0}, stage::pixels, errc::invalid_pixel_description);
    module_case("rows_as_ul_70000", "4.4 Rows/Columns as UL > 65535 (Orthanc CVE-2026-5442)",
                {.rows = 70000, .columns = 70000, .rows_as_ul = true}, stage::pixels, errc::invalid_pixel_description);
    module_case("frames_2_pow_31", "4.4 Number of Frames 2^31", {.frames = "2147483648"}, stage::pixels,
                errc::limit_exceeded);
    module_case("frames_not_a_number_strict", "4.4 Number of Frames non-numeric IS (strict)", {.frames = "abc"},
                stage::pixels, errc::invalid_pixel_description, "", strict_run());
    module_case("frames_negative_lenient", "4.4 Number of Frames negative (lenient: 1)", {.frames = "-5"},
                stage::none, errc::ok, "not positive");
    module_case("frame_bytes_over_32_bits", "4.4 Rows x Columns x 2 bytes beyond 4 GiB",
                {.rows = 65535, .columns = 65535, .samples = 3, .bits_allocated = 16, .bits_stored = 16,
                 .high_bit = 15, .photometric = "RGB", .planar = 0},
                stage::pixels, errc::limit_exceeded);
    add({"total_bytes_over_64_bits", "4.4 Rows x Columns x Samples x 8 bytes x Frames overflowing 64 bits",
         [] {
             image_module m{.rows = 65535, .columns = 65535, .samples = 4, .bits_allocated = 64, .bits_stored = 64,
                            .high_bit = 63, .photometric = "ARGB", .frames = "4000000000", .planar = 0};
             return small_image({}, m);
         },
         [] {
             pipeline_options o;
             o.limits.max_frames = ~std::uint32_t{0};
             o.limits.max_frame_bytes = ~std::uint64_t{0};
             o.limits.max_total_decoded_bytes = ~std::uint64_t{0};
             return o;
         }(),
         stage::pixels, errc::limit_exceeded});
    module_case("bits_allocated_zero", "4.4 Bits Allocated 0", {.bits_allocated = 0}, stage::pixels,
                errc::invalid_pixel_description);
    module_case("bits_allocated_2048", "4.4 Bits Allocated 2048 (dicom-rs #828/096)", {.bits_allocated = 2048},
                stage::pixels, errc::invalid_pixel_description);
    module_case("bits_allocated_12", "4.4 Bits Allocated 12", {.bits_allocated = 12, .bits_stored = 12, .high_bit = 11},
                stage::pixels, errc::invalid_pixel_description);
    module_case("bits_stored_zero", "4.4 Bits Stored 0", {.bits_stored = 0}, stage::pixels,
                errc::invalid_pixel_description);
    module_case("bits_stored_over_allocated", "4.4 Bits Stored > Bits Allocated", {.bits_stored = 12, .high_bit = 11},
                stage::pixels, errc::invalid_pixel_description);
    module_case("high_bit_impossible", "4.4 High Bit >= Bits Allocated", {.bits_stored = 8, .high_bit = 20},
                stage::pixels, errc::invalid_pixel_description);
    module_case("high_bit_shifted_lenient", "4.4 High Bit != Bits Stored - 1 (lenient: shifted)",
                {.bits_allocated = 16, .bits_stored = 12, .high_bit = 15}, stage::none, errc::ok, "High Bit");
    module_case("pixel_representation_2", "4.4 Pixel Representation 2", {.pixel_representation = 2}, stage::pixels,
                errc::invalid_pixel_description);
    module_case("samples_per_pixel_2", "4.4 Samples per Pixel 2", {.samples = 2}, stage::pixels,
                errc::invalid_pixel_description);
    module_case("palette_with_three_samples", "4.4 PALETTE COLOR with Samples per Pixel 3",
                {.samples = 3, .photometric = "PALETTE COLOR", .planar = 0}, stage::pixels,
                errc::invalid_pixel_description);
    module_case("rgb_with_one_sample", "4.4 RGB with Samples per Pixel 1", {.samples = 1, .photometric = "RGB"},
                stage::pixels, errc::invalid_pixel_description);
    module_case("planar_configuration_2", "4.4 Planar Configuration 2",
                {.samples = 3, .photometric = "RGB", .planar = 2}, stage::pixels, errc::invalid_pixel_description);
    module_case("one_bit_frames_mid_byte", "4.4 Bits Allocated 1, frames starting mid-byte (dicom-rs #828/097)",
                {.rows = 3, .columns = 5, .bits_allocated = 1, .bits_stored = 1, .high_bit = 0, .frames = "7"},
                stage::none, errc::ok);
    module_case("ybr_full_422_odd_columns", "4.4 native YBR_FULL_422 with odd Columns (GDCM PR #235)",
                {.rows = 3, .columns = 5, .samples = 3, .photometric = "YBR_FULL_422", .planar = 0}, stage::none,
                errc::ok);
    add({"float_pixel_data_16_bits", "4.4 Float Pixel Data with Bits Allocated 16",
         [] {
             return file_of([](dicom_builder& b) {
                 b.us(tags::SamplesPerPixel, {1}).str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
                 b.us(tags::Rows, {4}).us(tags::Columns, {4}).us(tags::BitsAllocated, {16});
                 b.element(tags::FloatPixelData, vr::OF, zeros(32));
             });
         },
         {}, stage::pixels, errc::invalid_pixel_description});

    // ---- 4.5 native pixel data ----------------------------------------------------------------------------
    add({"native_short_by_one_byte", "4.5 native Pixel Data short by 1 byte",
         [] { return native_file({.rows = 5, .columns = 5}, zeros(24)); }, {}, stage::pixels,
         errc::pixel_data_too_short});
    add({"native_short_by_a_frame_lenient", "4.5 short by a frame (lenient: complete frames served)",
         [] { return native_file({.frames = "3"}, zeros(128)); }, {}, stage::none, errc::ok, "frames are complete"});
    add({"native_short_by_a_frame_strict", "4.5 short by a frame (strict)",
         [] { return native_file({.frames = "3"}, zeros(128)); }, strict_run(), stage::pixels,
         errc::pixel_data_too_short});
    add({"native_rgb_4_bytes_for_1024x1024", "4.5 4 bytes for a 1024x1024 planar RGB (io-dicom PR #36)",
         [] {
             return native_file({.rows = 1024, .columns = 1024, .samples = 3, .photometric = "RGB", .planar = 1},
                                zeros(4));
         },
         {}, stage::pixels, errc::pixel_data_too_short});
    add({"native_excess_bytes", "4.5 excess bytes after the last frame (accepted with a warning)",
         [] { return native_file({}, zeros(64 + 1000)); }, {}, stage::none, errc::ok, "after the last frame"});
    add({"concatenated_frames_without_number_of_frames", "4.5 three frames of data, no Number of Frames (pydicom #2035)",
         [] { return native_file({}, zeros(3 * 64)); }, {}, stage::none, errc::ok, "holds 3 frames"});
    add({"fragments_under_native_ts", "4.5 encapsulated fragments while the TS is native (fo-dicom.Codecs #185)",
         [] {
             const std::uint32_t bot[] = {0};
             return encapsulated_file({}, explicit_le, bot, {to_bytes("\xFF\xD8\xFF\xD9")});
         },
         {}, stage::decode, errc::no_decoder});
    add({"native_bytes_under_jpeg_ts", "4.5 native bytes while the TS is encapsulated",
         [] { return native_file({}, bytes(64, std::byte{1}), {}, jpeg_baseline); }, {}, stage::none, errc::ok,
         "Pixel Data is native"});

    // ---- 4.6 encapsulated pixel data ---------------------------------------------------------------------
    add({"encapsulated_no_items", "4.6 no item after (7FE0,0010) of undefined length",
         [] { return encapsulated_file({}, rle, {}, {}); }, {}, stage::pixels, errc::invalid_encapsulation});
    add({"encapsulated_eof_inside_fragment", "4.6 EOF inside a fragment, no Sequence Delimitation Item (pydicom #1799)",
         [] {
             const bytes seg = rle_literal_segment(64, 7);
             const std::uint32_t offsets[] = {64};
             bytes f = encapsulated_file({}, rle, {}, {rle_frame(1, offsets, std::vector<bytes>{seg})});
             f.resize(f.size() - 8 - 40); // cut the delimiter and 40 bytes of the segment
             return f;
         },
         {}, stage::decode, errc::truncated_codestream});
    add({"bot_entries_out_of_range", "4.6 Basic Offset Table entries out of range (dicom-rs #828/126)",
         [] {
             const bytes seg = rle_literal_segment(64, 7);
             const std::uint32_t offsets[] = {64};
             const bytes frame = rle_frame(1, offsets, std::vector<bytes>{seg});
             const std::uint32_t bot[] = {0, 0x7FFFFFF0U};
             return encapsulated_file({.frames = "2"}, rle, bot, {frame, frame});
         },
         {}, stage::none, errc::ok, "does not point at a fragment"});
    add({"bot_not_increasing", "4.6 Basic Offset Table not increasing",
         [] {
             const bytes seg = rle_literal_segment(64, 7);
             const std::uint32_t offsets[] = {64};
             const bytes frame = rle_frame(1, offsets, std::vector<bytes>{seg});
             const auto step = static_cast<std::uint32_t>(frame.size() + 8);
             const std::uint32_t bot[] = {0, 0, step};
             return encapsulated_file({.frames = "3"}, rle, bot, {frame, frame, frame});
         },
         {}, stage::none, errc::ok, "not increasing"});
    add({"bot_more_entries_than_frames", "4.6 Basic Offset Table with more entries than frames",
         [] {
             const bytes seg = rle_literal_segment(64, 7);
             const std::uint32_t offsets[] = {64};
             const bytes frame = rle_frame(1, offsets, std::vector<bytes>{seg});
             const std::uint32_t bot[] = {0, 8, 16, 24, 32};
             return encapsulated_file({}, rle, bot, {frame});
         },
         {}, stage::none, errc::ok, "entries for 1 frames"});
    add({"eot_inconsistent_strict", "4.6 Extended Offset Table with the wrong number of entries (strict)",
         [] {
             const bytes seg = rle_literal_segment(64, 7);
             const std::uint32_t offsets[] = {64};
             const bytes frame = rle_frame(1, offsets, std::vector<bytes>{seg});
             const bytes eot = encoded([](dicom_builder& b) {
                 b.element(tags::ExtendedOffsetTable, vr::OV, zeros(24));
                 b.element(tags::ExtendedOffsetTableLengths, vr::OV, zeros(24));
             });
             // The module precedes (7FE0,0001): the extra elements go right before Pixel Data.
             return encapsulated_file({.frames = "2"}, rle, {}, {frame, frame}, eot);
         },
         strict_run(), stage::pixels, errc::invalid_encapsulation});
    add({"fragments_frames_mismatch_no_markers", "4.6 fragment count != frames, empty BOT, no markers (fo-dicom #992)",
         [] {
             const std::uint32_t offsets[] = {64};
             const bytes frame = rle_frame(1, offsets, std::vector<bytes>{rle_literal_segment(64, 7)});
             return encapsulated_file({.frames = "2"}, rle, {}, {frame, frame, frame});
         },
         {}, stage::pixels, errc::invalid_encapsulation});
    add({"zero_length_fragment", "4.6 zero-length fragment",
         [] { return encapsulated_file({}, rle, {}, {bytes{}}); }, {}, stage::decode, errc::truncated_codestream});
    add({"millions_of_tiny_fragments_limit", "4.6 millions of 2-byte fragments (fragment limit)",
         [] { return encapsulated_file({}, jpeg_baseline, {}, std::vector<bytes>(1500000, to_bytes("\xFF\xD8"))); },
         [] {
             pipeline_options o;
             o.limits.max_fragments = 1U << 20;
             return o;
         }(),
         stage::parse, errc::limit_exceeded, "", 128, 6.0});
    add({"million_tiny_fragments_one_frame", "4.6 1M 2-byte fragments of one frame (time and memory bounded)",
         [] { return encapsulated_file({}, jpeg_baseline, {}, std::vector<bytes>(1000000, to_bytes("\xFF\xD8"))); },
         {}, stage::decode, errc::codec_error, "", 192, 8.0});

    // ---- 4.7 codec streams -------------------------------------------------------------------------------
    add({"rle_zero_segments", "4.7 RLE segment count 0",
         [] { return encapsulated_file({}, rle, {}, {rle_frame(0, {}, {})}); }, {}, stage::decode,
         errc::codec_error});
    add({"rle_sixteen_segments", "4.7 RLE segment count > 15",
         [] {
             const std::uint32_t offsets[] = {64};
             return encapsulated_file({}, rle, {}, {rle_frame(16, offsets, std::vector<bytes>{rle_literal_segment(64, 1)})});
         },
         {}, stage::decode, errc::codec_error});
    add({"rle_offset_beyond_fragment", "4.7 RLE segment offset beyond the fragment",
         [] {
             const std::uint32_t offsets[] = {0x7FFFFF00U};
             return encapsulated_file({}, rle, {}, {rle_frame(1, offsets, std::vector<bytes>{rle_literal_segment(64, 1)})});
         },
         {}, stage::decode, errc::truncated_codestream});
    add({"rle_offsets_unsorted", "4.7 RLE segment offsets unsorted / overlapping (16-bit: 2 segments)",
         [] {
             const bytes seg = rle_literal_segment(64, 1);
             const std::uint32_t offsets[] = {64 + 65, 64};
             return encapsulated_file({.bits_allocated = 16, .bits_stored = 16, .high_bit = 15}, rle, {},
                                      {rle_frame(2, offsets, std::vector<bytes>{seg, seg})});
         },
         {}, stage::decode, errc::codec_error});
    add({"rle_segment_too_short", "4.7 RLE segment decoding to fewer than Rows x Columns bytes",
         [] {
             const std::uint32_t offsets[] = {64};
             return encapsulated_file({}, rle, {}, {rle_frame(1, offsets, std::vector<bytes>{rle_literal_segment(40, 1)})});
         },
         {}, stage::decode, errc::truncated_codestream});
    add({"rle_wrong_segment_count_rgb16", "4.7 RLE 16-bit RGB with 3 segments instead of 6 (io-dicom PR #46)",
         [] {
             const bytes seg = rle_literal_segment(64, 1);
             const std::uint32_t offsets[] = {64, 64 + 65, 64 + 130};
             return encapsulated_file({.samples = 3, .bits_allocated = 16, .bits_stored = 16, .high_bit = 15,
                                       .photometric = "RGB", .planar = 0},
                                      rle, {}, {rle_frame(3, offsets, std::vector<bytes>{seg, seg, seg})});
         },
         {}, stage::decode, errc::codestream_mismatch});
    const auto codec_mismatch = [&add](std::string name, std::string_view uid, std::string ref) {
        add({std::move(name), std::move(ref),
             [uid = std::string(uid)] {
                 image_module m{.rows = 16, .columns = 16};
                 const bytes cs = encode_with_builtin(uid, info_of(m));
                 if (cs.empty()) {
                     return bytes{};
                 }
                 m.rows = 24; // the dataset lies about the size
                 return encapsulated_file(m, uid, {}, {cs});
             },
             {}, stage::decode, errc::codestream_mismatch, "", 64, 2.0, "no encoder for " + std::string(uid)});
    };
    codec_mismatch("jpeg_header_disagrees", jpeg_baseline, "4.7 JPEG SOF dimensions != dataset (dicom-rs #828/085)");
    codec_mismatch("jpegls_header_disagrees", jpeg_ls, "4.7 JPEG-LS header dimensions != dataset");
    codec_mismatch("j2k_header_disagrees", j2k_lossless, "4.7 JPEG 2000 SIZ != dataset");
    codec_mismatch("htj2k_header_disagrees", htj2k_lossless, "4.7 HTJ2K SIZ != dataset");
    codec_mismatch("jpeg_lossless_header_disagrees", jpeg_lossless, "4.7 JPEG lossless SOF3 != dataset");
    const auto codec_truncated = [&add](std::string name, std::string_view uid, std::string ref, errc code) {
        add({std::move(name), std::move(ref),
             [uid = std::string(uid)] {
                 image_module m{.rows = 64, .columns = 64};
                 bytes cs = encode_with_builtin(uid, info_of(m));
                 if (cs.empty()) {
                     return bytes{};
                 }
                 cs.resize(cs.size() / 2);
                 return encapsulated_file(m, uid, {}, {cs});
             },
             {}, stage::decode, code, "", 64, 2.0, "no encoder for " + std::string(uid)});
    };
    codec_truncated("jpeg_truncated", jpeg_baseline, "4.7 truncated JPEG: error, not zero padding (io-dicom PR #41)",
                    errc::truncated_codestream);
    codec_truncated("jpegls_truncated", jpeg_ls, "4.7 truncated JPEG-LS", errc::truncated_codestream);
    codec_truncated("j2k_truncated", j2k_lossless, "4.7 truncated JPEG 2000", errc::truncated_codestream);
    codec_truncated("htj2k_truncated", htj2k_lossless, "4.7 truncated HTJ2K", errc::truncated_codestream);
    codec_truncated("jpeg_lossless_truncated", jpeg_lossless, "4.7 truncated JPEG lossless", errc::truncated_codestream);
    add({"j2k_siz_65535_squared", "4.7 JPEG 2000 SIZ 65535 x 65535 for a 16 x 16 dataset (no allocation)",
         [] { return encapsulated_file({.rows = 16, .columns = 16}, j2k_lossless, {}, {j2k_header(65535, 65535, 65535, 65535, 1, 8)}); },
         {}, stage::decode, errc::codestream_mismatch});
    add({"j2k_million_tiles", "4.7 JPEG 2000 with 1x1 tiles: a million tiles (tile-count bomb)",
         [] { return encapsulated_file({.rows = 1024, .columns = 1024}, j2k_lossless, {}, {j2k_header(1024, 1024, 1, 1, 1, 8)}); },
         {}, stage::decode, errc::codec_error});
    add({"jpeg_80000_progressive_scans", "4.7 JPEG with 80,000 progressive scans (LJT-01-003): scan limit",
         [] { return encapsulated_file({}, jpeg_baseline, {}, {jpeg_many_scans(80000)}); }, {}, stage::decode,
         errc::limit_exceeded, "", 64, 4.0});
    add({"deflated_frame_bomb", "4.7 deflated image frame inflating far beyond the frame (bomb)",
         [] { return encapsulated_file({.rows = 16, .columns = 16}, deflated_frame, {}, {deflate_zeros(64U << 20)}); },
         {}, stage::decode, errc::codestream_mismatch});

    // ---- 4.8 LUTs, palettes, overlays --------------------------------------------------------------------
    add({"palette_index_beyond_lut", "4.8 pixel index >= palette size (Orthanc CVE-2026-5445): clamped",
         [] {
             image_module m{.photometric = "PALETTE COLOR"};
             return native_file(m, bytes(64, std::byte{0xFF}), palette(16, 0, 16, 16));
         },
         render_run(), stage::none, errc::ok});
    add({"palette_descriptor_lies_lenient", "4.8 palette descriptor 0 (= 65536 entries), data of 256 (lenient)",
         [] {
             image_module m{.photometric = "PALETTE COLOR"};
             return native_file(m, bytes(64, std::byte{0x80}), palette(0, 0, 16, 256));
         },
         render_run(), stage::none, errc::ok, "inputs beyond the data use its last entry"});
    add({"palette_descriptor_lies_strict", "4.8 palette data shorter than the descriptor (strict)",
         [] {
             image_module m{.photometric = "PALETTE COLOR"};
             return native_file(m, bytes(64, std::byte{0x80}), palette(0, 0, 16, 256));
         },
         [] {
             pipeline_options o = render_run();
             o.strict = true;
             return o;
         }(),
         stage::render, errc::invalid_lut});
    add({"segmented_palette_runaway", "4.8 segmented palette with runaway indirect segments (vtk-dicom #112)",
         [] {
             image_module m{.photometric = "PALETTE COLOR"};
             const bytes extra = encoded([](dicom_builder& b) {
                 for (const tag t : {tags::RedPaletteColorLookupTableDescriptor, tags::GreenPaletteColorLookupTableDescriptor,
                                     tags::BluePaletteColorLookupTableDescriptor}) {
                     b.us(t, {256, 0, 16});
                 }
                 // 65535 empty discrete segments, then 10000 indirect segments each re-running all of them
                 // (PS3.3 C.7.9.2): ~655 million segment visits without a work budget.
                 bytes words;
                 const auto word = [&words](std::uint16_t v) {
                     words.push_back(static_cast<std::byte>(v & 0xFFU));
                     words.push_back(static_cast<std::byte>(v >> 8U));
                 };
                 for (int i = 0; i < 65535; ++i) {
                     word(0);
                     word(0);
                 }
                 for (int i = 0; i < 10000; ++i) {
                     word(2);
                     word(65535);
                     word(0);
                     word(0);
                 }
                 for (const tag t : {tags::SegmentedRedPaletteColorLookupTableData,
                                     tags::SegmentedGreenPaletteColorLookupTableData,
                                     tags::SegmentedBluePaletteColorLookupTableData}) {
                     b.element(t, vr::OW, words);
                 }
             });
             return native_file(m, bytes(64, std::byte{7}), extra);
         },
         render_run(), stage::render, errc::invalid_lut});
    add({"voi_lut_data_short", "4.8 VOI LUT data narrower than declared (dicom-rs PR #825)",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.begin_sequence(tags::VOILUTSequence, false).begin_item(false);
                 b.us(tags::LUTDescriptor, {4096, 0, 12});
                 b.element(tags::LUTData, vr::OW, zeros(20));
                 b.end_item().end_sequence();
             }));
         },
         render_run(), stage::none, errc::ok, "LUT"});
    add({"window_width_zero", "4.8 Window Width <= 0 and non-numeric DS",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.str(tags::WindowCenter, vr::DS, "40\\abc");
                 b.str(tags::WindowWidth, vr::DS, "0\\-5");
             }));
         },
         render_run(), stage::none, errc::ok, "window"});
    add({"overlay_larger_than_data", "4.8 Overlay Rows x Columns larger than (60xx,3000) (GDCM CVE-2025-52582)",
         [] {
             return small_image(encoded([](dicom_builder& b) {
                 b.us(tag{0x6000, 0x0010}, {4000});
                 b.us(tag{0x6000, 0x0011}, {4000});
                 b.str(tag{0x6000, 0x0040}, vr::CS, "G");
                 b.element(tag{0x6000, 0x0050}, vr::SS, to_bytes(std::string("\x01\x00\x01\x00", 4)));
                 b.us(tag{0x6000, 0x0100}, {1});
                 b.us(tag{0x6000, 0x0102}, {0});
                 b.element(tag{0x6000, 0x3000}, vr::OW, zeros(16));
             }));
         },
         render_run(true), stage::none, errc::ok, "Overlay"});

    // ---- 4.9 writing ------------------------------------------------------------------------------------
    add({"write_back_truncated_encapsulated", "4.9 writer with an undecodable encapsulated frame: copied or refused",
         [] {
             const std::uint32_t offsets[] = {64};
             return encapsulated_file({}, rle, {}, {rle_frame(1, offsets, std::vector<bytes>{rle_literal_segment(10, 1)})});
         },
         [] {
             pipeline_options o;
             o.max_frames = 0;
             o.write = true;
             return o;
         }(),
         stage::none, errc::ok});
    return c;
}

class Adversarial : public ::testing::TestWithParam<adversarial_case> {};

TEST_P(Adversarial, FailsCleanlyWithinBounds) {
    const adversarial_case& c = GetParam();
    RecordProperty("reliability", c.ref);
    const bytes input = c.make();
    if (input.empty() && !c.skip_if_empty.empty()) {
        GTEST_SKIP() << c.skip_if_empty;
    }
    bounds b;
    b.memory_bytes = (c.memory_mib << 20U) + 2 * input.size();
    b.cpu_seconds = c.cpu_seconds;
    const pipeline_options run = c.run;
    const bounded_result r = run_bounded(
        [&input, &run] {
            const pipeline_outcome o = run_pipeline(input, run);
            std::string detail = std::string(to_string(o.failed)) + ": " + o.message;
            detail += "\n" + o.warnings.substr(0, 600);
            return child_outcome{o.packed(), detail};
        },
        b);
    SCOPED_TRACE(c.ref);
    SCOPED_TRACE(r.describe());
    ASSERT_EQ(r.how, bounded_result::ending::returned) << "crash, hang, exception or allocation failure";
    const int want = static_cast<int>(c.want_stage) * 1000 + static_cast<int>(c.want_code);
    EXPECT_EQ(r.outcome.code, want) << "expected " << to_string(c.want_stage) << " / " << to_string(c.want_code);
    if (c.want_stage == stage::none && !c.want_warning.empty()) {
        EXPECT_NE(r.outcome.detail.find(c.want_warning), std::string::npos)
            << "expected a warning containing '" << c.want_warning << "'";
    }
    EXPECT_LE(r.cpu_seconds, c.cpu_seconds * slow_build_factor()) << "time bound";
    if (built_with_asan()) {
        EXPECT_LE(r.peak_heap, b.memory_bytes) << "memory bound (peak live heap)";
    } else {
        EXPECT_TRUE(r.rlimit_used) << "RLIMIT_AS could not be set";
    }
    RecordProperty("cpu_seconds", std::to_string(r.cpu_seconds));
    // DICOMPIX_ADVERSARIAL_REPORT=file appends one Markdown row per case (tests/robustness/README.md).
    if (const char* report = std::getenv("DICOMPIX_ADVERSARIAL_REPORT"); report != nullptr) {
        std::string expected = c.want_stage == stage::none
                                   ? "ok" + (c.want_warning.empty() ? std::string() : ", warning \"" + c.want_warning + "\"")
                                   : std::string(to_string(c.want_stage)) + ": `" + std::string(to_string(c.want_code)) + "`";
        if (c.run.strict) {
            expected += " (strict)";
        }
        char row[512];
        std::snprintf(row, sizeof row, "| `%s` | %s | %s | %.3f | %.1f | %.0f |\n", c.name.c_str(), c.ref.c_str(),
                      expected.c_str(), r.cpu_seconds,
                      static_cast<double>(built_with_asan() ? r.peak_heap : r.peak_rss) / 1048576.0,
                      static_cast<double>(b.memory_bytes) / 1048576.0);
        if (std::FILE* f = std::fopen(report, "a"); f != nullptr) {
            std::fputs(row, f);
            std::fclose(f);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Reliability, Adversarial, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<adversarial_case>& p) { return p.param.name; });

TEST(AdversarialSuite, HasAtLeastFortyCases) { EXPECT_GE(cases().size(), 40U); }

} // namespace
} // namespace dicompix::test
