// D and S in Fourier space (eqs. 12 and 13): both images padded and transformed, then the
// per-frequency kernels applied in place, with the sums that give F_S and, for constant
// variance planes, V_D and V_S through Parseval.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "fft.hpp"
#include "inputs.hpp"
#include "kernels.hpp"
#include "padding.hpp"
#include "plane_pool.hpp"

namespace zogy::difference {

// Sums over all frequencies (each half-spectrum column weighted for the full spectrum).
struct FrequencySums {
    double score = 0.0;                   // pixels * F_S
    double k_n = 0.0, k_r = 0.0;          // Parseval: pixels * sum k^2 (constant planes)
    double kappa_n = 0.0, kappa_r = 0.0;  // likewise for kappa
    std::size_t guarded = 0;              // frequencies where the kernel guard acted
};

using PlanePair = std::array<fft::Plane*, 2>;

// Each prepared image padded (counter-based fill keyed by its own digest and `seed`) into its
// plane and transformed forward: N_hat, R_hat.
void transform_images(const inputs::PreparedPair& prepared, const padding::Geometry& g,
                      padding::FillMode fill, std::uint64_t seed, int threads,
                      const PlanePair& planes);

// N_hat, R_hat in `planes` become D_hat = k_N N_hat - k_R R_hat and S_hat = kappa_N N_hat -
// kappa_R R_hat. The PSF spectra come a class of rows at a time (no plane of their own; two
// planes from `pool` when the grid has no divisor to prune by). Sums are taken per row, then
// over the rows in order: the same bits for any thread count. `parseval`: also the kernels'
// energies.
FrequencySums apply_kernels(const inputs::PreparedPair& prepared, const kernels::Model& model,
                            const fft::Plan& plan, bool parseval, int threads, PlanePool& pool,
                            const PlanePair& planes);

}  // namespace zogy::difference
