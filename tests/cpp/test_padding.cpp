#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>
#include <vector>

#include "zogy/padding.hpp"
#include "zogy/rng.hpp"

using namespace zogy;

TEST_CASE("smooth sizes have only the factors 2, 3, 5, 7 and are the smallest such") {
    auto is_smooth = [](std::size_t n) {
        for (std::size_t p : {2, 3, 5, 7}) {
            while (n % p == 0) n /= p;
        }
        return n == 1;
    };
    for (std::size_t n = 1; n < 3000; ++n) {
        const std::size_t s = padding::smooth_size(n);
        CHECK(s >= n);
        CHECK(is_smooth(s));
        for (std::size_t k = n; k < s; ++k) CHECK_FALSE(is_smooth(k));
    }
    CHECK(padding::smooth_size(11) == 12);
    CHECK(padding::smooth_size(500) == 500);
    CHECK(padding::smooth_size(1031) == 1050);
    CHECK(padding::pow2_size(500) == 512);
    CHECK(padding::pow2_size(512) == 512);
}

TEST_CASE("geometry: border on every side, inner box at (border_y, border_x)") {
    const auto g = padding::make_geometry(250, 260, 125, 125, padding::SizeRule::Smooth);
    CHECK(g.rows == 500);
    CHECK(g.cols == 512);  // 510 = 2*3*5*17 is not 7-smooth; 512 is
    const auto p = padding::make_geometry(250, 260, 125, 125, padding::SizeRule::Pow2);
    CHECK(p.rows == 512);
    CHECK(p.cols == 512);
    CHECK_THROWS(padding::make_geometry(10, 10, std::size_t{1} << 21, 0,
                                        padding::SizeRule::Smooth));
}

namespace {

struct Image {
    std::vector<double> pixels;
    std::vector<std::uint8_t> bad;
    ConstView view() const { return {pixels.data(), 6, 5}; }
};

Image make_image(double level) {
    Image im{std::vector<double>(30), std::vector<std::uint8_t>(30, 0)};
    for (std::size_t i = 0; i < 30; ++i) im.pixels[i] = level + static_cast<double>(i % 7);
    return im;
}

}  // namespace

TEST_CASE("a padded pixel is a pure function of its key and exposure coordinate") {
    const Image a = make_image(10.0);
    const auto g = padding::make_geometry(6, 5, 3, 4, padding::SizeRule::Smooth);
    const rng::Key key{9, rng::digest(a.view(), ConstView{})};
    const padding::Fill fill{padding::FillMode::Noise, 10.0, 2.0, key};
    std::vector<double> padded(g.rows * g.cols);
    padding::pad_image(a.view(), a.bad.data(), g, fill, padded.data());

    // Recompute each padded pixel alone, in reverse order, straight from the generator.
    for (std::size_t i = g.rows; i-- > 0;) {
        for (std::size_t j = g.cols; j-- > 0;) {
            const long long y = static_cast<long long>(i) - 3, x = static_cast<long long>(j) - 4;
            const bool inside = y >= 0 && y < 6 && x >= 0 && x < 5;
            const double expected =
                inside ? a.pixels[static_cast<std::size_t>(y * 5 + x)]
                       : 10.0 + std::sqrt(2.0) * rng::normal_at(key, rng::pixel_counter(y, x));
            CHECK(padded[i * g.cols + j] == expected);
        }
    }

    // Padding another image first, or a different image, leaves this image's padding alone.
    const Image b = make_image(-3.0);
    const padding::Fill fill_b{padding::FillMode::Noise, -3.0, 5.0,
                               rng::Key{9, rng::digest(b.view(), ConstView{})}};
    std::vector<double> padded_b(g.rows * g.cols), again(g.rows * g.cols);
    padding::pad_image(b.view(), b.bad.data(), g, fill_b, padded_b.data());
    padding::pad_image(a.view(), a.bad.data(), g, fill, again.data());
    CHECK(again == padded);
    CHECK(padded_b[0] != padded[0]);
}

