#include "scaling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "errors.hpp"

namespace zogy::scaling {

namespace {

constexpr std::size_t kSample = 8192;

bool good(const ImageInput& in, std::size_t i) {
    return (in.mask == nullptr || in.mask[i] == 0) && std::isfinite(in.image.data[i]);
}

// Up to kSample values of `plane` at good pixels, evenly strided: deterministic.
std::vector<double> sample(const ImageInput& in, const double* plane) {
    const std::size_t n = in.image.size();
    const std::size_t step = std::max<std::size_t>(1, n / kSample);
    std::vector<double> values;
    for (std::size_t i = 0; i < n; i += step) {
        if (good(in, i) && std::isfinite(plane[i])) values.push_back(plane[i]);
    }
    return values;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0.0;
    const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    return *mid;
}

// 2^e nearest to x > 0 from below by at most a factor 2, without forming x^2.
int log2_floor(double x) {
    int e = 0;
    std::frexp(x, &e);
    return e - 1;
}

// k for noise sigma ~ 2^e: 0 within the ordinary range.
int exponent_for_log2_sigma(int e) { return std::abs(e) <= kOrdinary ? 0 : -e; }

}  // namespace

int exponent_for_variance(double variance) {
    if (!(variance > 0.0) || !std::isfinite(variance)) return 0;  // the checks say why
    return exponent_for_log2_sigma(log2_floor(variance) / 2);
}

int exponent(const ImageInput& in) {
    if (in.variance.data != nullptr) {
        return exponent_for_variance(median(sample(in, in.variance.data)));
    }
    std::vector<double> values = sample(in, in.image.data);
    const double centre = median(values);
    for (double& v : values) v = std::fabs(v - centre);
    double sigma = median(values);
    if (!(sigma > 0.0) && !values.empty()) sigma = *std::max_element(values.begin(), values.end());
    if (!(sigma > 0.0) || !std::isfinite(sigma)) return 0;
    return exponent_for_log2_sigma(log2_floor(sigma));
}

Scaled scaled(const ImageInput& in, int k, const std::string& role) {
    Scaled s;
    const std::size_t n = in.image.size();
    s.image.resize(n);
    bool representable = true;
    for (std::size_t i = 0; i < n; ++i) {
        s.image[i] = std::ldexp(in.image.data[i], k);
        representable &= !good(in, i) || std::isfinite(s.image[i]);
    }
    s.input = in;
    s.input.image = {s.image.data(), in.image.rows, in.image.cols};
    if (in.variance.data != nullptr) {
        s.variance.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            s.variance[i] = std::ldexp(in.variance.data[i], 2 * k);
            representable &= !good(in, i) || std::isfinite(s.variance[i]);
        }
        s.input.variance = {s.variance.data(), in.variance.rows, in.variance.cols};
    }
    s.input.flux_scale = std::ldexp(in.flux_scale, k);
    if (!representable || !std::isfinite(s.input.flux_scale) || !(s.input.flux_scale > 0.0)) {
        throw NumericalError(role +
                             ": its pixel values span more than the double range around "
                             "its noise (scaled by 2^" +
                             std::to_string(k) +
                             " to bring the noise near 1, some overflow); clip or rescale them");
    }
    return s;
}

int common_flux_exponent(int k_n, int k_r) { return -(k_n + k_r) / 2; }

void rescale(double* values, std::size_t n, int power, const std::string& name) {
    bool representable = true;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = std::ldexp(values[i], power);
        // Neither overflow nor a nonzero value lost to underflow (silent zeros).
        representable &= (std::isfinite(v) || !std::isfinite(values[i])) &&
                         (values[i] == 0.0 || !std::isfinite(values[i]) ||
                          std::fabs(v) >= std::numeric_limits<double>::min());
        values[i] = v;
    }
    if (!representable) {
        throw NumericalError(name +
                             ": values beyond the double range in the inputs' units (the "
                             "noise is too far from the signal); rescale the inputs");
    }
}

ImageSummary unscaled(ImageSummary s, int k, const std::string& role) {
    if (k == 0) return s;
    s.noise_weight = std::ldexp(s.noise_weight, -2 * k);
    s.fill_mean = std::ldexp(s.fill_mean, -k);
    if (!std::isnormal(s.noise_weight) || !std::isfinite(s.fill_mean)) {
        throw NumericalError(role +
                             ": its noise variance cannot be represented in double "
                             "precision (it is about 2^" +
                             std::to_string(-2 * k) + "); rescale the image and its variance");
    }
    return s;
}

}  // namespace zogy::scaling
