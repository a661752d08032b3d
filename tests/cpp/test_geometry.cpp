// The padded grid of a pair (geometry.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "prepared_stamps.hpp"
#include "zogy/errors.hpp"
#include "zogy/geometry.hpp"

using namespace zogy;

TEST_CASE("geometry::default_border: ten PSF widths, at least the larger stamp") {
    CHECK(geometry::default_border(2.5, 21, 25) == 25);
    CHECK(geometry::default_border(3.01, 21, 25) == 31);
}

TEST_CASE("geometry::choose: the default rule per axis, or the given border") {
    // sigma 3 (the wider PSF): ceil(30) rows beat the 21-row stamps; 41 columns beat 30.
    const auto n = testing::gaussian_input(21, 41, 3.0), r = testing::gaussian_input(15, 9, 1.0);
    const double sigma = std::sqrt(std::max(n.moments.xx, n.moments.yy));
    const auto by = static_cast<std::size_t>(std::ceil(10.0 * sigma));
    const auto g = geometry::choose(100, 120, n, r, -1, -1, padding::SizeRule::Smooth);
    CHECK(g.border_y == by);
    CHECK(g.border_x == 41);
    CHECK(g.rows >= 100 + 2 * by);
    CHECK(g.cols == padding::smooth_size(120 + 2 * 41));
    const auto given = geometry::choose(100, 120, n, r, 7, 0, padding::SizeRule::Pow2);
    CHECK(given.border_y == 7);
    CHECK(given.border_x == 0);
    CHECK(given.rows == 128);
    CHECK(given.cols == 128);
}

TEST_CASE("geometry::check_memory: a grid larger than the machine is refused by name") {
    padding::Geometry huge;
    huge.rows = huge.cols = std::size_t{1} << 20;  // 9 planes of 8 TiB each
    CHECK_THROWS_WITH_AS(geometry::check_memory(huge), doctest::Contains("science: a padded grid"),
                         InvalidArgument);
    padding::Geometry small;
    small.rows = small.cols = 64;
    CHECK_NOTHROW(geometry::check_memory(small));
}
