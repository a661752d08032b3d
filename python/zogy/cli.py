"""Command line: ``zogy demo`` (the README's main job) and ``zogy study repeat|reverse|padding``.

One ``_add_<command>_parser(sub)`` function per subcommand registers its options and sets
``func``, the handler that returns the exit code; :func:`main` parses and dispatches.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

from . import __version__, _cli_batch, _cli_simulate, _cli_subtract, _progress

_STUDIES = ("repeat", "reverse", "padding")
#: Default count for --seeds per study: repeat runs, reverse pairs, padding seeds per option.
_DEFAULT_SEEDS = {"repeat": 10, "reverse": 5, "padding": 2}
#: The notebook's subtraction: LSST's kernels (no round-off guard), power-of-two FFT size.
_LSST_KERNELS = {"kernel_guard": False, "fft_size": "pow2"}


# --------------------------------------------------------------------------
# Shared options
# --------------------------------------------------------------------------


def _add_simulation_options(target, seed_help: str) -> None:
    """--seed, --size and --notebook-noise of the simulated pair (demo and the studies)."""
    target.add_argument("--seed", type=int, default=0, metavar="S", help=seed_help)
    target.add_argument(
        "--size",
        type=int,
        nargs=2,
        metavar=("W", "H"),
        help="simulated image width and height in pixels (default 260 250)",
    )
    target.add_argument(
        "--notebook-noise",
        action="store_true",
        help="the LSST test images' noise: uniform, the same field in both images, source margin 5",
    )


def _add_pair_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "image pair", "default: the simulated LSST reverse scenario (zogy.simulate.make_pair)"
    )
    _add_simulation_options(
        group, "simulation seed of the pair (reverse: of the first pair; default 0)"
    )
    group.add_argument(
        "--science",
        metavar="FITS",
        help="your science image, file.fits or file.fits[HDU], instead of a "
        "simulated pair (needs --reference, --science-psf, "
        "--reference-psf)",
    )
    group.add_argument("--reference", metavar="FITS", help="your reference image")
    group.add_argument("--science-psf", metavar="FITS", help="science PSF stamp")
    group.add_argument("--reference-psf", metavar="FITS", help="reference PSF stamp")
    group.add_argument(
        "--science-variance",
        metavar="FITS",
        help="science variance plane (default: robust estimate)",
    )
    group.add_argument(
        "--reference-variance",
        metavar="FITS",
        help="reference variance plane (default: robust estimate)",
    )
    group.add_argument(
        "--sources",
        type=Path,
        metavar="TXT",
        help="text file with source columns x y (pixels) for Metric1",
    )


def _add_run_options(parser: argparse.ArgumentParser, out_default: str) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(out_default),
        metavar="DIR",
        help=f"report folder (default ./{out_default})",
    )
    parser.add_argument(
        "--padding-seed", type=int, default=0, metavar="S", help="first padding seed (default 0)"
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--figures",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="draw the PNG figures (default yes; --no-figures writes only the "
        "JSON, Markdown and .npy files)",
    )


def _pair_options(args) -> dict:
    options = {"notebook_noise": args.notebook_noise}
    if args.size is not None:
        width, height = args.size
        options["shape"] = (height, width)
    return options


def _user_pair(args):
    """The pair given as FITS files (``file.fits`` or ``file.fits[HDU]``), or None.

    Raises
    ------
    ValueError
        Incomplete file options, unreadable files (``zogy.io.FitsInputError``) or a bad
        source list; the message names the option or file.
    """
    files = (args.science, args.reference, args.science_psf, args.reference_psf)
    if all(f is None for f in files):
        return None
    if any(f is None for f in files):
        raise ValueError("--science, --reference, --science-psf and --reference-psf go together")
    import numpy as np

    from . import io
    from .study import ImagePair

    x, y = (), ()
    if args.sources is not None:
        try:
            table = np.loadtxt(args.sources, ndmin=2)
        except (OSError, ValueError) as exc:
            raise ValueError(f"--sources {args.sources}: {exc}") from None
        x, y = table[:, 0], table[:, 1]
    images = [
        io.read_array(spec, what)[0]
        for spec, what in zip(files, ("science image", "reference image", "PSF", "PSF"))
    ]
    variances = [
        None if spec is None else io.read_array(spec, what)[0]
        for spec, what in (
            (args.science_variance, "science variance"),
            (args.reference_variance, "reference variance"),
        )
    ]
    return ImagePair.from_arrays(
        *images,
        x=x,
        y=y,
        science_variance=variances[0],
        reference_variance=variances[1],
        label=str(args.science),
    )


# --------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------


def _g(value, spec=".3g") -> str:
    return "n/a" if value is None or value != value else format(value, spec)


def _sigma(value, sigma) -> str:
    """``value (x σ_D)`` for a ΔD in image units."""
    if value is None or value != value:
        return "n/a"
    if value == 0:
        return "0"
    return f"{value:.3g} ({value / sigma:.2g} σ_D)"


def _print_files(result) -> None:
    names = sorted(Path(p).name for p in result.paths.values())
    folder = Path(result.paths["json"]).parent
    print(f"  {folder}/: {', '.join(names)}")


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
        nb = run["notebook"]
        rows += [
            f"  Number of finite pixels: {nb['Number of finite pixels']}",
            f"  nPos: {nb['nPos']}, nNeg: {nb['nNeg']}",
            f"  Pixels used in the metric: {nb['Pixels used in the metric']}",
        ]
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
    if band > (min(shape) - 1) // 2:
        return f"Padding matters everywhere in the image {criterion}: an edge mask cannot help."
    return (
        f"Padding matters within {band} px of the edge {criterion}: "
        f"use edge_width={band} to flag it."
    )


def _pair_line(info, params) -> str:
    from .study import describe_pair

    shape = params.get("padded_shape")
    padded = f"; padded to {shape[0]}×{shape[1]}" if shape else ""
    return f"Pair: {describe_pair(info)}{padded}; σ_D = {params['noise_rms']:.4g}"


# --------------------------------------------------------------------------
# zogy study
# --------------------------------------------------------------------------


def _run_study(args) -> int:
    try:
        user = _user_pair(args)
    except ValueError as exc:
        print(f"zogy study: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        result = _study_result(args, user)
    except ValueError as exc:  # zogy.InvalidArgument and the studies' own checks
        print(f"zogy study {args.study}: error: {exc}", file=sys.stderr)
        return 2
    _print_files(result)
    print(f"  done in {time.perf_counter() - start:.1f} s")
    return 0


def _study_result(args, user):
    """Run the chosen study and print its table; returns the result."""
    from . import study

    progress = _progress.wanted(args.progress)
    seeds = _DEFAULT_SEEDS[args.study] if args.seeds is None else args.seeds
    common = {"out": args.out, "progress": progress, "radius": args.radius, "figures": args.figures}
    if args.study == "reverse":
        result = study.reverse(
            None if user is None else [user],
            seeds=seeds,
            seed=args.seed,
            padding_seed=args.padding_seed,
            pair_options=_pair_options(args),
            legacy_kernel_guard=args.legacy_kernel_guard,
            **common,
        )
        print("\n".join(_reverse_rows(result)))
    else:
        pair = user or study.default_pair(seed=args.seed, **_pair_options(args))
        if args.study == "repeat":
            result = study.repeat(
                pair,
                runs=seeds,
                seed=args.padding_seed,
                tolerance=args.tolerance,
                options=_LSST_KERNELS if args.lsst_kernels else None,
                **common,
            )
            print(_pair_line(result.pair, result.params))
            print("\n".join(_repeat_header(result) + _repeat_rows(result)))
            print("\n".join(_notebook_rows(result)))
        else:
            result = study.padding(
                pair, seeds=seeds, seed=args.padding_seed, tolerance=args.tolerance, **common
            )
            _print_padding(result)
    return result


def _print_padding(result) -> None:
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
            f"  {c['name']:<44}{c['band_width']:>10}{_g(c['leak_profile'][0], '.2g'):>14}"
            f"{c['metric']:>+10.4f}{c['time_s']:>10.3f}"
        )
    band, shape = result.band_width, result.pair["shape"]
    print(_band_sentence(band, shape, result.params["tolerance"]))
    print(f"  ({result.edge_mask_pixels} pixels in the band)")


def _add_study_parser(sub) -> None:
    parser = sub.add_parser(
        "study",
        help="seed studies: how much the padding noise changes the subtraction",
        description="Run one seed study and write a report folder (result.json, summary.md, "
        "PNG figures) under --out/<study>/.",
    )
    parser.add_argument(
        "study",
        choices=_STUDIES,
        help="repeat: same pair K times (same seed, then fresh seeds); "
        "reverse: swap test incl. legacy LSST seeding; padding: padding "
        "modes, borders, FFT sizes, kernel guard",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        metavar="N",
        help="repeat: runs (default 10); reverse: simulated pairs (default 5); "
        "padding: padding seeds per configuration (default 2)",
    )
    parser.add_argument("--radius", type=int, default=2, help="Metric1 cutout radius (2)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-3,
        help="leak, relative to D's noise RMS, above which the padding matters (default 1e-3)",
    )
    parser.add_argument(
        "--lsst-kernels",
        action="store_true",
        help="repeat: subtract as the notebook did (no kernel guard, power-of-two FFT size)",
    )
    parser.add_argument(
        "--legacy-kernel-guard",
        action="store_true",
        help="reverse: use our kernel guard for the emulated legacy schemes "
        "(default off, as LSST ran), to isolate the seeding scheme",
    )
    _add_run_options(parser, "zogy-study")
    _add_pair_options(parser)
    parser.set_defaults(func=_run_study)


# --------------------------------------------------------------------------
# zogy demo
# --------------------------------------------------------------------------


def _demo(args) -> int:
    if args.runs < 2 or args.pairs < 1:
        print("zogy demo: error: --runs must be >= 2 and --pairs >= 1", file=sys.stderr)
        return 2
    from . import study

    start = time.perf_counter()
    progress = _progress.wanted(args.progress)
    options = _pair_options(args)
    pair = study.default_pair(seed=args.seed, **options)
    common = {
        "runs": args.runs,
        "seed": args.padding_seed,
        "out": args.out,
        "progress": progress,
        "figures": args.figures,
    }
    rep = study.repeat(pair, **common)
    lsst = study.repeat(
        pair, options=_LSST_KERNELS, name="repeat-lsst-kernels", inner_band=rep.band_width, **common
    )
    rev = study.reverse(
        seeds=args.pairs,
        seed=args.seed,
        padding_seed=args.padding_seed,
        pair_options=options,
        out=args.out,
        progress=progress,
        figures=args.figures,
    )
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
    print(f"Figures and reports written to {args.out}/:")
    for result in (rep, lsst, rev):
        _print_files(result)
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return 0


def _add_demo_parser(sub) -> None:
    parser = sub.add_parser(
        "demo",
        help="repeat + reverse studies on the default simulated pair, with a table",
        description="Answer the notebook's question on the default simulated pair: repeat "
        "study (same seed, then fresh padding seeds) and swap test (ours and the "
        "legacy LSST seeding schemes); print a table and write figures.",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=8,
        metavar="N",
        help="subtractions per repeat series (default 8)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=5,
        metavar="N",
        help="simulated pairs in the swap test (default 5, as LSST)",
    )
    _add_simulation_options(parser, "simulation seed (default 0)")
    _add_run_options(parser, "zogy-demo")
    parser.set_defaults(func=_demo)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zogy",
        description="Reproducible ZOGY proper image subtraction: demo and seed studies.",
    )
    parser.add_argument("--version", action="version", version=f"zogy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_demo_parser(sub)
    _add_study_parser(sub)
    _cli_subtract.add_parser(sub)
    _cli_simulate.add_parser(sub)
    _cli_batch.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``zogy`` command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
