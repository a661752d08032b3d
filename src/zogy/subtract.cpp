#include "subtract.hpp"

#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "errors.hpp"
#include "fft.hpp"
#include "kernels.hpp"
#include "mask.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "stats.hpp"

namespace zogy {

namespace {

using fft::Complex;

// One input after validation, with everything derived from its own pixels only.
struct Prepared {
    std::string role;                 // "science" or "reference", for messages
    std::vector<std::uint8_t> bad;    // non-finite or masked
    std::vector<double> psf;          // unit sum
    kernels::Moments moments;
    std::vector<double> variance;     // used only when the caller gave none
    ConstView variance_view;
    ImageSummary summary;
};

void require(bool ok, const std::string& message) {
    if (!ok) throw InvalidArgument(message);
}

void check_psf(const ImageInput& in, const std::string& role) {
    const std::string name = role + "_psf";
    require(in.psf.rows > 0 && in.psf.cols > 0, name + ": the PSF stamp is empty");
    require(in.psf.rows <= in.image.rows && in.psf.cols <= in.image.cols,
            name + ": the PSF stamp (" + std::to_string(in.psf.rows) + "x" +
                std::to_string(in.psf.cols) + ") is larger than the image (" +
                std::to_string(in.image.rows) + "x" + std::to_string(in.image.cols) +
                "); crop it");
    double sum = 0.0;
    for (std::size_t i = 0; i < in.psf.size(); ++i) {
        if (!std::isfinite(in.psf.data[i])) {
            throw InvalidArgument(name + ": the PSF has non-finite values");
        }
        sum += in.psf.data[i];
    }
    require(std::isfinite(sum) && sum > 0.0,
            name + ": the PSF sum is " + std::to_string(sum) +
                "; it must be finite and > 0 to normalise it");
}

Prepared prepare(const ImageInput& in, const std::string& role) {
    Prepared p;
    p.role = role;
    check_psf(in, role);
    require(std::isfinite(in.flux_scale) && in.flux_scale > 0.0,
            "flux_scales: the " + role + " flux scale must be finite and > 0");

    const std::size_t n = in.image.size();
    p.bad.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool masked = in.mask != nullptr && in.mask[i] != 0;
        p.bad[i] = masked || !std::isfinite(in.image.data[i]) ? 1 : 0;
        p.summary.bad_pixels += p.bad[i];
    }
    const std::vector<double> good = stats::good_values(in.image, p.bad.data());
    require(!good.empty(), role + ": every pixel is masked or non-finite");

    double psf_sum = 0.0;
    for (std::size_t i = 0; i < in.psf.size(); ++i) psf_sum += in.psf.data[i];
    p.psf.resize(in.psf.size());
    for (std::size_t i = 0; i < in.psf.size(); ++i) p.psf[i] = in.psf.data[i] / psf_sum;
    p.moments = kernels::psf_moments(ConstView{p.psf.data(), in.psf.rows, in.psf.cols});

