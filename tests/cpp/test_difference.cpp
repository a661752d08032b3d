// D and S in Fourier space (difference.hpp) against the same equations evaluated on plain
// full-grid transforms of the stamps.
#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <vector>

#include "prepared_stamps.hpp"
#include "zogy/difference.hpp"
#include "zogy/fft.hpp"
#include "zogy/inputs.hpp"
#include "zogy/kernels.hpp"
#include "zogy/plane_pool.hpp"
#include "zogy/rng.hpp"

using namespace zogy;
using testing::gaussian_input;
using testing::plain_spectrum;

namespace {

fft::Plane noise_spectrum(const fft::Plan& plan, std::uint64_t seed) {
    fft::Plane plane(plan);
    rng::Counter c{0, 0, 0, 0};
    for (std::size_t y = 0; y < plan.rows(); ++y) {
        for (std::size_t x = 0; x < plan.cols(); ++x) {
            plane.at(y, x) = rng::normal_at({seed, 0}, c);
            c = rng::increment(c);
        }
    }
    plane.forward();
    return plane;
}

struct Applied {
    difference::FrequencySums sums;
    std::vector<fft::Complex> d_hat, s_hat;
};

Applied apply(const fft::Plan& plan, const inputs::Prepared& n, const inputs::Prepared& r,
              const kernels::Model& model, int threads) {
    fft::Plane a = noise_spectrum(plan, 1), b = noise_spectrum(plan, 2);
    PlanePool pool(plan);
    Applied out;
    out.sums = difference::apply_kernels({&n, &r}, model, plan, true, threads, pool, {&a, &b});
    out.d_hat.assign(a.spectrum(), a.spectrum() + plan.spectrum_size());
    out.s_hat.assign(b.spectrum(), b.spectrum() + plan.spectrum_size());
    return out;
}

}  // namespace

TEST_CASE(
    "difference::apply_kernels: D_hat, S_hat and the sums of eqs. 12, 13, streamed or "
    "not, on any thread count") {
    const auto n = gaussian_input(15, 13, 2.2), r = gaussian_input(11, 11, 1.6);
    const kernels::Model model({4.0, 1.5, 1.2, 0.9}, n.moments, r.moments, true);
    // 120 rows prune by a divisor (PSF spectra streamed a class of rows at a time); 97 rows
    // (prime) do not (full PSF planes).
    for (const std::size_t rows : {std::size_t{120}, std::size_t{97}}) {
        CAPTURE(rows);
        const fft::Plan plan(rows, 90);
        const Applied one = apply(plan, n, r, model, 1), two = apply(plan, n, r, model, 2);
        CHECK(one.d_hat == two.d_hat);
        CHECK(one.s_hat == two.s_hat);
        CHECK(one.sums.score == two.sums.score);

        const fft::Plane pn = plain_spectrum(n, plan), pr = plain_spectrum(r, plan);
        const fft::Plane a = noise_spectrum(plan, 1), b = noise_spectrum(plan, 2);
        double score = 0.0, k_n = 0.0, worst = 0.0, scale = 0.0;
        const std::size_t half = plan.spectrum_cols();
        for (std::size_t ky = 0; ky < rows; ++ky) {
            for (std::size_t kx = 0; kx < half; ++kx) {
                const std::size_t i = ky * half + kx;
                const auto k =
                    model.at(pn.spectrum()[i], pr.spectrum()[i], static_cast<double>(kx) / 90.0,
                             kernels::frequency(ky, rows));
                const fft::Complex d = k.k_n * a.spectrum()[i] - k.k_r * b.spectrum()[i];
                const fft::Complex s = k.kappa_n * a.spectrum()[i] - k.kappa_r * b.spectrum()[i];
                worst = std::max({worst, std::abs(d - one.d_hat[i]), std::abs(s - one.s_hat[i])});
                scale = std::max({scale, std::abs(d), std::abs(s)});
                const double w = kernels::column_weight(kx, 90);
                score += w * k.score_term;
                k_n += w * std::norm(k.k_n);
            }
        }
        // Pruned and plain stamp transforms round differently, and the kernels divide by small
        // |P| at high frequencies (a 3e-6 |P| turns 1e-17 into 3e-12): agreement to 1e-10 of
        // the largest value; a misplaced row or kernel is off by O(1).
        CHECK(worst <= 1e-10 * scale);
        CHECK(one.sums.score == doctest::Approx(score).epsilon(1e-12));
        CHECK(one.sums.k_n == doctest::Approx(k_n).epsilon(1e-12));
    }
}
