#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
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

namespace {

// The order statistics of ranks k - 1 and k (0-based; `lower` only when k > 0) of f(v) over
// the `count` good values, exactly. For many values, a strided sample brackets the ranks
// (5 standard deviations of a sample rank on either side), one pass counts the values below
// the bracket and gathers those inside it (a few per cent), and the selection runs on those
// alone; a bracket that misses (an unrepresentative sample) falls back to all values.
struct OrderPair {
    double lower = 0.0, upper = 0.0;
};

template <typename F>
OrderPair order_statistics(const double* values, const std::uint8_t* bad, std::size_t n,
                           std::size_t count, std::size_t k, F f) {
    // Rank j of v is rank k overall (j >= 1 whenever k >= 1, so `lower` is inside v).
    auto select = [k](std::vector<double>& v, std::size_t j) {
        const auto at = v.begin() + static_cast<std::ptrdiff_t>(j);
        std::nth_element(v.begin(), at, v.end());
        OrderPair pair{0.0, *at};
        if (k > 0) pair.lower = *std::max_element(v.begin(), at);
        return pair;
    };
    // The f-values within [lo, hi], and how many are below lo. Branch-free: which side a
    // value falls on is random, a branch on it mispredicts half the time. Every value is
    // written at the end of the kept ones and kept or overwritten next.
    auto gather = [&](double lo, double hi, std::size_t& below) {
        // Not value-initialised: only the slots written are touched.
        const std::unique_ptr<double[]> slots(new double[count + 1]);
        std::size_t kept = 0;
        below = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = f(values[i]);
            const bool good = bad[i] == 0;
            below += good & (x < lo);
            slots[kept] = x;
            kept += good & (x >= lo) & (x <= hi);
        }
        return std::vector<double>(slots.get(), slots.get() + kept);
    };
    constexpr std::size_t kDirect = std::size_t{1} << 16;
    const double inf = std::numeric_limits<double>::infinity();
    std::size_t below = 0;
    if (count > kDirect) {
        std::vector<double> sample;
        const std::size_t step = std::max<std::size_t>(1, n / 8192);
        for (std::size_t i = 0; i < n; i += step) {
            if (!bad[i]) sample.push_back(f(values[i]));
        }
        std::sort(sample.begin(), sample.end());
        const double m = static_cast<double>(sample.size());
        const double spread = 2.5 * std::sqrt(m) + 2.0;
        const double total = static_cast<double>(count);
        const std::size_t first = k > 0 ? k - 1 : k;
        const double at_lo = std::floor(static_cast<double>(first) / total * m - spread);
        const double at_hi = std::ceil(static_cast<double>(k) / total * m + spread);
        const double lo = at_lo < 0.0 ? -inf : sample[static_cast<std::size_t>(at_lo)];
        const double hi = at_hi >= m ? inf : sample[static_cast<std::size_t>(at_hi)];
        std::vector<double> inside = gather(lo, hi, below);
        if (below <= first && k < below + inside.size()) return select(inside, k - below);
    }
    std::vector<double> all = gather(-inf, inf, below);
    return select(all, k);
}

// Median of f(v) over the good values (the mean of the two middle ones for an even count).
template <typename F>
double median_of(const double* values, const std::uint8_t* bad, std::size_t n,
                 std::size_t count, F f) {
    const OrderPair pair = order_statistics(values, bad, n, count, count / 2, f);
    return count % 2 == 1 ? pair.upper : (pair.lower + pair.upper) / 2.0;
}

}  // namespace

double robust_sigma(const double* values, const std::uint8_t* bad, std::size_t n,
                    const char* what) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += bad[i] == 0;
    if (count == 0) {
        throw InvalidArgument(std::string(what) + ": no good pixels to estimate the noise from");
    }
    const double centre = median_of(values, bad, n, count, [](double v) { return v; });
    const double mad =
        median_of(values, bad, n, count, [centre](double v) { return std::fabs(v - centre); });
    double sigma = 1.482602218505602 * mad;
    // The clipped std of the masked values: the same bits as of the filtered ones.
    if (sigma == 0.0) sigma = clipped_mean_std(values, bad, n, what).std;
    if (!(sigma > 0.0)) {
        throw InvalidArgument(std::string(what) +
                              ": the image has no measurable noise (constant pixels); pass its "
                              "variance explicitly");
    }
    return sigma;
}

}  // namespace zogy::stats
