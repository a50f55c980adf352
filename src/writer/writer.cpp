// SPDX-License-Identifier: BSD-3-Clause
// Writing a file: meta group (PS3.10 §7.1), dataset (PS3.5 §7), Pixel Data native (PS3.5 §8.1) or
// encapsulated (PS3.5 §A.4), deflate (PS3.5 §A.5), lossy bookkeeping (PS3.3 C.7.6.1.1.5).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "dicompix/writer.hpp"
#include "io/checked_math.hpp"
#include "parser/inflate.hpp"
#include "pixel/ordered.hpp"
#include "writer/encoder.hpp"

namespace dicompix {

using detail::buffered_writer;
using detail::dataset_encoder;
using detail::encoding;

__extension__ using uint128 = unsigned __int128; // GCC/Clang extension: exact 128-bit UUID arithmetic

std::string make_uid() {
    // PS3.5 §B.2: "2.25." followed by the decimal value of a 128-bit UUID-derived integer.
    std::random_device rd;
    uint128 value = 0;
    for (int i = 0; i < 4; ++i) {
        value = (value << 32U) | rd();
    }
    // RFC 4122 version 4 / variant bits, so the number is a valid UUID.
    value &= ~(static_cast<uint128>(0xF000) << 64U);
    value |= static_cast<uint128>(0x4000) << 64U;
    value &= ~(static_cast<uint128>(0xC000000000000000ULL));
    value |= static_cast<uint128>(0x8000000000000000ULL);
    std::string digits;
    do {
        digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
        value /= 10;
    } while (value != 0);
    std::reverse(digits.begin(), digits.end());
    return "2.25." + digits;
}

// ---- pixel_edits -------------------------------------------------------------------------------------

namespace {

frame_info decoded_shape(const pixel_data& p) {
    frame_info f = p.info();
    f.planar_configuration = 0;
    if (f.photometric_interpretation == photometric::ybr_full_422) {
        f.photometric_interpretation = photometric::ybr_full;
    }
    return f;
}

result<void> check_frame(const any_frame& f, const frame_info& info, std::uint32_t index) {
    if (f.rows() != info.rows || f.columns() != info.columns || f.samples_per_pixel() != info.samples_per_pixel ||
        f.type() != info.type()) {
        return failure(errc::inconsistent_dataset,
                       "frame " + std::to_string(index) + " is " + std::to_string(f.columns()) + "x" +
                           std::to_string(f.rows()) + "x" + std::to_string(f.samples_per_pixel()) + " " +
                           std::string(to_string(f.type())) + ", the pixel description says " +
                           std::to_string(info.columns) + "x" + std::to_string(info.rows) + "x" +
                           std::to_string(info.samples_per_pixel) + " " + std::string(to_string(info.type())));
    }
    return {};
}

} // namespace

pixel_edits::pixel_edits(const pixel_data& original)
    : original_(&original), info_(decoded_shape(original)), count_(original.frame_count()) {}

result<void> pixel_edits::replace(std::uint32_t index, any_frame frame) {
    if (index >= count_) {
        return failure(errc::frame_out_of_range,
                       "frame " + std::to_string(index) + " of " + std::to_string(count_));
    }
    if (auto checked = check_frame(frame, info_, index); !checked) {
        return failure(errc::invalid_argument, checked.error().message);
    }
    const auto it = std::lower_bound(replaced_.begin(), replaced_.end(), index,
                                     [](const auto& p, std::uint32_t i) { return p.first < i; });
    if (!frame.modified()) {
        if (it != replaced_.end() && it->first == index) {
            replaced_.erase(it);
        }
        return {};
    }
    if (it != replaced_.end() && it->first == index) {
        it->second = std::move(frame);
    } else {
        replaced_.insert(it, {index, std::move(frame)});
    }
    return {};
}

result<pixel_edits> pixel_edits::replace_all(const frame_info& info, std::vector<any_frame> frames) {
    if (frames.empty()) {
        return failure(errc::invalid_argument, "replace_all needs at least one frame");
    }
    const auto bad = [](std::string m) { return failure(errc::inconsistent_dataset, std::move(m)); };
    if (info.rows == 0 || info.columns == 0 || info.rows > 65535 || info.columns > 65535) {
        return bad("Rows and Columns must be 1..65535");
    }
    const bool is_float = info.element != pixel_data_element::integer;
    const std::uint16_t ba = info.bits_allocated;
    if (is_float ? ba != (info.element == pixel_data_element::float32 ? 32 : 64)
                 : (ba != 1 && ba != 8 && ba != 16 && ba != 32 && ba != 64)) {
        return bad("Bits Allocated " + std::to_string(ba) + " is not allowed for this pixel data element");
    }
    if (!is_float && (info.bits_stored == 0 || info.bits_stored > ba || info.high_bit != info.bits_stored - 1)) {
        return bad("Bits Stored " + std::to_string(info.bits_stored) + " / High Bit " + std::to_string(info.high_bit) +
                   " do not fit Bits Allocated " + std::to_string(ba) + " (High Bit must be Bits Stored - 1)");
    }
    if (info.photometric_interpretation == photometric::unknown ||
        required_samples(info.photometric_interpretation) != info.samples_per_pixel) {
        return bad("Photometric Interpretation " + std::string(to_string(info.photometric_interpretation)) +
                   " does not go with " + std::to_string(info.samples_per_pixel) + " samples per pixel");
    }
    if (info.photometric_interpretation == photometric::ybr_full_422 ||
        info.photometric_interpretation == photometric::ybr_partial_422) {
        return bad("frames are full resolution: describe 4:2:2 data as YBR_FULL (the writer subsamples only "
                   "inside codecs that do)");
    }
    if (ba == 1 && info.samples_per_pixel != 1) {
        return bad("Bits Allocated 1 needs Samples per Pixel 1");
    }
    if (info.photometric_interpretation == photometric::palette_color && info.is_signed) {
        return bad("PALETTE COLOR pixel data must be unsigned");
    }
    pixel_edits e;
    e.info_ = info;
    e.info_.planar_configuration = 0;
    e.count_ = static_cast<std::uint32_t>(frames.size());
    for (std::uint32_t i = 0; i < frames.size(); ++i) {
        DICOMPIX_TRY_VOID(check_frame(frames[i], e.info_, i));
        e.replaced_.emplace_back(i, std::move(frames[i]));
    }
    return e;
}

bool pixel_edits::changed(std::uint32_t index) const noexcept {
    if (original_ == nullptr) {
        return true;
    }
    return std::binary_search(replaced_.begin(), replaced_.end(), std::pair<std::uint32_t, any_frame>{index, {}},
                              [](const auto& a, const auto& b) { return a.first < b.first; });
}

result<any_frame> pixel_edits::frame(std::uint32_t index) const {
    const auto it = std::lower_bound(replaced_.begin(), replaced_.end(), index,
                                     [](const auto& p, std::uint32_t i) { return p.first < i; });
    if (it != replaced_.end() && it->first == index) {
        return it->second;
    }
    if (original_ == nullptr || index >= count_) {
        return failure(errc::frame_out_of_range, "frame " + std::to_string(index) + " of " + std::to_string(count_));
    }
    return original_->frame(index);
}

// ---- writing -----------------------------------------------------------------------------------------

namespace {

bool is_pixel_tag(tag t) noexcept {
    return t == tags::PixelData || t == tags::FloatPixelData || t == tags::DoubleFloatPixelData;
}

element text_element(tag t, vr v, std::string_view s) {
    return element::from_string(t, v, s);
}

element us_element(tag t, std::uint16_t value) {
    const std::uint16_t v[1] = {value};
    return element::from_numbers<std::uint16_t>(t, vr::US, v);
}

std::string format_ds(double v) {
    // DS holds at most 16 characters (PS3.5 §6.2).
    char buf[32];
    for (int precision = 10; precision > 0; --precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strlen(buf) <= 16) {
            break;
        }
    }
    return buf;
}

/// The frames and encodings the writer will produce, decided before anything is written.
struct pixel_plan {
    const pixel_data* source{nullptr};
    const pixel_edits* edits{nullptr};
    const transfer_syntax* target{nullptr};
    std::string target_uid;
    frame_info out{};               ///< description of what is written
    frame_info encoder_input{};     ///< description of the decoded frames handed to the encoder
    std::uint32_t frames{0};
    bool copy_native{false};        ///< native -> native, unchanged: copy the element's bytes
    bool copy_encapsulated{false};  ///< unchanged frames' fragments are copied through
    const frame_encoder* encoder{nullptr};
    std::optional<std::pair<std::uint32_t, encoded_frame>> ahead; ///< first encoded frame, made early
    std::optional<any_frame> first_frame;                          ///< frame 0 decoded early (native target)
    bool lossy{false};
    std::string lossy_method;
    photometric colour{photometric::unknown};
    bool use_eot{false};
    bool use_bot{false};
};

bool source_frame_changed(const pixel_plan& plan, std::uint32_t i) {
    return plan.edits != nullptr && plan.edits->changed(i);
}

result<any_frame> plan_frame(const pixel_plan& plan, std::uint32_t i) {
    if (plan.edits != nullptr) {
        return plan.edits->frame(i);
    }
    return plan.source->frame(i);
}

result<encoded_frame> encode_frame(const pixel_plan& plan, const any_frame& f, const write_options& options) {
    // Not plan.out: once the first frame is encoded, out carries the codestream's colour (YBR_FULL_422 for RGB
    // into JPEG Baseline), while every frame handed to the encoder is still in the decoded colour space.
    return plan.encoder->encode(f.bytes(), plan.encoder_input, plan.target_uid, options.encode);
}

/// Packs decoded frames into native bytes of the target byte order (PS3.5 §8.1.1; Annex D for 1-bit).
class native_packer {
public:
    native_packer(const frame_info& info, bool big_endian) : info_(info), big_endian_(big_endian) {}

