// Power-of-two scaling of far-from-unit inputs (scaling.hpp) and the floating-point
// environment the core computes in (fp_env.hpp).
#include <doctest/doctest.h>

#include <cfenv>
#include <cmath>
#include <vector>

#include "zogy/errors.hpp"
#include "zogy/fp_env.hpp"
#include "zogy/scaling.hpp"

using namespace zogy;

TEST_CASE("scaling: ordinary noise is left alone, far noise brought within a factor 2 of 1") {
    CHECK(scaling::exponent_for_variance(1.0) == 0);
    CHECK(scaling::exponent_for_variance(std::ldexp(1.0, 2 * scaling::kOrdinary)) == 0);
    CHECK(scaling::exponent_for_variance(std::ldexp(1.0, 900)) == -450);
    for (const double variance : {std::ldexp(3.0, -900), std::ldexp(1.0, -901), 1e-300, 1e250}) {
        const int k = scaling::exponent_for_variance(variance);
        const double sigma = std::ldexp(std::sqrt(variance), k);  // the scaled noise
        CHECK(sigma >= 0.5);
        CHECK(sigma <= 2.0);
    }
    CHECK(scaling::exponent_for_variance(0.0) == 0);  // the statistics' checks say why
    CHECK(scaling::common_flux_exponent(-450, -450) == 450);
    CHECK(scaling::common_flux_exponent(0, 0) == 0);

    // An image of noise ~2^300 without a variance: scaled by about 2^-300.
    std::vector<double> image(64 * 64), psf(1, 1.0);
    for (std::size_t i = 0; i < image.size(); ++i) {
        image[i] = std::ldexp(static_cast<double>(i % 7) - 3.0, 300);
    }
    const ImageInput in{{image.data(), 64, 64}, {}, nullptr, {psf.data(), 1, 1}, 1.0};
    const int k = scaling::exponent(in);
    CHECK(k <= -299);
    CHECK(k >= -301);
    const auto s = scaling::scaled(in, k, "science");
    CHECK(s.image[5] == std::ldexp(image[5], k));  // exact
    CHECK(s.input.flux_scale == std::ldexp(1.0, k));
    CHECK(s.input.image.data == s.image.data());
}

TEST_CASE("scaling: values that cannot be represented are errors, not infinities") {
    std::vector<double> image(16 * 16, 1.0), psf(1, 1.0);
    image[3] = 1e300;
    const ImageInput in{{image.data(), 16, 16}, {}, nullptr, {psf.data(), 1, 1}, 1.0};
    CHECK_THROWS_WITH_AS(scaling::scaled(in, 100, "reference"), doctest::Contains("reference:"),
                         NumericalError);
    std::vector<double> values = {1.0, -2.0, std::nan("")};
    scaling::rescale(values.data(), values.size(), 3, "difference");
    CHECK(values[0] == 8.0);
    CHECK(values[1] == -16.0);
    CHECK(std::isnan(values[2]));  // blanked values stay what they are
    std::vector<double> huge = {1e300};
    CHECK_THROWS_AS(scaling::rescale(huge.data(), 1, 100, "difference"), NumericalError);
    ImageSummary summary;
    summary.noise_weight = 1.0;
    CHECK_THROWS_AS(scaling::unscaled(summary, -600, "science"), NumericalError);  // 2^1200
}

TEST_CASE("IeeeDefaultEnvironment: round to nearest inside, the caller's mode restored") {
    REQUIRE(std::fesetround(FE_UPWARD) == 0);
    {
        const IeeeDefaultEnvironment environment;
        CHECK(std::fegetround() == FE_TONEAREST);
        volatile double third = 1.0;
        third /= 3.0;
        CHECK(third == 1.0 / 3.0);  // rounded to nearest, as the constant is
    }
    CHECK(std::fegetround() == FE_UPWARD);
    std::fesetround(FE_TONEAREST);
}
