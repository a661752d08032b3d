"""The padding study: the same pair under other padding modes, border widths, FFT size rules
and with the kernel guard off -- edge artefacts, the padding leak profile, Metric1, time. Its
answer is the width of the band, next to the image edge, inside which the padding noise still
matters.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._progress import Progress
from .json_safe import _dataclass_dict, _json_safe
from .measurements import (
    DEFAULT_TOLERANCE,
    _edge_bands,
    _metric_dict,
    _noise_rms,
    _rms_by_distance,
    band_width,
    distance_from_edge,
)
from .pairs import _metric, _pair_info, _subtract, default_pair, describe_pair
from .report import _at, _edge_width_sentence, _figure_list, _finish, _fmt, _study_dir


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
        ``time_s`` (wall time of the fastest of the seeds' subtractions).
    band_width : int
        Band width of the default configuration: the study's answer.
    edge_width_supported : bool
        Always True: ``edge_mask`` is what :func:`zogy.subtract` flags with ``edge_width``
        (kept so that ``result.json`` keeps its keys).
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
    """The band as the core flags it: mask bit 4 of ``zogy.subtract(..., edge_width=band)``."""
    return (_subtract(pair, seed=seed, edge_width=band).mask & 4) != 0


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
        mask = _band_mask(pair, band, seed)
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
        edge_width_supported=True,
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
        from .. import plot

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
        f"{result.edge_mask_pixels} pixels; the mask was made by "
        "`zogy.subtract(edge_width=...)` (mask bit 4).",
        "",
        *_figure_list(paths),
        "",
    ]
    return "\n".join(lines)
