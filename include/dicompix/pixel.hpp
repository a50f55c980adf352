// SPDX-License-Identifier: BSD-3-Clause
// dicompix: pixel data as flat typed frames.
//
// pixel_data describes the pixels of one Pixel Data element once (pixel_description, shared by every
// frame) and decodes frames one at a time on demand. A frame is a native_frame<T>: rows x columns x
// samples, row-major, sample-interleaved, host byte order, with get/set accessors. Stored values are
// returned (after the PS3.5 §8.1.1 normalisation: masked to Bits Stored, sign-extended when Pixel
// Representation is 1); no display transform is ever applied implicitly.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <memory_resource>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "dicompix/dataset.hpp"
#include "dicompix/error.hpp"
#include "dicompix/frame_info.hpp"
#include "dicompix/options.hpp"

namespace dicompix {

class dicom_file;
class codec_registry;

/// The Image Pixel module of one Pixel Data element, validated. Held once per pixel_data and shared
/// (never copied) by every frame decoded from it.
struct pixel_description {
    frame_info frame;                  ///< shape of every frame
    std::uint32_t number_of_frames{1}; ///< Number of Frames (1 when absent)
    std::string photometric_text;      ///< Photometric Interpretation as written
    std::string transfer_syntax_uid;   ///< of the dataset the pixels came from
    bool encapsulated{false};          ///< Pixel Data is encapsulated (PS3.5 §A.4)
};

/// Reads and validates the Image Pixel module of `ds` (the top-level dataset or an item such as an
/// Icon Image Sequence item). Checks every value before anything is allocated: Rows, Columns >= 1;
/// Bits Allocated in {1, 8, 16, 32, 64} (32/64 for float/double); 1 <= Bits Stored <= Bits Allocated;
/// High Bit = Bits Stored - 1 (lenient: warning); Samples per Pixel consistent with the Photometric
/// Interpretation; Planar Configuration 0/1; frame and total sizes against the limits.
/// Errors: no_pixel_data, invalid_pixel_description, limit_exceeded, overflow.
[[nodiscard]] result<pixel_description> describe_pixels(const dataset& ds, std::string_view transfer_syntax_uid,
                                                        const parse_options& options = {},
                                                        std::vector<warning>* warnings = nullptr);

// ---- frames ---------------------------------------------------------------------------------------------

/// Raw storage of one owned frame, allocated from a memory resource without value-initialisation.
class frame_buffer {
public:
    frame_buffer() = default;
    /// Allocates `bytes` (64-byte aligned) from `memory` (default: new/delete). Contents are
    /// indeterminate. Throws std::bad_alloc like any allocation.
    frame_buffer(std::size_t bytes, std::pmr::memory_resource* memory);
    frame_buffer(const frame_buffer& other);
    frame_buffer& operator=(const frame_buffer& other);
    frame_buffer(frame_buffer&& other) noexcept;
    frame_buffer& operator=(frame_buffer&& other) noexcept;
    ~frame_buffer();

