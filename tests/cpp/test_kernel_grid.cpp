// The kernel grid and its certification (kernel_grid.hpp), checked on analytic cases and
// against the full grid the certification claims to stand in for.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "prepared_stamps.hpp"
#include "zogy/fft.hpp"
#include "zogy/inputs.hpp"
#include "zogy/kernel_grid.hpp"
#include "zogy/kernels.hpp"
#include "zogy/plane_pool.hpp"

using namespace zogy;
using testing::gaussian_input;

namespace {

// A zero plane with `value` at signed offset (dy, dx) from [0, 0] and 1 at [0, 0].
void put(fft::Plane& plane, const fft::Plan& plan, long long dy, long long dx, double value) {
    const auto wrap = [](long long off, std::size_t n) {
        return static_cast<std::size_t>(off >= 0 ? off : off + static_cast<long long>(n));
    };
    plane.at(wrap(dy, plan.rows()), wrap(dx, plan.cols())) = value;
}

fft::Plane delta_with(const fft::Plan& plan, long long dy, long long dx, double value) {
    fft::Plane p(plan);
    p.fill_real(0.0);
    put(p, plan, 0, 0, 1.0);
    put(p, plan, dy, dx, value);
    return p;
}

kernels::Model model_for(const inputs::Prepared& n, const inputs::Prepared& r, bool guard) {
    return kernels::Model({4.0, 1.0, 1.0, 1.0}, n.moments, r.moments, guard);
}

}  // namespace

TEST_CASE("kernel_grid::grid_side: stamps wide, at least 16 per stamp, at most the full side") {
    CHECK(kernel_grid::grid_side(41, 31, 1000, 2) == 84);  // 82 rounded up to 2^2 3 7
    CHECK(kernel_grid::grid_side(5, 7, 1000, 4) == 64);    // 16 per stamp
    CHECK(kernel_grid::grid_side(41, 41, 60, 2) == 60);
}

TEST_CASE("kernel_grid::tail_fraction: energy outside the central half of the grid") {
    const fft::Plan plan(16, 20);
    fft::Plane k = delta_with(plan, 0, 0, 1.0);
    put(k, plan, 3, -4, 2.0);   // |dy| <= 16/4 and |dx| <= 20/4: central
    put(k, plan, 0, 6, 0.5);    // |dx| = 6 > 5: tail
    put(k, plan, -5, 0, 0.25);  // |dy| = 5 > 4: tail
    const double tail = 0.25 + 0.0625, total = 1.0 + 4.0 + tail;
    CHECK(kernel_grid::tail_fraction(k, plan) == doctest::Approx(tail / total).epsilon(1e-15));
}

TEST_CASE("kernel_grid: squared-kernel change and the variance bound on an analytic pair") {
    // Grid a (8 x 10) holds signed offsets -3..4 by -4..5; grid b (16 x 20) -7..8 by -9..10.
    const fft::Plan a(8, 10), b(16, 20);
    // k_b: 1 at the origin, 0.5 at (0, +7) (outside a's columns) and 0.2 at (-2, +5); k_a: 1
    // at the origin and 0.3 at (-2, +5) (column +5 is inside a's 10 columns, not inside its 8
    // rows: an axis mix-up moves it). d = k_b^2 - k_a^2: +0.25 and 0.04 - 0.09; sum k_b^2 =
    // 1.29.
    const auto pair_on = [&](fft::Plane& ka, fft::Plane& kb) {
        ka = delta_with(a, -2, 5, 0.3);
        kb = delta_with(b, 0, 7, 0.5);
        put(kb, b, -2, 5, 0.2);
    };
    fft::Plane ka(a), kb(b);
    pair_on(ka, kb);
    const double net = 0.2 / 1.29, spread = 0.3 / 1.29;
    const auto change = kernel_grid::squared_kernel_change(ka, a, kb, b);
    CHECK(change.net == doctest::Approx(net).epsilon(1e-14));
    CHECK(change.spread == doctest::Approx(spread).epsilon(1e-14));

    std::vector<fft::Plane> as, bs;
    for (int i = 0; i < 4; ++i) {
        as.emplace_back(a);
        bs.emplace_back(b);
        pair_on(as.back(), bs.back());
    }
    // contrast C: net (C + 1) / 2 + spread (C - 1) / 2, the larger over the two images.
    CHECK(kernel_grid::variance_change_bound(as, a, bs, b, {1.0, 1.0}) ==
          doctest::Approx(net).epsilon(1e-13));
    CHECK(kernel_grid::variance_change_bound(as, a, bs, b, {1.0, 3.0}) ==
          doctest::Approx(2 * net + spread).epsilon(1e-13));
    CHECK(kernel_grid::variance_change_bound(as, a, bs, b, {3.0, 1.0}) ==
          doctest::Approx(2 * net + spread).epsilon(1e-13));
}

TEST_CASE(
    "kernel_grid::certified: the chosen grid keeps V_D, V_S within tolerance of the full "
    "grid's") {
    const auto n = gaussian_input(41, 41, 2.5), r = gaussian_input(41, 41, 2.0);
    const auto full = fft::cached_plan(600, 640);
    const std::array<double, 2> contrast = {3.0, 2.0};
    const double tolerance = kernel_grid::kVarianceToleranceFast;
    const kernels::Model model = model_for(n, r, true);
    PlanePool pool(*full);
    const auto chosen =
        kernel_grid::certified(n, r, model, *full, pool, true, tolerance, contrast, 1);
    REQUIRE(chosen.plan != nullptr);
    CHECK(chosen.plan->rows() < full->rows() / 2);
    CHECK(chosen.kernels.size() == 4);
    // The claim, checked directly against the full grid's kernels.
    const auto on_full = kernel_grid::kernels_on_grid(n, r, model, *full, 1);
    CHECK(kernel_grid::variance_change_bound(chosen.kernels, *chosen.plan, on_full, *full,
                                             contrast) <= tolerance);

    // The same bits on two threads.
    PlanePool pool2(*full);
    const auto again =
        kernel_grid::certified(n, r, model, *full, pool2, true, tolerance, contrast, 2);
    REQUIRE(again.plan != nullptr);
    CHECK(again.plan->rows() == chosen.plan->rows());
    for (std::size_t k = 0; k < 4; ++k) {
        for (std::size_t y = 0; y < chosen.plan->rows(); ++y) {
            for (std::size_t x = 0; x < chosen.plan->cols(); ++x) {
                REQUIRE(again.kernels[k].at(y, x) == chosen.kernels[k].at(y, x));
            }
        }
    }
}

TEST_CASE("kernel_grid::certified: unguarded kernels and exact mode take the full grid") {
    const auto n = gaussian_input(41, 41, 2.5), r = gaussian_input(41, 41, 2.0);
    const auto full = fft::cached_plan(600, 640);
    PlanePool pool(*full);
    const auto unguarded =
        kernel_grid::certified(n, r, model_for(n, r, false), *full, pool, false,
                               kernel_grid::kVarianceToleranceFast, {3.0, 2.0}, 1);
    CHECK(unguarded.plan == nullptr);
    CHECK(&unguarded.grid(*full) == full.get());
    CHECK(unguarded.kernels.size() == 4);
    const auto exact = kernel_grid::certified(n, r, model_for(n, r, true), *full, pool, true,
                                              kernel_grid::kVarianceToleranceExact, {3.0, 2.0}, 1);
    CHECK(exact.plan == nullptr);
}
