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

// Sums of the deviations v - centre of kept values and of their squares, each in four lanes by
// rank: the k-th kept value goes to lane k % 4, and the lanes add up as (l0 + l1) + (l2 + l3).
// Four independent chains of additions instead of one, and the lanes depend only on the
// sequence of kept values, so masking a value and leaving it out give the same bits, on any
// machine and for any thread count. Fed a value at a time, so that a pass that reads the pixels
// for another reason (inputs.cpp's scan of an input) can take the first moments along.
class MomentSums {
  public:
    explicit MomentSums(double centre) : centre_(centre) {}
    // Adds v if kept. A select, not a product (a NaN at a bad pixel never enters); adding +0.0
    // leaves a lane unchanged (lanes start at +0.0, so none is ever -0.0).
    void add(bool keep, double v) {
        const double d = v - centre_;
        const std::size_t lane = count_ % 4;
        d_[lane] += keep ? d : 0.0;
        d2_[lane] += keep ? d * d : 0.0;
        count_ += keep;
    }
    std::size_t count() const { return count_; }
    double sum() const { return lane_total(d_); }           // of v - centre
    double sum_squares() const { return lane_total(d2_); }  // of (v - centre)^2
    // Mean and population std of the values added (count() > 0).
    MeanStd moments() const;

  private:
    static double lane_total(const double (&lane)[4]) {
        return (lane[0] + lane[1]) + (lane[2] + lane[3]);
    }
    double centre_;
    double d_[4] = {0.0, 0.0, 0.0, 0.0};
    double d2_[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t count_ = 0;
};

// 3-sigma clipped mean and std (3 nested iterations, mean-centred, population std), stopping
// early once nothing is removed, over the good values (bad[i] == 0), without copying them.
// Throws InvalidArgument (naming `what`) when no value is good. `first`, when given, holds the
// good values' sums about the first good value (what the first iteration would compute), and
// `range` their least and greatest: a caller that already passed over the data saves that
// pass, and when the range is within the first limit (a smooth variance plane) the next one.
struct Range {
    double low = 0.0, high = 0.0;
};
MeanStd clipped_mean_std(const double* values, const std::uint8_t* bad, std::size_t n,
                         const char* what, const MomentSums* first = nullptr,
                         const Range* range = nullptr);

// The same over every value of `values`.
MeanStd clipped_mean_std(const std::vector<double>& values, const char* what);

// 1.4826 * MAD of the good values (bad[i] == 0, finite) of `values`, the median of an even
// count being the mean of the two middle values; the clipped std when the MAD is 0. Exact
// order statistics without copying or sorting all values (stats.cpp).
double robust_sigma(const double* values, const std::uint8_t* bad, std::size_t n,
                    const char* what);

}  // namespace zogy::stats
