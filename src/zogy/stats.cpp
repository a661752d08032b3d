#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "errors.hpp"

namespace zogy::stats {

namespace {

// Sums over the kept values about a centre, for one clipping iteration.
struct ClipSums {
    double centre = 0.0;  // c
    double bound = 0.0;   // kept values off the far list are within this of c
    double d = 0.0;       // sum (v - c)
    double d2 = 0.0;      // sum (v - c)^2
};

// A full clipping pass about `mean`: excludes the kept values beyond `limit`, sums the rest
// about `mean` (rank lanes), and lists the kept ones beyond 5/6 of the limit. Returns the count
// kept.
std::size_t clip_all(const double* values, std::uint8_t* excluded, std::size_t n, double mean,
                     double limit, ClipSums& sums, std::vector<std::size_t>& far) {
    const double bound = limit * (5.0 / 6.0);
    MomentSums kept(mean);
    far.clear();
    for (std::size_t i = 0; i < n; ++i) {
        const double v = values[i] - mean;
        const bool keep = excluded[i] == 0 && std::fabs(v) <= limit;
        excluded[i] = keep ? 0 : 1;
        kept.add(keep, values[i]);
        if (keep && std::fabs(v) > bound) far.push_back(i);
    }
    sums = ClipSums{mean, bound, kept.sum(), kept.sum_squares()};
    return kept.count();
}

// A clipping pass over the far list only (its caller checked that nothing else can go):
// removes the clipped values from the list and their deviations from the sums, in index order.
// Returns the count kept of `count`.
std::size_t clip_listed(const double* values, std::uint8_t* excluded,
                        std::vector<std::size_t>& far, double mean, double limit,
                        std::size_t count, ClipSums& sums) {
    std::size_t removed = 0, out = 0;
    for (std::size_t i : far) {
        if (std::fabs(values[i] - mean) <= limit) {
            far[out++] = i;
            continue;
        }
        excluded[i] = 1;
        const double v = values[i] - sums.centre;
        sums.d -= v;
        sums.d2 -= v * v;
        ++removed;
    }
    far.resize(out);
    return count - removed;
}

}  // namespace

MeanStd MomentSums::moments() const {
    // Deviations from a value of the data: the squares stay in range wherever the data do.
    const double count = static_cast<double>(count_);
    const double shift = sum() / count;
    const double variance = sum_squares() / count - shift * shift;
    return MeanStd{centre_ + shift, std::sqrt(std::max(0.0, variance))};
}

MeanStd clipped_mean_std(const double* values, const std::uint8_t* bad, std::size_t n,
                         const char* what, const MomentSums* first, const Range* range) {
    std::optional<MomentSums> measured;
    if (first == nullptr) {
        std::size_t start = 0;
        while (start < n && bad[start]) ++start;
        measured.emplace(start < n ? values[start] : 0.0);
        for (std::size_t i = 0; i < n; ++i) measured->add(bad[i] == 0, values[i]);
        first = &*measured;
    }
    std::size_t count = first->count();
    if (count == 0) {
        throw InvalidArgument(std::string(what) +
                              ": no good pixels to estimate statistics from (all masked or "
                              "non-finite)");
    }
    MeanStd ms = first->moments();
    // Nothing is clipped when the extremes pass the first iteration's test (v - mean rounds
    // monotonically in v, so every value between them passes too): the moments stand.
    if (range != nullptr && std::fabs(range->low - ms.mean) <= 3.0 * ms.std &&
        std::fabs(range->high - ms.mean) <= 3.0 * ms.std) {
        return ms;
    }
    // excluded[i]: bad, or clipped in an earlier iteration (nested clipping).
    std::vector<std::uint8_t> excluded(bad, bad + n);
    // Each iteration clips about the current mean. A full pass sums, over the values it keeps,
    // the deviations d = v - c from its centre c and their squares (mean = c + sum(d) / n,
    // std^2 = sum(d^2) / n - (sum(d) / n)^2: accurate, c being close to the mean), and lists
    // the kept values farther than `bound` = 5/6 of its limit from c. While a later limit
    // covers bound + |mean - c|, no value off that list can be clipped, so the iteration only
    // visits the list and takes the clipped values out of the sums: one pass over the data
    // instead of three, for the same selection.
    ClipSums sums;
    std::vector<std::size_t> far;
    bool listed = false;
    for (int iteration = 0; iteration < 3; ++iteration) {
        const double limit = 3.0 * ms.std;
        const bool list_suffices = listed && sums.bound + std::fabs(ms.mean - sums.centre) <= limit;
        const std::size_t kept =
            list_suffices ? clip_listed(values, excluded.data(), far, ms.mean, limit, count, sums)
                          : clip_all(values, excluded.data(), n, ms.mean, limit, sums, far);
        listed = far.size() <= n / 4;  // a long list saves nothing
        if (kept == count || kept == 0) break;  // nothing removed: the moments stand
        count = kept;
        const double shift = sums.d / static_cast<double>(count);
        ms.mean = sums.centre + shift;
        ms.std = std::sqrt(std::max(0.0, sums.d2 / static_cast<double>(count) - shift * shift));
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
