// Input scan and statistics: bad pixels, variance checks, noise weight, fill mean, digest.
#include "inputs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "errors.hpp"
#include "fp_env.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "scaling.hpp"
#include "stats.hpp"

namespace zogy {
namespace inputs {

namespace {

void check_psf(const ImageInput& in, const std::string& role) {
    const std::string name = role + "_psf";
    require(in.psf.rows > 0 && in.psf.cols > 0, name + ": the PSF stamp is empty");
    require(in.psf.rows <= in.image.rows && in.psf.cols <= in.image.cols,
            name + ": the PSF stamp (" + std::to_string(in.psf.rows) + "x" +
                std::to_string(in.psf.cols) + ") is larger than the image (" +
                std::to_string(in.image.rows) + "x" + std::to_string(in.image.cols) + "); crop it");
    double sum = 0.0;
    for (std::size_t i = 0; i < in.psf.size(); ++i) {
        if (!std::isfinite(in.psf.data[i])) {
            throw InvalidArgument(name + ": the PSF has non-finite values");
        }
        sum += in.psf.data[i];
    }
    require(std::isfinite(sum) && sum > 0.0, name + ": the PSF sum is " + std::to_string(sum) +
                                                 "; it must be finite and > 0 to normalise it");
}

// What one pass over an input's pixels and one over its variance plane give besides the bad
// pixels and the variance checks, when the image's own statistics are wanted: the first
// moments of both clipped statistics (about the first good value, as the clipping's first
// iteration takes them) and the digest. Passes of their own over the same data were a quarter
// of the statistics' time at 2048^2; the values are the same bits.
struct ScanSums {
    std::optional<stats::MomentSums> image, variance;
    bool variance_constant = false;  // every good pixel's variance equals the first one's
    double variance_first = 0.0;
    std::uint64_t digest = 0;
};

// Index of the first pixel neither masked nor non-finite, n if there is none.
std::size_t first_good_pixel(const ImageInput& in) {
    const std::size_t n = in.image.size();
    std::size_t i = 0;
    while (i < n && ((in.mask != nullptr && in.mask[i] != 0) || !std::isfinite(in.image.data[i]))) {
        ++i;
    }
    return i;
}

// Calls visit(i) for i = 0 .. n - 1 in order, and block(i) after each aligned run of four
// (i = 0, 4, 8, ...; the lanes of a digest) or tail(i) for each of the last n % 4.
template <typename Visit, typename Block, typename Tail>
void in_fours(std::size_t n, Visit&& visit, Block&& block, Tail&& tail) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (std::size_t j = 0; j < 4; ++j) visit(i + j);
        block(i);
    }
    for (; i < n; ++i) {
        visit(i);
        tail(i);
    }
}

// Bad pixels (masked or non-finite), the checks on the variance at the good ones and, with
// kMeasure, the ScanSums.
template <bool kMeasure>
void scan(const ImageInput& in, const std::string& role, Prepared& p, ScanSums& sums) {
    const std::size_t n = in.image.size();
    const std::size_t first = first_good_pixel(in);
    require(first < n, role + ": every pixel is masked or non-finite");
    p.bad.resize(n);
    // Local pointers and count: stores through a byte pointer may alias anything, so a count
    // kept in `p` would be reloaded and stored for every pixel.
    std::uint8_t* bad = p.bad.data();
    const double* image = in.image.data;
    const std::uint8_t* mask = in.mask;
    std::size_t count = 0;
    stats::MomentSums image_sums(image[first]);
    rng::Digest digest(in.image.rows, in.image.cols);
    digest.start_plane();
    in_fours(
        n,
        [&](std::size_t i) {
            const double v = image[i];
            const bool b = (mask != nullptr && mask[i] != 0) || !std::isfinite(v);
            bad[i] = b ? 1 : 0;
            count += b;
            if constexpr (kMeasure) image_sums.add(!b, v);
        },
        [&](std::size_t i) {
            if constexpr (kMeasure) digest.add4(image + i);
        },
        [&](std::size_t i) {
            if constexpr (kMeasure) digest.add(i, image[i]);
        });
    digest.end_plane();
    p.summary.bad_pixels = count;
    digest.variance(in.variance.data != nullptr);
    if (in.variance.data != nullptr) {
        const double* variance = in.variance.data;
        const double v0 = variance[first];
        stats::MomentSums variance_sums(v0);
        bool valid = true, constant = true;
        double low = std::numeric_limits<double>::infinity(), high = 0.0;
        digest.start_plane();
        in_fours(
            n,
            [&](std::size_t i) {
                const double v = variance[i];
                const bool good = bad[i] == 0;
                valid &= !good || (std::isfinite(v) && v > 0.0);
                low = good ? std::min(low, v) : low;
                high = good ? std::max(high, v) : high;
                if constexpr (kMeasure) {
                    constant &= !good || v == v0;
                    variance_sums.add(good, v);
                }
            },
            [&](std::size_t i) {
                if constexpr (kMeasure) digest.add4(variance + i);
            },
            [&](std::size_t i) {
                if constexpr (kMeasure) digest.add(i, variance[i]);
            });
        digest.end_plane();
        if (!valid) {  // the first offending value, for the message: on failure only
            std::size_t i = 0;
            while (bad[i] || (std::isfinite(variance[i]) && variance[i] > 0.0)) ++i;
            throw InvalidArgument(role + "_variance: value " + std::to_string(variance[i]) +
                                  " at a good pixel; variances must be finite and > 0 " +
                                  "(mask the pixel instead)");
        }
        p.variance_min = low;
        p.variance_max = high;
        sums.variance.emplace(variance_sums);
        sums.variance_constant = constant;
        sums.variance_first = v0;
    }
    sums.image.emplace(image_sums);
    sums.digest = digest.value();
}

// Noise weight, fill mean and digest of an image from its own pixels (DESIGN section 2).
void measure(const ImageInput& in, const std::string& role, const ScanSums& sums, Prepared& p) {
    const std::size_t n = in.image.size();
    const std::uint8_t* bad = p.bad.data();
    if (in.variance.data != nullptr) {
        const std::string name = role + "_variance";
        const stats::Range range{p.variance_min, p.variance_max};
        // A constant plane's weight is its value exactly (a mean could round it), which lets
        // the variance outputs skip their convolutions.
        p.summary.noise_weight =
            sums.variance_constant ? sums.variance_first
                                   : stats::clipped_mean_std(in.variance.data, bad, n, name.c_str(),
                                                             &*sums.variance, &range)
                                         .mean;
    } else {
        const double sigma = stats::robust_sigma(in.image.data, bad, n, role.c_str());
        p.summary.noise_weight = sigma * sigma;
    }
    p.summary.fill_mean =
        stats::clipped_mean_std(in.image.data, bad, n, role.c_str(), &*sums.image).mean;
    p.summary.digest = sums.digest;
}

// True when the padded variance plane is the noise weight everywhere.
bool variance_is_constant(const ImageInput& in, const Prepared& p) {
    if (in.variance.data == nullptr) return true;
    for (std::size_t i = 0; i < in.image.size(); ++i) {
        if (!p.bad[i] && in.variance.data[i] != p.summary.noise_weight) return false;
    }
    return true;
}

// prepare() on an input as the later stages will use it (scaled or not).
Prepared prepare_as_is(const ImageInput& in, const std::string& role,
                       const std::optional<ImageSummary>& given) {
    Prepared p;
    p.image_view = in.image;
    p.flux_scale = in.flux_scale;
    check_psf(in, role);
    require(std::isfinite(in.flux_scale) && in.flux_scale > 0.0,
            "flux_scales: the " + role + " flux scale must be finite and > 0");
    ScanSums sums;
    if (given) {
        scan<false>(in, role, p, sums);
    } else {
        scan<true>(in, role, p, sums);
    }

    double psf_sum = 0.0;
    for (std::size_t i = 0; i < in.psf.size(); ++i) psf_sum += in.psf.data[i];
    p.psf.resize(in.psf.size());
    p.psf_rows = in.psf.rows;
    p.psf_cols = in.psf.cols;
    for (std::size_t i = 0; i < in.psf.size(); ++i) p.psf[i] = in.psf.data[i] / psf_sum;
    p.moments = kernels::psf_moments(p.psf_view());
    // A sum that nearly cancels normalises to huge values (and then to huge moments and a
    // border error): say so here. A unit-sum PSF with sum |P| > 1e6 is cancellation, not data.
    double abs_sum = 0.0;
    for (double v : p.psf) abs_sum += std::fabs(v);
    const double widest = std::sqrt(std::max(p.moments.xx, p.moments.yy));
    require(abs_sum <= 1e6 && widest <= static_cast<double>(in.psf.rows + in.psf.cols),
            role + "_psf: its positive and negative values nearly cancel (sum " +
                std::to_string(psf_sum) + ", sum of |values| " + std::to_string(abs_sum * psf_sum) +
                "); pass a PSF with a clearly positive sum");

    if (given) {
        const std::size_t bad_pixels = p.summary.bad_pixels;
        p.summary = *given;
        p.summary.bad_pixels = bad_pixels;
        require(std::isfinite(given->noise_weight) && given->noise_weight > 0.0,
                role + ": the given noise weight must be finite and > 0");
    } else {
        measure(in, role, sums, p);
    }
    // Values near the double range overflow the statistics; say so instead of returning NaNs.
    if (!std::isfinite(p.summary.noise_weight) || !std::isfinite(p.summary.fill_mean)) {
        throw NumericalError(role +
                             ": pixel or variance values overflow double precision statistics "
                             "even with the noise scaled to ~1 (values beyond ~1e150 times the "
                             "noise); clip or rescale them");
    }
    p.variance_view = in.variance;
    // A measured constant plane's weight is its value (measure()).
    p.constant_variance =
        given ? variance_is_constant(in, p) : in.variance.data == nullptr || sums.variance_constant;
    return p;
}

ImageSummary in_units_of(ImageSummary s, int k) {
    s.noise_weight = std::ldexp(s.noise_weight, 2 * k);
    s.fill_mean = std::ldexp(s.fill_mean, k);
    return s;
}

}  // namespace

