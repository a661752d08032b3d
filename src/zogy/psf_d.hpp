// P_D, the PSF of the difference image (eq. 14), as a stamp of the science PSF's shape.
#pragma once

#include "fft.hpp"
#include "inputs.hpp"
#include "kernels.hpp"
#include "plane_pool.hpp"
#include "view.hpp"

namespace zogy::psf_d {

// P_D_hat is a product over a root of a sum of |P|^2, never a ratio of round-off, so P_D is as
// compact as the PSFs: a grid four stamps wide usually holds it and a full-grid inverse
// transform is not needed. Stamps that cut their PSF off ring in Fourier space and give P_D a
// tail: the grid doubles until the tail is negligible, up to the full grid (two planes from
// `pool`). `out`: the science stamp's shape, unit sum.
void stamp(const inputs::Prepared& n, const inputs::Prepared& r, const kernels::Model& model,
           const fft::Plan& full, PlanePool& pool, MutView out);

}  // namespace zogy::psf_d
