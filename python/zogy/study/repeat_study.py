"""The repeat study: the same pair subtracted K times, first with one padding seed (outputs
must be identical), then with a fresh padding seed per run (the notebook's situation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._progress import Progress
from .json_safe import _dataclass_dict, _json_safe
from .measurements import (
    DEFAULT_TOLERANCE,
    _max_abs,
    _metric_dict,
    _noise_rms,
    _rms,
    _rms_by_distance,
    _sign_flips,
    band_width,
    distance_from_edge,
)
from .pairs import _metric, _pair_info, _subtract, default_pair, describe_pair
from .report import _at, _edge_width_sentence, _figure_list, _finish, _fmt, _study_dir


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
        Show a tqdm progress bar on stderr (if tqdm is installed).
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
    from .. import plot

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
