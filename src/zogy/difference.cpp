#include "difference.hpp"

#include <utility>
#include <vector>

#include "parallel.hpp"
#include "rng.hpp"

namespace zogy::difference {

namespace {

using fft::Complex;

// One row of frequencies, given that row of both PSF spectra: the image spectra become D_hat
// and S_hat. The kernels' energies (Parseval) are only needed for constant variance planes;
// the loop is instantiated with and without them (they were a quarter of its time).
template <bool kParseval>
FrequencySums frequency_row(const kernels::Model& model, const fft::Plan& plan, std::size_t ky,
                            const Complex* psf_n, const Complex* psf_r, Complex* image_n,
                            Complex* image_r) {
    const std::size_t half = plan.spectrum_cols();
    const double fy = kernels::frequency(ky, plan.rows());
    std::vector<double> inv_delta(half);
    for (std::size_t kx = 0; kx < half; ++kx) {
        inv_delta[kx] = model.inverse_delta(psf_n[kx], psf_r[kx]);
    }
    FrequencySums sum;  // a local the compiler can keep in registers
    for (std::size_t kx = 0; kx < half; ++kx) {
        const auto k =
            model.at(psf_n[kx], psf_r[kx],
                     static_cast<double>(kx) / static_cast<double>(plan.cols()), fy, inv_delta[kx]);
        const Complex n_hat = image_n[kx];
        const Complex r_hat = image_r[kx];
        // eq. 13 and eq. 12: D_hat = k_N N_hat - k_R R_hat, S_hat = kappa_N N_hat - ...
        image_n[kx] = kernels::mul(k.k_n, n_hat) - kernels::mul(k.k_r, r_hat);
        image_r[kx] = kernels::mul(k.kappa_n, n_hat) - kernels::mul(k.kappa_r, r_hat);
        const double w = kernels::column_weight(kx, plan.cols());
        sum.score += w * k.score_term;
        sum.guarded += k.guarded;
        if constexpr (kParseval) {
            sum.k_n += w * kernels::norm2(k.k_n);
            sum.k_r += w * kernels::norm2(k.k_r);
            sum.kappa_n += w * kernels::norm2(k.kappa_n);
            sum.kappa_r += w * kernels::norm2(k.kappa_r);
        }
    }
    return sum;
}

// Every row of frequencies, each row's sums into row_sums[ky].
template <bool kParseval>
void frequency_rows(const inputs::PreparedPair& prepared, const kernels::Model& model,
                    const fft::Plan& plan, int threads, PlanePool& pool, const PlanePair& planes,
                    std::vector<FrequencySums>& row_sums) {
    const std::size_t half = plan.spectrum_cols();
    auto row = [&](std::size_t ky, const Complex* psf_n, const Complex* psf_r) {
        row_sums[ky] = frequency_row<kParseval>(model, plan, ky, psf_n, psf_r,
                                                planes[0]->spectrum() + ky * half,
                                                planes[1]->spectrum() + ky * half);
    };
    const std::vector<fft::Plan::Box> psf_boxes = {prepared[0]->psf_box(), prepared[1]->psf_box()};
    const bool streamed = plan.forward_boxes_by_class(
        psf_boxes, threads,
        [&](std::size_t q, std::size_t p, const std::vector<const Complex*>& psf) {
            for (std::size_t r = 0; r < p; ++r) {
                row(q + (plan.rows() / p) * r, psf[0] + r * half, psf[1] + r * half);
            }
        });
    if (streamed) return;
    std::array<fft::Plane, 2> psf = {pool.take(), pool.take()};  // no divisor to prune by
    inputs::psf_spectra(*prepared[0], *prepared[1], threads, psf[0], psf[1]);
    for_row_blocks(plan.rows(), threads, [&](std::size_t, std::size_t ky) {
        row(ky, psf[0].spectrum() + ky * half, psf[1].spectrum() + ky * half);
    });
    for (auto& plane : psf) pool.give(std::move(plane));
}

}  // namespace

void transform_images(const inputs::PreparedPair& prepared, const padding::Geometry& g,
                      padding::FillMode fill, std::uint64_t seed, int threads,
                      const PlanePair& planes) {
    parallel_for(2, threads, [&](std::size_t side) {
        const inputs::Prepared& p = *prepared[side];
        const padding::Fill values{fill, p.summary.fill_mean, p.summary.noise_weight,
                                   rng::Key{seed, p.summary.digest}};
        padding::pad_image(p.image_view, p.bad.data(), g, values, planes[side]->real(),
                           planes[side]->stride());
        planes[side]->forward();
    });
}

FrequencySums apply_kernels(const inputs::PreparedPair& prepared, const kernels::Model& model,
                            const fft::Plan& plan, bool parseval, int threads, PlanePool& pool,
                            const PlanePair& planes) {
    // Each row's sums, added up in row order below: the same bits for any thread count and
    // order of the rows.
    std::vector<FrequencySums> row_sums(plan.rows());
    if (parseval) {
        frequency_rows<true>(prepared, model, plan, threads, pool, planes, row_sums);
    } else {
        frequency_rows<false>(prepared, model, plan, threads, pool, planes, row_sums);
    }
    FrequencySums total;
    for (const FrequencySums& s : row_sums) {
        total.score += s.score;
        total.k_n += s.k_n;
        total.k_r += s.k_r;
        total.kappa_n += s.kappa_n;
        total.kappa_r += s.kappa_r;
        total.guarded += s.guarded;
    }
    return total;
}

}  // namespace zogy::difference
