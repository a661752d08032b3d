#include "variance_planes.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "parallel.hpp"

namespace zogy::variance_planes {

namespace {

// A small-grid kernel squared as one contiguous box with its origin at (cy, cx): the
// small grid's signed offsets -(rows - 1 - rows/2) .. rows/2 in order.
struct SquaredKernelBox {
    std::vector<double> values;
    std::size_t rows, cols, cy, cx;
    ConstView view() const { return {values.data(), rows, cols}; }
};

SquaredKernelBox squared_kernel_box(const fft::Plane& small, const fft::Plan& small_plan) {
    const std::size_t sr = small_plan.rows(), sc = small_plan.cols();
    SquaredKernelBox b{std::vector<double>(sr * sc), sr, sc, sr - 1 - sr / 2, sc - 1 - sc / 2};
    for (std::size_t a = 0; a < sr; ++a) {
        const std::size_t y = (a + sr - b.cy) % sr;
        for (std::size_t x = 0; x < sc; ++x) {
            const double k = small.at(y, (x + sc - b.cx) % sc);
            b.values[a * sc + x] = k * k;
        }
    }
    return b;
}

}  // namespace

std::array<fft::Plane, 2> full_grid(const inputs::PreparedPair& prepared,
                                    kernel_grid::KernelGrid& full, const fft::Plan& plan,
                                    const padding::Geometry& g, int threads, PlanePool& pool) {
    // The kernels are squared and transformed in place (their planes are used up): with both
    // variance spectra, six independent tasks (the long ones first, so two threads end
    // together), then one pass of products. Eight planes with D and S.
    std::array<std::optional<fft::Plane>, 2> v;  // V_N_hat, V_R_hat; then V_D_hat, V_S_hat
    parallel_for(6, threads, [&](std::size_t task) {
        if (task < 2) {
            const inputs::Prepared& p = *prepared[task];
            v[task].emplace(pool.take());
            padding::pad_variance(p.variance_view, p.bad.data(), g, p.summary.noise_weight,
                                  v[task]->real(), v[task]->stride());
            v[task]->forward();
            return;
        }
        fft::Plane& k = full.kernels[task - 2];
        for (std::size_t y = 0; y < plan.rows(); ++y) {
            for (std::size_t x = 0; x < plan.cols(); ++x) k.at(y, x) *= k.at(y, x);
        }
        k.forward();
    });
    const std::size_t half = plan.spectrum_cols();
    const std::vector<fft::Plane>& k = full.kernels;
    fft::Complex* vn = v[0]->spectrum();
    fft::Complex* vr = v[1]->spectrum();
    for_row_blocks(plan.rows(), threads, [&](std::size_t, std::size_t ky) {
        const std::size_t row = ky * half;
        overlap::pair_products(k[0].spectrum() + row, k[1].spectrum() + row, k[2].spectrum() + row,
                               k[3].spectrum() + row, vn + row, vr + row, half);
    });
    for (auto& plane : full.kernels) pool.give(std::move(plane));
    full.kernels.clear();
    std::array<fft::Plane, 2> total = {std::move(*v[0]), std::move(*v[1])};
    parallel_for(2, threads, [&](std::size_t i) { total[i].inverse_unscaled(); });
    return total;
}

void tiled(const inputs::PreparedPair& prepared, const kernel_grid::KernelGrid& small,
           const padding::Geometry& g, int threads, const overlap::TileSink& sink) {
    std::vector<SquaredKernelBox> boxes;
    for (std::size_t k = 0; k < 4; ++k) {
        boxes.push_back(squared_kernel_box(small.kernels[k], *small.plan));
    }
    overlap::Kernels kernels;
    for (std::size_t k = 0; k < 4; ++k) kernels.k[k] = boxes[k].view();
    kernels.cy = boxes[0].cy;
    kernels.cx = boxes[0].cx;
    const auto by = static_cast<std::int64_t>(g.border_y);
    const auto bx = static_cast<std::int64_t>(g.border_x);
    overlap::convolve_pair(
        kernels, g.inner_rows, g.inner_cols,
        [&](std::size_t side, std::int64_t y, std::int64_t x0, std::size_t count, double* out) {
            const inputs::Prepared& p = *prepared[side];
            padding::variance_row(p.variance_view, p.bad.data(), g, p.summary.noise_weight, y + by,
                                  x0 + bx, count, out);
        },
        sink, threads);
}

}  // namespace zogy::variance_planes
