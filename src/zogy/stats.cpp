#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"

namespace zogy::stats {

MeanStd clipped_mean_std(const double* values, const std::uint8_t* bad, std::size_t n,
                         const char* what) {
    // excluded[i]: bad, or clipped in an earlier iteration (nested clipping). Sums run in index
    // order, so the result does not depend on threads or on how the values were stored.
    std::vector<std::uint8_t> excluded(bad, bad + n);
    auto moments = [&](std::size_t& count) {
        double sum = 0.0;
        count = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (!excluded[i]) {
                sum += values[i];
                ++count;
            }
        }
        const double mean = sum / static_cast<double>(count);
        double ss = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            if (!excluded[i]) ss += (values[i] - mean) * (values[i] - mean);
        }
        return MeanStd{mean, std::sqrt(ss / static_cast<double>(count))};
    };
    std::size_t count = 0;
    MeanStd ms = moments(count);
    if (count == 0) {
        throw InvalidArgument(std::string(what) +
                              ": no good pixels to estimate statistics from (all masked or "
                              "non-finite)");
    }
    for (int iteration = 0; iteration < 3; ++iteration) {
        const double limit = 3.0 * ms.std;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (excluded[i]) continue;
            if (std::fabs(values[i] - ms.mean) <= limit) {
                ++kept;
            } else {
                excluded[i] = 1;
            }
        }
        if (kept == count || kept == 0) break;
        ms = moments(count);
    }
    return ms;
}

MeanStd clipped_mean_std(const std::vector<double>& values, const char* what) {
    const std::vector<std::uint8_t> none_bad(values.size(), 0);
    return clipped_mean_std(values.data(), none_bad.data(), values.size(), what);
}

double median(std::vector<double> values) {
    const std::size_t n = values.size();
    const std::size_t mid = n / 2;
    std::nth_element(values.begin(), values.begin() + mid, values.end());
    const double upper = values[mid];
    if (n % 2 == 1) return upper;
    const double lower = *std::max_element(values.begin(), values.begin() + mid);
    return (lower + upper) / 2.0;
}

double robust_sigma(const std::vector<double>& values, const char* what) {
    if (values.empty()) {
        throw InvalidArgument(std::string(what) + ": no good pixels to estimate the noise from");
    }
    const double centre = median(values);
    std::vector<double> deviations(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) deviations[i] = std::fabs(values[i] - centre);
    double sigma = 1.482602218505602 * median(std::move(deviations));
    if (sigma == 0.0) sigma = clipped_mean_std(values, what).std;
    if (!(sigma > 0.0)) {
        throw InvalidArgument(std::string(what) +
                              ": the image has no measurable noise (constant pixels); pass its "
                              "variance explicitly");
    }
    return sigma;
}

std::vector<double> good_values(ConstView image, const std::uint8_t* bad) {
    std::vector<double> out;
    out.reserve(image.size());
    for (std::size_t i = 0; i < image.size(); ++i) {
        if (!bad[i]) out.push_back(image.data[i]);
    }
    return out;
}

}  // namespace zogy::stats
