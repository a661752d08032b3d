#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "zogy/rng.hpp"

using namespace zogy;

// Random123's published known-answer vectors for philox4x64 with 10 rounds (kat_vectors).
TEST_CASE("Philox4x64-10 reproduces the Random123 known-answer vectors") {
    struct Kat {
        rng::Counter counter;
        rng::Key key;
        rng::Counter expected;
    };
    const std::uint64_t ones = ~0ULL;
    const Kat kats[] = {
        {{0, 0, 0, 0},
         {0, 0},
         {0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL, 0xd7e772cee186176bULL,
          0x7e68b68aec7ba23bULL}},
        {{ones, ones, ones, ones},
         {ones, ones},
         {0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL, 0x9cc7d7c69cd777b6ULL,
          0xa09caebf594f0ba0ULL}},
        {{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL,
          0x082efa98ec4e6c89ULL},
         {0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL},
         {0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL,
          0x57bd43b5e52b7fe6ULL}},
    };
    for (const auto& kat : kats) CHECK(rng::philox_block(kat.key, kat.counter) == kat.expected);
}

TEST_CASE("numpy's convention: raw output j is word j%4 of the block at counter+1+j/4") {
    // numpy.random.Philox(key=0, counter=2**256-1).random_raw(4) is the first KAT block.
    const std::uint64_t ones = ~0ULL;
    std::uint64_t out[6];
    rng::raw_numpy({0, 0}, {ones, ones, ones, ones}, 6, out);
    CHECK(out[0] == 0x16554d9eca36314cULL);
    CHECK(out[3] == 0x7e68b68aec7ba23bULL);
    const rng::Counter next = rng::philox_block({0, 0}, {1, 0, 0, 0});
    CHECK(out[4] == next[0]);
    CHECK(out[5] == next[1]);
}

TEST_CASE("counter increment carries across all four words") {
    const std::uint64_t ones = ~0ULL;
    CHECK(rng::increment({ones, 5, 0, 0}) == rng::Counter{0, 6, 0, 0});
    CHECK(rng::increment({ones, ones, ones, ones}) == rng::Counter{0, 0, 0, 0});
}

TEST_CASE("basic-operation log and cos agree with libm to a few ulp") {
    double worst_log = 0.0, worst_cos = 0.0;
    for (int i = 1; i < 200000; ++i) {
        const double u = rng::uniform53(static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL);
        worst_log = std::max(worst_log, std::fabs(rng::log_basic(u) - std::log(u)) /
                                            std::max(1e-300, std::fabs(std::log(u))));
        worst_cos = std::max(worst_cos,
                             std::fabs(rng::cos_two_pi_basic(u) - std::cos(6.283185307179586 * u)));
    }
    // ~2 ulp seen: just below u = 1/sqrt(2), e = -1 and log m ~ +0.35 cancel against -ln 2.
    CHECK(worst_log < 1e-15);
    // libm's cos(2*pi*u) itself carries the rounding of 2*pi*u (up to ~4e-16 absolute).
    CHECK(worst_cos < 2e-15);
    CHECK(rng::log_basic(1.0) == 0.0);
    CHECK(rng::cos_two_pi_basic(0.5) == -1.0);
    CHECK(rng::cos_two_pi_basic(0.25) == doctest::Approx(0.0).epsilon(1e-17));
    // Any finite argument, not only uniforms: negative, integral, half-integral and large
    // values exercise the argument reduction's floor on both sides of zero.
    for (double u : {-0.3, -1.0, -2.5, -7.125, 3.0, 12.375, -0.875, 1e15 + 0.25, -1e15 - 0.5,
                     1e17, -1e17}) {
        CAPTURE(u);
        const double reduced = u - std::floor(u);  // exact for these values
        CHECK(rng::cos_two_pi_basic(u) ==
              doctest::Approx(std::cos(6.283185307179586 * reduced)).epsilon(1e-14));
    }
}

