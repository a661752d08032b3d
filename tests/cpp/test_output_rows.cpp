// Output rows (output_rows.hpp) on hand-computed values.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "zogy/fft.hpp"
#include "zogy/output_rows.hpp"
#include "zogy/padding.hpp"

using namespace zogy;

TEST_CASE("output_rows::score_row: S_corr, alpha, sigma_alpha; 0 and NaN where V_S <= 0") {
    const std::vector<double> s = {3.0, -2.0, 1.0}, vs = {4.0, 1.0, 0.0};
    std::vector<double> scorr(3), flux(3), err(3);
    output_rows::score_row(s.data(), vs.data(), 1.0, 0.0, 2.0, scorr.data(), flux.data(),
                           err.data(), 3);
    CHECK(scorr == std::vector<double>{1.5, -2.0, 0.0});
    CHECK(flux == std::vector<double>{1.5, -1.0, 0.5});
    CHECK(err[0] == 1.0);
    CHECK(err[1] == 0.5);
    CHECK(std::isnan(err[2]));
    // V_S = vs * scale, and a constant V_S when vs is null.
    output_rows::score_row(s.data(), vs.data(), 4.0, 0.0, 2.0, scorr.data(), flux.data(),
                           err.data(), 2);
    CHECK(scorr[0] == 0.75);
    output_rows::score_row(s.data(), nullptr, 1.0, 9.0, 2.0, scorr.data(), flux.data(), err.data(),
                           3);
    CHECK(scorr == std::vector<double>{1.0, -2.0 / 3.0, 1.0 / 3.0});
    CHECK(err == std::vector<double>{1.5, 1.5, 1.5});
}

TEST_CASE("output_rows::compact: the inner box, scaled, moved to the start of its plane") {
    const fft::Plan plan(9, 11);
    const padding::Geometry g{3, 4, 2, 5, 9, 11, 0, 0};  // inner 3x4 at rows 2.., columns 5..
    fft::Plane plane(plan);
    for (std::size_t y = 0; y < 9; ++y) {
        for (std::size_t x = 0; x < 11; ++x) plane.at(y, x) = 100.0 * y + x;
    }
    CHECK(*output_rows::inner_row(plane, g, 1) == 305.0);
    output_rows::compact(plane, g, 2.0, 4.0);
    for (std::size_t y = 0; y < 3; ++y) {
        for (std::size_t x = 0; x < 4; ++x) {
            CHECK(plane.real()[y * 4 + x] == (100.0 * (y + 2) + (x + 5)) * 2.0 / 4.0);
        }
    }
}