    const std::string image_name = role;
    if (in.variance.data != nullptr) {
        const std::string name = role + "_variance";
        for (std::size_t i = 0; i < n; ++i) {
            if (p.bad[i]) continue;
            const double v = in.variance.data[i];
            if (!(std::isfinite(v) && v > 0.0)) {  // message built only on failure: hot loop
                throw InvalidArgument(name + ": value " + std::to_string(v) +
                                      " at a good pixel; variances must be finite and > 0 " +
                                      "(mask the pixel instead)");
            }
        }
        p.variance_view = in.variance;
        p.summary.noise_weight =
            stats::clipped_mean_std(stats::good_values(in.variance, p.bad.data()), name.c_str())
                .mean;
    } else {
        const double sigma = stats::robust_sigma(good, image_name.c_str());
        p.summary.noise_weight = sigma * sigma;
        p.variance.assign(n, p.summary.noise_weight);
        p.variance_view = ConstView{p.variance.data(), in.image.rows, in.image.cols};
    }
    p.summary.fill_mean = stats::clipped_mean_std(good, image_name.c_str()).mean;
    p.summary.digest = rng::digest(in.image, in.variance);
    return p;
}

std::size_t default_border(double sigma, std::size_t stamp_n, std::size_t stamp_r) {
    return std::max<std::size_t>(static_cast<std::size_t>(std::ceil(10.0 * sigma)),
                                 std::max(stamp_n, stamp_r));
}

padding::Geometry choose_geometry(const ImageInput& n_in, const ImageInput& r_in,
                                  const Prepared& n, const Prepared& r,
                                  const SubtractOptions& o) {
    const double sigma = std::sqrt(std::max({n.moments.xx, n.moments.yy, r.moments.xx,
                                             r.moments.yy}));
    const std::size_t by = o.border_y >= 0
                               ? static_cast<std::size_t>(o.border_y)
                               : default_border(sigma, n_in.psf.rows, r_in.psf.rows);
    const std::size_t bx = o.border_x >= 0
                               ? static_cast<std::size_t>(o.border_x)
                               : default_border(sigma, n_in.psf.cols, r_in.psf.cols);
    return padding::make_geometry(n_in.image.rows, n_in.image.cols, by, bx, o.size_rule);
}

// Unit-sum stamp placed with its centre (h//2, w//2) at [0, 0] of the padded grid.
void place_psf(const std::vector<double>& psf, std::size_t h, std::size_t w,
               const padding::Geometry& g, double* out) {
    std::fill(out, out + g.rows * g.cols, 0.0);
    for (std::size_t a = 0; a < h; ++a) {
        const std::size_t y = (a + g.rows - h / 2) % g.rows;
        for (std::size_t b = 0; b < w; ++b) {
            const std::size_t x = (b + g.cols - w / 2) % g.cols;
            out[y * g.cols + x] = psf[a * w + b];
        }
    }
}

// Inverse of place_psf for P_D, renormalised to unit sum.
void crop_psf(const double* padded, const padding::Geometry& g, MutView out) {
    double sum = 0.0;
    for (std::size_t a = 0; a < out.rows; ++a) {
        const std::size_t y = (a + g.rows - out.rows / 2) % g.rows;
        for (std::size_t b = 0; b < out.cols; ++b) {
            const std::size_t x = (b + g.cols - out.cols / 2) % g.cols;
            out(a, b) = padded[y * g.cols + x];
            sum += out(a, b);
        }
    }
    if (std::isfinite(sum) && sum != 0.0) {
        for (std::size_t i = 0; i < out.size(); ++i) out.data[i] /= sum;
    }
}

// Peak working set of subtract() in padded real planes (8 bytes per pixel): 6 padded inputs,
// 7 real-space outputs, 2 variance planes and up to 4 squared kernels, plus about 27 half
// spectra (inputs, kernels, products and per-task scratch), each the size of a real plane.
constexpr std::size_t kPeakPlanes = 46;

void check_memory(const padding::Geometry& g) {
    const double bytes = static_cast<double>(g.rows) * static_cast<double>(g.cols) * 8.0 *
                         static_cast<double>(kPeakPlanes);
    const double available = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                             static_cast<double>(sysconf(_SC_PAGE_SIZE));
    if (available > 0 && bytes > available) {
        const double gib = 1024.0 * 1024.0 * 1024.0;
        throw InvalidArgument(
            "science: a padded grid of " + std::to_string(g.rows) + "x" + std::to_string(g.cols) +
            " needs about " + std::to_string(static_cast<long long>(bytes / gib)) +
            " GiB but the machine has " + std::to_string(static_cast<long long>(available / gib)) +
            " GiB; subtract smaller cutouts or use a smaller border");
    }
}

void validate_pair(const ImageInput& n, const ImageInput& r, const SubtractOptions& o) {
    require(n.image.rows > 0 && n.image.cols > 0, "science: the image is empty");
    require(r.image.rows > 0 && r.image.cols > 0, "reference: the image is empty");
    require(n.image.rows == r.image.rows && n.image.cols == r.image.cols,
            "reference: shape " + std::to_string(r.image.rows) + "x" +
                std::to_string(r.image.cols) + " differs from the science image's " +
                std::to_string(n.image.rows) + "x" + std::to_string(n.image.cols) +
                "; resample both onto one pixel grid first");
    require(o.threads >= 1, "threads: must be >= 1");
}

}  // namespace

