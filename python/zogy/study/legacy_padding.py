"""The LSST padding seeding schemes, emulated: the images are padded here as LSST padded them,
then subtracted with ``border=0`` so that the core uses that padding as it is.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as v
from ..api import subtract

#: The emulated LSST seeding schemes (see :func:`legacy_subtract`).
LEGACY_SCHEMES = ("legacy-shared", "legacy-per-image")


def _pow2(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


def _legacy_rng(variance) -> np.random.Generator:
    """LSST's generator: seeded from the mean variance's float64 bits read as an int64."""
    return np.random.default_rng(seed=np.array([float(np.mean(variance))]).view(np.int64))


def _legacy_pad(image, variance, border, padded_shape, rng):
    """Image and variance plane on the padded grid, padding N(0, mean variance) from ``rng``.

    LSST filled with mean 0 (our core uses the clipped mean), so a pair with a background gets
    a step at the image edge here -- that is the legacy behaviour, kept on purpose. The
    padding pixels are drawn in row-major order of the padded grid.
    """
    h, w = image.shape
    by, bx = border
    sigma2 = float(np.mean(variance))
    inner = (slice(by, by + h), slice(bx, bx + w))
    outside = np.ones(padded_shape, dtype=bool)
    outside[inner] = False
    padded = np.empty(padded_shape)
    padded[outside] = rng.normal(0.0, math.sqrt(sigma2), int(outside.sum()))
    padded[inner] = image
    plane = np.full(padded_shape, sigma2)
    plane[inner] = variance
    return padded, plane


def legacy_subtract(pair, scheme, *, swap=False, border, variances, kernel_guard=False):
    """D with the padding filled as an LSST seeding scheme did (then ``zogy.subtract``, border 0).

    Parameters
    ----------
    pair : SimulatedPair or ImagePair
        The images (image 1 is the science image, or the reference with ``swap=True``).
    scheme : {"legacy-shared", "legacy-per-image"}
        ``"legacy-shared"``: one generator seeded from image 1's mean variance, consumed by
        image 1's padding then image 2's. ``"legacy-per-image"``: one generator per image,
        seeded from that image's own mean variance.
    swap : bool
        Compute D(reference, science).
    border : (int, int)
        Border of the default geometry (``ZogyResult.border``); the padded size is LSST's
        power of two >= inner + 2 border.
    variances : (ndarray, ndarray)
        Variance planes of the science and reference images.
    kernel_guard : bool
        LSST had no round-off guard (False reproduces its kernels); True isolates the effect
        of the seeding scheme from that of the unguarded kernels.

    Returns
    -------
    ndarray
        The difference image cropped to the inner box.
    """
    images = [
        (pair.science, pair.science_psf, variances[0]),
        (pair.reference, pair.reference_psf, variances[1]),
    ]
    if swap:
        images.reverse()
    h, w = pair.science.shape
    padded_shape = (_pow2(h + 2 * border[0]), _pow2(w + 2 * border[1]))
    v.choice(scheme, LEGACY_SCHEMES, "scheme")
    if scheme == "legacy-shared":
        shared = _legacy_rng(images[0][2])
        rngs = (shared, shared)
    else:
        rngs = (_legacy_rng(images[0][2]), _legacy_rng(images[1][2]))
    (n, vn), (r, vr) = (
        _legacy_pad(img, var, border, padded_shape, rng) for (img, _, var), rng in zip(images, rngs)
    )
    result = subtract(
        n,
        r,
        images[0][1],
        images[1][1],
        science_variance=vn,
        reference_variance=vr,
        border=0,
        kernel_guard=kernel_guard,
    )
    # A power of two is 7-smooth, so border=0 must leave the grid exactly as we padded it.
    assert tuple(result.padded_shape) == padded_shape, (result.padded_shape, padded_shape)
    return result.difference[border[0] : border[0] + h, border[1] : border[1] + w]


def _variances(pair, result):
    """Variance planes of a pair; the core's noise weights where the pair has none."""
    planes = []
    for given, weight in zip(
        (pair.science_variance, pair.reference_variance), result.noise_weights
    ):
        if given is None:
            given = weight
        planes.append(np.broadcast_to(np.asarray(given, dtype=float), pair.science.shape))
    return planes
