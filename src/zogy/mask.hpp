// Output-mask growth: a bad pixel's synthetic fill reaches every output pixel within the
// footprint of the kernels that convolve it (issue "real data": document how far).
#pragma once

#include <cstddef>
#include <cstdint>

namespace zogy::mask {

// Smallest Chebyshev radius r such that the pixels within r of the kernel's centre ([0, 0] of a
// rows x cols circular grid) hold at least (1 - tail) of its energy sum(k^2).
// `stride` is the distance between kernel rows in doubles (0: cols).
std::size_t footprint_radius(const double* kernel, std::size_t rows, std::size_t cols,
                             double tail, std::size_t stride = 0);

// out[i] |= bit wherever a pixel of `bad` (rows x cols, non-zero = bad) lies within
// Chebyshev distance `radius`; bad pixels themselves included.
void grow(const std::uint8_t* bad, std::size_t rows, std::size_t cols, std::size_t radius,
          std::uint8_t bit, std::uint8_t* out);

}  // namespace zogy::mask
