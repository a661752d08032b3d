// The padded grid of one subtraction: its border from the PSFs' widths and stamps (DESIGN
// section 4) and whether the planes it needs fit in memory.
#pragma once

#include <cstddef>

#include "inputs.hpp"
#include "padding.hpp"

namespace zogy::geometry {

// Peak memory of subtract(), its outputs included, in padded real planes (8 bytes per pixel),
// rounded up: D and S (outputs in their own planes) and at most 6 working planes in FFTW's
// in-place layout (slightly wider than the grid) are alive at once (exact mode's variance
// stage: four full-grid kernels and two variance spectra; none by default, whose variance
// tiles are small); the other five outputs reuse working planes or take fresh ones; the
// bad-pixel masks, statistics and small kernel grids add about half a plane. The Python
// layer's early check reads this value (`_core.PEAK_PLANES`).
constexpr std::size_t kPeakPlanes = 9;

// Default border along one axis: ten PSF widths, at least the larger stamp.
std::size_t default_border(double sigma, std::size_t stamp_n, std::size_t stamp_r);

// The padded grid of a pair: border_y / border_x < 0 take the default rule.
padding::Geometry choose(std::size_t rows, std::size_t cols, const inputs::Prepared& n,
                         const inputs::Prepared& r, long long border_y, long long border_x,
                         padding::SizeRule size_rule);

// Throws InvalidArgument when kPeakPlanes planes of the grid exceed the machine's memory.
void check_memory(const padding::Geometry& g);

}  // namespace zogy::geometry
