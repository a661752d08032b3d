#include "kernels.hpp"

#include <algorithm>
#include <cmath>

namespace zogy::kernels {

namespace {

using fft::Complex;

constexpr double kPi = 3.141592653589793;

// Written out rather than std::complex's operator*, which adds NaN recovery branches and
// leaves the operation order to the library.
inline Complex mul(Complex a, Complex b) {
    return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

inline double norm2(Complex a) { return a.real() * a.real() + a.imag() * a.imag(); }

// Signed frequency (cycles per pixel) of index k on an axis of n samples, numpy's fftfreq.
inline double frequency(std::size_t k, std::size_t n) {
    const double signed_k = k <= n / 2 ? static_cast<double>(k)
                                       : static_cast<double>(k) - static_cast<double>(n);
    return signed_k / static_cast<double>(n);
}

}  // namespace

Moments psf_moments(ConstView psf) {
    const double cy = static_cast<double>(psf.rows / 2);
    const double cx = static_cast<double>(psf.cols / 2);
    Moments m;
    for (std::size_t y = 0; y < psf.rows; ++y) {
        for (std::size_t x = 0; x < psf.cols; ++x) {
            const double dy = static_cast<double>(y) - cy;
            const double dx = static_cast<double>(x) - cx;
            m.yy += psf(y, x) * dy * dy;
            m.xx += psf(y, x) * dx * dx;
        }
    }
    m.xx = std::max(m.xx, 0.0);
    m.yy = std::max(m.yy, 0.0);
    return m;
}

Spectra make_spectra(const Complex* psf_n_hat, const Complex* psf_r_hat, std::size_t rows,
                     std::size_t cols, const Weights& w, const Moments& m_n, const Moments& m_r,
                     bool kernel_guard) {
    const std::size_t half = cols / 2 + 1;
    const std::size_t n = rows * half;
    Spectra s{AlignedBuffer<Complex>(n), AlignedBuffer<Complex>(n), AlignedBuffer<Complex>(n),
              AlignedBuffer<Complex>(n), AlignedBuffer<Complex>(n)};

    // a_N = sigma_N^2 F_R^2, a_R = sigma_R^2 F_N^2 (paper eq. 13 denominators).
    const double a_n = w.variance_n * (w.flux_r * w.flux_r);
    const double a_r = w.variance_r * (w.flux_n * w.flux_n);
    const double flux_product2 = (w.flux_n * w.flux_n) * (w.flux_r * w.flux_r);
    const double score_coef_n = w.flux_n * (w.flux_r * w.flux_r);
    const double score_coef_r = w.flux_r * (w.flux_n * w.flux_n);
    const double root_a = std::sqrt(a_n + a_r);
    s.flux_zero_point = (w.flux_n * w.flux_r) / root_a;  // eq. 15
    const double tau2 = kGuardThreshold * kGuardThreshold;
    const double two_pi2 = 2.0 * kPi * kPi;

    double score_sum = 0.0;
    for (std::size_t ky = 0; ky < rows; ++ky) {
        const double fy = frequency(ky, rows);
        for (std::size_t kx = 0; kx < half; ++kx) {
            const std::size_t i = ky * half + kx;
            const Complex pn = psf_n_hat[i];
            const Complex pr = psf_r_hat[i];
            const double pn2 = norm2(pn);
            const double pr2 = norm2(pr);
            const double delta2 = a_n * pr2 + a_r * pn2;  // Delta^2

            if (kernel_guard && (pn2 < tau2 || pr2 < tau2)) {
                // Round-off region: Gaussian-equivalent magnitudes q, scaled so the larger is 1.
                const double fx = static_cast<double>(kx) / static_cast<double>(cols);
                const double l_n = -two_pi2 * (m_n.xx * (fx * fx) + m_n.yy * (fy * fy));
                const double l_r = -two_pi2 * (m_r.xx * (fx * fx) + m_r.yy * (fy * fy));
                const double l_max = std::max(l_n, l_r);
                const double q_n = std::exp(l_n - l_max);
                const double q_r = std::exp(l_r - l_max);
                const double den = std::sqrt(a_n * (q_r * q_r) + a_r * (q_n * q_n));
                s.k_n[i] = Complex(w.flux_r * q_r / den, 0.0);
                s.k_r[i] = Complex(w.flux_n * q_n / den, 0.0);
                ++s.guarded_frequencies;
            } else if (delta2 > 0.0) {
                const double delta = std::sqrt(delta2);
                s.k_n[i] = pr * (w.flux_r / delta);  // eq. 13: F_R P_R / Delta
                s.k_r[i] = pn * (w.flux_n / delta);  //          F_N P_N / Delta
            } else {
                s.k_n[i] = s.k_r[i] = Complex(0.0, 0.0);
            }

            if (delta2 > 0.0) {
                // Score kernels (eq. 12/17): F_N F_R^2 conj(P_N) |P_R|^2 / Delta^2 and twin.
                s.kappa_n[i] = std::conj(pn) * (score_coef_n * pr2 / delta2);
                s.kappa_r[i] = std::conj(pr) * (score_coef_r * pn2 / delta2);
                // PSF of D (eq. 14): sqrt(a_N + a_R) P_N P_R / Delta.
                s.psf_d[i] = mul(pn, pr) * (root_a / std::sqrt(delta2));
                // F_S: a column other than 0 and the Nyquist column stands for two frequencies.
                const bool self_conjugate = kx == 0 || (cols % 2 == 0 && kx == cols / 2);
                const double term = flux_product2 * (pn2 * pr2) / delta2;
                score_sum += self_conjugate ? term : 2.0 * term;
            } else {
                s.kappa_n[i] = s.kappa_r[i] = s.psf_d[i] = Complex(0.0, 0.0);
            }
        }
    }
    s.score_normalisation = score_sum / static_cast<double>(rows * cols);
    return s;
}

void combine(const Complex* a, const Complex* x, const Complex* b, const Complex* y,
             std::size_t n, Complex* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = mul(a[i], x[i]) - mul(b[i], y[i]);
}

void sum_products(const Complex* a, const Complex* x, const Complex* b, const Complex* y,
                  std::size_t n, Complex* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = mul(a[i], x[i]) + mul(b[i], y[i]);
}

}  // namespace zogy::kernels
