#include "subtract.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "errors.hpp"
#include "fft.hpp"
#include "kernels.hpp"
#include "mask.hpp"
#include "overlap.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "stats.hpp"

namespace zogy {

namespace {

using fft::Complex;

// One input after validation, with everything derived from its own pixels only.
struct Prepared {
    std::vector<std::uint8_t> bad;    // non-finite or masked
    std::vector<double> psf;          // unit sum
    kernels::Moments moments;
    ConstView variance_view;          // data == nullptr: the constant noise weight
    bool constant_variance = false;   // every good pixel's variance is the noise weight
    double variance_min = 0.0, variance_max = 0.0;  // over the good pixels' given variances
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

// max / min of the padded variance plane of one image (its given variances and the noise
// weight that fills the padding and the bad pixels); 1 for a constant plane.
double variance_contrast(const Prepared& p) {
    if (p.variance_max <= 0.0) return 1.0;  // no plane given
    const double w = p.summary.noise_weight;
    return std::max(p.variance_max, w) / std::min(p.variance_min, w);
}

// Noise weight, fill mean and digest of an image from its own pixels (DESIGN section 2).
void measure(const ImageInput& in, const std::string& role, const ScanSums& sums,
             Prepared& p) {
    const std::size_t n = in.image.size();
    const std::uint8_t* bad = p.bad.data();
    if (in.variance.data != nullptr) {
        const std::string name = role + "_variance";
        const stats::Range range{p.variance_min, p.variance_max};
        // A constant plane's weight is its value exactly (a mean could round it), which lets
        // the variance outputs skip their convolutions.
        p.summary.noise_weight =
            sums.variance_constant
                ? sums.variance_first
                : stats::clipped_mean_std(in.variance.data, bad, n, name.c_str(),
                                          &*sums.variance, &range)
                      .mean;
    } else {
        const double sigma =
            stats::robust_sigma(in.image.data, bad, n, role.c_str());
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

// `given`: the whole exposure's statistics for a spatial-grid cell, so that every cell pads
// and weighs alike; otherwise the image's own.
Prepared prepare(const ImageInput& in, const std::string& role,
                 const std::optional<ImageSummary>& given) {
    Prepared p;
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
    for (std::size_t i = 0; i < in.psf.size(); ++i) p.psf[i] = in.psf.data[i] / psf_sum;
    p.moments = kernels::psf_moments(ConstView{p.psf.data(), in.psf.rows, in.psf.cols});
    // A sum that nearly cancels normalises to huge values (and then to huge moments and a
    // border error): say so here. A unit-sum PSF with sum |P| > 1e6 is cancellation, not data.
    double abs_sum = 0.0;
    for (double v : p.psf) abs_sum += std::fabs(v);
    const double widest = std::sqrt(std::max(p.moments.xx, p.moments.yy));
    require(abs_sum <= 1e6 && widest <= static_cast<double>(in.psf.rows + in.psf.cols),
            role + "_psf: its positive and negative values nearly cancel (sum " +
                std::to_string(psf_sum) + ", sum of |values| " +
                std::to_string(abs_sum * psf_sum) + "); pass a PSF with a clearly positive sum");

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
    require(std::isfinite(p.summary.noise_weight) && std::isfinite(p.summary.fill_mean),
            role + ": pixel or variance values overflow double precision statistics (|x| up "
                   "to ~1e150 is safe); rescale the image and its variance");
    p.variance_view = in.variance;
    // A measured constant plane's weight is its value (measure()).
    p.constant_variance = given ? variance_is_constant(in, p)
                                : in.variance.data == nullptr || sums.variance_constant;
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

// A unit-sum stamp as a box for the grid, its centre (h//2, w//2) to go to [0, 0].
fft::Plan::Box psf_box(const Prepared& p, const ImageInput& in) {
    return {ConstView{p.psf.data(), in.psf.rows, in.psf.cols}, in.psf.rows / 2, in.psf.cols / 2};
}

// Inverse of place_psf for P_D, renormalised to unit sum.
void crop_psf(const fft::Plane& padded, const fft::Plan& plan, MutView out) {
    double sum = 0.0;
    for (std::size_t a = 0; a < out.rows; ++a) {
        const std::size_t y = (a + plan.rows() - out.rows / 2) % plan.rows();
        for (std::size_t b = 0; b < out.cols; ++b) {
            const std::size_t x = (b + plan.cols() - out.cols / 2) % plan.cols();
            out(a, b) = padded.at(y, x);
            sum += out(a, b);
        }
    }
    if (std::isfinite(sum) && sum != 0.0) {
        for (std::size_t i = 0; i < out.size(); ++i) out.data[i] /= sum;
    }
}

// Peak memory of subtract(), its outputs included, in padded real planes (8 bytes per pixel),
// rounded up: D and S (outputs in their own planes) and at most 6 working planes in FFTW's
// in-place layout (slightly wider than the grid) are alive at once (exact mode's variance
// stage: four full-grid kernels and two variance spectra; none by default, whose variance
// tiles are small); the other five outputs reuse working planes or take fresh ones; the
// bad-pixel masks, statistics and small kernel grids add about half a plane.
constexpr std::size_t kPeakPlanes = 9;

void check_memory(const padding::Geometry& g) {
    const double bytes = static_cast<double>(g.rows) * static_cast<double>(g.cols + 2) * 8.0 *
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

// Rows are processed in fixed blocks, whatever the thread count. The work per row is its own
// (sums over rows are kept per row and added in row order afterwards), so no result depends
// on the number of threads.
constexpr std::size_t kRowsPerBlock = 32;

template <typename RowFn>
void for_row_blocks(std::size_t rows, int threads, RowFn&& row_fn) {
    const std::size_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    parallel_for(blocks, threads, [&](std::size_t b) {
        const std::size_t end = std::min(rows, (b + 1) * kRowsPerBlock);
        for (std::size_t ky = b * kRowsPerBlock; ky < end; ++ky) row_fn(b, ky);
    });
}

// Planes released by one stage and taken by a later one of the same subtraction: a fresh plane
// costs page faults on first touch (about a fifth of the run at 2048^2), a reused one does not.
// Local to one call: no state outlives it.
class PlanePool {
  public:
    explicit PlanePool(const fft::Plan& plan) : plan_(plan) {}
    fft::Plane take() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (free_.empty()) return fft::Plane(plan_);
        fft::Plane plane = std::move(free_.back());
        free_.pop_back();
        return plane;
    }
    void give(fft::Plane&& plane) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(std::move(plane));
    }
    // Frees the spare planes once no later stage takes any: the outputs are written last, and
    // spare planes held then would add to the peak memory.
    void trim() {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.clear();
    }

  private:
    const fft::Plan& plan_;
    std::mutex mutex_;
    std::vector<fft::Plane> free_;
};

// The real-space kernels k_N, k_R, kappa_N, kappa_R on a grid small enough to be cheap and
// large enough to hold them: they are compact (with the kernel guard), so sampling their
// spectra on a coarser frequency grid only aliases weak tails. Used for the variance planes
// (V = k^2 * V_N + ...) and the mask growth; D and S themselves always use the full grid.
struct SmallKernels {
    std::shared_ptr<const fft::Plan> plan;  // null when the kernels live on the full grid
    std::vector<fft::Plane> kernels;       // k_n, k_r, kappa_n, kappa_r (real space)
    const fft::Plan& grid(const fft::Plan& full) const { return plan ? *plan : full; }
};

// Relative error of V_D and V_S that small-grid kernels may cause: round-off in exact mode,
// 1e-6 by default (exact_variance = false: the accuracy issue 5 allows for this shortcut).
constexpr double kVarianceToleranceExact = 1e-14;
constexpr double kVarianceToleranceFast = 1e-6;

// Energy fraction of a kernel (centred at [0, 0]) outside the central half of its grid.
double tail_fraction(const fft::Plane& k, const fft::Plan& plan) {
    double total = 0.0, tail = 0.0;
    for (std::size_t y = 0; y < plan.rows(); ++y) {
        const std::size_t dy = std::min(y, plan.rows() - y);
        for (std::size_t x = 0; x < plan.cols(); ++x) {
            const std::size_t dx = std::min(x, plan.cols() - x);
            const double e = k.at(y, x) * k.at(y, x);
            total += e;
            if (4 * dy > plan.rows() || 4 * dx > plan.cols()) tail += e;
        }
    }
    return total > 0.0 ? tail / total : 0.0;
}

// The four kernels k_N, k_R, kappa_N, kappa_R in real space from the PSF spectra P_N, P_R in
// planes[0] and planes[1]; the kernels replace the spectra frequency by frequency, so four
// planes hold everything (the full grid's budget of live planes depends on it).
void kernels_from_spectra(std::vector<fft::Plane>& planes, const kernels::Model& model,
                          const fft::Plan& plan, int threads) {
    const std::size_t half = plan.spectrum_cols();
    fft::Complex* pn = planes[0].spectrum();
    fft::Complex* pr = planes[1].spectrum();
    fft::Complex* kappa_n = planes[2].spectrum();
    fft::Complex* kappa_r = planes[3].spectrum();
    for_row_blocks(plan.rows(), threads, [&](std::size_t, std::size_t ky) {
        const double fy = kernels::frequency(ky, plan.rows());
        for (std::size_t kx = 0; kx < half; ++kx) {
            const std::size_t i = ky * half + kx;
            const auto k = model.at(pn[i], pr[i],
                                    static_cast<double>(kx) / static_cast<double>(plan.cols()),
                                    fy);
            pn[i] = k.k_n;
            pr[i] = k.k_r;
            kappa_n[i] = k.kappa_n;
            kappa_r[i] = k.kappa_r;
        }
    });
    parallel_for(4, threads, [&](std::size_t i) { planes[i].inverse(); });
}

// PSF spectra of both stamps on the grid of `plan`, centred at [0, 0].
void psf_spectra(const ImageInput& n_in, const ImageInput& r_in, const Prepared& n,
                 const Prepared& r, int threads, fft::Plane& pn, fft::Plane& pr) {
    parallel_for(2, threads, [&](std::size_t i) {
        const fft::Plan::Box box = i == 0 ? psf_box(n, n_in) : psf_box(r, r_in);
        (i == 0 ? pn : pr).forward_box(box.box, box.cy, box.cx);
    });
}

// Side of the smallest kernel grid: `stamps` stamps wide (at least 16 per stamp), at most the
// full grid.
std::size_t small_grid_side(std::size_t stamp_n, std::size_t stamp_r, std::size_t full_side,
                            std::size_t stamps) {
    const std::size_t stamp = std::max<std::size_t>(16, std::max(stamp_n, stamp_r));
    return std::min(full_side, padding::smooth_size(stamps * stamp));
}

// P_D_hat of every frequency of `plan` into `out` (which may be `pn`).
void psf_d_spectrum(const fft::Plane& pn, const fft::Plane& pr, const kernels::Model& model,
                    const fft::Plan& plan, fft::Plane& out) {
    const std::size_t half = plan.spectrum_cols();
    for (std::size_t ky = 0; ky < plan.rows(); ++ky) {
        const double fy = kernels::frequency(ky, plan.rows());
        for (std::size_t kx = 0; kx < half; ++kx) {
            const std::size_t i = ky * half + kx;
            const double fx = static_cast<double>(kx) / static_cast<double>(plan.cols());
            out.spectrum()[i] = model.at(pn.spectrum()[i], pr.spectrum()[i], fx, fy).psf_d;
        }
    }
}

// P_D's energy outside the central half of a small grid below which its stamp is exact to
// ~1e-11 of its peak (the oracle's full-grid P_D agrees to 1e-10).
constexpr double kPsfDTail = 1e-24;

// P_D (eq. 14) as a stamp of the science PSF's shape. P_D_hat is a product over a root of a
// sum of |P|^2, never a ratio of round-off, so P_D is as compact as the PSFs: a grid four
// stamps wide usually holds it and a full-grid inverse transform is not needed. Stamps that
// cut their PSF off ring in Fourier space and give P_D a tail: the grid doubles until the tail
// is negligible, up to the full grid.
void psf_d_stamp(const ImageInput& n_in, const ImageInput& r_in, const Prepared& n,
                 const Prepared& r, const kernels::Model& model, const fft::Plan& full,
                 PlanePool& pool, MutView out) {
    std::size_t rows = small_grid_side(n_in.psf.rows, r_in.psf.rows, full.rows(), 4);
    std::size_t cols = small_grid_side(n_in.psf.cols, r_in.psf.cols, full.cols(), 4);
    while (2 * rows <= full.rows() && 2 * cols <= full.cols()) {
        const auto plan = fft::cached_plan(rows, cols);
        fft::Plane pn(*plan), pr(*plan);
        psf_spectra(n_in, r_in, n, r, 1, pn, pr);
        psf_d_spectrum(pn, pr, model, *plan, pn);
        pn.inverse();
        if (tail_fraction(pn, *plan) < kPsfDTail) {
            crop_psf(pn, *plan, out);
            return;
        }
        rows = padding::smooth_size(2 * rows);
        cols = padding::smooth_size(2 * cols);
    }
    fft::Plane pn = pool.take(), pr = pool.take();
    psf_spectra(n_in, r_in, n, r, 1, pn, pr);
    psf_d_spectrum(pn, pr, model, full, pn);
    pn.inverse();
    crop_psf(pn, full, out);
    pool.give(std::move(pn));
    pool.give(std::move(pr));
}

// The four kernels on the grid of `plan`.
std::vector<fft::Plane> kernels_on_grid(const ImageInput& n_in, const ImageInput& r_in,
                                        const Prepared& n, const Prepared& r,
                                        const kernels::Model& model, const fft::Plan& plan,
                                        int threads) {
    std::vector<fft::Plane> k;
    for (int i = 0; i < 4; ++i) k.emplace_back(plan);
    psf_spectra(n_in, r_in, n, r, threads, k[0], k[1]);
    kernels_from_spectra(k, model, plan, threads);
    return k;
}

// How the squared kernel changes when its grid grows from `a` to `b`, comparing equal signed
// offsets (k_a is 0 outside its grid), relative to sum k_b^2: `net` = |sum (k_b^2 - k_a^2)|,
// `spread` = sum |k_b^2 - k_a^2|.
struct KernelChange {
    double net = 0.0, spread = 0.0;
};

KernelChange squared_kernel_change(const fft::Plane& ka, const fft::Plan& a, const fft::Plane& kb,
                                   const fft::Plan& b) {
    auto index_in = [](long long off, std::size_t n) -> long long {  // -1: outside the grid
        const long long lo = -static_cast<long long>(n - 1 - n / 2);
        const long long hi = static_cast<long long>(n / 2);
        if (off < lo || off > hi) return -1;
        return off >= 0 ? off : off + static_cast<long long>(n);
    };
    double net = 0.0, spread = 0.0, total = 0.0;
    for (std::size_t y = 0; y < b.rows(); ++y) {
        const long long ya = index_in(kernels::signed_index(y, b.rows()), a.rows());
        for (std::size_t x = 0; x < b.cols(); ++x) {
            const long long xa = index_in(kernels::signed_index(x, b.cols()), a.cols());
            const double vb = kb.at(y, x);
            const double va = ya < 0 || xa < 0 ? 0.0
                                               : ka.at(static_cast<std::size_t>(ya),
                                                       static_cast<std::size_t>(xa));
            net += vb * vb - va * va;
            spread += std::fabs(vb * vb - va * va);
            total += vb * vb;
        }
    }
    if (!(total > 0.0)) return {};
    return {std::fabs(net) / total, spread / total};
}

// Bound on the relative change of V_D and V_S when the kernels' grid grows from `a` to `b`.
// For one kernel and its image's variance plane V (contrast C = max V / min V), the change of
// k^2 * V at any pixel is sum_y d(y) V(x - y) with d = k_b^2 - k_a^2; splitting V about
// c = (max + min) / 2 bounds it by |sum d| c + sum |d| (max - min) / 2, and k_b^2 * V is at
// least sum k_b^2 min V: relative, net (C + 1) / 2 + spread (C - 1) / 2. The sum over the
// two images is within the larger of their bounds.
double variance_change_bound(const std::vector<fft::Plane>& ka, const fft::Plan& a,
                             const std::vector<fft::Plane>& kb, const fft::Plan& b,
                             const std::array<double, 2>& contrast) {
    double worst = 0.0;
    for (std::size_t k = 0; k < 4; ++k) {
        const double c = contrast[k % 2];  // k_N, k_R, kappa_N, kappa_R
        const KernelChange d = squared_kernel_change(ka[k], a, kb[k], b);
        worst = std::max(worst, d.net * (c + 1.0) / 2.0 + d.spread * (c - 1.0) / 2.0);
    }
    return worst;
}

// The smallest grid, from two stamps wide and doubling (one doubling in exact mode), whose
// kernels change V_D and V_S by less than `tolerance` when the grid doubles
// (variance_change_bound with the images' variance `contrast`). The change from grid a to 2a
// bounds a's distance to any larger grid to within a factor 2 when each doubling at least
// halves the change (kernels whose energy beyond radius r falls at least as fast as 1/r),
// hence the 2 below.
// Past half the full grid, the full grid itself (four planes from `pool`). PSF stamps that
// cut the PSF off (narrower than ~8 sigma) leave far tails that keep the exact mode on the
// full grid.
SmallKernels small_kernels(const ImageInput& n_in, const ImageInput& r_in, const Prepared& n,
                           const Prepared& r, const kernels::Model& model, const fft::Plan& full,
                           PlanePool& pool, bool guard, double tolerance, const std::array<double, 2>& contrast,
                           int threads) {
    SmallKernels s;
    // Two stamps wide to start: the kernels' squares are convolved with the variance in
    // tiles about four grids wide (512 for an 84^2 grid, 768 for 168^2), so smaller grids
    // are cheaper, and the certification below, not the start, decides how large one must be.
    std::size_t rows = small_grid_side(n_in.psf.rows, r_in.psf.rows, full.rows(), 2);
    std::size_t cols = small_grid_side(n_in.psf.cols, r_in.psf.cols, full.cols(), 2);
    auto fits = [&](std::size_t next_rows, std::size_t next_cols) {
        return 2 * next_rows <= full.rows() && 2 * next_cols <= full.cols();
    };
    const bool exact = tolerance <= kVarianceToleranceExact;
    // Unguarded kernels are not compact: no point trying.
    if (guard && fits(padding::smooth_size(2 * rows), padding::smooth_size(2 * cols))) {
        s.plan = fft::cached_plan(rows, cols);
        s.kernels = kernels_on_grid(n_in, r_in, n, r, model, *s.plan, threads);
        for (;;) {
            const std::size_t next_rows = padding::smooth_size(2 * s.plan->rows());
            const std::size_t next_cols = padding::smooth_size(2 * s.plan->cols());
            if (!fits(next_rows, next_cols)) break;
            auto next_plan = fft::cached_plan(next_rows, next_cols);
            auto next = kernels_on_grid(n_in, r_in, n, r, model, *next_plan, threads);
            const double bound =
                variance_change_bound(s.kernels, *s.plan, next, *next_plan, contrast);
            if (2.0 * bound <= tolerance) return s;
            // For exact results one doubling is enough: the far tails do not shrink with size.
            if (exact) break;
            s.plan = std::move(next_plan);
            s.kernels = std::move(next);
        }
    }
    s.plan.reset();
    s.kernels.clear();
    for (int i = 0; i < 4; ++i) s.kernels.push_back(pool.take());
    psf_spectra(n_in, r_in, n, r, threads, s.kernels[0], s.kernels[1]);
    kernels_from_spectra(s.kernels, model, full, threads);
    return s;
}

// A small-grid kernel squared as one contiguous box with its origin at (cy, cx): the
// small grid's signed offsets -(rows - 1 - rows/2) .. rows/2 in order.
struct SquaredKernelBox {
    std::vector<double> values;
    std::size_t rows, cols, cy, cx;
    ConstView view() const { return {values.data(), rows, cols}; }
};

SquaredKernelBox squared_kernel_box(const fft::Plane& small, const fft::Plan& small_plan) {
    const std::size_t sr = small_plan.rows(), sc = small_plan.cols();
    SquaredKernelBox b{std::vector<double>(sr * sc), sr, sc, sr - 1 - sr / 2, sc - 1 - sc / 2};
    for (std::size_t a = 0; a < sr; ++a) {
        const std::size_t y = (a + sr - b.cy) % sr;
        for (std::size_t x = 0; x < sc; ++x) {
            const double k = small.at(y, (x + sc - b.cx) % sc);
            b.values[a * sc + x] = k * k;
        }
    }
    return b;
}

// V_D and V_S on the full grid (for full-grid kernels) for non-constant variance planes
// (paper section 3.3):
// V_D = k_N^2 * V_N + k_R^2 * V_R and V_S likewise with kappa, returned in real space without
// the inverse transform's scale (the caller applies it while compacting). At most six
// working planes are alive.
std::array<fft::Plane, 2> variance_planes(const std::array<const Prepared*, 2>& prepared,
                                          SmallKernels& full_grid, const fft::Plan& plan,
                                          const padding::Geometry& g, int threads,
                                          PlanePool& pool) {
    // The kernels are squared and transformed in place (their planes are used up): with both
    // variance spectra, six independent tasks (the long ones first, so two threads end
    // together), then one pass of products. Eight planes with D and S.
    std::array<std::optional<fft::Plane>, 2> v;  // V_N_hat, V_R_hat; then V_D_hat, V_S_hat
    parallel_for(6, threads, [&](std::size_t task) {
        if (task < 2) {
            const Prepared& p = *prepared[task];
            v[task].emplace(pool.take());
            padding::pad_variance(p.variance_view, p.bad.data(), g, p.summary.noise_weight,
                                  v[task]->real(), v[task]->stride());
            v[task]->forward();
            return;
        }
        fft::Plane& k = full_grid.kernels[task - 2];
        for (std::size_t y = 0; y < plan.rows(); ++y) {
            for (std::size_t x = 0; x < plan.cols(); ++x) k.at(y, x) *= k.at(y, x);
        }
        k.forward();
    });
    const std::size_t half = plan.spectrum_cols();
    const std::vector<fft::Plane>& k = full_grid.kernels;
    fft::Complex* vn = v[0]->spectrum();
    fft::Complex* vr = v[1]->spectrum();
    for_row_blocks(plan.rows(), threads, [&](std::size_t, std::size_t ky) {
        const std::size_t row = ky * half;
        overlap::pair_products(k[0].spectrum() + row, k[1].spectrum() + row,
                               k[2].spectrum() + row, k[3].spectrum() + row, vn + row, vr + row,
                               half);
    });
    for (auto& plane : full_grid.kernels) pool.give(std::move(plane));
    full_grid.kernels.clear();
    std::array<fft::Plane, 2> total = {std::move(*v[0]), std::move(*v[1])};
    parallel_for(2, threads, [&](std::size_t i) { total[i].inverse_unscaled(); });
    return total;
}

// V_D and V_S (as variance_planes) from small-grid kernels, whose squares are small boxes: by
// overlap-save on tiles (overlap.hpp) straight from the inputs' variance, never a padded
// plane. `sink` gets each tile's rows of the inner box, unscaled.
void tiled_variance(const std::array<const Prepared*, 2>& prepared, const SmallKernels& small,
                    const padding::Geometry& g, int threads, const overlap::TileSink& sink) {
    std::vector<SquaredKernelBox> boxes;
    for (std::size_t k = 0; k < 4; ++k) {
        boxes.push_back(squared_kernel_box(small.kernels[k], *small.plan));
    }
    overlap::Kernels kernels;
    for (std::size_t k = 0; k < 4; ++k) kernels.k[k] = boxes[k].view();
    kernels.cy = boxes[0].cy;
    kernels.cx = boxes[0].cx;
    const auto by = static_cast<std::int64_t>(g.border_y);
    const auto bx = static_cast<std::int64_t>(g.border_x);
    overlap::convolve_pair(
        kernels, g.inner_rows, g.inner_cols,
        [&](std::size_t side, std::int64_t y, std::int64_t x0, std::size_t count, double* out) {
            const Prepared& p = *prepared[side];
            padding::variance_row(p.variance_view, p.bad.data(), g, p.summary.noise_weight,
                                  y + by, x0 + bx, count, out);
        },
        sink, threads);
}

// n values of an unscaled inverse transform as output values: (x * scale) / divisor (F_D for
// D, F_D^2 for V_D, 1 otherwise). dst may be src, or below it in the same buffer (compaction
// moves values to lower addresses, in order).
void to_output(const double* src, double* dst, std::size_t n, double scale, double divisor) {
    for (std::size_t x = 0; x < n; ++x) dst[x] = (src[x] * scale) / divisor;
}

// S_corr, alpha and sigma_alpha of n pixels from S and V_S = vs[x] * vs_scale (vs_constant
// when vs is null). Plain distinct pointers and selects instead of branches: the loop is
// vectorised (the root of a V_S <= 0 is computed and not used).
template <bool kConstant>
void score_row_impl(const double* __restrict s, const double* __restrict vs, double vs_scale,
                    double vs_constant, double fs, double* __restrict scorr,
                    double* __restrict flux, double* __restrict flux_err, std::size_t n) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t x = 0; x < n; ++x) {
        const double v = kConstant ? vs_constant : vs[x] * vs_scale;
        const double root = std::sqrt(v);
        const double significance = s[x] / root, error = root / fs;
        scorr[x] = v > 0.0 ? significance : 0.0;
        flux[x] = s[x] / fs;
        flux_err[x] = v > 0.0 ? error : nan;
    }
}

void score_row(const double* s, const double* vs, double vs_scale, double vs_constant,
               double fs, double* scorr, double* flux, double* flux_err, std::size_t n) {
    if (vs == nullptr) {
        score_row_impl<true>(s, vs, vs_scale, vs_constant, fs, scorr, flux, flux_err, n);
    } else {
        score_row_impl<false>(s, vs, vs_scale, vs_constant, fs, scorr, flux, flux_err, n);
    }
}

}  // namespace

ImageSummary summarise(const ImageInput& image, const std::string& role) {
    require(image.image.rows > 0 && image.image.cols > 0, role + ": the image is empty");
    Prepared p;
    ScanSums sums;
    scan<true>(image, role, p, sums);
    measure(image, role, sums, p);
    return p.summary;
}

void subtract(const ImageInput& science, const ImageInput& reference,
              const SubtractOptions& options, SubtractOutputs& out) {
    validate_pair(science, reference, options);
    // The two images are independent until the kernels: prepare them side by side.
    std::optional<Prepared> prepared_pair[2];
    parallel_for(2, options.threads, [&](std::size_t side) {
        prepared_pair[side] =
            side == 0 ? prepare(science, "science", options.science_summary)
                      : prepare(reference, "reference", options.reference_summary);
    });
    const Prepared& n = *prepared_pair[0];
    const Prepared& r = *prepared_pair[1];
    require(n.summary.noise_weight + r.summary.noise_weight > 0.0,
            "science_variance, reference_variance: both noise weights are 0; ZOGY needs noise");

    const padding::Geometry g =
        options.cell ? padding::make_cell_geometry(science.image.rows, science.image.cols,
                                                   *options.cell, options.size_rule)
                     : choose_geometry(science, reference, n, r, options);
    check_memory(g);
    const std::shared_ptr<const fft::Plan> plan_handle = fft::cached_plan(g.rows, g.cols);
    const fft::Plan& plan = *plan_handle;
    const int threads = options.threads;
    const kernels::Model model(
        {n.summary.noise_weight, r.summary.noise_weight, science.flux_scale,
         reference.flux_scale},
        n.moments, r.moments, options.kernel_guard);
    const double fd = model.flux_zero_point();
    require(std::isfinite(fd) && fd > 0.0,
            "flux_scales: F_D is not finite and positive; the flux scales or noise weights are "
            "out of range");
    const std::array<const Prepared*, 2> prepared = {&n, &r};
    const std::array<const ImageInput*, 2> inputs = {&science, &reference};
    const bool constant_variance = n.constant_variance && r.constant_variance;
    const bool any_bad = n.summary.bad_pixels + r.summary.bad_pixels > 0;
    const std::size_t inner_n = g.inner_rows * g.inner_cols;

    PlanePool pool(plan);
    const double scale = plan.scale();
    auto inner_row = [&](const fft::Plane& plane, std::size_t y) {
        return plane.real() + (y + g.border_y) * plane.stride() + g.border_x;
    };
    // The inner box of an unscaled inverse transform, times the transform's scale and divided
    // by `divisor` (F_D for D), moved to the start of its plane as an inner-shaped row-major
    // image: in place and in order (every value moves to a lower address, so it is read before
    // anything overwrites it), hence one thread per plane.
    auto compact = [&](fft::Plane& plane, double divisor) {
        for (std::size_t y = 0; y < g.inner_rows; ++y) {
            to_output(inner_row(plane, y), plane.real() + y * g.inner_cols, g.inner_cols, scale,
                      divisor);
        }
    };
    // A plane's memory as an output (after compact(), or to be written in the inner shape).
    auto output = [&](fft::Plane&& plane) {
        std::shared_ptr<double> memory = plane.release(inner_n);
        double* data = memory.get();
        return OwnedPlane{std::move(memory), MutView{data, g.inner_rows, g.inner_cols}};
    };

    // 1. D and S. The image transforms, then the PSF transforms a class of rows at a time
    //    (no plane for them: each row is used once, straight from cache); D_hat and S_hat
    //    replace N_hat and R_hat; the sums give F_S and, for constant variance planes, V_D and
    //    V_S through Parseval. D goes out divided by F_D, S raw (step 3 derives from it), P_D
    //    comes from a small grid.
    enum { kN, kR };
    std::vector<fft::Plane> planes;
    for (int i = 0; i < 2; ++i) planes.push_back(pool.take());
    const std::uint64_t seed = options.seed;
    parallel_for(2, threads, [&](std::size_t side) {
        const Prepared& p = *prepared[side];
        const ImageInput& in = *inputs[side];
        const padding::Fill fill{options.fill, p.summary.fill_mean, p.summary.noise_weight,
                                 rng::Key{seed, p.summary.digest}};
        padding::pad_image(in.image, p.bad.data(), g, fill, planes[side].real(),
                           planes[side].stride());
        planes[side].forward();
    });
    const std::size_t half = plan.spectrum_cols();
    struct Sums {
        double score = 0.0, k_n = 0.0, k_r = 0.0, kappa_n = 0.0, kappa_r = 0.0;
        std::size_t guarded = 0;
    };
    // Each row's sums, added up in row order below: the same bits for any thread count and
    // order of the rows.
    std::vector<Sums> row_sums(g.rows);
    // One row of frequencies, given that row of both PSF spectra. The kernels' energies
    // (Parseval) are only needed for constant variance planes; the loop is instantiated with
    // and without them (they were a quarter of its time).
    auto frequency_row = [&](auto parseval, std::size_t ky, const fft::Complex* psf_n,
                             const fft::Complex* psf_r) {
        const double fy = kernels::frequency(ky, g.rows);
        fft::Complex* image_n = planes[kN].spectrum() + ky * half;  // becomes D_hat
        fft::Complex* image_r = planes[kR].spectrum() + ky * half;  // becomes S_hat
        std::vector<double> inv_delta(half);
        for (std::size_t kx = 0; kx < half; ++kx) {
            inv_delta[kx] = model.inverse_delta(psf_n[kx], psf_r[kx]);
        }
        Sums sum;  // a local the compiler can keep in registers
        for (std::size_t kx = 0; kx < half; ++kx) {
            const auto k = model.at(psf_n[kx], psf_r[kx],
                                    static_cast<double>(kx) / static_cast<double>(g.cols), fy,
                                    inv_delta[kx]);
            const fft::Complex n_hat = image_n[kx];
            const fft::Complex r_hat = image_r[kx];
            // eq. 13 and eq. 12: D_hat = k_N N_hat - k_R R_hat, S_hat = kappa_N N_hat - ...
            image_n[kx] = kernels::mul(k.k_n, n_hat) - kernels::mul(k.k_r, r_hat);
            image_r[kx] = kernels::mul(k.kappa_n, n_hat) - kernels::mul(k.kappa_r, r_hat);
            const double w = kernels::column_weight(kx, g.cols);
            sum.score += w * k.score_term;
            sum.guarded += k.guarded;
            if constexpr (decltype(parseval)::value) {
                sum.k_n += w * kernels::norm2(k.k_n);
                sum.k_r += w * kernels::norm2(k.k_r);
                sum.kappa_n += w * kernels::norm2(k.kappa_n);
                sum.kappa_r += w * kernels::norm2(k.kappa_r);
            }
        }
        row_sums[ky] = sum;
    };
    const std::vector<fft::Plan::Box> psf_boxes = {psf_box(n, science), psf_box(r, reference)};
    auto frequency_rows = [&](auto parseval) {
        const bool streamed = plan.forward_boxes_by_class(
            psf_boxes, threads,
            [&](std::size_t q, std::size_t p, const std::vector<const fft::Complex*>& psf) {
                for (std::size_t row = 0; row < p; ++row) {
                    frequency_row(parseval, q + (g.rows / p) * row, psf[0] + row * half,
                                  psf[1] + row * half);
                }
            });
        if (streamed) return;
        std::array<fft::Plane, 2> psf = {pool.take(), pool.take()};  // no divisor to prune by
        psf_spectra(science, reference, n, r, threads, psf[0], psf[1]);
        for_row_blocks(g.rows, threads, [&](std::size_t, std::size_t ky) {
            frequency_row(parseval, ky, psf[0].spectrum() + ky * half,
                          psf[1].spectrum() + ky * half);
        });
        for (auto& plane : psf) pool.give(std::move(plane));
    };
    if (constant_variance) {
        frequency_rows(std::true_type{});
    } else {
        frequency_rows(std::false_type{});
    }
    Sums total;
    for (const Sums& s : row_sums) {
        total.score += s.score;
        total.k_n += s.k_n;
        total.k_r += s.k_r;
        total.kappa_n += s.kappa_n;
        total.kappa_r += s.kappa_r;
        total.guarded += s.guarded;
    }
    const double pixels = static_cast<double>(g.rows * g.cols);
    const double fs = total.score / pixels;  // F_S
    parallel_for(3, threads, [&](std::size_t task) {
        if (task == 2) {
            psf_d_stamp(science, reference, n, r, model, plan, pool, out.psf);
            return;
        }
        fft::Plane& plane = planes[task == 0 ? kN : kR];
        plane.inverse_unscaled();
        compact(plane, task == 0 ? fd : 1.0);  // raw S: step 3 derives from it
    });
    out.difference = output(std::move(planes[kN]));
    out.score = output(std::move(planes[kR]));

    // 2. Output mask: bad pixels, then everything a bad pixel's fill reaches through the D and
    //    S kernels of its image (kernels in real space, needed for step 3 as well).
    for_row_blocks(g.inner_rows, threads, [&](std::size_t, std::size_t y) {
        const std::uint8_t* bad_n = n.bad.data() + y * g.inner_cols;
        const std::uint8_t* bad_r = r.bad.data() + y * g.inner_cols;
        std::uint8_t* mask_row = out.mask + y * g.inner_cols;
        for (std::size_t x = 0; x < g.inner_cols; ++x) {
            mask_row[x] = static_cast<std::uint8_t>((bad_n[x] ? kScienceBad : 0) |
                                                    (bad_r[x] ? kReferenceBad : 0));
        }
    });
    std::optional<SmallKernels> small;
    if (!constant_variance || any_bad) {
        small = small_kernels(science, reference, n, r, model, plan, pool, options.kernel_guard,
                              options.exact_variance ? kVarianceToleranceExact
                                                     : kVarianceToleranceFast,
                              {variance_contrast(n), variance_contrast(r)}, threads);
    }
    for (std::size_t side = 0; side < 2 && any_bad; ++side) {
        if (prepared[side]->summary.bad_pixels == 0) continue;
        const fft::Plan& sp = small->grid(plan);
        const auto radius = [&](const fft::Plane& k) {
            return mask::footprint_radius(k.real(), sp.rows(), sp.cols(), kFootprintTail,
                                          k.stride());
        };
        out.grow_radius[side] =
            std::max(radius(small->kernels[side]), radius(small->kernels[2 + side]));
        mask::grow(prepared[side]->bad.data(), g.inner_rows, g.inner_cols,
                   out.grow_radius[side], kNearBad, out.mask);
    }

    // 3. Variance planes of D and S, and what derives from S and V_S, in planes that become
    //    outputs: from small kernels by overlap-save on tiles, else on the full grid.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // Outputs written in the inner shape take planes no later stage needs (spare ones first),
    // then the spare planes go: none is taken later, and they would add to the peak.
    auto take_inner_outputs = [&](bool variances) {
        if (variances) {
            out.difference_variance = output(pool.take());
            out.score_variance = output(pool.take());
        }
        out.scorr = output(pool.take());
        out.flux = output(pool.take());
        out.flux_err = output(pool.take());
        pool.trim();
    };
    // Columns [x0, x1) of output row y from S and V_S: V_S is vs_row[x] * vs_scale, or
    // vs_constant when vs_row is null.
    auto score_outputs = [&](std::size_t y, std::size_t x0, std::size_t x1, const double* vs_row,
                             double vs_scale, double vs_constant) {
        const std::size_t o = y * g.inner_cols + x0;
        score_row(out.score.view.data + o, vs_row != nullptr ? vs_row + x0 : nullptr, vs_scale,
                  vs_constant, fs, out.scorr.view.data + o, out.flux.view.data + o,
                  out.flux_err.view.data + o, x1 - x0);
    };
    if (constant_variance) {
        take_inner_outputs(true);
        // sum over x of k(x)^2 = (1 / pixels) sum over f of |k_hat(f)|^2 (Parseval); written
        // as a + b with a the science side, so swapping the roles gives the same bits.
        const double vd = n.summary.noise_weight * (total.k_n / pixels) +
                          r.summary.noise_weight * (total.k_r / pixels);
        const double vs = n.summary.noise_weight * (total.kappa_n / pixels) +
                          r.summary.noise_weight * (total.kappa_r / pixels);
        std::fill(out.difference_variance.view.data, out.difference_variance.view.data + inner_n,
                  vd / (fd * fd));
        std::fill(out.score_variance.view.data, out.score_variance.view.data + inner_n, vs);
        for_row_blocks(g.inner_rows, threads, [&](std::size_t, std::size_t y) {
            score_outputs(y, 0, g.inner_cols, nullptr, 1.0, vs);
        });
    } else if (small->plan) {
        take_inner_outputs(true);
        // Each tile's V_D and V_S are written out and what derives from V_S made from them
        // while they are in cache.
        double* vd_out = out.difference_variance.view.data;
        double* vs_out = out.score_variance.view.data;
        tiled_variance(prepared, *small, g, threads,
                       [&](std::size_t y0, std::size_t x0, std::size_t rows, std::size_t cols,
                           const double* vd, const double* vs, std::size_t stride,
                           double tile_scale) {
                           for (std::size_t r = 0; r < rows; ++r) {
                               const std::size_t o = (y0 + r) * g.inner_cols + x0;
                               to_output(vd + r * stride, vd_out + o, cols, tile_scale, fd * fd);
                               to_output(vs + r * stride, vs_out + o, cols, tile_scale, 1.0);
                               score_outputs(y0 + r, x0, x0 + cols, vs_out + o - x0, 1.0, 0.0);
                           }
                       });
    } else {
        auto v = variance_planes(prepared, *small, plan, g, threads, pool);
        take_inner_outputs(false);  // V_D and V_S: their planes, compacted below
        // Straight from the V_S plane, before it is compacted into its output.
        for_row_blocks(g.inner_rows, threads, [&](std::size_t, std::size_t y) {
            score_outputs(y, 0, g.inner_cols, inner_row(v[1], y), scale, 0.0);
        });
        parallel_for(2, threads, [&](std::size_t i) { compact(v[i], i == 0 ? fd * fd : 1.0); });
        out.difference_variance = output(std::move(v[0]));
        out.score_variance = output(std::move(v[1]));
    }
    small.reset();

    // 4. Blank the bad pixels (and, on request, those near them).
    const std::uint8_t blank_bits = static_cast<std::uint8_t>(
        kScienceBad | kReferenceBad | (options.blank_grown ? kNearBad : 0));
    if (any_bad) {
        for_row_blocks(g.inner_rows, threads, [&](std::size_t, std::size_t y) {
            for (std::size_t x = 0; x < g.inner_cols; ++x) {
                const std::size_t o = y * g.inner_cols + x;
                if ((out.mask[o] & blank_bits) == 0) continue;
                out.difference.view.data[o] = out.difference_variance.view.data[o] = nan;
                out.score.view.data[o] = out.score_variance.view.data[o] = nan;
                out.flux.view.data[o] = out.flux_err.view.data[o] = nan;
                out.scorr.view.data[o] = 0.0;
            }
        });
    }

    out.flux_zero_point = fd;
    out.score_normalisation = fs;
    out.guarded_frequencies = total.guarded;
    out.geometry = g;
    out.images = {n.summary, r.summary};
}

}  // namespace zogy