Prepared prepare(const ImageInput& in, const std::string& role,
                 const std::optional<ImageSummary>& given) {
    const int k =
        given ? scaling::exponent_for_variance(given->noise_weight) : scaling::exponent(in);
    if (k == 0) return prepare_as_is(in, role, given);
    auto scaled = std::make_shared<scaling::Scaled>(scaling::scaled(in, k, role));
    Prepared p =
        prepare_as_is(scaled->input, role,
                      given ? std::optional<ImageSummary>(in_units_of(*given, k)) : std::nullopt);
    // The padding noise is keyed by the input's own bits, as without scaling.
    if (!given) p.summary.digest = rng::digest(in.image, in.variance);
    p.exponent = k;
    p.scaled = std::move(scaled);
    own_units(p, role);  // before any of the work: a result must be able to report it
    return p;
}

ImageSummary own_units(const Prepared& p, const std::string& role) {
    return scaling::unscaled(p.summary, p.exponent, role);
}

double variance_contrast(const Prepared& p) {
    if (p.variance_max <= 0.0) return 1.0;  // no plane given
    const double w = p.summary.noise_weight;
    return std::max(p.variance_max, w) / std::min(p.variance_min, w);
}

void validate_pair(const ImageInput& science, const ImageInput& reference, int threads) {
    require(science.image.rows > 0 && science.image.cols > 0, "science: the image is empty");
    require(reference.image.rows > 0 && reference.image.cols > 0, "reference: the image is empty");
    require(
        science.image.rows == reference.image.rows && science.image.cols == reference.image.cols,
        "reference: shape " + std::to_string(reference.image.rows) + "x" +
            std::to_string(reference.image.cols) + " differs from the science image's " +
            std::to_string(science.image.rows) + "x" + std::to_string(science.image.cols) +
            "; resample both onto one pixel grid first");
    require(threads >= 1, "threads: must be >= 1");
}

void psf_spectra(const Prepared& n, const Prepared& r, int threads, fft::Plane& pn,
                 fft::Plane& pr) {
    parallel_for(2, threads, [&](std::size_t i) {
        const fft::Plan::Box box = (i == 0 ? n : r).psf_box();
        (i == 0 ? pn : pr).forward_box(box.box, box.cy, box.cx);
    });
}

}  // namespace inputs

ImageSummary summarise(const ImageInput& image, const std::string& role) {
    const IeeeDefaultEnvironment environment;
    require(image.image.rows > 0 && image.image.cols > 0, role + ": the image is empty");
    const int k = scaling::exponent(image);
    std::optional<scaling::Scaled> scaled;
    if (k != 0) scaled = scaling::scaled(image, k, role);
    const ImageInput& in = scaled ? scaled->input : image;
    inputs::Prepared p;
    inputs::ScanSums sums;
    inputs::scan<true>(in, role, p, sums);
    inputs::measure(in, role, sums, p);
    if (k != 0) p.summary.digest = rng::digest(image.image, image.variance);
    return scaling::unscaled(p.summary, k, role);
}

}  // namespace zogy
