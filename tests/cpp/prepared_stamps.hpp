// Test helpers: a prepared input holding only what the kernel stages read (a unit-sum stamp
// and its moments), and a stamp's spectrum by a plain full-plane FFT.
#pragma once

#include <cmath>
#include <cstddef>

#include "zogy/fft.hpp"
#include "zogy/inputs.hpp"
#include "zogy/kernels.hpp"

namespace zogy::testing {

// A unit-sum Gaussian of width sigma on a rows x cols stamp centred at (rows/2, cols/2).
inline inputs::Prepared gaussian_input(std::size_t rows, std::size_t cols, double sigma) {
    inputs::Prepared p;
    p.psf_rows = rows;
    p.psf_cols = cols;
    p.psf.resize(rows * cols);
    double sum = 0.0;
    for (std::size_t y = 0; y < rows; ++y) {
        for (std::size_t x = 0; x < cols; ++x) {
            const double dy = static_cast<double>(y) - static_cast<double>(rows / 2);
            const double dx = static_cast<double>(x) - static_cast<double>(cols / 2);
            sum += p.psf[y * cols + x] = std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
        }
    }
    for (double& v : p.psf) v /= sum;
    p.moments = kernels::psf_moments(p.psf_view());
    return p;
}

// The stamp placed with its centre at [0, 0] of a zero plane, transformed by a plain FFT.
inline fft::Plane plain_spectrum(const inputs::Prepared& p, const fft::Plan& plan) {
    fft::Plane plane(plan);
    plane.fill_real(0.0);
    for (std::size_t a = 0; a < p.psf_rows; ++a) {
        for (std::size_t b = 0; b < p.psf_cols; ++b) {
            plane.at((a + plan.rows() - p.psf_rows / 2) % plan.rows(),
                     (b + plan.cols() - p.psf_cols / 2) % plan.cols()) = p.psf[a * p.psf_cols + b];
        }
    }
    plane.forward();
    return plane;
}

}  // namespace zogy::testing