    [[nodiscard]] std::byte* data() noexcept { return data_; }
    [[nodiscard]] const std::byte* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::pmr::memory_resource* resource() const noexcept { return memory_; }

private:
    void release() noexcept;
    std::byte* data_{nullptr};
    std::size_t size_{0};
    std::pmr::memory_resource* memory_{nullptr};
};

/// What a frame is, beyond its samples: who made it and what its samples mean.
struct frame_meta {
    std::uint32_t index{0};                   ///< frame number in the pixel data (0-based)
    photometric photometric_interpretation{}; ///< of these samples (e.g. RGB after a decoder converted)
    std::string_view codec;                   ///< decoder that produced it; "native" for uncompressed
    std::vector<std::string> warnings;        ///< recoverable oddities met while decoding this frame
};

/// One frame as a flat array of T: rows x columns x samples, row-major, sample-interleaved, host-endian.
/// Either an owned buffer or a zero-copy read-only view into the source (native data whose byte order,
/// width and alignment already match); the first write to a view makes an owned copy.
template <class T> class native_frame {
    static_assert(std::is_arithmetic_v<T>);

public:
    using value_type = T;

    native_frame() = default;
    /// An owned frame; contents indeterminate until written.
    native_frame(std::shared_ptr<const pixel_description> desc, std::uint32_t rows, std::uint32_t columns,
                 std::uint16_t samples, frame_meta meta, std::pmr::memory_resource* memory = nullptr)
        : desc_(std::move(desc)), meta_(meta), rows_(rows), columns_(columns), samples_(samples),
          buffer_(std::size_t{rows} * columns * samples * sizeof(T), memory) {}
    /// A read-only view of `samples`; `keepalive` owns the bytes. `memory` is where the copy made on the
    /// first write comes from (nullptr: new/delete).
    static native_frame view(std::shared_ptr<const pixel_description> desc, std::uint32_t rows, std::uint32_t columns,
                             std::uint16_t samples, frame_meta meta, const T* data,
                             std::shared_ptr<const void> keepalive, std::pmr::memory_resource* memory = nullptr) {
        native_frame f;
        f.memory_ = memory;
        f.desc_ = std::move(desc);
        f.meta_ = meta;
        f.rows_ = rows;
        f.columns_ = columns;
        f.samples_ = samples;
        f.view_ = data;
        f.keepalive_ = std::move(keepalive);
        return f;
    }

    [[nodiscard]] std::uint32_t rows() const noexcept { return rows_; }
    [[nodiscard]] std::uint32_t columns() const noexcept { return columns_; }
    [[nodiscard]] std::uint16_t samples_per_pixel() const noexcept { return samples_; }
    [[nodiscard]] std::size_t size() const noexcept { return std::size_t{rows_} * columns_ * samples_; }
    [[nodiscard]] const frame_meta& meta() const noexcept { return meta_; }
    [[nodiscard]] photometric photometric_interpretation() const noexcept { return meta_.photometric_interpretation; }
    /// The shared description of the pixel data this frame came from (may be null for frames built
    /// by the caller).
    [[nodiscard]] const std::shared_ptr<const pixel_description>& description() const noexcept { return desc_; }
    /// True when the frame views the source without a copy.
    [[nodiscard]] bool is_view() const noexcept { return view_ != nullptr; }
    /// True once a mutating accessor was used (the writer re-encodes only modified frames).
    [[nodiscard]] bool modified() const noexcept { return modified_; }

    /// Unchecked read (debug-asserted).
    [[nodiscard]] T get(std::uint32_t x, std::uint32_t y, std::uint16_t sample = 0) const noexcept {
        assert(x < columns_ && y < rows_ && sample < samples_);
        return data()[index(x, y, sample)];
    }
    /// Unchecked write (debug-asserted); copies a view first.
    void set(std::uint32_t x, std::uint32_t y, std::uint16_t sample, T value) {
        assert(x < columns_ && y < rows_ && sample < samples_);
        mutable_data()[index(x, y, sample)] = value;
    }
    void set(std::uint32_t x, std::uint32_t y, T value) { set(x, y, 0, value); }
    /// Checked read. Errors: invalid_argument when out of range.
    [[nodiscard]] result<T> at(std::uint32_t x, std::uint32_t y, std::uint16_t sample = 0) const {
        if (x >= columns_ || y >= rows_ || sample >= samples_) {
            return failure(errc::invalid_argument, "pixel (" + std::to_string(x) + "," + std::to_string(y) +
                                                       ") sample " + std::to_string(sample) + " is outside the frame");
        }
        return data()[index(x, y, sample)];
    }
    /// Checked write. Errors: invalid_argument when out of range.
    result<void> set_checked(std::uint32_t x, std::uint32_t y, std::uint16_t sample, T value) {
        if (x >= columns_ || y >= rows_ || sample >= samples_) {
            return failure(errc::invalid_argument, "pixel (" + std::to_string(x) + "," + std::to_string(y) +
                                                       ") sample " + std::to_string(sample) + " is outside the frame");
        }
        mutable_data()[index(x, y, sample)] = value;
        return {};
    }

    /// All samples, read-only.
    [[nodiscard]] std::span<const T> samples() const noexcept { return {data(), size()}; }
    /// All samples, writable (copies a view first and marks the frame modified).
    [[nodiscard]] std::span<T> mutable_samples() { return {mutable_data(), size()}; }
    /// Row y, read-only.
    [[nodiscard]] std::span<const T> row(std::uint32_t y) const noexcept {
        return {data() + std::size_t{y} * columns_ * samples_, std::size_t{columns_} * samples_};
    }
    /// Raw bytes (host-endian samples).
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return {reinterpret_cast<const std::byte*>(data()), size() * sizeof(T)};
    }

