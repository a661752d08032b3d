"""Bad pixels: excluded, filled reproducibly, flagged, and the flag grown by the kernels."""

from __future__ import annotations

import numpy as np
import pytest

import zogy
from zogy import reference


@pytest.fixture
def masked_case(gauss):
    g = np.random.default_rng(4)
    sci = g.normal(20, 3, (80, 90))
    ref = g.normal(20, 1, (80, 90))
    sci[30, 40] = np.nan
    mask_r = np.zeros(sci.shape, bool)
    mask_r[60:62, 10] = True
    return sci, ref, gauss((15, 15), 2.4), gauss((15, 15), 1.6), mask_r


def _energy_radius(kernel_hat, tail):
    """Independent footprint: smallest Chebyshev radius about [0, 0] holding 1 - tail of sum k^2."""
    k2 = np.fft.ifft2(kernel_hat).real ** 2
    rows, cols = k2.shape
    dy = np.minimum(np.arange(rows), rows - np.arange(rows))[:, None]
    dx = np.minimum(np.arange(cols), cols - np.arange(cols))[None, :]
    ring = np.maximum(dy, dx)
    for r in range(max(rows, cols)):
        if k2[ring <= r].sum() >= (1 - tail) * k2.sum():
            return r
    raise AssertionError("no radius")


def test_grow_radius_matches_an_independent_footprint(masked_case):
    sci, ref, psf_n, psf_r, mask_r = masked_case
    res = zogy.subtract(sci, ref, psf_n, psf_r, reference_mask=mask_r)
    p_n = reference.psf_transform(reference.normalize_psf(psf_n), res.padded_shape)
    p_r = reference.psf_transform(reference.normalize_psf(psf_r), res.padded_shape)
    logs = tuple(reference.gaussian_log_transfer(reference.psf_moments(reference.normalize_psf(p)),
                                                 res.padded_shape) for p in (psf_n, psf_r))
    k_n, k_r = reference.difference_kernels(p_n, p_r, res.noise_weights, (1.0, 1.0), logs)
    kappa_n, kappa_r = reference.score_kernels(p_n, p_r, res.noise_weights)
    expected = (
        max(_energy_radius(k_n, 1e-3), _energy_radius(kappa_n, 1e-3)),
        max(_energy_radius(k_r, 1e-3), _energy_radius(kappa_r, 1e-3)),
    )
    assert res.grow_radius == expected
    assert min(expected) > 0


def test_near_bad_band_is_the_dilated_bad_mask(masked_case):
    sci, ref, psf_n, psf_r, mask_r = masked_case
    res = zogy.subtract(sci, ref, psf_n, psf_r, reference_mask=mask_r)
    y, x = np.indices(sci.shape)
    near = np.zeros(sci.shape, bool)
    for bad, radius in ((~np.isfinite(sci), res.grow_radius[0]), (mask_r, res.grow_radius[1])):
        for by, bx in zip(*np.nonzero(bad)):
            near |= np.maximum(abs(y - by), abs(x - bx)) <= radius
    assert np.array_equal((res.mask & 8) != 0, near)
    assert np.all(np.isfinite(res.difference[(res.mask & 3) == 0]))

    blanked = zogy.subtract(sci, ref, psf_n, psf_r, reference_mask=mask_r, blank_near_bad=True)
    assert np.array_equal(np.isnan(blanked.difference), near)
    assert np.all(blanked.scorr[near] == 0)
    keep = ~near
    assert np.array_equal(blanked.difference[keep], res.difference[keep])


def test_no_bad_pixels_means_no_growth(gauss):
    g = np.random.default_rng(0)
    res = zogy.subtract(g.normal(0, 1, (40, 40)), g.normal(0, 1, (40, 40)),
                        gauss((9, 9), 1.5), gauss((9, 9), 1.2))  # fmt: skip
    assert res.grow_radius == (0, 0)
    assert not res.mask.any()


def test_masked_pixels_are_excluded_from_statistics(gauss):
    """A masked pixel of any value changes neither the noise weight nor the fill mean."""
    g = np.random.default_rng(2)
    sci = g.normal(50, 2, (60, 60))
    ref = g.normal(50, 2, (60, 60))
    mask = np.zeros(sci.shape, bool)
    mask[10:20, 10:20] = True
    wild = sci.copy()
    wild[mask] = 1e9
    psf = gauss((9, 9), 1.5)
    a = zogy.subtract(sci, ref, psf, psf, science_mask=mask)
    b = zogy.subtract(wild, ref, psf, psf, science_mask=mask)
    assert a.noise_weights == b.noise_weights
    assert a.fill_means == b.fill_means
    assert np.all(np.isnan(b.difference[mask]))
    assert np.max(np.abs(b.difference[~np.isnan(b.difference)])) < 100  # the 1e9 never leaks
