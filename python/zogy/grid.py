"""Spatial grid (DESIGN section 5): ZOGY with a PSF that varies over the exposure.

The exposure is tiled into *inner boxes*. Each cell is subtracted on its *outer box* (inner box
± ``border``, clipped to the exposure): neighbouring cells overlap with real data, and only the
part of the border that leaves the exposure is padded. The padding noise is keyed by the whole
exposure's digests and the exposure coordinate of each pixel, and every cell uses the whole
exposure's noise weights and fill means, so a padded pixel has the same value in every cell and
in a whole-image :func:`zogy.subtract`. Only the inner boxes are copied into the outputs
(optionally blended with the neighbours' over a band ``blend`` pixels wide on either side).

Cells are independent tasks run on a thread pool (the core releases the GIL). A cell's
arithmetic depends neither on the thread count nor on the order in which cells run, and the
cells are stitched in row-major order, so the outputs are byte-identical for any ``threads`` and
``cell_order``.

How close is a grid to a whole-image subtraction with the same PSF? A pixel of a cell's inner box
sees real data up to ``border`` pixels away and the cell's padding beyond, where the whole
image has real data: the difference is set by the D and S kernels' tails beyond ``border``.
Measured (tests/python/test_grid.py, benchmarks/bench_grid.py) with Gaussian stamps that hold
the PSF to ~8 sigma: the default border (20 sigma) keeps ``difference``, ``scorr`` and ``flux``
within 1e-6 of the noise (needed: 11-18 sigma, most for small sigma and a wide sigma ratio).
Limits, all from the D kernels (measured on 400x430 with 100-pixel cells, default border): (1)
stamps that truncate the PSF (21x21 for sigma 2.6: 0.85 sigma; 31x31: 3.5e-3) make D non-local,
so the whole-image difference itself moves when only its border changes and no grid can match
it (scorr still agrees to 1e-5); (2) nearly equal PSFs give D kernels with slowly decaying tails
(sigma 2.2 / 2.6: 2e-6; 2.0 / 2.1: 4e-4); (3) identical PSFs: a floor of ~5e-5 from the kernel
guard's threshold. scorr and flux agree to ~1e-12 in cases (2) and (3).
``GridResult.seam`` measures the disagreement of neighbouring cells on every run.

Example
-------
>>> from zogy.grid import subtract_grid
>>> result = subtract_grid(sci, ref, lambda x, y: my_psf(x, y), ref_psf)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import numbers
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _core, _memory
from . import _validate as v
from ._memory import border_rule, psf_sigma
from ._progress import Progress
from ._subtract_core import CoreOptions, run_core
from .results import (
    FFT_SIZE_RULES,
    MASK_NEAR_BAD,
    MASK_REFERENCE_BAD,
    MASK_SCIENCE_BAD,
    PADDING_MODES,
    GridCell,
    GridResult,
    flag_edge,
)

__all__ = [
    "GridCell",
    "GridResult",
    "blend_weights",
    "default_border",
    "default_inner_size",
    "grid_cells",
    "psf_sigma",
    "subtract_grid",
]

#: The default border is this many PSF sigmas (the largest over every cell's two stamps), and at
#: least the largest stamp side. Measured need for a 1e-6 seam with well-sampled Gaussian stamps:
#: 11-18 sigma (the wider the reference/science sigma ratio and the smaller sigma, the more).
BORDER_SIGMAS = 20
#: The default inner box is this many borders wide, and at least MIN_INNER pixels.
INNER_BORDERS = 4
MIN_INNER = 64

_PLANES = ("difference", "difference_variance", "score", "score_variance", "scorr", "flux",
           "flux_err")  # fmt: skip


# --- geometry ------------------------------------------------------------------------------


def default_border(stamps) -> tuple[int, int]:
    """Default cell border (rows, columns) for PSF stamps (every cell's, both images).

    ``max(ceil(BORDER_SIGMAS * sigma), stamp side)`` per axis, sigma the largest
    :func:`psf_sigma`: twice the core's whole-image rule (10 sigma), because beyond a cell's
    border lies real data, not noise, and the D and S kernels' tails there must stay below 1e-6
    of the noise.
    """
    return border_rule(stamps, BORDER_SIGMAS)


def default_inner_size(border) -> tuple[int, int]:
    """Default inner box: ``max(INNER_BORDERS * border, MIN_INNER)`` per axis.

    A cell then subtracts (1 + 2 / INNER_BORDERS)**2 = 2.25 times its inner area: the price of
    the overlap. Smaller cells follow the PSF more closely and cost more.
    """
    return max(INNER_BORDERS * border[0], MIN_INNER), max(INNER_BORDERS * border[1], MIN_INNER)


def _splits(n: int, size: int) -> list[tuple[int, int]]:
    """Half-open ranges of ``size`` covering 0..n; the last one takes the remainder."""
    count = max(1, n // size)
    edges = [i * size for i in range(count)] + [n]
    return [(edges[i], edges[i + 1]) for i in range(count)]


def grid_cells(shape, grid_inner_size, border):
    """Cell geometry: a list of (inner, outer, frame), row-major, for an exposure of ``shape``.

    Inner boxes are ``grid_inner_size`` (rows, columns) from the top-left corner; the last row
    and column of cells take the remainder (between 1 and 2 inner sizes, or the whole axis when
    it is shorter than one inner size). Boxes are (y0, y1, x0, x1), half-open; frame is
    (top, bottom, left, right, origin_y, origin_x) as the core's ``cell`` argument.
    """
    height, width = shape
    by, bx = border
    out = []
    for y0, y1 in _splits(height, grid_inner_size[0]):
        for x0, x1 in _splits(width, grid_inner_size[1]):
            oy0, oy1 = max(0, y0 - by), min(height, y1 + by)
            ox0, ox1 = max(0, x0 - bx), min(width, x1 + bx)
            frame = (by - (y0 - oy0), by - (oy1 - y1), bx - (x0 - ox0), bx - (ox1 - x1), oy0, ox0)
            out.append(((y0, y1, x0, x1), (oy0, oy1, ox0, ox1), frame))
    return out


def blend_weights(start: int, stop: int, length: int, blend: int):
    """1-D weights of the cell [start, stop) of an axis of ``length``, half-width ``blend``.

    Returns (first, weights, alone): the cell contributes to pixels first .. first +
    len(weights) - 1; ``alone`` marks those no other cell of the axis reaches (weight 1).
    Across each boundary e between two cells, the right cell's weight rises as
    s(u) = (1 - cos(pi u)) / 2 with u = (p - e + blend + 0.5) / (2 blend) over p in
    [e - blend, e + blend) and the left cell's falls as 1 - s(u): the weights of an axis sum to
    1 (within one rounding). No band at the exposure edges.
    """
    first = start - blend if start > 0 else start
    last = stop + blend if stop < length else stop
    p = np.arange(first, last, dtype=np.float64)
    w = np.ones(last - first)
    alone = np.ones(last - first, dtype=bool)
    if blend == 0:
        return first, w, alone
    if start > 0:
        rise = p < start + blend
        u = (p[rise] - start + blend + 0.5) / (2 * blend)
        w[rise] = 0.5 * (1.0 - np.cos(np.pi * u))
        alone[rise] = False
    if stop < length:
        fall = p >= stop - blend
        u = (p[fall] - stop + blend + 0.5) / (2 * blend)
        w[fall] = 1.0 - 0.5 * (1.0 - np.cos(np.pi * u))
        alone[fall] = False
    return first, w, alone


# --- validation ----------------------------------------------------------------------------


def _check_stamp(stamp, name: str, where: str, shape=None) -> np.ndarray:
    """A validated float64 stamp (not normalised: the core does that)."""
    try:
        p = v.float_array(stamp, name)
    except v.InvalidArgument as exc:
        raise v.InvalidArgument(f"{exc}{where}") from None
    except TypeError as exc:
        raise TypeError(f"{exc}{where}") from None
    if shape is not None and p.shape != shape:
        raise v.InvalidArgument(f"{name}: stamp shape {p.shape}{where} differs from the "
                                f"{shape} of the first cell; return one shape everywhere")
    if not np.all(np.isfinite(p)):
        raise v.InvalidArgument(f"{name}: the PSF has non-finite values{where}")
    total = float(p.sum())
    if not (np.isfinite(total) and total > 0):
        raise v.InvalidArgument(f"{name}: the PSF sum is {total}{where}; it must be finite "
                                "and > 0 to normalise it")
    return p


def _cell_stamps(psf, name: str, centres) -> list[np.ndarray]:
    """One stamp per cell: the fixed stamp, or psf(x, y) evaluated at each centre in order."""
    if not callable(psf):
        return [_check_stamp(psf, name, "")] * len(centres)
    stamps: list[np.ndarray] = []
    for x, y in centres:
        try:
            value = psf(x, y)
        except Exception as exc:
            raise v.InvalidArgument(f"{name}: the callable failed at x={x:g}, y={y:g}: "
                                    f"{type(exc).__name__}: {exc}") from exc
        where = f" (returned by {name}(x={x:g}, y={y:g}))"
        stamps.append(_check_stamp(value, name, where, stamps[0].shape if stamps else None))
    return stamps


def _cell_order(cell_order, count: int) -> list[int]:
    if cell_order is None:
        return list(range(count))
    if isinstance(cell_order, (str, bytes)) or not hasattr(cell_order, "__iter__"):
        raise TypeError("cell_order: give a sequence of cell indices")
    order = list(cell_order)
    if any(isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral)
           for i in order):  # fmt: skip
        raise TypeError("cell_order: cell indices must be integers")
    if sorted(int(i) for i in order) != list(range(count)):
        raise v.InvalidArgument(f"cell_order: must be a permutation of range({count}) "
                                "(each cell index once)")
    return [int(i) for i in order]


# --- the subtraction -----------------------------------------------------------------------


def subtract_grid(
    science,
    reference,
    science_psf,
    reference_psf,
    *,
    grid_inner_size=None,
    border=None,
    blend=0,
    science_variance=None,
    reference_variance=None,
    science_mask=None,
    reference_mask=None,
    seed: int = 0,
    padding: str = "noise",
    fft_size: str = "smooth",
    flux_scales=(1.0, 1.0),
    kernel_guard: bool = True,
    edge_width: int = 0,
    blank_near_bad: bool = False,
    exact_variance: bool = False,
    threads: int | None = None,
    cell_order=None,
    progress: bool = False,
) -> GridResult:
    """ZOGY subtraction on a spatial grid of cells, each with its own PSFs.

    Parameters
    ----------
    science, reference, science_variance, reference_variance, science_mask, reference_mask,
    seed, padding, fft_size, flux_scales, kernel_guard, edge_width, blank_near_bad, exact_variance
        As in :func:`zogy.subtract`. The statistics (noise weights, fill means, digests) are
        the whole exposure's and every cell uses them.
    science_psf, reference_psf : array_like (2-D) or callable
        A fixed stamp for every cell, or ``psf(x, y) -> stamp`` called once per cell, in
        row-major cell order and in the calling thread, at the centre of the cell's inner box
        (``x`` column, ``y`` row, exposure pixels: ``((x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2)``);
        with neither ``border`` nor ``grid_inner_size`` given it is also called once at the
        image centre first, to size the cells. A callable must return one stamp shape
        everywhere. Stamps are centred at ``(h // 2, w // 2)``, normalised to unit sum, and no
        larger than any cell's cutout.
    grid_inner_size : None, int or (int, int)
        Inner box (rows, columns), >= 1. None: ``max(4 * border, 64)`` per axis (see
        :func:`default_inner_size`). The last row and column of cells take the remainder; a size
        >= the image gives a single cell, which equals ``zogy.subtract(..., border=border)``
        byte for byte.
    border : None, int or (int, int)
        Overlap (rows, columns) of each cell's outer box beyond its inner box; where the outer
        box leaves the exposure, the padding. None: :func:`default_border` over every cell's
        stamps, ``max(ceil(20 sigma), stamp side)``, plus ``blend``.
    blend : int or (int, int)
        0 (default): hard seams, each pixel from exactly one cell. > 0: neighbouring cells are
        blended over bands ``2 * blend`` pixels wide centred on their common edges (weights of
        :func:`blend_weights`), so that a smoothly varying PSF leaves no step. At most half the
        inner size and less than the border; the cells' values are then used up to ``blend``
        pixels beyond their inner boxes, where they are ``border - blend`` from padding.
    threads : None or int
        Cells run at once (each cell on ``max(1, threads // cells)`` threads); the outputs are
        byte-identical for any value.
    cell_order : None or sequence of int
        Order in which the cells are submitted, a permutation of ``range(len(cells))``: the
        outputs do not depend on it (a testing aid).
    progress : bool
        A tqdm bar on stderr (when tqdm is installed).

    Returns
    -------
    GridResult

    Raises
    ------
    TypeError, ValueError
        As :func:`zogy.subtract`, naming the argument (``grid_inner_size``, ``border``,
        ``blend``, ``science_psf`` with the position for a callable, ``cell_order``, ...).
    """
    room = _memory.available()  # before the conversions below take their share
    n, r, var_n, var_r, mask_n, mask_r = v.image_pair(
        science, reference, science_variance, reference_variance, science_mask, reference_mask
    )
    shape = n.shape
    seed = v.seed_value(seed)
    padding = v.choice(padding, PADDING_MODES, "padding")
    fft_size = v.choice(fft_size, FFT_SIZE_RULES, "fft_size")
    flux_scales = v.positive_pair(flux_scales, "flux_scales")
    threads = v.thread_count(threads)
    v.flags(kernel_guard=kernel_guard, blank_near_bad=blank_near_bad,
            exact_variance=exact_variance, progress=progress)
    options = CoreOptions(seed, padding, fft_size, flux_scales, bool(kernel_guard),
                          bool(blank_near_bad), bool(exact_variance))
    edge_width = v.non_negative_int(edge_width, "edge_width")
    user_border = None if border is None else v.border_pair(border)
    user_inner = None if grid_inner_size is None else v.int_pair(grid_inner_size,
                                                                  "grid_inner_size", 1)
    blend = v.int_pair(blend, "blend", 0)
    named = (("science_psf", science_psf), ("reference_psf", reference_psf))
    for name, psf in named:
        if not callable(psf):
            _check_stamp(psf, name, "")  # fail before the statistics

    # Whole-exposure statistics (and their checks): every cell pads and weighs with these.
    jobs = ((n, var_n, mask_n, "science"), (r, var_r, mask_r, "reference"))
    if threads > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:  # the core releases the GIL
            summaries = tuple(pool.map(lambda job: _core.image_summary(*job), jobs))
    else:
        summaries = tuple(_core.image_summary(*job) for job in jobs)

    # Geometry: the inner size defaults to a multiple of the border, which defaults to a rule
    # on the stamps, which may depend on the cells. Callables are probed at the image centre.
    if user_inner is not None:
        inner_size = user_inner
    else:
        if user_border is not None:
            sizing = user_border
        else:
            centre = [((shape[1] - 1) / 2, (shape[0] - 1) / 2)]
            sizing = default_border(_cell_stamps(psf, name, centre)[0] for name, psf in named)
            sizing = (sizing[0] + blend[0], sizing[1] + blend[1])
        inner_size = default_inner_size(sizing)
    boxes = grid_cells(shape, inner_size, (0, 0))
    centres = [((x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2) for (y0, y1, x0, x1), _, _ in boxes]
    stamps_n = _cell_stamps(science_psf, "science_psf", centres)
    stamps_r = _cell_stamps(reference_psf, "reference_psf", centres)
    if user_border is not None:
        border = user_border
    else:
        distinct = {id(s): s for s in stamps_n + stamps_r}.values()
        border = default_border(distinct)
        border = (border[0] + blend[0], border[1] + blend[1])
    cells = grid_cells(shape, inner_size, border)
    _check_geometry(cells, stamps_n[0].shape, stamps_r[0].shape, inner_size, border, blend,
                    shape)

    order = _cell_order(cell_order, len(cells))
    ctx = _Context(n, r, var_n, var_r, mask_n, mask_r, summaries,
                   (summaries[0]["bad_pixels"] > 0, summaries[1]["bad_pixels"] > 0),
                   options, shape, blend)  # fmt: skip
    workers = min(threads, len(cells))
    ctx.threads = max(1, threads // len(cells))  # the core's bits do not depend on it
    _memory.check_grid(room, shape, (science, reference, science_variance, reference_variance),
                       (science_mask, reference_mask), inner_size, border, fft_size, workers)

    def run(index: int):
        inner, outer, frame = cells[index]
        return _run_cell(ctx, index, inner, outer, frame, centres[index], stamps_n[index],
                         stamps_r[index])

    outputs = {name: np.zeros(shape) for name in _PLANES}
    mask = np.zeros(shape, dtype=np.uint8)
    records: list[GridCell] = []
    rings = []
    bar = Progress(len(cells), bool(progress), desc="grid", unit="cell")
    # Cells are submitted in `order` and stitched in row-major order as they become available,
    # so the accumulation order (which matters for blending) never changes.
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    done: dict = {}

    def stitch_ready() -> None:
        while len(records) in done:
            record, payload, ring = done.pop(len(records))
            _stitch(outputs, mask, payload, blend)
            records.append(record)
            rings.append(ring)

    try:
        if pool is None:
            for i in order:
                done[i] = run(i)
                bar.update()
                stitch_ready()
        else:
            futures = [None] * len(cells)
            for i in order:
                futures[i] = pool.submit(run, i)
                futures[i].add_done_callback(lambda _future: bar.update())
            for i in range(len(cells)):
                future, futures[i] = futures[i], None  # free each payload once stitched
                done[i] = future.result()  # the first failing cell in row-major order raises
                stitch_ready()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        bar.close()

    seam = _seam(outputs, rings)
    flag_edge(mask, edge_width)
    sci, ref = summaries
    return GridResult(
        **outputs,
        mask=mask,
        cells=records,
        grid_shape=(len(_splits(shape[0], inner_size[0])), len(_splits(shape[1], inner_size[1]))),
        border=tuple(border),
        grid_inner_size=tuple(inner_size),
        blend=blend,
        seam=seam,
        keys=(sci["digest"], ref["digest"]),
        seed=seed,
        noise_weights=(sci["noise_weight"], ref["noise_weight"]),
        fill_means=(sci["fill_mean"], ref["fill_mean"]),
        padding=padding,
    )


def _check_geometry(cells, shape_n, shape_r, inner_size, border, blend, shape) -> None:
    smallest = (min(o[1] - o[0] for _, o, _ in cells), min(o[3] - o[2] for _, o, _ in cells))
    for name, stamp in (("science_psf", shape_n), ("reference_psf", shape_r)):
        if stamp[0] > smallest[0] or stamp[1] > smallest[1]:
            raise v.InvalidArgument(
                f"{name}: the stamp {stamp} is larger than the smallest cell cutout "
                f"{smallest}; use a larger grid_inner_size or border, or crop the stamp")
    for axis in (0, 1):
        if blend[axis] == 0 or len(_splits(shape[axis], inner_size[axis])) == 1:
            continue
        if 2 * blend[axis] > inner_size[axis]:
            raise v.InvalidArgument(f"blend: {blend[axis]} exceeds half the grid_inner_size "
                                    f"({inner_size[axis]}); use a smaller blend")
        if blend[axis] >= border[axis]:
            raise v.InvalidArgument(f"blend: {blend[axis]} must be smaller than the border "
                                    f"({border[axis]})")


class _Context:
    """What every cell reads: the whole inputs, their statistics and the options."""

    def __init__(self, n, r, var_n, var_r, mask_n, mask_r, summaries, any_bad, options, shape,
                 blend):
        self.n, self.r, self.var_n, self.var_r = n, r, var_n, var_r
        self.mask_n, self.mask_r = mask_n, mask_r
        self.summaries, self.any_bad, self.options = summaries, any_bad, options
        self.shape, self.blend = shape, blend
        self.threads = 1


def _cut(plane, box):
    if plane is None:
        return None
    y0, y1, x0, x1 = box
    return np.ascontiguousarray(plane[y0:y1, x0:x1])


def _bad(image, mask):
    bad = ~np.isfinite(image)
    if mask is not None:
        bad |= mask != 0
    return bad


def _run_cell(ctx: _Context, index, inner, outer, frame, centre, psf_n, psf_r):
    """Subtract one cell; returns (GridCell, payload over its contribution box, seam ring)."""
    height, width = ctx.shape
    fy, wy, ay = blend_weights(inner[0], inner[1], height, ctx.blend[0])
    fx, wx, ax = blend_weights(inner[2], inner[3], width, ctx.blend[1])
    box = (fy, fy + len(wy), fx, fx + len(wx))  # the pixels this cell contributes to
    # Contribution box and the 1-pixel ring around it, within the cutout, in cutout indices.
    halo = (max(box[0] - 1, outer[0]), min(box[1] + 1, outer[1]),
            max(box[2] - 1, outer[2]), min(box[3] + 1, outer[3]))
    oy, ox = outer[0], outer[2]
    cut_n, cut_r = _cut(ctx.n, outer), _cut(ctx.r, outer)
    cut_mask_n, cut_mask_r = _cut(ctx.mask_n, outer), _cut(ctx.mask_r, outer)
    dead = [ctx.any_bad[0] and bool(_bad(cut_n, cut_mask_n).all()),
            ctx.any_bad[1] and bool(_bad(cut_r, cut_mask_r).all())]
    sl = (slice(halo[0] - oy, halo[1] - oy), slice(halo[2] - ox, halo[3] - ox))
    if any(dead):
        # The core refuses an image without a good pixel. The whole exposure would blank these
        # pixels too: every one is bad in one image, so within the grow radius of a bad pixel.
        hs = (halo[1] - halo[0], halo[3] - halo[2])
        planes = {name: np.full(hs, 0.0 if name == "scorr" else np.nan) for name in _PLANES}
        bits = np.full(hs, MASK_NEAR_BAD, dtype=np.uint8)
        for side, (image, m, bit) in enumerate(((cut_n, cut_mask_n, MASK_SCIENCE_BAD),
                                                (cut_r, cut_mask_r, MASK_REFERENCE_BAD))):
            if ctx.any_bad[side]:
                bits |= np.where(_bad(image[sl], None if m is None else m[sl]), bit, 0).astype(
                    np.uint8)
        planes["mask"] = bits
        record = GridCell(index, inner, outer, frame, centre, np.full(psf_n.shape, np.nan),
                          math.nan, math.nan, (0, 0), (0, 0), skipped=True)
    else:
        out = run_core(
            cut_n, cut_r, psf_n, psf_r, variances=(_cut(ctx.var_n, outer), _cut(ctx.var_r, outer)),
            masks=(cut_mask_n, cut_mask_r), options=ctx.options, border=(frame[0], frame[2]),
            threads=ctx.threads, cell=frame, summaries=ctx.summaries,
        )  # fmt: skip
        planes = {name: out[name][sl].copy() for name in _PLANES + ("mask",)}
        record = GridCell(index, inner, outer, frame, centre, out["psf"], out["flux_zero_point"],
                          out["score_normalisation"], tuple(out["padded_shape"]),
                          tuple(out["grow_radius"]))
    # Split the halo into the contribution (with its weights) and the ring outside it.
    cy, cx = slice(box[0] - halo[0], box[1] - halo[0]), slice(box[2] - halo[2], box[3] - halo[2])
    payload = {name: p[cy, cx] for name, p in planes.items()}
    payload["box"] = box
    payload["weights"] = (wy, wx, ay, ax)
    outside = np.ones((halo[1] - halo[0], halo[3] - halo[2]), dtype=bool)
    outside[cy, cx] = False
    ys, xs = np.nonzero(outside)
    ring = (ys + halo[0], xs + halo[2], planes["difference"][outside], planes["scorr"][outside])
    return record, payload, ring


def _stitch(outputs, mask, payload, blend) -> None:
    """Add one cell's contribution; called in row-major cell order."""
    y0, y1, x0, x1 = payload["box"]
    target = (slice(y0, y1), slice(x0, x1))
    if blend == (0, 0):
        for name in _PLANES:
            outputs[name][target] = payload[name]
        mask[target] = payload["mask"]
        return
    wy, wx, ay, ax = payload["weights"]
    weight = wy[:, None] * wx[None, :]
    full = ay[:, None] & ax[None, :]
    for name in _PLANES:
        # Weight 1: a copy (no other cell reaches there), so unblended pixels keep their bits.
        part = outputs[name][target]
        values = payload[name]
        part += weight * values
        part[full] = values[full]
    mask[target] |= payload["mask"]


def _seam(outputs, rings) -> tuple[float, float]:
    """Largest |cell - stitched| on the rings, for difference (in noise units) and scorr."""
    worst_d = worst_s = 0.0
    for ys, xs, d, s in rings:
        if len(ys) == 0:
            continue
        sigma = np.sqrt(outputs["difference_variance"][ys, xs])
        with np.errstate(invalid="ignore", divide="ignore"):
            e_d = np.abs(d - outputs["difference"][ys, xs]) / sigma
        e_s = np.abs(s - outputs["scorr"][ys, xs])
        e_d, e_s = e_d[np.isfinite(e_d)], e_s[np.isfinite(e_s)]
        if e_d.size:
            worst_d = max(worst_d, float(e_d.max()))
        if e_s.size:
            worst_s = max(worst_s, float(e_s.max()))
    return worst_d, worst_s
