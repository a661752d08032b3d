"""The public subtraction API: validation and defaults in Python, numbers in C++."""

from __future__ import annotations

import numpy as np

from . import _core, _memory
from . import _validate as v
from ._subtract_core import CoreOptions, run_core
from .results import (  # noqa: F401  (the vocabulary, also reachable as zogy.api.*)
    FFT_SIZE_RULES,
    MASK_EDGE,
    MASK_NEAR_BAD,
    MASK_REFERENCE_BAD,
    MASK_SCIENCE_BAD,
    PADDING_MODES,
    ZogyResult,
    flag_edge,
)


def subtract(
    science,
    reference,
    science_psf,
    reference_psf,
    *,
    science_variance=None,
    reference_variance=None,
    science_mask=None,
    reference_mask=None,
    seed: int = 0,
    padding: str = "noise",
    border=None,
    fft_size: str = "smooth",
    flux_scales=(1.0, 1.0),
    kernel_guard: bool = True,
    edge_width: int = 0,
    blank_near_bad: bool = False,
    exact_variance: bool = False,
    grid: bool = False,
    grid_inner_size: int | None = None,
    threads: int | None = None,
) -> ZogyResult:
    """ZOGY proper image subtraction, science minus reference.

    Parameters
    ----------
    science, reference : array_like, shape (H, W)
        Images on the same pixel grid. Any real float dtype, byte order and stride; integer
        images are converted to float64. Non-finite pixels are treated as bad.
    science_psf, reference_psf : array_like, 2-D
        PSF stamps, centred at pixel ``(h // 2, w // 2)``, no larger than the image; normalised
        to unit sum here.
    science_variance, reference_variance : None, float or array_like (H, W)
        Per-pixel variance. None: a constant robust (MAD) estimate from the image.
    science_mask, reference_mask : None or array_like (H, W)
        Non-zero marks a bad pixel: excluded from statistics, filled reproducibly before the
        FFT, flagged in ``mask``.
    seed : int
        Padding seed, 0 <= seed < 2**64.
    padding : {"noise", "zero", "constant"}
        Fill of the padding: counter-based Gaussian noise around the image's clipped mean, zero,
        or the clipped mean.
    border : None, int or (int, int)
        Padding on each side; None: ``max(ceil(10 sigma_psf), PSF stamp size)``.
    fft_size : {"smooth", "pow2"}
        Padded size rule: smallest 2·3·5·7-smooth size, or a power of two (LSST's rule).
    flux_scales : (float, float)
        Photometric scalings (F_N, F_R).
    kernel_guard : bool
        Replace round-off ratios of PSF transforms by a smooth model (docs/algorithm.md). Turn
        off only to study the unguarded behaviour.
    edge_width : int
        Flag (mask bit 4) the pixels closer than this to the image edge: the band inside which
        the padding choice still changes the result (``zogy study padding`` measures it).
    blank_near_bad : bool
        Also set ``difference``, variances, ``score`` and ``flux`` to NaN and ``scorr`` to 0 on
        the pixels near a bad pixel (mask bit 8), not only on the bad pixels themselves.
    exact_variance : bool
        False (default): compute the variance planes (``difference_variance``,
        ``score_variance`` and so ``scorr``, ``flux_err``) from kernels on the smallest grid
        that keeps them within 1e-6 relative of the full-grid result (the grid grows with the
        variance planes' contrast and the kernels' tails; docs/algorithm.md). True: kernels on
        the full padded grid, exact to round-off, about 1.5-2x slower for non-constant
        variance planes (README's table). Everything else is the same bits either way.
    grid : bool
        Subtract on a spatial grid of cells (DESIGN section 5) and return a
        :class:`zogy.grid.GridResult`; the PSFs may then be callables ``psf(x, y)`` evaluated
        at each cell's centre. See :func:`zogy.grid.subtract_grid` for the cell options.
    grid_inner_size : None or int
        With ``grid``: the side of each cell's inner box (default: four borders, >= 64).
    threads : None or int
        Threads for independent transforms; results are bit-identical for any value.

    Returns
    -------
    ZogyResult

    Raises
    ------
    TypeError
        Complex, boolean or non-numeric arrays; non-integer seed.
    ValueError
        (:class:`zogy.InvalidArgument`) shapes, values or options that cannot be used; the
        message names the argument.
    """
    v.flags(grid=grid)  # before it is used: "no" or 1 would count as True
    if grid:
        from .grid import subtract_grid

        return subtract_grid(
            science, reference, science_psf, reference_psf, grid_inner_size=grid_inner_size,
            border=border, science_variance=science_variance,
            reference_variance=reference_variance, science_mask=science_mask,
            reference_mask=reference_mask, seed=seed, padding=padding, fft_size=fft_size,
            flux_scales=flux_scales, kernel_guard=kernel_guard, edge_width=edge_width,
            blank_near_bad=blank_near_bad, exact_variance=exact_variance, threads=threads,
        )  # fmt: skip
    if grid_inner_size is not None:
        raise v.InvalidArgument("grid_inner_size: only with grid=True")
    _memory.check_subtract(
        science, reference, (science, reference, science_variance, reference_variance),
        (science_mask, reference_mask), (science_psf, reference_psf),
        _lenient(v.border_pair, border, (-1, -1)), _lenient(v.choice, fft_size, "smooth",
                                                            FFT_SIZE_RULES, "fft_size"),
        _lenient(v.thread_count, threads, 1),
    )  # fmt: skip
    n, r, var_n, var_r, mask_n, mask_r = v.image_pair(
        science, reference, science_variance, reference_variance, science_mask, reference_mask
    )
    psf_n = v.float_array(science_psf, "science_psf")
    psf_r = v.float_array(reference_psf, "reference_psf")
    seed = v.seed_value(seed)
    padding = v.choice(padding, PADDING_MODES, "padding")
    fft_size = v.choice(fft_size, FFT_SIZE_RULES, "fft_size")
    border = v.border_pair(border)
    flux_scales = v.positive_pair(flux_scales, "flux_scales")
    threads = v.thread_count(threads)
    v.flags(kernel_guard=kernel_guard, exact_variance=exact_variance,
            blank_near_bad=blank_near_bad)
    edge_width = v.non_negative_int(edge_width, "edge_width")
    options = CoreOptions(seed, padding, fft_size, flux_scales, bool(kernel_guard),
                          bool(blank_near_bad), bool(exact_variance))

    out = run_core(n, r, psf_n, psf_r, variances=(var_n, var_r), masks=(mask_n, mask_r),
                   options=options, border=border, threads=threads)
    sci, ref = out["science"], out["reference"]
    flag_edge(out["mask"], edge_width)
    return ZogyResult(
        difference=out["difference"],
        difference_variance=out["difference_variance"],
        psf=out["psf"],
        flux_zero_point=out["flux_zero_point"],
        score=out["score"],
        score_variance=out["score_variance"],
        scorr=out["scorr"],
        flux=out["flux"],
        flux_err=out["flux_err"],
        mask=out["mask"],
        padded_shape=tuple(out["padded_shape"]),
        border=tuple(out["border"]),
        keys=(sci["digest"], ref["digest"]),
        seed=seed,
        noise_weights=(sci["noise_weight"], ref["noise_weight"]),
        fill_means=(sci["fill_mean"], ref["fill_mean"]),
        padding=padding,
        score_normalisation=out["score_normalisation"],
        grow_radius=tuple(out["grow_radius"]),
    )


