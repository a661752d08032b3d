// The whole subtraction, its options and outputs. subtract.cpp runs it as named stages whose
// arithmetic lives in inputs, geometry, difference, psf_d, kernel_grid, mask, variance_planes and
// output_rows (planes handed between stages through plane_pool.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "inputs.hpp"
#include "padding.hpp"
#include "view.hpp"

namespace zogy {

struct SubtractOptions {
    std::uint64_t seed = 0;
    padding::FillMode fill = padding::FillMode::Noise;
    padding::SizeRule size_rule = padding::SizeRule::Smooth;
    long long border_y = -1;  // < 0: the default rule
    long long border_x = -1;
    bool kernel_guard = true;
    bool blank_grown = false;  // also blank (NaN / 0) the pixels near bad ones (kNearBad)
    // false (default): V_D and V_S from kernels on the smallest grid certified to keep them
    // within 1e-6 relative of the full grid's (D, S, S_corr's numerator and the mask are
    // unchanged); true: the full grid, exact to round-off
    bool exact_variance = false;
    int threads = 1;
    // Spatial-grid cells (DESIGN section 5): the cell's padding frame and the whole exposure's
    // statistics, so a padded pixel gets the same value in every cell and in the whole image.
    std::optional<padding::CellFrame> cell;
    std::optional<ImageSummary> science_summary, reference_summary;
};

// An output image subtract() allocates: `view` (inner shape, row-major) points into `memory`.
struct OwnedPlane {
    std::shared_ptr<double> memory;
    MutView view;
};

// The outputs: the seven images are subtract()'s own (D and S, and V_D, V_S when the kernels
// need the full grid, are their transform planes compacted in place: no copy; the others are
// written straight in the inner shape); psf (the science PSF's stamp shape) and mask (inner
// shape) are the caller's buffers. And the scalars the subtraction fills in.
struct SubtractOutputs {
    OwnedPlane difference, difference_variance, score, score_variance, scorr, flux, flux_err;
    MutView psf;
    std::uint8_t* mask = nullptr;

    double flux_zero_point = 0.0;
    double score_normalisation = 0.0;
    std::size_t guarded_frequencies = 0;
    std::array<std::size_t, 2> grow_radius{};  // footprint radius used around bad pixels
    padding::Geometry geometry;
    std::array<ImageSummary, 2> images;  // science, reference
};

// Mask bits of the output (the Python layer reads them as `_core.MASK_*`).
constexpr std::uint8_t kScienceBad = 1;
constexpr std::uint8_t kReferenceBad = 2;
constexpr std::uint8_t kEdge = 4;     // the edge band on request, set by the Python layer
constexpr std::uint8_t kNearBad = 8;  // within the kernel footprint of a bad pixel

// The footprint of a kernel holds all but this fraction of its energy sum(k^2).
constexpr double kFootprintTail = 1e-3;

void subtract(const ImageInput& science, const ImageInput& reference,
              const SubtractOptions& options, SubtractOutputs& out);

}  // namespace zogy
