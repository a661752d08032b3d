"""Seed studies: how much does re-drawing the padding noise change a ZOGY subtraction?

The LSST notebook (``seed/random-padding-notebook.md``) re-ran ZOGY on the same pair with an
unseeded padding generator and saw output pixels move by up to ~0.1 and Metric1 change by
10-20 %; with the inputs swapped the metric changed too. Three studies answer that question
for any image pair:

- :func:`repeat` -- the same pair subtracted K times, first with one padding seed (outputs must
  be identical), then with a fresh padding seed per run (the notebook's situation).
- :func:`reverse` -- D(sci, ref) against D(ref, sci), with our padding and with the two legacy
  LSST seeding schemes emulated (``padding="legacy-shared"`` / ``"legacy-per-image"``).
- :func:`padding` -- the same pair under other padding modes, border widths, FFT size rules
  and with the kernel guard off: edge artefacts, the padding leak profile, Metric1, time. It
  ends with the width of the band, next to the image edge, inside which the padding noise
  still matters.

Each study returns a frozen dataclass whose ``to_dict()`` holds every number (JSON-safe), and
with ``out=DIR`` writes ``DIR/<study>/`` with ``result.json``, ``summary.md``, PNG figures and
the large maps as ``.npy`` files.

Definitions used throughout
---------------------------
- distance from the edge of pixel ``(y, x)`` in an ``(H, W)`` image:
  ``min(y, x, H - 1 - y, W - 1 - x)``.
- D's noise RMS ``sigma_D``: square root of the median of ``difference_variance``.
- leak profile: at each distance d, the RMS over the compared seed pairs and over the pixels at
  distance d of ``D_seed_k - D_seed_0``, divided by ``sigma_D``.
- band width: the padding "matters" at distance d when the leak profile exceeds ``tolerance``
  (default 1e-3); the band is ``1 + `` the largest such d (0 if none), so
  ``zogy.subtract(..., edge_width=band)`` flags exactly those pixels.
- sign flips: Metric1 cutout pixels (radius ``radius``) whose sign differs between run 0 and
  run k.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _validate as v
from ._progress import Progress
from .api import subtract
from .metric import Metric1Result, metric1
from .simulate import make_pair

__all__ = [
    "DEFAULT_TOLERANCE",
    "LEGACY_SCHEMES",
    "SCHEMES",
    "ImagePair",
    "PaddingResult",
    "RepeatResult",
    "ReverseResult",
    "band_width",
    "default_pair",
    "describe_pair",
    "distance_from_edge",
    "legacy_subtract",
    "notebook_lines",
    "padding",
    "repeat",
    "reverse",
]

#: Leak (relative to D's noise RMS) above which the padding is said to matter.
DEFAULT_TOLERANCE = 1e-3
#: Swap-test schemes: our counter-based padding and the two emulated LSST seeding schemes.
SCHEMES = ("ours", "legacy-shared", "legacy-per-image")
LEGACY_SCHEMES = SCHEMES[1:]
#: Largest PSF stamp of the default pair (the LSST kernel size for 250 px images).
_DEFAULT_STAMP = 125


# --------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ImagePair:
    """Any science/reference pair, duck-typed like :class:`zogy.simulate.SimulatedPair`.

    Attributes
    ----------
    science, reference : ndarray (H, W)
        Images on one pixel grid.
    science_psf, reference_psf : ndarray
        PSF stamps centred at ``(h // 2, w // 2)``.
    science_variance, reference_variance : None, float or ndarray
        Passed to :func:`zogy.subtract` (None: robust estimate).
    catalog : structured ndarray
        Fields ``x`` (column) and ``y`` (row) of the sources used by Metric1 (may be empty).
    label : str
        Description used in reports.
    """

    science: np.ndarray
    reference: np.ndarray
    science_psf: np.ndarray
    reference_psf: np.ndarray
    science_variance: object = None
    reference_variance: object = None
    catalog: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=[("x", "f8"), ("y", "f8")])
    )
    label: str = "user pair"

    @classmethod
    def from_arrays(
        cls,
        science,
        reference,
        science_psf,
        reference_psf,
        *,
        x=(),
        y=(),
        science_variance=None,
        reference_variance=None,
        label="user pair",
    ):
        """Build a pair from arrays and source positions ``x`` (columns), ``y`` (rows)."""
        x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
        v.matching_positions(x, y)
        catalog = np.zeros(x.size, dtype=[("x", "f8"), ("y", "f8")])
        catalog["x"], catalog["y"] = x, y
        return cls(
            np.asarray(science),
            np.asarray(reference),
            np.asarray(science_psf),
            np.asarray(reference_psf),
            science_variance,
            reference_variance,
            catalog,
            label,
        )


def default_pair(*, seed=0, shape=None, notebook_noise=False, **options):
    """The studies' default pair: :func:`zogy.simulate.make_pair` with the LSST reverse scenario.

    Parameters
    ----------
    seed : int
        Simulation seed.
    shape : None or (int, int)
        Image shape ``(H, W)``; the PSF stamp is shrunk to the largest odd size that fits when
        the image is smaller than the default 125 x 125 stamp.
    notebook_noise : bool
        Use the LSST test images' noise instead: uniform, the same unit field in both images,
        source margin 5 (it has a non-zero mean, so the images have a background).
    **options
        Any other :func:`make_pair` argument (they win over the above).

    Returns
    -------
    zogy.simulate.SimulatedPair
    """
    kwargs = {"seed": seed}
    if shape is not None:
        h, w = (int(s) for s in shape)
        stamp = min(_DEFAULT_STAMP, h, w)
        stamp -= 1 - stamp % 2  # odd, so the stamp centre is a pixel
        kwargs.update(shape=(h, w), psf_stamp_shape=(stamp, stamp))
    if notebook_noise:
        kwargs.update(noise_kind="uniform", correlated_noise=True, margin=5)
    kwargs.update(options)
    return make_pair(**kwargs)


def _pair_info(pair) -> dict:
    """JSON-safe description of a pair for the reports."""
    info = {
        "shape": list(np.shape(pair.science)),
        "n_sources": int(len(pair.catalog)),
        "label": getattr(pair, "label", "simulated pair (zogy.simulate.make_pair)"),
    }
    for name in ("seed", "science_psf_sigma", "reference_psf_sigma"):
        if hasattr(pair, name):
            info[name] = getattr(pair, name)
    params = getattr(pair, "params", {})
    for name in ("noise", "noise_kind", "correlated_noise", "backgrounds", "psf_stamp_shape"):
        if name in params:
            info[name] = params[name]
    return _json_safe(info)


def _subtract(pair, *, swap=False, **options):
    """``zogy.subtract`` on a pair; ``swap=True`` computes D(reference, science)."""
    sci = (pair.science, pair.science_psf, pair.science_variance)
    ref = (pair.reference, pair.reference_psf, pair.reference_variance)
    if swap:
        sci, ref = ref, sci
    return subtract(
        sci[0],
        ref[0],
        sci[1],
        ref[1],
        science_variance=sci[2],
        reference_variance=ref[2],
        **options,
    )


def _metric(pair, image, radius) -> Metric1Result:
    return metric1(image, pair.catalog["x"], pair.catalog["y"], radius=radius)


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


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
    nb = m.notebook()
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


# --------------------------------------------------------------------------
# Legacy LSST padding schemes (emulated by pre-padding, then border=0)
# --------------------------------------------------------------------------


def _pow2(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


def _legacy_rng(variance) -> np.random.Generator:
    """LSST's generator: seeded from the mean variance's float64 bits read as an int64."""
    return np.random.default_rng(seed=np.array([float(np.mean(variance))]).view(np.int64))


def _legacy_pad(image, variance, border, padded_shape, rng):
    """Image and variance plane on the padded grid, padding N(0, mean variance) from ``rng``.

    LSST filled with mean 0 (our core uses the clipped mean), so a pair with a background gets
    a step at the image edge here -- that is the legacy behaviour, kept on purpose. The
    padding pixels are drawn in row-major order of the padded grid.
    """
    h, w = image.shape
    by, bx = border
    sigma2 = float(np.mean(variance))
    inner = (slice(by, by + h), slice(bx, bx + w))
    outside = np.ones(padded_shape, dtype=bool)
    outside[inner] = False
    padded = np.empty(padded_shape)
    padded[outside] = rng.normal(0.0, math.sqrt(sigma2), int(outside.sum()))
    padded[inner] = image
    plane = np.full(padded_shape, sigma2)
    plane[inner] = variance
    return padded, plane


def legacy_subtract(pair, scheme, *, swap=False, border, variances, kernel_guard=False):
    """D with the padding filled as an LSST seeding scheme did (then ``zogy.subtract``, border 0).

    Parameters
    ----------
    pair : SimulatedPair or ImagePair
        The images (image 1 is the science image, or the reference with ``swap=True``).
    scheme : {"legacy-shared", "legacy-per-image"}
        ``"legacy-shared"``: one generator seeded from image 1's mean variance, consumed by
        image 1's padding then image 2's. ``"legacy-per-image"``: one generator per image,
        seeded from that image's own mean variance.
    swap : bool
        Compute D(reference, science).
    border : (int, int)
        Border of the default geometry (``ZogyResult.border``); the padded size is LSST's
        power of two >= inner + 2 border.
    variances : (ndarray, ndarray)
        Variance planes of the science and reference images.
    kernel_guard : bool
        LSST had no round-off guard (False reproduces its kernels); True isolates the effect
        of the seeding scheme from that of the unguarded kernels.

    Returns
    -------
    ndarray
        The difference image cropped to the inner box.
    """
    images = [
        (pair.science, pair.science_psf, variances[0]),
        (pair.reference, pair.reference_psf, variances[1]),
    ]
    if swap:
        images.reverse()
    h, w = pair.science.shape
    padded_shape = (_pow2(h + 2 * border[0]), _pow2(w + 2 * border[1]))
    v.choice(scheme, LEGACY_SCHEMES, "scheme")
    if scheme == "legacy-shared":
        shared = _legacy_rng(images[0][2])
        rngs = (shared, shared)
    else:
        rngs = (_legacy_rng(images[0][2]), _legacy_rng(images[1][2]))
    (n, vn), (r, vr) = (
        _legacy_pad(img, var, border, padded_shape, rng) for (img, _, var), rng in zip(images, rngs)
    )
    result = subtract(
        n,
        r,
        images[0][1],
        images[1][1],
        science_variance=vn,
        reference_variance=vr,
        border=0,
        kernel_guard=kernel_guard,
    )
    # A power of two is 7-smooth, so border=0 must leave the grid exactly as we padded it.
    assert tuple(result.padded_shape) == padded_shape, (result.padded_shape, padded_shape)
    return result.difference[border[0] : border[0] + h, border[1] : border[1] + w]


def _variances(pair, result):
    """Variance planes of a pair; the core's noise weights where the pair has none."""
    planes = []
    for given, weight in zip(
        (pair.science_variance, pair.reference_variance), result.noise_weights
    ):
        if given is None:
            given = weight
        planes.append(np.broadcast_to(np.asarray(given, dtype=float), pair.science.shape))
    return planes


# --------------------------------------------------------------------------
# Reporting helpers
# --------------------------------------------------------------------------


def _json_safe(value):
    """Plain Python numbers, lists and dicts; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _dataclass_dict(result, arrays) -> dict:
    """``to_dict`` body: every field except the arrays named in ``arrays``."""
    return _json_safe(
        {
            f.name: getattr(result, f.name)
            for f in dataclasses.fields(result)
            if f.name not in arrays
        }
    )


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _study_dir(out, name) -> Path:
    folder = Path(out) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fmt(value, spec=".3g") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def _edge_width_supported() -> bool:
    return "edge_width" in inspect.signature(subtract).parameters


# --------------------------------------------------------------------------
# Study 1: repeat
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RepeatResult:
    """Outcome of :func:`repeat`.

    Attributes
    ----------
    pair : dict
        Description of the pair.
    params : dict
        runs, first padding seed, Metric1 radius, tolerance, padded shape, border, sigma_D.
    same_seed : dict
        ``metrics`` and ``max_abs_diff`` (against run 0) of K runs with one seed, and
        ``identical`` (every D bit-identical to run 0's).
    runs : tuple of dict
        Per fresh-seed run: seed, Metric1 counts (ours and notebook naming), ``delta_metric``
        and ``sign_flips`` against run 0, ``max_abs_dd_inner`` / ``rms_dd_inner`` (pixels
        at distance >= band) and ``max_abs_dd_all``.
    metric_stats : dict
        mean, std, min, max and spread of Metric1 over the fresh seeds; largest |change|.
    sign_flips_total : int
        Sum of the per-run sign flips.
    band_width : int
        Pixels from the edge inside which the padding seed changes D by more than
        ``tolerance`` sigma_D (RMS).
    leak_profile, noise_map_profile : tuple of float
        Against distance from the edge, relative to sigma_D: RMS of D_k - D_0, and RMS of the
        per-pixel standard deviation of D across seeds.
    max_abs_dd_inner, rms_dd_inner, max_abs_dd_all : float
        The same as in ``runs``, over all runs (image units).
    input_metrics : dict
        Metric1 of the science and reference images themselves (are the cutouts on sources?).
    noise_map : ndarray
        Per-pixel standard deviation of D across the fresh seeds (not in ``to_dict``).
    differences : tuple of ndarray
        D of fresh runs 0 and 1 (not in ``to_dict``).
    paths : dict
        Files written, by name.
    """

    pair: dict
    params: dict
    same_seed: dict
    runs: tuple
    metric_stats: dict
    sign_flips_total: int
    band_width: int
    leak_profile: tuple
    noise_map_profile: tuple
    max_abs_dd_inner: float
    rms_dd_inner: float
    max_abs_dd_all: float
    input_metrics: dict
    noise_map: np.ndarray = field(repr=False)
    differences: tuple = field(repr=False)
    paths: dict = field(default_factory=dict)

    _ARRAYS = ("noise_map", "differences")

    def to_dict(self) -> dict:
        """Every number, JSON-safe (the maps are left out; see ``paths``)."""
        return _dataclass_dict(self, self._ARRAYS)


def _same_seed_runs(pair, first, runs, seed, radius, bar, options) -> dict:
    """K - 1 more runs with run 0's seed: every D must be the same bits."""
    m0 = _metric(pair, first.difference, radius)
    metrics, diffs, identical = [m0.metric], [0.0], True
    for _ in range(1, runs):
        again = _subtract(pair, seed=seed, **options)
        bar.update()
        metrics.append(_metric(pair, again.difference, radius).metric)
        diffs.append(_max_abs(again.difference - first.difference))
        identical &= np.array_equal(again.difference, first.difference, equal_nan=True)
    return {
        "seed": seed,
        "metrics": metrics,
        "max_abs_diff": diffs,
        "identical": bool(identical),
        "metric_equal": bool(all(m == metrics[0] for m in metrics)),
    }


def _fresh_run_record(seed, diff, m0, mk, inner) -> dict:
    record = {"seed": seed, **_metric_dict(mk)}
    record.update(
        delta_metric=float(mk.metric - m0.metric),
        sign_flips=_sign_flips(m0, mk),
        max_abs_dd_inner=_max_abs(diff, inner),
        rms_dd_inner=_rms(diff, inner),
        max_abs_dd_all=_max_abs(diff),
    )
    return record


def _metric_stats(metrics, records) -> dict:
    metrics = np.asarray(metrics)
    return {
        "mean": float(metrics.mean()),
        "std": float(metrics.std(ddof=1)) if metrics.size > 1 else 0.0,
        "min": float(metrics.min()),
        "max": float(metrics.max()),
        "spread": float(metrics.max() - metrics.min()),
        "max_abs_change": max((abs(r["delta_metric"]) for r in records), default=0.0),
    }


def repeat(
    pair=None,
    *,
    runs=10,
    seed=0,
    out=None,
    progress=False,
    radius=2,
    tolerance=DEFAULT_TOLERANCE,
    options=None,
    name="repeat",
    inner_band=None,
    figures=True,
) -> RepeatResult:
    """Subtract the same pair K times: once with one padding seed, once with fresh seeds.

    Parameters
    ----------
    pair : SimulatedPair, ImagePair or None
        The pair (None: :func:`default_pair`).
    runs : int
        K >= 2.
    seed : int
        Padding seed of run 0; fresh run k uses ``seed + k``.
    out : None or path
        Write ``out/<name>/`` (JSON, Markdown summary, figures, ``noise_map.npy``).
    progress : bool
        Show a tqdm progress bar on stderr.
    radius : int
        Metric1 cutout radius.
    tolerance : float
        Leak level (relative to D's noise RMS) that defines the band width.
    options : None or dict
        Extra :func:`zogy.subtract` options for every run, e.g. LSST's kernels and FFT size
        ``{"kernel_guard": False, "fft_size": "pow2"}`` to reproduce the notebook.
    name : str
        Report subfolder under ``out``.
    inner_band : None or int
        Pixels at least this far from the edge form the "inner" image of the ΔD statistics
        (None: the measured band width), to compare runs with different options.
    figures : bool
        Draw the PNG figures when writing a report (needs matplotlib and astropy).

    Returns
    -------
    RepeatResult
    """
    runs = v.count(runs, "runs", 2)
    pair = default_pair() if pair is None else pair
    options = dict(options or {})
    with Progress(2 * runs - 1, progress, desc=name, unit="run") as bar:
        first = _subtract(pair, seed=seed, **options)
        bar.update()
        same = _same_seed_runs(pair, first, runs, seed, radius, bar, options)
        fresh = [first.difference]
        for k in range(1, runs):
            fresh.append(_subtract(pair, seed=seed + k, **options).difference)
            bar.update()
    settings = {
        "runs": runs,
        "seed": seed,
        "seeds": [seed + k for k in range(runs)],
        "radius": radius,
        "tolerance": tolerance,
        "options": options,
    }
    result, metrics = _repeat_result(pair, first, same, fresh, settings, inner_band)
    if out is None:
        return result
    return _write_repeat(result, pair, metrics, _study_dir(out, name), figures)


def _repeat_result(pair, first, same, fresh, settings, inner_band):
    """Measure the fresh-seed series against run 0; returns the result and the Metric1s."""
    distance = distance_from_edge(pair.science.shape)
    sigma_d = _noise_rms(first)
    diffs = np.stack([d - fresh[0] for d in fresh[1:]])
    leak = _rms_by_distance(diffs, distance) / sigma_d
    band = band_width(leak, settings["tolerance"])
    inner_band = band if inner_band is None else int(inner_band)
    inner = np.broadcast_to(distance >= inner_band, diffs.shape)
    radius = settings["radius"]
    metrics = [_metric(pair, d, radius) for d in fresh]
    records = [
        _fresh_run_record(s, d, metrics[0], m, inner[0])
        for s, d, m in zip(settings["seeds"], [np.zeros_like(fresh[0]), *diffs], metrics)
    ]
    noise_map = np.std(np.stack(fresh), axis=0, ddof=1)
    params = {
        **settings,
        "inner_band": inner_band,
        "noise_rms": sigma_d,
        "padded_shape": first.padded_shape,
        "border": first.border,
        "noise_weights": first.noise_weights,
        "fill_means": first.fill_means,
        "padding": first.padding,
    }
    result = RepeatResult(
        pair=_pair_info(pair),
        params=_json_safe(params),
        same_seed=same,
        runs=tuple(records),
        metric_stats=_metric_stats([m.metric for m in metrics], records[1:]),
        sign_flips_total=int(sum(r["sign_flips"] for r in records)),
        band_width=band,
        leak_profile=tuple(leak.tolist()),
        noise_map_profile=tuple((_rms_by_distance([noise_map], distance) / sigma_d).tolist()),
        max_abs_dd_inner=_max_abs(diffs, inner),
        rms_dd_inner=_rms(diffs, inner),
        max_abs_dd_all=_max_abs(diffs),
        input_metrics={
            "science": _metric_dict(_metric(pair, pair.science, radius)),
            "reference": _metric_dict(_metric(pair, pair.reference, radius)),
        },
        noise_map=noise_map,
        differences=(fresh[0], fresh[1]),
    )
    return result, metrics


def _write_repeat(result, pair, metrics, folder, figures) -> RepeatResult:
    paths = {"noise_map_npy": folder / "noise_map.npy"}
    np.save(paths["noise_map_npy"], result.noise_map)
    if figures:
        paths.update(_repeat_figures(result, pair, metrics, folder))
    return _finish(result, folder, paths, _repeat_summary(result, paths))


def _repeat_figures(result, pair, metrics, folder) -> dict:
    from . import plot

    paths = {}
    r = result.params["radius"]
    d0, d1 = result.differences
    cut = {
        "science": _metric(pair, pair.science, r).cutouts,
        "reference": _metric(pair, pair.reference, r).cutouts,
        f"D (seed {result.runs[0]['seed']})": metrics[0].cutouts,
        f"D (seed {result.runs[1]['seed']})": metrics[1].cutouts,
        "difference of the two": _metric(pair, d0 - d1, r).cutouts,
    }
    figures = {
        "images": plot.images_figure(pair.science, pair.reference),
        "differences": plot.differences_figure(
            d0, d1, labels=tuple(f"D, padding seed {run['seed']}" for run in result.runs[:2])
        ),
        "cutouts": plot.cutouts_figure(cut, radius=r),
        "noise_map": plot.noise_map_figure(
            result.noise_map,
            result.noise_map_profile,
            result.leak_profile,
            noise_rms=result.params["noise_rms"],
            tolerance=result.params["tolerance"],
            band=result.band_width,
        ),
        "metric": plot.metric_figure(
            [run["metric"] for run in result.runs],
            [run["sign_flips"] for run in result.runs[1:]],
            n_used=result.runs[0]["n_used"],
        ),
    }
    for name, fig in figures.items():
        paths[name] = plot.save(fig, folder / f"{name}.png")
    return paths


def _finish(result, folder, paths, summary):
    """Write summary.md and result.json; return the result with every path recorded."""
    paths = dict(paths, summary=folder / "summary.md", json=folder / "result.json")
    paths["summary"].write_text(summary, encoding="utf-8")
    result = dataclasses.replace(result, paths={k: str(v) for k, v in paths.items()})
    _write_json(paths["json"], result.to_dict())
    return result


def describe_pair(info) -> str:
    """One line describing a pair from its report dict (``RepeatResult.pair`` etc.)."""
    text = f"{info['shape'][0]}×{info['shape'][1]} px (H×W), {info['n_sources']} sources"
    if "science_psf_sigma" not in info:  # not simulated: say which files
        text = f"{info['label']}, {text}"
    if "science_psf_sigma" in info:
        text += (
            f", PSF σ {info['science_psf_sigma']:.3g} (science) / "
            f"{info['reference_psf_sigma']:.3g} (reference)"
        )
    if "noise" in info:
        text += f", noise {info['noise'][0]:g} / {info['noise'][1]:g} ({info['noise_kind']})"
    return text


def _figure_list(paths) -> list[str]:
    return [f"![{name}]({Path(p).name})" for name, p in paths.items() if str(p).endswith(".png")]


def _edge_width_sentence(band, shape) -> str:
    """The study's conclusion: how wide the band is, and how to flag it."""
    if band > (min(shape) - 1) // 2:
        return (
            "Padding matters **everywhere** in this image (the leak never falls below the "
            "tolerance), so flagging an edge band cannot help. With `kernel_guard=False` "
            "(LSST's kernels) this is the round-off leak the guard removes; with the guard "
            "on, PSFs with wide wings need a wider border."
        )
    return (
        f"Padding matters within **{band} px** of the image edge; use "
        f"`zogy.subtract(..., edge_width={band})` to flag that band (mask bit 4)."
    )


def _repeat_summary(result, paths) -> str:
    p, same, stats = result.params, result.same_seed, result.metric_stats
    lines = [
        "# Repeat study: the same pair subtracted K times",
        "",
        f"Pair: {describe_pair(result.pair)}. Padded to {p['padded_shape'][0]}×"
        f"{p['padded_shape'][1]} (border {p['border'][0]}×{p['border'][1]}); D's noise RMS "
        f"σ_D = {p['noise_rms']:.4g}."
        + (f" Subtraction options: {p['options']}." if p["options"] else ""),
        "",
        f"## Same padding seed ({p['runs']} runs, seed {p['seed']})",
        "",
        f"max |D − D_R| = {max(same['max_abs_diff']):.3g}, Metric1 identical: "
        f"{same['metric_equal']} ({same['metrics'][0]:+.4f}), D bit-identical: "
        f"{same['identical']}.",
        "",
        f"## Fresh padding seed per run (the notebook's situation, {p['runs']} runs)",
        "",
        "| run seed | Metric1 | ΔMetric1 | sign flips | max\\|ΔD\\| inner | RMS ΔD inner "
        "| max\\|ΔD\\| all | notebook nPos / nNeg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result.runs:
        nb = run["notebook"]
        lines.append(
            f"| {run['seed']} | {run['metric']:+.4f} | {run['delta_metric']:+.4f} | "
            f"{run['sign_flips']} | {_fmt(run['max_abs_dd_inner'])} | "
            f"{_fmt(run['rms_dd_inner'])} | {_fmt(run['max_abs_dd_all'])} | "
            f"{nb['nPos']} / {nb['nNeg']} |"
        )
    lines += [
        "",
        f"ΔD is against run 0; *inner* = pixels at least {p['inner_band']} px from the edge. "
        f"Metric1 over {p['runs']} seeds: mean {stats['mean']:+.4f}, spread "
        f"{stats['spread']:.4f}, largest change {stats['max_abs_change']:.4f}; "
        f"{result.sign_flips_total} cutout pixels flipped sign in total "
        f"(of {result.runs[0]['n_used']} per run).",
        "The notebook's naming swaps the sign words: its nPos counts pixels below zero.",
        "",
        "Leak (RMS of ΔD / σ_D) at distance 0, 1, 2, 5, 10 px from the edge: "
        + ", ".join(_fmt(_at(result.leak_profile, d)) for d in (0, 1, 2, 5, 10))
        + ".",
        "",
        _edge_width_sentence(result.band_width, result.pair["shape"])
        + f" Criterion: leak > {p['tolerance']:g} σ_D.",
        "",
        *_figure_list(paths),
        "",
    ]
    return "\n".join(lines)


def _at(profile, d):
    return profile[d] if d < len(profile) else math.nan


# --------------------------------------------------------------------------
# Study 2: reverse (swap test)
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ReverseResult:
    """Outcome of :func:`reverse`.

    Attributes
    ----------
    pairs : tuple of dict
        Description of each pair.
    params : dict
        Schemes, padding seed, radius.
    cases : tuple of dict
        Per pair and scheme: ``metric`` (D(sci, ref)), ``metric_R`` (D(ref, sci)),
        ``metric_sum`` (``metric + metric_R``, 0 when antisymmetric), ``max_abs_sum``
        (max |D + D_R|), ``rms_sum``, ``max_abs_sum_over_sigma``, ``exact`` and the
        notebook-naming counts.
    summary : dict
        Per scheme: largest ``max_abs_sum`` and ``|metric_sum|`` over the pairs, ``exact``.
    sums : dict
        D + D_R of the first pair per scheme (not in ``to_dict``).
    paths : dict
        Files written, by name.
    """

    pairs: tuple
    params: dict
    cases: tuple
    summary: dict
    sums: dict = field(repr=False)
    paths: dict = field(default_factory=dict)

    _ARRAYS = ("sums",)

    def to_dict(self) -> dict:
        """Every number, JSON-safe (the D + D_R maps are left out)."""
        return _dataclass_dict(self, self._ARRAYS)


def _swap_case(pair, scheme, seed, radius, ours, legacy_guard):
    """D and D_R of one pair under one scheme; ``ours`` is D(sci, ref) with our padding."""
    if scheme == "ours":
        d, d_r = ours.difference, _subtract(pair, swap=True, seed=seed).difference
    else:
        variances = _variances(pair, ours)
        d, d_r = (
            legacy_subtract(
                pair,
                scheme,
                swap=swap,
                border=ours.border,
                variances=variances,
                kernel_guard=legacy_guard,
            )
            for swap in (False, True)
        )
    m, m_r = _metric(pair, d, radius), _metric(pair, d_r, radius)
    total = d + d_r
    sigma_d = _noise_rms(ours)
    max_sum = _max_abs(total)
    record = {
        "scheme": scheme,
        "metric": float(m.metric),
        "metric_R": float(m_r.metric),
        "metric_sum": float(m.metric + m_r.metric),
        "max_abs_sum": max_sum,
        "rms_sum": _rms(total),
        "max_abs_sum_over_sigma": max_sum / sigma_d,
        "noise_rms": sigma_d,
        "exact": bool(np.array_equal(d, -d_r, equal_nan=True)),
        "notebook": _json_safe(m.notebook()),
        "notebook_R": _json_safe(m_r.notebook()),
    }
    return record, total


def _scheme_summary(cases, schemes) -> dict:
    summary = {}
    for scheme in schemes:
        mine = [c for c in cases if c["scheme"] == scheme]
        summary[scheme] = {
            "max_abs_sum": max(c["max_abs_sum"] for c in mine),
            "max_abs_sum_over_sigma": max(c["max_abs_sum_over_sigma"] for c in mine),
            "max_abs_metric_sum": max(abs(c["metric_sum"]) for c in mine),
            "exact": all(c["exact"] for c in mine),
        }
    return summary


def reverse(
    pairs=None,
    *,
    seeds=5,
    seed=0,
    padding_seed=0,
    schemes=SCHEMES,
    out=None,
    progress=False,
    radius=2,
    pair_options=None,
    legacy_kernel_guard=False,
    figures=True,
) -> ReverseResult:
    """Swap test: D(sci, ref) + D(ref, sci) for our padding and the legacy LSST schemes.

    Parameters
    ----------
    pairs : None or sequence of SimulatedPair / ImagePair
        The pairs; None: ``default_pair(seed=seed + i, **pair_options)`` for ``i < seeds``.
    seeds : int
        Number of simulated pairs when ``pairs`` is None (the LSST test used five).
    seed : int
        Simulation seed of the first default pair.
    padding_seed : int
        Our padding seed (the legacy schemes seed from the variance bits instead).
    schemes : sequence of str
        Any of :data:`SCHEMES`.
    out, progress, radius, figures
        As in :func:`repeat`.
    pair_options : None or dict
        Extra :func:`default_pair` arguments (shape, notebook_noise, ...).
    legacy_kernel_guard : bool
        Kernel guard for the legacy schemes. False (default) is what LSST ran; True shows the
        seeding scheme alone.

    Returns
    -------
    ReverseResult
    """
    for scheme in schemes:
        v.choice(scheme, SCHEMES, "schemes")
    if pairs is None:
        seeds = v.count(seeds, "seeds", 1)
        pairs = [default_pair(seed=seed + i, **(pair_options or {})) for i in range(seeds)]
    cases, sums = [], {}
    # One forward run with our padding, then per scheme: ours needs the swapped run only.
    per_pair = 1 + sum(1 if s == "ours" else 2 for s in schemes)
    with Progress(len(pairs) * per_pair, progress, desc="reverse", unit="run") as bar:
        for index, pair in enumerate(pairs):
            ours = _subtract(pair, seed=padding_seed)
            bar.update()
            for scheme in schemes:
                record, total = _swap_case(
                    pair, scheme, padding_seed, radius, ours, legacy_kernel_guard
                )
                bar.update(1 if scheme == "ours" else 2)
                cases.append({"pair": index, **record})
                if index == 0:
                    sums[scheme] = total
    result = ReverseResult(
        pairs=tuple(_pair_info(p) for p in pairs),
        params={
            "schemes": list(schemes),
            "padding_seed": padding_seed,
            "radius": radius,
            "legacy_fft_size": "pow2 >= inner + 2 border (LSST rule)",
            "legacy_kernel_guard": bool(legacy_kernel_guard),
        },
        cases=tuple(cases),
        summary=_scheme_summary(cases, schemes),
        sums=sums,
    )
    if out is None:
        return result
    return _write_reverse(result, _study_dir(out, "reverse"), figures)


def _write_reverse(result, folder, figures) -> ReverseResult:
    paths = {}
    if figures:
        from . import plot

        drawn = {
            "reverse": plot.reverse_figure(result.cases, result.params["schemes"]),
            "swap_sums": plot.swap_sums_figure(result.sums),
        }
        paths = {name: plot.save(fig, folder / f"{name}.png") for name, fig in drawn.items()}
    return _finish(result, folder, paths, _reverse_summary(result, paths))


_SCHEME_TEXT = {
    "ours": "ours (counter-based padding keyed by seed and image content)",
    "legacy-shared": "legacy shared stream (image 1's variance seeds one generator, "
    "image 1 then image 2)",
    "legacy-per-image": "legacy per-image seed (each image seeds its own generator from its "
    "mean variance bits)",
}


def _reverse_summary(result, paths) -> str:
    lines = [
        "# Reverse study: D(sci, ref) against D(ref, sci)",
        "",
        f"{len(result.pairs)} pair(s): {describe_pair(result.pairs[0])}"
        + (
            f"; simulation seeds {', '.join(str(p.get('seed')) for p in result.pairs)}."
            if "seed" in result.pairs[0]
            else "."
        ),
        "Swapping the inputs must negate D exactly: D + D_R = 0 and Metric1_R = −Metric1.",
        "",
        "| scheme | max \\|D + D_R\\| | / σ_D | max \\|Metric1 + Metric1_R\\| | exact |",
        "|---|---:|---:|---:|:---:|",
    ]
    for scheme, s in result.summary.items():
        lines.append(
            f"| {_SCHEME_TEXT[scheme]} | {s['max_abs_sum']:.3g} | "
            f"{s['max_abs_sum_over_sigma']:.3g} | {s['max_abs_metric_sum']:.4f} | "
            f"{'yes' if s['exact'] else 'no'} |"
        )
    lines += [
        "",
        "| pair | scheme | Metric1 | Metric1_R | max \\|D + D_R\\| |",
        "|---:|---|---:|---:|---:|",
        *(
            f"| {c['pair']} | {c['scheme']} | {c['metric']:+.4f} | {c['metric_R']:+.4f} | "
            f"{c['max_abs_sum']:.3g} |"
            for c in result.cases
        ),
        "",
        "Legacy schemes are emulated: the images are padded in Python to LSST's power-of-two "
        "size with N(0, mean variance) noise from `numpy.random.default_rng` seeded with the "
        "mean variance's float64 bits, then subtracted with `border=0` and the kernel guard "
        + (
            "on (so only the seeding scheme differs from ours). "
            if result.params["legacy_kernel_guard"]
            else "off, as LSST ran (its unguarded kernels carry the padding noise into the whole "
            "image, which is why the notebook saw Metric1 change; ours is guarded). "
        )
        + "LSST padded with mean "
        "0 while our core uses the clipped mean, so a pair with a background gets a step at "
        "the edge under the legacy schemes (faithful to LSST). The per-image scheme is "
        "antisymmetric, but two images with equal mean variance get identical padding noise, "
        "and any change of the variance value redraws all of it.",
        "",
        *_figure_list(paths),
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Study 3: padding
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PaddingResult:
    """Outcome of :func:`padding`.

    Attributes
    ----------
    pair : dict
        Description of the pair.
    params : dict
        Seeds, tolerance, radius, default border, sigma_D.
    configs : tuple of dict
        Per configuration: ``name``, ``options`` passed to :func:`zogy.subtract`,
        ``padded_shape``, ``border``, ``leak_profile`` (RMS of D_seed_k - D_seed_0 against
        distance, / sigma_D), ``band_width``, ``change_profile`` (RMS of D - D_default
        against distance, / sigma_D: how much this choice changes D), ``edge_bands``
        (robust std and median of D by distance band relative to the interior), Metric1,
        ``time_s`` (median wall time of one subtraction).
    band_width : int
        Band width of the default configuration: the study's answer.
    edge_width_supported : bool
        Whether :func:`zogy.subtract` takes ``edge_width`` (then ``edge_mask`` comes from it).
    edge_mask_pixels : int
        Pixels flagged as the band.
    edge_mask : ndarray of bool
        The band (not in ``to_dict``).
    paths : dict
        Files written, by name.
    """

    pair: dict
    params: dict
    configs: tuple
    band_width: int
    edge_width_supported: bool
    edge_mask_pixels: int
    edge_mask: np.ndarray = field(repr=False)
    paths: dict = field(default_factory=dict)

    _ARRAYS = ("edge_mask",)

    def to_dict(self) -> dict:
        """Every number, JSON-safe (the band mask is left out)."""
        return _dataclass_dict(self, self._ARRAYS)


def padding_configs(border, *, border_factors=(0.5, 2.0)) -> list[tuple[str, dict]]:
    """One-at-a-time variations around the default configuration (listed first).

    Parameters
    ----------
    border : (int, int)
        The default border (``ZogyResult.border``).
    border_factors : sequence of float
        Multiples of the default border to try.
    """
    configs = [
        ("default (noise, smooth FFT size, guard on)", {}),
        ("zero padding", {"padding": "zero"}),
        ("constant padding (clipped mean)", {"padding": "constant"}),
    ]
    for f in border_factors:
        b = (max(0, round(f * border[0])), max(0, round(f * border[1])))
        configs.append((f"border {f:g}× ({b[0]}×{b[1]})", {"border": b}))
    configs += [
        ("power-of-two FFT size", {"fft_size": "pow2"}),
        ("kernel guard off", {"kernel_guard": False}),
    ]
    return configs


def _timed(pair, **options):
    start = time.perf_counter()
    result = _subtract(pair, **options)
    return result, time.perf_counter() - start


def _run_config(pair, options, seeds, bar):
    """Subtractions of one configuration, one per padding seed; wall time of each."""
    results, times = [], []
    for s in seeds:
        r, t = _timed(pair, seed=s, **options)
        results.append(r)
        times.append(t)
        bar.update()
    return results, times


def _leak(results, distance, sigma_d) -> np.ndarray:
    """Leak profile: RMS of D(seed k) - D(seed 0) against distance, relative to sigma_D."""
    d0 = results[0].difference
    return _rms_by_distance([r.difference - d0 for r in results[1:]], distance) / sigma_d


def _config_record(pair, name, options, results, times, default_d, ctx) -> dict:
    distance, sigma_d = ctx["distance"], ctx["noise_rms"]
    d0 = results[0].difference
    leak = _leak(results, distance, sigma_d)
    change = _rms_by_distance([d0 - default_d], distance) / sigma_d
    band = band_width(leak, ctx["tolerance"])
    return {
        "name": name,
        "options": _json_safe(options),
        "padded_shape": list(results[0].padded_shape),
        "border": list(results[0].border),
        "leak_profile": leak.tolist(),
        "band_width": band,
        "max_leak_inside_band": float(np.nanmax(leak[:band])) if band else 0.0,
        "max_leak_beyond_band": (float(np.nanmax(leak[band:])) if band < leak.size else math.nan),
        "change_profile": change.tolist(),
        "change_band_width": band_width(change, ctx["tolerance"]),
        "edge_bands": _edge_bands(d0, distance),
        **_metric_dict(_metric(pair, d0, ctx["radius"])),
        # Fastest of the seeds' runs: the first call of a process also pays for FFT planning.
        "time_s": float(np.min(times)),
    }


def _band_mask(pair, band, seed):
    """The band as the core flags it (``edge_width``) when available, else computed here."""
    if _edge_width_supported():
        flagged = _subtract(pair, seed=seed, edge_width=band)
        return (flagged.mask & 4) != 0, True
    return distance_from_edge(pair.science.shape) < band, False


def padding(
    pair=None,
    *,
    seeds=2,
    seed=0,
    configs=None,
    out=None,
    progress=False,
    radius=2,
    tolerance=DEFAULT_TOLERANCE,
    figures=True,
) -> PaddingResult:
    """The same pair under padding modes, border widths, FFT size rules and guard on/off.

    Parameters
    ----------
    pair : SimulatedPair, ImagePair or None
        The pair (None: :func:`default_pair`).
    seeds : int
        Padding seeds per configuration (>= 2): ``seed, seed + 1, ...``.
    seed : int
        First padding seed.
    configs : None or list of (name, options)
        Configurations (the first is the reference for ``change_profile`` and gives the
        answer); None: :func:`padding_configs` around the default border.
    out, progress, radius, tolerance, figures
        As in :func:`repeat`.

    Returns
    -------
    PaddingResult
    """
    seeds = v.count(seeds, "seeds", 2)
    pair = default_pair() if pair is None else pair
    seed_list = [seed + k for k in range(seeds)]
    n_configs = len(padding_configs((0, 0)) if configs is None else configs)
    with Progress(seeds * n_configs + 1, progress, desc="padding", unit="run") as bar:
        # The default configuration runs first: its border sets the variations' borders.
        base = _run_config(pair, {}, seed_list, bar)
        configs = padding_configs(base[0][0].border) if configs is None else list(configs)
        ctx = {
            "distance": distance_from_edge(pair.science.shape),
            "noise_rms": _noise_rms(base[0][0]),
            "radius": radius,
            "tolerance": tolerance,
        }
        runs = [
            base if not options else _run_config(pair, options, seed_list, bar)
            for _, options in configs
        ]
        reference_d = runs[0][0][0].difference
        records = [
            _config_record(pair, name, options, results, times, reference_d, ctx)
            for (name, options), (results, times) in zip(configs, runs)
        ]
        band = records[0]["band_width"]
        mask, supported = _band_mask(pair, band, seed)
        bar.update()
    first = base[0][0]  # default configuration, first seed
    result = PaddingResult(
        pair=_pair_info(pair),
        params=_json_safe(
            {
                "seeds": seed_list,
                "tolerance": tolerance,
                "radius": radius,
                "default_border": first.border,
                "noise_rms": ctx["noise_rms"],
                "default_padded_shape": first.padded_shape,
            }
        ),
        configs=tuple(records),
        band_width=band,
        edge_width_supported=supported,
        edge_mask_pixels=int(mask.sum()),
        edge_mask=mask,
    )
    if out is None:
        return result
    return _write_padding(result, _study_dir(out, "padding"), figures)


def _write_padding(result, folder, figures) -> PaddingResult:
    paths = {"edge_mask_npy": folder / "edge_mask.npy"}
    np.save(paths["edge_mask_npy"], result.edge_mask)
    if figures:
        from . import plot

        drawn = {
            "padding_leak": plot.padding_leak_figure(
                result.configs, tolerance=result.params["tolerance"], band=result.band_width
            ),
            "padding_edges": plot.edge_bands_figure(result.configs),
        }
        for name, fig in drawn.items():
            paths[name] = plot.save(fig, folder / f"{name}.png")
    return _finish(result, folder, paths, _padding_summary(result, paths))


def _padding_summary(result, paths) -> str:
    p = result.params
    lines = [
        "# Padding study: what the padding choice does to D",
        "",
        f"Pair: {describe_pair(result.pair)}. D's noise RMS σ_D = {p['noise_rms']:.4g}; "
        f"padding seeds {p['seeds']}.",
        "",
        "| configuration | padded | band (seed leak) | leak at 0 / 1 / 5 px | "
        "change vs default at 0 / 20 px | D std at edge / interior | Metric1 | time (s) |",
        "|---|---|---:|---|---|---:|---:|---:|",
    ]
    for c in result.configs:
        lp, cp = c["leak_profile"], c["change_profile"]
        lines.append(
            f"| {c['name']} | {c['padded_shape'][0]}×{c['padded_shape'][1]} | "
            f"{c['band_width']} | {' / '.join(_fmt(_at(lp, d), '.2g') for d in (0, 1, 5))} | "
            f"{' / '.join(_fmt(_at(cp, d), '.2g') for d in (0, 20))} | "
            f"{_fmt(c['edge_bands'][0]['std_ratio'], '.3f')} | {c['metric']:+.4f} | "
            f"{c['time_s']:.3f} |"
        )
    mask_how = (
        "made by `zogy.subtract(edge_width=...)` (mask bit 4)"
        if result.edge_width_supported
        else "computed by the study (the core has no `edge_width` option yet)"
    )
    lines += [
        "",
        "*Leak*: RMS over pixels at that distance from the edge of D(seed k) − D(seed 0), in "
        "units of σ_D (zero and constant padding do not depend on the seed, so their leak is "
        "0 — their cost is the edge artefact instead). *Change vs default*: RMS of "
        "D − D(default) at that distance, / σ_D. *D std at edge / interior*: robust std of "
        "the outermost pixel ring over that of the interior.",
        "",
        _edge_width_sentence(result.band_width, result.pair["shape"])
        + f" Criterion: leak > {p['tolerance']:g} σ_D. The band holds "
        f"{result.edge_mask_pixels} pixels; the mask was {mask_how}.",
        "",
        *_figure_list(paths),
        "",
    ]
    return "\n".join(lines)
