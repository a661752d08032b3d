// Output values row by row: an unscaled inverse transform's values as outputs, the inner box
// of a padded plane compacted into an inner-shaped image, and S_corr, alpha and sigma_alpha
// from S and V_S.
#pragma once

#include <cstddef>

#include "fft.hpp"
#include "padding.hpp"

namespace zogy::output_rows {

// n values of an unscaled inverse transform as output values: (x * scale) / divisor (F_D for
// D, F_D^2 for V_D, 1 otherwise). dst may be src, or below it in the same buffer (compaction
// moves values to lower addresses, in order).
void to_output(const double* src, double* dst, std::size_t n, double scale, double divisor);

// Row y of the inner box of a padded plane.
inline const double* inner_row(const fft::Plane& plane, const padding::Geometry& g, std::size_t y) {
    return plane.real() + (y + g.border_y) * plane.stride() + g.border_x;
}

// The inner box of an unscaled inverse transform, times `scale` and divided by `divisor`,
// moved to the start of its plane as an inner-shaped row-major image: in place and in order
// (every value moves to a lower address, so it is read before anything overwrites it), hence
// one thread per plane.
void compact(fft::Plane& plane, const padding::Geometry& g, double scale, double divisor);

// S_corr = S / sqrt(V_S) (0 where V_S <= 0), alpha = S / F_S and sigma_alpha = sqrt(V_S) / F_S
// (NaN where V_S <= 0) of n pixels, with V_S = vs[x] * vs_scale, or vs_constant when vs is
// null.
void score_row(const double* s, const double* vs, double vs_scale, double vs_constant, double fs,
               double* scorr, double* flux, double* flux_err, std::size_t n);

}  // namespace zogy::output_rows
