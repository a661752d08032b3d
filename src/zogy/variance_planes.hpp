// V_D and V_S for non-constant variance planes (paper section 3.3): V_D = k_N^2 * V_N +
// k_R^2 * V_R and V_S likewise with kappa (real-space kernels squared pixel by pixel, circular
// on the padded grid). Constant planes need neither: Parseval gives them (difference.hpp).
#pragma once

#include <array>

#include "fft.hpp"
#include "inputs.hpp"
#include "kernel_grid.hpp"
#include "overlap.hpp"
#include "padding.hpp"
#include "plane_pool.hpp"

namespace zogy::variance_planes {

// V_D and V_S on the full grid, for full-grid kernels, returned in real space without the
// inverse transform's scale (the caller applies it while compacting). The kernels' planes are
// used up (squared and transformed in place) and go back to `pool`; at most six working
// planes are alive.
std::array<fft::Plane, 2> full_grid(const inputs::PreparedPair& prepared,
                                    kernel_grid::KernelGrid& full, const fft::Plan& plan,
                                    const padding::Geometry& g, int threads, PlanePool& pool);

// V_D and V_S from small-grid kernels, whose squares are small boxes: by overlap-save on tiles
// (overlap.hpp) straight from the inputs' variance, never a padded plane. `sink` gets each
// tile's rows of the inner box, unscaled.
void tiled(const inputs::PreparedPair& prepared, const kernel_grid::KernelGrid& small,
           const padding::Geometry& g, int threads, const overlap::TileSink& sink);

}  // namespace zogy::variance_planes
