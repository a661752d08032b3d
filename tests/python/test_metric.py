"""zogy.metric1 on hand-made arrays, and the notebook's naming."""

from __future__ import annotations

import numpy as np
import pytest

import zogy


def test_cutout_is_indexed_row_first():
    image = np.zeros((20, 30))
    image[5, 15] = 1.0  # y=5, x=15
    hit = zogy.metric1(image, x=[15], y=[5], radius=0)
    assert (hit.n_pos, hit.n_neg) == (1, 0)
    swapped = zogy.metric1(image, x=[5], y=[15], radius=0)  # the notebook's [x, y] bug
    assert swapped.n_pos == 0


def test_counts_metric_and_cutouts():
    image = np.arange(-12.0, 13.0).reshape(5, 5)  # 12 negative, 1 zero, 12 positive
    res = zogy.metric1(image, [2.5], [2.7], radius=2)
    assert (res.n_pos, res.n_neg, res.n_used, res.n_skipped) == (12, 12, 24, 0)
    assert res.metric == 0.0
    assert len(res.cutouts) == 1 and np.array_equal(res.cutouts[0], image)
    corner = zogy.metric1(image, [0], [0], radius=1)  # clipped to a 2x2 cutout
    assert corner.cutouts[0].shape == (2, 2)
    assert corner.metric == -1.0


def test_skipped_sources_and_nan_pixels():
    image = np.ones((10, 10))
    image[4, 4] = np.nan
    res = zogy.metric1(image, [4, -3, 50, np.nan], [4, 4, 4, 1], radius=1)
    assert res.n_skipped == 3
    assert res.n_used == 8  # the NaN centre does not count
    assert res.n_finite == 99


def test_sigma_threshold_and_notebook_convention():
    g = np.random.default_rng(0)
    image = g.normal(0, 1, (50, 50))
    res = zogy.metric1(image, [10, 30], [10, 30], radius=3, sigma=1.0)
    clipped = image[np.abs(image - image.mean()) <= 3 * image.std()]
    assert res.threshold == pytest.approx(clipped.std(), rel=1e-2)
    assert res.n_used < 2 * 49
    nb = res.notebook()
    assert nb["nPos"] == res.n_neg and nb["nNeg"] == res.n_pos
    assert nb["metric"] == -res.metric


def test_empty_catalogue_gives_zero():
    res = zogy.metric1(np.ones((5, 5)), [], [])
    assert (res.metric, res.n_used, res.n_skipped, res.cutouts) == (0.0, 0, 0, [])
