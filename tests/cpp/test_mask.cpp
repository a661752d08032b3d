#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "zogy/mask.hpp"

using namespace zogy;

TEST_CASE("footprint radius of a kernel with known energy rings") {
    // 9 x 9 circular grid: centre 1, ring 1 holds 8 x 0.1^2, ring 3 one pixel of 0.01.
    std::vector<double> k(81, 0.0);
    k[0] = 1.0;
    for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
            if (dy != 0 || dx != 0) k[((dy + 9) % 9) * 9 + (dx + 9) % 9] = 0.1;
        }
    }
    k[3 * 9 + 0] = 0.01;  // (y 3, x 0): ring 3
    const double total = 1.0 + 8 * 0.01 + 1e-4;
    CHECK(mask::footprint_radius(k.data(), 9, 9, 0.5) == 0);        // centre alone: 1/1.08 > 0.5
    CHECK(mask::footprint_radius(k.data(), 9, 9, 1e-3) == 1);       // misses 1e-4/1.08 < 1e-3
    CHECK(mask::footprint_radius(k.data(), 9, 9, 0.5e-4 / total) == 3);
    std::vector<double> zero(81, 0.0);
    CHECK(mask::footprint_radius(zero.data(), 9, 9, 1e-3) == 0);
}

TEST_CASE("grow dilates by a Chebyshev radius and ORs the bit in") {
    const std::size_t rows = 7, cols = 8;
    std::vector<std::uint8_t> bad(rows * cols, 0), out(rows * cols, 1);
    bad[3 * cols + 4] = 1;
    bad[0 * cols + 0] = 1;
    mask::grow(bad.data(), rows, cols, 2, 8, out.data());
    for (std::size_t y = 0; y < rows; ++y) {
        for (std::size_t x = 0; x < cols; ++x) {
            auto cheb = [&](long by, long bx) {
                return std::max(std::abs(static_cast<long>(y) - by),
                                std::abs(static_cast<long>(x) - bx));
            };
            const bool near = cheb(3, 4) <= 2 || cheb(0, 0) <= 2;
            CHECK(out[y * cols + x] == (near ? 9 : 1));
        }
    }
}
