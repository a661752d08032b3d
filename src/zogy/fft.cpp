#include "fft.hpp"

#include <fftw3.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "parallel.hpp"

namespace zogy::fft {

namespace {

// FFTW's planner is process-wide state; this lock is the one place that touches it. Never
// destroyed (nor is the plan cache): threads still inside a call when the process exits
// (Python's daemon threads) would otherwise meet destroyed locks and plans.
std::mutex& planner_mutex() {
    static std::mutex& mutex = *new std::mutex;
    return mutex;
}

fftw_complex* as_fftw(Complex* p) { return reinterpret_cast<fftw_complex*>(p); }

// Columns per block of forward_box's decimated column pass. Each block is visited rows/p times
// (once per output row class): at 64 columns its scratch (p rows) and the slice of the box's
// row spectra it reads stay in L2 between visits, where whole rows of a large grid would not
// (measured: whole rows take ~1.4x as long at 2160^2 with a 168-row box, then a squared
// kernel's; PSF stamps are the boxes now, 41-row ones at 2048^2; 32 to 64 was best).
constexpr std::size_t kBoxChunk = 64;

std::size_t box_chunk(std::size_t spectrum_cols) { return std::min(kBoxChunk, spectrum_cols); }

// exp(-2 pi i m / n). The angle is first folded into [0, pi/4] by exact integer arithmetic (in
// units of 2 pi / 8n), so cos and sin see a small argument rounded once: the error stays at a
// few 1e-17 for every m and n, where cos(2 pi m / n) loses up to ~1e-15 near a full turn.
Complex unit_root(std::size_t m, std::size_t n) {
    const std::size_t turn = 8 * n;
    std::size_t e = 8 * (m % n);
    const bool mirror_pi = 2 * e > turn;  // theta -> 2 pi - theta: sin changes sign
    if (mirror_pi) e = turn - e;
    const bool mirror_half_pi = 4 * e > turn;  // theta -> pi - theta: cos changes sign
    if (mirror_half_pi) e = turn / 2 - e;
    const bool mirror_quarter_pi = 8 * e > turn;  // theta -> pi/2 - theta: cos and sin swap
    if (mirror_quarter_pi) e = turn / 4 - e;
    const double pi = 3.141592653589793238462643383279502884;
    const double theta = pi * static_cast<double>(e) / static_cast<double>(4 * n);
    double c = std::cos(theta), s = std::sin(theta);
    if (mirror_quarter_pi) std::swap(c, s);
    if (mirror_half_pi) c = -c;
    if (mirror_pi) s = -s;
    return Complex(c, -s);
}

// The decimation factor of forward_box for a box of h rows on a grid of n rows: the smallest
// divisor p of n with p >= h, so that the box's rows fall on distinct rows modulo p. 0 when
// only n itself qualifies: then there is nothing to prune.
std::size_t decimation_factor(std::size_t n, std::size_t h) {
    for (std::size_t p = std::max<std::size_t>(h, 1); 2 * p <= n; ++p) {
        if (n % p == 0) return p;
    }
    return 0;
}

// dst = src * w over n complex numbers, written out so that no library complex multiply (with
// its NaN recovery branch) sits in the inner loop.
void multiply_row(const Complex* src, Complex w, std::size_t n, Complex* dst) {
    const double* in = reinterpret_cast<const double*>(src);
    double* out = reinterpret_cast<double*>(dst);
    const double wr = w.real(), wi = w.imag();
    for (std::size_t i = 0; i < n; ++i) {
        const double re = in[2 * i], im = in[2 * i + 1];
        out[2 * i] = re * wr - im * wi;
        out[2 * i + 1] = re * wi + im * wr;
    }
}

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
    twiddles_.resize(rows);
    for (std::size_t m = 0; m < rows; ++m) twiddles_[m] = unit_root(m, rows);
}

Plan::~Plan() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftw_destroy_plan(static_cast<fftw_plan>(forward_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(inverse_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(row_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(column_plan_));
    for (const auto& entry : column_plans_) {
        fftw_destroy_plan(static_cast<fftw_plan>(entry.second.chunk));
        if (entry.second.tail != nullptr) {
            fftw_destroy_plan(static_cast<fftw_plan>(entry.second.tail));
        }
    }
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

void Plan::check_fits(const Box& b) const {
    if (b.box.rows > rows_ || b.box.cols > cols_ || b.cy >= b.box.rows || b.cx >= b.box.cols) {
        throw NumericalError("forward_box: the box does not fit the grid");
    }
}

void Plan::forward_box(ConstView box, std::size_t cy, std::size_t cx, Complex* buffer) const {
    check_fits(Box{box, cy, cx});
    const std::size_t p = decimation_factor(rows_, box.rows);
    if (p == 0) {
        forward_box_full(box, cy, cx, buffer);
    } else {
        forward_box_decimated(box, cy, cx, p, buffer);
    }
}

// One box row placed (pixel cx at x = 0, the rest wrapped) in a zeroed padded row, transformed
// along x in place: `row` holds spectrum_cols() complex numbers and starts 16-byte aligned, as
// the row plan's planning buffer did.
void Plan::transform_box_row(const double* src, std::size_t w, std::size_t cx,
                             Complex* row) const {
    double* real = reinterpret_cast<double*>(row);
    std::fill(real, real + row_stride(), 0.0);
    for (std::size_t b = 0; b < w; ++b) real[(b + cols_ - cx) % cols_] = src[b];
    fftw_execute_dft_r2c(static_cast<fftw_plan>(row_plan_), real, as_fftw(row));
}

// The box's rows transformed in place in the plane, then the full column pass.
void Plan::forward_box_full(ConstView box, std::size_t cy, std::size_t cx,
                            Complex* buffer) const {
    std::fill(buffer, buffer + spectrum_size(), Complex(0.0, 0.0));
    for (std::size_t a = 0; a < box.rows; ++a) {
        const std::size_t y = (a + rows_ - cy) % rows_;
        transform_box_row(&box(a, 0), box.cols, cx, buffer + y * spectrum_cols());
    }
    fftw_execute_dft(static_cast<fftw_plan>(column_plan_), as_fftw(buffer), as_fftw(buffer));
}

// A box's rows transformed along x (T_a, one row of spectrum_cols() each) and the plane row
// each lands on.
struct Plan::BoxRows {
    AlignedBuffer<Complex> spectra;
    std::vector<std::size_t> plane_row;
};

Plan::BoxRows Plan::box_rows(const Box& b) const {
    check_fits(b);
    const std::size_t half = spectrum_cols();
    BoxRows rows{AlignedBuffer<Complex>(b.box.rows * half), std::vector<std::size_t>(b.box.rows)};
    for (std::size_t a = 0; a < b.box.rows; ++a) {
        transform_box_row(&b.box(a, 0), b.box.cols, b.cx, rows.spectra.data() + a * half);
        rows.plane_row[a] = (a + rows_ - b.cy) % rows_;
    }
    return rows;
}

// Decimation in frequency of the column pass. With n = rows, T_a the x-transform of box row a,
// y_a its row in the plane and l = n / p, output row k = q + l r (q < l, r < p) is
//   X[q + l r] = sum_a (T_a w_n^(y_a q)) w_p^(y_a r),
// a length-p DFT over y_a mod p (distinct, as p >= box rows) of the twiddled rows. So for
// each q, one batch of length-p column FFTs gives output rows q, q + l, ..., q + (p-1) l:
// every element of the plane exactly once, with O(log p) instead of O(log n) work each.
// box_class does one chunk of columns (from c0) of class q: it fills the block (p rows) with
// the twiddled row spectra and transforms its columns into `out` (the chunk's first column of
// output row q; the plans' output stride spaces the rows). The rows of the block that no box
// row maps to stay zero throughout: the box's rows land on the same block rows for every q,
// and out-of-place complex FFTs preserve their input.
void Plan::box_class(const BoxRows& rows, const ColumnPlans& plans, std::size_t p,
                     std::size_t q, std::size_t c0, Complex* block, Complex* out) const {
    const std::size_t half = spectrum_cols(), chunk = box_chunk(half);
    const std::size_t width = std::min(chunk, half - c0);
    for (std::size_t a = 0; a < rows.plane_row.size(); ++a) {
        const Complex twiddle = twiddles_[(rows.plane_row[a] * q) % rows_];
        multiply_row(rows.spectra.data() + a * half + c0, twiddle, width,
                     block + (rows.plane_row[a] % p) * chunk);
    }
    const auto plan = static_cast<fftw_plan>(width == chunk ? plans.chunk : plans.tail);
    fftw_execute_dft(plan, as_fftw(block), as_fftw(out));
}

void Plan::forward_box_decimated(ConstView box, std::size_t cy, std::size_t cx, std::size_t p,
                                 Complex* buffer) const {
    const std::size_t half = spectrum_cols(), l = rows_ / p;
    const std::size_t chunk = box_chunk(half);
    const ColumnPlans plans = column_plans(p, l);
    const BoxRows rows = box_rows(Box{box, cy, cx});
    AlignedBuffer<Complex> block(p * chunk);
    std::fill(block.data(), block.data() + block.size(), Complex(0.0, 0.0));
    // Chunk by chunk: a chunk's slice of the row spectra stays in cache across the classes.
    for (std::size_t c0 = 0; c0 < half; c0 += chunk) {
        for (std::size_t q = 0; q < l; ++q) {
            box_class(rows, plans, p, q, c0, block.data(), buffer + q * half + c0);
        }
    }
}

bool Plan::forward_boxes_by_class(const std::vector<Box>& boxes, int threads,
                                  const ClassConsumer& consume) const {
    std::size_t tallest = 0;
    for (const Box& b : boxes) tallest = std::max(tallest, b.box.rows);
    const std::size_t p = decimation_factor(rows_, tallest);
    if (p == 0 || boxes.empty()) return false;
    const std::size_t half = spectrum_cols(), l = rows_ / p, chunk = box_chunk(half);
    const ColumnPlans plans = column_plans(p, 1);
    std::vector<BoxRows> rows;
    for (const Box& b : boxes) rows.push_back(box_rows(b));
    // A class's blocks (one per box: each keeps its own zero rows) and output rows, reused by
    // the tasks one after another (fresh ones per class would fault in new pages each time).
    struct Scratch {
        std::vector<AlignedBuffer<Complex>> blocks, out;
    };
    std::mutex mutex;
    std::vector<std::unique_ptr<Scratch>> free;
    auto take = [&] {
        std::lock_guard<std::mutex> lock(mutex);
        if (!free.empty()) {
            auto s = std::move(free.back());
            free.pop_back();
            return s;
        }
        auto s = std::make_unique<Scratch>();
        for (std::size_t b = 0; b < boxes.size(); ++b) {
            s->blocks.emplace_back(p * chunk);
            std::fill(s->blocks[b].data(), s->blocks[b].data() + p * chunk, Complex(0.0, 0.0));
            s->out.emplace_back(p * half);
        }
        return s;
    };
    parallel_for(l, threads, [&](std::size_t q) {
        std::unique_ptr<Scratch> s = take();
        std::vector<const Complex*> spectra;
        for (std::size_t b = 0; b < boxes.size(); ++b) {
            for (std::size_t c0 = 0; c0 < half; c0 += chunk) {
                box_class(rows[b], plans, p, q, c0, s->blocks[b].data(), s->out[b].data() + c0);
            }
            spectra.push_back(s->out[b].data());
        }
        consume(q, p, spectra);
        std::lock_guard<std::mutex> lock(mutex);
        free.push_back(std::move(s));
    });
    return true;
}

Plan::ColumnPlans Plan::column_plans(std::size_t p, std::size_t out_rows) const {
    std::lock_guard<std::mutex> lock(column_plans_mutex_);
    const auto found = column_plans_.find({p, out_rows});
    if (found != column_plans_.end()) return found->second;

    const std::size_t half = spectrum_cols(), chunk = box_chunk(half);
    const int length = static_cast<int>(p);
    const int in_stride = static_cast<int>(chunk);
    const int out_stride = static_cast<int>(out_rows * half);
    // Planned on buffers from the allocator execution uses (16-byte alignment is what FFTW's
    // new-array execution checks; any block or plane row offset has it). FFTW_ESTIMATE does
    // not touch the arrays, so the plane-sized output costs address space only.
    AlignedBuffer<Complex> block(p * chunk), plane(spectrum_size());
    const auto plan_width = [&](std::size_t width) {
        return static_cast<void*>(fftw_plan_many_dft(
            1, &length, static_cast<int>(width), as_fftw(block.data()), nullptr, in_stride, 1,
            as_fftw(plane.data()), nullptr, out_stride, 1, FFTW_FORWARD,
            FFTW_ESTIMATE | FFTW_PRESERVE_INPUT));
    };
    ColumnPlans plans;
    {
        std::lock_guard<std::mutex> planner(planner_mutex());
        plans.chunk = plan_width(chunk);
        if (half % chunk != 0) plans.tail = plan_width(half % chunk);
        if (plans.chunk == nullptr || (half % chunk != 0 && plans.tail == nullptr)) {
            if (plans.chunk != nullptr) fftw_destroy_plan(static_cast<fftw_plan>(plans.chunk));
            if (plans.tail != nullptr) fftw_destroy_plan(static_cast<fftw_plan>(plans.tail));
            throw NumericalError("FFTW could not plan the column pass of forward_box");
        }
    }
    column_plans_.emplace(std::make_pair(p, out_rows), plans);
    return plans;
}

namespace {

// The process-wide plan cache (a memo: see cached_plan in fft.hpp).
struct PlanCache {
    struct Entry {
        std::size_t rows, cols;
        std::shared_ptr<const Plan> plan;
    };
    static constexpr std::size_t kCapacity = 16;
    std::mutex mutex;
    std::vector<Entry> entries;  // most recently used last
};

PlanCache& plan_cache() {
    static PlanCache& cache = *new PlanCache;  // never destroyed: see planner_mutex()
    return cache;
}

}  // namespace

// fork() copies only the calling thread: a lock another thread held at that moment would stay
// locked in the child for ever (a Pool forked while threads subtract hung). Every lock a child
// can reach — the plan cache, the column-plan locks of the cached plans, FFTW's planner — is
// taken before fork() and released on both sides after it, so the child finds them free and
// FFTW's planner state whole. Order as everywhere else: cache, then plan, then planner.
struct ForkHandlers {
    static void prepare() {
        PlanCache& cache = plan_cache();
        cache.mutex.lock();
        for (const auto& entry : cache.entries) entry.plan->column_plans_mutex_.lock();
        planner_mutex().lock();
    }
    static void release() {
        PlanCache& cache = plan_cache();
        planner_mutex().unlock();
        for (auto it = cache.entries.rbegin(); it != cache.entries.rend(); ++it) {
            it->plan->column_plans_mutex_.unlock();
        }
        cache.mutex.unlock();
    }
};

namespace {
[[maybe_unused]] const int kForkHandlersRegistered =
    pthread_atfork(&ForkHandlers::prepare, &ForkHandlers::release, &ForkHandlers::release);
}  // namespace

std::shared_ptr<const Plan> cached_plan(std::size_t rows, std::size_t cols) {
    PlanCache& cache = plan_cache();
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        auto& entries = cache.entries;
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (it->rows == rows && it->cols == cols) {
                PlanCache::Entry hit = *it;
                entries.erase(it);
                entries.push_back(hit);
                return hit.plan;
            }
        }
    }
    // Planned outside the cache lock (the planner has its own); two threads missing at once
    // both plan, identically, and one entry is kept.
    auto plan = std::make_shared<const Plan>(rows, cols);
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.entries.push_back({rows, cols, plan});
    if (cache.entries.size() > PlanCache::kCapacity) cache.entries.erase(cache.entries.begin());
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
