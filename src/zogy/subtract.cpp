// The subtraction as a list of named stages (docs/algorithm.md says which file computes
// which equation). The state one stage hands to the next lives in the members of
// `Subtraction`; each stage's arithmetic is in the file of its concept.
#include "subtract.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "difference.hpp"
#include "errors.hpp"
#include "fft.hpp"
#include "fp_env.hpp"
#include "geometry.hpp"
#include "kernel_grid.hpp"
#include "kernels.hpp"
#include "mask.hpp"
#include "output_rows.hpp"
#include "parallel.hpp"
#include "plane_pool.hpp"
#include "psf_d.hpp"
#include "scaling.hpp"
#include "variance_planes.hpp"

namespace zogy {

namespace {

class Subtraction {
  public:
    Subtraction(const ImageInput& science, const ImageInput& reference,
                const SubtractOptions& options, SubtractOutputs& out)
        : science_(science),
          reference_(reference),
          options_(options),
          out_(out),
          threads_(options.threads) {}

    void run() {
        prepare_pair();
        choose_geometry();
        kernel_model();
        difference_and_score();
        real_space_kernels();
        output_mask();
        variance_outputs();
        unscale_outputs();
        blank();
        report();
    }

  private:
    const inputs::Prepared& n() const { return *prepared_[0]; }
    const inputs::Prepared& r() const { return *prepared_[1]; }

    // Both inputs checked and measured, side by side: they are independent until the kernels.
    void prepare_pair() {
        inputs::validate_pair(science_, reference_, options_.threads);
        parallel_for(2, threads_, [&](std::size_t side) {
            prepared_[side] =
                side == 0 ? inputs::prepare(science_, "science", options_.science_summary)
                          : inputs::prepare(reference_, "reference", options_.reference_summary);
        });
        require(n().summary.noise_weight + r().summary.noise_weight > 0.0,
                "science_variance, reference_variance: both noise weights are 0; ZOGY needs "
                "noise");
        pair_ = {&n(), &r()};
        constant_variance_ = n().constant_variance && r().constant_variance;
        any_bad_ = n().summary.bad_pixels + r().summary.bad_pixels > 0;
    }

    // The padded grid (a spatial-grid cell's frame, or the border rule), checked against the
    // memory before anything of its size is allocated, and its FFT plan.
    void choose_geometry() {
        const std::size_t rows = science_.image.rows, cols = science_.image.cols;
        g_ = options_.cell
                 ? padding::make_cell_geometry(rows, cols, *options_.cell, options_.size_rule)
                 : geometry::choose(rows, cols, n(), r(), options_.border_y, options_.border_x,
                                    options_.size_rule);
        geometry::check_memory(g_);
        plan_ = fft::cached_plan(g_.rows, g_.cols);
        pool_.emplace(*plan_);
    }

    // The constants of the equations for this pair (kernels.hpp) and F_D (eq. 15).
    void kernel_model() {
        // In the units the inputs were prepared in, with a common flux scale (scaling.hpp);
        // unscale_outputs() brings the outputs back.
        flux_exponent_ = scaling::common_flux_exponent(n().exponent, r().exponent);
        model_.emplace(kernels::Weights{n().summary.noise_weight, r().summary.noise_weight,
                                        std::ldexp(n().flux_scale, flux_exponent_),
                                        std::ldexp(r().flux_scale, flux_exponent_)},
                       n().moments, r().moments, options_.kernel_guard);
        fd_ = model_->flux_zero_point();
        require(std::isfinite(fd_) && fd_ > 0.0,
                "flux_scales: F_D is not finite and positive; the flux scales or noise weights "
                "are out of range");
    }

    // D and S (eqs. 12, 13) in their own planes, which become outputs: D divided by F_D, S raw
    // (the variance stage derives S_corr from it); F_S; P_D (eq. 14) from a small grid.
    void difference_and_score() {
        std::array<fft::Plane, 2> planes = {pool_->take(), pool_->take()};
        const difference::PlanePair spectra = {&planes[0], &planes[1]};
        difference::transform_images(pair_, g_, options_.fill, options_.seed, threads_, spectra);
        sums_ = difference::apply_kernels(pair_, *model_, *plan_, constant_variance_, threads_,
                                          *pool_, spectra);
        fs_ = sums_.score / pixels();
        parallel_for(3, threads_, [&](std::size_t task) {
            if (task == 2) {
                psf_d::stamp(n(), r(), *model_, *plan_, *pool_, out_.psf);
                return;
            }
            planes[task].inverse_unscaled();
            output_rows::compact(planes[task], g_, plan_->scale(), task == 0 ? fd_ : 1.0);
        });
        out_.difference = as_output(std::move(planes[0]));
        out_.score = as_output(std::move(planes[1]));
    }

