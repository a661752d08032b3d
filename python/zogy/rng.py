"""The counter-based generator behind the padding noise, for use outside the package.

Conventions are numpy's: ``raw(key, counter, n)`` equals
``numpy.random.Philox(key=key, counter=counter).random_raw(n)``. The padding deviate of the
exposure pixel ``(y, x)`` of an image is ``normal(padding_key(seed, digest), pixel_counter(y, x),
1)[0]``, and the padded value is ``fill_mean + sqrt(noise_weight) * deviate``.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from . import _validate as v

_WORD = 2**64


def _words(value: int, count: int, name: str) -> list[int]:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: must be an integer")
    value = int(value)
    if not 0 <= value < _WORD**count:
        raise v.InvalidArgument(f"{name}: must be in 0 .. 2**{64 * count} - 1")
    return [(value >> (64 * i)) % _WORD for i in range(count)]


def raw(key: int, counter: int, n: int) -> np.ndarray:
    """First ``n`` raw 64-bit outputs of Philox4x64-10 with numpy's key/counter convention."""
    return _core.raw(_words(key, 2, "key"), _words(counter, 4, "counter"), v.length(n, "n"))


def normal(key: int, counter: int, n: int) -> np.ndarray:
    """Standard normal deviates; deviate ``i`` comes from the block at ``counter + i + 1``.

    Box-Muller on the block's first two words, with log and cos built from + - * / sqrt, so
    the bits are the same on every IEEE-754 machine.
    """
    return _core.normal(_words(key, 2, "key"), _words(counter, 4, "counter"), v.length(n, "n"))


def pixel_counter(y: int, x: int) -> int:
    """numpy-convention counter of the exposure pixel ``(y, x)`` (negative allowed)."""
    return (int(x) % _WORD) + ((int(y) % _WORD) << 64)


def padding_key(seed: int, digest: int) -> int:
    """Philox key of an image's padding: ``seed`` in the low word, its digest in the high."""
    return v.seed_value(seed) + (_words(digest, 1, "digest")[0] << 64)


def digest(image, variance=None) -> int:
    """64-bit digest of an image's shape, pixels and variance (docs/algorithm.md).

    ``variance`` is what was passed to :func:`zogy.subtract`: None, a scalar (hashed as the
    constant plane) or a plane of the image's shape.
    """
    image = v.float_array(image, "image")
    plane = v.variance_plane(variance, image.shape, "variance")
    return _core.digest(image, plane)