    /// Writable access for decoders filling a fresh frame; does not mark the frame modified.
    [[nodiscard]] std::span<std::byte> fill_bytes() noexcept { return {buffer_.data(), buffer_.size()}; }
    void set_meta(const frame_meta& m) noexcept { meta_ = m; }
    void clear_modified() noexcept { modified_ = false; }

private:
    [[nodiscard]] std::size_t index(std::uint32_t x, std::uint32_t y, std::uint16_t s) const noexcept {
        return (std::size_t{y} * columns_ + x) * samples_ + s;
    }
    [[nodiscard]] const T* data() const noexcept {
        return view_ != nullptr ? view_ : reinterpret_cast<const T*>(buffer_.data());
    }
    T* mutable_data() {
        if (view_ != nullptr) {
            frame_buffer copy(size() * sizeof(T), memory_);
            std::memcpy(copy.data(), view_, size() * sizeof(T));
            buffer_ = std::move(copy);
            view_ = nullptr;
            keepalive_.reset();
        }
        modified_ = true;
        return reinterpret_cast<T*>(buffer_.data());
    }

    std::shared_ptr<const pixel_description> desc_;
    frame_meta meta_{};
    std::uint32_t rows_{0};
    std::uint32_t columns_{0};
    std::uint16_t samples_{0};
    const T* view_{nullptr};
    std::shared_ptr<const void> keepalive_;
    std::pmr::memory_resource* memory_{nullptr}; ///< for the copy-on-write of a view
    frame_buffer buffer_;
    bool modified_{false};
};

/// A frame whose sample type is known only at run time.
class any_frame {
public:
    using variant = std::variant<native_frame<std::uint8_t>, native_frame<std::int8_t>, native_frame<std::uint16_t>,
                                 native_frame<std::int16_t>, native_frame<std::uint32_t>, native_frame<std::int32_t>,
                                 native_frame<std::uint64_t>, native_frame<std::int64_t>, native_frame<float>,
                                 native_frame<double>>;

    any_frame() = default;
    template <class T> any_frame(native_frame<T> f) : frame_(std::move(f)) {} // NOLINT(google-explicit-constructor)

    /// Calls f(native_frame<T>&) with the concrete frame.
    template <class F> decltype(auto) visit(F&& f) { return std::visit(std::forward<F>(f), frame_); }
    template <class F> decltype(auto) visit(F&& f) const { return std::visit(std::forward<F>(f), frame_); }
    /// The concrete frame if its type is T, else nullptr.
    template <class T> [[nodiscard]] native_frame<T>* get_if() noexcept {
        return std::get_if<native_frame<T>>(&frame_);
    }
    template <class T> [[nodiscard]] const native_frame<T>* get_if() const noexcept {
        return std::get_if<native_frame<T>>(&frame_);
    }
    [[nodiscard]] sample_type type() const noexcept { return static_cast<sample_type>(frame_.index()); }
    [[nodiscard]] std::uint32_t rows() const noexcept {
        return visit([](const auto& f) { return f.rows(); });
    }
    [[nodiscard]] std::uint32_t columns() const noexcept {
        return visit([](const auto& f) { return f.columns(); });
    }
    [[nodiscard]] std::uint16_t samples_per_pixel() const noexcept {
        return visit([](const auto& f) { return f.samples_per_pixel(); });
    }
    [[nodiscard]] const frame_meta& meta() const noexcept {
        return visit([](const auto& f) -> const frame_meta& { return f.meta(); });
    }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return visit([](const auto& f) { return f.bytes(); });
    }
    [[nodiscard]] bool is_view() const noexcept {
        return visit([](const auto& f) { return f.is_view(); });
    }
    [[nodiscard]] bool modified() const noexcept {
        return visit([](const auto& f) { return f.modified(); });
    }

private:
    variant frame_;
};

// ---- pixel data ----------------------------------------------------------------------------------------

