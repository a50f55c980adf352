// SPDX-License-Identifier: BSD-3-Clause
// frame_cache: hits and misses, charging (owned frames by their bytes, views ~0), LRU eviction, frames
// larger than the budget, clear/erase, failures not cached, one decode for racing threads, and a
// multi-threaded random-access run proving that the budget holds (never above budget + one frame per
// thread) and that no frame is decoded twice while it is cached.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "dicompix/codec.hpp"
#include "dicompix/frame_cache.hpp"
#include "dicompix/parser.hpp"
#include "dicompix/tags.hpp"
#include "dicompix/writer.hpp"
#include "support/dicom_builder.hpp"

namespace dicompix {
namespace {

using test::bytes;
using test::dicom_builder;

constexpr std::uint32_t frame_rows = 32;
constexpr std::uint32_t frame_columns = 64;
constexpr std::uint64_t frame_bytes = std::uint64_t{frame_rows} * frame_columns * 2;

/// An owned 16-bit frame whose samples all equal `value` (so a mix-up of keys is visible).
any_frame make_frame(std::uint32_t value) {
    native_frame<std::uint16_t> f(nullptr, frame_rows, frame_columns, 1, frame_meta{value, photometric::monochrome2, "test", {}});
    auto s = f.fill_bytes();
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
        s[i] = static_cast<std::byte>(value & 0xFFU);
        s[i + 1] = static_cast<std::byte>((value >> 8U) & 0xFFU);
    }
    return f;
}

std::uint16_t first_sample(const frame_cache::frame_ptr& f) {
    return f->get_if<std::uint16_t>()->get(0, 0);
}

/// Counts loader calls per key.
struct counting_loader {
    std::vector<std::atomic<std::uint32_t>> decodes;
    explicit counting_loader(std::size_t keys) : decodes(keys) {}
    frame_cache::loader for_key(std::uint32_t k) {
        return [this, k]() -> result<any_frame> {
            decodes[k].fetch_add(1, std::memory_order_relaxed);
            return make_frame(k);
        };
    }
};

TEST(FrameCache, HitAfterMissSharesTheFrame) {
    frame_cache cache(10 * frame_bytes, 4);
    const auto id = std::make_shared<int>(0);
    counting_loader load(4);
    const auto a = cache.get(id, 1, load.for_key(1)).value();
    const auto b = cache.get(id, 1, load.for_key(1)).value();
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(first_sample(a), 1);
    EXPECT_EQ(load.decodes[1].load(), 1U);
    const auto st = cache.stats();
    EXPECT_EQ(st.misses, 1U);
    EXPECT_EQ(st.decodes, 1U);
    EXPECT_EQ(st.hits, 1U);
    EXPECT_EQ(st.entries, 1U);
    EXPECT_EQ(st.bytes, frame_bytes);
    EXPECT_EQ(cache.shard_count(), 4U);
    // Another identity with the same index is another frame.
    const auto other = std::make_shared<int>(0);
    EXPECT_EQ(first_sample(cache.get(other, 1, load.for_key(2)).value()), 2);
    EXPECT_EQ(cache.stats().entries, 2U);
    EXPECT_EQ(cache.get(nullptr, 1, load.for_key(1)).error().code, errc::invalid_argument);
}

TEST(FrameCache, EvictsLeastRecentlyUsed) {
    frame_cache cache(3 * frame_bytes, 8);
    const auto id = std::make_shared<int>(0);
    counting_loader load(8);
    for (std::uint32_t k = 0; k < 3; ++k) {
        ASSERT_TRUE(cache.get(id, k, load.for_key(k)));
    }
    ASSERT_TRUE(cache.get(id, 0, load.for_key(0))); // 0 is now the most recent, 1 the least
    ASSERT_TRUE(cache.get(id, 3, load.for_key(3))); // evicts 1
    const auto st = cache.stats();
    EXPECT_EQ(st.evictions, 1U);
    EXPECT_EQ(st.entries, 3U);
    EXPECT_LE(st.bytes, 3 * frame_bytes);
    ASSERT_TRUE(cache.get(id, 0, load.for_key(0)));
    ASSERT_TRUE(cache.get(id, 2, load.for_key(2)));
    EXPECT_EQ(load.decodes[0].load(), 1U);
    EXPECT_EQ(load.decodes[2].load(), 1U);
    ASSERT_TRUE(cache.get(id, 1, load.for_key(1))); // was evicted: decoded again
    EXPECT_EQ(load.decodes[1].load(), 2U);
}

TEST(FrameCache, FrameLargerThanBudgetIsReturnedNotKept) {
    frame_cache cache(frame_bytes / 2);
    const auto id = std::make_shared<int>(0);
    counting_loader load(1);
    const auto f = cache.get(id, 0, load.for_key(0)).value();
    EXPECT_EQ(first_sample(f), 0);
    const auto st = cache.stats();
    EXPECT_EQ(st.uncached, 1U);
    EXPECT_EQ(st.entries, 0U);
    EXPECT_EQ(st.bytes, 0U);
}

TEST(FrameCache, ClearEraseAndSetBudget) {
    frame_cache cache(100 * frame_bytes);
    const auto a = std::make_shared<int>(0);
    const auto b = std::make_shared<int>(0);
    counting_loader load(10);
    for (std::uint32_t k = 0; k < 10; ++k) {
        ASSERT_TRUE(cache.get(k < 5 ? a : b, k, load.for_key(k)));
    }
    EXPECT_EQ(cache.bytes(), 10 * frame_bytes);
    cache.erase(std::shared_ptr<const void>(a));
    EXPECT_EQ(cache.stats().entries, 5U);
    EXPECT_EQ(cache.bytes(), 5 * frame_bytes);
    cache.set_budget(2 * frame_bytes);
    EXPECT_EQ(cache.stats().entries, 2U);
    EXPECT_EQ(cache.budget(), 2 * frame_bytes);
    const auto held = cache.get(b, 9, load.for_key(9)).value();
    cache.clear();
    const auto st = cache.stats();
    EXPECT_EQ(st.entries, 0U);
    EXPECT_EQ(st.bytes, 0U);
    EXPECT_EQ(first_sample(held), 9); // a frame a caller holds outlives clear()
    cache.reset_stats();
    EXPECT_EQ(cache.stats().hits, 0U);
    EXPECT_EQ(cache.stats().peak_bytes, 0U);
}

TEST(FrameCache, FailuresAreNotCached) {
    frame_cache cache(10 * frame_bytes);
    const auto id = std::make_shared<int>(0);
    int calls = 0;
    const auto failing = [&]() -> result<any_frame> {
        ++calls;
        return failure(errc::codec_error, "broken frame");
    };
    EXPECT_EQ(cache.get(id, 0, failing).error().code, errc::codec_error);
    EXPECT_EQ(cache.get(id, 0, failing).error().code, errc::codec_error);
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(cache.stats().failures, 2U);
    EXPECT_EQ(cache.stats().entries, 0U);
    // An exception from the loader propagates and leaves no slot behind.
    EXPECT_THROW((void)cache.get(id, 1, []() -> result<any_frame> { throw std::bad_alloc(); }), std::bad_alloc);
    counting_loader load(2);
    EXPECT_TRUE(cache.get(id, 1, load.for_key(1)));
}

TEST(FrameCache, RacingThreadsShareOneDecode) {
    frame_cache cache(10 * frame_bytes);
    const auto id = std::make_shared<int>(0);
    std::atomic<int> calls{0};
    std::atomic<bool> go{false};
    const auto slow = [&]() -> result<any_frame> {
        calls.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return make_frame(7);
    };
    constexpr int threads = 8;
    std::vector<std::jthread> pool;
    std::vector<const any_frame*> seen(threads);
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            const auto f = cache.get(id, 3, slow).value();
            seen[static_cast<std::size_t>(t)] = f.get();
        });
    }
    go = true;
    pool.clear();
    EXPECT_EQ(calls.load(), 1);
    for (const auto* p : seen) {
        EXPECT_EQ(p, seen[0]);
    }
    const auto st = cache.stats();
    EXPECT_EQ(st.decodes, 1U);
    EXPECT_EQ(st.misses, 1U);
    EXPECT_EQ(st.hits, static_cast<std::uint64_t>(threads - 1));
    EXPECT_LE(st.waits, st.hits);
}