    void pack(const any_frame& f, std::vector<std::byte>& out) {
        const auto bytes = f.bytes();
        if (info_.bits_allocated == 1) {
            for (const std::byte b : bytes) {
                if (b != std::byte{0}) {
                    carry_ |= static_cast<unsigned>(1U << carry_bits_);
                }
                if (++carry_bits_ == 8) {
                    out.push_back(static_cast<std::byte>(carry_));
                    carry_ = 0;
                    carry_bits_ = 0;
                }
            }
            return;
        }
        const std::size_t width = f.bytes().size() / std::max<std::size_t>(1, f.rows() * std::size_t{f.columns()} *
                                                                                  f.samples_per_pixel());
        const std::size_t start = out.size();
        out.insert(out.end(), bytes.begin(), bytes.end());
        if (width > 1 && big_endian_ != (std::endian::native == std::endian::big)) {
            for (std::size_t i = start; i + width <= out.size(); i += width) {
                std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                             out.begin() + static_cast<std::ptrdiff_t>(i + width));
            }
        }
    }
    void finish(std::vector<std::byte>& out) {
        if (carry_bits_ != 0) {
            out.push_back(static_cast<std::byte>(carry_));
            carry_ = 0;
            carry_bits_ = 0;
        }
    }

private:
    frame_info info_;
    bool big_endian_;
    unsigned carry_{0};
    unsigned carry_bits_{0};
};

class file_writer {
public:
    file_writer(const write_options& options, std::vector<warning>& warnings) : options_(options), warnings_(warnings) {}

    result<void> plan_pixels(const pixel_edits* edits, const transfer_syntax* target, std::string target_uid);
    result<void> update_attributes(dataset& ds, dataset& meta);
    result<void> write_pixel_element(const element& original, buffered_writer& out, const dataset_encoder& enc);
    result<void> write_eot_placeholder(buffered_writer& out, const dataset_encoder& enc);
    /// Encoded size of a hooked element when it is known before writing (native pixel data, the EOT).
    [[nodiscard]] std::optional<std::uint64_t> hooked_size(const element& e, encoding enc) const;
    result<void> patch_tables(buffered_writer& out);

    pixel_plan plan;
    std::uint64_t encoded_raw_bytes{0};
    std::uint64_t encoded_bytes{0};
    std::uint32_t frames_copied{0};
    std::uint32_t frames_encoded{0};
    std::optional<std::uint64_t> ratio_patch_offset; ///< where the ratio placeholder sits in the output

private:
    result<void> write_native(const element& original, buffered_writer& out, const dataset_encoder& enc);
    result<void> write_encapsulated(buffered_writer& out, const dataset_encoder& enc);
    [[nodiscard]] std::uint32_t frame_threads() const noexcept {
        return options_.threads != 0 ? options_.threads : std::max(1U, std::thread::hardware_concurrency());
    }

    const write_options& options_;
    std::vector<warning>& warnings_;
    std::uint64_t bot_offset_{0};
    std::uint64_t eot_offset_{0};
    std::vector<std::uint64_t> frame_offsets_;
    std::vector<std::uint64_t> frame_lengths_;
};

