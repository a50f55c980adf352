// SPDX-License-Identifier: BSD-3-Clause
// dicompix: the display pipeline and bitmap output.
//
// Stored values (what pixel_data serves) are never changed implicitly. Rendering is an explicit, separate
// step: a display_pipeline is built once from the dataset and the pixel description, then applied to any
// number of frames:
//
//   stored value -> Modality LUT (PS3.3 C.11.1: Rescale Slope/Intercept or Modality LUT Sequence)
//                -> VOI LUT (C.11.2: Window Center/Width with LINEAR, LINEAR_EXACT or SIGMOID, or a
//                   VOI LUT Sequence, or a min-max window of the frame)
//                -> Presentation LUT (C.11.6: Presentation LUT Shape, MONOCHROME1 inversion)
//                -> 8-bit grey
//   PALETTE COLOR (C.7.6.3.1.5, segmented C.7.9.2) and YBR_* (C.7.6.3.1.2) -> 8-bit RGB
//
// Enhanced multi-frame files give Rescale and windows per frame (Shared / Per-frame Functional Groups:
// Pixel Value Transformation and Frame VOI LUT), so the pipeline looks the frame up by its index.
//
// For integer samples of up to 16 bits, the whole chain is folded into one table indexed by the stored
// value (2^Bits Stored entries of 1 or 3 bytes), so rendering a frame is one table lookup per pixel. The
// table is built once when nothing depends on the frame, else once per frame (per-frame functional
// groups, min-max windows). 32-bit integers and float samples take a per-sample arithmetic path.
//
// Output: bitmap (8-bit grey/RGB, or 16-bit grey/RGB for the unwindowed stored or modality values) and
// writers for PNG (libspng, tuned for speed) and binary PGM/PPM.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dicompix/dataset.hpp"
#include "dicompix/error.hpp"
#include "dicompix/frame_info.hpp"
#include "dicompix/options.hpp"
#include "dicompix/pixel.hpp"

namespace dicompix {

class dicom_file;

// ---- options ---------------------------------------------------------------------------------------------

/// VOI LUT Function (0028,1056), PS3.3 C.11.2.1.3.
enum class voi_function : std::uint8_t {
    linear,       ///< C.11.2.1.2.1: Window Width >= 1, centre at c - 0.5
    linear_exact, ///< C.11.2.1.3.2: Window Width > 0, exact linear ramp between c - w/2 and c + w/2
    sigmoid,      ///< C.11.2.1.3.1: 1 / (1 + exp(-4 (x - c) / w)), Window Width > 0
};
[[nodiscard]] std::string_view to_string(voi_function f) noexcept;

/// Which VOI transform the pipeline applies to monochrome images.
enum class voi_mode : std::uint8_t {
    automatic,       ///< the file's first window, else its first VOI LUT, else a min-max window
    file_window,     ///< window number `index` of the file (per-frame or shared Frame VOI LUT first)
    file_lut,        ///< item `index` of the VOI LUT Sequence
    explicit_window, ///< `center` / `width` given by the caller
    min_max,         ///< window spanning the frame's minimum to maximum modality value
    none,            ///< no VOI: the full possible range of modality values is scaled to the output
};

/// The VOI choice. Indices are 0-based.
struct voi_selection {
    voi_mode mode{voi_mode::automatic};
    std::uint32_t index{0};
    double center{0.0};
    double width{0.0};
    /// Overrides the file's VOI LUT Function for windows (file or explicit).
    std::optional<voi_function> function{};
};

/// Presentation LUT Shape (2050,0020), PS3.3 C.11.6.1.2.
enum class presentation_shape : std::uint8_t {
    from_file, ///< the file's Presentation LUT Shape; MONOCHROME1 is always displayed inverted
    identity,  ///< no inversion, whatever the file says (MONOCHROME1 then shows its raw polarity)
    inverse,   ///< inverted output
};

/// What a pipeline produces.
enum class output_kind : std::uint8_t {
    display8,   ///< the display pipeline: 8-bit grey (monochrome) or 8-bit RGB (colour)
    stored16,   ///< stored values, 16 bits, no LUT at all (signed values offset by 32768)
    modality16, ///< modality values (Rescale / Modality LUT), 16 bits, rounded, no VOI (offset by 32768
                ///< when the modality range can be negative)
};

/// Options of a display pipeline. The defaults render what a viewer shows first.
struct render_options {
    voi_selection voi{};
    presentation_shape presentation{presentation_shape::from_file};
    output_kind output{output_kind::display8};
    /// Apply the Modality LUT / Rescale (PS3.3 C.11.1). Off: stored values feed the VOI stage directly.
    bool modality{true};
    /// Burn overlay planes (60xx) into display8 output: overlay pixels become white (255).
    bool overlays{false};
    /// Strict: every malformed LUT, window or overlay is an error. Lenient (default): it is skipped or
    /// clamped as documented and recorded as a warning.
    bool strict{false};
};

// ---- bitmap ----------------------------------------------------------------------------------------------

/// A rendered image: width x height x channels (1 grey, 3 RGB), row-major, interleaved, samples of 8 bits
/// or 16 bits (host byte order). Storage comes from a memory resource, uninitialised; reset() reuses it.
class bitmap {
public:
    bitmap() = default;
    /// Allocates width * height * channels samples. Throws std::bad_alloc like any allocation.
    bitmap(std::uint32_t width, std::uint32_t height, std::uint16_t channels, std::uint16_t bit_depth,
           std::pmr::memory_resource* memory = nullptr);

