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
// early once nothing is removed, over the good values (bad[i] == 0), without copying them.
// Throws InvalidArgument (naming `what`) when no value is good.
MeanStd clipped_mean_std(const double* values, const std::uint8_t* bad, std::size_t n,
                         const char* what);

// The same over every value of `values`.
MeanStd clipped_mean_std(const std::vector<double>& values, const char* what);

// Median (mean of the two middle values for an even count); values is consumed.
double median(std::vector<double> values);

// 1.4826 * MAD, falling back to the clipped std when the MAD is 0.
double robust_sigma(const std::vector<double>& values, const char* what);

// Values of `image` at good pixels (bad[i] == 0), in row-major order.
std::vector<double> good_values(ConstView image, const std::uint8_t* bad);

}  // namespace zogy::stats
