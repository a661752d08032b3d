// The subtraction's first stage: one input image checked and measured from its own pixels
// (bad pixels, variance checks, noise weight, fill mean, digest; DESIGN section 2).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fft.hpp"
#include "kernels.hpp"
#include "view.hpp"

namespace zogy {

struct ImageInput {
    ConstView image;
    ConstView variance;                  // data == nullptr: constant robust (MAD) estimate
    const std::uint8_t* mask = nullptr;  // nullable; non-zero marks a bad pixel
    ConstView psf;
    double flux_scale = 1.0;
};

// What the subtraction learned about one input image.
struct ImageSummary {
    std::uint64_t digest = 0;
    double noise_weight = 0.0;  // sigma^2
    double fill_mean = 0.0;     // m
    std::size_t bad_pixels = 0;
};

// The statistics subtract() derives from one image (its psf and flux scale are not used):
// what a spatial grid passes to every cell. `role` names the image in error messages.
ImageSummary summarise(const ImageInput& image, const std::string& role);

namespace inputs {

// One input after validation, with everything derived from its own pixels only.
struct Prepared {
    // The image and its flux scale as the later stages use them: the input's own, or the input
    // times 2^exponent (scaling.hpp) in the buffers `scaled` owns; the summary is in those
    // units (own_units() gives it in the input's).
    ConstView image_view;
    double flux_scale = 1.0;
    int exponent = 0;
    std::shared_ptr<const void> scaled;  // null when not scaled
    std::vector<std::uint8_t> bad;       // non-finite or masked
    std::vector<double> psf;        // unit sum, psf_rows x psf_cols
    std::size_t psf_rows = 0, psf_cols = 0;
    kernels::Moments moments;
    ConstView variance_view;         // data == nullptr: the constant noise weight
    bool constant_variance = false;  // every good pixel's variance is the noise weight
    double variance_min = 0.0, variance_max = 0.0;  // over the good pixels' given variances
    ImageSummary summary;

    ConstView psf_view() const { return {psf.data(), psf_rows, psf_cols}; }
    // The stamp as a box for a grid, its centre (h//2, w//2) to go to [0, 0].
    fft::Plan::Box psf_box() const { return {psf_view(), psf_rows / 2, psf_cols / 2}; }
};

// The science image (0) and the reference (1), prepared.
using PreparedPair = std::array<const Prepared*, 2>;

// The summary in the input's own units (NumericalError naming `role` where that value cannot
// be represented).
ImageSummary own_units(const Prepared& p, const std::string& role);

// Checks one input and measures it. `given`: the whole exposure's statistics for a
// spatial-grid cell, so that every cell pads and weighs alike; otherwise the image's own.
Prepared prepare(const ImageInput& in, const std::string& role,
                 const std::optional<ImageSummary>& given);

// Shapes of the pair agree, neither is empty, threads >= 1.
void validate_pair(const ImageInput& science, const ImageInput& reference, int threads);

// Spectra of both PSF stamps on the grid of pn's and pr's plan, centred at [0, 0].
void psf_spectra(const Prepared& n, const Prepared& r, int threads, fft::Plane& pn, fft::Plane& pr);

// max / min of the padded variance plane of one image (its given variances and the noise
// weight that fills the padding and the bad pixels); 1 for a constant plane.
double variance_contrast(const Prepared& p);

}  // namespace inputs
}  // namespace zogy
