#include "padding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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

namespace {

// Writes the fill of padded columns [j0, j1) of one grid row (exposure row ey) into `row`:
// the padding outside the image, never a bad pixel inside it.
void fill_padding(const Fill& fill, const Geometry& g, std::int64_t ey, std::size_t j0,
                  std::size_t j1, double* row, std::vector<double>& noise) {
    if (j1 <= j0) return;
    if (fill.mode != FillMode::Noise) {
        std::fill(row + j0, row + j1, fill_value(fill, ey, 0, false));
        return;
    }
    // Noise is keyed by the exposure coordinate, not the position in this grid.
    const std::int64_t ex0 = static_cast<std::int64_t>(j0) -
                             static_cast<std::int64_t>(g.border_x) + g.origin_x;
    noise.resize(j1 - j0);
    rng::normals_along_row(fill.key, ey, ex0, j1 - j0, noise.data());
    const double sd = std::sqrt(fill.noise_weight);  // as in fill_value: the same bits
    for (std::size_t j = j0; j < j1; ++j) row[j] = fill.mean + sd * noise[j - j0];
}

}  // namespace

void pad_image(ConstView image, const std::uint8_t* bad, const Geometry& g, const Fill& fill,
               double* out, std::size_t stride) {
    if (stride == 0) stride = g.cols;
    std::vector<double> noise;
    for (std::size_t i = 0; i < g.rows; ++i) {
        const auto y = static_cast<std::int64_t>(i) - static_cast<std::int64_t>(g.border_y);
        const std::int64_t ey = y + g.origin_y;
        double* row = out + i * stride;
        if (y < 0 || y >= static_cast<std::int64_t>(g.inner_rows)) {
            fill_padding(fill, g, ey, 0, g.cols, row, noise);
            continue;
        }
        fill_padding(fill, g, ey, 0, g.border_x, row, noise);
        fill_padding(fill, g, ey, g.border_x + g.inner_cols, g.cols, row, noise);
        const std::size_t k0 = static_cast<std::size_t>(y) * g.inner_cols;
        for (std::size_t x = 0; x < g.inner_cols; ++x) {
            const std::int64_t ex = static_cast<std::int64_t>(x) + g.origin_x;
            row[g.border_x + x] = bad[k0 + x] ? fill_value(fill, ey, ex, true)
                                              : image.data[k0 + x];
        }
    }
}

void variance_row(ConstView variance, const std::uint8_t* bad, const Geometry& g,
                  double noise_weight, std::int64_t y, std::int64_t x0, std::size_t count,
                  double* out) {
    const auto wrap = [](std::int64_t v, std::size_t n) {
        const auto m = static_cast<std::int64_t>(n);
        return static_cast<std::size_t>(((v % m) + m) % m);
    };
    const std::size_t py = wrap(y, g.rows);
    // A constant plane (no variance given) is the noise weight everywhere.
    if (variance.data == nullptr || py < g.border_y || py - g.border_y >= g.inner_rows) {
        std::fill(out, out + count, noise_weight);
        return;
    }
    const std::size_t k0 = (py - g.border_y) * g.inner_cols;
    const std::size_t inner_end = g.border_x + g.inner_cols;
    // Runs up to the plane's right edge, each split into left border, inner part, right border.
    for (std::size_t done = 0, px = wrap(x0, g.cols); done < count; px = 0) {
        const std::size_t run_end = std::min(g.cols, px + (count - done));
        const std::size_t a = std::min(std::max(px, g.border_x), run_end);
        const std::size_t b = std::min(std::max(px, inner_end), run_end);
        double* o = out + done;  // column px of this run
        std::fill(o, o + (a - px), noise_weight);
        if (b > a) {  // pointers into the inner row only when the run reaches it
            const double* v = variance.data + k0 + (a - g.border_x);  // from column a on
            const std::uint8_t* bad_a = bad + k0 + (a - g.border_x);
            double* o_a = o + (a - px);
            for (std::size_t j = 0; j < b - a; ++j) {
                const double value = v[j];  // loaded either way: a select, not a branch
                o_a[j] = bad_a[j] ? noise_weight : value;
            }
        }
        std::fill(o + (b - px), o + (run_end - px), noise_weight);
        done += run_end - px;
    }
}

void pad_variance(ConstView variance, const std::uint8_t* bad, const Geometry& g,
                  double noise_weight, double* out, std::size_t stride) {
    if (stride == 0) stride = g.cols;
    for (std::size_t i = 0; i < g.rows; ++i) {
        variance_row(variance, bad, g, noise_weight, static_cast<std::int64_t>(i), 0, g.cols,
                     out + i * stride);
    }
}

}  // namespace zogy::padding