result<void> file_writer::plan_pixels(const pixel_edits* edits, const transfer_syntax* target, std::string target_uid) {
    plan.target = target;
    plan.target_uid = std::move(target_uid);
    plan.edits = edits;
    if (edits != nullptr && edits->original() != nullptr) {
        plan.source = edits->original();
    }
    if (plan.source != nullptr) {
        plan.out = decoded_shape(*plan.source);
        plan.frames = plan.source->frame_count();
    } else if (edits != nullptr) {
        plan.out = edits->info();
        plan.frames = edits->frame_count();
    } else {
        return {};
    }
    const bool any_change = edits != nullptr && (edits->replaces_all() || [&] {
        for (std::uint32_t i = 0; i < plan.frames; ++i) {
            if (edits->changed(i)) {
                return true;
            }
        }
        return false;
    }());
    const pixel_data* src = plan.source;
    const bool source_native = src != nullptr && !src->encapsulated();
    if (!target->encapsulated) {
        plan.copy_native = source_native && !any_change;
        if (plan.copy_native) {
            plan.out = src->info(); // unchanged layout: planar configuration and 4:2:2 kept
            return {};
        }
        // Frames are re-packed from decoded samples, whose colour space the decoder decides (e.g. RGB
        // from a YCbCr JPEG): take it from frame 0, kept for writing.
        DICOMPIX_TRY(any_frame first, plan_frame(plan, 0));
        if (first.meta().photometric_interpretation != photometric::unknown) {
            plan.out.photometric_interpretation = first.meta().photometric_interpretation;
        }
        plan.first_frame.emplace(std::move(first));
        return {};
    }
    // Encapsulated target.
    if (plan.out.element != pixel_data_element::integer) {
        return failure(errc::cannot_encode, "float pixel data cannot be encapsulated in " + std::string(target->name));
    }
    const bool same_syntax = src != nullptr && src->encapsulated() && src->description().transfer_syntax_uid == plan.target_uid;
    plan.copy_encapsulated = same_syntax;
    // Offset tables are chosen on every path, copies included (the requested table is written; frames keep
    // a Basic Offset Table when they are copied through).
    const auto choose_tables = [&] {
        // Offsets beyond 32 bits need the Extended Offset Table (PS3.5 §A.4); decide from the uncompressed size.
        const auto raw = detail::checked_mul(plan.out.decoded_frame_bytes().value_or(0), plan.frames);
        plan.use_eot = options_.table == offset_table::extended ||
                       (options_.table == offset_table::basic && raw && *raw > 0xF0000000ULL && plan.frames > 1);
        if (plan.use_eot && plan.copy_encapsulated) {
            // PS3.3 C.7.6.3.1.8: an Extended Offset Table only where each frame is entirely in one fragment.
            const auto index = src->frame_index();
            for (std::uint32_t i = 0; i < plan.frames && i < index.size(); ++i) {
                if (!source_frame_changed(plan, i) && index[i].count != 1) {
                    warnings_.push_back(warning{~std::uint64_t{0}, "(7FE0,0001)",
                                                "frame " + std::to_string(i) + " is copied in " +
                                                    std::to_string(index[i].count) +
                                                    " fragments: a Basic Offset Table is written instead of the "
                                                    "Extended Offset Table (PS3.3 C.7.6.3.1.8)"});
                    plan.use_eot = false;
                    plan.use_bot = true;
                    return;
                }
            }
        }
        plan.use_bot = options_.table == offset_table::basic && !plan.use_eot;
    };
    if (same_syntax && !any_change) {
        plan.out = src->info();
        choose_tables();
        return {};
    }
    // The first frame that needs encoding is decoded now: its colour space is the encoder's input.
    std::optional<std::uint32_t> first_needed;
    for (std::uint32_t i = 0; i < plan.frames; ++i) {
        if (!(plan.copy_encapsulated && !source_frame_changed(plan, i))) {
            first_needed = i;
            break;
        }
    }
    if (!first_needed) {
        choose_tables();
        return {};
    }
    DICOMPIX_TRY(const any_frame first, plan_frame(plan, *first_needed));
    if (first.meta().photometric_interpretation != photometric::unknown) {
        plan.out.photometric_interpretation = first.meta().photometric_interpretation;
    }
    const codec_registry& registry = options_.registry != nullptr ? *options_.registry : codec_registry::builtin();
    if (!options_.encoder.empty()) {
        plan.encoder = registry.encoder(options_.encoder);
        if (plan.encoder == nullptr) {
            return failure(errc::no_encoder, "no encoder named '" + options_.encoder + "'");
        }
        DICOMPIX_TRY_VOID(plan.encoder->can_encode(plan.target_uid, plan.out, options_.encode));
    } else {
        const auto encoders = registry.encoders_for(plan.target_uid, plan.out, options_.encode);
        if (encoders.empty()) {
            // Ask every encoder of the syntax why not, for a useful message.
            for (const auto& e : registry.encoders()) {
                auto why = e->can_encode(plan.target_uid, plan.out, options_.encode);
                // "X encodes only <syntax>" is an encoder of another syntax; any other refusal is the reason.
                if (!why && why.error().code == errc::cannot_encode &&
                    why.error().message.find("encodes only") == std::string::npos) {
                    return failure(errc::cannot_encode, std::string(e->name()) + ": " + why.error().message);
                }
            }
            return failure(errc::no_encoder, "no encoder for " + std::string(target->name) + " (" + plan.target_uid +
                                                 ") handles " + std::to_string(plan.out.bits_allocated) + "-bit " +
                                                 std::string(to_string(plan.out.photometric_interpretation)) +
                                                 " samples");
        }
        plan.encoder = encoders.front();
    }
    // Encode it now: its colour space and lossiness decide attributes written before the pixel data.
    plan.encoder_input = plan.out;
    {
        DICOMPIX_TRY(encoded_frame enc, encode_frame(plan, first, options_));
        plan.colour = enc.colour;
        plan.lossy = enc.lossy;
        plan.lossy_method = enc.method;
        encoded_raw_bytes += first.bytes().size();
        plan.ahead.emplace(*first_needed, std::move(enc));
    }
    if (plan.copy_encapsulated && plan.colour != src->info().photometric_interpretation) {
        // Copied frames would disagree with re-encoded ones: re-encode everything.
        warnings_.push_back(warning{~std::uint64_t{0}, "(7FE0,0010)",
                                    "the encoder produces " + std::string(to_string(plan.colour)) + ", the copied frames are " +
                                        std::string(to_string(src->info().photometric_interpretation)) +
                                        ": every frame is re-encoded"});
        plan.copy_encapsulated = false;
    }
    if (!plan.copy_encapsulated) {
        plan.out.photometric_interpretation = plan.colour;
    }
    choose_tables();
    return {};
}