/// How fragments of encapsulated Pixel Data were mapped to frames (PS3.5 §A.4).
enum class frame_index_method : std::uint8_t {
    native,                ///< not encapsulated
    extended_offset_table, ///< (7FE0,0001)/(7FE0,0002)
    basic_offset_table,
    one_fragment_per_frame,
    single_frame, ///< one frame made of all fragments
    marker_scan,  ///< frame boundaries found by JPEG SOI/EOI or J2K SOC/EOC markers
};
[[nodiscard]] std::string_view to_string(frame_index_method m) noexcept;

/// The fragments of one encapsulated frame: fragments[first, first + count).
struct frame_fragments {
    std::uint32_t first{0};
    std::uint32_t count{0};
};

/// Options of pixel access.
struct pixel_options {
    dicompix::limits limits{};
    /// Strict: short Pixel Data, codestream/description mismatches and index inconsistencies are errors;
    /// lenient: complete frames are served and the oddity is recorded as a warning.
    bool strict{false};
    /// Where owned frame buffers come from (nullptr: new/delete): every frame pixel_data::frame() returns
    /// that owns its samples (native unpack, every decoder's output, and the copy a zero-copy view makes on
    /// its first write) is one allocation of decoded_frame_bytes() from this resource, 64-byte aligned,
    /// returned to it when the frame (and every copy of it) is destroyed; the resource must outlive them.
    /// Not from it: the small frame metadata, a scratch copy of a frame's codestream when it spans several
    /// fragments, and what a backend allocates inside one decode (OpenJPEG's component planes, libjpeg's
    /// work buffers), all freed before frame() returns. Calls into the resource come from whichever thread
    /// decodes or destroys a frame, so share one resource between threads only if it is thread-safe
    /// (std::pmr::synchronized_pool_resource, not unsynchronized_pool_resource or monotonic_buffer_resource).
    std::pmr::memory_resource* memory{nullptr};
    /// Decoders for encapsulated frames (nullptr: codec_registry::builtin()).
    const codec_registry* registry{nullptr};
    /// Use only the decoder with this name (empty: the registry's order).
    std::string decoder;
    /// When a decoder fails, try the next capable one.
    bool try_next_decoder_on_failure{false};
    /// Threads a backend may use inside one frame (JPEG 2000); 0 = 1.
    std::uint32_t codec_threads{0};
};

/// Access to the frames of one Pixel Data element.
///
/// Thread safety: const member functions may be called concurrently (frames decode independently).
/// Lifetime: holds shared ownership of the source bytes; the dicom_file need not outlive it.
class pixel_data {
public:
    pixel_data() = default;

    /// The top-level Pixel Data (or Float / Double Float Pixel Data) of a file.
    /// Errors: no_pixel_data, invalid_pixel_description, pixel_data_too_short (strict, or no complete
    /// frame), invalid_encapsulation, limit_exceeded.
    [[nodiscard]] static result<pixel_data> open(const dicom_file& file, const pixel_options& options = {});
    /// The Pixel Data of `ds`, an item of `file` (e.g. an Icon Image Sequence item).
    [[nodiscard]] static result<pixel_data> open(const dicom_file& file, const dataset& ds,
                                                 const pixel_options& options = {});

    [[nodiscard]] const pixel_description& description() const noexcept { return *desc_; }
    [[nodiscard]] const std::shared_ptr<const pixel_description>& shared_description() const noexcept { return desc_; }
    [[nodiscard]] const frame_info& info() const noexcept { return desc_->frame; }
    /// Frames that can be served (in lenient mode, the complete frames of short Pixel Data).
    [[nodiscard]] std::uint32_t frame_count() const noexcept { return frame_count_; }
    [[nodiscard]] bool encapsulated() const noexcept { return desc_->encapsulated; }
    /// Warnings found when indexing (padding, short data, offset table disagreements).
    [[nodiscard]] const std::vector<warning>& warnings() const noexcept { return warnings_; }

