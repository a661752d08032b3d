#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "zogy/fft.hpp"
#include "zogy/kernels.hpp"

using namespace zogy;

namespace {

// Unit-sum Gaussian of width sigma placed with its centre at [0, 0] of the plane's grid.
fft::Plane centred_gaussian(const fft::Plan& plan, double sigma) {
    fft::Plane p(plan);
    double sum = 0.0;
    for (std::size_t y = 0; y < plan.rows(); ++y) {
        for (std::size_t x = 0; x < plan.cols(); ++x) {
            const double dy = static_cast<double>(std::min(y, plan.rows() - y));
            const double dx = static_cast<double>(std::min(x, plan.cols() - x));
            p.at(y, x) = std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            sum += p.at(y, x);
        }
    }
    for (std::size_t y = 0; y < plan.rows(); ++y) {
        for (std::size_t x = 0; x < plan.cols(); ++x) p.at(y, x) /= sum;
    }
    p.forward();
    return p;
}

double worst_whiteness_error(double sigma_n, double sigma_r, const kernels::Weights& w,
                             bool guard, std::size_t* guarded = nullptr) {
    const std::size_t rows = 96, cols = 90;
    const fft::Plan plan(rows, cols);
    const auto pn = centred_gaussian(plan, sigma_n);
    const auto pr = centred_gaussian(plan, sigma_r);
    const kernels::Model model(w, {sigma_n * sigma_n, sigma_n * sigma_n},
                               {sigma_r * sigma_r, sigma_r * sigma_r}, guard);
    double worst = 0.0;
    std::size_t n_guarded = 0;
    for (std::size_t ky = 0; ky < rows; ++ky) {
        for (std::size_t kx = 0; kx < plan.spectrum_cols(); ++kx) {
            const std::size_t i = ky * plan.spectrum_cols() + kx;
            const auto k = model.at(pn.spectrum()[i], pr.spectrum()[i],
                                    static_cast<double>(kx) / cols,
                                    kernels::frequency(ky, rows));
            n_guarded += k.guarded;
            const double white = w.variance_n * std::norm(k.k_n) + w.variance_r * std::norm(k.k_r);
            worst = std::max(worst, std::fabs(white - 1.0));
        }
    }
    if (guarded != nullptr) *guarded = n_guarded;
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
    // |P_hat| = 1 at every frequency: F_S = F_N^2 F_R^2 / (a_N + a_R) per frequency.
    const kernels::Model model({4.0, 1.0, 2.0, 3.0}, {}, {}, true);
    const double a_n = 4.0 * 9.0, a_r = 1.0 * 4.0;
    CHECK(model.flux_zero_point() == doctest::Approx(6.0 / std::sqrt(a_n + a_r)).epsilon(1e-15));
    const auto k = model.at({1.0, 0.0}, {1.0, 0.0}, 0.1, -0.2);
    CHECK(k.score_term == doctest::Approx(36.0 / (a_n + a_r)).epsilon(1e-14));
    CHECK_FALSE(k.guarded);
}

TEST_CASE("the kernels swap exactly when the roles swap") {
    const kernels::Model nr({25.0, 2.25, 1.3, 0.8}, {6.0, 5.0}, {4.0, 4.5}, true);
    const kernels::Model rn({2.25, 25.0, 0.8, 1.3}, {4.0, 4.5}, {6.0, 5.0}, true);
    const fft::Complex pn(0.31, -0.2), pr(0.5, 0.1);
    for (double f : {0.0, 0.1, 0.45}) {
        const auto a = nr.at(pn, pr, f, -f / 2);
        const auto b = rn.at(pr, pn, f, -f / 2);
        CHECK(a.k_n == b.k_r);
        CHECK(a.k_r == b.k_n);
        CHECK(a.kappa_n == b.kappa_r);
        CHECK(a.psf_d == b.psf_d);
        CHECK(a.score_term == b.score_term);
    }
    // In the guarded region too (tiny transforms).
    const auto a = nr.at({1e-20, 0.0}, pr, 0.4, 0.3);
    const auto b = rn.at(pr, {1e-20, 0.0}, 0.4, 0.3);
    CHECK(a.guarded);
    CHECK(a.k_n == b.k_r);
    CHECK(a.k_r == b.k_n);
}
