"""``zogy batch MANIFEST.csv``: many FITS pairs through Dask (see :mod:`zogy.batch`).

Exit codes: 0 every pair done or skipped; 1 some pair failed (each failure is printed on
stderr with its reason, the others were still written); 2 bad usage, unreadable manifest,
dask missing or scheduler unreachable (one line, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import _progress, batch
from ._atomic import write_atomically


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "batch",
        help="subtract many FITS pairs listed in a CSV manifest, with Dask",
        description="Subtract every pair of a CSV manifest (columns science, reference, output, "
        "and science_psf, reference_psf or science_psf_sigma, reference_psf_sigma; optional "
        "science_variance, reference_variance, science_mask, reference_mask, seed; paths "
        "relative to the manifest). Outputs that exist are skipped. Exit codes: 0 no pair "
        "failed, 1 some pair failed, 2 bad usage or unreadable manifest.",
    )
    parser.add_argument("manifest", help="CSV manifest with a header row")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="dask.distributed scheduler, e.g. tcp://host:8786 (default: "
                             "Dask's threaded scheduler in this process)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.add_argument(
        "--threads-per-pair",
        type=int,
        default=1,
        metavar="N",
        help="threads per subtraction (default 1; results identical for any)",
    )
    parser.add_argument("--workers", type=int, metavar="N",
                        help="pairs at once, local scheduler only (default: CPUs // "
                             "threads per pair)")  # fmt: skip
    parser.add_argument("--report", metavar="JSON", help="also write the report as JSON here")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    progress = _progress.wanted(args.progress)
    try:
        report = batch.run_manifest(
            args.manifest, scheduler=args.scheduler, overwrite=args.overwrite,
            threads_per_pair=args.threads_per_pair, workers=args.workers, progress=progress,
        )  # fmt: skip
    except (ValueError, ImportError, ConnectionError) as exc:
        # ManifestError is a ValueError and already names the file; the others name the option,
        # the package to install or the scheduler address.
        print(f"zogy batch: error: {exc}", file=sys.stderr)
        return 2
    for record in report.records:
        if record.status == "failed":
            print(f"zogy batch: failed: {record.source}: {record.reason}", file=sys.stderr)
    print(report.summary())
    if args.report:
        try:
            # Atomically, like the outputs, so a reader never sees half of it.
            text = report.to_json() + "\n"
            write_atomically(args.report, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        except OSError as exc:
            print(f"zogy batch: error: {args.report}: cannot write the report ({exc.strerror})",
                  file=sys.stderr)  # fmt: skip
            return 2
    return 0 if report.ok else 1