result<void> file_writer::update_attributes(dataset& ds, dataset& meta) {
    if (plan.target == nullptr || (plan.source == nullptr && plan.edits == nullptr)) {
        return {};
    }
    const frame_info& f = plan.out;
    const bool rewrote = !(plan.copy_native || (plan.copy_encapsulated && plan.encoder == nullptr));
    if (plan.edits != nullptr && plan.edits->replaces_all()) {
        ds.set(us_element(tags::Rows, static_cast<std::uint16_t>(f.rows)));
        ds.set(us_element(tags::Columns, static_cast<std::uint16_t>(f.columns)));
        ds.set(us_element(tags::SamplesPerPixel, f.samples_per_pixel));
        ds.set(us_element(tags::BitsAllocated, f.bits_allocated));
        if (f.element == pixel_data_element::integer) {
            ds.set(us_element(tags::BitsStored, f.bits_stored));
            ds.set(us_element(tags::HighBit, f.high_bit));
            ds.set(us_element(tags::PixelRepresentation, f.is_signed ? 1 : 0));
        }
        if (plan.frames > 1 || ds.contains(tags::NumberOfFrames)) {
            ds.set(text_element(tags::NumberOfFrames, vr::IS, std::to_string(plan.frames)));
        }
        // The pixel data element becomes the one that matches the samples.
        for (const tag t : {tags::PixelData, tags::FloatPixelData, tags::DoubleFloatPixelData}) {
            ds.erase(t);
        }
        const tag pixel_tag = f.element == pixel_data_element::float32   ? tags::FloatPixelData
                              : f.element == pixel_data_element::float64 ? tags::DoubleFloatPixelData
                                                                         : tags::PixelData;
        ds.set(element(pixel_tag, vr::OB, {}));
    }
    if (rewrote) {
        ds.set(text_element(tags::PhotometricInterpretation, vr::CS, to_string(f.photometric_interpretation)));
        if (f.samples_per_pixel > 1) {
            ds.set(us_element(tags::PlanarConfiguration, 0));
        } else {
            ds.erase(tags::PlanarConfiguration);
        }
    }
    ds.erase(tags::ExtendedOffsetTable);
    ds.erase(tags::ExtendedOffsetTableLengths);
    if (plan.use_eot) {
        // Placeholders in tag order; write_eot_placeholder fills them in the stream.
        ds.set(element(tags::ExtendedOffsetTable, vr::OV, {}));
        ds.set(element(tags::ExtendedOffsetTableLengths, vr::OV, {}));
    }
    if (plan.lossy) {
        // PS3.3 C.7.6.1.1.5: once lossy, always marked lossy; ratio and method values accumulate.
        ds.set(text_element(tags::LossyImageCompression, vr::CS, "01"));
        std::string methods;
        if (const element* m = ds.find(tags::LossyImageCompressionMethod); m != nullptr && !m->raw_string().empty()) {
            methods = std::string(m->raw_string()) + "\\";
        }
        ds.set(text_element(tags::LossyImageCompressionMethod, vr::CS, methods + plan.lossy_method));
        if (options_.new_uid_when_lossy) {
            const std::string uid = make_uid();
            ds.set(text_element(tags::SOPInstanceUID, vr::UI, uid));
            meta.set(text_element(tags::MediaStorageSOPInstanceUID, vr::UI, uid));
        }
        // PS3.3 C.7.6.1.1.2: value 1 becomes DERIVED, the others stay. From the raw value, not strings(): an
        // Image Type read as UN (explicit VR UN, PS3.5 §6.2.2) holds the same backslash-separated text.
        if (const element* it = ds.find(tags::ImageType); it != nullptr && !it->raw_string().empty()) {
            const std::string_view value = it->raw_string();
            const std::size_t rest = value.find('\\');
            ds.set(text_element(tags::ImageType, vr::CS,
                                "DERIVED" + std::string(rest == std::string_view::npos ? "" : value.substr(rest))));
        }
    }
    return {};
}

result<void> file_writer::write_eot_placeholder(buffered_writer& out, const dataset_encoder& enc) {
    const std::uint32_t length = plan.frames * 8U;
    enc.write_header(out, tags::ExtendedOffsetTable, vr::OV, length, enc.enc());
    eot_offset_ = out.position();
    out.zeros(length);
    enc.write_header(out, tags::ExtendedOffsetTableLengths, vr::OV, length, enc.enc());
    out.zeros(length);
    return {};
}

std::optional<std::uint64_t> file_writer::hooked_size(const element& e, encoding enc) const {
    if (e.tag() == tags::ExtendedOffsetTable || e.tag() == tags::ExtendedOffsetTableLengths) {
        return plan.use_eot ? std::optional<std::uint64_t>(12 + std::uint64_t{plan.frames} * 8) : std::uint64_t{0};
    }
    if (plan.target == nullptr || plan.target->encapsulated) {
        return std::nullopt;
    }
    std::uint64_t bytes = 0;
    if (plan.copy_native) {
        bytes = plan.source->native_bytes().size();
    } else {
        const auto bits = plan.out.native_frame_bits();
        if (!bits) {
            return std::nullopt;
        }
        bytes = (*bits * plan.frames + 7) / 8;
    }
    const vr v = plan.out.bits_allocated > 8 ? vr::OW : vr::OB;
    return dataset_encoder::header_size(e.tag(), v, enc) + bytes + (bytes & 1U);
}

