// Power-of-two scaling of an input whose noise lies far from 1 (issue 12): ZOGY's kernels go as
// 1/sigma and their squares as 1/sigma^4, so an image with sigma ~ 1e80 (or a variance of
// 1e300) overflows or underflows V_S and gives S_corr = 0 everywhere. An image N with flux
// scale F_N and noise sigma_N, taken as N 2^k with flux scale F_N 2^k and noise sigma_N 2^k,
// gives the same D / F_D, S, V_S, S_corr, alpha and sigma_alpha: every intermediate value is
// the unscaled one times an exact power of two, so the outputs are the same bits wherever the
// unscaled arithmetic neither overflows nor underflows. Ordinary inputs are not scaled at all.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "inputs.hpp"

namespace zogy::scaling {

// Noise (sigma) within 2^-kOrdinary .. 2^kOrdinary is left alone: V_S ~ 1 / sigma^2 and the
// squared S kernels ~ 1 / sigma^4 stay far inside the double range.
constexpr int kOrdinary = 200;

// The exponent k for an image whose noise variance is about `variance` (0 when ordinary): the
// scaled noise is then within a factor 2 of 1.
int exponent_for_variance(double variance);

// k for one input from a strided sample of its good pixels: the median of its variance plane,
// or the (MAD) spread of its pixels without one. 0 for ordinary inputs.
int exponent(const ImageInput& in);

// An input times 2^k (its variance times 2^2k, its flux scale times 2^k), in owned buffers.
struct Scaled {
    std::vector<double> image, variance;
    ImageInput input;  // views of the buffers above (mask and PSF: the original's)
};

// Throws NumericalError naming `role` when a good pixel or variance leaves the double range.
Scaled scaled(const ImageInput& in, int k, const std::string& role);

// Both flux scales times 2^j, j = -(k_N + k_R) / 2, keep the kernels' constants near the
// unscaled ones (the flux scales F 2^k alone would make F_N^2 F_R^2 in F_S underflow). A common
// flux scale a = 2^j divides D / F_D, alpha and sigma_alpha by a and V_D / F_D^2 by a^2,
// multiplies S by a, V_S by a^2, F_D by a and F_S by a^2, and leaves S_corr and P_D alone.
int common_flux_exponent(int k_n, int k_r);

// values[i] times 2^power, in place (the outputs back in the inputs' units); NumericalError
// naming `name` if a finite value leaves the double range.
void rescale(double* values, std::size_t n, int power, const std::string& name);

// A summary measured on the input times 2^k, in the input's own units; NumericalError naming
// `role` where a value cannot be represented.
ImageSummary unscaled(ImageSummary s, int k, const std::string& role);

}  // namespace zogy::scaling
