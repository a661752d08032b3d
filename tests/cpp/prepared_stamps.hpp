// Test helper: a prepared input holding only what the kernel stages read (a unit-sum stamp and
// its moments).
#pragma once

#include <cmath>
#include <cstddef>

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

}  // namespace zogy::testing
