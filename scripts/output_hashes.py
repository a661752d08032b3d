#!/usr/bin/env python3
"""Bit-for-bit fingerprint of every output of zogy over its code paths.

Runs a fixed matrix of small, deterministic cases through the public API (``zogy.subtract``
on each variance path, masks and NaN pixels, padding modes, swapped inputs, thread counts;
``zogy.subtract_grid`` with and without blending and with callable PSFs; ``zogy.pad``,
``zogy.metric1``, ``zogy.rng``, the NumPy oracle ``zogy.reference``, ``zogy.simulate`` and a
few invalid calls) and prints JSON: for every case, every array of the result as
``"<dtype> <shape> sha256:<digest of its C-order bytes>"`` and every scalar exactly (floats
as ``float.hex``, integers as decimal strings). The result objects are walked generically
(dataclass fields, dicts, lists), so a renamed, added or dropped output shows up as well.
The inputs are digested too (``"inputs"``), so a change of input (e.g. a different numpy)
is told apart from a change of the code. Runs in a few seconds on 2 cores.

To prove that a refactor keeps every bit, run this one script file with each commit's
install (it needs only the public API, so the same file serves both) and diff the JSON::

    base/.venv/bin/python scripts/output_hashes.py --out /tmp/before.json
    .venv/bin/python scripts/output_hashes.py --out /tmp/after.json
    diff /tmp/before.json /tmp/after.json && echo "same bits"

Both installs should use the same numpy (``"environment"`` records it). The exit status is
1 when a case raised unexpectedly (the error is recorded in its place and named on stderr).
``--paths`` prints instead which variance path each subtract case took (Parseval, tiled
small-grid kernels, full grid, exact; kernel guard active or not), as the outputs tell it.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import numbers
import platform
import sys
import time

import numpy as np

import zogy
import zogy.reference
import zogy.simulate

# --- fingerprints --------------------------------------------------------------------------


def array_digest(a: np.ndarray) -> str:
    """``"<dtype> <shape> sha256:<hex>"`` over the array's C-order bytes."""
    a = np.ascontiguousarray(a)
    dtype = a.dtype.str if a.dtype.fields is None else str(a.dtype.descr)
    return f"{dtype} {tuple(a.shape)} sha256:{hashlib.sha256(a.tobytes()).hexdigest()}"