TEST_CASE("a bigger border keeps the padding values of the pixels both share") {
    const Image a = make_image(0.0);
    const padding::Fill fill{padding::FillMode::Noise, 0.0, 1.0, rng::Key{1, 2}};
    const auto small = padding::make_geometry(6, 5, 2, 2, padding::SizeRule::Smooth);
    const auto large = padding::make_geometry(6, 5, 5, 6, padding::SizeRule::Smooth);
    std::vector<double> ps(small.rows * small.cols), pl(large.rows * large.cols);
    padding::pad_image(a.view(), a.bad.data(), small, fill, ps.data());
    padding::pad_image(a.view(), a.bad.data(), large, fill, pl.data());
    // Exposure pixel (-1, -2) in both grids.
    CHECK(ps[(2 - 1) * small.cols + (2 - 2)] == pl[(5 - 1) * large.cols + (6 - 2)]);
}

TEST_CASE("fill modes and bad pixels") {
    Image a = make_image(100.0);
    a.bad[7] = 1;
    const auto g = padding::make_geometry(6, 5, 2, 2, padding::SizeRule::Smooth);
    std::vector<double> out(g.rows * g.cols);
    const std::size_t bad_index = (1 + 2) * g.cols + (2 + 2);  // pixel 7 = (y 1, x 2)

    padding::pad_image(a.view(), a.bad.data(), g,
                       {padding::FillMode::Zero, 100.0, 4.0, rng::Key{0, 0}}, out.data());
    CHECK(out[0] == 0.0);
    CHECK(out[bad_index] == 100.0);

    padding::pad_image(a.view(), a.bad.data(), g,
                       {padding::FillMode::Constant, 100.0, 4.0, rng::Key{0, 0}}, out.data());
    CHECK(out[0] == 100.0);
    CHECK(out[bad_index] == 100.0);

    const rng::Key key{3, 4};
    padding::pad_image(a.view(), a.bad.data(), g, {padding::FillMode::Noise, 100.0, 4.0, key},
                       out.data());
    CHECK(out[bad_index] == 100.0 + 2.0 * rng::normal_at(key, rng::pixel_counter(1, 2)));

    std::vector<double> var(30, 7.0), padded_var(g.rows * g.cols);
    padding::pad_variance({var.data(), 6, 5}, a.bad.data(), g, 4.0, padded_var.data());
    CHECK(padded_var[0] == 4.0);
    CHECK(padded_var[bad_index] == 4.0);
    CHECK(padded_var[(0 + 2) * g.cols + 2] == 7.0);
}

TEST_CASE("variance rows: any window of the padded variance plane, read circularly") {
    // 5 x 6 inner box in a 9 x 12 plane (border 2 above and left); pixel values say where they
    // are, two of them bad.
    const auto g = padding::make_cell_geometry(5, 6, padding::CellFrame{2, 2, 2, 4, 0, 0},
                                               padding::SizeRule::Smooth);
    REQUIRE(g.rows == 9);
    REQUIRE(g.cols == 12);
    std::vector<double> var(30);
    for (std::size_t i = 0; i < var.size(); ++i) var[i] = 10.0 + static_cast<double>(i);
    std::vector<std::uint8_t> bad(30, 0);
    bad[7] = bad[29] = 1;
    const double w = 4.0;
    // The definition, pixel by pixel: variance inside the box unless bad, w elsewhere.
    auto expected = [&](std::int64_t y, std::int64_t x) {
        const std::int64_t py = ((y % 9) + 9) % 9 - 2, px = ((x % 12) + 12) % 12 - 2;
        if (py < 0 || py >= 5 || px < 0 || px >= 6) return w;
        const std::size_t k = static_cast<std::size_t>(py * 6 + px);
        return bad[k] ? w : var[k];
    };
    for (std::int64_t y = -10; y < 20; y += 3) {
        for (std::int64_t x0 : {-30, -13, -1, 0, 1, 5, 11, 23}) {
            for (std::size_t count : {1, 4, 12, 13, 40}) {
                std::vector<double> row(count, -1.0);
                padding::variance_row({var.data(), 5, 6}, bad.data(), g, w, y, x0, count,
                                      row.data());
                for (std::size_t j = 0; j < count; ++j) {
                    REQUIRE(row[j] == expected(y, x0 + static_cast<std::int64_t>(j)));
                }
            }
        }
    }
    std::vector<double> row(7, -1.0);  // no variance given: the noise weight everywhere
    padding::variance_row({nullptr, 5, 6}, bad.data(), g, w, 3, 3, 7, row.data());
    for (double v : row) CHECK(v == w);
}

