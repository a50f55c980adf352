// SPDX-License-Identifier: BSD-3-Clause
// Test images for the display pipeline: a small Image Pixel module plus any extra elements (LUTs, windows,
// functional groups, overlays), written in tag order by dicom_builder and parsed back.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "dicompix/parser.hpp"
#include "dicompix/pixel.hpp"
#include "dicompix/render.hpp"
#include "dicompix/tags.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix::test {

/// Values as bytes of the given width and byte order.
template <class T>
bytes encode(const std::vector<T>& values, bool big_endian = false) {
    // Sized once and filled in place (GCC 12 at -O3 reports a false -Wstringop-overflow for a growing insert).
    bytes out(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::byte* raw = out.data() + i * sizeof(T);
        std::memcpy(raw, &values[i], sizeof(T));
        if (big_endian != (std::endian::native == std::endian::big)) {
            std::reverse(raw, raw + sizeof(T));
        }
    }
    return out;
}

struct test_image {
    std::uint16_t rows{1};
    std::uint16_t columns{1};
    std::uint16_t samples{1};
    std::uint16_t bits_allocated{8};
    std::uint16_t bits_stored{8};
    std::uint16_t pixel_representation{0};
    std::string photometric{"MONOCHROME2"};
    std::string frames; ///< Number of Frames as text (empty: absent)
    bool big_endian{false};
    bytes pixels;
    /// Extra elements: tag, writer. Written with the module in ascending tag order.
    std::vector<std::pair<tag, std::function<void(dicom_builder&)>>> extra;

    test_image& add(tag t, std::function<void(dicom_builder&)> f) {
        extra.emplace_back(t, std::move(f));
        return *this;
    }
    test_image& ds(tag t, std::string_view value) {
        std::string v(value);
        return add(t, [t, v](dicom_builder& b) { b.str(t, vr::DS, v); });
    }
    test_image& cs(tag t, std::string_view value) {
        std::string v(value);
        return add(t, [t, v](dicom_builder& b) { b.str(t, vr::CS, v); });
    }
};

inline bytes build(const test_image& im) {
    std::vector<std::pair<tag, std::function<void(dicom_builder&)>>> items = im.extra;
    const auto us = [&](tag t, std::uint16_t v) { items.emplace_back(t, [t, v](dicom_builder& b) { b.us(t, {v}); }); };
    us(tags::SamplesPerPixel, im.samples);
    {
        const std::string pi = im.photometric;
        items.emplace_back(tags::PhotometricInterpretation,
                           [pi](dicom_builder& b) { b.str(tags::PhotometricInterpretation, vr::CS, pi); });
    }
    if (im.samples > 1) {
        us(tags::PlanarConfiguration, 0);
    }
    if (!im.frames.empty()) {
        const std::string n = im.frames;
        items.emplace_back(tags::NumberOfFrames, [n](dicom_builder& b) { b.str(tags::NumberOfFrames, vr::IS, n); });
    }
    us(tags::Rows, im.rows);
    us(tags::Columns, im.columns);
    us(tags::BitsAllocated, im.bits_allocated);
    us(tags::BitsStored, im.bits_stored);
    us(tags::HighBit, static_cast<std::uint16_t>(im.bits_stored - 1));
    us(tags::PixelRepresentation, im.pixel_representation);
    {
        const bytes px = im.pixels;
        const vr v = im.bits_allocated > 8 ? vr::OW : vr::OB;
        items.emplace_back(tags::PixelData, [px, v](dicom_builder& b) { b.element(tags::PixelData, v, px); });
    }
    std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    dicom_builder b(true, im.big_endian);
    for (const auto& [t, f] : items) {
        f(b);
    }
    return dicom_builder::part10(b.data(), im.big_endian ? "1.2.840.10008.1.2.2" : "1.2.840.10008.1.2.1");
}

/// A parsed test image with its pixel data.
struct opened_image {
    dicom_file file;
    pixel_data pixels;
};

inline opened_image open_image(const test_image& im) {
    auto file = read_bytes(byte_source::adopt(build(im)));
    EXPECT_TRUE(file) << file.error().to_string();
    auto pixels = pixel_data::open(*file);
    EXPECT_TRUE(pixels) << pixels.error().to_string();
    return {std::move(*file), std::move(*pixels)};
}

/// Renders frame `index` of the image with `options`; an empty vector (and a test failure) on error.
inline std::vector<std::uint16_t> render(const test_image& im, const render_options& options = {},
                                         std::uint32_t index = 0, std::vector<warning>* warnings = nullptr) {
    auto o = open_image(im);
    auto pipeline = display_pipeline::create(o.file, o.pixels, options);
    EXPECT_TRUE(pipeline) << pipeline.error().to_string();
    if (!pipeline) {
        return {};
    }
    if (warnings != nullptr) {
        *warnings = pipeline->warnings();
    }
    auto frame = o.pixels.frame(index);
    EXPECT_TRUE(frame) << frame.error().to_string();
    auto image = pipeline->render(*frame);
    EXPECT_TRUE(image) << image.error().to_string();
    if (!image) {
        return {};
    }
    if (image->bit_depth() == 8) {
        return {image->samples8().begin(), image->samples8().end()};
    }
    return {image->samples16().begin(), image->samples16().end()};
}

/// The pipeline of an image, or its error.
inline result<display_pipeline> pipeline_of(const test_image& im, const render_options& options = {}) {
    auto o = open_image(im);
    return display_pipeline::create(o.file, o.pixels, options);
}

inline render_options window_options(double center, double width, std::optional<voi_function> f = std::nullopt) {
    render_options o;
    o.voi.mode = voi_mode::explicit_window;
    o.voi.center = center;
    o.voi.width = width;
    o.voi.function = f;
    return o;
}

/// A one-item sequence whose item is written by `item`.
inline std::function<void(dicom_builder&)> sequence(tag t, std::function<void(dicom_builder&)> item) {
    return [t, item](dicom_builder& b) {
        b.begin_sequence(t);
        b.begin_item();
        item(b);
        b.end_item();
        b.end_sequence();
    };
}

inline bool has_warning(const std::vector<warning>& w, std::string_view needle) {
    return std::any_of(w.begin(), w.end(), [&](const warning& x) { return x.message.find(needle) != std::string::npos; });
}

} // namespace dicompix::test
