"""The tables the command line prints for the studies and the demo (``zogy study``,
``zogy demo``): fixed-width text on stdout, one ``print_*`` function per printout.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from .. import __version__
from .measurements import _matters_everywhere, _notebook_printout
from .pairs import describe_pair
from .report import _fmt


def print_repeat(result) -> None:
    """The pair, the repeat table and the notebook's printout of the first two fresh runs."""
    print(_pair_line(result.pair, result.params))
    print("\n".join(_repeat_header(result) + _repeat_rows(result)))
    print("\n".join(_notebook_rows(result)))


def print_reverse(result) -> None:
    """The swap-test table."""
    print("\n".join(_reverse_rows(result)))


def print_demo(rep, lsst, rev, out) -> None:
    """The demo's question, its table (repeat with our and LSST's kernels, swap test), the
    answer, the notebook's printout with LSST's kernels and the files written under ``out``."""
    print(
        f"zogy {__version__} demo: does re-drawing the padding noise change a ZOGY "
        "subtraction, and does it break the swap test?"
    )
    print(_pair_line(rep.pair, rep.params))
    print()
    print(
        "\n".join(_repeat_header(rep) + _repeat_rows(rep) + _repeat_rows(lsst, " (LSST kernels)"))
    )
    print()
    print("\n".join(_reverse_rows(rev)))
    print()
    for paragraph in _answer(rep, rev, lsst):
        print(textwrap.fill(paragraph, width=100, subsequent_indent="  "))
    print()
    print("\n".join(_notebook_rows(lsst, " with LSST's kernels")))
    print()
    print(f"Figures and reports written to {out}/:")
    for result in (rep, lsst, rev):
        print_files(result)


def print_padding(result) -> None:
    """The pair, one row per padding configuration and the band the study found."""
    print(
        _pair_line(
            result.pair,
            {
                "noise_rms": result.params["noise_rms"],
                "padded_shape": result.params["default_padded_shape"],
            },
        )
    )
    print(
        f"  {'configuration':<44}{'band (px)':>10}{'leak at edge':>14}{'Metric1':>10}"
        f"{'time (s)':>10}"
    )
    for c in result.configs:
        print(
            f"  {c['name']:<44}{c['band_width']:>10}{_fmt(c['leak_profile'][0], '.2g'):>14}"
            f"{c['metric']:>+10.4f}{c['time_s']:>10.3f}"
        )
    band, shape = result.band_width, result.pair["shape"]
    print(_band_sentence(band, shape, result.params["tolerance"]))
    print(f"  ({result.edge_mask_pixels} pixels in the band)")


def print_files(result) -> None:
    """The report folder of a study and the files in it."""
    names = sorted(Path(p).name for p in result.paths.values())
    folder = Path(result.paths["json"]).parent
    print(f"  {folder}/: {', '.join(names)}")


def _sigma(value, sigma) -> str:
    """``value (x σ_D)`` for a ΔD in image units."""
    if value is None or value != value:
        return "n/a"
    if value == 0:
        return "0"
    return f"{value:.3g} ({value / sigma:.2g} σ_D)"


_LABEL = 52
_COLUMN = 21


def _repeat_header(rep) -> list[str]:
    inner = f"(inner: ≥ {rep.params['inner_band']} px from the edge)"
    return [
        f"  {'':<{_LABEL}}{'max|ΔD| inner':<{_COLUMN}}{'max|ΔD| all':<{_COLUMN}}"
        f"{'Metric1 min … max':<{_COLUMN}}sign flips",
        f"  {inner:<{_LABEL}}{'':<{3 * _COLUMN}}(of {rep.runs[0]['n_used']} cutout px)",
    ]


def _repeat_rows(rep, label="") -> list[str]:
    same, stats, runs = rep.same_seed, rep.metric_stats, rep.params["runs"]
    flips_max = max(r["sign_flips"] for r in rep.runs)
    sigma = rep.params["noise_rms"]
    same_max = _sigma(max(same["max_abs_diff"]), sigma)
    same_metric = f"{min(same['metrics']):+.4f} … {max(same['metrics']):+.4f}"
    fresh_metric = f"{stats['min']:+.4f} … {stats['max']:+.4f}"
    return [
        f"  {f'same padding seed, {runs} runs{label}':<{_LABEL}}{same_max:<{_COLUMN}}"
        f"{same_max:<{_COLUMN}}{same_metric:<{_COLUMN}}0",
        f"  {f'fresh padding seed per run, {runs} runs{label}':<{_LABEL}}"
        f"{_sigma(rep.max_abs_dd_inner, sigma):<{_COLUMN}}"
        f"{_sigma(rep.max_abs_dd_all, sigma):<{_COLUMN}}"
        f"{fresh_metric:<{_COLUMN}}{rep.sign_flips_total} total, ≤ {flips_max} per run",
    ]


