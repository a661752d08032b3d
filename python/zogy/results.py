"""The vocabulary :mod:`zogy.api` and :mod:`zogy.grid` share: option names, mask bits, the
padding-key rule and the result classes (neither module imports the other for them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _core, rng

__all__ = [
    "FFT_SIZE_RULES",
    "MASK_EDGE",
    "MASK_NEAR_BAD",
    "MASK_REFERENCE_BAD",
    "MASK_SCIENCE_BAD",
    "PADDING_MODES",
    "GridCell",
    "GridResult",
    "ZogyResult",
    "flag_edge",
]

PADDING_MODES = ("noise", "zero", "constant")
FFT_SIZE_RULES = ("smooth", "pow2")

#: Bits of :attr:`ZogyResult.mask` (defined once, in the core's subtract.hpp).
MASK_SCIENCE_BAD = _core.MASK_SCIENCE_BAD
MASK_REFERENCE_BAD = _core.MASK_REFERENCE_BAD
MASK_EDGE = _core.MASK_EDGE  # set here, by flag_edge
MASK_NEAR_BAD = _core.MASK_NEAR_BAD


class _PaddingKeys:
    """The padding-key rule of a result holding ``seed`` and the two digests ``keys``. A mixin
    without fields: each result class keeps its own documented field order."""

    def padding_key(self, image: str = "science") -> int:
        """Philox key (numpy convention) of the padding of ``"science"`` or ``"reference"``:
        ``seed + (digest << 64)``."""
        index = {"science": 0, "reference": 1}[image]
        return rng.padding_key(self.seed, self.keys[index])


@dataclass(frozen=True)
class ZogyResult(_PaddingKeys):
    """Outputs of :func:`subtract`, cropped to the input shape.

    Attributes
    ----------
    difference : ndarray
        D / F_D, the difference image in the science image's flux units (white noise).
    difference_variance : ndarray
        Variance of ``difference`` per pixel.
    psf : ndarray
        P_D, the PSF of the difference, on the science PSF's stamp shape, unit sum.
    flux_zero_point : float
        F_D (paper eq. 15).
    score, score_variance : ndarray
        S (paper eq. 12) and its variance V_S.
    scorr : ndarray
        S / sqrt(V_S), the corrected detection score (0 at bad pixels).
    flux, flux_err : ndarray
        PSF-photometry flux alpha = S / F_S of a point source centred at each pixel, and its
        1-sigma error.
    mask : ndarray of uint8
        Bit 1: science pixel bad (non-finite or masked); bit 2: reference pixel bad
        (``difference``, the variances, ``score`` and ``flux`` are NaN there); bit 4: within
        ``edge_width`` pixels of the image edge, where the padding still matters (values kept);
        bit 8: within ``grow_radius`` of a bad pixel, where its synthetic fill reaches through
        the kernels (values kept unless ``blank_near_bad``).
    grow_radius : tuple of int
        Radius (Chebyshev, pixels) of the science and reference kernel footprints used to grow
        bit 8: the D and S kernels of that image hold all but 1e-3 of their energy within it
        (0 for an image without bad pixels).
    padded_shape : tuple of int
        Shape of the FFT grid.
    border : tuple of int
        Padding border (rows, columns) on each side.
    keys : tuple of int
        64-bit content digests of the science and reference images. The Philox key of an
        image's padding is ``seed + (digest << 64)`` (see :meth:`padding_key`).
    seed : int
        The padding seed.
    noise_weights : tuple of float
        sigma_N^2 and sigma_R^2 used in the kernels.
    fill_means : tuple of float
        Clipped means used as the padding level.
    padding : str
        Fill mode of the padding.
    score_normalisation : float
        F_S, so that ``flux = score / score_normalisation``.
    """

    difference: np.ndarray
    difference_variance: np.ndarray
    psf: np.ndarray
    flux_zero_point: float
    score: np.ndarray
    score_variance: np.ndarray
    scorr: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    mask: np.ndarray
    padded_shape: tuple[int, int]
    border: tuple[int, int]
    keys: tuple[int, int]
    seed: int
    noise_weights: tuple[float, float]
    fill_means: tuple[float, float]
    padding: str
    score_normalisation: float
    grow_radius: tuple[int, int]


def flag_edge(mask: np.ndarray, width: int) -> None:
    """Set MASK_EDGE on the pixels closer than ``width`` to any image edge."""
    if width <= 0:
        return
    for band in (mask[:width], mask[-width:], mask[:, :width], mask[:, -width:]):
        band |= MASK_EDGE


@dataclass(frozen=True)
class GridCell:
    """One cell of a spatial grid.

    Attributes
    ----------
    index : int
        Position in row-major cell order.
    inner : (y0, y1, x0, x1)
        Inner box (half-open ranges, exposure pixels).
    outer : (y0, y1, x0, x1)
        Outer box clipped to the exposure: the cutout that was subtracted.
    frame : (top, bottom, left, right, origin_y, origin_x)
        Padding on each side of the cutout (only where the outer box leaves the exposure) and
        the exposure coordinate of the cutout's pixel (0, 0), as passed to the core.
    centre : (x, y)
        Centre of the inner box (x column, y row; pixel centres are integers), where a PSF
        callable was evaluated.
    psf : ndarray
        P_D of this cell (science stamp shape, unit sum); NaN when the cell was skipped.
    flux_zero_point : float
        F_D of this cell. It depends on the noise weights and flux scales only, which are the
        whole exposure's, so it is the same in every cell.
    score_normalisation : float
        F_S of this cell (it depends on the cell's PSFs): ``flux = score / F_S`` in the cell.
    padded_shape : (int, int)
        FFT grid of this cell; (0, 0) when the cell was skipped.
    grow_radius : (int, int)
        Radii used around bad science and reference pixels (mask bit 8) in this cell.
    skipped : bool
        Every pixel of the science or reference cutout is bad: nothing was subtracted and the
        cell's pixels hold NaN (0 in ``scorr``) with mask bits 1 or 2, and 8.
    """

    index: int
    inner: tuple[int, int, int, int]
    outer: tuple[int, int, int, int]
    frame: tuple[int, int, int, int, int, int]
    centre: tuple[float, float]
    psf: np.ndarray
    flux_zero_point: float
    score_normalisation: float
    padded_shape: tuple[int, int]
    grow_radius: tuple[int, int]
    skipped: bool = False


@dataclass(frozen=True)
class GridResult(_PaddingKeys):
    """Outputs of :func:`subtract_grid`, stitched from the cells.

    The array attributes mean what they mean in :class:`zogy.ZogyResult`; inside each inner
    box they come from that cell's PSFs. ``difference`` is D / F_D (flux units, white noise) and
    ``flux`` is S / F_S with the cell's F_S, so both stitch in common units.

    Attributes
    ----------
    difference, difference_variance, score, score_variance, scorr, flux, flux_err : ndarray
    mask : ndarray of uint8
        Bits 1, 2, 4, 8 as in :class:`zogy.ZogyResult` (OR over the cells blended at a pixel).
    cells : list of GridCell
        Every cell in row-major order (``cells[i].index == i``).
    grid_shape : (int, int)
        Cells per column and per row.
    border : (int, int)
        Border (rows, columns) of every cell's outer box around its inner box.
    grid_inner_size : (int, int)
        Nominal inner box (rows, columns); the last row and column of cells take the remainder.
    blend : (int, int)
        Half-width of the bands over which neighbouring cells are blended (0: hard seams).
    seam : (float, float)
        Largest disagreement between a cell and the stitched outputs on the ring of pixels just
        outside the part the cell contributed: ``max |difference_cell - difference| /
        sqrt(difference_variance)`` and ``max |scorr_cell - scorr|`` (0 for a single cell).
        With a constant PSF this is the truncation error of the border; with a varying PSF it
        also holds the change of the PSF from cell to cell.
    keys : (int, int)
        Digests of the whole science and reference exposures (Philox keys, as in ZogyResult).
    seed : int
    noise_weights, fill_means : (float, float)
        The whole exposure's statistics, used by every cell.
    padding : str
    """

    difference: np.ndarray
    difference_variance: np.ndarray
    score: np.ndarray
    score_variance: np.ndarray
    scorr: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    mask: np.ndarray
    cells: list
    grid_shape: tuple[int, int]
    border: tuple[int, int]
    grid_inner_size: tuple[int, int]
    blend: tuple[int, int]
    seam: tuple[float, float]
    keys: tuple[int, int]
    seed: int
    noise_weights: tuple[float, float]
    fill_means: tuple[float, float]
    padding: str
