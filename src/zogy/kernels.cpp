#include "kernels.hpp"

#include <algorithm>
#include <cmath>

namespace zogy::kernels {

namespace {
constexpr double kPi = 3.141592653589793;
}  // namespace

long long signed_index(std::size_t k, std::size_t n) {
    return k <= n / 2 ? static_cast<long long>(k)
                      : static_cast<long long>(k) - static_cast<long long>(n);
}

double frequency(std::size_t k, std::size_t n) {
    return static_cast<double>(signed_index(k, n)) / static_cast<double>(n);
}

double column_weight(std::size_t kx, std::size_t cols) {
    const bool self_conjugate = kx == 0 || (cols % 2 == 0 && kx == cols / 2);
    return self_conjugate ? 1.0 : 2.0;
}

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

Model::Model(const Weights& w, const Moments& m_n, const Moments& m_r, bool kernel_guard)
    : w_(w), m_n_(m_n), m_r_(m_r), guard_(kernel_guard) {
    // a_N = sigma_N^2 F_R^2, a_R = sigma_R^2 F_N^2 (paper eq. 13 denominators).
    a_n_ = w.variance_n * (w.flux_r * w.flux_r);
    a_r_ = w.variance_r * (w.flux_n * w.flux_n);
    root_a_ = std::sqrt(a_n_ + a_r_);
    flux_product2_ = (w.flux_n * w.flux_n) * (w.flux_r * w.flux_r);
    score_coef_n_ = w.flux_n * (w.flux_r * w.flux_r);
    score_coef_r_ = w.flux_r * (w.flux_n * w.flux_n);
    flux_zero_point_ = (w.flux_n * w.flux_r) / root_a_;  // eq. 15
}

AtFrequency Model::guarded_at(double fx, double fy) const {
    // Round-off region: Gaussian-equivalent magnitudes q, scaled so the larger is 1.
    AtFrequency k;
    const double two_pi2 = 2.0 * kPi * kPi;
    const double l_n = -two_pi2 * (m_n_.xx * (fx * fx) + m_n_.yy * (fy * fy));
    const double l_r = -two_pi2 * (m_r_.xx * (fx * fx) + m_r_.yy * (fy * fy));
    const double l_max = std::max(l_n, l_r);
    const double q_n = std::exp(l_n - l_max);
    const double q_r = std::exp(l_r - l_max);
    const double den = std::sqrt(a_n_ * (q_r * q_r) + a_r_ * (q_n * q_n));
    k.k_n = Complex(w_.flux_r * q_r / den, 0.0);
    k.k_r = Complex(w_.flux_n * q_n / den, 0.0);
    k.guarded = true;
    return k;
}

}  // namespace zogy::kernels
