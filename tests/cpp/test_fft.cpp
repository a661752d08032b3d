#include <doctest/doctest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "zogy/fft.hpp"

using namespace zogy;

TEST_CASE("forward_box equals the full forward transform of the placed box") {
    // (grid rows, cols, box rows, cols, centre y, x): odd and even grids, boxes that wrap on
    // every side, a centre off the middle, a box as large as the grid.
    const std::vector<std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t,
                                 std::size_t>>
        cases = {{96, 80, 11, 9, 5, 4},  {75, 81, 21, 17, 10, 8}, {64, 63, 7, 30, 0, 29},
                 {40, 90, 15, 13, 3, 12}, {12, 10, 12, 10, 6, 5}};
    for (const auto& [rows, cols, h, w, cy, cx] : cases) {
        CAPTURE(rows);
        CAPTURE(cols);
        const fft::Plan plan(rows, cols);
        std::vector<double> box(h * w);
        double sum = 0.0;
        for (std::size_t i = 0; i < box.size(); ++i) {
            box[i] = 1.0 + std::sin(0.37 * static_cast<double>(i));  // no symmetry to hide behind
            sum += std::fabs(box[i]);
        }
        fft::Plane placed(plan), boxed(plan);
        placed.fill_real(0.0);
        for (std::size_t a = 0; a < h; ++a) {
            for (std::size_t b = 0; b < w; ++b) {
                placed.at((a + rows - cy) % rows, (b + cols - cx) % cols) = box[a * w + b];
            }
        }
        placed.forward();
        boxed.forward_box(ConstView{box.data(), h, w}, cy, cx);
        double worst = 0.0;
        for (std::size_t i = 0; i < plan.spectrum_size(); ++i) {
            worst = std::max(worst, std::abs(placed.spectrum()[i] - boxed.spectrum()[i]));
        }
        // Both are exact transforms up to round-off: the spectrum's scale is sum |box|.
        CHECK(worst <= 1e-14 * sum);
        CHECK(std::abs(boxed.spectrum()[0] - placed.spectrum()[0]) <= 1e-14 * sum);
    }
}

TEST_CASE("forward_box rejects a box that does not fit the grid") {
    const fft::Plan plan(16, 16);
    fft::Plane plane(plan);
    std::vector<double> box(17 * 3, 1.0);
    CHECK_THROWS(plane.forward_box(ConstView{box.data(), 17, 3}, 8, 1));
    CHECK_THROWS(plane.forward_box(ConstView{box.data(), 3, 3}, 3, 1));
}
