"""The reverse study (swap test): D(sci, ref) against D(ref, sci), with our padding and with
the two legacy LSST seeding schemes emulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from .._progress import Progress
from .json_safe import _dataclass_dict, _json_safe
from .legacy_padding import LEGACY_SCHEMES, _variances, legacy_subtract
from .measurements import _max_abs, _noise_rms, _rms
from .pairs import _metric, _pair_info, _subtract, default_pair, describe_pair
from .report import _figure_list, _finish, _study_dir

#: Swap-test schemes: our counter-based padding and the two emulated LSST seeding schemes.
SCHEMES = ("ours", *LEGACY_SCHEMES)


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
        from .. import plot

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