    /// Decodes frame i only. Native data: a zero-copy view where byte order, width and alignment match,
    /// else one unpack pass into an owned buffer. Encapsulated data: the registry's first capable
    /// decoder. Errors: frame_out_of_range, no_decoder, codec_error, codestream_mismatch,
    /// truncated_codestream, limit_exceeded.
    [[nodiscard]] result<any_frame> frame(std::uint32_t index) const;
    /// Frame i as native_frame<T>. Errors as frame(), plus invalid_argument when T is not the
    /// description's sample type.
    template <class T> [[nodiscard]] result<native_frame<T>> frame_as(std::uint32_t index) const {
        DICOMPIX_TRY(any_frame f, frame(index));
        if (auto* typed = f.get_if<T>(); typed != nullptr) {
            return std::move(*typed);
        }
        return failure(errc::invalid_argument, "frame sample type is " + std::string(to_string(f.type())));
    }
    /// Every frame, in order (holds all of them: prefer frame(i) or iteration for large data).
    [[nodiscard]] result<std::vector<any_frame>> frames() const;

    /// Encapsulated data: how fragments map to frames, and the fragments of frame i.
    [[nodiscard]] frame_index_method index_method() const noexcept { return method_; }
    [[nodiscard]] std::span<const fragment> fragments() const noexcept;
    [[nodiscard]] std::span<const frame_fragments> frame_index() const noexcept { return frame_index_; }
    /// The codestream bytes of encapsulated frame i: a view when the frame is one fragment, else the
    /// fragments concatenated into `scratch`. Errors: frame_out_of_range.
    [[nodiscard]] result<std::span<const std::byte>> frame_codestream(std::uint32_t index,
                                                                      std::vector<std::byte>& scratch) const;
    /// Native data: the stored bytes (file byte order) of the whole element.
    [[nodiscard]] std::span<const std::byte> native_bytes() const noexcept { return native_; }
    /// Byte order of native bytes: that of the transfer syntax, except for Pixel Data of VR UN, which is never
    /// byte-swapped and holds little-endian values whatever the transfer syntax (PS3.5 §6.2.2 note 2).
    [[nodiscard]] bool native_big_endian() const noexcept { return big_endian_; }
    /// Native samples of Bits Allocated 1 or 8 stored as big-endian 16-bit words (OW, or any VR but OB and UN,
    /// in Explicit VR Big Endian: PS3.5 Annex A.3): sample-stream byte p is native_bytes()[p ^ 1].
    [[nodiscard]] bool native_word_swapped() const noexcept { return word_swapped_; }
    /// Name of the decoder that would decode frame 0 (empty when none; "native" when not encapsulated).
    [[nodiscard]] std::string_view decoder_name() const;
    [[nodiscard]] const pixel_options& options() const noexcept { return options_; }

    /// Tells the OS that the source pages holding frames [first, last) will not be read again soon
    /// (madvise(MADV_DONTNEED) on the whole pages inside their bytes). The pages are file-backed: they stay in
    /// the page cache and are read back transparently if touched, so this changes no data; it only keeps the
    /// resident set of a process that streams through a large mapped file near the frames in use instead of
    /// the whole file. Zero-copy views of those frames stay valid. No-op unless the source is a memory-mapped
    /// file (read_file); pages shared with frames outside the range are kept. Thread-safe.
    void release_pages(std::uint32_t first, std::uint32_t last) const noexcept;

    /// Iterates frames as result<any_frame>, decoding each on dereference.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = result<any_frame>;
        using difference_type = std::ptrdiff_t;
        iterator(const pixel_data* p, std::uint32_t i) : pixels_(p), index_(i) {}
        value_type operator*() const { return pixels_->frame(index_); }
        iterator& operator++() {
            ++index_;
            return *this;
        }
        bool operator==(const iterator& o) const noexcept { return index_ == o.index_; }
        [[nodiscard]] std::uint32_t index() const noexcept { return index_; }

    private:
        const pixel_data* pixels_;
        std::uint32_t index_;
    };
    [[nodiscard]] iterator begin() const noexcept { return {this, 0}; }
    [[nodiscard]] iterator end() const noexcept { return {this, frame_count_}; }

private:
    friend struct pixel_data_builder;
    std::shared_ptr<const pixel_description> desc_;
    std::shared_ptr<const encapsulated_pixel_data> encapsulated_;
    std::shared_ptr<const void> keepalive_;
    std::span<const std::byte> native_;
    std::vector<frame_fragments> frame_index_;
    std::vector<warning> warnings_;
    pixel_options options_;
    std::uint32_t frame_count_{0};
    frame_index_method method_{frame_index_method::native};
    bool big_endian_{false};
    bool word_swapped_{false};
    bool mapped_{false}; ///< the source is a read-only file mapping (release_pages may drop its pages)
};

