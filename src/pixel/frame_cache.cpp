// SPDX-License-Identifier: BSD-3-Clause
// frame_cache: sharded LRU of decoded frames with a global byte budget and one decode per key in flight.
//
// Each shard has its own mutex, an exact LRU list (front = most recent) with a hash index, and the keys
// being decoded (a shared_future each, so racing threads wait for the first decode). The budget and the
// charged bytes are global atomics; eviction compares the LRU tails of the shards by a logical clock that
// only insertions advance (hits just read it: no shared cache line is written on the hot path).
#include "dicompix/frame_cache.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <future>
#include <limits>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace dicompix {

namespace {

struct cache_key {
    const void* identity{nullptr};
    std::uint32_t index{0};
    bool operator==(const cache_key&) const noexcept = default;
};

struct cache_key_hash {
    std::size_t operator()(const cache_key& k) const noexcept {
        // splitmix64 finaliser: pointers are aligned and indices small, so mix every bit.
        std::uint64_t x = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(k.identity)) ^
                          (std::uint64_t{k.index} * 0x9E3779B97F4A7C15ULL);
        x ^= x >> 30U;
        x *= 0xBF58476D1CE4E5B9ULL;
        x ^= x >> 27U;
        x *= 0x94D049BB133111EBULL;
        x ^= x >> 31U;
        return static_cast<std::size_t>(x);
    }
};

struct cache_entry {
    cache_key key;
    std::shared_ptr<const void> identity; // keeps the key's identity from being reused while cached
    frame_cache::frame_ptr frame;
    std::uint64_t charge{0};
    std::uint64_t tick{0};
};

using shared_outcome = std::shared_future<result<frame_cache::frame_ptr>>;

struct alignas(64) cache_shard {
    std::mutex mutex;
    std::list<cache_entry> lru;
    std::unordered_map<cache_key, std::list<cache_entry>::iterator, cache_key_hash> index;
    std::unordered_map<cache_key, shared_outcome, cache_key_hash> pending;
    std::uint64_t hits{0};
    std::uint64_t waits{0};
    std::uint64_t misses{0};
    std::uint64_t decodes{0};
    std::uint64_t failures{0};
    std::uint64_t evictions{0};
    std::uint64_t uncached{0};
};

std::uint32_t default_shards() noexcept {
    const std::uint32_t hw = std::max(1U, std::thread::hardware_concurrency());
    return std::clamp(std::bit_ceil(4 * hw), 8U, 256U);
}

} // namespace

struct frame_cache::impl {
    std::unique_ptr<cache_shard[]> shards;
    std::uint32_t shard_count{0};
    std::atomic<std::uint64_t> budget{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> peak{0};
    std::atomic<std::uint64_t> clock{0};

    cache_shard& shard_for(const cache_key& k) const noexcept {
        // The high bits pick the shard; unordered_map uses the hash modulo a prime, so both stay spread.
        const std::uint64_t h = cache_key_hash{}(k);
        return shards[static_cast<std::size_t>((h >> 32U) & (shard_count - 1))];
    }

    void raise_peak(std::uint64_t now) noexcept {
        std::uint64_t seen = peak.load(std::memory_order_relaxed);
        while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        }
    }

