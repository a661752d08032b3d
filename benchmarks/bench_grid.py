"""Speed and seams of zogy.grid.subtract_grid against a whole-image zogy.subtract.

    python benchmarks/bench_grid.py [--sizes 1024 2048] [--threads 1 2] [--repeats 3]
                                    [--inner N] [--border N] [--blend N]

For each size: a noisy pair with 40 point sources and 41x41 Gaussian PSFs (sigma 2.0 / 2.6,
constant over the image), subtracted whole (border = the grid's border, so both see the same
padding) and on the grid (default inner size and border unless given). It prints the best of
--repeats wall times per thread count, the grid/whole ratio, the cell count and geometry, and
the seam: max |grid - whole| over the image for the difference (in units of its noise, sqrt of
the median difference_variance) and for scorr, next to the grid's own seam diagnostic. This is
not a test.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np


def make_case(n: int, seed: int = 1):
    from zogy.simulate import gaussian_psf

    g = np.random.default_rng(seed)
    sci = g.normal(100.0, 3.0, (n, n))
    ref = g.normal(50.0, 1.5, (n, n))
    for _ in range(40):
        y, x, flux = g.integers(20, n - 20), g.integers(20, n - 20), g.uniform(200, 3000)
        for image, sigma in ((sci, 2.0), (ref, 2.6)):
            stamp = gaussian_psf((41, 41), sigma) * flux
            image[y - 20:y + 21, x - 20:x + 21] += stamp
    return sci, ref, gaussian_psf((41, 41), 2.0), gaussian_psf((41, 41), 2.6)


def varying_psf(n: int):
    """Science PSF sigma 1.8 at the left edge to 2.2 at the right (41x41 stamps)."""
    from zogy.simulate import gaussian_psf

    return lambda x, y: gaussian_psf((41, 41), 1.8 + 0.4 * x / n)


def best_time(fn, repeats: int):
    out, best = None, float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv=None) -> None:
    import zogy
    from zogy.grid import subtract_grid

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1024])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--inner", type=int, default=None, help="grid_inner_size (default rule)")
    p.add_argument("--border", type=int, default=None, help="border (default rule)")
    p.add_argument("--blend", type=int, default=0)
    args = p.parse_args(argv)

    for n in args.sizes:
        sci, ref, psf_n, psf_r = make_case(n)
        options = dict(grid_inner_size=args.inner, border=args.border, blend=args.blend)
        grid = subtract_grid(sci, ref, psf_n, psf_r, threads=args.threads[0], **options)
        cells = len(grid.cells)
        shapes = sorted({c.padded_shape for c in grid.cells})
        print(f"{n}x{n}: {cells} cells ({grid.grid_shape[0]}x{grid.grid_shape[1]}), inner "
              f"{grid.grid_inner_size}, border {grid.border}, blend {grid.blend}, cell FFT grids "
              f"{shapes[0]}..{shapes[-1]}")
        for threads in args.threads:
            whole_call = partial(zogy.subtract, sci, ref, psf_n, psf_r, border=grid.border,
                                 threads=threads)  # fmt: skip
            grid_call = partial(subtract_grid, sci, ref, psf_n, psf_r, threads=threads, **options)
            t_whole, whole = best_time(whole_call, args.repeats)
            t_grid, grid = best_time(grid_call, args.repeats)
            print(f"  threads {threads}: whole {t_whole:.3f} s (grid {whole.padded_shape}), "
                  f"grid {t_grid:.3f} s, ratio {t_grid / t_whole:.2f}")
        # A PSF that varies over the image: one stamp per cell from a callable.
        vary = partial(subtract_grid, sci, ref, varying_psf(n), psf_r,
                       threads=args.threads[-1], **options)  # fmt: skip
        t_vary, _ = best_time(vary, args.repeats)
        print(f"  varying science PSF (callable), threads {args.threads[-1]}: {t_vary:.3f} s")
        noise = float(np.sqrt(np.median(whole.difference_variance)))
        seam_d = float(np.max(np.abs(grid.difference - whole.difference))) / noise
        seam_s = float(np.max(np.abs(grid.scorr - whole.scorr)))
        print(f"  seam vs whole: difference {seam_d:.2e} noise, scorr {seam_s:.2e}; "
              f"diagnostic {grid.seam[0]:.2e}, {grid.seam[1]:.2e}")


if __name__ == "__main__":
    main()
