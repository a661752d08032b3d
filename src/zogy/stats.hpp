// Robust image statistics behind the defaults of DESIGN section 2 (noise weights, fill means).
#pragma once

#include <cstdint>
#include <vector>

#include "view.hpp"

namespace zogy::stats {

struct MeanStd {
    double mean = 0.0;
    double std = 0.0;
};

// 3-sigma clipped mean and std (3 nested iterations, mean-centred, population std), stopping
// early once nothing is removed. Throws InvalidArgument (naming `what`) for an empty input.
MeanStd clipped_mean_std(std::vector<double> values, const char* what);

// The same statistics of the good pixels (bad[i] == 0) of `values`, without copying them: a
// byte per value marks it clipped, so the sums see the same values in the same order as the
// copying version (bit-identical results).
MeanStd clipped_mean_std(const double* values, const std::uint8_t* bad, std::size_t n,
                         const char* what);

// Median (mean of the two middle values for an even count); values is consumed.
double median(std::vector<double> values);

// 1.4826 * MAD, falling back to the clipped std when the MAD is 0.
double robust_sigma(const std::vector<double>& values, const char* what);

// Values of `image` at good pixels (bad[i] == 0), in row-major order.
std::vector<double> good_values(ConstView image, const std::uint8_t* bad);

}  // namespace zogy::stats
