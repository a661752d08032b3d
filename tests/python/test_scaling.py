"""ZOGY is linear (issue 12): images and their noise times c scale D / F_D, alpha and sigma_alpha
by c, S by 1/c and V_S by 1/c^2, and leave S_corr alone; variances alone times c^2 leave D / F_D
and alpha alone and scale S_corr by 1/c. Far from unit noise the core scales each image by a
power of two internally, so the outputs stay finite and, for c = 2^k with constant padding
(noise padding is keyed by the pixels' own bits), are the exactly scaled bits."""

from __future__ import annotations

import numpy as np
import pytest

import zogy
from zogy.simulate import gaussian_psf

SHAPE = (64, 72)
PSF_N, PSF_R = gaussian_psf((21, 21), 2.2), gaussian_psf((17, 17), 1.7)


def _pair():
    g = np.random.default_rng(7)
    y = np.linspace(1.0, 1.5, SHAPE[0])[:, None] * np.ones(SHAPE)
    var_n, var_r = 4.0 * y, 1.0 * y[::-1]
    science = g.normal(size=SHAPE) * np.sqrt(var_n)
    reference = g.normal(size=SHAPE) * np.sqrt(var_r)
    science[30:33, 40:43] += 60.0  # a transient: S_corr well away from 0 there
    return science, reference, var_n, var_r


def _run(science, reference, var_n, var_r, **options):
    return zogy.subtract(science, reference, PSF_N, PSF_R, science_variance=var_n,
                         reference_variance=var_r, padding="constant", **options)  # fmt: skip


# output -> power of c it scales with, for images (and noise) times c / variances times c^2
IMAGES = {"difference": 1, "difference_variance": 2, "score": -1, "score_variance": -2,
          "scorr": 0, "flux": 1, "flux_err": 1, "psf": 0}  # fmt: skip
VARIANCES = {"difference": 0, "difference_variance": 2, "score": -2, "score_variance": -2,
             "scorr": -1, "flux": 0, "flux_err": 1, "psf": 0}  # fmt: skip


def _scaled_inputs(c, which):
    science, reference, var_n, var_r = _pair()
    if which == "images":
        return science * c, reference * c, var_n * c * c, var_r * c * c
    return science, reference, var_n * c * c, var_r * c * c


@pytest.mark.parametrize("which", ["images", "variances"])
@pytest.mark.parametrize("k", [-500, -400, -300, -150, -80, 80, 150, 300, 400, 500])
def test_powers_of_two_scale_the_outputs_exactly(which, k):
    base = _run(*_pair())
    c = 2.0**k
    result = _run(*_scaled_inputs(c, which))
    powers = IMAGES if which == "images" else VARIANCES
    for name, power in powers.items():
        expected = getattr(base, name) * c**power if power else getattr(base, name)
        got = getattr(result, name)
        assert np.all(np.isfinite(got)), name
        assert np.array_equal(got, expected), f"{name}: not the exactly scaled bits at 2^{k}"
    assert np.array_equal(result.mask, base.mask)
    # the scalars: F_D and F_S scale as 1/c and 1/c^2, the noise weights as c^2, the fill
    # means as c (images) or not at all (variances alone)
    assert result.flux_zero_point == base.flux_zero_point / c
    assert result.score_normalisation == base.score_normalisation / c**2
    assert result.noise_weights == tuple(w * c * c for w in base.noise_weights)
    fill = c if which == "images" else 1.0
    assert result.fill_means == tuple(m * fill for m in base.fill_means)


@pytest.mark.parametrize("which", ["images", "variances"])
@pytest.mark.parametrize("c", [1e-150, 1e-100, 1e-80, 1e-40, 1e40, 1e80, 1e100, 1e150])
def test_decimal_scales_keep_the_outputs_finite_and_scaled(which, c):
    base = _run(*_pair())
    result = _run(*_scaled_inputs(c, which))
    powers = IMAGES if which == "images" else VARIANCES
    for name, power in powers.items():
        got, ref = getattr(result, name), getattr(base, name)
        assert np.all(np.isfinite(got)), name
        # c**power may itself overflow: compare in units of the base output's spread
        scale = np.max(np.abs(ref))
        assert np.allclose(got / c**power / scale if power else got / scale, ref / scale,
                           rtol=0, atol=1e-9), name  # fmt: skip
    assert np.max(np.abs(result.scorr)) > 5 / (c if which == "variances" else 1)
    assert np.max(np.abs(base.scorr)) > 5  # the transient


def test_no_measurable_scale_is_an_error_not_zeros():
    science, reference, var_n, var_r = _pair()
    with pytest.raises(zogy.NumericalError, match="^science: "):
        _run(science * 1e160, reference, None, var_r)  # noise variance 1e320: not a double


def test_grid_cells_scale_like_the_whole_image():
    science, reference, var_n, var_r = _pair()
    c = 2.0**-450
    options = dict(science_variance=var_n * c * c, reference_variance=var_r * c * c,
                   padding="constant", grid_inner_size=32, border=24)  # fmt: skip
    grid = zogy.subtract_grid(science * c, reference * c, PSF_N, PSF_R, **options)
    base = zogy.subtract_grid(science, reference, PSF_N, PSF_R,
                              **{**options, "science_variance": var_n,
                                 "reference_variance": var_r})  # fmt: skip
    assert np.array_equal(grid.difference, base.difference * c)
    assert np.array_equal(grid.scorr, base.scorr)
