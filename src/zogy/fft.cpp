#include "fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

#include "errors.hpp"
#include "parallel.hpp"

namespace zogy::fft {

namespace {

// FFTW's planner is process-wide state; this lock is the one place that touches it.
std::mutex& planner_mutex() {
    static std::mutex mutex;
    return mutex;
}

fftw_complex* as_fftw(Complex* p) { return reinterpret_cast<fftw_complex*>(p); }

}  // namespace

Plan::Plan(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols) {
    // Plan on a buffer from the same allocator that execution uses, so alignment matches.
    AlignedBuffer<Complex> buffer(spectrum_size());
    double* real = reinterpret_cast<double*>(buffer.data());
    const int r = static_cast<int>(rows);
    const int c = static_cast<int>(cols);
    std::lock_guard<std::mutex> lock(planner_mutex());
    forward_plan_ = fftw_plan_dft_r2c_2d(r, c, real, as_fftw(buffer.data()), FFTW_ESTIMATE);
    inverse_plan_ = fftw_plan_dft_c2r_2d(r, c, as_fftw(buffer.data()), real, FFTW_ESTIMATE);
    // forward_box executes these on rows and columns of a plane's buffer: every row starts at
    // a multiple of 16 bytes, as the planning buffer's first row does, so FFTW's alignment
    // requirement for new-array execution holds.
    row_plan_ = fftw_plan_dft_r2c_1d(c, real, as_fftw(buffer.data()), FFTW_ESTIMATE);
    const int half = static_cast<int>(spectrum_cols());
    column_plan_ = fftw_plan_many_dft(1, &r, half, as_fftw(buffer.data()), nullptr, half, 1,
                                      as_fftw(buffer.data()), nullptr, half, 1, FFTW_FORWARD,
                                      FFTW_ESTIMATE);
    if (forward_plan_ == nullptr || inverse_plan_ == nullptr || row_plan_ == nullptr ||
        column_plan_ == nullptr) {
        throw NumericalError("FFTW could not plan a transform of the padded shape");
    }
}

Plan::~Plan() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftw_destroy_plan(static_cast<fftw_plan>(forward_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(inverse_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(row_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(column_plan_));
}

void Plan::forward(Complex* buffer) const {
    fftw_execute_dft_r2c(static_cast<fftw_plan>(forward_plan_),
                         reinterpret_cast<double*>(buffer), as_fftw(buffer));
}

void Plan::inverse_unscaled(Complex* buffer) const {
    fftw_execute_dft_c2r(static_cast<fftw_plan>(inverse_plan_), as_fftw(buffer),
                         reinterpret_cast<double*>(buffer));
}

void Plan::inverse(Complex* buffer) const {
    inverse_unscaled(buffer);
    double* real = reinterpret_cast<double*>(buffer);
    const double factor = scale();
    for (std::size_t y = 0; y < rows_; ++y) {
        double* row = real + y * row_stride();
        for (std::size_t x = 0; x < cols_; ++x) row[x] *= factor;
    }
}

void Plan::forward_box(ConstView box, std::size_t cy, std::size_t cx, Complex* buffer) const {
    if (box.rows > rows_ || box.cols > cols_ || cy >= box.rows || cx >= box.cols) {
        throw NumericalError("forward_box: the box does not fit the grid");
    }
    std::fill(buffer, buffer + spectrum_size(), Complex(0.0, 0.0));
    for (std::size_t a = 0; a < box.rows; ++a) {
        const std::size_t y = (a + rows_ - cy) % rows_;
        double* row = reinterpret_cast<double*>(buffer + y * spectrum_cols());
        for (std::size_t b = 0; b < box.cols; ++b) row[(b + cols_ - cx) % cols_] = box(a, b);
        fftw_execute_dft_r2c(static_cast<fftw_plan>(row_plan_), row, as_fftw(buffer + y * spectrum_cols()));
    }
    fftw_execute_dft(static_cast<fftw_plan>(column_plan_), as_fftw(buffer), as_fftw(buffer));
}

std::shared_ptr<const Plan> cached_plan(std::size_t rows, std::size_t cols) {
    struct Entry {
        std::size_t rows, cols;
        std::shared_ptr<const Plan> plan;
    };
    static std::mutex cache_mutex;
    static std::vector<Entry> cache;  // most recently used last
    constexpr std::size_t kCapacity = 16;
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        for (auto it = cache.begin(); it != cache.end(); ++it) {
            if (it->rows == rows && it->cols == cols) {
                Entry hit = *it;
                cache.erase(it);
                cache.push_back(hit);
                return hit.plan;
            }
        }
    }
    // Planned outside the cache lock (the planner has its own); two threads missing at once
    // both plan, identically, and one entry is kept.
    auto plan = std::make_shared<const Plan>(rows, cols);
    std::lock_guard<std::mutex> lock(cache_mutex);
    cache.push_back({rows, cols, plan});
    if (cache.size() > kCapacity) cache.erase(cache.begin());
    return plan;
}

void Plane::fill_real(double value) {
    double* r = real();
    std::fill(r, r + plan_->rows() * stride(), value);
}

double time_floor(std::size_t rows, std::size_t cols, int threads, int repeats) {
    const Plan plan(rows, cols);
    constexpr std::size_t kTransforms = 4;
    std::vector<Plane> planes;
    for (std::size_t i = 0; i < kTransforms; ++i) {
        planes.emplace_back(plan);
        planes.back().fill_real(1.0 + static_cast<double>(i));
    }
    double best = 1e300;
    for (int r = 0; r < std::max(repeats, 1); ++r) {
        const auto start = std::chrono::steady_clock::now();
        parallel_for(kTransforms, threads, [&](std::size_t i) { planes[i].forward(); });
        parallel_for(kTransforms, threads, [&](std::size_t i) { planes[i].inverse_unscaled(); });
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        best = std::min(best, took.count());
    }
    return best;
}

}  // namespace zogy::fft
