#include "fft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <mutex>

#include "errors.hpp"

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
    // Plan on buffers from the same allocator that execution uses, so alignment matches.
    AlignedBuffer<double> real(real_size());
    AlignedBuffer<Complex> spectrum(spectrum_size());
    const int r = static_cast<int>(rows);
    const int c = static_cast<int>(cols);
    std::lock_guard<std::mutex> lock(planner_mutex());
    forward_plan_ = fftw_plan_dft_r2c_2d(r, c, real.data(), as_fftw(spectrum.data()),
                                         FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
    inverse_plan_ = fftw_plan_dft_c2r_2d(r, c, as_fftw(spectrum.data()), real.data(),
                                         FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
    if (forward_plan_ == nullptr || inverse_plan_ == nullptr) {
        throw NumericalError("FFTW could not plan a transform of the padded shape");
    }
}

Plan::~Plan() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftw_destroy_plan(static_cast<fftw_plan>(forward_plan_));
    fftw_destroy_plan(static_cast<fftw_plan>(inverse_plan_));
}

void Plan::forward(const double* in, Complex* out) const {
    // FFTW's interface takes a non-const pointer; FFTW_PRESERVE_INPUT guarantees no write.
    fftw_execute_dft_r2c(static_cast<fftw_plan>(forward_plan_), const_cast<double*>(in),
                         as_fftw(out));
}

void Plan::inverse(const Complex* in, double* out, Complex* scratch) const {
    std::copy(in, in + spectrum_size(), scratch);
    fftw_execute_dft_c2r(static_cast<fftw_plan>(inverse_plan_), as_fftw(scratch), out);
    const double scale = 1.0 / static_cast<double>(real_size());
    for (std::size_t i = 0; i < real_size(); ++i) out[i] *= scale;
}

}  // namespace zogy::fft
