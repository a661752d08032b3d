"""``zogy subtract``: FITS in, FITS out. User errors exit 2 with one line naming the file."""

from __future__ import annotations

import argparse
import sys

from . import api, io


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "subtract",
        help="subtract a reference FITS image from a science FITS image",
        description="ZOGY subtraction of FITS images. Inputs may name an HDU: file.fits[VAR] "
        "or file.fits[1]. Exit codes: 0 ok, 2 bad usage or input.",
    )
    parser.add_argument("science", help="science image, FILE[.fits][HDU]")
    parser.add_argument("reference", help="reference image, FILE[.fits][HDU]")
    psf = parser.add_argument_group("PSFs (a FITS stamp or a Gaussian width for each image)")
    psf.add_argument("--sci-psf", help="science PSF stamp FITS")
    psf.add_argument("--ref-psf", help="reference PSF stamp FITS")
    psf.add_argument("--psf-sigma", nargs=2, type=float, metavar=("SCI", "REF"),
                     help="Gaussian PSF widths in pixels instead of stamps")  # fmt: skip
    parser.add_argument("-o", "--output", required=True, help="output multi-extension FITS")
    parser.add_argument("--sci-var", help="science variance plane FITS[HDU]")
    parser.add_argument("--ref-var", help="reference variance plane FITS[HDU]")
    parser.add_argument("--sci-mask", help="science mask FITS[HDU] (non-zero = bad)")
    parser.add_argument("--ref-mask", help="reference mask FITS[HDU] (non-zero = bad)")
    parser.add_argument("--seed", type=int, default=0, help="padding seed (default 0)")
    parser.add_argument("--padding", choices=api.PADDING_MODES, default="noise")
    parser.add_argument("--fft-size", choices=api.FFT_SIZE_RULES, default="smooth")
    parser.add_argument("--border", type=int, help="padding border in pixels (default: rule)")
    parser.add_argument("--edge-width", type=int, default=0,
                        help="flag pixels this close to the edge (mask bit 4)")  # fmt: skip
    parser.add_argument("--blank-near-bad", action="store_true",
                        help="set outputs to NaN near bad pixels too (mask bit 8)")  # fmt: skip
    parser.add_argument("--exact-variance", action="store_true",
                        help="variance planes from full-grid kernels (default: within 1e-6 "
                             "relative, faster)")  # fmt: skip
    parser.add_argument("--threads", type=int, help="threads (results identical for any)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.set_defaults(func=run)
    return parser


def _psfs(args) -> tuple:
    if args.psf_sigma is not None:
        if args.sci_psf or args.ref_psf:
            raise io.FitsInputError("--psf-sigma: give either stamps or widths, not both")
        return tuple(io.gaussian_psf(s) for s in args.psf_sigma)
    if not (args.sci_psf and args.ref_psf):
        raise io.FitsInputError("--sci-psf/--ref-psf: both PSF stamps are needed "
                                "(or --psf-sigma SCI REF)")  # fmt: skip
    return io.read_psf(args.sci_psf), io.read_psf(args.ref_psf)


def _optional(spec, what):
    return None if spec is None else io.read_array(spec, what)[0]


def run(args: argparse.Namespace) -> int:
    try:
        if io.Path(args.output).exists() and not args.overwrite:
            raise FileExistsError(f"{args.output}: exists; pass --overwrite to replace it")
        science, header = io.read_array(args.science, "science image")
        reference, _ = io.read_array(args.reference, "reference image")
        psf_n, psf_r = _psfs(args)
        result = api.subtract(
            science, reference, psf_n, psf_r,
            science_variance=_optional(args.sci_var, "science variance"),
            reference_variance=_optional(args.ref_var, "reference variance"),
            science_mask=_optional(args.sci_mask, "science mask"),
            reference_mask=_optional(args.ref_mask, "reference mask"),
            seed=args.seed, padding=args.padding, fft_size=args.fft_size, border=args.border,
            edge_width=args.edge_width, blank_near_bad=args.blank_near_bad,
            exact_variance=args.exact_variance, threads=args.threads,
        )  # fmt: skip
        io.write_result(args.output, result, header, overwrite=args.overwrite)
    except (io.FitsInputError, FileExistsError) as exc:
        print(f"zogy subtract: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        # Messages from subtract() start with the argument; say which files it came from.
        print(f"zogy subtract: error: {args.science} - {args.reference}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}: {science.shape[0]}x{science.shape[1]}, "
          f"F_D = {result.flux_zero_point:.6g}, padded {result.padded_shape}, seed {result.seed}")
    return 0