// The test: many threads, random access over more frames than fit, a small budget.
TEST(FrameCache, MultiThreadedRandomAccessHoldsTheBudget) {
    constexpr std::uint32_t threads = 8;
    constexpr std::uint32_t keys = 400;
    constexpr std::uint64_t budget = 24 * frame_bytes;
    frame_cache cache(budget);
    const auto id = std::make_shared<int>(0);
    counting_loader load(keys);
    std::atomic<std::uint64_t> worst{0};
    std::atomic<std::uint32_t> wrong{0};
    std::vector<std::jthread> pool;
    for (std::uint32_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937 rng(t + 1);
            std::uniform_int_distribution<std::uint32_t> any(0, keys - 1);
            std::uniform_int_distribution<std::uint32_t> hot(0, 15);
            for (int n = 0; n < 4000; ++n) {
                const std::uint32_t k = (rng() % 4) != 0 ? hot(rng) : any(rng);
                const auto f = cache.get(id, k, load.for_key(k));
                if (!f || first_sample(*f) != k) {
                    wrong.fetch_add(1);
                }
                const std::uint64_t now = cache.bytes();
                std::uint64_t seen = worst.load();
                while (now > seen && !worst.compare_exchange_weak(seen, now)) {
                }
            }
        });
    }
    pool.clear();
    EXPECT_EQ(wrong.load(), 0U);
    const auto st = cache.stats();
    EXPECT_LE(worst.load(), budget + threads * frame_bytes);
    EXPECT_LE(st.peak_bytes, budget + threads * frame_bytes);
    EXPECT_LE(st.bytes, budget);
    EXPECT_EQ(st.decodes, st.misses);
    // Each decode beyond a key's first needs an eviction of that key in between: a frame is never decoded
    // twice while it is cached.
    std::uint64_t repeats = 0;
    std::uint64_t decoded = 0;
    for (std::uint32_t k = 0; k < keys; ++k) {
        const std::uint32_t d = load.decodes[k].load();
        decoded += d;
        repeats += d > 0 ? d - 1 : 0;
    }
    EXPECT_EQ(decoded, st.decodes);
    EXPECT_LE(repeats, st.evictions);
    EXPECT_GT(st.hits, st.misses); // the hot frames are served from the cache
}

