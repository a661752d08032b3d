"""Property tests over random small shapes, PSF sizes, masks and NaN patterns.

Derandomised (the examples are a fixed function of the test), so CI never flaps.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zogy
from zogy.simulate import gaussian_psf

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


@st.composite
def pairs(draw):
    rows = draw(st.integers(8, 48))
    cols = draw(st.integers(8, 48))
    seed = draw(st.integers(0, 2**32 - 1))
    g = np.random.default_rng(seed)
    sci = g.normal(draw(st.floats(-100, 100)), 3.0, (rows, cols))
    ref = g.normal(0.0, 1.0, (rows, cols))
    for image in (sci, ref):
        n_nan = draw(st.integers(0, 3))
        image[g.integers(0, rows, n_nan), g.integers(0, cols, n_nan)] = np.nan
    mask = g.random((rows, cols)) < draw(st.sampled_from([0.0, 0.02, 0.2]))

    def psf():
        h = draw(st.integers(1, min(rows, 15)))
        w = draw(st.integers(1, min(cols, 15)))
        return gaussian_psf((h, w), draw(st.floats(0.5, 3.0)))

    options = dict(
        seed=draw(st.integers(0, 2**64 - 1)),
        padding=draw(st.sampled_from(["noise", "zero", "constant"])),
        fft_size=draw(st.sampled_from(["smooth", "pow2"])),
        kernel_guard=draw(st.booleans()),
        science_variance=9.0, reference_variance=1.0,
    )  # fmt: skip
    return sci, ref, psf(), psf(), mask, options


@PROPERTY_SETTINGS
@given(pairs())
def test_finite_where_valid_and_exactly_antisymmetric(case):
    sci, ref, psf_n, psf_r, mask, options = case
    a = zogy.subtract(sci, ref, psf_n, psf_r, science_mask=mask, **options)
    b = zogy.subtract(ref, sci, psf_r, psf_n, reference_mask=mask, **{
        **options, "science_variance": 1.0, "reference_variance": 9.0})  # fmt: skip
    valid = (a.mask & 3) == 0
    assert np.array_equal(valid, ~(np.isnan(sci) | np.isnan(ref) | mask))
    for name in ("difference", "difference_variance", "score", "scorr", "flux"):
        assert np.all(np.isfinite(getattr(a, name)[valid])), name
    assert np.all(a.difference_variance[valid] > 0)
    assert np.array_equal(a.difference, -b.difference, equal_nan=True)
    assert np.array_equal(a.scorr, -b.scorr)


@PROPERTY_SETTINGS
@given(pairs(), st.integers(0, 4), st.floats(0.0, 3.0))
def test_metric1_is_bounded_and_odd(case, radius, sigma):
    sci, ref, psf_n, psf_r, mask, options = case
    d = zogy.subtract(sci, ref, psf_n, psf_r, science_mask=mask, **options).difference
    g = np.random.default_rng(radius)
    x = g.uniform(-3, d.shape[1] + 3, 6)
    y = g.uniform(-3, d.shape[0] + 3, 6)
    m = zogy.metric1(d, x, y, radius=radius, sigma=sigma)
    assert -1.0 <= m.metric <= 1.0
    assert m.n_used == m.n_pos + m.n_neg
    assert zogy.metric1(-d, x, y, radius=radius, sigma=sigma).metric == -m.metric