#include "zogy/stats.hpp"

TEST_CASE("clipped statistics: masking bad values equals filtering them out, bit for bit") {
    std::vector<double> values(5000);
    std::vector<std::uint8_t> bad(5000, 0);
    rng::Counter c{0, 0, 0, 0};
    for (std::size_t i = 0; i < values.size(); ++i, c = rng::increment(c)) {
        values[i] = 10.0 + 2.0 * rng::normal_at({7, 7}, c);
        if (i % 97 == 0) values[i] += 500.0;  // outliers that clipping removes
        bad[i] = i % 13 == 0;
    }
    std::vector<double> good;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!bad[i]) good.push_back(values[i]);
    }
    const auto copied = stats::clipped_mean_std(good, "x");  // filtered first
    const auto streamed = stats::clipped_mean_std(values.data(), bad.data(), values.size(), "x");
    CHECK(copied.mean == streamed.mean);
    CHECK(copied.std == streamed.std);
    CHECK(std::fabs(copied.mean - 10.0) < 0.2);  // the outliers were clipped
    std::fill(bad.begin(), bad.end(), 1);
    CHECK_THROWS(stats::clipped_mean_std(values.data(), bad.data(), values.size(), "x"));
}

namespace {

// Standard normal deviates of one key, counter after counter: test data.
struct NormalStream {
    rng::Key key;
    rng::Counter counter{0, 0, 0, 0};
    double operator()() {
        counter = rng::increment(counter);
        return rng::normal_at(key, counter);
    }
};

// docs/algorithm.md's clipped statistics written the plain way (filter, two-pass long double
// moments per iteration): an independent derivation for the one-pass implementation.
stats::MeanStd plain_clipped(std::vector<double> sel) {
    auto moments = [](const std::vector<double>& v) {
        long double sum = 0.0L;
        for (double x : v) sum += x;
        const long double mean = sum / static_cast<long double>(v.size());
        long double ss = 0.0L;
        for (double x : v) ss += (x - mean) * (x - mean);
        return std::pair<double, double>{static_cast<double>(mean),
                                         static_cast<double>(std::sqrt(ss / v.size()))};
    };
    auto [mean, std] = moments(sel);
    for (int iteration = 0; iteration < 3; ++iteration) {
        std::vector<double> next;
        for (double x : sel) {
            if (std::fabs(x - mean) <= 3.0 * std) next.push_back(x);
        }
        if (next.size() == sel.size() || next.empty()) break;
        sel = std::move(next);
        std::tie(mean, std) = moments(sel);
    }
    return {mean, std};
}

}  // namespace

TEST_CASE("clipped statistics agree with the plain definition, incl. the far-list shortcut") {
    NormalStream normal{{3, 1}};
    std::vector<std::vector<double>> cases;
    std::vector<double> v(20000);
    for (auto& x : v) x = 100.0 + 5.0 * normal();  // clean: later iterations use the list
    cases.push_back(v);
    for (std::size_t i = 0; i < v.size(); i += 37) v[i] = 1e4;  // bright outliers
    cases.push_back(v);
    for (auto& x : v) x = 2.0 * normal() / (0.3 + std::fabs(normal()));  // heavy tails
    cases.push_back(v);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 2 ? 1.0 : 3.0;  // two values
    cases.push_back(v);
    cases.push_back(std::vector<double>(500, 7.25));  // constant
    for (const auto& values : cases) {
        const auto ours = stats::clipped_mean_std(values, "x");
        const auto plain = plain_clipped(values);
        CHECK(ours.mean == doctest::Approx(plain.mean).epsilon(1e-12));
        CHECK(ours.std == doctest::Approx(plain.std).epsilon(1e-10));
    }
}

