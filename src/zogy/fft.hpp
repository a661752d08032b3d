// FFTW behind RAII, planned deterministically (DESIGN section 7).
#pragma once

#include <complex>
#include <cstddef>

#include "view.hpp"

namespace zogy::fft {

using Complex = std::complex<double>;

// A real-to-complex / complex-to-real pair for one padded shape. Plans are made with
// FFTW_ESTIMATE (FFTW_MEASURE picks plans by the clock and is not reproducible) under a
// process-wide mutex, because FFTW's planner is not thread-safe. Execution goes through FFTW's
// new-array interface, which is thread-safe, so one Plan serves concurrent transforms; every
// buffer passed must come from AlignedBuffer (FFTW's arithmetic depends on alignment).
class Plan {
  public:
    Plan(std::size_t rows, std::size_t cols);
    ~Plan();
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;

    std::size_t rows() const { return rows_; }
    std::size_t cols() const { return cols_; }
    std::size_t real_size() const { return rows_ * cols_; }
    std::size_t spectrum_cols() const { return cols_ / 2 + 1; }
    std::size_t spectrum_size() const { return rows_ * spectrum_cols(); }

    // Unnormalised forward transform; `in` is preserved.
    void forward(const double* in, Complex* out) const;
    // Inverse transform divided by rows * cols (numpy's convention). `in` is preserved: the
    // complex-to-real transform destroys its input, so it runs on `scratch`
    // (spectrum_size() elements, aligned).
    void inverse(const Complex* in, double* out, Complex* scratch) const;

  private:
    std::size_t rows_, cols_;
    void* forward_plan_ = nullptr;
    void* inverse_plan_ = nullptr;
};

}  // namespace zogy::fft
