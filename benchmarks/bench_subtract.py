"""Speed and memory of zogy.subtract against the FFT floor and the NumPy reference.

    python benchmarks/bench_subtract.py [--sizes 1024 2048 4096] [--threads 2] [--repeats 5]

For each size, in a fresh subprocess (so peak memory is that size's alone), it prints: our
wall time for the full output set with the default options; the same with
exact_variance=True ("exact"; "dV rel" is the largest relative difference of the default's
variance planes from the exact ones); the FFT floor — 8 real 2-D FFTs of the same padded size
with the same FFTW and thread count (2 forward image, 2 forward variance, 4 inverse outputs:
zogy._core.time_fft_floor); the zogy.reference time (one call); the ratios ours/floor and
reference/ours; and the peak memory added by the first default call (VmHWM reset before it)
against the budget inputs + outputs + 6 padded real planes. Times are the best of --repeats
runs after one warm-up call. The floor is timed before and after every run, and ours/floor
(exact/floor) is the median over the runs of the run's time divided by the mean of those two
floors: the shared machine's speed changes every few seconds, and a ratio of two minima
taken at different moments would mix its phases. This is not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np


def make_case(n: int):
    """A noisy pair with non-constant variance planes (the general path) and 41x41 PSF stamps
    (they hold the sigma-2.5 PSF to 8 sigma, as docs/algorithm.md recommends)."""
    from zogy.simulate import gaussian_psf

    g = np.random.default_rng(n)
    y = np.linspace(0.0, 1.0, n)[:, None]
    var_n = 25.0 * (1.0 + 0.2 * y) * np.ones((1, n))
    var_r = 2.25 * (1.0 + 0.1 * y) * np.ones((1, n))
    sci = g.normal(0.0, 1.0, (n, n)) * np.sqrt(var_n)
    ref = g.normal(0.0, 1.0, (n, n)) * np.sqrt(var_r)
    return dict(science=sci, reference=ref, science_psf=gaussian_psf((41, 41), 2.5),
                reference_psf=gaussian_psf((41, 41), 2.0), science_variance=var_n,
                reference_variance=var_r)  # fmt: skip


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def reset_peak_rss() -> None:
    """Start the peak (VmHWM) afresh, so make_case's temporaries cannot hide ours (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # the peak then covers the whole process: an overestimate of ours, never less


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(n: int, threads: int, repeats: int, with_reference: bool) -> dict:
    import zogy
    from zogy import _core, reference

    case = make_case(n)
    args = [case.pop(k) for k in ("science", "reference", "science_psf", "reference_psf")]
    before = rss_bytes()
    reset_peak_rss()
    result = zogy.subtract(*args, **case, threads=threads)  # warm-up: planner, first faults
    rows, cols = result.padded_shape
    fields = ("difference", "difference_variance", "score", "score_variance", "scorr", "flux",
              "flux_err", "psf", "mask")
    outputs = sum(getattr(result, f).nbytes for f in fields)
    result = None
    peak = peak_rss_bytes() - before
    # Paired: this shared VM switches between fast and slow phases every few seconds (the
    # floor alone varies 0.22-0.45 s at 2048^2), so each run is divided by the mean of the
    # floors timed just before and after it, and the ratio reported is the median of those.
    def floor():
        return _core.time_fft_floor(rows, cols, threads, 1)

    times, exact_times, floors, ratios, exact_ratios = [], [], [floor()], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result = zogy.subtract(*args, **case, threads=threads)
        times.append(time.perf_counter() - start)
        floors.append(floor())
        ratios.append(times[-1] / ((floors[-2] + floors[-1]) / 2))
        start = time.perf_counter()
        exact = zogy.subtract(*args, **case, threads=threads, exact_variance=True)
        exact_times.append(time.perf_counter() - start)
        floors.append(floor())
        exact_ratios.append(exact_times[-1] / ((floors[-2] + floors[-1]) / 2))
    variance_change = max(
        float(np.max(np.abs(getattr(result, f) - getattr(exact, f)) / getattr(exact, f)))
        for f in ("difference_variance", "score_variance")
    )
    out = dict(
        size=n, padded=[rows, cols], threads=threads, ours=min(times),
        exact=min(exact_times), variance_change=variance_change, floor=min(floors),
        ratio=float(np.median(ratios)), exact_ratio=float(np.median(exact_ratios)),
        peak_bytes=peak, budget_bytes=outputs + 6 * rows * cols * 8,
    )  # fmt: skip
    if with_reference:
        start = time.perf_counter()
        ref = reference.subtract(*args, **case)
        out["reference"] = time.perf_counter() - start
        scale = np.nanmax(np.abs(ref["difference"]))
        out["max_rel_diff"] = float(np.nanmax(np.abs(result.difference - ref["difference"]))
                                    / scale)  # fmt: skip
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1024, 2048, 4096])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true", help="skip zogy.reference")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.threads, args.repeats, not args.no_reference)))
        return 0

    rows = []
    header = (f"{'size':>6} {'padded':>11} {'ours s':>8} {'floor s':>8} {'ours/floor':>10} "
              f"{'exact s':>8} {'exact/floor':>11} {'dV rel':>8} "
              f"{'ref s':>8} {'ref/ours':>8} {'peak MiB':>9} {'budget':>8} {'peak/budget':>11}")
    print(f"zogy.subtract, {args.threads} threads, best of {args.repeats}")
    print(header)
    for n in args.sizes:
        child = [sys.executable, __file__, "--one", str(n), "--threads", str(args.threads),
                 "--repeats", str(args.repeats)] + (["--no-reference"] if args.no_reference
                                                    else [])  # fmt: skip
        row = json.loads(subprocess.run(child, check=True, capture_output=True,
                                        text=True).stdout)  # fmt: skip
        rows.append(row)
        mib = 2**20
        ref = row.get("reference")
        ref_s = f"{ref:.2f}" if ref else "-"
        ref_ratio = f"{ref / row['ours']:.1f}" if ref else "-"
        padded = "x".join(map(str, row["padded"]))
        print(f"{n:>6} {padded:>11} {row['ours']:>8.3f} "
              f"{row['floor']:>8.3f} {row['ratio']:>10.2f} "
              f"{row['exact']:>8.3f} {row['exact_ratio']:>11.2f} "
              f"{row['variance_change']:>8.1e} {ref_s:>8} {ref_ratio:>8} "
              f"{row['peak_bytes'] / mib:>9.0f} {row['budget_bytes'] / mib:>8.0f} "
              f"{row['peak_bytes'] / row['budget_bytes']:>11.2f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
