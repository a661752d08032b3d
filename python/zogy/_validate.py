"""Argument checks shared by the public functions: they name the argument and the fix."""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from .errors import InvalidArgument

SEED_LIMIT = 2**64
MAX_SIDE = _core.MAX_SIDE  # the padded grid's largest side (src/zogy/padding.hpp)


def as_array(value, name: str) -> np.ndarray:
    """np.asarray(value), with a ragged nested sequence refused by name (numpy's own message
    names no argument)."""
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise InvalidArgument(f"{name}: not a rectangular array ({exc}); give rows of equal "
                              "length") from None


def float_array(value, name: str, ndim: int = 2, allow_empty: bool = False) -> np.ndarray:
    """C-contiguous native float64 view or copy of ``value``; the input is never written.

    Real floats of any width and byte order and integers are converted; booleans, complex
    numbers and objects are refused.
    """
    if isinstance(value, np.ma.MaskedArray):
        # np.asarray would drop the mask silently and treat masked pixels as data.
        raise TypeError(f"{name}: a numpy masked array; pass its .data and give the mask as "
                        "the *_mask argument")
    array = as_array(value, name)
    if array.size == 0 and allow_empty:
        array = array.astype(np.float64)  # an empty list arrives as float64 or object
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(f"{name}: complex data ({array.dtype}); pass the real part explicitly")
    if kind == "b":
        raise TypeError(f"{name}: boolean data; pass a float image (or use it as a mask)")
    if kind not in "fiu":
        raise TypeError(f"{name}: dtype {array.dtype} is not a real number type")
    if array.ndim != ndim:
        raise InvalidArgument(f"{name}: expected a {ndim}-D array, got {array.ndim}-D")
    if array.size == 0 and not allow_empty:
        raise InvalidArgument(f"{name}: the array is empty (shape {array.shape})")
    return np.ascontiguousarray(array, dtype=np.float64)


def variance_plane(value, shape: tuple[int, int], name: str) -> np.ndarray | None:
    """None, or a full variance plane from a scalar or an array of ``shape``."""
    if value is None:
        return None
    if as_array(value, name).ndim == 0:
        if isinstance(value, (bool, np.bool_, str, bytes)) or not isinstance(
            value, (numbers.Real, np.number)
        ) or isinstance(value, (complex, np.complexfloating)):
            raise TypeError(f"{name}: a variance must be a real number or a 2-D array, "
                            f"got {type(value).__name__}")
        v = float(value)
        if not (np.isfinite(v) and v > 0):
            raise InvalidArgument(f"{name}: the variance {v} must be finite and > 0")
        return np.full(shape, v)
    plane = float_array(value, name)
    if plane.shape != shape:
        raise InvalidArgument(f"{name}: shape {plane.shape} differs from the image's {shape}")
    return plane


def mask_plane(value, shape: tuple[int, int], name: str) -> np.ndarray | None:
    """None, or a uint8 plane (1 = bad) from any boolean or integer mask of ``shape``."""
    if value is None:
        return None
    mask = as_array(value, name)
    if mask.dtype.kind not in "biu":
        raise TypeError(f"{name}: masks must be boolean or integer, got {mask.dtype}")
    if mask.shape != shape:
        raise InvalidArgument(f"{name}: shape {mask.shape} differs from the image's {shape}")
    return np.ascontiguousarray(mask != 0, dtype=np.uint8)


