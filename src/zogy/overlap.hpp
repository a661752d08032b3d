// Convolution with small kernels by overlap-save on tiles (the variance planes of D and S).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "fft.hpp"
#include "view.hpp"

namespace zogy::overlap {

// a = ka * x + kb * y and b = kc * x + kd * y frequency by frequency over n values, into the
// arrays of x and y: the first term, then the second added (a + b, in this order, so swapping
// the roles of the two inputs with their kernels gives the same bits).
void pair_products(const fft::Complex* ka, const fft::Complex* kb, const fft::Complex* kc,
                   const fft::Complex* kd, fft::Complex* x_to_a, fft::Complex* y_to_b,
                   std::size_t n);

// Values of the two inputs: `count` pixels of row y of input `which` (0 or 1) from column x0
// on. Any integers: the source defines its planes beyond their edges (e.g. circularly).
using RowSource = std::function<void(std::size_t which, std::int64_t y, std::int64_t x0,
                                     std::size_t count, double* out)>;
// One tile of both outputs: rows [y0, y0 + rows) x columns [x0, x0 + cols), row r of a
// output at a + r * stride. Values are `scale` times the output (the inverse transform's
// scale, left to the sink so that it is applied once with whatever else it does).
using TileSink = std::function<void(std::size_t y0, std::size_t x0, std::size_t rows,
                                    std::size_t cols, const double* a, const double* b,
                                    std::size_t stride, double scale)>;

// Four kernels of one shape; pixel (cy, cx) of each is its origin.
struct Kernels {
    std::array<ConstView, 4> k;
    std::size_t cy = 0, cx = 0;
};

// a(y, x) = sum over (u, v) of k0(u, v) x(y + cy - u, x + cx - v) + the same with k1 and input
// 1, and b likewise with k2 and k3, for 0 <= y < rows, 0 <= x < cols. Overlap-save: tiles of
// a fixed shape (tile_side) are transformed on their own, in cache, instead of whole planes;
// each tile's arithmetic depends only on its position, so the result is the same bits for any
// thread count and tile order. Same values as a full-plane FFT convolution to round-off.
void convolve_pair(const Kernels& kernels, std::size_t rows, std::size_t cols,
                   const RowSource& source, const TileSink& sink, int threads);

// Transform side of the tiles along an axis of `extent` outputs for kernels `kernel` wide:
// one tile for the whole axis when that is small, else as few tiles as sides of at most
// max(4 kernel, 512) allow, each an equal share of the outputs; sides are rounded up to
// 2^a m with m in {1, 3, 5, 7} (sizes FFTW_ESTIMATE plans well). Transforms that stay in
// cache, most of each tile used (per axis about 0.8 for 84-wide kernels on large images; at
// worst ~0.6 for an axis just over one tile's outputs).
std::size_t tile_side(std::size_t extent, std::size_t kernel);

}  // namespace zogy::overlap