def describe(value):
    """A JSON-able, exact image of ``value``: arrays digested, floats as ``float.hex``."""
    if isinstance(value, np.ndarray):
        return array_digest(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: describe(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out["__class__"] = type(value).__name__
        return out
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return float.hex(float(value))
    if hasattr(value, "__dict__"):
        return describe({**vars(value), "__class__": type(value).__name__})
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def count_digests(tree) -> int:
    if isinstance(tree, dict):
        return sum(count_digests(v) for v in tree.values())
    if isinstance(tree, list):
        return sum(count_digests(v) for v in tree)
    return int(isinstance(tree, str) and " sha256:" in tree)


# --- deterministic inputs ------------------------------------------------------------------


def gaussian_stamp(shape, sigma_y: float, sigma_x: float) -> np.ndarray:
    """Unit-sum elliptical Gaussian centred at (h // 2, w // 2), from math.exp and fsum only
    (no numpy SIMD transcendental whose last bit could depend on the numpy build)."""
    h, w = shape
    gy = [math.exp(-0.5 * ((i - h // 2) / sigma_y) ** 2) for i in range(h)]
    gx = [math.exp(-0.5 * ((i - w // 2) / sigma_x) ** 2) for i in range(w)]
    ty, tx = math.fsum(gy), math.fsum(gx)
    return np.outer([g / ty for g in gy], [g / tx for g in gx])


def add_source(image: np.ndarray, stamp: np.ndarray, y: int, x: int, flux: float) -> None:
    """Add ``flux * stamp`` centred at pixel (y, x), clipped to the image."""
    h, w = stamp.shape
    y0, x0 = y - h // 2, x - w // 2
    iy0, ix0 = max(y0, 0), max(x0, 0)
    iy1, ix1 = min(y0 + h, image.shape[0]), min(x0 + w, image.shape[1])
    image[iy0:iy1, ix0:ix1] += flux * stamp[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]


@dataclasses.dataclass(frozen=True)
class Scene:
    """A science/reference pair with varying variance planes and bad-pixel maps."""

    science: np.ndarray
    reference: np.ndarray
    science_psf: np.ndarray
    reference_psf: np.ndarray
    science_variance: np.ndarray  # varies across the image (non-constant variance path)
    reference_variance: np.ndarray
    science_mask: np.ndarray  # bool: passed as science_mask in the "bad" cases
    reference_nan: np.ndarray  # bool: set to NaN in the reference in the "bad" cases


def make_scene(shape, science_stamp, reference_stamp, seed: int, sources: int = 14) -> Scene:
    """Point sources on a sky with gradient variance planes; PCG64 seeded by ``seed``.

    ``science_stamp`` / ``reference_stamp`` are ``(stamp shape, sigma_y, sigma_x)``."""
    g = np.random.Generator(np.random.PCG64(seed))
    psf_n = gaussian_stamp(*science_stamp)
    psf_r = gaussian_stamp(*reference_stamp)
    yy = np.arange(shape[0], dtype=np.float64)[:, None] / shape[0]
    xx = np.arange(shape[1], dtype=np.float64)[None, :] / shape[1]
    var_n = 4.0 * (1.0 + 2.0 * yy + xx)
    var_r = 1.0 * (1.0 + (1.0 - yy) + 2.0 * xx * xx)
    science = np.full(shape, 100.0)
    reference = np.full(shape, 40.0)
    ys = g.integers(0, shape[0], sources)
    xs = g.integers(0, shape[1], sources)
    fluxes = g.uniform(200.0, 2000.0, sources)
    for y, x, f in zip(ys, xs, fluxes):
        add_source(science, psf_n, int(y), int(x), float(f))
        add_source(reference, psf_r, int(y), int(x), float(f))
    add_source(science, psf_n, shape[0] // 3, shape[1] // 2, 900.0)  # a transient
    science += g.standard_normal(shape) * np.sqrt(var_n)
    reference += g.standard_normal(shape) * np.sqrt(var_r)
    mask = g.random(shape) < 0.004
    mask[shape[0] // 2:shape[0] // 2 + 3, 5:9] = True  # a 3x4 block near the left edge
    nan = g.random(shape) < 0.002
    nan[shape[0] - 8, shape[1] // 4:shape[1] // 4 + 6] = True  # a bad row segment
    return Scene(science, reference, psf_n, psf_r, var_n, var_r, mask, nan)


SCENES = {
    # 160x176, 21x21 stamps holding the PSFs to ~8 sigma: the default tiled variance path.
    "wide": lambda: make_scene((160, 176), ((21, 21), 1.3, 1.15), ((21, 21), 1.0, 1.0), 1),
    # The same stamps cutting sigma 2.6 / 2.0 at 4-5 sigma: the variance kernels fall back to
    # the full grid, P_D outgrows its first small grid; the kernel guard is active.
    "truncated": lambda: make_scene((160, 176), ((21, 21), 2.6, 2.4), ((21, 21), 2.0, 2.0), 2),
    # 96x112, 15x15 stamps: the kernel grid fits only with a wider border (else full grid).
    "compact": lambda: make_scene((96, 112), ((15, 15), 0.95, 0.85), ((15, 15), 0.75, 0.75), 3),
    # 96x640: two variance tiles along x (with border 24).
    "strip": lambda: make_scene((96, 640), ((15, 15), 0.95, 0.85), ((15, 15), 0.75, 0.75), 4),
    # 528x560: 2x2 variance tiles.
    "large": lambda: make_scene((528, 560), ((15, 15), 0.95, 0.85), ((15, 15), 0.75, 0.75), 5,
                                sources=40),
    # 105 rows = 3*5*7 and 41-row stamps: with border 0 no divisor of the padded rows prunes
    # the PSF transform (the unpruned path); stamps of other shapes, taller than wide.
    "odd": lambda: make_scene((105, 96), ((41, 25), 1.6, 1.2), ((31, 21), 1.2, 1.0), 6),
    # PSFs broad enough (sigma 1.8-2.1) for the kernel guard to replace round-off ratios; with
    # border 60 and the "gentle" variance planes the kernels still fit a small grid (tiled).
    "guarded": lambda: make_scene((200, 224), ((33, 33), 2.1, 1.9), ((33, 33), 1.8, 1.8), 8),
    # Even stamp sides and different stamp shapes.
    "even": lambda: make_scene((90, 120), ((20, 18), 1.2, 1.1), ((17, 19), 1.0, 0.9), 7),
}

_scene_cache: dict[str, Scene] = {}


def scene(name: str) -> Scene:
    if name not in _scene_cache:
        _scene_cache[name] = SCENES[name]()
    return _scene_cache[name]


# --- subtraction inputs --------------------------------------------------------------------


def variances(s: Scene, kind: str):
    """(science, reference) variance arguments of one variance path."""
    if kind == "mad":  # None: constant robust estimate (Parseval path)
        return None, None
    if kind == "scalar":  # a scalar: its constant plane (Parseval path)
        return 4.0, 1.0
    if kind == "flat":  # constant planes given as arrays (Parseval path)
        return np.full(s.science.shape, 4.0), np.full(s.science.shape, 1.0)
    if kind == "flat_nan_at_bad":  # constant at the good pixels only, NaN at the bad ones
        var_n, var_r = np.full(s.science.shape, 4.0), np.full(s.science.shape, 1.0)
        var_n[s.science_mask] = np.nan
        var_r[s.reference_nan] = np.nan
        return var_n, var_r
    if kind == "plane":  # non-constant planes (tiled or full-grid variance)
        return s.science_variance, s.reference_variance
    if kind == "gentle":  # non-constant planes of low contrast (a smaller kernel grid passes)
        return 4.0 + 0.05 * s.science_variance, 1.0 + 0.05 * s.reference_variance
    raise ValueError(kind)


def pair_arguments(s: Scene, variance: str = "plane", bad: bool = False, swap: bool = False):
    """Positional and keyword arguments of zogy.subtract / subtract_grid for a scene."""
    reference = s.reference
    mask_n = None
    if bad:
        reference = s.reference.copy()
        reference[s.reference_nan] = np.nan
        mask_n = s.science_mask
    var_n, var_r = variances(s, variance)
    sci = [s.science, s.science_psf, var_n, mask_n]
    ref = [reference, s.reference_psf, var_r, None]
    if swap:
        sci, ref = ref, sci
    args = (sci[0], ref[0], sci[1], ref[1])
    kwargs = dict(science_variance=sci[2], reference_variance=ref[2], science_mask=sci[3],
                  reference_mask=ref[3])
    return args, kwargs


def result_record(result) -> dict:
    """A subtraction's fingerprint, with its padding keys (a method, not an attribute)."""
    keys = [str(result.padding_key(image)) for image in ("science", "reference")]
    return {"result": describe(result), "padding_key": keys}


def subtract_case(name: str, variance="plane", bad=False, swap=False, **options):
    args, kwargs = pair_arguments(scene(name), variance, bad, swap)
    return result_record(zogy.subtract(*args, **kwargs, **options))


def science_psf_at(x: float, y: float) -> np.ndarray:
    """A science PSF whose width changes across the exposure (callable PSF of the grid)."""
    return gaussian_stamp((21, 21), 1.2 + 0.002 * y, 1.1 + 0.001 * x)


def reference_psf_at(x: float, y: float) -> np.ndarray:
    return gaussian_stamp((21, 21), 1.0 + 0.001 * x, 1.0)


def grid_case(name: str, variance="plane", bad=False, swap=False, via_subtract=False,
              callable_psfs=(), corner_masked=False, **options):
    """zogy.subtract_grid (or subtract(grid=True)); ``callable_psfs`` names the images whose
    PSF is a callable; ``corner_masked`` masks the reference's top-left 64x64 pixels, the
    whole cutout of the first cell with inner size 40 and border 24, which is then skipped."""
    args, kwargs = pair_arguments(scene(name), variance, bad, swap)
    args = list(args)
    if "science" in callable_psfs:
        args[2] = science_psf_at
    if "reference" in callable_psfs:
        args[3] = reference_psf_at
    if corner_masked:
        mask = np.zeros(args[0].shape, dtype=bool)
        mask[:64, :64] = True
        kwargs["reference_mask"] = mask
    if via_subtract:
        result = zogy.subtract(*args, **kwargs, grid=True, **options)
    else:
        result = zogy.subtract_grid(*args, **kwargs, **options)
    return result_record(result)


# --- the matrix ----------------------------------------------------------------------------


def subtract_cases():
    """zogy.subtract over the variance paths, bad pixels, options, swaps and threads."""
    cases = {}
    for threads in (1, 2):
        t = f"threads={threads}"
        for variance in ("mad", "scalar", "flat", "plane"):
            cases[f"wide/{variance}/{t}"] = dict(name="wide", variance=variance, threads=threads)
        cases[f"wide/plane/exact/{t}"] = dict(name="wide", exact_variance=True, threads=threads)
        cases[f"wide/plane/unguarded/{t}"] = dict(name="wide", kernel_guard=False,
                                                  threads=threads)
        cases[f"wide/mad/unguarded/{t}"] = dict(name="wide", variance="mad", kernel_guard=False,
                                                threads=threads)
        for blank in (False, True):
            b = f"bad/blank={blank}/{t}"
            cases[f"wide/mad/{b}"] = dict(name="wide", variance="mad", bad=True,
                                          blank_near_bad=blank, threads=threads)
            cases[f"wide/plane/{b}"] = dict(name="wide", bad=True, blank_near_bad=blank,
                                            threads=threads)
        cases[f"truncated/plane/{t}"] = dict(name="truncated", threads=threads)
        g = dict(name="guarded", border=60, threads=threads)
        cases[f"guarded/gentle/border=60/{t}"] = dict(g, variance="gentle")
        cases[f"guarded/gentle/border=60/unguarded/{t}"] = dict(g, variance="gentle",
                                                                kernel_guard=False)
        cases[f"strip/plane/border=24/{t}"] = dict(name="strip", border=24, threads=threads)
        cases[f"large/plane/{t}"] = dict(name="large", threads=threads)
        cases[f"odd/plane/border=(0,10)/{t}"] = dict(name="odd", border=(0, 10),
                                                     threads=threads)
    cases.update({
        "wide/flat/exact": dict(name="wide", variance="flat", exact_variance=True),
        "wide/plane/exact/bad/blank=True": dict(name="wide", exact_variance=True, bad=True,
                                                blank_near_bad=True),
        "wide/plane/unguarded/bad": dict(name="wide", kernel_guard=False, bad=True),
        "wide/plane/unguarded/exact": dict(name="wide", kernel_guard=False,
                                           exact_variance=True),
        "wide/flat_nan_at_bad/bad": dict(name="wide", variance="flat_nan_at_bad", bad=True),
        "wide/scalar/bad/blank=True": dict(name="wide", variance="scalar", bad=True,
                                           blank_near_bad=True),
        "wide/plane/fft=pow2": dict(name="wide", fft_size="pow2"),
        "wide/mad/fft=pow2": dict(name="wide", variance="mad", fft_size="pow2"),
        "wide/plane/border=(30,17)": dict(name="wide", border=(30, 17)),
        "wide/plane/border=0": dict(name="wide", border=0),
        "wide/plane/flux_scales": dict(name="wide", flux_scales=(1.3, 0.8)),
        "wide/mad/flux_scales": dict(name="wide", variance="mad", flux_scales=(0.7, 1.9)),
        "wide/plane/edge_width=3": dict(name="wide", edge_width=3),
        "wide/plane/seed=12345": dict(name="wide", seed=12345),
        "wide/plane/seed=2**64-1": dict(name="wide", seed=2**64 - 1),
        "truncated/plane/exact": dict(name="truncated", exact_variance=True),
        "truncated/mad": dict(name="truncated", variance="mad"),
        "truncated/plane/unguarded": dict(name="truncated", kernel_guard=False),
        "truncated/mad/unguarded": dict(name="truncated", variance="mad", kernel_guard=False),
        "guarded/gentle/border=60/exact": dict(name="guarded", variance="gentle", border=60,
                                               exact_variance=True),
        "guarded/gentle/border=60/bad/blank=True": dict(name="guarded", variance="gentle",
                                                        border=60, bad=True,
                                                        blank_near_bad=True),
        "guarded/plane": dict(name="guarded"),
        "guarded/mad": dict(name="guarded", variance="mad"),
        "guarded/mad/unguarded": dict(name="guarded", variance="mad", kernel_guard=False),
        "guarded/mad/unguarded/bad": dict(name="guarded", variance="mad", kernel_guard=False,
                                          bad=True),
        "truncated/plane/bad": dict(name="truncated", bad=True),
        "compact/plane": dict(name="compact"),
        "compact/plane/border=24": dict(name="compact", border=24),
        "compact/mad/bad/blank=True": dict(name="compact", variance="mad", bad=True,
                                           blank_near_bad=True),
        "compact/plane/border=24/bad": dict(name="compact", border=24, bad=True),
        "strip/plane/border=24/bad/threads=2": dict(name="strip", border=24, bad=True,
                                                    threads=2),
        "large/plane/bad/blank=True/threads=2": dict(name="large", bad=True,
                                                     blank_near_bad=True, threads=2),
        "odd/plane": dict(name="odd"),
        "odd/mad/border=(0,10)": dict(name="odd", variance="mad", border=(0, 10)),
        "even/plane": dict(name="even"),
        "even/mad/bad": dict(name="even", variance="mad", bad=True),
        "even/plane/bad/fft=pow2": dict(name="even", bad=True, fft_size="pow2"),
    })
    for padding in ("noise", "zero", "constant"):
        p = f"padding={padding}"
        cases[f"wide/plane/{p}"] = dict(name="wide", padding=padding)
        cases[f"wide/mad/{p}"] = dict(name="wide", variance="mad", padding=padding)
        cases[f"wide/plane/bad/{p}"] = dict(name="wide", bad=True, padding=padding)
        cases[f"compact/mad/bad/{p}"] = dict(name="compact", variance="mad", bad=True,
                                             padding=padding)
    for key in ("wide/mad/threads=1", "wide/plane/threads=1", "wide/plane/exact/threads=1",
                "wide/plane/unguarded/threads=1", "wide/plane/bad/blank=True/threads=1",
                "truncated/plane/threads=1", "strip/plane/border=24/threads=1",
                "guarded/gentle/border=60/threads=1",
                "guarded/gentle/border=60/unguarded/threads=1", "wide/plane/padding=zero"):
        cases[f"swap/{key}"] = {**cases[key], "swap": True}
    return {f"subtract/{k}": (subtract_case, v) for k, v in cases.items()}


def grid_cases():
    """zogy.subtract_grid: one cell, several, blending, callables, skipped cells, threads."""
    cases = {
        "one-cell/via-subtract": dict(name="wide", via_subtract=True, grid_inner_size=512),
        "one-cell/mad": dict(name="wide", variance="mad", grid_inner_size=(400, 400)),
        "2x2/mad": dict(name="wide", variance="mad", grid_inner_size=80),
        "2x2/plane/exact": dict(name="wide", grid_inner_size=80, exact_variance=True),
        "2x2/plane/unguarded": dict(name="wide", grid_inner_size=80, kernel_guard=False),
        "2x2/plane/bad/blank=True": dict(name="wide", grid_inner_size=80, bad=True,
                                         blank_near_bad=True),
        "2x2/plane/padding=zero/edge_width=2": dict(name="wide", grid_inner_size=80,
                                                    padding="zero", edge_width=2),
        "2x2/plane/swap": dict(name="wide", grid_inner_size=80, swap=True),
        "3x2/plane/border=(24,30)/blend=(5,9)": dict(name="wide", grid_inner_size=(50, 80),
                                                     border=(24, 30), blend=(5, 9)),
        "default-size/plane/pow2": dict(name="truncated", fft_size="pow2"),
        "odd-inner/plane": dict(name="even", grid_inner_size=(37, 41), border=20),
        "guarded-2x2/gentle": dict(name="guarded", variance="gentle", grid_inner_size=100),
        "guarded-2x2/mad/unguarded": dict(name="guarded", variance="mad", grid_inner_size=100,
                                          kernel_guard=False),
        # A reference cutout with no good pixel: the corner cell is skipped.
        "skipped-cell/mad": dict(name="wide", variance="mad", grid_inner_size=40, border=24,
                                 corner_masked=True),
        "skipped-cell/plane/blend=4": dict(name="wide", grid_inner_size=40, border=24,
                                           blend=4, corner_masked=True),
    }
    for threads in (1, 2, 3):
        t = f"threads={threads}"
        cases[f"2x2/plane/{t}"] = dict(name="wide", grid_inner_size=80, threads=threads)
        cases[f"2x2/plane/blend=8/{t}"] = dict(name="wide", grid_inner_size=80, blend=8,
                                               threads=threads)
        cases[f"callable/plane/{t}"] = dict(name="wide", callable_psfs=("science",),
                                            grid_inner_size=64, threads=threads)
        cases[f"callable/plane/blend=6/{t}"] = dict(name="wide", callable_psfs=("science",),
                                                    grid_inner_size=64, blend=6,
                                                    threads=threads)
    cases["2x2/plane/blend=8/reversed-order"] = dict(name="wide", grid_inner_size=80, blend=8,
                                                     threads=2, cell_order=[3, 2, 1, 0])
    cases["callable/default-size/bad"] = dict(name="wide", callable_psfs=("science",),
                                              bad=True)
    cases["callable/both/swap"] = dict(name="wide", callable_psfs=("science", "reference"),
                                       grid_inner_size=64, swap=True)
    return {f"grid/{k}": (grid_case, v) for k, v in cases.items()}


def pad_case(name="wide", variance=None, masked=False, **options):
    s = scene(name)
    image = s.science.copy()
    if masked:
        image[s.reference_nan] = np.nan  # non-finite pixels as well as a mask
    var = None if variance is None else variances(s, variance)[0]
    mask = s.science_mask if masked else None
    return {"padded": describe(zogy.pad(image, variance=var, mask=mask, **options))}


def pad_cases():
    cases = {}
    for padding in ("noise", "zero", "constant"):
        cases[f"{padding}"] = dict(padding=padding, border=21)
        cases[f"{padding}/plane/masked/border=(9,30)"] = dict(padding=padding, border=(9, 30),
                                                              variance="plane", masked=True)
    cases["noise/scalar/pow2/seed=7"] = dict(variance="scalar", fft_size="pow2", border=15,
                                             seed=7)
    cases["noise/flat/border=0"] = dict(name="odd", variance="flat", border=0)
    return {f"pad/{k}": (pad_case, v) for k, v in cases.items()}


def metric_case(radius=2, sigma=0.0, bad=False):
    s = scene("wide")
    args, kwargs = pair_arguments(s, "plane", bad)
    difference = zogy.subtract(*args, **kwargs, threads=1).difference
    h, w = difference.shape
    g = np.random.Generator(np.random.PCG64(99))
    # Random positions, some just outside the image, then off-image, NaN and edge positions.
    x = np.concatenate([g.uniform(-0.5, w + 0.5, 30), [-3.0, w + 24.0, np.nan, 0.0, w - 0.01]])
    y = np.concatenate([g.uniform(-0.5, h + 0.5, 30), [10.0, 10.0, 5.0, h - 0.5, 0.0]])
    return {"metric1": describe(zogy.metric1(difference, x, y, radius=radius, sigma=sigma))}


def metric_cases():
    cases = {
        "radius=2": dict(),
        "radius=0": dict(radius=0),
        "radius=5/sigma=2.5": dict(radius=5, sigma=2.5),
        "radius=3/sigma=1/nan-pixels": dict(radius=3, sigma=1.0, bad=True),
    }
    return {f"metric1/{k}": (metric_case, v) for k, v in cases.items()}


def rng_case():
    s = scene("compact")
    key = 0x0123456789ABCDEF_FEDCBA9876543210
    counter = zogy.rng.pixel_counter(-3, 5)
    return {
        "raw": describe(zogy.rng.raw(key, counter, 9)),
        "normal": describe(zogy.rng.normal(key, counter, 17)),
        "pixel_counter": str(counter),
        "padding_key": str(zogy.rng.padding_key(2**64 - 2, 0xFFFF_0000_1234_5678)),
        "digest/none": str(zogy.rng.digest(s.science)),
        "digest/scalar": str(zogy.rng.digest(s.science, 4.0)),
        "digest/plane": str(zogy.rng.digest(s.science, s.science_variance)),
    }


def input_forms_case():
    """Other dtypes, byte orders and strides: converted to the float64 the core reads."""
    s = scene("compact")
    science = s.science.astype(np.float32)
    reference = s.reference.astype(">f8")
    variance = np.asfortranarray(s.science_variance)
    psf = np.repeat(s.reference_psf, 2, axis=1)[:, ::2]  # a strided view
    mask = np.where(s.science_mask, 7, 0).astype(np.int32)
    result = zogy.subtract(science, reference, s.science_psf.astype(np.float32), psf,
                           science_variance=variance, reference_variance=2.0,
                           science_mask=mask, border=24)
    integers = zogy.subtract(np.rint(s.science).astype(np.int32),
                             np.rint(s.reference).astype(np.int64), s.science_psf,
                             s.reference_psf, border=24)
    return {"mixed": describe(result), "integers": describe(integers)}


def reference_case(bad=False):
    """The NumPy oracle (zogy.reference.subtract) on a small scene."""
    args, kwargs = pair_arguments(scene("compact"), "plane", bad)
    return {"result": describe(zogy.reference.subtract(*args, **kwargs, border=24, seed=3))}


def simulate_case():
    pairs = {
        "gaussian/transient": zogy.simulate.make_pair(
            shape=(64, 72), n_sources=6, psf_stamp_shape=(15, 15), transient=(30.0, 20.0, 500.0),
            seed=3),
        "uniform/correlated": zogy.simulate.make_pair(
            shape=(48, 40), n_sources=3, psf_stamp_shape=(11, 13), noise_kind="uniform",
            correlated_noise=True, science_psf_sigma=1.5, backgrounds=(10.0, 5.0), seed=11),
    }
    out = {k: describe(v) for k, v in pairs.items()}
    out["gaussian_psf"] = describe(zogy.simulate.gaussian_psf((9, 12), 1.7))
    return out


def error_case():
    """A few invalid calls: the exception type and message are outputs too."""
    s = scene("compact")
    calls = {
        "seed=-1": lambda: zogy.subtract(s.science, s.reference, s.science_psf,
                                         s.reference_psf, seed=-1),
        "padding=bogus": lambda: zogy.subtract(s.science, s.reference, s.science_psf,
                                               s.reference_psf, padding="bogus"),
        "shape-mismatch": lambda: zogy.subtract(s.science, s.reference[:-1], s.science_psf,
                                                s.reference_psf),
        "all-bad": lambda: zogy.subtract(s.science, s.reference, s.science_psf,
                                         s.reference_psf,
                                         science_mask=np.ones(s.science.shape, bool)),
        "grid-blend-too-wide": lambda: zogy.subtract_grid(s.science, s.reference,
                                                          s.science_psf, s.reference_psf,
                                                          grid_inner_size=40, border=20,
                                                          blend=20),
        "pad-without-border": lambda: zogy.pad(s.science, border=None),
        "metric1-radius": lambda: zogy.metric1(s.science, [1.0], [1.0], radius=-1),
    }
    out = {}
    for name, call in calls.items():
        try:
            call()
            out[name] = "no exception"
        except Exception as exc:  # noqa: BLE001 - the exception is the output here
            out[name] = f"{type(exc).__name__}: {exc}"
    return out


def all_cases():
    """Every case: name -> (function, keyword arguments)."""
    cases = {}
    cases.update(subtract_cases())
    cases.update(grid_cases())
    cases.update(pad_cases())
    cases.update(metric_cases())
    cases["rng"] = (rng_case, {})
    cases["input-forms"] = (input_forms_case, {})
    cases["reference/plane"] = (reference_case, {})
    cases["reference/plane/bad"] = (reference_case, {"bad": True})
    cases["simulate"] = (simulate_case, {})
    cases["errors"] = (error_case, {})
    return cases


# --- which path a case took (--paths) ------------------------------------------------------


def variance_path(name: str, variance="plane", bad=False, swap=False, **options) -> str:
    """What the public outputs tell of a subtract case's path.

    ``parseval``: constant variance planes; ``exact``: exact_variance=True; ``tiled``: the
    variance planes differ (at round-off) from exact_variance=True's, so they came from
    small-grid kernels; ``full grid``: they are the same bits (the kernels needed the full
    grid). ``guard active``: kernel_guard=False changes the difference."""
    args, kwargs = pair_arguments(scene(name), variance, bad, swap)
    run = dict(kwargs, **options)
    result = zogy.subtract(*args, **run)
    if np.nanmin(result.difference_variance) == np.nanmax(result.difference_variance):
        path = "parseval"
    elif run.get("exact_variance", False):
        path = "exact"
    else:
        exact = zogy.subtract(*args, **dict(run, exact_variance=True))
        same = np.array_equal(result.difference_variance, exact.difference_variance,
                              equal_nan=True)
        path = "full grid" if same else "tiled"
    if run.get("kernel_guard", True):
        unguarded = zogy.subtract(*args, **dict(run, kernel_guard=False))
        if not np.array_equal(result.difference, unguarded.difference, equal_nan=True):
            path += ", guard active"
    return path


def print_paths() -> None:
    for name, (function, options) in all_cases().items():
        if function is subtract_case:
            print(f"{name}: {variance_path(**options)}")


# --- main ----------------------------------------------------------------------------------


def run_case(function, options) -> tuple[dict, str | None]:
    """The case's fingerprint, or its unexpected error recorded in its place."""
    try:
        return function(**dict(options)), None
    except Exception as exc:  # noqa: BLE001 - recorded, reported, and the exit status is 1
        error = f"{type(exc).__name__}: {exc}"
        return {"unexpected_error": error}, error


def build_matrix() -> tuple[dict, list[str]]:
    cases, failures = {}, []
    for name, (function, options) in all_cases().items():
        cases[name], error = run_case(function, options)
        if error:
            failures.append(f"{name}: {error}")
    inputs = {name: describe(scene(name)) for name in SCENES}
    environment = {"numpy": np.__version__, "python": platform.python_version(),
                   "zogy": zogy.__version__}
    return {"environment": environment, "inputs": inputs, "cases": cases}, failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="write the JSON to this file instead of stdout")
    parser.add_argument("--paths", action="store_true",
                        help="instead, print the variance path each subtract case took")
    args = parser.parse_args(argv)
    if args.paths:
        print_paths()
        return 0
    start = time.perf_counter()
    matrix, failures = build_matrix()
    text = json.dumps(matrix, indent=1, sort_keys=True) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    elapsed = time.perf_counter() - start
    print(f"output_hashes: {len(matrix['cases'])} cases, {count_digests(matrix['cases'])} "
          f"output digests ({count_digests(matrix['inputs'])} input), {elapsed:.1f} s",
          file=sys.stderr)
    for failure in failures:
        print(f"output_hashes: unexpected error in {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
