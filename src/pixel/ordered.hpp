// SPDX-License-Identifier: BSD-3-Clause
// Internal: an ordered parallel pipeline. Workers produce items i = first..last-1 out of order; the calling
// thread consumes them strictly in order. A reorder window bounds how far producers may run ahead of the
// consumer, so memory stays at `window` items whatever the count (the writer streams frames this way).
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "dicompix/error.hpp"

namespace dicompix::detail {

/// Calls produce(i) -> result<T> for every i in [first, last) on `threads` worker threads and
/// consume(i, T&&) -> result<void> on the calling thread in increasing i. At most `window` (>= threads)
/// indices are claimed but not yet consumed at any time. With threads <= 1 everything runs on the calling
/// thread, produce and consume alternating. The first failure in index order is returned (as the
/// sequential loop would); workers stop claiming new indices once any failure is seen. An exception thrown
/// by produce (std::bad_alloc) is rethrown on the calling thread when its index is reached. produce must be
/// thread-safe; consume is never called concurrently.
template <class T, class Produce, class Consume>
result<void> ordered_parallel(std::uint32_t first, std::uint32_t last, std::uint32_t threads, std::uint32_t window,
                              Produce&& produce, Consume&& consume) {
    if (first >= last) {
        return {};
    }
    threads = std::min(threads, last - first);
    if (threads <= 1) {
        for (std::uint32_t i = first; i < last; ++i) {
            result<T> item = produce(i);
            if (!item) {
                return failure(std::move(item).error());
            }
            DICOMPIX_TRY_VOID(consume(i, std::move(*item)));
        }
        return {};
    }
    window = std::max(window, threads);
    struct slot_type {
        std::optional<result<T>> value;
        std::exception_ptr thrown;
        [[nodiscard]] bool filled() const noexcept { return value.has_value() || thrown != nullptr; }
    };
    std::vector<slot_type> slots(window);
    std::mutex mutex;
    std::condition_variable produced;   // a slot was filled
    std::condition_variable consumed;   // a slot was freed (or the run stops)
    std::uint32_t next_claim = first;   // guarded by mutex
    std::uint32_t next_consume = first; // guarded by mutex
    bool stop = false;                  // guarded by mutex

    const auto worker = [&] {
        for (;;) {
            std::uint32_t i = 0;
            {
                std::unique_lock lock(mutex);
                consumed.wait(lock, [&] { return stop || next_claim >= last || next_claim - next_consume < window; });
                if (stop || next_claim >= last) {
                    return;
                }
                i = next_claim++;
            }
            slot_type item;
            try {
                item.value.emplace(produce(i));
            } catch (...) {
                item.thrown = std::current_exception();
            }
            const bool failed = item.thrown != nullptr || !item.value->has_value();
            {
                const std::lock_guard lock(mutex);
                slots[(i - first) % window] = std::move(item);
                if (failed) {
                    stop = true; // claim nothing more; indices already claimed finish
                }
            }
            produced.notify_all();
            if (failed) {
                consumed.notify_all();
                return;
            }
        }
    };

    std::vector<std::jthread> pool;
    pool.reserve(threads);
    result<void> outcome;
    try {
        for (std::uint32_t t = 0; t < threads; ++t) {
            pool.emplace_back(worker);
        }
        for (std::uint32_t i = first; i < last; ++i) {
            slot_type item;
            {
                std::unique_lock lock(mutex);
                auto& slot = slots[(i - first) % window];
                // After a stop, an index never claimed will never be produced: end there.
                produced.wait(lock, [&] { return slot.filled() || (stop && i >= next_claim); });
                if (!slot.filled()) {
                    break;
                }
                item = std::move(slot);
                slot = slot_type{};
                ++next_consume;
            }
            consumed.notify_all();
            if (item.thrown != nullptr) {
                std::rethrow_exception(item.thrown);
            }
            if (!item.value->has_value()) {
                outcome = failure(std::move(*item.value).error());
                break;
            }
            if (auto r = consume(i, std::move(**item.value)); !r) {
                outcome = std::move(r);
                break;
            }
        }
    } catch (...) {
        {
            const std::lock_guard lock(mutex);
            stop = true;
        }
        consumed.notify_all();
        throw; // the jthreads join on unwinding
    }
    {
        const std::lock_guard lock(mutex);
        stop = true;
    }
    consumed.notify_all();
    pool.clear(); // join
    return outcome;
}

} // namespace dicompix::detail