    // The real-space kernels on the smallest certified grid, for the variance planes and the
    // mask growth; constant variance planes without bad pixels need neither.
    void real_space_kernels() {
        if (constant_variance_ && !any_bad_) return;
        const double tolerance = options_.exact_variance ? kernel_grid::kVarianceToleranceExact
                                                         : kernel_grid::kVarianceToleranceFast;
        kernels_ = kernel_grid::certified(
            n(), r(), *model_, *plan_, *pool_, options_.kernel_guard, tolerance,
            {inputs::variance_contrast(n()), inputs::variance_contrast(r())}, threads_);
    }

    // Bad pixels, then everything a bad pixel's fill reaches through the D and S kernels of
    // its image.
    void output_mask() {
        for_row_blocks(g_.inner_rows, threads_, [&](std::size_t, std::size_t y) {
            const std::uint8_t* bad_n = n().bad.data() + y * g_.inner_cols;
            const std::uint8_t* bad_r = r().bad.data() + y * g_.inner_cols;
            std::uint8_t* mask_row = out_.mask + y * g_.inner_cols;
            for (std::size_t x = 0; x < g_.inner_cols; ++x) {
                mask_row[x] = static_cast<std::uint8_t>((bad_n[x] ? kScienceBad : 0) |
                                                        (bad_r[x] ? kReferenceBad : 0));
            }
        });
        for (std::size_t side = 0; side < 2 && any_bad_; ++side) {
            if (pair_[side]->summary.bad_pixels == 0) continue;
            const fft::Plan& grid = kernels_->grid(*plan_);
            const auto radius = [&](const fft::Plane& k) {
                return mask::footprint_radius(k.real(), grid.rows(), grid.cols(), kFootprintTail,
                                              k.stride());
            };
            out_.grow_radius[side] =
                std::max(radius(kernels_->kernels[side]), radius(kernels_->kernels[2 + side]));
            mask::grow(pair_[side]->bad.data(), g_.inner_rows, g_.inner_cols,
                       out_.grow_radius[side], kNearBad, out_.mask);
        }
    }

    // V_D and V_S, and what derives from S and V_S, in planes that become outputs: by Parseval
    // for constant planes, else from small kernels by overlap-save on tiles, else on the full
    // grid.
    void variance_outputs() {
        if (constant_variance_) {
            constant_variance_outputs();
        } else if (kernels_->plan) {
            tiled_variance_outputs();
        } else {
            full_grid_variance_outputs();
        }
        kernels_.reset();
    }

    void constant_variance_outputs() {
        take_inner_outputs(true);
        // sum over x of k(x)^2 = (1 / pixels) sum over f of |k_hat(f)|^2 (Parseval); written
        // as a + b with a the science side, so swapping the roles gives the same bits.
        const double vd = n().summary.noise_weight * (sums_.k_n / pixels()) +
                          r().summary.noise_weight * (sums_.k_r / pixels());
        const double vs = n().summary.noise_weight * (sums_.kappa_n / pixels()) +
                          r().summary.noise_weight * (sums_.kappa_r / pixels());
        const std::size_t inner = g_.inner_rows * g_.inner_cols;
        std::fill(out_.difference_variance.view.data, out_.difference_variance.view.data + inner,
                  vd / (fd_ * fd_));
        std::fill(out_.score_variance.view.data, out_.score_variance.view.data + inner, vs);
        for_row_blocks(g_.inner_rows, threads_, [&](std::size_t, std::size_t y) {
            score_outputs(y, 0, g_.inner_cols, nullptr, 1.0, vs);
        });
    }

    // Each tile's V_D and V_S are written out and what derives from V_S made from them while
    // they are in cache.
    void tiled_variance_outputs() {
        take_inner_outputs(true);
        double* vd_out = out_.difference_variance.view.data;
        double* vs_out = out_.score_variance.view.data;
        const double vd_divisor = fd_ * fd_;
        variance_planes::tiled(
            pair_, *kernels_, g_, threads_,
            [&](std::size_t y0, std::size_t x0, std::size_t rows, std::size_t cols,
                const double* vd, const double* vs, std::size_t stride, double tile_scale) {
                for (std::size_t row = 0; row < rows; ++row) {
                    const std::size_t o = (y0 + row) * g_.inner_cols + x0;
                    output_rows::to_output(vd + row * stride, vd_out + o, cols, tile_scale,
                                           vd_divisor);
                    output_rows::to_output(vs + row * stride, vs_out + o, cols, tile_scale, 1.0);
                    score_outputs(y0 + row, x0, x0 + cols, vs_out + o - x0, 1.0, 0.0);
                }
            });
    }

    void full_grid_variance_outputs() {
        auto v = variance_planes::full_grid(pair_, *kernels_, *plan_, g_, threads_, *pool_);
        take_inner_outputs(false);  // V_D and V_S: their planes, compacted below
        // Straight from the V_S plane, before it is compacted into its output.
        const double scale = plan_->scale();
        for_row_blocks(g_.inner_rows, threads_, [&](std::size_t, std::size_t y) {
            score_outputs(y, 0, g_.inner_cols, output_rows::inner_row(v[1], g_, y), scale, 0.0);
        });
        parallel_for(2, threads_, [&](std::size_t i) {
            output_rows::compact(v[i], g_, scale, i == 0 ? fd_ * fd_ : 1.0);
        });
        out_.difference_variance = as_output(std::move(v[0]));
        out_.score_variance = as_output(std::move(v[1]));
    }

