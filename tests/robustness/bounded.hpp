// SPDX-License-Identifier: BSD-3-Clause
// Runs a piece of library work in a forked child under a memory bound and a time bound, and reports what
// happened (reliability.md §4: "return a typed error ... within bounded time and bounded memory — never
// crash, assert, hang"; §5.3: "asserting the error type and a peak-RSS bound (e.g. run under RLIMIT_AS)").
//
// Memory: in a plain build the child runs under setrlimit(RLIMIT_AS) = its address space at the start +
// the bound, so an allocation beyond the bound fails (std::bad_alloc, reported as such). AddressSanitizer
// reserves terabytes of address space for its shadow, so RLIMIT_AS cannot be used there: ASan builds
// install the sanitizer allocator hooks instead and measure the peak of live heap bytes, which is
// compared with the bound after the work (an allocation the library should have refused shows up as a
// peak above the bound). Both report how much the child's resident set grew as well.
// Time: the child's CPU time (user + system, robust against a loaded machine) is compared with the bound;
// a wall-clock alarm kills a child that hangs (SIGALRM), which is reported as a hang.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace dicompix::test {

/// What the work in the child returns.
struct child_outcome {
    int code{0};          ///< e.g. an errc value (0 = success)
    std::string detail;   ///< a message for the test log (truncated to 1 KiB)
};

/// How the child ended.
struct bounded_result {
    enum class ending : std::uint8_t { returned, exception, bad_alloc, crashed, hung };
    ending how{ending::crashed};
    child_outcome outcome;      ///< valid when how == returned
    int signal{0};              ///< when crashed
    double cpu_seconds{0};      ///< user + system time of the work
    double wall_seconds{0};
    std::uint64_t peak_heap{0}; ///< ASan builds: peak live heap bytes during the work; 0 otherwise
    std::uint64_t peak_rss{0};  ///< growth of the child's resident set during the work (bytes)
    bool rlimit_used{false};    ///< whether RLIMIT_AS enforced the memory bound

    [[nodiscard]] std::string describe() const;
};

struct bounds {
    std::uint64_t memory_bytes{256ULL << 20}; ///< extra address space (plain) or peak live heap (ASan)
    double cpu_seconds{5.0};                  ///< before the sanitizer factor
};

/// True in AddressSanitizer builds (GCC __SANITIZE_ADDRESS__, clang __has_feature).
[[nodiscard]] bool built_with_asan() noexcept;
/// CPU-time factor for slow builds: 10 under ASan, 4 in unoptimised builds, else 1.
[[nodiscard]] double slow_build_factor() noexcept;

/// Forks, runs `work` in the child under the bounds, and returns how it ended. The parent's state is not
/// touched by the work. `work` may throw: std::bad_alloc and other exceptions are reported as such.
[[nodiscard]] bounded_result run_bounded(const std::function<child_outcome()>& work, const bounds& limits);

} // namespace dicompix::test
