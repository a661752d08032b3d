// Metric1, the per-source sign metric of the LSST tests (DESIGN section 6).
#pragma once

#include <cstddef>
#include <cstdint>

#include "view.hpp"

namespace zogy::metric {

struct Metric1 {
    double metric = 0.0;
    long long n_pos = 0;
    long long n_neg = 0;
    long long n_used = 0;
    long long n_skipped = 0;
    double threshold = 0.0;
};

// Sources at (xs[i], ys[i]) (column, row; the pixel is the floor). `used`, if not null, receives
// 1 for each source whose cutout was counted and 0 for a skipped one.
Metric1 metric1(ConstView residual, const double* xs, const double* ys, std::size_t n_sources,
                int radius, double sigma, std::uint8_t* used);

}  // namespace zogy::metric
