"""Metric1: the per-source sign metric of the LSST ZOGY tests (DESIGN section 6)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _core
from . import _validate as v


@dataclass(frozen=True)
class Metric1Result:
    """Counts behind Metric1.

    ``metric = (n_pos - n_neg) / n_used`` with ``n_pos`` the cutout pixels above ``threshold``
    and ``n_neg`` those below ``-threshold``. ``cutouts`` are the residual cutouts of the
    counted sources, in catalogue order.
    """

    metric: float
    n_pos: int
    n_neg: int
    n_used: int
    n_skipped: int
    threshold: float
    n_finite: int
    cutouts: list = field(repr=False)

    def notebook(self) -> dict:
        """The same numbers in the LSST notebook's naming, which swapped the sign words.

        The notebook's ``nPos`` counted pixels below zero and its metric is ``-metric``.
        """
        return {
            "Number of finite pixels": self.n_finite,
            "nPos": self.n_neg,
            "nNeg": self.n_pos,
            "Pixels used in the metric": self.n_used,
            "metric": -self.metric if self.n_used else 0.0,
        }


def metric1(image, x, y, radius: int = 2, sigma: float = 0.0) -> Metric1Result:
    """Per-source sign metric of a difference image.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Residual (difference) image, index ``[y, x]``.
    x, y : array_like of float
        Source positions (column, row) in pixels; the pixel used is ``floor``.
    radius : int
        Cutouts are ``(2 radius + 1)`` pixels square, clipped to the image.
    sigma : float
        Pixels count only beyond ``sigma`` times the clipped std of the image (0: any sign).

    Returns
    -------
    Metric1Result
    """
    radius = v.non_negative_int(radius, "radius")
    if radius > v.MAX_SIDE:
        raise v.InvalidArgument(f"radius: {radius} exceeds {v.MAX_SIDE}")
    sigma = float(sigma)
    residual = v.float_array(image, "image")
    xs = v.float_array(np.atleast_1d(x), "x", ndim=1, allow_empty=True)
    ys = v.float_array(np.atleast_1d(y), "y", ndim=1, allow_empty=True)
    v.matching_positions(xs, ys)
    out = _core.metric1(residual, xs, ys, radius, sigma)
    cutouts = []
    for xi, yi, used in zip(xs, ys, out["used"]):
        if used:
            cx, cy = int(np.floor(xi)), int(np.floor(yi))
            rows = slice(max(cy - radius, 0), cy + radius + 1)
            cols = slice(max(cx - radius, 0), cx + radius + 1)
            cutouts.append(residual[rows, cols].copy())
    return Metric1Result(
        metric=out["metric"],
        n_pos=out["n_pos"],
        n_neg=out["n_neg"],
        n_used=out["n_used"],
        n_skipped=out["n_skipped"],
        threshold=out["threshold"],
        n_finite=int(np.isfinite(residual).sum()),
        cutouts=cutouts,
    )