    /// Changes the shape; the buffer is reallocated only when it is too small. Contents indeterminate.
    void reset(std::uint32_t width, std::uint32_t height, std::uint16_t channels, std::uint16_t bit_depth);

    [[nodiscard]] std::uint32_t width() const noexcept { return width_; }
    [[nodiscard]] std::uint32_t height() const noexcept { return height_; }
    [[nodiscard]] std::uint16_t channels() const noexcept { return channels_; }
    [[nodiscard]] std::uint16_t bit_depth() const noexcept { return bit_depth_; }
    [[nodiscard]] bool empty() const noexcept { return width_ == 0 || height_ == 0; }
    /// Samples in one row: width * channels.
    [[nodiscard]] std::size_t row_samples() const noexcept { return std::size_t{width_} * channels_; }
    [[nodiscard]] std::size_t sample_count() const noexcept { return row_samples() * height_; }
    [[nodiscard]] std::size_t size_bytes() const noexcept { return sample_count() * (bit_depth_ > 8 ? 2U : 1U); }

    /// 8-bit samples (empty unless bit_depth() == 8).
    [[nodiscard]] std::span<std::uint8_t> samples8() noexcept;
    [[nodiscard]] std::span<const std::uint8_t> samples8() const noexcept;
    /// 16-bit samples, host byte order (empty unless bit_depth() == 16).
    [[nodiscard]] std::span<std::uint16_t> samples16() noexcept;
    [[nodiscard]] std::span<const std::uint16_t> samples16() const noexcept;
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {buffer_.data(), size_bytes()}; }

    /// Bits that carry information (PNG sBIT): e.g. 12 for 12-bit stored values in a 16-bit bitmap.
    [[nodiscard]] std::uint16_t significant_bits() const noexcept { return significant_bits_; }
    void set_significant_bits(std::uint16_t bits) noexcept { significant_bits_ = bits; }
    /// 16-bit outputs of values that can be negative store value + offset (32768); 0 otherwise. Written
    /// into PNG files as the text chunk "dicompix:value-offset".
    [[nodiscard]] std::int32_t value_offset() const noexcept { return value_offset_; }
    void set_value_offset(std::int32_t offset) noexcept { value_offset_ = offset; }

private:
    frame_buffer buffer_;
    std::uint32_t width_{0};
    std::uint32_t height_{0};
    std::uint16_t channels_{0};
    std::uint16_t bit_depth_{0};
    std::uint16_t significant_bits_{0};
    std::int32_t value_offset_{0};
};

// ---- the pipeline ----------------------------------------------------------------------------------------

namespace render_detail {
struct pipeline_state;
}

/// The display pipeline of one Pixel Data element, built once and applied to its frames.
///
/// Thread safety: immutable after create(); render() may be called concurrently. Copies are cheap (shared
/// state). Lifetime: holds shared ownership of the file's bytes where it needs them (embedded overlays);
/// LUTs are copied out of the dataset, so the dataset need not outlive the pipeline.
class display_pipeline {
public:
    display_pipeline() = default;

