#include "kernel_grid.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "padding.hpp"
#include "parallel.hpp"

namespace zogy::kernel_grid {

void kernels_from_spectra(std::vector<fft::Plane>& planes, const kernels::Model& model,
                          const fft::Plan& plan, int threads) {
    const std::size_t half = plan.spectrum_cols();
    fft::Complex* pn = planes[0].spectrum();
    fft::Complex* pr = planes[1].spectrum();
    fft::Complex* kappa_n = planes[2].spectrum();
    fft::Complex* kappa_r = planes[3].spectrum();
    for_row_blocks(plan.rows(), threads, [&](std::size_t, std::size_t ky) {
        const double fy = kernels::frequency(ky, plan.rows());
        for (std::size_t kx = 0; kx < half; ++kx) {
            const std::size_t i = ky * half + kx;
            const auto k = model.at(pn[i], pr[i],
                                    static_cast<double>(kx) / static_cast<double>(plan.cols()), fy);
            pn[i] = k.k_n;
            pr[i] = k.k_r;
            kappa_n[i] = k.kappa_n;
            kappa_r[i] = k.kappa_r;
        }
    });
    parallel_for(4, threads, [&](std::size_t i) { planes[i].inverse(); });
}

std::vector<fft::Plane> kernels_on_grid(const inputs::Prepared& n, const inputs::Prepared& r,
                                        const kernels::Model& model, const fft::Plan& plan,
                                        int threads) {
    std::vector<fft::Plane> k;
    for (int i = 0; i < 4; ++i) k.emplace_back(plan);
    inputs::psf_spectra(n, r, threads, k[0], k[1]);
    kernels_from_spectra(k, model, plan, threads);
    return k;
}

std::size_t grid_side(std::size_t stamp_n, std::size_t stamp_r, std::size_t full_side,
                      std::size_t stamps) {
    const std::size_t stamp = std::max<std::size_t>(16, std::max(stamp_n, stamp_r));
    return std::min(full_side, padding::smooth_size(stamps * stamp));
}

double tail_fraction(const fft::Plane& k, const fft::Plan& plan) {
    double total = 0.0, tail = 0.0;
    for (std::size_t y = 0; y < plan.rows(); ++y) {
        const std::size_t dy = std::min(y, plan.rows() - y);
        for (std::size_t x = 0; x < plan.cols(); ++x) {
            const std::size_t dx = std::min(x, plan.cols() - x);
            const double e = k.at(y, x) * k.at(y, x);
            total += e;
            if (4 * dy > plan.rows() || 4 * dx > plan.cols()) tail += e;
        }
    }
    return total > 0.0 ? tail / total : 0.0;
}

KernelChange squared_kernel_change(const fft::Plane& ka, const fft::Plan& a, const fft::Plane& kb,
                                   const fft::Plan& b) {
    auto index_in = [](long long off, std::size_t n) -> long long {  // -1: outside the grid
        const long long lo = -static_cast<long long>(n - 1 - n / 2);
        const long long hi = static_cast<long long>(n / 2);
        if (off < lo || off > hi) return -1;
        return off >= 0 ? off : off + static_cast<long long>(n);
    };
    double net = 0.0, spread = 0.0, total = 0.0;
    for (std::size_t y = 0; y < b.rows(); ++y) {
        const long long ya = index_in(kernels::signed_index(y, b.rows()), a.rows());
        for (std::size_t x = 0; x < b.cols(); ++x) {
            const long long xa = index_in(kernels::signed_index(x, b.cols()), a.cols());
            const double vb = kb.at(y, x);
            const double va = ya < 0 || xa < 0 ? 0.0
                                               : ka.at(static_cast<std::size_t>(ya),
                                                       static_cast<std::size_t>(xa));
            net += vb * vb - va * va;
            spread += std::fabs(vb * vb - va * va);
            total += vb * vb;
        }
    }
    if (!(total > 0.0)) return {};
    return {std::fabs(net) / total, spread / total};
}

// Bound on the relative change of V_D and V_S when the kernels' grid grows from `a` to `b`.
// For one kernel and its image's variance plane V (contrast C = max V / min V), the change of
// k^2 * V at any pixel is sum_y d(y) V(x - y) with d = k_b^2 - k_a^2; splitting V about
// c = (max + min) / 2 bounds it by |sum d| c + sum |d| (max - min) / 2, and k_b^2 * V is at
// least sum k_b^2 min V: relative, net (C + 1) / 2 + spread (C - 1) / 2. The sum over the
// two images is within the larger of their bounds.
double variance_change_bound(const std::vector<fft::Plane>& ka, const fft::Plan& a,
                             const std::vector<fft::Plane>& kb, const fft::Plan& b,
                             const std::array<double, 2>& contrast) {
    double worst = 0.0;
    for (std::size_t k = 0; k < 4; ++k) {
        const double c = contrast[k % 2];  // k_N, k_R, kappa_N, kappa_R
        const KernelChange d = squared_kernel_change(ka[k], a, kb[k], b);
        worst = std::max(worst, d.net * (c + 1.0) / 2.0 + d.spread * (c - 1.0) / 2.0);
    }
    return worst;
}

// The smallest grid, from two stamps wide and doubling (one doubling in exact mode), whose
// kernels change V_D and V_S by less than `tolerance` when the grid doubles
// (variance_change_bound with the images' variance `contrast`). The change from grid a to 2a
// bounds a's distance to any larger grid to within a factor 2 when each doubling at least
// halves the change (kernels whose energy beyond radius r falls at least as fast as 1/r),
// hence the 2 below.
// Past half the full grid, the full grid itself (four planes from `pool`). PSF stamps that
// cut the PSF off (narrower than ~8 sigma) leave far tails that keep the exact mode on the
// full grid.
KernelGrid certified(const inputs::Prepared& n, const inputs::Prepared& r,
                     const kernels::Model& model, const fft::Plan& full, PlanePool& pool,
                     bool guard, double tolerance, const std::array<double, 2>& contrast,
                     int threads) {
    KernelGrid grid;
    // Two stamps wide to start: the kernels' squares are convolved with the variance in
    // tiles about four grids wide (512 for an 84^2 grid, 768 for 168^2), so smaller grids
    // are cheaper, and the certification below, not the start, decides how large one must be.
    std::size_t rows = grid_side(n.psf_rows, r.psf_rows, full.rows(), 2);
    std::size_t cols = grid_side(n.psf_cols, r.psf_cols, full.cols(), 2);
    auto fits = [&](std::size_t next_rows, std::size_t next_cols) {
        return 2 * next_rows <= full.rows() && 2 * next_cols <= full.cols();
    };
    const bool exact = tolerance <= kVarianceToleranceExact;
    // Unguarded kernels are not compact: no point trying.
    if (guard && fits(padding::smooth_size(2 * rows), padding::smooth_size(2 * cols))) {
        grid.plan = fft::cached_plan(rows, cols);
        grid.kernels = kernels_on_grid(n, r, model, *grid.plan, threads);
        for (;;) {
            const std::size_t next_rows = padding::smooth_size(2 * grid.plan->rows());
            const std::size_t next_cols = padding::smooth_size(2 * grid.plan->cols());
            if (!fits(next_rows, next_cols)) break;
            auto next_plan = fft::cached_plan(next_rows, next_cols);
            auto next = kernels_on_grid(n, r, model, *next_plan, threads);
            const double bound =
                variance_change_bound(grid.kernels, *grid.plan, next, *next_plan, contrast);
            if (2.0 * bound <= tolerance) return grid;
            // For exact results one doubling is enough: the far tails do not shrink with size.
            if (exact) break;
            grid.plan = std::move(next_plan);
            grid.kernels = std::move(next);
        }
    }
    grid.plan.reset();
    grid.kernels.clear();
    for (int i = 0; i < 4; ++i) grid.kernels.push_back(pool.take());
    inputs::psf_spectra(n, r, threads, grid.kernels[0], grid.kernels[1]);
    kernels_from_spectra(grid.kernels, model, full, threads);
    return grid;
}

}  // namespace zogy::kernel_grid
