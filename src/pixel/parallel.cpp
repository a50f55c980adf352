// SPDX-License-Identifier: BSD-3-Clause
// Frame-parallel decoding: pixel_data::frame is const and thread-safe, so workers pull frame indices
// from one atomic counter (no lock on the hot path) and decode independently.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "dicompix/pixel.hpp"
#include "pixel/ordered.hpp"

namespace dicompix {

namespace {

/// Clamps [first, last) to the frames there are and 0 threads to one per CPU (both entry points' rules).
result<void> clamp_frames_and_threads(const pixel_data& pixels, std::uint32_t first, std::uint32_t& last,
                                      std::uint32_t& threads) {
    last = std::min(last, pixels.frame_count());
    if (first > last) {
        return failure(errc::frame_out_of_range,
                       "frames " + std::to_string(first) + ".." + std::to_string(last) + " asked");
    }
    if (threads == 0) {
        threads = std::max(1U, std::thread::hardware_concurrency());
    }
    return {};
}

} // namespace

result<void> for_each_frame(const pixel_data& pixels, std::uint32_t threads,
                            const std::function<result<void>(std::uint32_t, any_frame&&)>& fn, std::uint32_t first,
                            std::uint32_t last) {
    DICOMPIX_TRY_VOID(clamp_frames_and_threads(pixels, first, last, threads));
    threads = std::min(threads, last - first);
    std::atomic<std::uint32_t> next{first};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    error first_error;
    const auto work = [&] {
        for (;;) {
            if (failed.load(std::memory_order_relaxed)) {
                return;
            }
            const std::uint32_t i = next.fetch_add(1, std::memory_order_relaxed);
            if (i >= last) {
                return;
            }
            auto frame = pixels.frame(i);
            result<void> r = frame ? fn(i, std::move(*frame)) : result<void>(failure(std::move(frame).error()));
            if (!r) {
                const std::lock_guard lock(error_mutex);
                if (!failed.exchange(true)) {
                    first_error = std::move(r).error();
                    if (first_error.message.find("frame ") != 0) {
                        first_error.message = "frame " + std::to_string(i) + ": " + first_error.message;
                    }
                }
                return;
            }
        }
    };
    if (threads <= 1) {
        work();
    } else {
        std::vector<std::jthread> pool;
        pool.reserve(threads - 1);
        for (std::uint32_t t = 1; t < threads; ++t) {
            pool.emplace_back(work);
        }
        work();
    }
    if (failed) {
        return failure(std::move(first_error));
    }
    return {};
}

result<void> for_each_frame_ordered(const pixel_data& pixels, std::uint32_t threads,
                                    const std::function<result<void>(std::uint32_t, any_frame&&)>& fn,
                                    std::uint32_t first, std::uint32_t last, std::uint32_t window) {
    DICOMPIX_TRY_VOID(clamp_frames_and_threads(pixels, first, last, threads));
    if (window == 0) {
        window = 2 * threads;
    }
    const auto decode = [&pixels](std::uint32_t i) -> result<any_frame> {
        auto frame = pixels.frame(i);
        if (!frame) {
            error e = std::move(frame).error();
            if (e.message.find("frame ") != 0) {
                e.message = "frame " + std::to_string(i) + ": " + e.message;
            }
            return failure(std::move(e));
        }
        return frame;
    };
    return detail::ordered_parallel<any_frame>(first, last, threads, window, decode,
                                               [&fn](std::uint32_t i, any_frame&& f) { return fn(i, std::move(f)); });
}

} // namespace dicompix
