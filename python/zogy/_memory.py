"""What a subtraction adds to the process's memory, and what there is: one model for the
whole-image call and the spatial grid, checked before anything large is allocated.

The model counts, in bytes: the Python layer's conversions of the inputs (a float64 copy of
every image or variance plane that is not already native C-contiguous float64, a full plane
for a scalar variance, two byte planes per mask), the core's peak (``_core.PEAK_PLANES``
padded planes, its outputs included, and the two bad-pixel planes) and, for a grid, the
stitched outputs and each running cell's cutouts, core and copies. Measured against peak RSS
in ``tests/python/test_memory.py``. What there is: ``ZOGY_MEMORY_LIMIT`` (bytes, or with a
K/M/G/T suffix: binary units) when set, so that a refusal is reproducible; otherwise the
smaller of the kernel's MemAvailable and what the cgroup limit leaves.
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

from . import _core
from .errors import InvalidArgument

ENVIRONMENT = "ZOGY_MEMORY_LIMIT"
#: Per grid cell, on top of its core, in outer-box float64 planes: 4 cutouts, the output
#: copies (8) and their halo, slices and ring (a rough count: the grid's peak RSS varies by
#: ~20 % from run to run, so only the whole-image model is tested as a bound).
_CELL_COPIES = 16


def psf_sigma(stamp) -> float:
    """sqrt(max(mxx, myy)) of a stamp about its centre (h // 2, w // 2), as the core computes.

    The stamp is normalised to unit sum first; the second moments are clamped at >= 0.
    """
    p = np.asarray(stamp, dtype=np.float64)
    p = p / p.sum()
    h, w = p.shape
    dy = np.arange(h, dtype=np.float64) - h // 2
    dx = np.arange(w, dtype=np.float64) - w // 2
    myy = max(0.0, float(np.sum(p.sum(axis=1) * dy * dy)))
    mxx = max(0.0, float(np.sum(p.sum(axis=0) * dx * dx)))
    return math.sqrt(max(mxx, myy))


def border_rule(stamps, sigmas: float) -> tuple[int, int]:
    """``max(ceil(sigmas * sigma), stamp side)`` per axis, sigma the largest over the stamps."""
    stamps = list(stamps)
    with np.errstate(all="ignore"):  # an invalid stamp: the core's checks name it later
        widths = [psf_sigma(s) for s in stamps]
    reach = math.ceil(sigmas * max((w for w in widths if math.isfinite(w)), default=0.0))
    return (max(reach, max(s.shape[0] for s in stamps)),
            max(reach, max(s.shape[1] for s in stamps)))  # fmt: skip


def padded_side(inner: int, border: int, fft_size: str) -> int:
    rule = _core.smooth_size if fft_size == "smooth" else _core.pow2_size
    return int(rule(inner + 2 * border))


def _plane_bytes(rows: int, cols: int) -> int:
    return rows * (cols + 2) * 8  # FFTW's in-place layout


def conversion_bytes(shape, values, masks) -> int:
    """Bytes the Python layer allocates converting the images/variances and the masks."""
    pixels = shape[0] * shape[1]
    total = 0
    for value in values:
        if value is None:
            continue
        native = (isinstance(value, np.ndarray) and value.ndim == 2
                  and value.dtype == np.float64 and value.dtype.isnative
                  and value.flags.c_contiguous)  # fmt: skip
        total += 0 if native else 8 * pixels  # a copy, or the full plane of a scalar
    total += sum(2 * pixels for m in masks if m is not None)  # m != 0, then uint8
    return total


def core_bytes(shape, padded) -> int:
    """The core's peak for one subtraction (outputs included) of an image of `shape`."""
    return _core.PEAK_PLANES * _plane_bytes(*padded) + 2 * shape[0] * shape[1]


def grid_bytes(shape, inner, border, fft_size, workers) -> int:
    """A grid's peak beyond the conversions: the stitched outputs and the running cells."""
    outputs = (7 * 8 + 1) * shape[0] * shape[1]
    outer = [min(inner[a] + 2 * border[a], shape[a]) for a in (0, 1)]
    padded = [padded_side(outer[a], 0, fft_size) if outer[a] == shape[a]
              else padded_side(inner[a], border[a], fft_size) for a in (0, 1)]  # fmt: skip
    cell = _CELL_COPIES * 8 * outer[0] * outer[1] + core_bytes(outer, padded)
    # One more cell than run at once: a finished cell's payload waits to be stitched in
    # row-major order while the next ones run.
    return outputs + (workers + 1) * cell


def _parse(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match:
        raise InvalidArgument(f"{ENVIRONMENT}: {text!r} is not a size; give bytes, or e.g. "
                              "512M or 4G")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_room() -> int | None:
    """What the memory cgroup's limit leaves (v2, else v1), or None without a limit."""
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):  # fmt: skip
        cap, used = _read_int(limit), _read_int(usage)
        if cap is not None and used is not None and cap < 2**60:
            return max(cap - used, 0)
    return None


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def available() -> tuple[int | None, str]:
    """(bytes a call may add, where the number comes from); None: unknown, nothing checked."""
    text = os.environ.get(ENVIRONMENT)
    if text:
        return _parse(text), ENVIRONMENT
    known = [(b, what) for b, what in ((_mem_available(), "available memory"),
                                       (_cgroup_room(), "the cgroup limit")) if b is not None]
    return min(known) if known else (None, "")


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def _advice(shape, stamps, border, fft_size, conversions, budget, workers) -> str:
    """What would fit instead: cutouts of the largest square side that fit whole (the grid's
    stitched outputs alone are 7 image planes, so cells seldom fit where the whole does not),
    and the grid cells that fit, if any."""
    per_pixel = conversions / (shape[0] * shape[1])
    cutout = next((side for side in range(max(shape) // 64 * 64, 63, -64)
                   if per_pixel * side * side + core_bytes(
                       (side, side), (padded_side(side, border[0], fft_size),
                                      padded_side(side, border[1], fft_size))) <= budget),
                  None)  # fmt: skip
    advice = (f"subtract cutouts of at most {cutout}x{cutout} pixels" if cutout
              else "even 64x64 cutouts do not fit")  # fmt: skip
    cell_border = border_rule(stamps, 20)  # zogy.grid's default border
    for side in range(max(shape) // 64 * 64, 63, -64):
        inner = (min(side, shape[0]), min(side, shape[1]))
        need = conversions + grid_bytes(shape, inner, cell_border, fft_size, workers)
        if need <= budget:
            return (f"{advice}, or use zogy.subtract(..., grid=True, grid_inner_size={side}) "
                    f"(about {_gib(need)} with {workers} cell(s) at a time)")
    return advice


def _shape_and_stamps(science, reference, psfs):
    """The pair's shape and float stamps, or None where an input is invalid: the validation
    that follows names it (this check must not pre-empt that message)."""
    try:
        shape = np.shape(science)
        if len(shape) != 2 or np.shape(reference) != shape or min(shape) < 1:
            return None
        stamps = [np.asarray(p) for p in psfs]
    except (ValueError, TypeError):
        return None
    if any(s.dtype.kind not in "fiu" for s in stamps):
        return None
    stamps = [s.astype(np.float64) for s in stamps]
    if any(s.ndim != 2 or s.size == 0 or not np.all(np.isfinite(s)) for s in stamps):
        return None
    return shape, stamps


def check_subtract(science, reference, values, masks, psfs, border, fft_size, threads) -> None:
    """Refuse, before converting anything, a whole-image subtraction that cannot fit: from the
    inputs as the caller gave them (``values``: images and variances; ``border``: validated,
    (-1, -1) for the default)."""
    budget, source = available()
    known = _shape_and_stamps(science, reference, psfs)
    if budget is None or known is None:
        return
    shape, stamps = known
    if border[0] < 0:
        # A stamp wider than its own sides is a cancelling PSF, which the core refuses by name.
        border = border_rule(stamps, 10)
        widest = 10 * max(sum(stamp.shape) for stamp in stamps)
        border = tuple(min(b, widest) for b in border)
    padded = (padded_side(shape[0], border[0], fft_size),
              padded_side(shape[1], border[1], fft_size))  # fmt: skip
    if max(padded) > _core.MAX_SIDE:
        return  # the core's border check says so
    conversions = conversion_bytes(shape, values, masks)
    need = conversions + core_bytes(shape, padded)
    if need > budget:
        advice = _advice(shape, stamps, border, fft_size, conversions, budget, threads)
        raise InvalidArgument(
            f"science: subtracting this {shape[0]}x{shape[1]} pair needs about {_gib(need)} "
            f"({_core.PEAK_PLANES} padded planes of {padded[0]}x{padded[1]} and "
            f"{_gib(conversions)} of input conversions) but {_gib(budget)} are available "
            f"({source}); {advice}")


def check_grid(room, shape, values, masks, inner, border, fft_size, workers) -> None:
    """Refuse, before the cells run, a grid that cannot fit (arguments as check_subtract's)."""
    budget, source = room
    if budget is None:
        return
    need = conversion_bytes(shape, values, masks) + grid_bytes(shape, inner, border, fft_size,
                                                               workers)
    if need > budget:
        raise InvalidArgument(
            f"grid_inner_size: cells of {inner[0]}x{inner[1]} (border {border[0]}x{border[1]}, "
            f"{workers} at a time) need about {_gib(need)} but {_gib(budget)} are available "
            f"({source}); use smaller cells or fewer threads")