result<void> file_writer::write_native(const element& original, buffered_writer& out, const dataset_encoder& enc) {
    const encoding e = enc.enc();
    const frame_info& f = plan.out;
    const vr pixel_vr = f.element == pixel_data_element::float32   ? vr::OF
                        : f.element == pixel_data_element::float64 ? vr::OD
                        : f.bits_allocated > 8                     ? vr::OW
                                                                   : vr::OB;
    const tag pixel_tag = original.tag();
    if (plan.copy_native) {
        const auto bytes = plan.source->native_bytes();
        const std::size_t padded = bytes.size() + (bytes.size() & 1U);
        enc.write_header(out, pixel_tag, pixel_vr, static_cast<std::uint32_t>(padded), e);
        const std::size_t width = f.bits_allocated >= 16 ? f.bits_allocated / 8U : 1U;
        const bool swap = width > 1 && plan.source->native_big_endian() != e.big_endian;
        // 1-bit and 8-bit samples are written as OB, a byte stream: undo the source's word order by the rule the
        // reader decodes it with (a UN source, say, is not word-swapped: PS3.5 §6.2.2).
        const bool word_swapped_8bit = plan.source->native_word_swapped() && width == 1;
        if (!swap && !word_swapped_8bit) {
            // In blocks of whole frames, releasing each block's mapped pages once written: the resident set
            // stays near one block instead of growing to the whole (possibly multi-GB) element.
            const std::uint64_t frame_bytes = std::max<std::uint64_t>(1, f.native_frame_bits().value_or(8) / 8);
            const std::uint32_t per_block = static_cast<std::uint32_t>(
                std::max<std::uint64_t>(1, (std::uint64_t{8} << 20) / frame_bytes));
            const std::uint32_t count = plan.source->frame_count();
            std::size_t at = 0;
            for (std::uint32_t i = 0; i < count; i += per_block) {
                const std::uint32_t end = std::min(count, i + per_block);
                const std::size_t stop =
                    end == count ? bytes.size() : static_cast<std::size_t>(std::min<std::uint64_t>(
                                                      std::uint64_t{end} * frame_bytes, bytes.size()));
                out.put(bytes.subspan(at, stop - at));
                at = stop;
                plan.source->release_pages(i, end);
            }
            if (at < bytes.size()) {
                out.put(bytes.subspan(at));
            }
        } else {
            // Byte order changes: swap in blocks to keep memory at one block.
            constexpr std::size_t block = std::size_t{1} << 20;
            const std::uint64_t frame_bytes_hint = f.native_frame_bits().value_or(0) / 8;
            std::vector<std::byte> tmp;
            for (std::size_t at = 0; at < bytes.size(); at += block) {
                const auto part = bytes.subspan(at, std::min(block, bytes.size() - at));
                tmp.assign(part.begin(), part.end());
                if (!swap && (tmp.size() & 1U) != 0) {
                    // Odd word-swapped data ends in half a word: its other half, the pad, reads as zero (the
                    // reader's rule), so the pad is swapped in with it.
                    tmp.push_back(std::byte{0});
                }
                const std::size_t step = swap ? width : 2;
                for (std::size_t i = 0; i + step <= tmp.size(); i += step) {
                    std::reverse(tmp.begin() + static_cast<std::ptrdiff_t>(i),
                                 tmp.begin() + static_cast<std::ptrdiff_t>(i + step));
                }
                out.put(tmp);
                if (frame_bytes_hint != 0) {
                    plan.source->release_pages(static_cast<std::uint32_t>(at / frame_bytes_hint),
                                               static_cast<std::uint32_t>((at + part.size()) / frame_bytes_hint));
                }
            }
        }
        if (padded != bytes.size() && !word_swapped_8bit) {
            out.zeros(1);
        }
        frames_copied = plan.frames;
        return {};
    }
    DICOMPIX_TRY(const std::uint64_t frame_bits, f.native_frame_bits());
    const auto total_bits = detail::checked_mul(frame_bits, plan.frames);
    if (!total_bits || (*total_bits + 7) / 8 > 0xFFFFFFFEULL) {
        return failure(errc::write_error, "native Pixel Data would exceed 4 GiB; use an encapsulated transfer syntax");
    }
    const std::uint64_t bytes = (*total_bits + 7) / 8;
    const std::uint64_t padded = bytes + (bytes & 1U);
    enc.write_header(out, pixel_tag, pixel_vr, static_cast<std::uint32_t>(padded), e);
    native_packer packer(f, e.big_endian);
    std::vector<std::byte> chunk;
    std::optional<any_frame> early = std::move(plan.first_frame);
    plan.first_frame.reset();
    // Decoding runs on the workers; packing (stateful for 1-bit data) and writing stay here, in order.
    const auto produce = [&](std::uint32_t i) -> result<any_frame> {
        if (i == 0 && early) {
            return std::move(*early);
        }
        return plan_frame(plan, i);
    };
    const auto consume = [&](std::uint32_t i, any_frame&& frame) -> result<void> {
        if (frame.meta().photometric_interpretation != f.photometric_interpretation && plan.source != nullptr &&
            frame.meta().photometric_interpretation != photometric::unknown) {
            return failure(errc::inconsistent_dataset,
                           "frame " + std::to_string(i) + " decodes to " +
                               std::string(to_string(frame.meta().photometric_interpretation)) + ", frame 0 to " +
                               std::string(to_string(f.photometric_interpretation)));
        }
        chunk.clear();
        packer.pack(frame, chunk);
        if (i + 1 == plan.frames) {
            packer.finish(chunk);
        }
        out.put(chunk);
        ++frames_encoded;
        if (plan.source != nullptr && i < plan.source->frame_count()) {
            plan.source->release_pages(i, i + 1);
        }
        return {};
    };
    if (plan.source != nullptr) {
        plan.source->release_pages(0, plan.source->frame_count()); // as in write_encapsulated
    }
    DICOMPIX_TRY_VOID(detail::ordered_parallel<any_frame>(0, plan.frames, frame_threads(), 2 * frame_threads(),
                                                          produce, consume));
    if (padded != bytes) {
        out.zeros(1);
    }
    return {};
}

result<void> file_writer::write_encapsulated(buffered_writer& out, const dataset_encoder& enc) {
    const encoding e{true, false}; // encapsulated transfer syntaxes are explicit VR little endian
    enc.write_header(out, tags::PixelData, vr::OB, undefined_length, e);
    const bool patchable = out.sink().can_patch();
    const bool bot = plan.use_bot && patchable;
    enc.write_header(out, item_tag, vr::unknown, bot ? plan.frames * 4U : 0U, e);
    bot_offset_ = out.position();
    if (bot) {
        out.zeros(plan.frames * 4U);
    }
    const std::uint64_t first_item = out.position();
    frame_offsets_.assign(plan.frames, 0);
    frame_lengths_.assign(plan.frames, 0);
    // One fragment item holding `pieces` back to back, padded to even length (PS3.5 §A.4).
    const auto put_fragment = [&](std::span<const std::span<const std::byte>> pieces) {
        std::uint64_t length = 0;
        for (const auto& piece : pieces) {
            length += piece.size();
        }
        const std::uint64_t padded = length + (length & 1U);
        enc.write_header(out, item_tag, vr::unknown, static_cast<std::uint32_t>(padded), e);
        for (const auto& piece : pieces) {
            out.put(piece);
        }
        if (padded != length) {
            out.zeros(1);
        }
    };
    // Frames are decoded and encoded by workers (options_.threads) and written here in order, each one's
    // source pages released once written, so memory stays near the reorder window whatever the file size.
    struct prepared {
        encoded_frame encoded;
        std::uint64_t raw_bytes{0};
        bool copy{false};
        bool early{false};
    };
    const std::optional<std::uint32_t> ahead_index =
        plan.ahead ? std::optional<std::uint32_t>(plan.ahead->first) : std::nullopt;
    const auto produce = [&](std::uint32_t i) -> result<prepared> {
        prepared p;
        if (plan.copy_encapsulated && !source_frame_changed(plan, i)) {
            p.copy = true;
        } else if (ahead_index == i) {
            p.early = true; // encoded while planning; taken from plan.ahead in consume (one thread)
        } else {
            DICOMPIX_TRY(const any_frame frame, plan_frame(plan, i));
            DICOMPIX_TRY(p.encoded, encode_frame(plan, frame, options_));
            p.raw_bytes = frame.bytes().size();
        }
        return p;
    };
    const auto consume = [&](std::uint32_t i, prepared&& p) -> result<void> {
        frame_offsets_[i] = out.position() - first_item;
        const std::uint64_t frame_start = out.position();
        if (p.copy) {
            // Byte-identical copy of the frame's fragments.
            const auto index = plan.source->frame_index()[i];
            const auto frags = plan.source->fragments().subspan(index.first, index.count);
            // A pad byte after an odd fragment that is not the frame's last would land inside the
            // codestream (e.g. shifting RLE segment offsets); such a frame's fragments are joined into
            // one, padded once at its end.
            std::vector<std::span<const std::byte>> pieces;
            std::uint64_t joined = 0;
            bool odd_inside = false;
            for (std::size_t k = 0; k < frags.size(); ++k) {
                pieces.push_back(frags[k].bytes);
                joined += frags[k].bytes.size();
                odd_inside = odd_inside || ((frags[k].bytes.size() & 1U) != 0 && k + 1 < frags.size());
            }
            if (odd_inside && joined < 0xFFFFFFFEULL) {
                warnings_.push_back(warning{frags[0].offset, "(7FE0,0010)",
                                            "frame " + std::to_string(i) + ": " + std::to_string(frags.size()) +
                                                " fragments, some of odd length, joined into one fragment"});
                put_fragment(pieces);
            } else {
                for (std::size_t k = 0; k < frags.size(); ++k) {
                    if ((frags[k].bytes.size() & 1U) != 0) {
                        warnings_.push_back(
                            warning{frags[k].offset, "(7FE0,0010)", "odd-length fragment padded to even length"});
                    }
                    put_fragment(std::span(pieces).subspan(k, 1));
                }
            }
            ++frames_copied;
        } else {
            if (p.early) {
                p.encoded = std::move(plan.ahead->second);
                plan.ahead.reset();
            } else {
                encoded_raw_bytes += p.raw_bytes;
                if (p.encoded.colour != plan.colour) {
                    return failure(errc::inconsistent_dataset,
                                   "frame " + std::to_string(i) + " encodes to " +
                                       std::string(to_string(p.encoded.colour)) + ", frame 0 to " +
                                       std::string(to_string(plan.colour)));
                }
            }
            encoded_bytes += p.encoded.codestream.size();
            const std::span<const std::byte> codestream = p.encoded.codestream;
            put_fragment({&codestream, 1});
            ++frames_encoded;
        }
        frame_lengths_[i] = out.position() - frame_start;
        if (plan.source != nullptr && i < plan.source->frame_count()) {
            plan.source->release_pages(i, i + 1);
        }
        return {};
    };
    if (plan.source != nullptr) {
        // Drop the source pages the parser mapped while indexing fragments (the kernel maps up to 64 KiB
        // around each item header it touched): from here on only the frames in flight are resident.
        plan.source->release_pages(0, plan.source->frame_count());
    }
    DICOMPIX_TRY_VOID(detail::ordered_parallel<prepared>(0, plan.frames, frame_threads(), 2 * frame_threads(), produce,
                                                         consume));
    enc.write_header(out, sequence_delimitation_tag, vr::unknown, 0, e);
    if (frame_offsets_.back() > 0xFFFFFFFFULL && bot) {
        return failure(errc::write_error, "frame offsets exceed 32 bits: write with offset_table::extended");
    }
    return {};
}

