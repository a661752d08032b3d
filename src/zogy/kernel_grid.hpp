// The real-space kernels k_N, k_R, kappa_N, kappa_R (eqs. 12-13) on a grid small enough to be
// cheap and large enough to hold them, and the certification that picks that grid. They are
// compact (with the kernel guard), so sampling their spectra on a coarser frequency grid only
// aliases weak tails. Used for the variance planes (V = k^2 * V_N + ...) and the mask growth;
// D and S themselves always use the full grid.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "fft.hpp"
#include "inputs.hpp"
#include "kernels.hpp"
#include "plane_pool.hpp"

namespace zogy::kernel_grid {

// The four kernels in real space, centred at [0, 0], on `plan`'s grid.
struct KernelGrid {
    std::shared_ptr<const fft::Plan> plan;  // null when the kernels live on the full grid
    std::vector<fft::Plane> kernels;        // k_n, k_r, kappa_n, kappa_r (real space)
    const fft::Plan& grid(const fft::Plan& full) const { return plan ? *plan : full; }
};

// Relative error of V_D and V_S that small-grid kernels may cause: round-off in exact mode,
// 1e-6 by default (exact_variance = false: the accuracy issue 5 allows for this shortcut).
constexpr double kVarianceToleranceExact = 1e-14;
constexpr double kVarianceToleranceFast = 1e-6;

// The four kernels in real space from the PSF spectra P_N, P_R in planes[0] and planes[1];
// the kernels replace the spectra frequency by frequency, so four planes hold everything (the
// full grid's budget of live planes depends on it).
void kernels_from_spectra(std::vector<fft::Plane>& planes, const kernels::Model& model,
                          const fft::Plan& plan, int threads);

// The four kernels on the grid of `plan`.
std::vector<fft::Plane> kernels_on_grid(const inputs::Prepared& n, const inputs::Prepared& r,
                                        const kernels::Model& model, const fft::Plan& plan,
                                        int threads);

// Side of the smallest kernel grid: `stamps` stamps wide (at least 16 per stamp), at most the
// full grid.
std::size_t grid_side(std::size_t stamp_n, std::size_t stamp_r, std::size_t full_side,
                      std::size_t stamps);

// Energy fraction of a kernel (centred at [0, 0]) outside the central half of its grid.
double tail_fraction(const fft::Plane& k, const fft::Plan& plan);

// How the squared kernel changes when its grid grows from `a` to `b`, comparing equal signed
// offsets (k_a is 0 outside its grid), relative to sum k_b^2: `net` = |sum (k_b^2 - k_a^2)|,
// `spread` = sum |k_b^2 - k_a^2|.
struct KernelChange {
    double net = 0.0, spread = 0.0;
};

KernelChange squared_kernel_change(const fft::Plane& ka, const fft::Plan& a, const fft::Plane& kb,
                                   const fft::Plan& b);

// Bound on the relative change of V_D and V_S when the kernels' grid grows from `a` to `b`
// (docs/algorithm.md, "Variance planes in practice"); contrast[i] = max V / min V of image i.
double variance_change_bound(const std::vector<fft::Plane>& ka, const fft::Plan& a,
                             const std::vector<fft::Plane>& kb, const fft::Plan& b,
                             const std::array<double, 2>& contrast);

// The smallest grid, from two stamps wide and doubling, whose kernels keep V_D and V_S within
// `tolerance` of the full grid's; else the full grid (four planes from `pool`). Unguarded
// kernels are not compact and always take the full grid.
KernelGrid certified(const inputs::Prepared& n, const inputs::Prepared& r,
                     const kernels::Model& model, const fft::Plan& full, PlanePool& pool,
                     bool guard, double tolerance, const std::array<double, 2>& contrast,
                     int threads);

}  // namespace zogy::kernel_grid
