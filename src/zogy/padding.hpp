// Padding geometry and reproducible fill (DESIGN section 4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "rng.hpp"
#include "view.hpp"

namespace zogy::padding {

enum class FillMode { Noise, Zero, Constant };
enum class SizeRule { Smooth, Pow2 };

FillMode parse_fill_mode(const std::string& name);
SizeRule parse_size_rule(const std::string& name);

// Largest padded side: sizes whose buffers could not be addressed are refused before anything
// is allocated (the Python layer's checks read it as `_core.MAX_SIDE`).
constexpr std::size_t kMaxSide = std::size_t{1} << 20;

// Smallest n' >= n whose prime factors are 2, 3, 5 and 7 (FFTW's fast sizes).
std::size_t smooth_size(std::size_t n);
std::size_t pow2_size(std::size_t n);
std::size_t padded_size(std::size_t n, SizeRule rule);

struct Geometry {
    std::size_t inner_rows = 0, inner_cols = 0;
    std::size_t border_y = 0, border_x = 0;  // padding before the inner box (top, left)
    std::size_t rows = 0, cols = 0;          // padded shape
    // Exposure coordinate of the inner box's pixel (0, 0): 0 for a whole image, the cell's
    // offset for a spatial-grid cell, so a padded pixel's noise is the same in both.
    std::int64_t origin_y = 0, origin_x = 0;
};

// The same border on both sides of each axis, for a whole image.
Geometry make_geometry(std::size_t inner_rows, std::size_t inner_cols, std::size_t border_y,
                       std::size_t border_x, SizeRule rule);

// A grid cell: padding only where its outer box leaves the exposure, so each side differs.
struct CellFrame {
    std::size_t top = 0, bottom = 0, left = 0, right = 0;
    std::int64_t origin_y = 0, origin_x = 0;
};
Geometry make_cell_geometry(std::size_t inner_rows, std::size_t inner_cols,
                            const CellFrame& frame, SizeRule rule);

// What an image's fill needs: its statistics, the Philox key and which pixels are bad.
struct Fill {
    FillMode mode = FillMode::Noise;
    double mean = 0.0;          // m: clipped mean of the good pixels
    double noise_weight = 0.0;  // sigma^2
    rng::Key key{};
};

// Writes the padded image (geometry.rows x geometry.cols) into `out`. Good pixels are copied;
// bad pixels and the padding get the fill value of docs/algorithm.md, whose noise depends only
// on (key, exposure coordinate): the order in which pixels are filled cannot matter.
// `stride` is the distance between output rows in doubles (0: geometry.cols).
void pad_image(ConstView image, const std::uint8_t* bad, const Geometry& geometry,
               const Fill& fill, double* out, std::size_t stride = 0);

// Padded variance plane: the variance at good pixels, sigma^2 at bad pixels and in the padding
// (sigma^2 everywhere when variance.data is null).
void pad_variance(ConstView variance, const std::uint8_t* bad, const Geometry& geometry,
                  double noise_weight, double* out, std::size_t stride = 0);

// Pixels x0 .. x0 + count - 1 of row y of pad_variance's plane, both taken modulo the padded
// shape: the plane as a circular convolution sees it, for windows that cross its edges.
void variance_row(ConstView variance, const std::uint8_t* bad, const Geometry& geometry,
                  double noise_weight, std::int64_t y, std::int64_t x0, std::size_t count,
                  double* out);

}  // namespace zogy::padding
