// The input stage (inputs.hpp): bad pixels, PSF normalisation, constant variance planes,
// the variance contrast and the pair checks.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "zogy/errors.hpp"
#include "zogy/inputs.hpp"
#include "zogy/rng.hpp"

using namespace zogy;

namespace {

std::vector<double> noise(std::size_t n, std::uint64_t seed) {
    std::vector<double> img(n);
    rng::Counter c{0, 0, 0, 0};
    for (auto& v : img) {
        v = 5.0 + 2.0 * rng::normal_at({seed, 0}, c);
        c = rng::increment(c);
    }
    return img;
}

}  // namespace

TEST_CASE("inputs::prepare: bad pixels, unit-sum PSF, constant and varying variance planes") {
    const std::size_t rows = 20, cols = 24;
    auto image = noise(rows * cols, 3);
    image[7] = std::nan("");
    std::vector<std::uint8_t> mask(rows * cols, 0);
    mask[30] = 1;
    std::vector<double> variance(rows * cols, 2.5), psf = {1, 2, 1, 2, 4, 2, 1, 2, 1};
    variance[7] = -1.0;  // at a bad pixel: not checked
    ImageInput in{{image.data(), rows, cols},
                  {variance.data(), rows, cols},
                  mask.data(),
                  {psf.data(), 3, 3},
                  1.0};
    const auto p = inputs::prepare(in, "science", std::nullopt);
    CHECK(p.summary.bad_pixels == 2);
    CHECK(p.bad[7] == 1);
    CHECK(p.bad[30] == 1);
    CHECK(p.bad[8] == 0);
    CHECK(p.psf[4] == 0.25);
    CHECK(p.psf_view().rows == 3);
    CHECK(p.constant_variance);
    CHECK(p.summary.noise_weight == 2.5);  // a constant plane's value exactly
    CHECK(inputs::variance_contrast(p) == 1.0);

    variance[100] = 10.0;
    const auto q = inputs::prepare(in, "science", std::nullopt);
    CHECK_FALSE(q.constant_variance);
    // max(10, w) / min(2.5, w) with w the clipped mean, between 2.5 and 10
    CHECK(inputs::variance_contrast(q) == doctest::Approx(4.0));
    CHECK(q.summary.digest != p.summary.digest);  // the variance enters the digest

    variance[101] = 0.0;  // at a good pixel
    CHECK_THROWS_WITH_AS(inputs::prepare(in, "science", std::nullopt),
                         doctest::Contains("science_variance: value 0"), InvalidArgument);
}

TEST_CASE("inputs::validate_pair: the checks name the argument") {
    std::vector<double> a(20 * 20, 1.0), b(20 * 21, 1.0), psf(9, 1.0);
    const ImageInput good{{a.data(), 20, 20}, {}, nullptr, {psf.data(), 3, 3}, 1.0};
    ImageInput other = good;
    other.image = {b.data(), 20, 21};
    CHECK_THROWS_WITH_AS(inputs::validate_pair(good, other, 1),
                         doctest::Contains("reference: shape 20x21"), InvalidArgument);
    CHECK_THROWS_WITH_AS(inputs::validate_pair(good, good, 0), doctest::Contains("threads"),
                         InvalidArgument);
}