result<void> file_writer::write_pixel_element(const element& original, buffered_writer& out,
                                              const dataset_encoder& enc) {
    if (plan.target->encapsulated) {
        return write_encapsulated(out, enc);
    }
    return write_native(original, out, enc);
}

result<void> file_writer::patch_tables(buffered_writer& out) {
    DICOMPIX_TRY_VOID(out.flush());
    byte_sink& sink = out.sink();
    if (!sink.can_patch() || !plan.target || !plan.target->encapsulated || frame_offsets_.empty()) {
        return {};
    }
    if (plan.use_bot) {
        std::vector<std::byte> table(frame_offsets_.size() * 4);
        for (std::size_t i = 0; i < frame_offsets_.size(); ++i) {
            const auto v = static_cast<std::uint32_t>(frame_offsets_[i]);
            for (std::size_t b = 0; b < 4; ++b) {
                table[i * 4 + b] = static_cast<std::byte>((v >> (8 * b)) & 0xFFU);
            }
        }
        DICOMPIX_TRY_VOID(sink.patch(bot_offset_, table));
    }
    if (plan.use_eot) {
        // Extended Offset Table Lengths hold each frame's length without its item headers (PS3.3 C.7.6.3.1.8):
        // for the one-fragment frames written here, the fragment value length.
        std::vector<std::byte> table(frame_offsets_.size() * 8);
        std::vector<std::byte> lengths(frame_offsets_.size() * 8);
        for (std::size_t i = 0; i < frame_offsets_.size(); ++i) {
            const std::uint64_t len = frame_lengths_[i] >= 8 ? frame_lengths_[i] - 8 : 0;
            for (std::size_t b = 0; b < 8; ++b) {
                table[i * 8 + b] = static_cast<std::byte>((frame_offsets_[i] >> (8 * b)) & 0xFFU);
                lengths[i * 8 + b] = static_cast<std::byte>((len >> (8 * b)) & 0xFFU);
            }
        }
        DICOMPIX_TRY_VOID(sink.patch(eot_offset_, table));
        DICOMPIX_TRY_VOID(sink.patch(eot_offset_ + table.size() + 12, lengths));
    }
    return {};
}

std::string_view trim_uid(std::string_view s) {
    while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) {
        s.remove_suffix(1);
    }
    return s;
}

/// File Meta Elements found in the dataset body (a malformed input whose meta group ended early) move to
/// the meta group, where they belong (PS3.10 §7.1; PS3.5 §7.1: group 0002 is never in the Data Set).
/// A value the meta group already has wins. Written in the body they would be read back as meta.
void move_stray_meta(dataset& ds, dataset& meta, std::vector<warning>& warnings) {
    std::vector<tag> stray;
    for (const element& e : ds) {
        if (e.tag().group() == 0x0002) {
            stray.push_back(e.tag());
        }
    }
    for (const tag t : stray) {
        if (const element* e = ds.find(t); e != nullptr) {
            if (!meta.contains(t)) {
                meta.set(*e);
            }
            warnings.push_back(warning{e->offset(), t.to_string(), "file meta element in the dataset moved to the meta group"});
        }
        while (ds.erase(t)) {
        }
    }
}

/// PS3.10 §7.1: the meta group is explicit VR little endian, and readers that end it where the group number
/// changes (dicompix, pydicom) read the first tag of a big endian dataset in little endian too. Group 0200 is
/// written 02 00 and reads as group 0002: that element would be taken for meta (fuzz-roundtrip-af3c6bc6, a
/// recomputed (0200,0000) read as (0002,0000) whose length runs past the end). A retired group length (PS3.5
/// §7.2) there is dropped; any other element of group 0200 cannot come first.
result<void> check_big_endian_start(dataset& ds, std::vector<warning>& warnings) {
    constexpr std::uint16_t reads_as_meta = 0x0200;
    const auto first = [&ds]() -> const element* {
        const element* lowest = nullptr;
        for (const element& e : ds) {
            if (lowest == nullptr || e.tag() < lowest->tag()) {
                lowest = &e;
            }
        }
        return lowest;
    };
    const element* e = first();
    if (e == nullptr || e->tag().group() != reads_as_meta) {
        return {};
    }
    const tag group_length{reads_as_meta, 0x0000};
    if (e->tag() == group_length) {
        warnings.push_back(warning{e->offset(), group_length.to_string(),
                                   "group length dropped: first in a big endian dataset it reads as (0002,0000)"});
        while (ds.erase(group_length)) {
        }
        e = first();
    }
    if (e != nullptr && e->tag().group() == reads_as_meta) {
        return failure(errc::inconsistent_dataset,
                       e->tag().to_string() + " cannot start a big endian dataset: after the meta group it reads as "
                                              "an element of group 0002");
    }
    return {};
}

