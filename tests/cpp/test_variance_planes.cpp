// V_D and V_S (variance_planes.hpp): the full-grid planes against the direct sums of their
// definition, and the tiled planes from certified small-grid kernels against the full grid.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "zogy/fft.hpp"
#include "zogy/inputs.hpp"
#include "zogy/kernel_grid.hpp"
#include "zogy/kernels.hpp"
#include "zogy/padding.hpp"
#include "zogy/plane_pool.hpp"
#include "zogy/rng.hpp"
#include "zogy/variance_planes.hpp"

using namespace zogy;

namespace {

// One image with a variance plane that changes along both axes, a bad pixel and a Gaussian
// stamp; everything the variance stage reads from it.
struct Side {
    std::vector<double> image, variance, psf;
    std::vector<std::uint8_t> mask;
    inputs::Prepared prepared;

    Side(std::size_t rows, std::size_t cols, std::size_t stamp, double sigma, double level,
         std::uint64_t seed)
        : image(rows * cols), variance(rows * cols), psf(stamp * stamp), mask(rows * cols, 0) {
        rng::Counter c{0, 0, 0, 0};
        for (std::size_t y = 0; y < rows; ++y) {
            for (std::size_t x = 0; x < cols; ++x) {
                const std::size_t i = y * cols + x;
                variance[i] = level * (1.0 + 0.8 * y / rows) * (1.0 + 0.3 * x / cols);
                image[i] = std::sqrt(variance[i]) * rng::normal_at({seed, 0}, c);
                c = rng::increment(c);
            }
        }
        mask[rows / 2 * cols + cols / 3] = 1;
        for (std::size_t y = 0; y < stamp; ++y) {
            for (std::size_t x = 0; x < stamp; ++x) {
                const double dy = static_cast<double>(y) - static_cast<double>(stamp / 2);
                const double dx = static_cast<double>(x) - static_cast<double>(stamp / 2);
                psf[y * stamp + x] = std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            }
        }
        const ImageInput in{{image.data(), rows, cols},
                            {variance.data(), rows, cols},
                            mask.data(),
                            {psf.data(), stamp, stamp},
                            1.0};
        prepared = inputs::prepare(in, "image", std::nullopt);
    }
};

std::vector<double> tiled(const inputs::PreparedPair& pair, const kernel_grid::KernelGrid& small,
                          const padding::Geometry& g, int threads, bool score) {
    std::vector<double> out(g.inner_rows * g.inner_cols);
    variance_planes::tiled(
        pair, small, g, threads,
        [&](std::size_t y0, std::size_t x0, std::size_t rows, std::size_t cols, const double* vd,
            const double* vs, std::size_t stride, double scale) {
            const double* v = score ? vs : vd;
            for (std::size_t r = 0; r < rows; ++r) {
                for (std::size_t c = 0; c < cols; ++c) {
                    out[(y0 + r) * g.inner_cols + x0 + c] = v[r * stride + c] * scale;
                }
            }
        });
    return out;
}

}  // namespace

TEST_CASE("variance_planes: full grid against the definition, tiles against the full grid") {
    const std::size_t rows = 300, cols = 320;  // room for the kernel grid to double twice
    // Stamps that hold the PSFs to 8 sigma: truncated ones leave far kernel tails that no small
    // grid certifies.
    const Side n(rows, cols, 41, 2.4, 4.0, 1), r(rows, cols, 41, 1.8, 1.0, 2);
    const inputs::PreparedPair pair = {&n.prepared, &r.prepared};
    const auto g = padding::make_geometry(rows, cols, 41, 36, padding::SizeRule::Smooth);
    const auto plan = fft::cached_plan(g.rows, g.cols);
    const kernels::Model model(
        {n.prepared.summary.noise_weight, r.prepared.summary.noise_weight, 1.0, 1.0},
        n.prepared.moments, r.prepared.moments, true);
    PlanePool pool(*plan);
    const std::array<double, 2> contrast = {inputs::variance_contrast(n.prepared),
                                            inputs::variance_contrast(r.prepared)};
    const auto small = kernel_grid::certified(n.prepared, r.prepared, model, *plan, pool, true,
                                              kernel_grid::kVarianceToleranceFast, contrast, 1);
    REQUIRE(small.plan != nullptr);

    // Full grid: kernels on the padded grid, V_D and V_S planes.
    kernel_grid::KernelGrid full{
        nullptr, kernel_grid::kernels_on_grid(n.prepared, r.prepared, model, *plan, 1)};
    // The definition at a few pixels: sum over the padded grid of k^2(d) V(x - d), circular.
    std::vector<fft::Plane> padded;
    for (const Side* side : {&n, &r}) {
        padded.emplace_back(*plan);
        padding::pad_variance(side->prepared.variance_view, side->prepared.bad.data(), g,
                              side->prepared.summary.noise_weight, padded.back().real(),
                              padded.back().stride());
    }
    const auto direct = [&](std::size_t k0, std::size_t y, std::size_t x) {
        double sum = 0.0;
        for (std::size_t side = 0; side < 2; ++side) {
            const fft::Plane& k = full.kernels[k0 + side];
            for (std::size_t dy = 0; dy < g.rows; ++dy) {
                for (std::size_t dx = 0; dx < g.cols; ++dx) {
                    const std::size_t py = (y + g.border_y + g.rows - dy) % g.rows;
                    const std::size_t px = (x + g.border_x + g.cols - dx) % g.cols;
                    sum += k.at(dy, dx) * k.at(dy, dx) * padded[side].at(py, px);
                }
            }
        }
        return sum;
    };
    const std::size_t probes[][2] = {{0, 0}, {150, 106}, {299, 319}, {10, 310}};
    std::vector<std::array<double, 2>> expected;  // before full_grid(), which uses the kernels up
    for (const auto& p : probes) expected.push_back({direct(0, p[0], p[1]), direct(2, p[0], p[1])});
    const auto planes = variance_planes::full_grid(pair, full, *plan, g, 1, pool);
    const auto value = [&](std::size_t which, std::size_t y, std::size_t x) {
        return planes[which].at(y + g.border_y, x + g.border_x) * plan->scale();
    };
    for (std::size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        const std::size_t y = probes[i][0], x = probes[i][1];
        CHECK(value(0, y, x) == doctest::Approx(expected[i][0]).epsilon(1e-12));
        CHECK(value(1, y, x) == doctest::Approx(expected[i][1]).epsilon(1e-12));
    }

    // Tiles from the certified small grid: within its tolerance of the full grid everywhere,
    // and the same bits on any thread count.
    for (const bool score : {false, true}) {
        CAPTURE(score);
        const auto one = tiled(pair, small, g, 1, score), two = tiled(pair, small, g, 2, score);
        CHECK(one == two);
        double worst = 0.0;
        for (std::size_t y = 0; y < rows; ++y) {
            for (std::size_t x = 0; x < cols; ++x) {
                const double exact = value(score ? 1 : 0, y, x);
                worst = std::max(worst, std::fabs(one[y * cols + x] - exact) / exact);
            }
        }
        CHECK(worst <= kernel_grid::kVarianceToleranceFast);
        CHECK(worst > 0.0);  // the small grid really differs: not the full grid in disguise
    }
}