def seed_value(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed: must be an integer, got {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed < SEED_LIMIT:
        raise InvalidArgument(f"seed: {seed} is outside 0 .. 2**64 - 1")
    return seed


def choice(value, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise InvalidArgument(f"{name}: unknown value {value!r}; use one of {allowed}")
    return value


def _integer_pair(value, name: str, problem) -> tuple[int, int]:
    """(rows, columns) from one integer or a pair of them; ``problem(b)`` says what is wrong
    with an integer ``b`` (a message after "name: ") or returns None."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2:
        raise InvalidArgument(f"{name}: give one integer or a (rows, columns) pair")
    out = []
    for b in pair:
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Integral):
            raise TypeError(f"{name}: must be integers, got {b!r}")
        message = problem(int(b))
        if message is not None:
            raise InvalidArgument(f"{name}: {message}")
        out.append(int(b))
    return out[0], out[1]


def border_pair(border) -> tuple[int, int]:
    """(-1, -1) for the default rule, else non-negative (rows, columns)."""
    if border is None:
        return -1, -1

    def problem(b: int) -> str | None:
        if b < 0:
            return f"{b} is negative; use >= 0 or None for the default"
        if b > MAX_SIDE:
            return (f"{b} exceeds {MAX_SIDE} pixels (the padded grid's limit per side); use "
                    "a smaller border")  # fmt: skip
        return None

    return _integer_pair(border, "border", problem)


def int_pair(value, name: str, minimum: int) -> tuple[int, int]:
    """(rows, columns), each in ``minimum`` .. MAX_SIDE, from one integer or a pair."""

    def problem(b: int) -> str | None:
        if b < minimum:
            return f"must be >= {minimum}, got {b}"
        if b > MAX_SIDE:
            return f"{b} exceeds {MAX_SIDE} pixels"
        return None

    return _integer_pair(value, name, problem)


def non_negative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: must be an integer, got {value!r}")
    if value < 0:
        raise InvalidArgument(f"{name}: {value} is negative; use >= 0")
    return int(value)


def count(value, name: str, minimum: int) -> int:
    """An integer >= ``minimum``: runs, seeds, threads per pair, workers (a bool is none)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidArgument(f"{name}: {value!r} must be an integer >= {minimum}")
    return int(value)


def positive(value: float, name: str) -> float:
    """A finite number > 0 (a PSF width, a flux scale)."""
    if not (np.isfinite(value) and value > 0):
        raise InvalidArgument(f"{name}: {value} must be finite and > 0")
    return value


def positive_pair(values, name: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in values)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}: give two numbers (science, reference)") from None
    return positive(a, name), positive(b, name)


def matching_positions(xs: np.ndarray, ys: np.ndarray) -> None:
    """Source columns ``xs`` and rows ``ys`` come in pairs."""
    if xs.shape != ys.shape:
        raise InvalidArgument(f"y: {ys.size} positions but x has {xs.size}")


def thread_count(threads) -> int:
    import os

    if threads is None:
        return max(1, min(os.cpu_count() or 1, 8))
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError(f"threads: {threads!r} must be an integer >= 1 or None")
    if not 1 <= threads <= 1024:
        raise InvalidArgument(f"threads: {threads} must be in 1 .. 1024 or None")
    return int(threads)


def image_pair(science, reference, science_variance, reference_variance, science_mask,
               reference_mask) -> tuple:  # fmt: skip
    """Checked float64 images, variance planes (or None) and uint8 masks (or None) of a pair:
    (science, reference, var_n, var_r, mask_n, mask_r)."""
    n = float_array(science, "science")
    r = float_array(reference, "reference")
    if n.shape != r.shape:
        raise InvalidArgument(
            f"reference: shape {r.shape} differs from the science image's {n.shape}; "
            "resample both onto one pixel grid first"
        )
    return (
        n, r,
        variance_plane(science_variance, n.shape, "science_variance"),
        variance_plane(reference_variance, n.shape, "reference_variance"),
        mask_plane(science_mask, n.shape, "science_mask"),
        mask_plane(reference_mask, n.shape, "reference_mask"),
    )  # fmt: skip


def flags(**values) -> None:
    """Each keyword must be a real bool (a string like "no" would otherwise count as True)."""
    for name, value in values.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name}: must be True or False, got {value!r}")


def length(value, name: str) -> int:
    """A count of values to make: an integer >= 0 that an array can hold (8-byte items)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < 0:
        raise InvalidArgument(f"{name}: {value} must be >= 0")
    if value > np.iinfo(np.intp).max // 8:
        raise InvalidArgument(f"{name}: {value} values cannot be held in one array; draw "
                              "them in pieces")
    return value
