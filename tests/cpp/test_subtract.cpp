#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "zogy/errors.hpp"
#include "zogy/rng.hpp"
#include "zogy/subtract.hpp"

using namespace zogy;

namespace {

std::vector<double> gaussian_stamp(std::size_t h, std::size_t w, double sigma) {
    std::vector<double> p(h * w);
    for (std::size_t y = 0; y < h; ++y) {
        for (std::size_t x = 0; x < w; ++x) {
            const double dy = static_cast<double>(y) - static_cast<double>(h / 2);
            const double dx = static_cast<double>(x) - static_cast<double>(w / 2);
            p[y * w + x] = std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
        }
    }
    return p;
}

std::vector<double> noise_image(std::size_t n, double level, std::uint64_t seed) {
    std::vector<double> img(n);
    rng::Counter c{0, 0, 0, 0};
    for (auto& v : img) {
        v = 10.0 + level * rng::normal_at({seed, 0}, c);
        c = rng::increment(c);
    }
    return img;
}

// The caller's buffers (PSF and mask) and, after subtract(), views of the images it returns.
struct Planes {
    explicit Planes(std::size_t rows, std::size_t cols, std::size_t psf_rows,
                    std::size_t psf_cols)
        : psf(psf_rows * psf_cols), mask(rows * cols) {
        out.psf = {psf.data(), psf_rows, psf_cols};
        out.mask = mask.data();
    }
    const double* d() const { return out.difference.view.data; }
    const double* s() const { return out.score.view.data; }
    const double* vd() const { return out.difference_variance.view.data; }
    std::vector<double> psf;
    std::vector<std::uint8_t> mask;
    SubtractOutputs out;
};

}  // namespace

TEST_CASE("subtract: swapping the inputs negates D and S exactly, with a bad pixel") {
    const std::size_t rows = 37, cols = 45;
    auto a = noise_image(rows * cols, 3.0, 1);
    auto b = noise_image(rows * cols, 1.0, 2);
    a[100] = std::nan("");
    const auto pa = gaussian_stamp(11, 9, 2.1), pb = gaussian_stamp(7, 7, 1.4);
    const ImageInput in_a{{a.data(), rows, cols}, {}, nullptr, {pa.data(), 11, 9}, 1.0};
    const ImageInput in_b{{b.data(), rows, cols}, {}, nullptr, {pb.data(), 7, 7}, 1.0};
    SubtractOptions options;
    options.seed = 5;
    options.threads = 3;
    Planes ab(rows, cols, 11, 9), ba(rows, cols, 7, 7);
    subtract(in_a, in_b, options, ab.out);
    subtract(in_b, in_a, options, ba.out);
    for (std::size_t i = 0; i < rows * cols; ++i) {
        if (i == 100) {
            CHECK(std::isnan(ab.d()[i]));
            CHECK(ab.mask[i] == (kScienceBad | kNearBad));
            CHECK(ba.mask[i] == (kReferenceBad | kNearBad));
            continue;
        }
        CHECK(ab.d()[i] == -ba.d()[i]);
        CHECK(ab.s()[i] == -ba.s()[i]);
        CHECK(ab.vd()[i] == ba.vd()[i]);
    }
    CHECK(ab.out.grow_radius[0] > 0);
    CHECK(ab.out.grow_radius[0] == ba.out.grow_radius[1]);
}

TEST_CASE("subtract: errors name the argument") {
    std::vector<double> img(20 * 20, 1.0), other(20 * 21, 1.0), psf(9, 1.0), zero(9, 0.0);
    const ImageInput good{{img.data(), 20, 20}, {}, nullptr, {psf.data(), 3, 3}, 1.0};
    Planes planes(20, 20, 3, 3);
    ImageInput wrong_shape = good;
    wrong_shape.image = {other.data(), 20, 21};
    CHECK_THROWS_WITH_AS(subtract(good, wrong_shape, {}, planes.out),
                         doctest::Contains("reference: shape"), InvalidArgument);
    ImageInput bad_psf = good;
    bad_psf.psf = {zero.data(), 3, 3};
    CHECK_THROWS_WITH_AS(subtract(bad_psf, good, {}, planes.out),
                         doctest::Contains("science_psf: the PSF sum"), InvalidArgument);
    // Constant images have no measurable noise and no variance was given.
    CHECK_THROWS_WITH_AS(subtract(good, good, {}, planes.out),
                         doctest::Contains("no measurable noise"), InvalidArgument);
}
