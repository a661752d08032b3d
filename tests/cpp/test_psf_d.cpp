// P_D's stamp (psf_d.hpp) against eq. 14 evaluated on the full grid.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "prepared_stamps.hpp"
#include "zogy/fft.hpp"
#include "zogy/kernels.hpp"
#include "zogy/plane_pool.hpp"
#include "zogy/psf_d.hpp"

using namespace zogy;
using testing::gaussian_input;
using testing::plain_spectrum;

TEST_CASE("psf_d::stamp: P_D (eq. 14) from a small grid equals the full grid's") {
    const auto n = gaussian_input(21, 21, 2.5), r = gaussian_input(21, 21, 1.8);
    const kernels::Model model({3.0, 1.0, 1.0, 1.0}, n.moments, r.moments, true);
    const auto full = fft::cached_plan(300, 280);
    // The definition on the full grid: P_D_hat per frequency, inverse, cropped, unit sum.
    fft::Plane pn = plain_spectrum(n, *full), pr = plain_spectrum(r, *full);
    const std::size_t half = full->spectrum_cols();
    for (std::size_t ky = 0; ky < full->rows(); ++ky) {
        for (std::size_t kx = 0; kx < half; ++kx) {
            const std::size_t i = ky * half + kx;
            pn.spectrum()[i] = model
                                   .at(pn.spectrum()[i], pr.spectrum()[i],
                                       static_cast<double>(kx) / 280.0, kernels::frequency(ky, 300))
                                   .psf_d;
        }
    }
    pn.inverse();
    std::vector<double> expected(21 * 21);
    double sum = 0.0;
    for (std::size_t a = 0; a < 21; ++a) {
        for (std::size_t b = 0; b < 21; ++b) {
            sum += expected[a * 21 + b] = pn.at((a + 300 - 10) % 300, (b + 280 - 10) % 280);
        }
    }
    std::vector<double> got(21 * 21);
    PlanePool pool(*full);
    psf_d::stamp(n, r, model, *full, pool, MutView{got.data(), 21, 21});
    const double peak = expected[10 * 21 + 10] / sum;
    for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(std::fabs(got[i] - expected[i] / sum) <= 1e-10 * peak);
    }
}
