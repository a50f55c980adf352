// SPDX-License-Identifier: BSD-3-Clause
// pixel_options::memory: every owned frame buffer comes from the caller's memory resource: the native
// unpack (byte swap, normalisation, planar), every codec's output (frames encoded here by the built-in
// encoders into each transfer syntax, decoded back with a counting resource), and the copy a zero-copy view
// makes on its first write. Every allocation is returned to the resource when the frames are gone.
#include <gtest/gtest.h>

#include <map>
#include <memory_resource>
#include <mutex>

#include "dicompix/codec.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/transfer_syntax.hpp"
#include "dicompix/writer.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

/// Records every live allocation (thread-safe).
class counting_resource final : public std::pmr::memory_resource {
public:
    [[nodiscard]] bool owns(const void* p, std::size_t size) const {
        const std::lock_guard lock(mutex_);
        const auto it = live_.upper_bound(static_cast<const std::byte*>(p));
        if (it == live_.begin()) {
            return false;
        }
        const auto& [start, length] = *std::prev(it);
        return static_cast<const std::byte*>(p) >= start && static_cast<const std::byte*>(p) + size <= start + length;
    }
    [[nodiscard]] std::size_t live() const {
        const std::lock_guard lock(mutex_);
        return live_.size();
    }
    [[nodiscard]] std::size_t allocations() const {
        const std::lock_guard lock(mutex_);
        return allocations_;
    }

private:
    void* do_allocate(std::size_t n, std::size_t a) override {
        void* p = std::pmr::new_delete_resource()->allocate(n, a);
        const std::lock_guard lock(mutex_);
        live_.emplace(static_cast<const std::byte*>(p), n);
        ++allocations_;
        return p;
    }
    void do_deallocate(void* p, std::size_t n, std::size_t a) override {
        {
            const std::lock_guard lock(mutex_);
            live_.erase(static_cast<const std::byte*>(p));
        }
        std::pmr::new_delete_resource()->deallocate(p, n, a);
    }
    bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }

    mutable std::mutex mutex_;
    std::map<const std::byte*, std::size_t> live_;
    std::size_t allocations_{0};
};

struct source_image {
    std::uint16_t samples{1};
    std::uint16_t bits_allocated{16};
    std::uint16_t bits_stored{12};
    bool is_signed{false};
    bool big_endian{false};
    std::uint16_t planar{0};
    bool garbage_high_bits{false};
};

constexpr std::uint32_t rows = 48;
constexpr std::uint32_t columns = 64;
constexpr std::uint32_t frames = 3;

bytes native_source(const source_image& im) {
    dicom_builder b(true, im.big_endian);
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4.5");
    b.us(tags::SamplesPerPixel, {im.samples});
    b.str(tags::PhotometricInterpretation, vr::CS, im.samples == 3 ? "RGB" : "MONOCHROME2");
    if (im.samples == 3) {
        b.us(tags::PlanarConfiguration, {im.planar});
    }
    b.str(tags::NumberOfFrames, vr::IS, std::to_string(frames));
    b.us(tags::Rows, {rows}).us(tags::Columns, {columns});
    b.us(tags::BitsAllocated, {im.bits_allocated}).us(tags::BitsStored, {im.bits_stored});
    b.us(tags::HighBit, {static_cast<std::uint16_t>(im.bits_stored - 1)});
    b.us(tags::PixelRepresentation, {static_cast<std::uint16_t>(im.is_signed ? 1 : 0)});
    const std::size_t width = im.bits_allocated / 8U;
    bytes px(std::size_t{rows} * columns * im.samples * frames * width);
    for (std::size_t i = 0; i < px.size() / width; ++i) {
        // A smooth gradient with a little texture: compressible, but not trivially.
        const auto v = static_cast<std::uint32_t>((i % columns) * 37 + (i / columns) * 11 + (i % 7));
        const std::uint32_t mask = (1U << im.bits_stored) - 1;
        const std::uint32_t stored = (v & mask) | (im.garbage_high_bits ? 0xF000U : 0U);
        for (std::size_t k = 0; k < width; ++k) {
            const std::size_t byte = im.big_endian ? width - 1 - k : k;
            px[i * width + byte] = static_cast<std::byte>((stored >> (8 * k)) & 0xFFU);
        }
    }
    b.element(tags::PixelData, im.bits_allocated > 8 ? vr::OW : vr::OB, px);
    return dicom_builder::part10(b.data(), im.big_endian ? "1.2.840.10008.1.2.2" : "1.2.840.10008.1.2.1");
}

