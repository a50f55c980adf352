// SPDX-License-Identifier: BSD-3-Clause
// dicompix: a decoded-frame cache with a byte budget, shared by many threads.
//
// A viewer or a server that revisits frames (scrolling a stack, serving tiles of the same frames to many
// clients) should not decode the same frame again and again. frame_cache keeps decoded frames up to a byte
// budget the caller sets, hands them out as shared read-only frames, lets racing threads share one decode,
// and evicts the least recently used frames when the budget is exceeded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "dicompix/error.hpp"
#include "dicompix/pixel.hpp"

namespace dicompix {

/// Counters of a frame_cache since construction (or the last reset_stats()), and its current size.
/// The counters are summed over the shards one shard at a time, so under concurrent use they are a
/// near-instant snapshot, not an atomic one.
struct frame_cache_stats {
    std::uint64_t hits{0};       ///< calls served without decoding (includes `waits`)
    std::uint64_t waits{0};      ///< hits that waited for another thread's decode of the same frame
    std::uint64_t misses{0};     ///< calls that found neither a cached frame nor a decode in flight
    std::uint64_t decodes{0};    ///< decodes started by the cache (one per miss: racing threads never decode twice)
    std::uint64_t failures{0};   ///< decodes that failed (errors are returned, never cached)
    std::uint64_t evictions{0};  ///< frames dropped to stay within the budget (not counting clear()/erase())
    std::uint64_t uncached{0};   ///< decoded frames larger than the whole budget: returned but not kept
    std::uint64_t entries{0};    ///< frames held now
    std::uint64_t bytes{0};      ///< bytes charged for the frames held now
    std::uint64_t peak_bytes{0}; ///< highest `bytes` seen
    std::uint64_t budget{0};     ///< the budget now
};

/// Decoded frames kept up to a byte budget, shared read-only between any number of threads.
///
/// Keys: a frame is identified by (identity of its pixel data, frame index). The identity of a
/// pixel_data is its shared description (pixel_data::shared_description()): copies of one pixel_data
/// share cached frames; two pixel_data opened separately (even from the same file) do not. A cached
/// entry holds a reference to that description, so the identity cannot be reused while it is cached.
///
/// Cost: every held frame is charged its sample bytes (`any_frame::bytes().size()`) when it owns them;
/// a zero-copy view of a memory-mapped file (pixel_data::frame() of native data) is charged only
/// `view_charge` bytes, because its samples live in the page cache, not in the process's heap. Note that
/// a cached view keeps the source mapping alive. Frames a caller still holds after eviction stay alive
/// (they are shared) but are no longer charged: the budget bounds what the cache itself keeps.
///
/// Budget: after every insertion, frames are evicted until the charged bytes are within the budget. While
/// T threads insert at the same moment, the charged bytes can exceed the budget by at most T frames for
/// that moment. A frame larger than the whole budget is returned to its caller but not kept.
///
/// Eviction: least recently used first, across all shards. Each shard keeps an exact LRU list; the evictor
/// compares the oldest entry of each shard (by a logical clock advanced on each insertion) and drops the
/// oldest of them. So a frame touched since the last insertion is never evicted before one that was not,
/// and hot frames are not decoded again while the frames in use fit in the budget.
///
/// Thread safety: every member function may be called concurrently. The hot path (a hit) locks one shard
/// (chosen by a hash of the key) for a lookup and a list splice; there is no global lock. A miss inserts
/// an in-flight slot, decodes without holding any lock, then publishes the frame; a second thread asking
/// for the same frame meanwhile waits for that result instead of decoding it again. Eviction locks one
/// shard at a time. Destroying the cache while calls are in flight is undefined.
class frame_cache {
public:
    /// A cached frame: shared, read-only. (native_frame's mutating accessors need a non-const frame; copy
    /// it first, e.g. `any_frame mine = *ptr;`, which copies owned samples or shares a view.)
    using frame_ptr = std::shared_ptr<const any_frame>;
    /// Decodes one frame for get(identity, index, load).
    using loader = std::function<result<any_frame>()>;

    /// Bytes charged for a cached zero-copy view (its bookkeeping, not its samples).
    static constexpr std::uint64_t view_charge = 256;

    /// A cache of at most `budget_bytes` (0 caches nothing but still shares decodes in flight), split into
    /// `shards` independently locked parts (0: 4 x the hardware threads, rounded up to a power of two, at
    /// least 8 and at most 256). The budget is global, not per shard, so a frame may use all of it.
    explicit frame_cache(std::uint64_t budget_bytes, std::uint32_t shards = 0);
    ~frame_cache();
    frame_cache(const frame_cache&) = delete;
    frame_cache& operator=(const frame_cache&) = delete;

    /// Frame `index` of `pixels`: the cached one, the result of a decode of it already in flight in another
    /// thread (waited for), or pixels.frame(index) decoded by this call and cached.
    /// Errors: those of pixel_data::frame (a failed decode is not cached; threads that waited for it get
    /// the same error). Throws what the decode throws (std::bad_alloc).
    [[nodiscard]] result<frame_ptr> get(const pixel_data& pixels, std::uint32_t index);

    /// As get(pixels, index) with the caller's decode (e.g. pixels decoded with other pixel_options) under
    /// the key (`identity`, `index`); `identity` is any object that names the frame set (held while cached).
    /// `load` runs at most once per miss, without any lock held, on the calling thread.
    /// Errors: invalid_argument when identity is null, and those `load` returns.
    [[nodiscard]] result<frame_ptr> get(std::shared_ptr<const void> identity, std::uint32_t index, const loader& load);

    /// The cached frame if present (counts a hit and refreshes it), else nullptr. Never decodes or waits.
    [[nodiscard]] frame_ptr find(const pixel_data& pixels, std::uint32_t index);

    /// Drops every cached frame of `pixels` (e.g. before unmapping or replacing a file). Frames being decoded
    /// at that moment are cached when their decode ends.
    void erase(const pixel_data& pixels);
    /// Drops every cached frame of `identity`.
    void erase(const std::shared_ptr<const void>& identity);
    /// Releases everything the cache holds (frames still held by callers stay alive). Frames being decoded
    /// at that moment are cached when their decode ends.
    void clear();

    /// Changes the budget; evicts at once when the cache holds more than the new budget.
    void set_budget(std::uint64_t budget_bytes);
    [[nodiscard]] std::uint64_t budget() const noexcept;
    /// Bytes charged for the frames held now (one atomic load).
    [[nodiscard]] std::uint64_t bytes() const noexcept;
    /// Counters and sizes (locks each shard briefly in turn).
    [[nodiscard]] frame_cache_stats stats() const;
    /// Zeroes the counters (not the sizes); peak_bytes restarts from the current bytes.
    void reset_stats();
    /// Number of shards.
    [[nodiscard]] std::uint32_t shard_count() const noexcept;

    /// The bytes a frame is charged: view_charge for a zero-copy view, else its sample bytes.
    [[nodiscard]] static std::uint64_t charge(const any_frame& frame) noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace dicompix