// Hot frames that fit are never decoded again, however many cold frames stream past them.
TEST(FrameCache, HotFramesSurviveAStreamOfColdOnes) {
    constexpr std::uint32_t threads = 4;
    constexpr std::uint32_t hot = 4;
    constexpr std::uint32_t cold = 20000;
    frame_cache cache((hot + 4 * threads) * frame_bytes);
    const auto id = std::make_shared<int>(0);
    counting_loader load(hot + cold);
    std::vector<std::jthread> pool;
    for (std::uint32_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (std::uint32_t n = 0; n < cold / threads; ++n) {
                for (std::uint32_t h = 0; h < hot; ++h) {
                    (void)cache.get(id, h, load.for_key(h));
                }
                const std::uint32_t k = hot + t * (cold / threads) + n;
                (void)cache.get(id, k, load.for_key(k));
            }
        });
    }
    pool.clear();
    for (std::uint32_t h = 0; h < hot; ++h) {
        EXPECT_EQ(load.decodes[h].load(), 1U) << "hot frame " << h;
    }
    EXPECT_GE(cache.stats().evictions, cold - 4 * threads);
}

// Through pixel_data: RLE frames decoded by a counting decoder; many threads, budget for all frames.
class counting_decoder final : public frame_decoder {
public:
    explicit counting_decoder(const frame_decoder* inner) : inner_(inner) {}
    std::string_view name() const noexcept override { return "counting"; }
    bool can_decode(std::string_view uid, const frame_info& info) const noexcept override {
        return inner_->can_decode(uid, info);
    }
    result<codestream_info> read_header(std::span<const std::byte> cs, const frame_info& info) const override {
        return inner_->read_header(cs, info);
    }
    result<decode_report> decode(std::span<const std::byte> cs, const frame_info& info, std::span<std::byte> out,
                                 const decode_options& options) const override {
        calls.fetch_add(1);
        return inner_->decode(cs, info, out, options);
    }
    mutable std::atomic<std::uint32_t> calls{0};

private:
    const frame_decoder* inner_;
};

