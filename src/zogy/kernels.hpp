// The ZOGY equations of DESIGN section 3 in Fourier space (Zackay, Ofek & Gal-Yam 2016).
#pragma once

#include <cstddef>

#include "fft.hpp"
#include "view.hpp"

namespace zogy::kernels {

// Second moments of a unit-sum PSF about its stamp centre (clamped at >= 0).
struct Moments {
    double xx = 0.0;
    double yy = 0.0;
};

Moments psf_moments(ConstView normalised_psf);

// Noise weights sigma^2 and flux scales F of the two images.
struct Weights {
    double variance_n = 1.0, variance_r = 1.0;
    double flux_n = 1.0, flux_r = 1.0;
};

// Below this |P_hat| a unit-sum PSF's transform is round-off (DESIGN section 3, last paragraph).
constexpr double kGuardThreshold = 1e-13;

// Half-spectrum (r2c layout) kernels for one padded shape.
struct Spectra {
    AlignedBuffer<fft::Complex> k_n, k_r;          // D kernels
    AlignedBuffer<fft::Complex> kappa_n, kappa_r;  // S kernels
    AlignedBuffer<fft::Complex> psf_d;             // PSF of D
    double flux_zero_point = 0.0;                  // F_D
    double score_normalisation = 0.0;              // F_S
    std::size_t guarded_frequencies = 0;
};

// psf_n_hat, psf_r_hat: r2c transforms (rows x (cols/2+1)) of the unit-sum PSFs placed with
// their centres at [0, 0] of the padded grid. The arithmetic is written so that swapping the
// roles of N and R produces exactly swapped kernels (exact antisymmetry of D and S).
Spectra make_spectra(const fft::Complex* psf_n_hat, const fft::Complex* psf_r_hat,
                     std::size_t rows, std::size_t cols, const Weights& w, const Moments& m_n,
                     const Moments& m_r, bool kernel_guard);

// out = a * x - b * y elementwise (complex); used for D_hat and S_hat.
void combine(const fft::Complex* a, const fft::Complex* x, const fft::Complex* b,
             const fft::Complex* y, std::size_t n, fft::Complex* out);

// out = a * x + b * y elementwise (complex); used for the variance planes.
void sum_products(const fft::Complex* a, const fft::Complex* x, const fft::Complex* b,
                  const fft::Complex* y, std::size_t n, fft::Complex* out);

}  // namespace zogy::kernels
