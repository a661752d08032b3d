#include "output_rows.hpp"

#include <cmath>
#include <limits>

namespace zogy::output_rows {

namespace {

// Plain distinct pointers and selects instead of branches: the loop is vectorised (the root of
// a V_S <= 0 is computed and not used).
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

}  // namespace

void to_output(const double* src, double* dst, std::size_t n, double scale, double divisor) {
    for (std::size_t x = 0; x < n; ++x) dst[x] = (src[x] * scale) / divisor;
}

void compact(fft::Plane& plane, const padding::Geometry& g, double scale, double divisor) {
    for (std::size_t y = 0; y < g.inner_rows; ++y) {
        to_output(inner_row(plane, g, y), plane.real() + y * g.inner_cols, g.inner_cols, scale,
                  divisor);
    }
}

void score_row(const double* s, const double* vs, double vs_scale, double vs_constant, double fs,
               double* scorr, double* flux, double* flux_err, std::size_t n) {
    if (vs == nullptr) {
        score_row_impl<true>(s, vs, vs_scale, vs_constant, fs, scorr, flux, flux_err, n);
    } else {
        score_row_impl<false>(s, vs, vs_scale, vs_constant, fs, scorr, flux, flux_err, n);
    }
}

}  // namespace zogy::output_rows
