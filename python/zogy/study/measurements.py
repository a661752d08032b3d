"""What the studies measure on differences (definitions in :mod:`zogy.study`).

Distance from the edge, RMS profiles against it and the band width they give, D's noise RMS,
robust statistics, and the comparison of Metric1 evaluations.
"""

from __future__ import annotations

import math

import numpy as np

from ..metric import Metric1Result
from .json_safe import _json_safe

#: Leak (relative to D's noise RMS) above which the padding is said to matter.
DEFAULT_TOLERANCE = 1e-3


def distance_from_edge(shape) -> np.ndarray:
    """Distance of each pixel ``(y, x)`` from the image edge, ``min(y, x, H-1-y, W-1-x)``."""
    h, w = shape
    y, x = np.indices((h, w))
    return np.minimum.reduce([y, x, h - 1 - y, w - 1 - x])


def _rms_by_distance(arrays, distance) -> np.ndarray:
    """RMS over the given arrays and over the pixels at each distance (NaN pixels skipped)."""
    size = int(distance.max()) + 1
    total = np.zeros(size)
    count = np.zeros(size)
    for a in arrays:
        good = np.isfinite(a)
        total += np.bincount(distance[good], weights=a[good] ** 2, minlength=size)
        count += np.bincount(distance[good], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(total / count)


def band_width(profile, tolerance=DEFAULT_TOLERANCE) -> int:
    """``1 +`` the largest distance where ``profile > tolerance`` (0 when nowhere).

    Pixels with distance ``< band_width`` are those ``zogy.subtract(edge_width=band_width)``
    flags.
    """
    above = np.flatnonzero(np.asarray(profile) > tolerance)  # NaN compares False
    return int(above.max()) + 1 if above.size else 0


def _matters_everywhere(band, shape) -> bool:
    """The band reaches the image centre: no pixel is out of the padding's reach."""
    return band > (min(shape) - 1) // 2


def _noise_rms(result) -> float:
    """D's noise RMS from its variance plane (model-based, unaffected by sources)."""
    return float(np.sqrt(np.nanmedian(result.difference_variance)))


def _robust_std(values) -> float:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan
    return float(1.482602218505602 * np.median(np.abs(values - np.median(values))))


def _max_abs(a, where=None) -> float:
    """max |a| over finite pixels (optionally inside ``where``); NaN if there are none."""
    values = a if where is None else a[where]
    values = np.abs(values[np.isfinite(values)])
    return float(values.max()) if values.size else math.nan


def _rms(a, where=None) -> float:
    values = a if where is None else a[where]
    values = values[np.isfinite(values)]
    return float(np.sqrt(np.mean(values**2))) if values.size else math.nan


def _cutout_values(m: Metric1Result) -> np.ndarray:
    if not m.cutouts:
        return np.zeros(0)
    return np.concatenate([c.ravel() for c in m.cutouts])


def _sign_flips(a: Metric1Result, b: Metric1Result) -> int:
    """Cutout pixels whose sign differs between two Metric1 evaluations of the same sources."""
    va, vb = _cutout_values(a), _cutout_values(b)
    good = np.isfinite(va) & np.isfinite(vb)
    return int(np.count_nonzero(np.sign(va[good]) != np.sign(vb[good])))


def _metric_dict(m: Metric1Result) -> dict:
    """Metric1 counts in our naming and in the notebook's swapped naming."""
    return {
        "metric": float(m.metric),
        "n_pos": int(m.n_pos),
        "n_neg": int(m.n_neg),
        "n_used": int(m.n_used),
        "n_skipped": int(m.n_skipped),
        "n_finite": int(m.n_finite),
        "notebook": _json_safe(m.notebook()),
    }


def notebook_lines(m: Metric1Result) -> list[str]:
    """The notebook's printout of one Metric1 evaluation (its naming: nPos counts pixels < 0)."""
    return _notebook_printout(m.notebook())


def _notebook_printout(nb: dict) -> list[str]:
    """The notebook's printout from its counts (``Metric1Result.notebook()``, or as stored)."""
    return [
        f"Number of finite pixels: {nb['Number of finite pixels']}",
        f"nPos: {nb['nPos']}, nNeg: {nb['nNeg']}",
        f"Pixels used in the metric: {nb['Pixels used in the metric']}",
    ]


def _edge_bands(difference, distance) -> list[dict]:
    """Robust std and median of D in bands of distance from the edge, relative to the interior.

    Band edges are 0, 1, 2, 4, ... up to a quarter of the smaller image side; the last band
    (everything deeper) is the interior the others are compared with.
    """
    limit = max(1, min(difference.shape) // 4)
    edges = [0] + [2**k for k in range(int(math.log2(limit)) + 1)]
    interior = difference[distance >= edges[-1]]
    ref_std = _robust_std(interior)
    bands = []
    for lo, hi in zip(edges, edges[1:] + [None]):
        sel = distance >= lo if hi is None else (distance >= lo) & (distance < hi)
        values = difference[sel]
        std = _robust_std(values)
        finite = values[np.isfinite(values)]
        bands.append(
            {
                "from": lo,
                "to": hi,
                "pixels": int(finite.size),
                "robust_std": std,
                "std_ratio": std / ref_std if ref_std > 0 else math.nan,
                "median_over_sigma": float(np.median(finite)) / ref_std
                if finite.size
                else math.nan,
            }
        )
    return bands
