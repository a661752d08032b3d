#include "metric.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "errors.hpp"
#include "stats.hpp"

namespace zogy::metric {

namespace {

double threshold_for(ConstView residual, double sigma) {
    if (sigma == 0.0) return 0.0;
    std::vector<double> finite;
    finite.reserve(residual.size());
    for (std::size_t i = 0; i < residual.size(); ++i) {
        if (std::isfinite(residual.data[i])) finite.push_back(residual.data[i]);
    }
    return sigma * stats::clipped_mean_std(finite, "image").std;
}

}  // namespace

Metric1 metric1(ConstView residual, const double* xs, const double* ys, std::size_t n_sources,
                int radius, double sigma, std::uint8_t* used) {
    if (radius < 0) throw InvalidArgument("radius: must be >= 0");
    if (!(std::isfinite(sigma) && sigma >= 0.0)) {
        throw InvalidArgument("sigma: must be finite and >= 0");
    }
    Metric1 m;
    m.threshold = threshold_for(residual, sigma);
    const auto rows = static_cast<long long>(residual.rows);
    const auto cols = static_cast<long long>(residual.cols);
    for (std::size_t s = 0; s < n_sources; ++s) {
        // Range-checked as doubles first: casting a huge double to an integer is undefined.
        const double fx = std::floor(xs[s]), fy = std::floor(ys[s]);
        const bool inside = fx >= 0.0 && fx < static_cast<double>(cols) && fy >= 0.0 &&
                            fy < static_cast<double>(rows);  // false for NaN
        const long long x = inside ? static_cast<long long>(fx) : -1;
        const long long y = inside ? static_cast<long long>(fy) : -1;
        if (used != nullptr) used[s] = inside ? 1 : 0;
        if (!inside) {
            ++m.n_skipped;
            continue;
        }
        // Row index first: the notebook's [x, y] cutout was the bug DESIGN section 6 names.
        for (long long yy = std::max(0LL, y - radius); yy <= std::min(rows - 1, y + radius); ++yy) {
            for (long long xx = std::max(0LL, x - radius); xx <= std::min(cols - 1, x + radius);
                 ++xx) {
                const double v = residual(static_cast<std::size_t>(yy), static_cast<std::size_t>(xx));
                if (v > m.threshold) ++m.n_pos;
                if (v < -m.threshold) ++m.n_neg;
            }
        }
    }
    m.n_used = m.n_pos + m.n_neg;
    if (m.n_used > 0) {
        m.metric = static_cast<double>(m.n_pos - m.n_neg) / static_cast<double>(m.n_used);
    }
    return m;
}

}  // namespace zogy::metric