TEST_CASE("clipped statistics: first moments and range from the caller give the same bits") {
    // What inputs.cpp's scan passes: sums about the first good value, and the extremes.
    auto with_sums = [](const std::vector<double>& values, const std::vector<std::uint8_t>& bad,
                        bool pass_range) {
        std::size_t first = 0;
        while (bad[first]) ++first;
        stats::MomentSums sums(values[first]);
        stats::Range range{1e300, -1e300};
        for (std::size_t i = 0; i < values.size(); ++i) {
            sums.add(bad[i] == 0, values[i]);
            if (bad[i]) continue;
            range.low = std::min(range.low, values[i]);
            range.high = std::max(range.high, values[i]);
        }
        return stats::clipped_mean_std(values.data(), bad.data(), values.size(), "x", &sums,
                                       pass_range ? &range : nullptr);
    };
    std::vector<double> smooth(4000), noisy(4000);
    rng::Counter c{0, 0, 0, 0};
    for (std::size_t i = 0; i < smooth.size(); ++i, c = rng::increment(c)) {
        smooth[i] = 25.0 * (1.0 + 0.2 * static_cast<double>(i) / 4000.0);  // a gradient
        noisy[i] = 3.0 + rng::normal_at({5, 5}, c);  // tails beyond 3 sigma: clipping happens
    }
    std::vector<std::uint8_t> bad(4000, 0);
    bad[0] = bad[17] = 1;
    smooth[17] = 1e9;  // bad: outside the range and the statistics
    for (const auto* values : {&smooth, &noisy}) {
        const auto plain = stats::clipped_mean_std(values->data(), bad.data(), values->size(), "x");
        for (bool pass_range : {false, true}) {
            const auto given = with_sums(*values, bad, pass_range);
            CHECK(given.mean == plain.mean);
            CHECK(given.std == plain.std);
        }
    }
}

namespace {

// 1.4826 MAD the plain way: filter, sort, middle values (the definition in docs/algorithm.md).
double plain_robust_sigma(const std::vector<double>& values, const std::vector<std::uint8_t>& bad) {
    std::vector<double> good;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!bad[i]) good.push_back(values[i]);
    }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        const std::size_t m = v.size() / 2;
        return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2.0;
    };
    const double centre = median(good);
    for (double& v : good) v = std::fabs(v - centre);
    return 1.482602218505602 * median(good);
}

}  // namespace

TEST_CASE("robust sigma: exact order statistics, sampled bracket or not, same bits as sorting") {
    NormalStream normal{{9, 2}};
    const std::size_t n = 300001;  // above the bracketing threshold; odd and even counts below
    std::vector<std::vector<double>> cases;
    std::vector<double> v(n);
    for (auto& x : v) x = 50.0 + 4.0 * normal();  // plain noise
    cases.push_back(v);
    for (std::size_t i = 0; i < n; i += 101) v[i] = 1e5;  // bright sources
    cases.push_back(v);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::floor(3.0 * normal());  // many ties
    cases.push_back(v);
    // The sample takes every (n / 8192)-th value: make those unrepresentative, so that the
    // bracket misses and the full selection runs.
    const std::size_t step = n / 8192;
    for (std::size_t i = 0; i < n; ++i) v[i] = i % step == 0 ? -1e9 - static_cast<double>(i) : normal();
    cases.push_back(v);
    for (const auto& values : cases) {
        for (std::size_t masked : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
            CAPTURE(masked);
            std::vector<std::uint8_t> bad(values.size(), 0);
            for (std::size_t i = 0; i < masked; ++i) bad[1000 + 37 * i] = 1;  // odd/even counts
            const double ours = stats::robust_sigma(values.data(), bad.data(), values.size(), "x");
            CHECK(ours == plain_robust_sigma(values, bad));
        }
    }
    // A MAD of 0 falls back to the clipped std; constant values have no noise at all.
    std::vector<double> mostly(n, 3.0);
    for (std::size_t i = 0; i < n; i += 5) mostly[i] = 4.0;
    const std::vector<std::uint8_t> none(n, 0);
    CHECK(stats::robust_sigma(mostly.data(), none.data(), n, "x") ==
          stats::clipped_mean_std(mostly.data(), none.data(), n, "x").std);
    const std::vector<double> flat(n, 2.0);
    CHECK_THROWS(stats::robust_sigma(flat.data(), none.data(), n, "x"));
}
