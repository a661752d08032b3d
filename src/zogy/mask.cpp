#include "mask.hpp"

#include <algorithm>
#include <vector>

namespace zogy::mask {

std::size_t footprint_radius(const double* kernel, std::size_t rows, std::size_t cols,
                             double tail, std::size_t stride) {
    if (stride == 0) stride = cols;
    // Energy per Chebyshev ring about [0, 0], with circular distances.
    const std::size_t max_radius = std::max(rows, cols) / 2 + 1;
    std::vector<double> ring(max_radius + 1, 0.0);
    double total = 0.0;
    for (std::size_t y = 0; y < rows; ++y) {
        const std::size_t dy = std::min(y, rows - y);
        for (std::size_t x = 0; x < cols; ++x) {
            const std::size_t dx = std::min(x, cols - x);
            const double e = kernel[y * stride + x] * kernel[y * stride + x];
            ring[std::max(dy, dx)] += e;
            total += e;
        }
    }
    if (!(total > 0.0)) return 0;
    double inside = 0.0;
    for (std::size_t r = 0; r <= max_radius; ++r) {
        inside += ring[r];
        if (inside >= (1.0 - tail) * total) return r;
    }
    return max_radius;
}

void grow(const std::uint8_t* bad, std::size_t rows, std::size_t cols, std::size_t radius,
          std::uint8_t bit, std::uint8_t* out) {
    // Separable square dilation: rows first, then columns, via distance to the nearest bad.
    std::vector<std::uint8_t> horizontal(rows * cols, 0);
    for (std::size_t y = 0; y < rows; ++y) {
        std::size_t last_bad = static_cast<std::size_t>(-1);  // none seen yet
        for (std::size_t x = 0; x < cols; ++x) {
            if (bad[y * cols + x]) last_bad = x;
            if (last_bad != static_cast<std::size_t>(-1) && x - last_bad <= radius) {
                horizontal[y * cols + x] = 1;
            }
        }
        last_bad = static_cast<std::size_t>(-1);
        for (std::size_t x = cols; x-- > 0;) {
            if (bad[y * cols + x]) last_bad = x;
            if (last_bad != static_cast<std::size_t>(-1) && last_bad - x <= radius) {
                horizontal[y * cols + x] = 1;
            }
        }
    }
    for (std::size_t x = 0; x < cols; ++x) {
        std::size_t last = static_cast<std::size_t>(-1);
        for (std::size_t y = 0; y < rows; ++y) {
            if (horizontal[y * cols + x]) last = y;
            if (last != static_cast<std::size_t>(-1) && y - last <= radius) out[y * cols + x] |= bit;
        }
        last = static_cast<std::size_t>(-1);
        for (std::size_t y = rows; y-- > 0;) {
            if (horizontal[y * cols + x]) last = y;
            if (last != static_cast<std::size_t>(-1) && last - y <= radius) out[y * cols + x] |= bit;
        }
    }
}

}  // namespace zogy::mask