/// Decodes frames [first, last) of `pixels` on `threads` threads (0: std::thread::hardware_concurrency())
/// and hands each to `fn(index, frame)`, from the worker threads and in no particular order; fn must be
/// thread-safe. Each worker holds one frame at a time, so memory stays at about `threads` frames.
/// Stops at the first error (a decode error or one returned by fn) and returns it; frames already
/// handed over stay handed over. Errors: frame_out_of_range, and those of pixel_data::frame and fn.
result<void> for_each_frame(const pixel_data& pixels, std::uint32_t threads,
                            const std::function<result<void>(std::uint32_t, any_frame&&)>& fn, std::uint32_t first = 0,
                            std::uint32_t last = ~std::uint32_t{0});

/// Decodes frames [first, last) of `pixels` on `threads` threads (0: std::thread::hardware_concurrency())
/// and hands each to `fn(index, frame)` on the calling thread, in increasing index order (what a writer of
/// ordered output needs). Workers decode at most `window` frames ahead of the one being handed over
/// (0: 2 x threads), so memory stays at about `window` decoded frames whatever the frame count.
/// With threads == 1 no thread is started. Stops at the first error in frame order and returns it.
/// Errors: frame_out_of_range, and those of pixel_data::frame and fn.
result<void> for_each_frame_ordered(const pixel_data& pixels, std::uint32_t threads,
                                    const std::function<result<void>(std::uint32_t, any_frame&&)>& fn,
                                    std::uint32_t first = 0, std::uint32_t last = ~std::uint32_t{0},
                                    std::uint32_t window = 0);

// ---- normalisation and colour helpers --------------------------------------------------------------

/// PS3.5 §8.1.1: unused high bits may hold anything. Masks integer samples to Bits Stored (counted from
/// bit 0 after a shift by high_bit + 1 - bits_stored) and sign-extends when is_signed. Float samples are
/// untouched. `samples` holds host-endian samples of info.type().
void normalise_samples(std::span<std::byte> samples, const frame_info& info) noexcept;

/// YBR_FULL (PS3.3 C.7.6.3.1.2) to RGB, in place, for 3-sample interleaved 8- or 16-bit unsigned data
/// (precision = Bits Stored). Rounds to nearest and clamps.
void ybr_full_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept;
/// YBR_PARTIAL_420/422 (studio range, ITU-R BT.601) to RGB, in place.
void ybr_partial_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept;
/// Irreversible colour transform inverse (YBR_ICT, JPEG 2000 ICT == YBR_FULL) to RGB, in place.
void ybr_ict_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept;
/// Reversible colour transform inverse (YBR_RCT, JPEG 2000 RCT) to RGB, in place (integer exact).
void ybr_rct_to_rgb(std::span<std::byte> samples, sample_type type, std::uint16_t precision) noexcept;
/// Converts frame f (3 samples per pixel) to RGB when it is YBR_FULL, YBR_FULL_422 (already upsampled),
/// YBR_PARTIAL_*, YBR_ICT or YBR_RCT; no-op for RGB. Errors: invalid_argument for other types.
result<void> convert_to_rgb(any_frame& f, std::uint16_t bits_stored);
/// Planar (RRR..GGG..BBB..) to interleaved (RGBRGB..): `out` receives the interleaved samples.
void planar_to_interleaved(std::span<const std::byte> planar, std::span<std::byte> out, std::size_t pixels,
                           std::size_t samples, std::size_t sample_bytes) noexcept;
/// Native 4:2:2 (Y0 Y1 Cb Cr per pixel pair) to full resolution (Y Cb Cr per pixel), chroma repeated
/// (PS3.3 C.7.6.3.1.2). `pixels` is rows*columns; with an odd count the last pair holds one pixel.
void upsample_422(std::span<const std::byte> subsampled, std::span<std::byte> out, std::size_t pixels,
                  std::size_t sample_bytes) noexcept;

} // namespace dicompix