    /// Drops least recently used frames (oldest LRU tail over all shards) until within the budget.
    void evict_to_budget() {
        for (;;) {
            if (bytes.load(std::memory_order_acquire) <= budget.load(std::memory_order_relaxed)) {
                return;
            }
            cache_shard* victim = nullptr;
            std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
            for (std::uint32_t i = 0; i < shard_count; ++i) {
                cache_shard& s = shards[i];
                const std::lock_guard lock(s.mutex);
                if (!s.lru.empty() && s.lru.back().tick < oldest) {
                    oldest = s.lru.back().tick;
                    victim = &s;
                }
            }
            if (victim == nullptr) {
                return;
            }
            std::list<cache_entry> dropped; // freed after unlocking: releasing a frame can take a while
            {
                const std::lock_guard lock(victim->mutex);
                // Another thread may have evicted or touched that tail since the scan: rescan rather than
                // drop a newer frame (a hot one) in its place.
                if (victim->lru.empty() || victim->lru.back().tick != oldest ||
                    bytes.load(std::memory_order_acquire) <= budget.load(std::memory_order_relaxed)) {
                    continue;
                }
                const auto last = std::prev(victim->lru.end());
                victim->index.erase(last->key);
                bytes.fetch_sub(last->charge, std::memory_order_acq_rel);
                ++victim->evictions;
                dropped.splice(dropped.begin(), victim->lru, last);
            }
        }
    }

    /// Drops the entries selected by `pred` from every shard (not counted as evictions).
    template <class Pred>
    void drop_if(Pred pred) {
        for (std::uint32_t i = 0; i < shard_count; ++i) {
            cache_shard& s = shards[i];
            std::list<cache_entry> dropped;
            {
                const std::lock_guard lock(s.mutex);
                for (auto it = s.lru.begin(); it != s.lru.end();) {
                    const auto next = std::next(it);
                    if (pred(*it)) {
                        s.index.erase(it->key);
                        bytes.fetch_sub(it->charge, std::memory_order_acq_rel);
                        dropped.splice(dropped.end(), s.lru, it);
                    }
                    it = next;
                }
            }
        }
    }
};

frame_cache::frame_cache(std::uint64_t budget_bytes, std::uint32_t shards) : impl_(std::make_unique<impl>()) {
    const std::uint32_t n = shards == 0 ? default_shards() : std::bit_ceil(std::clamp(shards, 1U, 1U << 16U));
    impl_->shards = std::make_unique<cache_shard[]>(n);
    impl_->shard_count = n;
    impl_->budget.store(budget_bytes, std::memory_order_relaxed);
}

frame_cache::~frame_cache() = default;

std::uint64_t frame_cache::charge(const any_frame& frame) noexcept {
    return frame.is_view() ? view_charge : static_cast<std::uint64_t>(frame.bytes().size());
}

result<frame_cache::frame_ptr> frame_cache::get(const pixel_data& pixels, std::uint32_t index) {
    if (!pixels.shared_description()) {
        return failure(errc::no_pixel_data, "pixel_data is empty");
    }
    return get(std::shared_ptr<const void>(pixels.shared_description()), index,
               [&pixels, index] { return pixels.frame(index); });
}

result<frame_cache::frame_ptr> frame_cache::get(std::shared_ptr<const void> identity, std::uint32_t index,
                                                const loader& load) {
    if (!identity) {
        return failure(errc::invalid_argument, "frame_cache: null identity");
    }
    const cache_key key{identity.get(), index};
    cache_shard& s = impl_->shard_for(key);
    std::promise<result<frame_ptr>> promise;
    {
        std::unique_lock lock(s.mutex);
        if (const auto it = s.index.find(key); it != s.index.end()) {
            const auto node = it->second;
            node->tick = impl_->clock.load(std::memory_order_relaxed);
            s.lru.splice(s.lru.begin(), s.lru, node);
            ++s.hits;
            return node->frame;
        }
        if (const auto it = s.pending.find(key); it != s.pending.end()) {
            const shared_outcome outcome = it->second;
            ++s.hits;
            ++s.waits;
            lock.unlock();
            return outcome.get();
        }
        ++s.misses;
        ++s.decodes;
        s.pending.emplace(key, promise.get_future().share());
    }

    result<frame_ptr> outcome{frame_ptr{}};
    try {
        auto decoded = load();
        if (decoded) {
            outcome = frame_ptr(std::make_shared<const any_frame>(std::move(*decoded)));
        } else {
            outcome = failure(std::move(decoded).error());
        }
    } catch (...) {
        {
            const std::lock_guard lock(s.mutex);
            s.pending.erase(key);
            ++s.failures;
        }
        promise.set_exception(std::current_exception());
        throw;
    }

    const std::uint64_t cost = outcome ? charge(**outcome) : 0;
    const bool keep = outcome && cost <= impl_->budget.load(std::memory_order_relaxed);
    {
        const std::lock_guard lock(s.mutex);
        s.pending.erase(key);
        if (!outcome) {
            ++s.failures;
        } else if (!keep) {
            ++s.uncached;
        } else {
            const std::uint64_t tick = impl_->clock.fetch_add(1, std::memory_order_relaxed) + 1;
            s.lru.push_front(cache_entry{key, std::move(identity), *outcome, cost, tick});
            s.index.emplace(key, s.lru.begin());
            impl_->raise_peak(impl_->bytes.fetch_add(cost, std::memory_order_acq_rel) + cost);
        }
    }
    promise.set_value(outcome);
    if (keep) {
        impl_->evict_to_budget();
    }
    return outcome;
}

