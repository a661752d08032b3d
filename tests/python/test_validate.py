"""Argument checks outside zogy.subtract raise the package's own errors (zogy._validate).

A wrong value is a ``zogy.InvalidArgument`` (a ValueError) whose message starts with the
argument's name; a wrong type stays a TypeError.
"""

from __future__ import annotations

import numpy as np
import pytest

import zogy
from zogy import _validate as v
from zogy import batch, io, study


def _raises_invalid(call, name):
    with pytest.raises(Exception) as info:
        call()
    assert info.type is zogy.InvalidArgument, f"{info.type.__name__}: {info.value}"
    assert str(info.value).startswith(f"{name}: "), info.value


@pytest.fixture(scope="module")
def tiny_pair():
    return study.default_pair(shape=(40, 50), n_sources=2)


def test_study_arguments(tiny_pair):
    _raises_invalid(lambda: study.repeat(tiny_pair, runs=1), "runs")
    _raises_invalid(lambda: study.repeat(tiny_pair, runs=True), "runs")
    _raises_invalid(lambda: study.padding(tiny_pair, seeds=1), "seeds")
    _raises_invalid(lambda: study.reverse(seeds=0), "seeds")
    _raises_invalid(lambda: study.reverse([tiny_pair], schemes=("ours", "random")), "schemes")
    kwargs = {"border": (4, 4), "variances": (np.ones((40, 50)), np.ones((40, 50)))}
    _raises_invalid(lambda: study.legacy_subtract(tiny_pair, "ours", **kwargs), "scheme")
    arrays = (np.zeros((5, 5)),) * 4
    _raises_invalid(lambda: study.ImagePair.from_arrays(*arrays, x=[1, 2], y=[1]), "y")


def test_batch_and_fits_arguments():
    _raises_invalid(lambda: batch.run_pairs([], threads_per_pair=0), "threads_per_pair")
    _raises_invalid(lambda: batch.run_pairs([], workers=1.0), "workers")
    _raises_invalid(lambda: io.gaussian_psf(0.0), "psf sigma")
    _raises_invalid(lambda: io.gaussian_psf(float("nan")), "psf sigma")


def test_metric_positions_come_in_pairs():
    _raises_invalid(lambda: zogy.metric1(np.zeros((9, 9)), [1.0, 2.0], [1.0]), "y")


def test_count():
    assert v.count(np.int64(3), "runs", 2) == 3 and type(v.count(np.int64(3), "runs", 2)) is int
    for bad in (True, 2.0, "3", 1):
        _raises_invalid(lambda bad=bad: v.count(bad, "runs", 2), "runs")


def test_integer_pairs():
    assert v.int_pair(3, "blend", 0) == (3, 3)
    assert v.int_pair((1, np.int32(2)), "blend", 1) == (1, 2)
    assert v.border_pair(None) == (-1, -1) and v.border_pair((0, 5)) == (0, 5)
    _raises_invalid(lambda: v.int_pair((1, 2, 3), "blend", 0), "blend")
    _raises_invalid(lambda: v.int_pair(0, "grid_inner_size", 1), "grid_inner_size")
    _raises_invalid(lambda: v.int_pair(v.MAX_SIDE + 1, "blend", 0), "blend")
    _raises_invalid(lambda: v.border_pair(-1), "border")
    _raises_invalid(lambda: v.border_pair((1, v.MAX_SIDE + 1)), "border")
    for check in (lambda: v.int_pair(1.5, "blend", 0), lambda: v.border_pair((1, True))):
        with pytest.raises(TypeError, match="must be integers"):
            check()
    # Element by element: a bad first value is reported before a wrongly typed second one.
    _raises_invalid(lambda: v.border_pair((-1, 1.5)), "border")
