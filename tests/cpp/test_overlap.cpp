#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "zogy/errors.hpp"
#include "zogy/overlap.hpp"
#include "zogy/rng.hpp"

using namespace zogy;

namespace {

// A test input defined at every integer pixel: no plane, so windows anywhere.
double input_value(std::size_t which, std::int64_t y, std::int64_t x) {
    const auto c = rng::pixel_counter(y, x);
    return 3.0 + rng::normal_at({which + 11, 5}, c);
}

// input_value over a box that holds what the direct sums read, so that they need no deviate
// per kernel tap; outside it (tiles read past the outputs' reach) the function itself.
struct Inputs {
    std::int64_t y0, x0;
    std::size_t rows, cols;
    std::vector<double> v[2];
    Inputs(std::int64_t y0_, std::int64_t x0_, std::size_t rows_, std::size_t cols_)
        : y0(y0_), x0(x0_), rows(rows_), cols(cols_) {
        for (std::size_t which = 0; which < 2; ++which) {
            v[which].resize(rows * cols);
            for (std::size_t y = 0; y < rows; ++y) {
                for (std::size_t x = 0; x < cols; ++x) {
                    v[which][y * cols + x] = input_value(which, y0 + static_cast<std::int64_t>(y),
                                                         x0 + static_cast<std::int64_t>(x));
                }
            }
        }
    }
    double at(std::size_t which, std::int64_t y, std::int64_t x) const {
        const std::int64_t r = y - y0, c = x - x0;
        if (r < 0 || c < 0 || r >= static_cast<std::int64_t>(rows) ||
            c >= static_cast<std::int64_t>(cols)) {
            return input_value(which, y, x);
        }
        return v[which][static_cast<std::size_t>(r) * cols + static_cast<std::size_t>(c)];
    }
};

struct Case {
    std::size_t rows, cols, kr, kc, cy, cx;
    std::vector<std::vector<double>> k;  // four kernels
    Inputs inputs;  // what output (y, x) reads: rows y + cy - kr + 1 .. y + cy, likewise x
};

Case make_case(std::size_t rows, std::size_t cols, std::size_t kr, std::size_t kc,
               std::size_t cy, std::size_t cx) {
    Case c{rows, cols, kr, kc, cy, cx, {},
           Inputs(static_cast<std::int64_t>(cy) - static_cast<std::int64_t>(kr) + 1,
                  static_cast<std::int64_t>(cx) - static_cast<std::int64_t>(kc) + 1,
                  rows + kr - 1, cols + kc - 1)};
    for (std::size_t i = 0; i < 4; ++i) {
        std::vector<double> k(kr * kc);
        for (std::size_t j = 0; j < k.size(); ++j) {
            k[j] = 0.5 + std::fabs(rng::normal_at({i, 99}, rng::pixel_counter(0, j)));
        }
        c.k.push_back(k);
    }
    return c;
}

struct Result {
    std::vector<double> a, b;
    std::vector<int> written;  // how often each output was handed to the sink
};

Result run(const Case& c, int threads) {
    overlap::Kernels kernels;
    for (std::size_t i = 0; i < 4; ++i) kernels.k[i] = ConstView{c.k[i].data(), c.kr, c.kc};
    kernels.cy = c.cy;
    kernels.cx = c.cx;
    Result r{std::vector<double>(c.rows * c.cols), std::vector<double>(c.rows * c.cols),
             std::vector<int>(c.rows * c.cols)};
    overlap::convolve_pair(
        kernels, c.rows, c.cols,
        [&](std::size_t which, std::int64_t y, std::int64_t x0, std::size_t count, double* out) {
            for (std::size_t i = 0; i < count; ++i) {
                out[i] = c.inputs.at(which, y, x0 + static_cast<std::int64_t>(i));
            }
        },
        [&](std::size_t y0, std::size_t x0, std::size_t rows, std::size_t cols, const double* a,
            const double* b, std::size_t stride, double scale) {
            for (std::size_t y = 0; y < rows; ++y) {
                for (std::size_t x = 0; x < cols; ++x) {
                    const std::size_t o = (y0 + y) * c.cols + x0 + x;
                    r.a[o] = a[y * stride + x] * scale;
                    r.b[o] = b[y * stride + x] * scale;
                    ++r.written[o];
                }
            }
        },
        threads);
    return r;
}

// The definition, summed directly.
double direct(const Case& c, std::size_t first_kernel, std::size_t y, std::size_t x) {
    double sum = 0.0;
    for (std::size_t which = 0; which < 2; ++which) {
        const std::vector<double>& k = c.k[first_kernel + which];
        for (std::size_t u = 0; u < c.kr; ++u) {
            for (std::size_t v = 0; v < c.kc; ++v) {
                const auto iy = static_cast<std::int64_t>(y + c.cy) - static_cast<std::int64_t>(u);
                const auto ix = static_cast<std::int64_t>(x + c.cx) - static_cast<std::int64_t>(v);
                sum += k[u * c.kc + v] * c.inputs.at(which, iy, ix);
            }
        }
    }
    return sum;
}

}  // namespace

