// Runs independent tasks on a few threads. Each task's arithmetic is fixed in advance, so
// results do not depend on the thread count or on which thread ran what (DESIGN section 7).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "fp_env.hpp"

namespace zogy {

inline void parallel_for(std::size_t n_tasks, int threads,
                         const std::function<void(std::size_t)>& task) {
    const std::size_t n_workers =
        std::min<std::size_t>(n_tasks, threads > 1 ? static_cast<std::size_t>(threads) : 1);
    if (n_workers <= 1) {
        for (std::size_t i = 0; i < n_tasks; ++i) task(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto worker = [&]() {
        for (std::size_t i = next++; i < n_tasks; i = next++) {
            try {
                task(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!first_error) first_error = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    try {
        for (std::size_t w = 1; w < n_workers; ++w) {
            pool.emplace_back([&] {
                // A new thread's floating-point environment is not the caller's business.
                const IeeeDefaultEnvironment environment;
                worker();
            });
        }
    } catch (const std::system_error&) {
        // No more threads to be had (e.g. a process limit): the workers already started and
        // this thread share the tasks; results do not depend on how many there are.
    }
    worker();
    for (auto& t : pool) t.join();
    if (first_error) std::rethrow_exception(first_error);
}

// Rows are processed in fixed blocks, whatever the thread count. The work per row is its own
// (sums over rows are kept per row and added in row order afterwards), so no result depends
// on the number of threads.
constexpr std::size_t kRowsPerBlock = 32;

template <typename RowFn>
void for_row_blocks(std::size_t rows, int threads, RowFn&& row_fn) {
    const std::size_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    parallel_for(blocks, threads, [&](std::size_t b) {
        const std::size_t end = std::min(rows, (b + 1) * kRowsPerBlock);
        for (std::size_t ky = b * kRowsPerBlock; ky < end; ++ky) row_fn(b, ky);
    });
}

}  // namespace zogy