    // The outputs in the units of the inputs, when they were scaled (scaling.hpp): exact.
    void unscale_outputs() {
        const int j = flux_exponent_;
        if (j == 0) return;
        const std::size_t inner = g_.inner_rows * g_.inner_cols;
        const std::pair<OwnedPlane*, int> planes[] = {
            {&out_.difference, j}, {&out_.difference_variance, 2 * j},
            {&out_.score, -j},     {&out_.score_variance, -2 * j},
            {&out_.flux, j},       {&out_.flux_err, j}};
        parallel_for(6, threads_, [&](std::size_t i) {
            scaling::rescale(planes[i].first->view.data, inner, planes[i].second,
                             "science, reference");
        });
        scaling::rescale(&fd_, 1, -j, "flux_scales");
        scaling::rescale(&fs_, 1, -2 * j, "science, reference");
    }

    // The bad pixels (and, on request, those near them) blanked: NaN, and 0 in S_corr.
    void blank() {
        if (!any_bad_) return;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const std::uint8_t blank_bits = static_cast<std::uint8_t>(
            kScienceBad | kReferenceBad | (options_.blank_grown ? kNearBad : 0));
        for_row_blocks(g_.inner_rows, threads_, [&](std::size_t, std::size_t y) {
            for (std::size_t x = 0; x < g_.inner_cols; ++x) {
                const std::size_t o = y * g_.inner_cols + x;
                if ((out_.mask[o] & blank_bits) == 0) continue;
                out_.difference.view.data[o] = out_.difference_variance.view.data[o] = nan;
                out_.score.view.data[o] = out_.score_variance.view.data[o] = nan;
                out_.flux.view.data[o] = out_.flux_err.view.data[o] = nan;
                out_.scorr.view.data[o] = 0.0;
            }
        });
    }

    void report() {
        out_.flux_zero_point = fd_;
        out_.score_normalisation = fs_;
        out_.guarded_frequencies = sums_.guarded;
        out_.geometry = g_;
        out_.images = {inputs::own_units(n(), "science"), inputs::own_units(r(), "reference")};
    }

    double pixels() const { return static_cast<double>(g_.rows * g_.cols); }

    // A plane's memory as an output (after compaction, or to be written in the inner shape).
    OwnedPlane as_output(fft::Plane&& plane) const {
        std::shared_ptr<double> memory = plane.release(g_.inner_rows * g_.inner_cols);
        double* data = memory.get();
        return OwnedPlane{std::move(memory), MutView{data, g_.inner_rows, g_.inner_cols}};
    }

    // Outputs written in the inner shape take planes no later stage needs (spare ones first),
    // then the spare planes go: none is taken later, and they would add to the peak.
    void take_inner_outputs(bool variances) {
        if (variances) {
            out_.difference_variance = as_output(pool_->take());
            out_.score_variance = as_output(pool_->take());
        }
        out_.scorr = as_output(pool_->take());
        out_.flux = as_output(pool_->take());
        out_.flux_err = as_output(pool_->take());
        pool_->trim();
    }

    // Columns [x0, x1) of output row y from S and V_S: V_S is vs_row[x] * vs_scale, or
    // vs_constant when vs_row is null.
    void score_outputs(std::size_t y, std::size_t x0, std::size_t x1, const double* vs_row,
                       double vs_scale, double vs_constant) {
        const std::size_t o = y * g_.inner_cols + x0;
        output_rows::score_row(out_.score.view.data + o, vs_row != nullptr ? vs_row + x0 : nullptr,
                               vs_scale, vs_constant, fs_, out_.scorr.view.data + o,
                               out_.flux.view.data + o, out_.flux_err.view.data + o, x1 - x0);
    }

    const ImageInput& science_;
    const ImageInput& reference_;
    const SubtractOptions& options_;
    SubtractOutputs& out_;
    const int threads_;

    std::optional<inputs::Prepared> prepared_[2];
    inputs::PreparedPair pair_{};
    bool constant_variance_ = false;  // both padded variance planes are their noise weight
    bool any_bad_ = false;
    padding::Geometry g_;
    std::shared_ptr<const fft::Plan> plan_;
    std::optional<PlanePool> pool_;
    std::optional<kernels::Model> model_;
    int flux_exponent_ = 0;  // the common flux scale 2^j of scaled inputs (scaling.hpp)
    double fd_ = 0.0;        // F_D
    difference::FrequencySums sums_;
    double fs_ = 0.0;  // F_S
    std::optional<kernel_grid::KernelGrid> kernels_;
};

}  // namespace

void subtract(const ImageInput& science, const ImageInput& reference,
              const SubtractOptions& options, SubtractOutputs& out) {
    const IeeeDefaultEnvironment environment;
    Subtraction(science, reference, options, out).run();
}

}  // namespace zogy
