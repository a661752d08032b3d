#include "geometry.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"

namespace zogy::geometry {

std::size_t default_border(double sigma, std::size_t stamp_n, std::size_t stamp_r) {
    return std::max<std::size_t>(static_cast<std::size_t>(std::ceil(10.0 * sigma)),
                                 std::max(stamp_n, stamp_r));
}

padding::Geometry choose(std::size_t rows, std::size_t cols, const inputs::Prepared& n,
                         const inputs::Prepared& r, long long border_y, long long border_x,
                         padding::SizeRule size_rule) {
    const double sigma =
        std::sqrt(std::max({n.moments.xx, n.moments.yy, r.moments.xx, r.moments.yy}));
    const std::size_t by = border_y >= 0 ? static_cast<std::size_t>(border_y)
                                         : default_border(sigma, n.psf_rows, r.psf_rows);
    const std::size_t bx = border_x >= 0 ? static_cast<std::size_t>(border_x)
                                         : default_border(sigma, n.psf_cols, r.psf_cols);
    return padding::make_geometry(rows, cols, by, bx, size_rule);
}

void check_memory(const padding::Geometry& g) {
    const double bytes = static_cast<double>(g.rows) * static_cast<double>(g.cols + 2) * 8.0 *
                         static_cast<double>(kPeakPlanes);
    const double available =
        static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    if (available > 0 && bytes > available) {
        const double gib = 1024.0 * 1024.0 * 1024.0;
        throw InvalidArgument(
            "science: a padded grid of " + std::to_string(g.rows) + "x" + std::to_string(g.cols) +
            " needs about " + std::to_string(static_cast<long long>(bytes / gib)) +
            " GiB but the machine has " + std::to_string(static_cast<long long>(available / gib)) +
            " GiB; subtract smaller cutouts or use a smaller border");
    }
}

}  // namespace zogy::geometry