/// The regenerated file meta group (PS3.10 §7.1).
dataset make_meta(const dataset& source_meta, const dataset& ds, std::string_view ts_uid, const write_options& options,
                  std::vector<warning>& warnings) {
    dataset meta;
    for (const element& e : source_meta) {
        const auto el = e.tag().element();
        // Keep what describes the source (e.g. Source Application Entity Title); regenerate the rest.
        if (e.tag().group() == 0x0002 && el != 0x0000 && el != 0x0001 && el != 0x0002 && el != 0x0003 &&
            el != 0x0010 && el != 0x0012 && el != 0x0013) {
            if (!e.items().empty() || e.is_encapsulated()) {
                // Meta elements are read flat (PS3.10 §7.1 has no sequence in the group): a UN sequence would
                // be written with undefined length, which no meta reader can skip, and an SQ read back as bytes.
                warnings.push_back(
                    warning{e.offset(), e.tag().to_string(), "file meta element holding items or fragments dropped"});
                continue;
            }
            meta.set(e);
        }
    }
    const std::byte version[2] = {std::byte{0}, std::byte{1}};
    meta.set(element::owning(tags::FileMetaInformationVersion, vr::OB, {version, version + 2}));
    if (const element* sop = ds.find(tags::SOPClassUID); sop != nullptr) {
        meta.set(text_element(tags::MediaStorageSOPClassUID, vr::UI, trim_uid(sop->raw_string())));
    } else if (const element* old = source_meta.find(tags::MediaStorageSOPClassUID); old != nullptr) {
        meta.set(text_element(tags::MediaStorageSOPClassUID, vr::UI, trim_uid(old->raw_string())));
    }
    if (const element* sop = ds.find(tags::SOPInstanceUID); sop != nullptr) {
        meta.set(text_element(tags::MediaStorageSOPInstanceUID, vr::UI, trim_uid(sop->raw_string())));
    } else if (const element* old = source_meta.find(tags::MediaStorageSOPInstanceUID); old != nullptr) {
        meta.set(text_element(tags::MediaStorageSOPInstanceUID, vr::UI, trim_uid(old->raw_string())));
    }
    meta.set(text_element(tags::TransferSyntaxUID, vr::UI, ts_uid));
    meta.set(text_element(tags::ImplementationClassUID, vr::UI, "1.2.826.0.1.3680043.10.1045.1"));
    meta.set(text_element(tags::ImplementationVersionName, vr::SH, options.implementation_version));
    return meta;
}

result<void> write_meta(const dataset& meta, buffered_writer& out, std::vector<warning>& warnings) {
    const std::array<std::byte, 128> preamble{};
    out.put(preamble);
    const std::byte dicm[4] = {std::byte{'D'}, std::byte{'I'}, std::byte{'C'}, std::byte{'M'}};
    out.put(dicm);
    dataset_encoder enc({true, false}, false, warnings);
    const std::uint64_t length = enc.dataset_size(meta, {true, false});
    enc.write_header(out, tags::FileMetaInformationGroupLength, vr::UL, 4, {true, false});
    out.put32(static_cast<std::uint32_t>(length), false);
    return enc.write_dataset(meta, out);
}

const transfer_syntax* resolve_target(const dicom_file& file, const write_options& options, std::string& uid) {
    if (options.transfer_syntax.empty()) {
        uid = std::string(file.transfer_syntax_uid());
        const transfer_syntax* ts = find_transfer_syntax(uid);
        if (ts == nullptr) {
            // An unknown (private or corrupt) UID: the dataset was read with a detected encoding, so it is
            // written in that encoding under that encoding's UID. Keeping the unknown UID would make
            // readers guess again (fuzz-roundtrip-6d44d041: the guess flipped to big endian).
            ts = file.transfer_syntax();
            if (ts != nullptr) {
                uid = std::string(ts->uid);
            }
        }
        return ts;
    }
    const transfer_syntax* ts = find_transfer_syntax_by_name(options.transfer_syntax);
    if (ts != nullptr) {
        uid = std::string(ts->uid);
    }
    return ts;
}

