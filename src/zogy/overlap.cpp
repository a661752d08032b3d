#include "overlap.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "errors.hpp"
#include "kernels.hpp"
#include "parallel.hpp"

namespace zogy::overlap {

void pair_products(const fft::Complex* ka, const fft::Complex* kb, const fft::Complex* kc,
                   const fft::Complex* kd, fft::Complex* x_to_a, fft::Complex* y_to_b,
                   std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const fft::Complex x = x_to_a[i], y = y_to_b[i];
        x_to_a[i] = kernels::mul(ka[i], x) + kernels::mul(kb[i], y);
        y_to_b[i] = kernels::mul(kc[i], x) + kernels::mul(kd[i], y);
    }
}

namespace {

// Smallest n' >= n of the form 2^a * m, m in {1, 3, 5, 7}. FFTW_ESTIMATE's plans for 2-D sizes
// with repeated odd factors are slow in cache: 432 (2^4 3^3) and 450 took 1.5x the time per
// value of 448 (2^6 7) and 512, measured side by side.
std::size_t fast_side(std::size_t n) {
    for (std::size_t candidate = std::max<std::size_t>(n, 1);; ++candidate) {
        std::size_t odd = candidate;
        while (odd % 2 == 0) odd /= 2;
        if (odd == 1 || odd == 3 || odd == 5 || odd == 7) return candidate;
    }
}

// The tiles' grid.
struct Tiling {
    std::size_t tile_rows, tile_cols;  // outputs per tile (the last ones may be cut off)
    std::size_t across, down;          // tiles per row of tiles, rows of tiles
    std::size_t count() const { return across * down; }
};

}  // namespace

std::size_t tile_side(std::size_t extent, std::size_t kernel) {
    // 512^2 transforms run at 4-6 ns a value on one core from cache, whole 4200^2 planes at
    // 13: tiles of a few kernels' width pay for their overlap several times over.
    const std::size_t whole = extent + kernel - 1;
    const std::size_t largest = fast_side(std::max<std::size_t>(4 * kernel, 512));
    if (whole <= largest) return fast_side(whole);
    // As few tiles as the largest side allows, shared out evenly: a last tile with a few
    // outputs would cost as much as a full one.
    const std::size_t tiles = (extent + largest - kernel) / (largest - kernel + 1);
    return fast_side((extent + tiles - 1) / tiles + kernel - 1);
}

void convolve_pair(const Kernels& kernels, std::size_t rows, std::size_t cols,
                   const RowSource& source, const TileSink& sink, int threads) {
    const std::size_t kr = kernels.k[0].rows, kc = kernels.k[0].cols;
    for (const ConstView& k : kernels.k) {
        if (k.rows != kr || k.cols != kc || k.data == nullptr || kr == 0 || kc == 0) {
            throw InvalidArgument("convolve_pair: the four kernels must share one non-empty shape");
        }
    }
    if (rows == 0 || cols == 0) return;
    const auto plan = fft::cached_plan(tile_side(rows, kr), tile_side(cols, kc));
    const Tiling t{plan->rows() - kr + 1,
                   plan->cols() - kc + 1,
                   (cols + plan->cols() - kc) / (plan->cols() - kc + 1),
                   (rows + plan->rows() - kr) / (plan->rows() - kr + 1)};

    // The kernels' spectra on the tile grid, each kernel at [0, 0] .. [kr, kc): a tile's
    // output row j then holds the sum for input rows j - kr + 1 .. j of the tile.
    std::vector<fft::Plane> spectra;
    for (int i = 0; i < 4; ++i) spectra.emplace_back(*plan);
    parallel_for(4, threads, [&](std::size_t i) {
        fft::Plane& s = spectra[i];
        s.fill_real(0.0);
        for (std::size_t y = 0; y < kr; ++y) {
            std::copy(kernels.k[i].data + y * kc, kernels.k[i].data + (y + 1) * kc, &s.at(y, 0));
        }
        s.forward();
    });

    // Each worker keeps two planes for its tiles; which worker takes which tile changes
    // nothing, as every plane has the same alignment.
    std::atomic<std::size_t> next{0};
    const std::size_t workers = std::min<std::size_t>(
        t.count(), threads > 1 ? static_cast<std::size_t>(threads) : 1);
    parallel_for(workers, threads, [&](std::size_t) {
        fft::Plane x(*plan), y(*plan);
        for (std::size_t i = next++; i < t.count(); i = next++) {
            const std::size_t y0 = (i / t.across) * t.tile_rows;
            const std::size_t x0 = (i % t.across) * t.tile_cols;
            // Input rows y0 + cy - (kr - 1) on, columns likewise: output (y0, x0) lands at
            // [kr - 1, kc - 1] of the tile.
            const std::int64_t in_y = static_cast<std::int64_t>(y0 + kernels.cy) -
                                      static_cast<std::int64_t>(kr - 1);
            const std::int64_t in_x = static_cast<std::int64_t>(x0 + kernels.cx) -
                                      static_cast<std::int64_t>(kc - 1);
            for (std::size_t r = 0; r < plan->rows(); ++r) {
                source(0, in_y + static_cast<std::int64_t>(r), in_x, plan->cols(), &x.at(r, 0));
                source(1, in_y + static_cast<std::int64_t>(r), in_x, plan->cols(), &y.at(r, 0));
            }
            x.forward();
            y.forward();
            pair_products(spectra[0].spectrum(), spectra[1].spectrum(), spectra[2].spectrum(),
                          spectra[3].spectrum(), x.spectrum(), y.spectrum(),
                          plan->spectrum_size());
            x.inverse_unscaled();
            y.inverse_unscaled();
            sink(y0, x0, std::min(t.tile_rows, rows - y0), std::min(t.tile_cols, cols - x0),
                 &x.at(kr - 1, kc - 1), &y.at(kr - 1, kc - 1), x.stride(), plan->scale());
        }
    });
}

}  // namespace zogy::overlap