/// Decodes every frame of `file_bytes` with a counting resource and checks where each owned buffer lives.
void expect_frames_from_resource(const bytes& file_bytes, const std::string& what) {
    auto file = read_bytes(byte_source::borrow(file_bytes));
    ASSERT_TRUE(file) << what << ": " << file.error().to_string();
    counting_resource memory;
    {
        pixel_options options;
        options.memory = &memory;
        auto pixels = pixel_data::open(*file, options);
        ASSERT_TRUE(pixels) << what << ": " << pixels.error().to_string();
        std::vector<any_frame> held;
        std::size_t owned = 0;
        for (std::uint32_t i = 0; i < pixels->frame_count(); ++i) {
            auto f = pixels->frame(i);
            ASSERT_TRUE(f) << what << ": " << f.error().to_string();
            if (f->is_view()) {
                // The copy made on the first write comes from the resource too.
                f->visit([](auto& frame) { (void)frame.mutable_samples(); });
                EXPECT_FALSE(f->is_view());
            }
            EXPECT_TRUE(memory.owns(f->bytes().data(), f->bytes().size()))
                << what << ": frame " << i << " (" << f->meta().codec << ") is not from the resource";
            ++owned;
            held.push_back(std::move(*f));
        }
        EXPECT_EQ(memory.live(), owned) << what;
        // Copies of owned frames allocate from the same resource.
        const any_frame copy = held.front();
        EXPECT_TRUE(memory.owns(copy.bytes().data(), copy.bytes().size())) << what;
    }
    EXPECT_EQ(memory.live(), 0U) << what << ": allocations not returned";
    EXPECT_GE(memory.allocations(), std::size_t{frames}) << what;
}

TEST(MemoryResource, NativeUnpackPaths) {
    source_image le;
    expect_frames_from_resource(native_source(le), "little endian, clean (views copied on write)");
    source_image garbage;
    garbage.garbage_high_bits = true;
    expect_frames_from_resource(native_source(garbage), "12 in 16 with high bits set (normalised copy)");
    source_image signed12 = garbage;
    signed12.is_signed = true;
    expect_frames_from_resource(native_source(signed12), "signed 12 in 16 (sign extension)");
    source_image be;
    be.big_endian = true;
    expect_frames_from_resource(native_source(be), "big endian (byte swap)");
    source_image planar;
    planar.samples = 3;
    planar.bits_allocated = 8;
    planar.bits_stored = 8;
    planar.planar = 1;
    expect_frames_from_resource(native_source(planar), "planar RGB (interleaved copy)");
}

struct codec_case {
    const char* transfer_syntax;
    source_image image;
};

class MemoryResourceCodecs : public ::testing::TestWithParam<codec_case> {};

TEST_P(MemoryResourceCodecs, DecoderOutputComesFromTheResource) {
    const codec_case& c = GetParam();
    const transfer_syntax* ts = find_transfer_syntax_by_name(c.transfer_syntax);
    ASSERT_NE(ts, nullptr) << c.transfer_syntax;
    auto source = read_bytes(byte_source::adopt(native_source(c.image))).value();
    frame_info info = pixel_data::open(source).value().info();
    if (codec_registry::builtin().encoders_for(ts->uid, info).empty() ||
        codec_registry::builtin().decoders_for(ts->uid, info).empty()) {
        GTEST_SKIP() << "no built-in encoder and decoder for " << ts->name << " in this build";
    }
    write_options w;
    w.transfer_syntax = std::string(ts->uid);
    memory_sink sink;
    auto written = write(source, sink, w);
    ASSERT_TRUE(written) << written.error().to_string();
    expect_frames_from_resource(sink.bytes(), std::string(ts->name));
}

const source_image grey12{};
const source_image rgb8{3, 8, 8, false, false, 0, false};
const source_image grey8{1, 8, 8, false, false, 0, false};

INSTANTIATE_TEST_SUITE_P(
    AllEncodableSyntaxes, MemoryResourceCodecs,
    ::testing::Values(codec_case{"RLELossless", grey12}, codec_case{"RLELossless", rgb8},
                      codec_case{"JPEGLosslessSV1", grey12}, codec_case{"JPEGLossless", grey12},
                      codec_case{"JPEGLSLossless", grey12}, codec_case{"JPEGLSNearLossless", grey12},
                      codec_case{"JPEG2000Lossless", grey12}, codec_case{"JPEG2000", rgb8},
                      codec_case{"HTJ2KLossless", grey12}, codec_case{"JPEGBaseline8Bit", rgb8},
                      codec_case{"JPEGBaseline8Bit", grey8},
                      codec_case{"EncapsulatedUncompressedExplicitVRLittleEndian", grey12},
                      codec_case{"DeflatedImageFrameCompression", grey12}),
    [](const ::testing::TestParamInfo<codec_case>& i) {
        return std::string(i.param.transfer_syntax) + "_" + std::to_string(i.param.image.samples) + "x" +
               std::to_string(i.param.image.bits_allocated);
    });

} // namespace
} // namespace dicompix
