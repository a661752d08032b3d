"""Figures of the seed studies (matplotlib, zscale display).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so nothing
touches matplotlib's global state (no backend switch, no open-figure registry); :func:`save`
writes one as PNG. Requires the ``plot`` extra (matplotlib, astropy).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "cutouts_figure",
    "differences_figure",
    "edge_bands_figure",
    "images_figure",
    "metric_figure",
    "noise_map_figure",
    "padding_leak_figure",
    "reverse_figure",
    "save",
    "swap_sums_figure",
    "zscale_limits",
]

_IMAGE_CMAP = "viridis"
_DIFF_CMAP = "RdBu_r"
_SCHEME_COLOURS = {"ours": "tab:green", "legacy-shared": "tab:red", "legacy-per-image": "tab:blue"}
#: Where exact zeros are drawn on logarithmic axes (labelled as such).
_LOG_FLOOR = 1e-17


def _cmap(name):
    # A copy with NaN shown in light grey (gaps between cutouts, bad pixels).
    return matplotlib.colormaps[name].with_extremes(bad="0.85")


def zscale_limits(image) -> tuple[float, float]:
    """IRAF zscale limits (astropy's ``ZScaleInterval``) of the finite pixels.

    Constant or empty images get a unit-wide interval around their value, so the display
    never divides by zero.
    """
    from astropy.visualization import ZScaleInterval

    values = np.asarray(image, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -1.0, 1.0
    if values.min() == values.max():
        return float(values.min()) - 1.0, float(values.min()) + 1.0
    lo, hi = ZScaleInterval().get_limits(values)
    if not lo < hi:
        lo, hi = float(values.min()), float(values.max())
    return float(lo), float(hi)


def _symmetric_limit(image) -> float:
    lo, hi = zscale_limits(image)
    v = max(abs(lo), abs(hi))
    return v if v > 0 else 1.0


def save(fig: Figure, path) -> Path:
    """Write ``fig`` as a PNG at ``path`` and return the path."""
    path = Path(path)
    fig.savefig(path, format="png", dpi=110)
    return path


def _show(
    fig,
    ax,
    image,
    *,
    vmin=None,
    vmax=None,
    cmap=_IMAGE_CMAP,
    norm=None,
    title="",
    label="pixel value",
):
    """imshow with origin lower, axis labels and a labelled colour bar."""
    kwargs = {"norm": norm} if norm is not None else {"vmin": vmin, "vmax": vmax}
    im = ax.imshow(image, origin="lower", cmap=_cmap(cmap), interpolation="nearest", **kwargs)
    ax.set_title(title)
    ax.set_xlabel("x (column, px)")
    ax.set_ylabel("y (row, px)")
    fig.colorbar(im, ax=ax, label=label, shrink=0.85)
    return im


def images_figure(science, reference) -> Figure:
    """Science and reference images on one zscale (the science image's)."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    lo, hi = zscale_limits(science)
    for ax, image, name in zip(
        fig.subplots(1, 2), (science, reference), ("science image", "reference image")
    ):
        _show(fig, ax, image, vmin=lo, vmax=hi, title=name, label="pixel value (zscale)")
    return fig


def differences_figure(d1, d2, *, labels=("D, run 0", "D, run 1")) -> Figure:
    """The notebook's three panels: D of two runs on one zscale, and their difference."""
    fig = Figure(figsize=(16, 4.6), layout="constrained")
    axes = fig.subplots(1, 3)
    v = _symmetric_limit(d1)
    for ax, image, name in zip(axes, (d1, d2), labels):
        _show(
            fig,
            ax,
            image,
            vmin=-v,
            vmax=v,
            cmap=_DIFF_CMAP,
            title=name,
            label="D (science flux units, zscale)",
        )
    delta = d1 - d2
    # zscale, as the notebook did: the interior structure shows, the edge pixels saturate.
    w = _symmetric_limit(delta)
    peak = float(np.nanmax(np.abs(delta))) if np.isfinite(delta).any() else 0.0
    _show(
        fig,
        axes[2],
        delta,
        vmin=-w,
        vmax=w,
        cmap=_DIFF_CMAP,
        title=f"{labels[0]} − {labels[1]}\n(max |ΔD| = {peak:.3g})",
        label="ΔD (zscale; larger values saturate)",
    )
    return fig


def _mosaic(cutouts, radius, per_row):
    """Tile cutouts (padded to full size with NaN) into one image with 1-px NaN gaps."""
    size = 2 * radius + 1
    rows = max(1, math.ceil(len(cutouts) / per_row))
    mosaic = np.full((rows * (size + 1) - 1, per_row * (size + 1) - 1), np.nan)
    for i, cut in enumerate(cutouts):
        r, c = divmod(i, per_row)
        y0 = (rows - 1 - r) * (size + 1)  # first source at the top with origin="lower"
        x0 = c * (size + 1)
        mosaic[y0 : y0 + cut.shape[0], x0 : x0 + cut.shape[1]] = cut
    return mosaic


def cutouts_figure(sets: dict, *, radius: int = 2) -> Figure:
    """Source cutout grids, one panel per set (science, reference, differences, ...).

    Parameters
    ----------
    sets : dict of str to list of ndarray
        Panel title to the Metric1 cutouts of the counted sources, in catalogue order.
    radius : int
        Cutout radius; cutouts clipped at the image edge are padded with NaN (grey).
    """
    names = list(sets)
    n = max((len(c) for c in sets.values()), default=0)
    per_row = max(1, math.ceil(math.sqrt(n)))
    fig = Figure(figsize=(3.6 * len(names), 4.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(names)))
    differences = [name for name in names if not name.startswith(("science", "reference"))]
    v = max(
        (
            _symmetric_limit(np.concatenate([c.ravel() for c in sets[k]]))
            for k in differences[:-1]
            if sets[k]
        ),
        default=1.0,
    )
    for i, (ax, name) in enumerate(zip(axes, names)):
        mosaic = _mosaic(sets[name], radius, per_row)
        if name not in differences:
            lo, hi = zscale_limits(mosaic)
            kwargs = {"vmin": lo, "vmax": hi, "label": "pixel value (zscale)"}
        elif i == len(names) - 1 and len(differences) > 1:
            w = float(np.nanmax(np.abs(mosaic))) if np.isfinite(mosaic).any() else 0.0
            w = w if w > 0 else 1.0
            kwargs = {"vmin": -w, "vmax": w, "cmap": _DIFF_CMAP, "label": "ΔD (full range)"}
        else:
            kwargs = {"vmin": -v, "vmax": v, "cmap": _DIFF_CMAP, "label": "D (zscale)"}
        _show(fig, ax, mosaic, title=name, **kwargs)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{len(sets[name])} sources, {2 * radius + 1}×{2 * radius + 1} px each")
        ax.set_ylabel("")
    fig.suptitle("Metric1 cutouts around the catalogue sources (first source top left)")
    return fig


def _positive(values):
    """Values for a log axis: non-positive and non-finite entries masked."""
    values = np.asarray(values, dtype=float)
    return np.ma.masked_where(~(values > 0), values)


def noise_map_figure(
    noise_map, noise_profile, leak_profile, *, noise_rms, tolerance, band
) -> Figure:
    """The padding noise map (std of D across seeds, / sigma_D) and its edge profile."""
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    ax_map, ax_prof = fig.subplots(1, 2)
    rel = np.asarray(noise_map) / noise_rms
    pos = rel[np.isfinite(rel) & (rel > 0)]
    norm = LogNorm(vmin=max(pos.min(), 1e-12), vmax=pos.max()) if pos.size else None
    _show(
        fig,
        ax_map,
        np.where(rel > 0, rel, np.nan) if pos.size else rel,
        norm=norm,
        vmin=0,
        vmax=1,
        title="padding noise map: std of D across padding seeds",
        label="std / σ_D (log)",
        cmap="magma",
    )
    d = np.arange(len(noise_profile))
    ax_prof.plot(d, _positive(noise_profile), label="std of D across seeds (RMS at distance)")
    ax_prof.plot(d, _positive(leak_profile), label="RMS of D(seed k) − D(seed 0)")
    ax_prof.axhline(tolerance, color="k", ls="--", lw=1, label=f"tolerance {tolerance:g}")
    ax_prof.axvline(band, color="tab:red", ls=":", lw=1.5, label=f"band = {band} px")
    ax_prof.set_yscale("log")
    ax_prof.set_xlabel("distance from the image edge (px)")
    ax_prof.set_ylabel("relative to D's noise RMS σ_D")
    ax_prof.set_title(f"edge profile (σ_D = {noise_rms:.3g})")
    ax_prof.grid(True, which="major", alpha=0.3)
    ax_prof.legend(fontsize="small")
    return fig


def metric_figure(metrics, sign_flips, *, n_used) -> Figure:
    """Metric1 across padding seeds and the cutout sign flips per run."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax_hist, ax_flip = fig.subplots(1, 2)
    metrics = np.asarray(metrics, dtype=float)
    # One count of n_used changes the metric by 2 / n_used: bin at that resolution.
    step = 2.0 / n_used if n_used else 0.01
    lo, hi = metrics.min() - step, metrics.max() + step
    bins = np.arange(lo, hi + step, step) - step / 2
    ax_hist.hist(metrics, bins=bins, color="tab:blue", edgecolor="k")
    ax_hist.axvline(metrics[0], color="tab:red", ls="--", label=f"run 0: {metrics[0]:+.4f}")
    ax_hist.set_xlabel("Metric1 = (n_pos − n_neg) / n_used")
    ax_hist.set_ylabel("number of padding seeds")
    ax_hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_hist.set_title(
        f"Metric1 over {metrics.size} padding seeds (spread {metrics.max() - metrics.min():.4f})"
    )
    ax_hist.legend(fontsize="small")
    runs = np.arange(1, len(sign_flips) + 1)
    ax_flip.bar(runs, sign_flips, color="tab:orange", edgecolor="k")
    ax_flip.set_xlabel("run k (fresh padding seed)")
    ax_flip.set_ylabel(f"cutout pixels with another sign than run 0\n(of {n_used})")
    ax_flip.set_title(f"sign flips: {int(np.sum(sign_flips))} in total")
    ax_flip.set_xticks(runs)
    ax_flip.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _floor_zeros(values):
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, _LOG_FLOOR)


def reverse_figure(cases, schemes) -> Figure:
    """Swap test per pair and scheme: max |D + D_R| and Metric1 against −Metric1_R."""
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    ax_sum, ax_metric = fig.subplots(1, 2)
    pairs = sorted({c["pair"] for c in cases})
    width = 0.8 / max(1, len(schemes))
    for j, scheme in enumerate(schemes):
        mine = [c for c in cases if c["scheme"] == scheme]
        values = [c["max_abs_sum"] for c in mine]
        exact = all(v == 0 for v in values)
        ax_sum.bar(
            np.array(pairs) + (j - (len(schemes) - 1) / 2) * width,
            _floor_zeros(values),
            width=width,
            color=_SCHEME_COLOURS.get(scheme),
            label=scheme + (" (exactly 0)" if exact else ""),
            edgecolor="k",
        )
        ax_metric.plot(
            [c["metric"] for c in mine],
            [-c["metric_R"] for c in mine],
            "o",
            color=_SCHEME_COLOURS.get(scheme),
            label=scheme,
            alpha=0.8,
        )
    ax_sum.set_yscale("log")
    ax_sum.set_ylim(_LOG_FLOOR / 3, None)
    ax_sum.set_xticks(pairs)
    ax_sum.set_xlabel("pair (simulation seed index)")
    ax_sum.set_ylabel("max |D(sci, ref) + D(ref, sci)|\n(exact zeros drawn at 1e-17)")
    ax_sum.set_title("swap test: D + D_R must be 0")
    ax_sum.legend(fontsize="small")
    lim = [
        min(min(c["metric"], -c["metric_R"]) for c in cases) - 0.02,
        max(max(c["metric"], -c["metric_R"]) for c in cases) + 0.02,
    ]
    ax_metric.plot(lim, lim, "k--", lw=1, label="antisymmetric")
    ax_metric.set_xlabel("Metric1 of D(sci, ref)")
    ax_metric.set_ylabel("−Metric1 of D(ref, sci)")
    ax_metric.set_title("Metric1 under the swap")
    ax_metric.legend(fontsize="small")
    return fig


def swap_sums_figure(sums: dict) -> Figure:
    """D(sci, ref) + D(ref, sci) maps of one pair, one panel per scheme (zscale)."""
    fig = Figure(figsize=(5.4 * len(sums), 4.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(sums)))
    for ax, (scheme, total) in zip(axes, sums.items()):
        peak = float(np.nanmax(np.abs(total))) if np.isfinite(total).any() else 0.0
        title = f"{scheme}: max |D + D_R| = {peak:.3g}" + (" (exact)" if peak == 0 else "")
        w = _symmetric_limit(total)
        _show(
            fig,
            ax,
            total,
            vmin=-w,
            vmax=w,
            cmap=_DIFF_CMAP,
            title=title,
            label="D + D_R (zscale; larger values saturate)",
        )
    return fig


def padding_leak_figure(configs, *, tolerance, band) -> Figure:
    """Seed leak and change against the default configuration, by distance from the edge."""
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    ax_leak, ax_change = fig.subplots(1, 2)
    for c in configs:
        leak = np.asarray(c["leak_profile"], dtype=float)
        label = c["name"] + (" (leak ≡ 0)" if not np.any(leak > 0) else "")
        ax_leak.plot(np.arange(leak.size), _positive(leak), label=label)
        if c is not configs[0]:
            change = np.asarray(c["change_profile"], dtype=float)
            ax_change.plot(np.arange(change.size), _positive(change), label=c["name"])
    for ax in (ax_leak, ax_change):
        ax.axhline(tolerance, color="k", ls="--", lw=1, label=f"tolerance {tolerance:g}")
        ax.set_yscale("log")
        ax.set_xlabel("distance from the image edge (px)")
        ax.grid(True, which="major", alpha=0.3)
    ax_leak.axvline(band, color="tab:red", ls=":", lw=1.5, label=f"default band = {band} px")
    ax_leak.set_ylabel("RMS of D(seed k) − D(seed 0) / σ_D")
    ax_leak.set_title("padding leak: what a new padding seed changes")
    ax_change.set_ylabel("RMS of D − D(default) / σ_D")
    ax_change.set_title("what each choice changes against the default")
    ax_leak.legend(fontsize="x-small")
    ax_change.legend(fontsize="x-small")
    return fig


def edge_bands_figure(configs) -> Figure:
    """Edge artefacts: robust std of D by distance band, relative to the interior and to the
    default configuration (the first) in the same band.

    The second view divides out the noise of the image itself, which is the same for every
    configuration, so what remains is what the padding choice does near the edge.
    """
    fig = Figure(figsize=(13, 4.6), layout="constrained")
    ax_std, ax_rel = fig.subplots(1, 2)
    bands = configs[0]["edge_bands"]
    labels = [_band_label(b) for b in bands]
    x = np.arange(len(bands))
    default_std = np.array([_number(b["robust_std"]) for b in bands])
    for c in configs:
        std = np.array([_number(b["robust_std"]) for b in c["edge_bands"]])
        ax_std.plot(x, [_number(b["std_ratio"]) for b in c["edge_bands"]], "o-", label=c["name"])
        with np.errstate(invalid="ignore", divide="ignore"):
            ax_rel.plot(x, std / default_std, "o-", label=c["name"])
    for ax in (ax_std, ax_rel):
        ax.axhline(1.0, color="k", lw=1)
        ax.set_xticks(x, labels)
        ax.set_xlabel("distance from the image edge (px band)")
        ax.grid(True, alpha=0.3)
    ax_std.set_ylabel("robust std of D in band / interior")
    ax_std.set_title("noise level of D near the edge")
    ax_rel.set_ylabel("robust std of D in band / default's")
    ax_rel.set_title("edge artefact of each choice (same band, vs default)")
    ax_std.legend(fontsize="x-small")
    return fig


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _band_label(band) -> str:
    lo, hi = band["from"], band["to"]
    if hi is None:
        return f"≥{lo}"
    return f"{lo}" if hi - 1 == lo else f"{lo}–{hi - 1}"