def _lenient(check, value, fallback, *args):
    """check(value, *args), or `fallback` where it fails: the checks that follow say why."""
    try:
        return check(value, *args)
    except (TypeError, ValueError):
        return fallback


def pad(image, *, border, variance=None, mask=None, seed: int = 0, padding: str = "noise",
        fft_size: str = "smooth") -> np.ndarray:  # fmt: skip
    """The padded image exactly as :func:`subtract` hands it to the FFT.

    The inner image sits at ``[border_y:border_y + H, border_x:border_x + W]``; bad (masked or
    non-finite) pixels and the padding hold the fill of ``padding``. With the same image,
    variance, mask, seed and border as a :func:`subtract` call, this is that call's padded
    plane, so a padding realisation can be inspected or regenerated
    (``zogy.rng.normal(...)`` gives the same deviates).

    Parameters
    ----------
    image, variance, mask, seed, padding, fft_size
        As in :func:`subtract`.
    border : int or (int, int)
        Padding on each side (required: the default rule depends on the PSFs; use
        ``ZogyResult.border``).
    """
    data = v.float_array(image, "image")
    plane = v.variance_plane(variance, data.shape, "variance")
    bad = v.mask_plane(mask, data.shape, "mask")
    border_y, border_x = v.border_pair(border)
    if border_y < 0:
        raise v.InvalidArgument("border: required (e.g. a ZogyResult's border)")
    out = _core.padded_image(data, plane, bad, v.seed_value(seed),
                             v.choice(padding, PADDING_MODES, "padding"),
                             v.choice(fft_size, FFT_SIZE_RULES, "fft_size"), border_y, border_x)
    return out["padded"]
