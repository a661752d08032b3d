"""Scenarios and helpers shared by the test files (importable: tests/python is on pythonpath)."""

from __future__ import annotations

import hashlib

import numpy as np

from zogy.simulate import make_pair

ARRAYS = ("difference", "difference_variance", "psf", "score", "score_variance", "scorr",
          "flux", "flux_err")  # fmt: skip


def lsst_pair(seed: int):
    """The notebook's reverse scenario: 250x260, 20 sources, PSF sigma 2 / 2-4, noise 1.5 / 5."""
    return make_pair(seed=seed)


def subtract_pair(pair, *, swap: bool = False, **options):
    import zogy

    sci = (pair.science, pair.science_psf, pair.science_variance)
    ref = (pair.reference, pair.reference_psf, pair.reference_variance)
    if swap:
        sci, ref = ref, sci
    return zogy.subtract(
        sci[0], ref[0], sci[1], ref[1],
        science_variance=sci[2], reference_variance=ref[2], **options,
    )  # fmt: skip



def digest_of(result) -> str:
    """sha256 over every output array of a ZogyResult (byte-identity checks)."""
    h = hashlib.sha256()
    for name in ARRAYS + ("mask",):
        h.update(np.ascontiguousarray(getattr(result, name)).tobytes())
    h.update(np.float64(result.flux_zero_point).tobytes())
    return h.hexdigest()
