"""``zogy simulate DIR``: the built-in simulated pair as FITS files, for ``zogy subtract``."""

from __future__ import annotations

import argparse
import sys

from . import io
from .simulate import make_pair


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "simulate",
        help="write a simulated science/reference pair as FITS files",
        description="Writes science.fits and reference.fits (each with a VARIANCE extension), "
        "science_psf.fits, reference_psf.fits and catalog.csv into DIR.",
    )
    parser.add_argument("directory", help="output directory (created if needed)")
    parser.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    parser.add_argument("--size", nargs=2, type=int, metavar=("W", "H"), default=(260, 250),
                        help="image width and height (default 260 250)")  # fmt: skip
    parser.add_argument("--sources", type=int, default=20, help="number of sources")
    parser.add_argument("--overwrite", action="store_true", help="replace existing files")
    parser.set_defaults(func=run)
    return parser


def stamp_shape(height: int, width: int) -> tuple[int, int]:
    """LSST's 125-pixel PSF stamps, shrunk (kept odd) to fit small images."""
    side = min(125, height, width)
    side -= 1 - side % 2
    return side, side


def run(args: argparse.Namespace) -> int:
    try:
        width, height = args.size
        pair = make_pair(shape=(height, width), n_sources=args.sources, seed=args.seed,
                         psf_stamp_shape=stamp_shape(height, width))
        paths = io.write_pair(args.directory, pair, overwrite=args.overwrite)
    except (ValueError, FileExistsError) as exc:
        print(f"zogy simulate: error: {exc}", file=sys.stderr)
        return 2
    sci, ref = paths["science"], paths["reference"]
    print(f"wrote {args.directory}: {height}x{width}, {len(pair.catalog)} sources, PSF sigma "
          f"{pair.science_psf_sigma:.3f} (science) / {pair.reference_psf_sigma:.3f}")
    print(f"next: zogy subtract {sci} {ref} --sci-psf {paths['science_psf']} "
          f"--ref-psf {paths['reference_psf']} --sci-var '{sci}[VARIANCE]' "
          f"--ref-var '{ref}[VARIANCE]' -o diff.fits")
    return 0