void subtract(const ImageInput& science, const ImageInput& reference,
              const SubtractOptions& options, SubtractOutputs& out) {
    validate_pair(science, reference, options);
    const Prepared n = prepare(science, "science");
    const Prepared r = prepare(reference, "reference");
    require(n.summary.noise_weight + r.summary.noise_weight > 0.0,
            "science_variance, reference_variance: both noise weights are 0; ZOGY needs noise");

    const padding::Geometry g = choose_geometry(science, reference, n, r, options);
    check_memory(g);
    const fft::Plan plan(g.rows, g.cols);
    const std::size_t real_n = plan.real_size();
    const std::size_t spec_n = plan.spectrum_size();
    const int threads = options.threads;
    auto real_planes = [&](std::size_t count) {
        std::vector<AlignedBuffer<double>> planes;
        for (std::size_t i = 0; i < count; ++i) planes.emplace_back(real_n);
        return planes;
    };
    auto spectra = [&](std::size_t count) {
        std::vector<AlignedBuffer<Complex>> planes;
        for (std::size_t i = 0; i < count; ++i) planes.emplace_back(spec_n);
        return planes;
    };

    // 1. Padded inputs: images, variance planes and PSFs, each from its own data only.
    enum { kN, kR, kVN, kVR, kPN, kPR, kInputs };
    auto inputs = real_planes(kInputs);
    const std::uint64_t seed = options.seed;
    const std::array<const Prepared*, 2> prepared = {&n, &r};
    const std::array<const ImageInput*, 2> raw = {&science, &reference};
    parallel_for(kInputs, threads, [&](std::size_t task) {
        const std::size_t who = task % 2;  // even tasks science, odd reference
        const Prepared& p = *prepared[who];
        const ImageInput& in = *raw[who];
        if (task < 2) {
            const padding::Fill fill{options.fill, p.summary.fill_mean, p.summary.noise_weight,
                                     rng::Key{seed, p.summary.digest}};
            padding::pad_image(in.image, p.bad.data(), g, fill, inputs[task].data());
        } else if (task < 4) {
            padding::pad_variance(p.variance_view, p.bad.data(), g, p.summary.noise_weight,
                                  inputs[task].data());
        } else {
            place_psf(p.psf, in.psf.rows, in.psf.cols, g, inputs[task].data());
        }
    });

    // 2. Forward transforms.
    auto hats = spectra(kInputs);
    parallel_for(kInputs, threads,
                 [&](std::size_t i) { plan.forward(inputs[i].data(), hats[i].data()); });

    // 3. Kernels and the Fourier-space D and S.
    kernels::Weights weights{n.summary.noise_weight, r.summary.noise_weight,
                             science.flux_scale, reference.flux_scale};
    const kernels::Spectra k = kernels::make_spectra(hats[kPN].data(), hats[kPR].data(), g.rows,
                                                     g.cols, weights, n.moments, r.moments,
                                                     options.kernel_guard);
    AlignedBuffer<Complex> d_hat(spec_n), s_hat(spec_n);
    kernels::combine(k.k_n.data(), hats[kN].data(), k.k_r.data(), hats[kR].data(), spec_n,
                     d_hat.data());
    kernels::combine(k.kappa_n.data(), hats[kN].data(), k.kappa_r.data(), hats[kR].data(),
                     spec_n, s_hat.data());

    // 4. Back to real space: D, S, P_D and the four real-space kernels.
    enum { kD, kS, kPD, kKN, kKR, kKappaN, kKappaR, kOutputs };
    const std::array<const Complex*, kOutputs> to_invert = {
        d_hat.data(), s_hat.data(), k.psf_d.data(), k.k_n.data(),
        k.k_r.data(), k.kappa_n.data(), k.kappa_r.data()};
    auto planes = real_planes(kOutputs);
    // Each inverse gets its own scratch spectrum (c2r destroys its input), so tasks can run
    // on any thread in any order.
    auto invert_all = [&](std::size_t count, auto&& source, auto&& target) {
        auto scratch = spectra(count);
        parallel_for(count, threads, [&](std::size_t i) {
            plan.inverse(source(i), target(i), scratch[i].data());
        });
    };
    invert_all(
        kOutputs, [&](std::size_t i) { return to_invert[i]; },
        [&](std::size_t i) { return planes[i].data(); });

    // 5. Variance planes: squared kernels convolved with the padded variances.
    enum { kKN2, kKR2, kKappaN2, kKappaR2, kSquares };
    auto squares_hat = spectra(kSquares);
    parallel_for(kSquares, threads, [&](std::size_t i) {
        AlignedBuffer<double> squared(real_n);
        const double* kernel = planes[kKN + i].data();
        for (std::size_t j = 0; j < real_n; ++j) squared[j] = kernel[j] * kernel[j];
        plan.forward(squared.data(), squares_hat[i].data());
    });
    AlignedBuffer<Complex> vd_hat(spec_n), vs_hat(spec_n);
    kernels::sum_products(squares_hat[kKN2].data(), hats[kVN].data(), squares_hat[kKR2].data(),
                          hats[kVR].data(), spec_n, vd_hat.data());
    kernels::sum_products(squares_hat[kKappaN2].data(), hats[kVN].data(),
                          squares_hat[kKappaR2].data(), hats[kVR].data(), spec_n, vs_hat.data());
    auto variances = real_planes(2);
    const std::array<const Complex*, 2> variance_hats = {vd_hat.data(), vs_hat.data()};
    invert_all(
        2, [&](std::size_t i) { return variance_hats[i]; },
        [&](std::size_t i) { return variances[i].data(); });

    // 6. Output mask: bad pixels, then everything a bad pixel's fill reaches through the D and
    //    S kernels of its image.
    const std::size_t inner_n = g.inner_rows * g.inner_cols;
    for (std::size_t o = 0; o < inner_n; ++o) {
        out.mask[o] = static_cast<std::uint8_t>((n.bad[o] ? kScienceBad : 0) |
                                                (r.bad[o] ? kReferenceBad : 0));
    }
    const std::array<const Prepared*, 2> sides = {&n, &r};
    const std::array<std::size_t, 2> d_kernel = {kKN, kKR}, s_kernel = {kKappaN, kKappaR};
    for (std::size_t side = 0; side < 2; ++side) {
        if (sides[side]->summary.bad_pixels == 0) continue;
        out.grow_radius[side] = std::max(
            mask::footprint_radius(planes[d_kernel[side]].data(), g.rows, g.cols, kFootprintTail),
            mask::footprint_radius(planes[s_kernel[side]].data(), g.rows, g.cols, kFootprintTail));
        mask::grow(sides[side]->bad.data(), g.inner_rows, g.inner_cols, out.grow_radius[side],
                   kNearBad, out.mask);
    }

    // 7. Crop the inner box into the caller's buffers.
    const std::uint8_t blank_bits = static_cast<std::uint8_t>(
        kScienceBad | kReferenceBad | (options.blank_grown ? kNearBad : 0));
    const double fd = k.flux_zero_point;
    const double fs = k.score_normalisation;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t y = 0; y < g.inner_rows; ++y) {
        for (std::size_t x = 0; x < g.inner_cols; ++x) {
            const std::size_t o = y * g.inner_cols + x;
            const std::size_t p = (y + g.border_y) * g.cols + (x + g.border_x);
            if ((out.mask[o] & blank_bits) != 0) {
                out.difference.data[o] = out.difference_variance.data[o] = nan;
                out.score.data[o] = out.score_variance.data[o] = nan;
                out.flux.data[o] = out.flux_err.data[o] = nan;
                out.scorr.data[o] = 0.0;
                continue;
            }
            const double s = planes[kS][p];
            const double vs = variances[1][p];
            out.difference.data[o] = planes[kD][p] / fd;
            out.difference_variance.data[o] = variances[0][p] / (fd * fd);
            out.score.data[o] = s;
            out.score_variance.data[o] = vs;
            out.scorr.data[o] = vs > 0.0 ? s / std::sqrt(vs) : 0.0;
            out.flux.data[o] = s / fs;
            out.flux_err.data[o] = vs > 0.0 ? std::sqrt(vs) / fs : nan;
        }
    }
    crop_psf(planes[kPD].data(), g, out.psf);

    out.flux_zero_point = fd;
    out.score_normalisation = fs;
    out.guarded_frequencies = k.guarded_frequencies;
    out.geometry = g;
    out.images = {n.summary, r.summary};
}

}  // namespace zogy
