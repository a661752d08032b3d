// FFTW behind RAII, planned deterministically (DESIGN section 7).
#pragma once

#include <complex>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "view.hpp"

namespace zogy::fft {

using Complex = std::complex<double>;

// In-place real-to-complex / complex-to-real transforms of one shape. Plans are made with
// FFTW_ESTIMATE (FFTW_MEASURE picks plans by the clock and is not reproducible) under a
// process-wide mutex, because FFTW's planner is not thread-safe. Execution goes through FFTW's
// new-array interface, which is thread-safe, so one Plan serves concurrent transforms on
// different Planes. In place, one buffer per plane holds first the real data (rows of
// row_stride() doubles, FFTW's padded layout) and then its half spectrum: this halves the
// memory of a subtraction.
class Plan {
  public:
    Plan(std::size_t rows, std::size_t cols);
    ~Plan();
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    std::size_t spectrum_cols() const { return cols_ / 2 + 1; }
    std::size_t spectrum_size() const { return rows_ * spectrum_cols(); }
    std::size_t row_stride() const { return 2 * spectrum_cols(); }  // in doubles

    // Unnormalised forward transform of the real rows in `buffer` into its half spectrum.
    void forward(Complex* buffer) const;
    // Inverse transform divided by rows * cols (numpy's convention), back into real rows.
    void inverse(Complex* buffer) const;
    // The same without the division: for planes whose consumer scales them anyway (by
    // scale()), which saves a pass over the plane. inverse() == inverse_unscaled() * scale().
    void inverse_unscaled(Complex* buffer) const;
    double scale() const { return 1.0 / static_cast<double>(rows_ * cols_); }
    // The forward transform of a real plane that is zero outside a small box (a PSF stamp):
    // `box` holds the box, its pixel (cy, cx) goes to [0, 0] and the rest
    // wraps around the edges. Only the box's rows are transformed along x; the column pass is
    // pruned by decimation in frequency (fft.cpp) when rows() has a divisor at least as large
    // as the box, else it is the full one. Same values as forward() of that plane to
    // round-off, not bit for bit; the same bits on every call for buffers of one alignment.
    void forward_box(ConstView box, std::size_t cy, std::size_t cx, Complex* buffer) const;

    // forward_box of several boxes, handed over a class of output rows at a time instead of
    // written to planes: for each q < l = rows() / p (tasks on `threads` threads, in no fixed
    // order), consume(q, p, spectra) gets in spectra[b] box b's output rows q, q + l, ...,
    // q + (p - 1) l, row r at spectra[b] + r * spectrum_cols(). A consumer that multiplies
    // them into other spectra row by row needs no plane per box, and reads each value from
    // cache right after it is made. p is the decimation factor of the tallest box; false, and
    // nothing done, when rows() has none (the caller then uses forward_box).
    struct Box {
        ConstView box;
        std::size_t cy, cx;
    };
    using ClassConsumer = std::function<void(std::size_t q, std::size_t p,
                                             const std::vector<const Complex*>& spectra)>;
    bool forward_boxes_by_class(const std::vector<Box>& boxes, int threads,
                                const ClassConsumer& consume) const;

  private:
    // Column FFTs of length p for the decimated column pass of forward_box: from a scratch
    // block of p rows of one chunk of columns (fft.cpp) into rows of a half spectrum
    // `out_rows` rows apart (rows/p in a plane, 1 in forward_boxes_by_class's scratch).
    struct ColumnPlans {
        void* chunk = nullptr;  // a full chunk of columns
        void* tail = nullptr;   // the narrower last chunk (null when the chunks fit exactly)
    };
    struct BoxRows;  // a box's rows transformed along x (fft.cpp)

    void check_fits(const Box& box) const;
    void transform_box_row(const double* src, std::size_t w, std::size_t cx, Complex* row) const;
    BoxRows box_rows(const Box& box) const;
    void box_class(const BoxRows& rows, const ColumnPlans& plans, std::size_t p, std::size_t q,
                   std::size_t c0, Complex* block, Complex* out) const;
    void forward_box_full(ConstView box, std::size_t cy, std::size_t cx, Complex* buffer) const;
    void forward_box_decimated(ConstView box, std::size_t cy, std::size_t cx, std::size_t p,
                               Complex* buffer) const;
    ColumnPlans column_plans(std::size_t p, std::size_t out_rows) const;

    std::size_t rows_, cols_;
    void* forward_plan_ = nullptr;
    void* inverse_plan_ = nullptr;
    void* row_plan_ = nullptr;     // 1-D in-place r2c of one row
    void* column_plan_ = nullptr;  // in-place c2c down every column of the half spectrum
    std::vector<Complex> twiddles_;  // exp(-2 pi i m / rows), m = 0 .. rows - 1
    // Planned on first use for each p: p follows the box height, which only the callers know.
    // Entries are FFTW_ESTIMATE plans, a function of (shape, p) alone, so the memo cannot
    // change any result; they live as long as the Plan.
    mutable std::mutex column_plans_mutex_;
    friend struct ForkHandlers;  // holds the lock across fork() (fft.cpp)
    mutable std::map<std::pair<std::size_t, std::size_t>, ColumnPlans> column_plans_;
};

// A Plan for this shape from a small process-wide cache (16 shapes, least recently used out),
// so repeated subtractions and grid cells of one size do not replan. Plans are FFTW_ESTIMATE
// plans on 64-byte aligned buffers, a function of the shape alone: which call made one cannot
// change any result, so the cache is a memo, not state that affects the numbers.
std::shared_ptr<const Plan> cached_plan(std::size_t rows, std::size_t cols);

// One padded plane in the in-place layout of a Plan, 64-byte aligned (FFTW's arithmetic
// depends on alignment, so every plane planned or executed on comes from here).
class Plane {
  public:
    explicit Plane(const Plan& plan) : plan_(&plan), data_(plan.spectrum_size()) {}

    double* real() { return reinterpret_cast<double*>(data_.data()); }
    const double* real() const { return reinterpret_cast<const double*>(data_.data()); }
    Complex* spectrum() { return data_.data(); }
    const Complex* spectrum() const { return data_.data(); }
    std::size_t stride() const { return plan_->row_stride(); }
    double& at(std::size_t y, std::size_t x) { return real()[y * stride() + x]; }
    double at(std::size_t y, std::size_t x) const { return real()[y * stride() + x]; }
    void fill_real(double value);

    void forward() { plan_->forward(data_.data()); }
    void forward_box(ConstView box, std::size_t cy, std::size_t cx) {
        plan_->forward_box(box, cy, cx, data_.data());
    }
    void inverse() { plan_->inverse(data_.data()); }
    void inverse_unscaled() { plan_->inverse_unscaled(data_.data()); }
    // The plane's memory handed over as `keep` doubles from its start (an output written
    // there), the rest returned to the system; the plane is empty afterwards.
    std::shared_ptr<double> release(std::size_t keep) { return data_.share_as<double>(keep); }

  private:
    const Plan* plan_;
    AlignedBuffer<Complex> data_;
};

// Seconds for the "FFT floor" of one subtraction at this padded shape: 4 forward (two images,
// two variance planes) and 4 inverse (D, S, V_D, V_S) transforms, unnormalised (a transform
// alone, no pass over the plane besides), run as independent tasks on `threads` threads as
// subtract() runs its full-grid transforms (its default variance planes need none: they are
// tiled, overlap.hpp). Best of `repeats`.
double time_floor(std::size_t rows, std::size_t cols, int threads, int repeats);

}  // namespace zogy::fft