result<write_report> write_impl(const dicom_file& file, byte_sink& sink, const write_options& options,
                                const pixel_edits* edits) {
    write_report report;
    std::string uid;
    const transfer_syntax* target = resolve_target(file, options, uid);
    if (target == nullptr) {
        return failure(errc::unsupported_transfer_syntax, "unknown transfer syntax '" + options.transfer_syntax + "'");
    }
    if (target->uid.starts_with("1.2.840.10008.1.2.4.10") || target->uid == "1.2.840.10008.1.2.4.94" ||
        target->uid == "1.2.840.10008.1.2.4.95") {
        return failure(errc::unsupported_transfer_syntax, "dicompix does not write " + std::string(target->name));
    }
    report.transfer_syntax_uid = uid;
    if (options.transfer_syntax.empty() && uid != file.transfer_syntax_uid()) {
        report.warnings.push_back(warning{~std::uint64_t{0}, "(0002,0010)",
                                          "unknown transfer syntax " + std::string(file.transfer_syntax_uid()) +
                                              " written as " + uid + ", the encoding it was read with"});
    }

    file_writer writer(options, report.warnings);
    std::optional<pixel_data> own_pixels;
    std::optional<pixel_edits> own_edits;
    const element* pixel_element = nullptr;
    for (const tag t : {tags::PixelData, tags::FloatPixelData, tags::DoubleFloatPixelData}) {
        if ((pixel_element = file.dataset().find(t)) != nullptr) {
            break;
        }
    }
    const bool source_encapsulated = pixel_element != nullptr && pixel_element->is_encapsulated();
    const bool needs_pixels = edits != nullptr || (pixel_element != nullptr &&
                                                   (target->encapsulated || source_encapsulated ||
                                                    target->uid != file.transfer_syntax_uid()));
    if (pixel_element != nullptr && edits == nullptr) {
        // Pixel data is planned even when nothing changes, so that byte order, VR and padding are right.
        pixel_options popt;
        popt.registry = options.registry;
        popt.limits = options.limits;
        auto opened = pixel_data::open(file, popt);
        if (!opened) {
            if (needs_pixels || target->uid != file.transfer_syntax_uid()) {
                return failure(std::move(opened).error());
            }
            report.warnings.push_back(warning{pixel_element->offset(), "(7FE0,0010)",
                                              "pixel data written as read: " + opened.error().message});
        } else {
            own_pixels.emplace(std::move(*opened));
            own_edits.emplace(*own_pixels);
            edits = &*own_edits;
        }
    }
    if (edits != nullptr) {
        DICOMPIX_TRY_VOID(writer.plan_pixels(edits, target, uid));
    }

    dataset ds = file.dataset();
    dataset source_meta = file.meta();
    move_stray_meta(ds, source_meta, report.warnings);
    DICOMPIX_TRY_VOID(writer.update_attributes(ds, source_meta));
    const dataset meta = make_meta(source_meta, ds, uid, options, report.warnings);

    const encoding enc{target->explicit_vr, target->big_endian};
    const bool planned = edits != nullptr;
    // The ratio placeholder: written before pixel data, patched when the real byte counts are known.
    const bool lossy_here = writer.plan.lossy;
    const auto hooked = [&](tag t) {
        return (planned &&
                (is_pixel_tag(t) || t == tags::ExtendedOffsetTable || t == tags::ExtendedOffsetTableLengths)) ||
               (lossy_here && t == tags::LossyImageCompressionRatio);
    };
    std::uint64_t ratio_value_offset = 0;
    std::size_t ratio_prefix = 0;
    if (lossy_here) {
        std::string ratios;
        if (const element* r = ds.find(tags::LossyImageCompressionRatio); r != nullptr && !r->raw_string().empty()) {
            ratios = std::string(r->raw_string()) + "\\";
        }
        ratio_prefix = ratios.size();
        ds.set(text_element(tags::LossyImageCompressionRatio, vr::DS, ratios + std::string(16, ' ')));
    }

    if (options.part10 && target->big_endian) {
        DICOMPIX_TRY_VOID(check_big_endian_start(ds, report.warnings));
    }

    const auto body = [&](byte_sink& out_sink) -> result<void> {
        buffered_writer out(out_sink);
        dataset_encoder encoder(enc, options.undefined_length_sequences, report.warnings);
        const auto hook = [&](const element& e, buffered_writer& w) -> result<void> {
            if (e.tag() == tags::ExtendedOffsetTable) {
                return writer.plan.use_eot ? writer.write_eot_placeholder(w, encoder) : result<void>{};
            }
            if (e.tag() == tags::ExtendedOffsetTableLengths) {
                return {};
            }
            if (e.tag() == tags::LossyImageCompressionRatio) {
                // Where the value lands is taken from what was written: a size predicted from the dataset missed
                // the group lengths the encoder recomputes or drops (a (0028,0000) of 12 bytes, or two).
                DICOMPIX_TRY_VOID(encoder.write_element(e, w, enc));
                const std::size_t value = e.bytes().size();
                ratio_value_offset = w.position() - (value + (value & 1U)) + ratio_prefix;
                return {};
            }
            return writer.write_pixel_element(e, w, encoder);
        };
        const auto size_of = [&](const element& e) -> std::optional<std::uint64_t> {
            if (e.tag() == tags::LossyImageCompressionRatio) {
                return encoder.element_size(e, enc);
            }
            return writer.hooked_size(e, enc);
        };
        DICOMPIX_TRY_VOID(encoder.write_dataset(ds, out, hooked, hook, size_of));
        DICOMPIX_TRY_VOID(writer.patch_tables(out));
        if (lossy_here && writer.encoded_bytes > 0) {
            const double ratio = static_cast<double>(writer.encoded_raw_bytes) / static_cast<double>(writer.encoded_bytes);
            std::string text = format_ds(ratio);
            text.resize(16, ' ');
            std::vector<std::byte> bytes(text.size());
            std::memcpy(bytes.data(), text.data(), text.size());
            if (out_sink.can_patch()) {
                DICOMPIX_TRY_VOID(out_sink.patch(ratio_value_offset, bytes));
            }
            report.compression_ratio = ratio;
        }
        return out.flush();
    };

    buffered_writer head(sink);
    if (options.part10) {
        DICOMPIX_TRY_VOID(write_meta(meta, head, report.warnings));
    }
    DICOMPIX_TRY_VOID(head.flush());
    if (target->deflated) {
        // PS3.5 §A.5: everything after the meta group is deflated (raw RFC 1951).
        memory_sink plain;
        DICOMPIX_TRY_VOID(body(plain));
        DICOMPIX_TRY(std::vector<std::byte> deflated, detail::deflate_raw(plain.bytes(), options.deflate_level));
        if ((deflated.size() & 1U) != 0) {
            deflated.push_back(std::byte{0});
        }
        DICOMPIX_TRY_VOID(sink.write(deflated));
    } else {
        DICOMPIX_TRY_VOID(body(sink));
    }
    report.bytes_written = sink.position();
    report.frames_copied = writer.frames_copied;
    report.frames_encoded = writer.frames_encoded;
    report.lossy = writer.plan.lossy;
    return report;
}

} // namespace

result<write_report> write(const dicom_file& file, byte_sink& out, const write_options& options,
                           const pixel_edits* edits) {
    return write_impl(file, out, options, edits);
}

result<write_report> write_file(const dicom_file& file, const std::filesystem::path& path,
                                const write_options& options, const pixel_edits* edits) {
    const std::filesystem::path temporary = path.string() + ".dicompix-tmp";
    DICOMPIX_TRY(std::unique_ptr<file_sink> sink, file_sink::open(temporary));
    auto report = write_impl(file, *sink, options, edits);
    auto closed = sink->close();
    if (!report || !closed) {
        std::error_code ec;
        std::filesystem::remove(temporary, ec);
        return report ? failure(std::move(closed).error()) : std::move(report);
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        std::filesystem::remove(temporary, ec);
        return failure(errc::io_error, "cannot rename to " + path.string() + ": " + ec.message());
    }
    return report;
}

result<write_report> write_dataset(const dataset& meta, const dataset& ds, byte_sink& out,
                                   const write_options& options) {
    write_report report;
    std::string uid = options.transfer_syntax.empty() ? std::string(uids::explicit_vr_little_endian)
                                                      : options.transfer_syntax;
    const transfer_syntax* ts = find_transfer_syntax_by_name(uid);
    if (ts == nullptr) {
        return failure(errc::unsupported_transfer_syntax, "unknown transfer syntax '" + uid + "'");
    }
    uid = std::string(ts->uid);
    report.transfer_syntax_uid = uid;
    dataset body = ds;
    dataset source_meta = meta;
    move_stray_meta(body, source_meta, report.warnings);
    if (options.part10 && ts->big_endian) {
        DICOMPIX_TRY_VOID(check_big_endian_start(body, report.warnings));
    }
    buffered_writer w(out);
    if (options.part10) {
        DICOMPIX_TRY_VOID(write_meta(make_meta(source_meta, body, uid, options, report.warnings), w, report.warnings));
    }
    dataset_encoder encoder({ts->explicit_vr, ts->big_endian}, options.undefined_length_sequences, report.warnings);
    if (ts->deflated) {
        DICOMPIX_TRY_VOID(w.flush());
        memory_sink plain;
        buffered_writer pw(plain);
        DICOMPIX_TRY_VOID(encoder.write_dataset(body, pw));
        DICOMPIX_TRY_VOID(pw.flush());
        DICOMPIX_TRY(std::vector<std::byte> deflated, detail::deflate_raw(plain.bytes(), options.deflate_level));
        DICOMPIX_TRY_VOID(out.write(deflated));
    } else {
        DICOMPIX_TRY_VOID(encoder.write_dataset(body, w));
        DICOMPIX_TRY_VOID(w.flush());
    }
    report.bytes_written = out.position();
    return report;
}

} // namespace dicompix
