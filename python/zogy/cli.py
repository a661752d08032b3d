"""Command line: ``zogy demo`` (the README's main job) and ``zogy study repeat|reverse|padding``.

One ``_add_<command>_parser(sub)`` function per subcommand registers its options and sets
``func``, the handler that returns the exit code; :func:`main` parses and dispatches.
"""

from __future__ import annotations

import argparse
import sys
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

    from . import io, study

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
    return study.ImagePair.from_arrays(
        *images,
        x=x,
        y=y,
        science_variance=variances[0],
        reference_variance=variances[1],
        label=str(args.science),
    )


# --------------------------------------------------------------------------
# zogy study
# --------------------------------------------------------------------------


def _run_study(args) -> int:
    # The study package (and through it simulate and metric) loads only for the commands
    # that use it.
    from .study import tables

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
    tables.print_files(result)
    print(f"  done in {time.perf_counter() - start:.1f} s")
    return 0


def _study_result(args, user):
    """Run the chosen study and print its table; returns the result."""
    from . import study
    from .study import tables

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
        tables.print_reverse(result)
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
            tables.print_repeat(result)
        else:
            result = study.padding(
                pair, seeds=seeds, seed=args.padding_seed, tolerance=args.tolerance, **common
            )
            tables.print_padding(result)
    return result


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
    from . import study
    from .study import tables

    if args.runs < 2 or args.pairs < 1:
        print("zogy demo: error: --runs must be >= 2 and --pairs >= 1", file=sys.stderr)
        return 2
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
    tables.print_demo(rep, lsst, rev, args.out)
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