void check_direct(const Case& c) {
    const Result r = run(c, 2);
    double worst = 0.0;
    for (std::size_t y = 0; y < c.rows; ++y) {
        for (std::size_t x = 0; x < c.cols; ++x) {
            const std::size_t o = y * c.cols + x;
            REQUIRE(r.written[o] == 1);
            worst = std::max(worst, std::fabs(r.a[o] / direct(c, 0, y, x) - 1.0));
            worst = std::max(worst, std::fabs(r.b[o] / direct(c, 2, y, x) - 1.0));
        }
    }
    CHECK(worst < 1e-13);
}

TEST_CASE("overlap-save over several tiles each way equals the direct sums, every output once") {
    // 530 rows: two tiles down (530 + 8 > 512); 1020 columns: three across (504 outputs fit
    // a 512 side), so a swapped axis or tile count shows. Kernels not square, the origin off
    // centre, windows reaching negative coordinates.
    REQUIRE(overlap::tile_side(530, 9) < 530);
    REQUIRE(overlap::tile_side(1020, 7) < 1020 / 2);
    check_direct(make_case(530, 1020, 9, 7, 2, 5));
}

TEST_CASE("overlap-save with fewer outputs than kernel rows or columns") {
    check_direct(make_case(3, 40, 9, 7, 4, 3));
    check_direct(make_case(25, 1, 5, 6, 0, 5));
}

TEST_CASE("overlap-save: the same bits for one and two threads") {
    const Case c = make_case(700, 530, 11, 11, 5, 5);  // 2 x 2 tiles
    const Result one = run(c, 1), two = run(c, 2);
    CHECK(one.a == two.a);
    CHECK(one.b == two.b);
}

TEST_CASE("tile sides: one tile for small extents, even shares of cache-sized tiles beyond, fast sizes") {
    CHECK(overlap::tile_side(100, 9) == 112);    // 108 = 2^2 3^3 is slow; 112 = 2^4 7
    CHECK(overlap::tile_side(1024, 84) == 448);  // three tiles of 342 outputs, not 429 + 429 + 166
    CHECK(overlap::tile_side(4096, 84) == 512);  // ten tiles of 410 outputs, rounded up to 512
    for (std::size_t kernel : {1, 8, 84, 168, 300}) {
        const std::size_t largest = std::max<std::size_t>(4 * kernel, 512);
        for (std::size_t extent : {1, 50, 505, 506, 1000, 3000, 4096}) {
            const std::size_t t = overlap::tile_side(extent, kernel);
            const std::size_t per_tile = t - kernel + 1;
            const std::size_t tiles = (extent + per_tile - 1) / per_tile;
            CHECK(t >= kernel);  // at least one output per tile
            std::size_t odd = t;
            while (odd % 2 == 0) odd /= 2;
            CHECK((odd == 1 || odd == 3 || odd == 5 || odd == 7));  // sizes FFTW plans well
            if (extent + kernel - 1 <= largest) CHECK(tiles == 1);
            // no tile count beyond what the largest side needs
            CHECK(tiles <= (extent + largest - kernel) / (largest - kernel + 1));
        }
    }
}

TEST_CASE("overlap-save refuses kernels of different shapes") {
    std::vector<double> k1(9, 1.0), k2(12, 1.0);
    overlap::Kernels kernels;
    kernels.k = {ConstView{k1.data(), 3, 3}, ConstView{k1.data(), 3, 3},
                 ConstView{k2.data(), 3, 4}, ConstView{k1.data(), 3, 3}};
    CHECK_THROWS_AS(overlap::convolve_pair(
                        kernels, 4, 4,
                        [](std::size_t, std::int64_t, std::int64_t, std::size_t, double*) {},
                        [](std::size_t, std::size_t, std::size_t, std::size_t, const double*,
                           const double*, std::size_t, double) {},
                        1),
                    InvalidArgument);
}
