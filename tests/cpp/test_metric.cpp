#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "zogy/errors.hpp"
#include "zogy/metric.hpp"

using namespace zogy;

TEST_CASE("Metric1 counts signs in [y, x] cutouts clipped to the image") {
    // 5 x 6 image: row index first. Positive everywhere except column 5, which is negative.
    std::vector<double> img(30, 1.0);
    for (std::size_t y = 0; y < 5; ++y) img[y * 6 + 5] = -2.0;
    img[0] = std::nan("");
    const ConstView view{img.data(), 5, 6};

    // Source at x=5, y=2, radius 1: columns 4..5 (clipped), rows 1..3 -> 3 positive, 3 negative.
    const double xs[] = {5.2, 0.0, 7.0};
    const double ys[] = {2.9, 0.0, 1.0};
    std::uint8_t used[3];
    auto m = metric::metric1(view, xs, ys, 1, 1, 0.0, used);
    CHECK(m.n_pos == 3);
    CHECK(m.n_neg == 3);
    CHECK(m.metric == 0.0);
    CHECK(used[0] == 1);

    // Corner source: rows 0..1, cols 0..1 with one NaN -> 3 positive pixels.
    m = metric::metric1(view, xs + 1, ys + 1, 1, 1, 0.0, nullptr);
    CHECK(m.n_pos == 3);
    CHECK(m.n_neg == 0);
    CHECK(m.metric == 1.0);

    // Outside the image: skipped, and nothing counted gives metric 0.
    m = metric::metric1(view, xs + 2, ys + 2, 1, 1, 0.0, used);
    CHECK(m.n_skipped == 1);
    CHECK(m.n_used == 0);
    CHECK(m.metric == 0.0);
    CHECK(used[0] == 0);
}

TEST_CASE("Metric1 threshold excludes pixels within +-t, and the sign flips with the image") {
    std::vector<double> img = {0.5, -0.5, 3.0, -4.0, 0.0, 2.5, -2.5, 1.0, -1.0};
    std::vector<double> neg(img.size());
    for (std::size_t i = 0; i < img.size(); ++i) neg[i] = -img[i];
    const double x = 1.0, y = 1.0;
    const auto a = metric::metric1({img.data(), 3, 3}, &x, &y, 1, 1, 1.0, nullptr);
    const auto b = metric::metric1({neg.data(), 3, 3}, &x, &y, 1, 1, 1.0, nullptr);
    CHECK(a.threshold > 0.0);
    CHECK(a.n_pos == b.n_neg);
    CHECK(a.n_neg == b.n_pos);
    CHECK(a.metric == -b.metric);
    // t = 1 * population std of all 9 values (none clipped): check the counts by hand.
    double mean = 0.0;
    for (double v : img) mean += v;
    mean /= 9.0;
    double ss = 0.0;
    for (double v : img) ss += (v - mean) * (v - mean);
    const double t = std::sqrt(ss / 9.0);
    CHECK(a.threshold == doctest::Approx(t));
    long long pos = 0, neg_count = 0;
    for (double v : img) {
        pos += v > t;
        neg_count += v < -t;
    }
    CHECK(a.n_pos == pos);
    CHECK(a.n_neg == neg_count);
    CHECK_THROWS_AS(metric::metric1({img.data(), 3, 3}, &x, &y, 1, -1, 0.0, nullptr),
                    InvalidArgument);
}