_SCHEME_LABEL = {
    "ours": "ours (counter-based padding)",
    "legacy-shared": "legacy shared stream",
    "legacy-per-image": "legacy per-image seed",
}


def _reverse_rows(rev) -> list[str]:
    guard = "on" if rev.params.get("legacy_kernel_guard") else "off, as LSST"
    title = f"swap test, {len(rev.pairs)} pair(s)"
    rows = [
        f"  {title:<{_LABEL}}"
        f"{'max|D(sci,ref) + D(ref,sci)|':<{2 * _COLUMN}}max|Metric1 + Metric1_R|",
        f"  (legacy: kernel guard {guard})",
    ]
    for scheme, s in rev.summary.items():
        value = (
            "0 (exact)"
            if s["exact"]
            else f"{s['max_abs_sum']:.3g} ({s['max_abs_sum_over_sigma']:.2g} σ_D)"
        )
        rows.append(
            f"  {_SCHEME_LABEL[scheme]:<{_LABEL}}{value:<{2 * _COLUMN}}"
            f"{s['max_abs_metric_sum']:.4f}"
        )
    if "legacy-per-image" in rev.summary:
        rows.append(
            "  (the per-image scheme is antisymmetric, but two images with equal mean "
            "variance get identical padding noise)"
        )
    return rows


def _notebook_rows(rep, label="") -> list[str]:
    rows = [
        f"Notebook printout{label} (fresh padding seeds "
        f"{rep.runs[0]['seed']} and {rep.runs[1]['seed']}; its naming: nPos counts "
        "pixels < 0):"
    ]
    for run in rep.runs[:2]:
        rows += [f"  {line}" for line in _notebook_printout(run["notebook"])]
    a, b = rep.runs[0]["notebook"]["metric"], rep.runs[1]["notebook"]["metric"]
    rows.append(
        f"  metric, metricR, |metric - metricR| * n_used: {a} {b} "
        f"{abs(a - b) * rep.runs[0]['n_used']:.3g}"
    )
    return rows


def _answer(rep, rev, lsst=None) -> list[str]:
    sigma, band = rep.params["noise_rms"], rep.band_width
    lines = [
        f"Answer: with one padding seed the result is bit-identical (max|ΔD| = "
        f"{max(rep.same_seed['max_abs_diff']):g}, ΔMetric1 = 0). A fresh padding seed moves D "
        f"by up to {_sigma(rep.max_abs_dd_all, sigma)} in the outer {band} px and by at most "
        f"{_sigma(rep.max_abs_dd_inner, sigma)} further in; Metric1 moved by up to "
        f"{rep.metric_stats['max_abs_change']:.4f} ({rep.sign_flips_total} cutout sign flips "
        f"in {rep.params['runs'] - 1} re-runs).",
    ]
    if lsst is not None:
        lines.append(
            f"With LSST's unguarded kernels the padding noise reaches the whole image (max|ΔD| "
            f"inner {_sigma(lsst.max_abs_dd_inner, lsst.params['noise_rms'])}, "
            f"{lsst.sign_flips_total} sign flips, Metric1 change up to "
            f"{lsst.metric_stats['max_abs_change']:.4f}): that is the notebook's effect."
        )
    if rev is not None:
        exact = rev.summary.get("ours", {}).get("exact", True)
        lines.append(
            "Swapping the inputs negates D "
            + (
                "exactly with our padding; LSST's shared stream did not."
                if exact
                else "NOT exactly with our padding — please report this."
            )
        )
    lines.append(_band_sentence(band, rep.pair["shape"], rep.params["tolerance"]))
    return lines


def _band_sentence(band, shape, tolerance) -> str:
    criterion = f"(leak > {tolerance:g} σ_D)"
    if _matters_everywhere(band, shape):
        return f"Padding matters everywhere in the image {criterion}: an edge mask cannot help."
    return (
        f"Padding matters within {band} px of the edge {criterion}: "
        f"use edge_width={band} to flag it."
    )


def _pair_line(info, params) -> str:
    shape = params.get("padded_shape")
    padded = f"; padded to {shape[0]}×{shape[1]}" if shape else ""
    return f"Pair: {describe_pair(info)}{padded}; σ_D = {params['noise_rms']:.4g}"
