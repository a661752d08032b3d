#include "padding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "errors.hpp"

namespace zogy::padding {

FillMode parse_fill_mode(const std::string& name) {
    if (name == "noise") return FillMode::Noise;
    if (name == "zero") return FillMode::Zero;
    if (name == "constant") return FillMode::Constant;
    throw InvalidArgument("padding: unknown mode '" + name +
                          "'; use 'noise', 'zero' or 'constant'");
}

SizeRule parse_size_rule(const std::string& name) {
    if (name == "smooth") return SizeRule::Smooth;
    if (name == "pow2") return SizeRule::Pow2;
    throw InvalidArgument("fft_size: unknown rule '" + name + "'; use 'smooth' or 'pow2'");
}

std::size_t smooth_size(std::size_t n) {
    if (n <= 1) return 1;
    for (std::size_t candidate = n;; ++candidate) {
        std::size_t rest = candidate;
        for (std::size_t p : {2, 3, 5, 7}) {
            while (rest % p == 0) rest /= p;
        }
        if (rest == 1) return candidate;
    }
}

std::size_t pow2_size(std::size_t n) {
    std::size_t size = 1;
    while (size < n) size *= 2;
    return size;
}

std::size_t padded_size(std::size_t n, SizeRule rule) {
    return rule == SizeRule::Smooth ? smooth_size(n) : pow2_size(n);
}

Geometry make_geometry(std::size_t inner_rows, std::size_t inner_cols, std::size_t border_y,
                       std::size_t border_x, SizeRule rule) {
    return make_cell_geometry(inner_rows, inner_cols,
                              CellFrame{border_y, border_y, border_x, border_x, 0, 0}, rule);
}

Geometry make_cell_geometry(std::size_t inner_rows, std::size_t inner_cols,
                            const CellFrame& frame, SizeRule rule) {
    // Refuse sizes whose buffers could not be addressed, before anything is allocated; compared
    // without forming inner + borders, which could wrap around for huge borders.
    constexpr std::size_t kMaxSide = std::size_t{1} << 20;
    auto fits = [](std::size_t inner, std::size_t a, std::size_t b) {
        return inner <= kMaxSide && a <= kMaxSide - inner && b <= kMaxSide - inner - a;
    };
    if (!fits(inner_rows, frame.top, frame.bottom) || !fits(inner_cols, frame.left, frame.right)) {
        throw InvalidArgument("border: padded size above 2^20 pixels per side; use a smaller "
                              "border or image");
    }
    Geometry g;
    g.inner_rows = inner_rows;
    g.inner_cols = inner_cols;
    g.border_y = frame.top;
    g.border_x = frame.left;
    g.rows = padded_size(inner_rows + frame.top + frame.bottom, rule);
    g.cols = padded_size(inner_cols + frame.left + frame.right, rule);
    g.origin_y = frame.origin_y;
    g.origin_x = frame.origin_x;
    return g;
}

namespace {

double fill_value(const Fill& fill, std::int64_t y, std::int64_t x, bool inside) {
    switch (fill.mode) {
        case FillMode::Noise:
            return fill.mean +
                   std::sqrt(fill.noise_weight) * rng::normal_at(fill.key, rng::pixel_counter(y, x));
        case FillMode::Constant:
            return fill.mean;
        case FillMode::Zero:
            // A 0 hole inside a sky of level m would ring through the kernels: bad pixels
            // inside the image get m, the padding 0.
            return inside ? fill.mean : 0.0;
    }
    return 0.0;
}

}  // namespace

void pad_image(ConstView image, const std::uint8_t* bad, const Geometry& g, const Fill& fill,
               double* out, std::size_t stride) {
    if (stride == 0) stride = g.cols;
    for (std::size_t i = 0; i < g.rows; ++i) {
        const auto y = static_cast<std::int64_t>(i) - static_cast<std::int64_t>(g.border_y);
        const bool row_inside = y >= 0 && y < static_cast<std::int64_t>(g.inner_rows);
        for (std::size_t j = 0; j < g.cols; ++j) {
            const auto x = static_cast<std::int64_t>(j) - static_cast<std::int64_t>(g.border_x);
            const bool inside = row_inside && x >= 0 && x < static_cast<std::int64_t>(g.inner_cols);
            double& target = out[i * stride + j];
            // Noise is keyed by the exposure coordinate, not the position in this grid.
            const std::int64_t ey = y + g.origin_y, ex = x + g.origin_x;
            if (inside) {
                const std::size_t k = static_cast<std::size_t>(y) * g.inner_cols +
                                      static_cast<std::size_t>(x);
                target = bad[k] ? fill_value(fill, ey, ex, true) : image.data[k];
            } else {
                target = fill_value(fill, ey, ex, false);
            }
        }
    }
}

void pad_variance(ConstView variance, const std::uint8_t* bad, const Geometry& g,
                  double noise_weight, double* out, std::size_t stride) {
    if (stride == 0) stride = g.cols;
    for (std::size_t i = 0; i < g.rows; ++i) {
        std::fill(out + i * stride, out + i * stride + g.cols, noise_weight);
    }
    if (variance.data == nullptr) return;  // a constant plane: the noise weight everywhere
    for (std::size_t y = 0; y < g.inner_rows; ++y) {
        for (std::size_t x = 0; x < g.inner_cols; ++x) {
            const std::size_t k = y * g.inner_cols + x;
            if (!bad[k]) out[(y + g.border_y) * stride + x + g.border_x] = variance.data[k];
        }
    }
}

}  // namespace zogy::padding
