#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"

namespace zogy::stats {

namespace {

// Sums of the kept values in four lanes by rank: the k-th kept value goes to lane k % 4, and
// the lanes add up as (l0 + l1) + (l2 + l3). Four independent chains of additions instead of
// one (the clipped statistics were a tenth of a 2048^2 subtraction, waiting on one add at a
// time). The lanes depend only on the sequence of kept values, so masking a value and leaving
// it out give the same bits, on any machine and for any thread count.
struct LaneSums {
    double lane[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t count = 0;
    // Adds v if kept. A select, not a product (a NaN at a bad pixel never enters); adding +0.0
    // leaves a lane unchanged (lanes start at +0.0, so none is ever -0.0).
    void add(bool keep, double v) {
        lane[count % 4] += keep ? v : 0.0;
        count += keep;
    }
    double total() const { return (lane[0] + lane[1]) + (lane[2] + lane[3]); }
};

// Mean of the values not excluded, and their count.
double kept_mean(const double* values, const std::uint8_t* excluded, std::size_t n,
                 std::size_t& count) {
    LaneSums s;
    for (std::size_t i = 0; i < n; ++i) s.add(excluded[i] == 0, values[i]);
    count = s.count;
    return s.total() / static_cast<double>(count);
}

// Population std about `mean` of the values not excluded.
double kept_std(const double* values, const std::uint8_t* excluded, std::size_t n, double mean,
                std::size_t count) {
    LaneSums s;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = values[i] - mean;
        s.add(excluded[i] == 0, d * d);
    }
    return std::sqrt(s.total() / static_cast<double>(count));
}

}  // namespace

MeanStd clipped_mean_std(const double* values, const std::uint8_t* bad, std::size_t n,
                         const char* what) {
    // excluded[i]: bad, or clipped in an earlier iteration (nested clipping).
    std::vector<std::uint8_t> excluded(bad, bad + n);
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += bad[i] == 0;
    if (count == 0) {
        throw InvalidArgument(std::string(what) +
                              ": no good pixels to estimate statistics from (all masked or "
                              "non-finite)");
    }
    MeanStd ms;
    ms.mean = kept_mean(values, excluded.data(), n, count);
    ms.std = kept_std(values, excluded.data(), n, ms.mean, count);
    // Each iteration is one pass: it clips about the current mean and sums the deviations
    // d = v - mean of the values it keeps, and their squares. Deviations from a mean that is
    // already close keep the moments accurate: mean' = mean + sum(d) / n,
    // std'^2 = sum(d^2) / n - (sum(d) / n)^2.
    for (int iteration = 0; iteration < 3; ++iteration) {
        const double mean = ms.mean, limit = 3.0 * ms.std;
        LaneSums d, d2;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = values[i] - mean;
            const bool keep = excluded[i] == 0 && std::fabs(v) <= limit;
            excluded[i] = keep ? 0 : 1;
            d.add(keep, v);
            d2.add(keep, v * v);
        }
        const std::size_t kept = d.count;
        if (kept == count || kept == 0) break;  // nothing removed: the moments stand
        count = kept;
        const double shift = d.total() / static_cast<double>(count);
        ms.mean = mean + shift;
        ms.std = std::sqrt(std::max(0.0, d2.total() / static_cast<double>(count) - shift * shift));
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