TEST_CASE("normal deviates: mean, variance and tail fractions over 10^6 draws") {
    const std::size_t n = 1000000;
    const rng::Key key{42, 7};
    double sum = 0.0, sum2 = 0.0;
    std::size_t beyond1 = 0, beyond2 = 0, beyond3 = 0;
    rng::Counter c{0, 0, 0, 0};
    for (std::size_t i = 0; i < n; ++i, c = rng::increment(c)) {
        const double z = rng::normal_at(key, c);
        sum += z;
        sum2 += z * z;
        beyond1 += std::fabs(z) > 1.0;
        beyond2 += std::fabs(z) > 2.0;
        beyond3 += std::fabs(z) > 3.0;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    // Standard errors: mean 1e-3, variance sqrt(2/n) = 1.4e-3; allow 5 sigma.
    CHECK(std::fabs(mean) < 5e-3);
    CHECK(std::fabs(var - 1.0) < 7e-3);
    // Two-sided tail probabilities of N(0,1): 0.317311, 0.0455003, 0.0026998.
    auto check_fraction = [&](std::size_t count, double p) {
        const double f = static_cast<double>(count) / n;
        CHECK(std::fabs(f - p) < 5.0 * std::sqrt(p * (1 - p) / n));
    };
    check_fraction(beyond1, 0.3173105078629141);
    check_fraction(beyond2, 0.04550026389635842);
    check_fraction(beyond3, 0.002699796063260207);
}

TEST_CASE("pixel counters are two's complement coordinates") {
    CHECK(rng::pixel_counter(-1, 3) == rng::Counter{3, ~0ULL, 0, 0});
    CHECK(rng::pixel_counter(2, -2) == rng::Counter{~0ULL - 1, 2, 0, 0});
}

TEST_CASE("digest changes with any pixel, the shape and the variance") {
    std::vector<double> a(12, 1.0), var(12, 2.0);
    const ConstView v34{a.data(), 3, 4}, v43{a.data(), 4, 3}, var34{var.data(), 3, 4};
    const ConstView none{};
    const std::uint64_t base = rng::digest(v34, none);
    CHECK(base == rng::digest(v34, none));
    CHECK(base != rng::digest(v43, none));
    const std::uint64_t with_variance = rng::digest(v34, var34);
    CHECK(with_variance != base);
    var[11] = std::nextafter(2.0, 3.0);
    CHECK(with_variance != rng::digest(v34, var34));
    a[7] = std::nextafter(1.0, 2.0);
    CHECK(base != rng::digest(v34, none));
    // Every NaN payload hashes alike, so NaN-marked bad pixels give a stable key.
    a[7] = std::nan("1");
    const std::uint64_t nan1 = rng::digest(v34, none);
    a[7] = -std::nan("2");
    CHECK(nan1 == rng::digest(v34, none));
}

TEST_CASE("uniforms stay strictly inside (0, 1) at the extreme words") {
    CHECK(rng::uniform53(0) == 0x1.0p-53);
    CHECK(rng::uniform53(~0ULL) == 1.0 - 0x1.0p-53);
    CHECK(std::isfinite(rng::normal_from_words(0, 0)));
}

TEST_CASE("normals_along_row gives normal_at's bits, pixel by pixel") {
    // Runs longer and shorter than a batch, negative coordinates, and x crossing 2^64 - 1 -> 0
    // in the counter's first word.
    const rng::Key key{11, 0xA5A5A5A5DEADBEEFULL};
    for (const auto& [y, x0, n] : std::vector<std::tuple<std::int64_t, std::int64_t, std::size_t>>{
             {0, 0, 1}, {-3, -40, 100}, {7, 1000, 33}, {-1, -5, 10}}) {
        std::vector<double> batch(n);
        rng::normals_along_row(key, y, x0, n, batch.data());
        for (std::size_t j = 0; j < n; ++j) {
            CHECK(batch[j] == rng::normal_at(key, rng::pixel_counter(y, x0 + std::int64_t(j))));
        }
    }
}