frame_cache::frame_ptr frame_cache::find(const pixel_data& pixels, std::uint32_t index) {
    const cache_key key{pixels.shared_description().get(), index};
    if (key.identity == nullptr) {
        return nullptr;
    }
    cache_shard& s = impl_->shard_for(key);
    const std::lock_guard lock(s.mutex);
    const auto it = s.index.find(key);
    if (it == s.index.end()) {
        return nullptr;
    }
    const auto node = it->second;
    node->tick = impl_->clock.load(std::memory_order_relaxed);
    s.lru.splice(s.lru.begin(), s.lru, node);
    ++s.hits;
    return node->frame;
}

void frame_cache::erase(const pixel_data& pixels) {
    erase(std::shared_ptr<const void>(pixels.shared_description()));
}

void frame_cache::erase(const std::shared_ptr<const void>& identity) {
    const void* id = identity.get();
    if (id != nullptr) {
        impl_->drop_if([id](const cache_entry& e) { return e.key.identity == id; });
    }
}

void frame_cache::clear() {
    impl_->drop_if([](const cache_entry&) { return true; });
}

void frame_cache::set_budget(std::uint64_t budget_bytes) {
    impl_->budget.store(budget_bytes, std::memory_order_relaxed);
    impl_->evict_to_budget();
}

std::uint64_t frame_cache::budget() const noexcept {
    return impl_->budget.load(std::memory_order_relaxed);
}

std::uint64_t frame_cache::bytes() const noexcept {
    return impl_->bytes.load(std::memory_order_acquire);
}

std::uint32_t frame_cache::shard_count() const noexcept {
    return impl_->shard_count;
}

frame_cache_stats frame_cache::stats() const {
    frame_cache_stats st;
    for (std::uint32_t i = 0; i < impl_->shard_count; ++i) {
        cache_shard& s = impl_->shards[i];
        const std::lock_guard lock(s.mutex);
        st.hits += s.hits;
        st.waits += s.waits;
        st.misses += s.misses;
        st.decodes += s.decodes;
        st.failures += s.failures;
        st.evictions += s.evictions;
        st.uncached += s.uncached;
        st.entries += s.lru.size();
    }
    st.bytes = impl_->bytes.load(std::memory_order_acquire);
    st.peak_bytes = std::max(impl_->peak.load(std::memory_order_relaxed), st.bytes);
    st.budget = impl_->budget.load(std::memory_order_relaxed);
    return st;
}

void frame_cache::reset_stats() {
    for (std::uint32_t i = 0; i < impl_->shard_count; ++i) {
        cache_shard& s = impl_->shards[i];
        const std::lock_guard lock(s.mutex);
        s.hits = s.waits = s.misses = s.decodes = s.failures = s.evictions = s.uncached = 0;
    }
    impl_->peak.store(impl_->bytes.load(std::memory_order_acquire), std::memory_order_relaxed);
}

} // namespace dicompix