bytes rle_file(std::uint32_t frames) {
    dicom_builder b(true, false);
    b.str(tags::SOPClassUID, vr::UI, "1.2.840.10008.5.1.4.1.1.7");
    b.str(tags::SOPInstanceUID, vr::UI, "1.2.3.4");
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.str(tags::NumberOfFrames, vr::IS, std::to_string(frames));
    b.us(tags::Rows, {frame_rows}).us(tags::Columns, {frame_columns});
    b.us(tags::BitsAllocated, {16}).us(tags::BitsStored, {12}).us(tags::HighBit, {11}).us(tags::PixelRepresentation, {0});
    bytes px(frames * frame_bytes);
    for (std::size_t i = 0; i < px.size(); i += 2) {
        px[i] = static_cast<std::byte>((i / 2) & 0xFFU);
        px[i + 1] = static_cast<std::byte>(((i / 2) >> 8U) & 0x0FU);
    }
    b.element(tags::PixelData, vr::OW, px);
    auto native = read_bytes(byte_source::adopt(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"))).value();
    write_options w;
    w.transfer_syntax = "1.2.840.10008.1.2.5";
    memory_sink sink;
    (void)write(native, sink, w).value();
    return std::move(sink.bytes());
}

TEST(FrameCache, PixelDataFramesAreDecodedOncePerKey) {
    constexpr std::uint32_t frames = 32;
    auto file = read_bytes(byte_source::adopt(rle_file(frames))).value();
    codec_registry registry = codec_registry::with_builtins();
    auto counter = std::make_shared<counting_decoder>(codec_registry::builtin().decoder("rle"));
    registry.add_decoder(counter);
    pixel_options options;
    options.registry = &registry;
    const auto pixels = pixel_data::open(file, options).value();
    ASSERT_EQ(pixels.frame_count(), frames);
    frame_cache cache(std::uint64_t{frames} * frame_bytes);
    std::vector<std::jthread> pool;
    std::atomic<std::uint32_t> wrong{0};
    for (std::uint32_t t = 0; t < 6; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937 rng(t);
            for (int n = 0; n < 2000; ++n) {
                const std::uint32_t i = rng() % frames;
                const auto f = cache.get(pixels, i);
                if (!f || (*f)->meta().index != i || (*f)->meta().codec != "counting") {
                    wrong.fetch_add(1);
                }
            }
        });
    }
    pool.clear();
    EXPECT_EQ(wrong.load(), 0U);
    EXPECT_EQ(counter->calls.load(), frames);
    EXPECT_EQ(cache.stats().decodes, frames);
    EXPECT_EQ(cache.bytes(), std::uint64_t{frames} * frame_bytes);
    EXPECT_NE(cache.find(pixels, 0), nullptr);
    // A copy of the pixel_data shares the cached frames; erase(pixels) drops them.
    const pixel_data copy = pixels;
    EXPECT_NE(cache.find(copy, 5), nullptr);
    cache.erase(copy);
    EXPECT_EQ(cache.find(pixels, 5), nullptr);
    EXPECT_EQ(cache.bytes(), 0U);
}

TEST(FrameCache, ViewsCostAlmostNothing) {
    dicom_builder b(true, false);
    b.us(tags::SamplesPerPixel, {1});
    b.str(tags::PhotometricInterpretation, vr::CS, "MONOCHROME2");
    b.str(tags::NumberOfFrames, vr::IS, "4");
    b.us(tags::Rows, {frame_rows}).us(tags::Columns, {frame_columns});
    b.us(tags::BitsAllocated, {16}).us(tags::BitsStored, {16}).us(tags::HighBit, {15}).us(tags::PixelRepresentation, {0});
    b.element(tags::PixelData, vr::OW, bytes(4 * frame_bytes, std::byte{1}));
    auto file = read_bytes(byte_source::adopt(dicom_builder::part10(b.data(), "1.2.840.10008.1.2.1"))).value();
    const auto pixels = pixel_data::open(file).value();
    frame_cache cache(frame_bytes);
    for (std::uint32_t i = 0; i < 4; ++i) {
        const auto f = cache.get(pixels, i).value();
        EXPECT_TRUE(f->is_view());
    }
    EXPECT_EQ(cache.stats().entries, 4U);
    EXPECT_EQ(cache.bytes(), 4 * frame_cache::view_charge);
}

} // namespace
} // namespace dicompix
