// SPDX-License-Identifier: BSD-3-Clause
#include "robustness/bounded.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define DICOMPIX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DICOMPIX_TEST_ASAN 1
#endif
#endif

#if DICOMPIX_TEST_ASAN
// The sanitizer allocator interface (compiler-rt sanitizer/allocator_interface.h; GCC does not ship the
// header but libasan exports the functions).
extern "C" {
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                              void (*free_hook)(const volatile void*));
std::size_t __sanitizer_get_current_allocated_bytes();
}
#endif

namespace dicompix::test {
namespace {

#if DICOMPIX_TEST_ASAN
std::atomic<std::size_t> peak_allocated{0};
void on_malloc(const volatile void*, std::size_t) {
    const std::size_t now = __sanitizer_get_current_allocated_bytes();
    std::size_t seen = peak_allocated.load(std::memory_order_relaxed);
    while (now > seen && !peak_allocated.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
}
void on_free(const volatile void*) {}
#endif

/// Address space and resident set of this process (bytes), from /proc/self/statm.
struct statm {
    std::uint64_t size{0};
    std::uint64_t resident{0};
};
statm read_statm() {
    statm m;
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) {
        return m;
    }
    unsigned long long pages = 0;
    unsigned long long resident = 0;
    if (std::fscanf(f, "%llu %llu", &pages, &resident) == 2) {
        const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
        m.size = pages * page;
        m.resident = resident * page;
    }
    std::fclose(f);
    return m;
}

double cpu_of(const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// Fixed-size record the child writes to the pipe, followed by `detail_size` bytes of detail.
struct wire {
    std::uint8_t how;
    std::uint8_t rlimit_used;
    std::int32_t code;
    double cpu_seconds;
    double wall_seconds;
    std::uint64_t peak_heap;
    std::uint64_t peak_rss;
    std::uint32_t detail_size;
};

void write_all(int fd, const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return;
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

[[noreturn]] void child(int fd, const std::function<child_outcome()>& work, const bounds& limits,
                        double wall_limit) {
    wire w{};
    std::string detail;
#if DICOMPIX_TEST_ASAN
    (void)limits; // compared with the peak heap by the parent
    const std::size_t heap_before = __sanitizer_get_current_allocated_bytes();
    peak_allocated.store(heap_before);
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#else
    const std::uint64_t vm = read_statm().size;
    if (vm != 0) {
        const rlim_t cap = static_cast<rlim_t>(vm + limits.memory_bytes);
        const rlimit rl{cap, cap};
        w.rlimit_used = setrlimit(RLIMIT_AS, &rl) == 0 ? 1 : 0;
    }
#endif
    alarm(static_cast<unsigned>(wall_limit));
    // ru_maxrss of a forked child starts at the parent's resident pages it shares; report the growth.
    const std::uint64_t resident_before = read_statm().resident;
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    const auto start = std::chrono::steady_clock::now();
    try {
        const child_outcome o = work();
        w.how = static_cast<std::uint8_t>(bounded_result::ending::returned);
        w.code = o.code;
        detail = o.detail;
    } catch (const std::bad_alloc& e) {
        w.how = static_cast<std::uint8_t>(bounded_result::ending::bad_alloc);
        detail = e.what();
    } catch (const std::exception& e) {
        w.how = static_cast<std::uint8_t>(bounded_result::ending::exception);
        detail = e.what();
    } catch (...) {
        w.how = static_cast<std::uint8_t>(bounded_result::ending::exception);
        detail = "unknown exception";
    }
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    w.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    w.cpu_seconds = cpu_of(after) - cpu_of(before);
    const std::uint64_t peak = static_cast<std::uint64_t>(after.ru_maxrss) * 1024U;
    w.peak_rss = peak > resident_before ? peak - resident_before : 0;
#if DICOMPIX_TEST_ASAN
    const std::size_t heap_peak = peak_allocated.load();
    w.peak_heap = heap_peak > heap_before ? heap_peak - heap_before : 0;
#endif
    if (detail.size() > 1024) {
        detail.resize(1024);
    }
    w.detail_size = static_cast<std::uint32_t>(detail.size());
    write_all(fd, &w, sizeof w);
    write_all(fd, detail.data(), detail.size());
    ::close(fd);
    std::fflush(nullptr);
    _exit(0); // no destructors, no atexit handlers (gtest's) in the child
}

} // namespace

bool built_with_asan() noexcept {
#if DICOMPIX_TEST_ASAN
    return true;
#else
    return false;
#endif
}

double slow_build_factor() noexcept {
    if (built_with_asan()) {
        return 10.0;
    }
#if defined(__OPTIMIZE__)
    return 1.0;
#else
    return 4.0;
#endif
}

std::string bounded_result::describe() const {
    static constexpr const char* names[] = {"returned", "exception", "bad_alloc", "crashed", "hung"};
    std::string s = names[static_cast<int>(how)];
    if (how == ending::returned) {
        s += " code " + std::to_string(outcome.code);
    }
    if (how == ending::crashed) {
        s += " (signal " + std::to_string(signal) + ")";
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "; cpu %.3f s, wall %.3f s, peak heap %.1f MiB, peak RSS %.1f MiB", cpu_seconds,
                  wall_seconds, static_cast<double>(peak_heap) / 1048576.0, static_cast<double>(peak_rss) / 1048576.0);
    s += buf;
    if (!outcome.detail.empty()) {
        s += "; " + outcome.detail;
    }
    return s;
}

bounded_result run_bounded(const std::function<child_outcome()>& work, const bounds& limits) {
    bounded_result r;
    int fds[2];
    if (pipe(fds) != 0) {
        r.outcome.detail = "pipe() failed";
        return r;
    }
    // Generous wall limit: the machine may be shared; CPU time is what the bound checks.
    const double wall_limit = std::max(60.0, limits.cpu_seconds * slow_build_factor() * 20.0);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        r.outcome.detail = "fork() failed";
        return r;
    }
    if (pid == 0) {
        ::close(fds[0]);
        child(fds[1], work, limits, wall_limit);
    }
    ::close(fds[1]);
    std::vector<char> received;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        received.insert(received.end(), buffer, buffer + n);
    }
    ::close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
        r.how = r.signal == SIGALRM ? bounded_result::ending::hung : bounded_result::ending::crashed;
        r.outcome.detail = std::string("child killed by signal ") + strsignal(r.signal);
        return r;
    }
    wire w{};
    if (received.size() < sizeof w) {
        r.how = bounded_result::ending::crashed;
        r.outcome.detail = "child exited with status " + std::to_string(WEXITSTATUS(status)) + " without a report";
        return r;
    }
    std::memcpy(&w, received.data(), sizeof w);
    r.how = static_cast<bounded_result::ending>(w.how);
    r.outcome.code = w.code;
    r.outcome.detail.assign(received.data() + sizeof w,
                            std::min<std::size_t>(w.detail_size, received.size() - sizeof w));
    r.cpu_seconds = w.cpu_seconds;
    r.wall_seconds = w.wall_seconds;
    r.peak_heap = w.peak_heap;
    r.peak_rss = w.peak_rss;
    r.rlimit_used = w.rlimit_used != 0;
    return r;
}

} // namespace dicompix::test
