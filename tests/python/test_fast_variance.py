"""Default variance planes (exact_variance=False): small-grid kernels within 1e-6 of exact."""

from __future__ import annotations

import numpy as np
import pytest

import zogy
from scenarios import ARRAYS
from zogy.simulate import gaussian_psf

TOLERANCE = 1e-6  # docs/algorithm.md: relative change of V_D and V_S allowed by default


def _pair(shape, var_n, var_r, seed):
    g = np.random.default_rng(seed)
    return g.normal(0, 1, shape) * np.sqrt(var_n), g.normal(0, 1, shape) * np.sqrt(var_r)


@pytest.fixture(scope="module")
def varying():
    """Variance planes varying tenfold across the image."""
    shape = (1000, 1000)  # large enough for a kernel grid below half the padded one
    y = np.linspace(0, 1, shape[0])[:, None] * np.ones((1, shape[1]))
    var_n = 25.0 * (1 + 9 * y)
    var_r = 2.25 * (1 + 9 * y[::-1])
    sci, ref = _pair(shape, var_n, var_r, 7)
    # 41x41 stamps hold the sigma-2.5 Gaussian to 8 sigma: compact kernels, whose weak tails
    # keep exact mode on the full grid while the default may alias them.
    return (sci, ref, gaussian_psf((41, 41), 2.5), gaussian_psf((41, 41), 2.0)), dict(
        science_variance=var_n, reference_variance=var_r, seed=4)


def _compare(args, kwargs):
    exact = zogy.subtract(*args, **kwargs, exact_variance=True)
    default = zogy.subtract(*args, **kwargs)
    worst = 0.0
    for name in ("difference_variance", "score_variance"):
        a, b = getattr(exact, name), getattr(default, name)
        worst = max(worst, float(np.max(np.abs(a - b) / a)))
    for name in ("difference", "score", "flux", "psf", "mask"):
        assert np.array_equal(getattr(exact, name), getattr(default, name)), name
    return exact, default, worst


def test_default_variance_is_within_tolerance_and_changes_nothing_else(varying):
    args, kwargs = varying
    exact, default, worst = _compare(args, kwargs)
    assert worst <= TOLERANCE
    assert worst > 0  # the small-grid path really ran (not the exact one)
    assert np.max(np.abs(exact.scorr - default.scorr)) <= TOLERANCE * np.max(np.abs(exact.scorr))


@pytest.mark.parametrize(
    "widths", [(2.02, 2.0, 41), (2.0, 2.0, 41), (3.0, 1.5, 41), (2.5, 2.0, 31)]
)
def test_high_contrast_and_near_equal_psfs_stay_within_tolerance(widths):
    # A plane with bright "stars" (contrast 1000), PSFs of nearly equal width (whose D kernels
    # have the weakest-decaying tails) and stamps that cut the PSF at 6 sigma (far tails): the
    # kernel grid must grow, or fall back to the full grid, to keep the bound.
    shape = (900, 900)
    g = np.random.default_rng(3)
    var_n = np.full(shape, 4.0)
    var_n[g.integers(0, 900, 40), g.integers(0, 900, 40)] = 4000.0
    var_r = np.full(shape, 1.0)
    sci, ref = _pair(shape, var_n, var_r, 5)
    stamp = (widths[2], widths[2])
    args = (sci, ref, gaussian_psf(stamp, widths[0]), gaussian_psf(stamp, widths[1]))
    _, _, worst = _compare(args, dict(science_variance=var_n, reference_variance=var_r))
    assert worst <= TOLERANCE, worst


def test_default_variance_is_reproducible_and_antisymmetric(varying):
    (sci, ref, psf_n, psf_r), kwargs = varying
    a = zogy.subtract(sci, ref, psf_n, psf_r, **kwargs, threads=1)
    b = zogy.subtract(sci, ref, psf_n, psf_r, **kwargs, threads=3)
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    swapped = zogy.subtract(ref, sci, psf_r, psf_n, science_variance=kwargs["reference_variance"],
                            reference_variance=kwargs["science_variance"], seed=4)  # fmt: skip
    assert np.array_equal(a.scorr, -swapped.scorr)
    assert np.array_equal(a.difference_variance, swapped.difference_variance)


def test_tiled_variance_wraps_and_masks_like_the_padded_plane():
    # Several tiles along both axes of a non-square image, PSF stamps taller than wide (a
    # kernel grid of other rows than columns), other borders in y and x, both narrower than
    # the kernels (tiles near the edges read the padded plane across its far side), masked
    # pixels (sigma^2 in the variance plane) and variance changing along both axes: a swapped
    # axis or offset, or a wrong wrap, would put the default's tiles far from the exact mode's
    # full-plane convolution.
    shape = (700, 1100)
    g = np.random.default_rng(11)
    y = np.linspace(0, 1, shape[0])[:, None]
    x = np.linspace(0, 1, shape[1])[None, :]
    var_n, var_r = 9.0 * (1 + 3 * y + 2 * x), 1.0 * (1 + 2 * (1 - y) + 3 * x**2)
    sci, ref = _pair(shape, var_n, var_r, 12)
    mask = np.zeros(shape, bool)
    mask[g.integers(0, shape[0], 30), g.integers(0, shape[1], 30)] = True
    # 41x25 stamps hold sigma 1.5 / 1.2 to 8 sigma across: compact kernels.
    args = (sci, ref, gaussian_psf((41, 25), 1.5), gaussian_psf((41, 25), 1.2))
    kwargs = dict(science_variance=var_n, reference_variance=var_r, science_mask=mask,
                  border=(12, 20), seed=2)  # fmt: skip
    exact = zogy.subtract(*args, **kwargs, exact_variance=True)
    default = zogy.subtract(*args, **kwargs)
    good = np.isfinite(exact.difference_variance)
    assert np.array_equal(good, np.isfinite(default.difference_variance))
    assert good.sum() > 0.9 * good.size
    for name in ("difference_variance", "score_variance"):
        a, b = getattr(exact, name)[good], getattr(default, name)[good]
        worst = float(np.max(np.abs(a - b) / a))
        assert 0 < worst <= TOLERANCE, (name, worst)
