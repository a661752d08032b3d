// The ZOGY equations of DESIGN section 3 in Fourier space (Zackay, Ofek & Gal-Yam 2016).
#pragma once

#include <cmath>
#include <cstddef>

#include "fft.hpp"
#include "view.hpp"

namespace zogy::kernels {

using fft::Complex;

// Second moments of a unit-sum PSF about its stamp centre (clamped at >= 0).
struct Moments {
    double xx = 0.0;
    double yy = 0.0;
};

Moments psf_moments(ConstView normalised_psf);

// Noise weights sigma^2 and flux scales F of the two images.
struct Weights {
    double variance_n = 1.0, variance_r = 1.0;
    double flux_n = 1.0, flux_r = 1.0;
};

// Below this |P_hat| a unit-sum PSF's transform is round-off (DESIGN section 3, last paragraph).
constexpr double kGuardThreshold = 1e-13;

// Every kernel at one frequency.
struct AtFrequency {
    Complex k_n, k_r;          // D kernels (eq. 13)
    Complex kappa_n, kappa_r;  // S kernels (eq. 12/17)
    Complex psf_d;             // PSF of D (eq. 14)
    double score_term = 0.0;   // summand of F_S at this frequency
    bool guarded = false;
};

// The constants of the equations for one pair, evaluated frequency by frequency so that no
// full-size kernel spectrum has to be stored. The arithmetic is written so that swapping the
// roles of N and R yields exactly swapped kernels (exact antisymmetry of D and S).
class Model {
  public:
    Model(const Weights& w, const Moments& m_n, const Moments& m_r, bool kernel_guard);

    // pn, pr: transforms of the unit-sum PSFs centred at [0, 0]; fx, fy in cycles per pixel.
    // Inline: the per-frequency loops use a part of the result each, and the compiler drops
    // the rest.
    AtFrequency at(Complex pn, Complex pr, double fx, double fy) const {
        return at(pn, pr, fx, fy, inverse_delta(pn, pr));
    }
    // The same with 1 / Delta given (inverse_delta of the same pn, pr): the root and the
    // division, computed for a whole row of frequencies first, vectorise.
    AtFrequency at(Complex pn, Complex pr, double fx, double fy, double inv_delta) const;
    // 1 / Delta (eq. 13), 0 where Delta^2 is not > 0 (at() does not use it there).
    double inverse_delta(Complex pn, Complex pr) const;

    double flux_zero_point() const { return flux_zero_point_; }  // F_D, eq. 15

  private:
    AtFrequency guarded_at(double fx, double fy) const;  // the guard's k_N and k_R only

    Weights w_;
    Moments m_n_, m_r_;
    bool guard_;
    double a_n_, a_r_, root_a_, flux_product2_, score_coef_n_, score_coef_r_;
    double flux_zero_point_;
};

// Signed offset of index k on a periodic axis of n samples: 0 .. n/2, then -(n - 1 - n/2) ..
// -1 (numpy's fftfreq order, and where a kernel centred at [0, 0] keeps its left half).
long long signed_index(std::size_t k, std::size_t n);

// Signed frequency (cycles per pixel) of index k on an axis of n samples, numpy's fftfreq.
double frequency(std::size_t k, std::size_t n);

// Weight of half-spectrum column kx in a full-spectrum sum: 2 except for the columns that
// stand for themselves (0 and, for even n, the Nyquist column).
double column_weight(std::size_t kx, std::size_t cols);

// Complex product with a fixed operation order (the same bits when the roles swap).
inline Complex mul(Complex a, Complex b) {
    // Written out rather than std::complex's operator*, which adds NaN recovery branches and
    // leaves the operation order to the library.
    return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

inline double norm2(Complex a) { return a.real() * a.real() + a.imag() * a.imag(); }

inline double Model::inverse_delta(Complex pn, Complex pr) const {
    const double delta2 = a_n_ * norm2(pr) + a_r_ * norm2(pn);  // Delta^2
    return delta2 > 0.0 ? 1.0 / std::sqrt(delta2) : 0.0;
}

inline AtFrequency Model::at(Complex pn, Complex pr, double fx, double fy,
                             double inv_delta) const {
    const double pn2 = norm2(pn);
    const double pr2 = norm2(pr);
    const double delta2 = a_n_ * pr2 + a_r_ * pn2;  // Delta^2, as in inverse_delta()
    constexpr double tau2 = kGuardThreshold * kGuardThreshold;
    const bool guarded = guard_ && (pn2 < tau2 || pr2 < tau2);
    if (!(delta2 > 0.0)) return guarded ? guarded_at(fx, fy) : AtFrequency{};
    // One root and one division per frequency (inv_delta). Every factor below is symmetric in
    // the roles, so swapping N and R still swaps the kernels exactly; |P|^2 / Delta^2 is formed
    // as (|P|^2 / Delta) / Delta, which cannot overflow (|P|^2 <= Delta^2 / a).
    // Every member written once (no zero-filled temporary: this runs per frequency).
    AtFrequency k{
        pr * (w_.flux_r * inv_delta),  // eq. 13: k_N = F_R P_R / Delta
        pn * (w_.flux_n * inv_delta),  //         k_R = F_N P_N / Delta
        // Score kernels (eq. 12/17): F_N F_R^2 conj(P_N) |P_R|^2 / Delta^2 and twin.
        std::conj(pn) * (score_coef_n_ * ((pr2 * inv_delta) * inv_delta)),
        std::conj(pr) * (score_coef_r_ * ((pn2 * inv_delta) * inv_delta)),
        // PSF of D (eq. 14): sqrt(a_N + a_R) P_N P_R / Delta.
        mul(pn, pr) * (root_a_ * inv_delta),
        flux_product2_ * (((pn2 * pr2) * inv_delta) * inv_delta),
        false,
    };
    if (guarded) {
        const AtFrequency g = guarded_at(fx, fy);
        k.k_n = g.k_n;
        k.k_r = g.k_r;
        k.guarded = true;
    }
    return k;
}

}  // namespace zogy::kernels
