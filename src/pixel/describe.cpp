// SPDX-License-Identifier: BSD-3-Clause
// Reads and validates the Image Pixel module (PS3.3 C.7.6.3) before anything is allocated.
#include <string>

#include "dicompix/pixel.hpp"
#include "dicompix/tags.hpp"
#include "io/checked_math.hpp"

namespace dicompix {
namespace {

struct describer {
    const dataset& ds;
    const parse_options& options;
    std::vector<warning>* warnings;

    failure invalid(std::string message) const {
        return failure(errc::invalid_pixel_description, std::move(message));
    }
    result<void> recover(std::string message) const {
        if (options.strict) {
            return invalid(std::move(message));
        }
        if (warnings != nullptr) {
            warnings->push_back(warning{~std::uint64_t{0}, {}, std::move(message)});
        }
        return {};
    }
    /// An unsigned integer attribute; `fallback` when absent (nullopt: required).
    result<std::int64_t> integer(tag t, std::string_view name, std::optional<std::int64_t> fallback) const {
        const element* e = ds.find(t);
        if (e == nullptr || e->value_count() == 0) {
            if (!fallback) {
                return invalid(std::string(name) + " " + t.to_string() + " is missing");
            }
            DICOMPIX_TRY_VOID(recover(std::string(name) + " " + t.to_string() + " is missing; " +
                                      std::to_string(*fallback) + " assumed"));
            return *fallback;
        }
        auto v = e->to_int();
        if (!v) {
            return invalid(std::string(name) + " " + t.to_string() + " is not an integer: " + v.error().message);
        }
        return *v;
    }
};

} // namespace

result<pixel_description> describe_pixels(const dataset& ds, std::string_view transfer_syntax_uid,
                                          const parse_options& options, std::vector<warning>* warnings) {
    const describer d{ds, options, warnings};
    pixel_description desc;
    desc.transfer_syntax_uid = std::string(transfer_syntax_uid);
    frame_info& f = desc.frame;

    const element* pixels = ds.find(tags::PixelData);
    if (pixels != nullptr) {
        f.element = pixel_data_element::integer;
    } else if ((pixels = ds.find(tags::FloatPixelData)) != nullptr) {
        f.element = pixel_data_element::float32;
    } else if ((pixels = ds.find(tags::DoubleFloatPixelData)) != nullptr) {
        f.element = pixel_data_element::float64;
    } else {
        return failure(errc::no_pixel_data, "the dataset has no Pixel Data, Float Pixel Data or Double Float Pixel Data");
    }
    desc.encapsulated = pixels->is_encapsulated();

    DICOMPIX_TRY(const std::int64_t rows, d.integer(tags::Rows, "Rows", std::nullopt));
    DICOMPIX_TRY(const std::int64_t columns, d.integer(tags::Columns, "Columns", std::nullopt));
    if (rows < 1 || rows > 65535 || columns < 1 || columns > 65535) {
        return d.invalid("Rows " + std::to_string(rows) + " x Columns " + std::to_string(columns) +
                         " is outside 1..65535");
    }
    f.rows = static_cast<std::uint32_t>(rows);
    f.columns = static_cast<std::uint32_t>(columns);

    // Photometric Interpretation first: it gives a sensible default for a missing Samples per Pixel.
    const element* pi_element = ds.find(tags::PhotometricInterpretation);
    if (pi_element != nullptr && pi_element->value_count() > 0) {
        desc.photometric_text = std::string(pi_element->string().value_or(std::string_view{}));
    }
    f.photometric_interpretation = parse_photometric(desc.photometric_text);

    const std::int64_t default_spp =
        f.photometric_interpretation == photometric::unknown ? 1 : required_samples(f.photometric_interpretation);
    DICOMPIX_TRY(const std::int64_t spp, d.integer(tags::SamplesPerPixel, "Samples per Pixel", default_spp));
    if (spp != 1 && spp != 3 && spp != 4) {
        return d.invalid("Samples per Pixel " + std::to_string(spp) + " is not 1, 3 or 4");
    }
    f.samples_per_pixel = static_cast<std::uint16_t>(spp);
    if (f.photometric_interpretation == photometric::unknown) {
        const photometric guess = spp == 1 ? photometric::monochrome2 : photometric::rgb;
        DICOMPIX_TRY_VOID(d.recover("Photometric Interpretation '" + desc.photometric_text + "' is not recognised; " +
                                    std::string(to_string(guess)) + " assumed"));
        f.photometric_interpretation = guess;
    } else if (required_samples(f.photometric_interpretation) != spp) {
        return d.invalid("Photometric Interpretation " + desc.photometric_text + " needs " +
                         std::to_string(required_samples(f.photometric_interpretation)) +
                         " samples per pixel, Samples per Pixel is " + std::to_string(spp));
    }

    const std::int64_t float_bits = f.element == pixel_data_element::float32 ? 32 : 64;
    const bool is_float = f.element != pixel_data_element::integer;
    DICOMPIX_TRY(const std::int64_t ba, d.integer(tags::BitsAllocated, "Bits Allocated",
                                                  is_float ? std::optional<std::int64_t>(float_bits) : std::nullopt));
    if (is_float ? ba != float_bits : (ba != 1 && ba != 8 && ba != 16 && ba != 32 && ba != 64)) {
        return d.invalid("Bits Allocated " + std::to_string(ba) + " is not supported" +
                         (is_float ? " for " + std::to_string(float_bits) + "-bit float pixel data"
                                   : std::string(" (1, 8, 16, 32 or 64)")));
    }
    f.bits_allocated = static_cast<std::uint16_t>(ba);
    // Float pixel data has no Bits Stored / High Bit / Pixel Representation (PS3.3 C.7.6.24).
    const std::optional<std::int64_t> default_bs = ba;
    std::int64_t bs = ba;
    if (!is_float || ds.contains(tags::BitsStored)) {
        DICOMPIX_TRY(bs, d.integer(tags::BitsStored, "Bits Stored", default_bs));
    }
    if (bs < 1 || bs > ba) {
        return d.invalid("Bits Stored " + std::to_string(bs) + " is outside 1..Bits Allocated (" + std::to_string(ba) + ")");
    }
    f.bits_stored = static_cast<std::uint16_t>(bs);
    std::int64_t hb = bs - 1;
    if (ds.contains(tags::HighBit) || !is_float) {
        DICOMPIX_TRY(hb, d.integer(tags::HighBit, "High Bit", bs - 1));
    }
    if (hb != bs - 1) {
        if (hb < bs - 1 || hb >= ba) {
            return d.invalid("High Bit " + std::to_string(hb) + " is impossible with Bits Stored " + std::to_string(bs) +
                             " and Bits Allocated " + std::to_string(ba));
        }
        DICOMPIX_TRY_VOID(d.recover("High Bit " + std::to_string(hb) + " is not Bits Stored - 1 (" +
                                    std::to_string(bs - 1) + "); samples are shifted down"));
    }
    f.high_bit = static_cast<std::uint16_t>(hb);
    std::int64_t pr = 0;
    if (!is_float) {
        DICOMPIX_TRY(pr, d.integer(tags::PixelRepresentation, "Pixel Representation", 0));
        if (pr != 0 && pr != 1) {
            return d.invalid("Pixel Representation " + std::to_string(pr) + " is not 0 or 1");
        }
    }
    f.is_signed = pr == 1;

    if (spp > 1) {
        DICOMPIX_TRY(const std::int64_t pc, d.integer(tags::PlanarConfiguration, "Planar Configuration", 0));
        if (pc != 0 && pc != 1) {
            return d.invalid("Planar Configuration " + std::to_string(pc) + " is not 0 or 1");
        }
        f.planar_configuration = static_cast<std::uint16_t>(pc);
    }
    if (ba == 1 && spp != 1) {
        return d.invalid("Bits Allocated 1 needs Samples per Pixel 1");
    }

    const element* frames = ds.find(tags::NumberOfFrames);
    std::int64_t number_of_frames = 1;
    if (frames != nullptr && frames->value_count() > 0) {
        auto n = frames->to_int();
        if (!n) {
            DICOMPIX_TRY_VOID(d.recover("Number of Frames is not an integer; 1 assumed"));
        } else if (*n < 1) {
            DICOMPIX_TRY_VOID(d.recover("Number of Frames " + std::to_string(*n) + " is not positive; 1 assumed"));
        } else {
            number_of_frames = *n;
        }
    }
    if (number_of_frames > options.limits.max_frames) {
        return failure(errc::limit_exceeded, "Number of Frames " + std::to_string(number_of_frames) +
                                                 " exceeds the limit of " + std::to_string(options.limits.max_frames));
    }
    desc.number_of_frames = static_cast<std::uint32_t>(number_of_frames);

    DICOMPIX_TRY(const std::uint64_t frame_bytes, f.decoded_frame_bytes());
    if (frame_bytes > options.limits.max_frame_bytes) {
        return failure(errc::limit_exceeded, "a decoded frame of " + std::to_string(frame_bytes) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(options.limits.max_frame_bytes));
    }
    const auto total = detail::checked_mul(frame_bytes, desc.number_of_frames);
    if (!total || *total > options.limits.max_total_decoded_bytes) {
        return failure(errc::limit_exceeded, "decoded pixel data of " + std::to_string(frame_bytes) + " x " +
                                                 std::to_string(desc.number_of_frames) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(options.limits.max_total_decoded_bytes));
    }
    return desc;
}

} // namespace dicompix