    /// Builds the pipeline of the top-level pixel data of `file` (`pixels` opened from it). This form can
    /// also burn in overlays embedded in unused high bits of native Pixel Data (retired, PS3.3 C.9.2.1.1).
    /// Errors: invalid_lut (malformed LUT, strict; or lenient when nothing usable is left, e.g. a PALETTE
    /// COLOR image without a palette), render_error (a window / overlay that cannot be applied, strict;
    /// an explicit VOI choice the file does not have), invalid_argument (options that do not fit the image,
    /// e.g. 16-bit output of float data).
    /// Cost: reads the grey-level attributes and LUTs once (per-frame functional groups: one pass over
    /// the items); for integer samples of up to 16 bits without per-frame values, builds the combined table
    /// (2^Bits Stored entries).
    [[nodiscard]] static result<display_pipeline> create(const dicom_file& file, const pixel_data& pixels,
                                                         const render_options& options = {});
    /// Builds the pipeline from a dataset (the one holding the Image Pixel module) and its description.
    /// Embedded overlays are not available in this form. Errors as above.
    [[nodiscard]] static result<display_pipeline> create(const dataset& ds, const pixel_description& description,
                                                         const render_options& options = {});

    /// Renders one frame (its index, frame.meta().index, selects per-frame values and overlay frames).
    /// The frame must have the description's shape. Errors: invalid_argument (shape or sample type differs
    /// from the description), render_error.
    [[nodiscard]] result<bitmap> render(const any_frame& frame) const;
    /// Renders into `out`, reusing its buffer (streaming many frames allocates once).
    [[nodiscard]] result<void> render(const any_frame& frame, bitmap& out) const;

    /// One line saying what the pipeline does to frame `index`, e.g.
    /// "modality=rescale(1,-1024) voi=window(40,400,LINEAR,file:0) presentation=identity overlays=0".
    [[nodiscard]] std::string describe(std::uint32_t index) const;
    /// Oddities met while building the pipeline (lenient recoveries), in order.
    [[nodiscard]] const std::vector<warning>& warnings() const noexcept;
    [[nodiscard]] output_kind output() const noexcept;
    /// True once create() succeeded.
    [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }

private:
    std::shared_ptr<const render_detail::pipeline_state> state_;
};

// ---- writers ---------------------------------------------------------------------------------------------

/// PNG row filter (PNG spec §9); `adaptive` picks SUB, UP or PAETH per row (slower).
enum class png_filter : std::uint8_t { none, sub, up, paeth, adaptive };

/// PNG encoder settings. The defaults favour speed over the last percent of size: on the corpus, UP with zlib's
/// run-length strategy encodes 8x faster than libspng's defaults (level 6, every filter tried per row) for
/// files 10 % larger (doc/design.md, "Rendering").
struct png_options {
    int compression_level{1};        ///< zlib level 0..9 (0: stored; with run_length, 1..9 compress alike)
    png_filter filter{png_filter::up};
    bool run_length{true};           ///< zlib Z_RLE strategy (matches at distance 1 only); false: Z_DEFAULT_STRATEGY
};

/// Encodes a PNG (8/16-bit, grey or RGB) in memory. Errors: invalid_argument (empty bitmap, bad depth),
/// write_error (encoder failure).
[[nodiscard]] result<std::vector<std::byte>> encode_png(const bitmap& image, const png_options& options = {});
/// Writes a PNG to an open stream (not closed). Errors as encode_png, plus write_error.
[[nodiscard]] result<void> write_png(const bitmap& image, std::FILE* out, const png_options& options = {});
/// Writes a PNG file (replaced if it exists). Errors as encode_png, plus io_error.
[[nodiscard]] result<void> write_png(const bitmap& image, const std::filesystem::path& path,
                                     const png_options& options = {});
/// Writes binary PGM (grey) or PPM (RGB): maxval 255, or 65535 with big-endian samples (Netpbm).
[[nodiscard]] result<void> write_pnm(const bitmap& image, std::FILE* out);
[[nodiscard]] result<void> write_pnm(const bitmap& image, const std::filesystem::path& path);
/// Writes by file extension: .png -> PNG; .pgm, .ppm, .pnm -> PGM or PPM as the channels require.
/// Errors: invalid_argument for another extension, and those of the writers.
[[nodiscard]] result<void> write_image(const bitmap& image, const std::filesystem::path& path,
                                       const png_options& options = {});

} // namespace dicompix
