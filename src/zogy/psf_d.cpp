#include "psf_d.hpp"

#include <cmath>
#include <utility>

#include "kernel_grid.hpp"
#include "padding.hpp"

namespace zogy::psf_d {

namespace {

// The stamp of `out`'s shape around [0, 0] of a padded P_D (the inverse of placing a stamp
// there), renormalised to unit sum.
void crop_psf(const fft::Plane& padded, const fft::Plan& plan, MutView out) {
    double sum = 0.0;
    for (std::size_t a = 0; a < out.rows; ++a) {
        const std::size_t y = (a + plan.rows() - out.rows / 2) % plan.rows();
        for (std::size_t b = 0; b < out.cols; ++b) {
            const std::size_t x = (b + plan.cols() - out.cols / 2) % plan.cols();
            out(a, b) = padded.at(y, x);
            sum += out(a, b);
        }
    }
    if (std::isfinite(sum) && sum != 0.0) {
        for (std::size_t i = 0; i < out.size(); ++i) out.data[i] /= sum;
    }
}

// P_D_hat of every frequency of `plan` into `out` (which may be `pn`).
void psf_d_spectrum(const fft::Plane& pn, const fft::Plane& pr, const kernels::Model& model,
                    const fft::Plan& plan, fft::Plane& out) {
    const std::size_t half = plan.spectrum_cols();
    for (std::size_t ky = 0; ky < plan.rows(); ++ky) {
        const double fy = kernels::frequency(ky, plan.rows());
        for (std::size_t kx = 0; kx < half; ++kx) {
            const std::size_t i = ky * half + kx;
            const double fx = static_cast<double>(kx) / static_cast<double>(plan.cols());
            out.spectrum()[i] = model.at(pn.spectrum()[i], pr.spectrum()[i], fx, fy).psf_d;
        }
    }
}

// P_D's energy outside the central half of a small grid below which its stamp is exact to
// ~1e-11 of its peak (the oracle's full-grid P_D agrees to 1e-10).
constexpr double kPsfDTail = 1e-24;

}  // namespace

void stamp(const inputs::Prepared& n, const inputs::Prepared& r, const kernels::Model& model,
           const fft::Plan& full, PlanePool& pool, MutView out) {
    std::size_t rows = kernel_grid::grid_side(n.psf_rows, r.psf_rows, full.rows(), 4);
    std::size_t cols = kernel_grid::grid_side(n.psf_cols, r.psf_cols, full.cols(), 4);
    while (2 * rows <= full.rows() && 2 * cols <= full.cols()) {
        const auto plan = fft::cached_plan(rows, cols);
        fft::Plane pn(*plan), pr(*plan);
        inputs::psf_spectra(n, r, 1, pn, pr);
        psf_d_spectrum(pn, pr, model, *plan, pn);
        pn.inverse();
        if (kernel_grid::tail_fraction(pn, *plan) < kPsfDTail) {
            crop_psf(pn, *plan, out);
            return;
        }
        rows = padding::smooth_size(2 * rows);
        cols = padding::smooth_size(2 * cols);
    }
    fft::Plane pn = pool.take(), pr = pool.take();
    inputs::psf_spectra(n, r, 1, pn, pr);
    psf_d_spectrum(pn, pr, model, full, pn);
    pn.inverse();
    crop_psf(pn, full, out);
    pool.give(std::move(pn));
    pool.give(std::move(pr));
}

}  // namespace zogy::psf_d
