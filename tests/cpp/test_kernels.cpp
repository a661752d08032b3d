#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "zogy/fft.hpp"
#include "zogy/kernels.hpp"

using namespace zogy;

namespace {

// Unit-sum Gaussian of width sigma placed with its centre at [0, 0] of a rows x cols grid.
AlignedBuffer<double> centred_gaussian(std::size_t rows, std::size_t cols, double sigma) {
    AlignedBuffer<double> p(rows * cols);
    double sum = 0.0;
    for (std::size_t y = 0; y < rows; ++y) {
        for (std::size_t x = 0; x < cols; ++x) {
            const double dy = static_cast<double>(std::min(y, rows - y));
            const double dx = static_cast<double>(std::min(x, cols - x));
            p[y * cols + x] = std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            sum += p[y * cols + x];
        }
    }
    for (std::size_t i = 0; i < rows * cols; ++i) p[i] /= sum;
    return p;
}

double worst_whiteness_error(double sigma_n, double sigma_r, const kernels::Weights& w,
                             bool guard, std::size_t* guarded = nullptr) {
    const std::size_t rows = 96, cols = 90;
    const fft::Plan plan(rows, cols);
    auto pn = centred_gaussian(rows, cols, sigma_n);
    auto pr = centred_gaussian(rows, cols, sigma_r);
    AlignedBuffer<fft::Complex> pn_hat(plan.spectrum_size()), pr_hat(plan.spectrum_size());
    plan.forward(pn.data(), pn_hat.data());
    plan.forward(pr.data(), pr_hat.data());
    const kernels::Moments mn{sigma_n * sigma_n, sigma_n * sigma_n};
    const kernels::Moments mr{sigma_r * sigma_r, sigma_r * sigma_r};
    const auto s = kernels::make_spectra(pn_hat.data(), pr_hat.data(), rows, cols, w, mn, mr,
                                         guard);
    if (guarded != nullptr) *guarded = s.guarded_frequencies;
    double worst = 0.0;
    for (std::size_t i = 0; i < plan.spectrum_size(); ++i) {
        const double white = w.variance_n * std::norm(s.k_n[i]) + w.variance_r * std::norm(s.k_r[i]);
        worst = std::max(worst, std::fabs(white - 1.0));
    }
    return worst;
}

}  // namespace

TEST_CASE("D has unit white noise: sigma_N^2 |k_N|^2 + sigma_R^2 |k_R|^2 = 1 everywhere") {
    std::size_t guarded = 0;
    CHECK(worst_whiteness_error(3.0, 2.0, {25.0, 2.25, 1.0, 1.0}, true, &guarded) < 1e-13);
    CHECK(guarded > 0);  // sigma 3 falls below round-off over much of this plane
    CHECK(worst_whiteness_error(2.0, 2.0, {100.0, 100.0, 1.0, 1.0}, true) < 1e-13);
    CHECK(worst_whiteness_error(1.2, 1.0, {4.0, 9.0, 1.0, 1.0}, false) < 1e-13);
}

TEST_CASE("unit white noise also holds with flux scales other than 1") {
    // k_N = F_R P_R / Delta with Delta^2 = sigma_N^2 F_R^2 |P_R|^2 + sigma_R^2 F_N^2 |P_N|^2:
    // the flux scales enter numerator and denominator alike, so the sum stays exactly 1.
    CHECK(worst_whiteness_error(2.5, 1.5, {25.0, 2.25, 0.7, 1.9}, true) < 1e-13);
    CHECK(worst_whiteness_error(1.3, 1.0, {25.0, 2.25, 3.0, 0.5}, false) < 1e-13);
}

TEST_CASE("F_D and F_S for identical delta-function PSFs match the closed forms") {
    const std::size_t rows = 8, cols = 10;
    const fft::Plan plan(rows, cols);
    AlignedBuffer<double> delta(rows * cols);
    for (std::size_t i = 0; i < rows * cols; ++i) delta[i] = i == 0 ? 1.0 : 0.0;
    AlignedBuffer<fft::Complex> hat(plan.spectrum_size());
    plan.forward(delta.data(), hat.data());
    const kernels::Weights w{4.0, 1.0, 2.0, 3.0};
    const auto s = kernels::make_spectra(hat.data(), hat.data(), rows, cols, w, {}, {}, true);
    const double a_n = 4.0 * 9.0, a_r = 1.0 * 4.0;
    CHECK(s.flux_zero_point == doctest::Approx(6.0 / std::sqrt(a_n + a_r)).epsilon(1e-15));
    // |P| = 1 everywhere: F_S = F_N^2 F_R^2 / (a_N + a_R).
    CHECK(s.score_normalisation == doctest::Approx(36.0 / (a_n + a_r)).epsilon(1e-14));
}
