"""Readable NumPy implementation of ZOGY, the test oracle and speed baseline of the C++ core.

Zackay, Ofek & Gal-Yam 2016 (ApJ 830:27). Every convention (statistics, padding geometry,
counter-based noise, FFT layout, equations, kernel guard) follows ``docs/algorithm.md``.

This module is deliberately independent of the rest of the package: it imports only the
standard library and NumPy, and it carries its own Philox4x64-10 and its own normal deviates,
so that agreement with ``zogy._core`` is evidence, not tautology. It favours clarity over speed
(full complex FFTs, one function per concept); only the noise generator is vectorised.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "MASK_REFERENCE",
    "MASK_SCIENCE",
    "cos_two_pi_basic",
    "default_border",
    "difference_kernels",
    "difference_psf_hat",
    "digest",
    "fft_length",
    "flux_zero_point",
    "frequencies",
    "gaussian_log_transfer",
    "image_key",
    "increment_counters",
    "log_basic",
    "normal",
    "normal_from_words",
    "normalize_psf",
    "padding_noise",
    "philox4x64",
    "pixel_counters",
    "psf_moments",
    "psf_transform",
    "raw_numpy",
    "score_kernels",
    "score_normalization",
    "split_key",
    "splitmix64",
    "subtract",
    "uniform53",
]

MASK_SCIENCE = 1
MASK_REFERENCE = 2

_U64 = (1 << 64) - 1
_KERNEL_GUARD_TAU = 1e-13
_MAD_TO_SIGMA = 1.482602218505602
_CLIP_SIGMA = 3.0
_CLIP_ITERATIONS = 3

# ---------------------------------------------------------------------------------------------
# Philox4x64-10 (Random123's philox4x64, numpy's Philox)
# ---------------------------------------------------------------------------------------------

_PHILOX_M0 = np.uint64(0xD2E7470EE14C6C93)
_PHILOX_M1 = np.uint64(0xCA5A826395121157)
_PHILOX_W0 = 0x9E3779B97F4A7C15
_PHILOX_W1 = 0xBB67AE8584CAA73B
_PHILOX_ROUNDS = 10
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)


def split_key(key) -> tuple[int, int]:
    """Key words (k0, k1) from a 128-bit integer ``k0 + 2**64 k1`` or a pair of words."""
    if isinstance(key, (tuple, list)):
        k0, k1 = (int(word) for word in key)
        if not (0 <= k0 <= _U64 and 0 <= k1 <= _U64):
            raise ValueError("key words must be in [0, 2**64)")
        return k0, k1
    key = int(key)
    if not 0 <= key < 1 << 128:
        raise ValueError("key must be in [0, 2**128)")
    return key & _U64, key >> 64


def _counter_words(counter) -> np.ndarray:
    """The four 64-bit words (least significant first) of a 256-bit counter or a word tuple."""
    if isinstance(counter, (tuple, list)):
        words = [int(word) for word in counter]
        if len(words) != 4 or not all(0 <= word <= _U64 for word in words):
            raise ValueError("a counter is four words in [0, 2**64)")
    else:
        counter = int(counter)
        if not 0 <= counter < 1 << 256:
            raise ValueError("counter must be in [0, 2**256)")
        words = [(counter >> (64 * i)) & _U64 for i in range(4)]
    return np.array(words, dtype=np.uint64)


def _mulhilo(multiplier: np.uint64, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High and low 64-bit words of the 128-bit product, from 32-bit halves.

    Each partial product of two 32-bit halves fits in 64 bits; only ``low`` wraps (mod 2**64,
    intended; NumPy array arithmetic wraps silently).
    """
    a_hi, a_lo = multiplier >> _SHIFT32, multiplier & _LOW32
    b_hi, b_lo = value >> _SHIFT32, value & _LOW32
    lo_lo = a_lo * b_lo
    lo_hi = a_lo * b_hi
    hi_lo = a_hi * b_lo
    middle = (lo_lo >> _SHIFT32) + (lo_hi & _LOW32) + (hi_lo & _LOW32)
    high = a_hi * b_hi + (lo_hi >> _SHIFT32) + (hi_lo >> _SHIFT32) + (middle >> _SHIFT32)
    low = (middle << _SHIFT32) | (lo_lo & _LOW32)
    return high, low


def philox4x64(key, counters: np.ndarray) -> np.ndarray:
    """Random123 block function philox4x64 with 10 rounds (no counter offset).

    ``counters`` is an (n, 4) uint64 array, words least significant first; returns (n, 4).
    """
    k0, k1 = split_key(key)
    c = np.asarray(counters, dtype=np.uint64).reshape(-1, 4)
    c0, c1, c2, c3 = (c[:, i].copy() for i in range(4))
    for round_index in range(_PHILOX_ROUNDS):
        if round_index > 0:  # the key is bumped between rounds, not before the first
            k0, k1 = (k0 + _PHILOX_W0) & _U64, (k1 + _PHILOX_W1) & _U64
        hi0, lo0 = _mulhilo(_PHILOX_M0, c0)
        hi1, lo1 = _mulhilo(_PHILOX_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0
    return np.stack([c0, c1, c2, c3], axis=1)


def increment_counters(counters: np.ndarray, amounts=1) -> np.ndarray:
    """``counters + amounts`` modulo 2**256, vectorised over rows of an (n, 4) uint64 array."""
    out = np.array(counters, dtype=np.uint64).reshape(-1, 4)
    amounts = np.broadcast_to(np.asarray(amounts, dtype=np.uint64), out.shape[:1])
    word0 = out[:, 0] + amounts
    carry = word0 < amounts  # the addition wrapped
    out[:, 0] = word0
    for w in range(1, 4):
        out[:, w] += carry.astype(np.uint64)
        carry &= out[:, w] == 0
    return out


def raw_numpy(key, counter, n: int) -> np.ndarray:
    """``numpy.random.Philox(key=K, counter=C).random_raw(n)``.

    Raw output j is word j % 4 of the Random123 block at counter C + 1 + j // 4.
    """
    n_blocks = -(-n // 4)
    counters = increment_counters(
        np.broadcast_to(_counter_words(counter), (n_blocks, 4)), np.arange(1, n_blocks + 1)
    )
    return philox4x64(key, counters).reshape(-1)[:n]


# ---------------------------------------------------------------------------------------------
# Normal deviates from + - * / sqrt only (bit for bit the sequence of src/zogy/rng.cpp)
# ---------------------------------------------------------------------------------------------

_LN2_HI = 6.93147180369123816490e-01  # fdlibm: e * _LN2_HI is exact for |e| < 2**11
_LN2_LO = 1.90821492927058770002e-10
_SQRT2 = 1.4142135623730951
_TWO_PI = 6.283185307179586
_MANTISSA_BITS = np.uint64(0x000FFFFFFFFFFFFF)
_EXPONENT_ONE = np.uint64(0x3FF0000000000000)


def _taylor_coefficients() -> tuple[list[float], list[float]]:
    """(-1)^k / (2k)! and (-1)^k / (2k+1)!, k = 0..10, by the same chain of divisions as C++."""
    cos_c, sin_c = [], []
    c = 1.0
    for k in range(11):
        if k > 0:
            c = -c / ((2.0 * k - 1.0) * (2.0 * k))
        cos_c.append(c)
    s = 1.0
    for k in range(11):
        if k > 0:
            s = -s / ((2.0 * k) * (2.0 * k + 1.0))
        sin_c.append(s)
    return cos_c, sin_c


_COS_C, _SIN_C = _taylor_coefficients()


def uniform53(words) -> np.ndarray:
    """Uniform in (0, 1) from the top 52 bits of each word: ``((w >> 12) + 0.5) * 2**-52``.

    Every value is exact (53 significant bits), so the range is [2**-53, 1 - 2**-53].
    """
    top = (np.asarray(words, dtype=np.uint64) >> np.uint64(12)).astype(np.float64)
    return (top + 0.5) * 2.0**-52


def log_basic(u) -> np.ndarray:
    """Natural log of positive normal doubles with + - * / only (rng.cpp ``log_basic``)."""
    u = np.asarray(u, dtype=np.float64)
    bits = u.view(np.uint64)
    # u = m 2^e with m in [sqrt(1/2), sqrt(2)); the split through the bits is exact.
    e = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1023
    m = ((bits & _MANTISSA_BITS) | _EXPONENT_ONE).view(np.float64)
    high = m > _SQRT2
    m = np.where(high, m * 0.5, m)
    e = e + high
    # log m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...), Horner from the s^24/25 term.
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = np.full_like(s, 1.0 / 25.0)
    for k in range(11, -1, -1):
        p = p * z + 1.0 / (2.0 * k + 1.0)
    log_m = 2.0 * s * p
    ef = e.astype(np.float64)
    return ef * _LN2_HI + (ef * _LN2_LO + log_m)


def _cos_small(phi: np.ndarray) -> np.ndarray:
    z = phi * phi
    p = np.full_like(phi, _COS_C[10])
    for k in range(9, -1, -1):
        p = p * z + _COS_C[k]
    return p


def _sin_small(phi: np.ndarray) -> np.ndarray:
    z = phi * phi
    p = np.full_like(phi, _SIN_C[10])
    for k in range(9, -1, -1):
        p = p * z + _SIN_C[k]
    return phi * p


def cos_two_pi_basic(u) -> np.ndarray:
    """cos(2 pi u): exact quadrant reduction, Taylor series (rng.cpp ``cos_two_pi_basic``)."""
    u = np.asarray(u, dtype=np.float64)
    k = np.floor(u * 4.0 + 0.5)
    r = u - k * 0.25  # exact: Sterbenz, or k = 0
    phi = r * _TWO_PI  # |phi| <= pi/4
    quadrant = k - 4.0 * np.floor(k * 0.25)
    cos_phi, sin_phi = _cos_small(phi), _sin_small(phi)
    return np.select(
        [quadrant == 0.0, quadrant == 1.0, quadrant == 2.0], [cos_phi, -sin_phi, -cos_phi], sin_phi
    )


def normal_from_words(w0, w1) -> np.ndarray:
    """Box-Muller deviate from the first two words of a Philox block (one deviate per block)."""
    u1 = uniform53(w0)
    u2 = uniform53(w1)
    return np.sqrt(-2.0 * log_basic(u1)) * cos_two_pi_basic(u2)


def _normals_at(key, counters: np.ndarray) -> np.ndarray:
    """The deviate of each numpy-convention counter row (block at counter + 1)."""
    block = philox4x64(key, increment_counters(counters))
    return normal_from_words(block[:, 0], block[:, 1])


def normal(key, counter, n: int) -> np.ndarray:
    """Deviates for the numpy-convention counters ``counter + i``, i = 0..n-1."""
    counters = increment_counters(np.broadcast_to(_counter_words(counter), (n, 4)), np.arange(n))
    return _normals_at(key, counters)


def pixel_counters(ys, xs) -> np.ndarray:
    """Counters (x mod 2**64) + 2**64 (y mod 2**64) of exposure pixels, as (n, 4) words."""
    ys, xs = np.broadcast_arrays(np.asarray(ys, dtype=np.int64), np.asarray(xs, dtype=np.int64))
    counters = np.zeros((ys.size, 4), dtype=np.uint64)
    counters[:, 0] = xs.reshape(-1).view(np.uint64)  # two's complement = value mod 2**64
    counters[:, 1] = ys.reshape(-1).view(np.uint64)
    return counters


def padding_noise(key, ys, xs) -> np.ndarray:
    """Standard normal deviate z(y, x) of exposure pixels (shape of the broadcast ys, xs)."""
    shape = np.broadcast_shapes(np.shape(ys), np.shape(xs))
    return _normals_at(key, pixel_counters(ys, xs)).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Image digest and key
# ---------------------------------------------------------------------------------------------

_DIGEST_START = 0x243F6A8885A308D3  # pi bits
_CANONICAL_NAN = 0x7FF8000000000000


def splitmix64(z: int) -> int:
    """SplitMix64 finaliser on a Python int (all arithmetic mod 2**64)."""
    z = (z + 0x9E3779B97F4A7C15) & _U64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _U64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _U64
    return z ^ (z >> 31)


def _float_words(values: np.ndarray) -> list[int]:
    """float64 bits in row-major order, every NaN as the canonical quiet NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64).reshape(-1).copy()
    bits[np.isnan(values).reshape(-1)] = _CANONICAL_NAN
    return bits.tolist()


def digest(image, variance=None) -> int:
    """64-bit digest of the input bits: [H, W, pixels, F, variance plane if F = 1].

    ``variance`` is as passed to subtract: None (F = 0, no variance words), a scalar (its
    constant plane) or an (H, W) plane. Only inputs enter, never a derived statistic: sigma^2
    could differ in its last bit between implementations and would redraw every padded pixel.
    """
    pixels = _as_image(image, "image")
    h = _DIGEST_START
    for word in pixels.shape:
        h = splitmix64(h ^ word)
    h = _absorb_lanes(h, _float_words(pixels))
    if variance is None:
        return splitmix64(h ^ 0)
    plane = np.broadcast_to(np.asarray(variance, dtype=np.float64), pixels.shape)
    return _absorb_lanes(splitmix64(h ^ 1), _float_words(plane))


def _absorb_lanes(h: int, words: list[int]) -> int:
    """Word i into lane i % 4 (lane j starts at splitmix64(h ^ j)); lanes folded into h."""
    lanes = [splitmix64(h ^ j) for j in range(4)]
    for i, word in enumerate(words):
        lanes[i % 4] = splitmix64(lanes[i % 4] ^ word)
    for lane in lanes:
        h = splitmix64(h ^ lane)
    return h


def image_key(seed: int, image_digest: int) -> int:
    """Philox key of an image as a 128-bit int: k0 = seed, k1 = digest."""
    return int(seed) + (int(image_digest) << 64)


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------
# Sums run sequentially in row-major order (np.cumsum accumulates left to right; np.sum is
# pairwise), as in the C++ core (stats.cpp), so that sigma^2 and m agree to the bit and the
# padding values m + sigma z with them.


def _sequential_sum(values: np.ndarray) -> float:
    return float(np.cumsum(values, axis=None)[-1]) if values.size else 0.0


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and population standard deviation (ddof 0)."""
    n = values.size
    mean = _sequential_sum(values) / n
    deviation = values - mean
    return mean, math.sqrt(_sequential_sum(deviation * deviation) / n)


def _clipped_stats(values: np.ndarray) -> tuple[float, float]:
    """3-sigma clipped mean and std, 3 nested iterations, early stop when nothing is removed."""
    selected = np.asarray(values, dtype=np.float64).reshape(-1)
    if selected.size == 0:
        raise ValueError("no good pixels to estimate statistics from")
    for _ in range(_CLIP_ITERATIONS):
        mean, std = _mean_std(selected)
        kept = selected[np.abs(selected - mean) <= _CLIP_SIGMA * std]
        if kept.size == selected.size or kept.size == 0:
            break
        selected = kept
    return _mean_std(selected)


def _median(values: np.ndarray) -> float:
    """Median; for an even count, the mean of the two middle values."""
    ordered = np.sort(values, axis=None)
    n = ordered.size
    if n % 2:
        return float(ordered[n // 2])
    return float((ordered[n // 2 - 1] + ordered[n // 2]) / 2.0)


def _mad_sigma(values: np.ndarray) -> float:
    """Robust sigma 1.4826 MAD, falling back to the clipped std; ValueError if both are 0."""
    deviation = np.abs(values - _median(values))
    sigma = _MAD_TO_SIGMA * _median(deviation)
    if sigma == 0.0:
        sigma = _clipped_stats(values)[1]
    if sigma == 0.0:
        raise ValueError("image has zero noise (MAD and clipped std are 0): pass a variance")
    return sigma


def _noise_weight(image: np.ndarray, good: np.ndarray, variance) -> float:
    """sigma^2: clipped mean of the variance plane over good pixels, (MAD sigma)^2 without one."""
    if variance is None:
        sigma = _mad_sigma(image[good])
        return sigma * sigma
    plane = np.broadcast_to(variance, image.shape)  # a scalar is a constant plane
    return _clipped_stats(plane[good])[0]


def _fill_mean(image: np.ndarray, good: np.ndarray) -> float:
    """m: clipped mean of the good pixels."""
    return _clipped_stats(image[good])[0]


# ---------------------------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------------------------


def _as_image(array, name: str) -> np.ndarray:
    """A 2-D float64 copy-or-view; integers converted, bool and complex refused."""
    array = np.asarray(array)
    if array.dtype.kind == "b" or array.dtype.kind == "c":
        raise TypeError(f"{name} must be real (got dtype {array.dtype})")
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real numeric array (got dtype {array.dtype})")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (got {array.ndim} dimensions)")
    return array.astype(np.float64, copy=False)


def _bad_pixels(image: np.ndarray, mask, name: str) -> np.ndarray:
    bad = ~np.isfinite(image)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != image.shape:
            raise ValueError(f"{name} must have the image shape {image.shape}")
        bad |= mask != 0
    if bad.all():
        raise ValueError(f"{name.replace('_mask', '')} has no good pixels")
    return bad


def _checked_variance(variance, image: np.ndarray, good: np.ndarray, name: str):
    """None, a float, or a float64 plane; finite and > 0 at good pixels."""
    if variance is None:
        return None
    if np.ndim(variance) == 0:
        value = float(variance)
        if not (math.isfinite(value) and value > 0.0):
            raise ValueError(f"{name} must be finite and > 0")
        return value
    plane = _as_image(variance, name)
    if plane.shape != image.shape:
        raise ValueError(f"{name} must have the image shape {image.shape}")
    values = plane[good]
    if not (np.all(np.isfinite(values)) and np.all(values > 0.0)):
        raise ValueError(f"{name} must be finite and > 0 at good pixels")
    return plane


# ---------------------------------------------------------------------------------------------
# PSF and padding geometry
# ---------------------------------------------------------------------------------------------


def normalize_psf(psf, image_shape: tuple[int, int] | None = None, name: str = "psf"):
    """The stamp divided by its sum; ValueError unless finite with a finite positive sum."""
    stamp = _as_image(psf, name)
    if image_shape is not None and (
        stamp.shape[0] > image_shape[0] or stamp.shape[1] > image_shape[1]
    ):
        raise ValueError(f"{name} stamp {stamp.shape} is larger than the image {image_shape}")
    if not np.all(np.isfinite(stamp)):
        raise ValueError(f"{name} has non-finite values")
    total = _sequential_sum(stamp)
    if not (math.isfinite(total) and total > 0):
        raise ValueError(f"{name} must have a finite positive sum")
    return stamp / total


def psf_moments(stamp: np.ndarray) -> tuple[float, float]:
    """(mxx, myy): second moments about the stamp centre (h // 2, w // 2), clamped at >= 0."""
    h, w = stamp.shape
    dy = (np.arange(h) - h // 2).astype(np.float64)[:, None]
    dx = (np.arange(w) - w // 2).astype(np.float64)[None, :]
    mxx = _sequential_sum(stamp * dx * dx)
    myy = _sequential_sum(stamp * dy * dy)
    return max(mxx, 0.0), max(myy, 0.0)


def default_border(stamps) -> tuple[int, int]:
    """(by, bx) = max(ceil(10 sigma_psf), largest stamp height / width)."""
    sigma_psf = max(math.sqrt(max(psf_moments(stamp))) for stamp in stamps)
    reach = math.ceil(10.0 * sigma_psf)
    return (
        max(reach, max(stamp.shape[0] for stamp in stamps)),
        max(reach, max(stamp.shape[1] for stamp in stamps)),
    )


def _is_smooth(n: int) -> bool:
    for prime in (2, 3, 5, 7):
        while n % prime == 0:
            n //= prime
    return n == 1


def fft_length(minimum: int, fft_size: str = "smooth") -> int:
    """Smallest n >= minimum that is 2^a 3^b 5^c 7^d ("smooth") or a power of two ("pow2")."""
    minimum = max(int(minimum), 1)
    if fft_size == "pow2":
        return 1 << (minimum - 1).bit_length()
    if fft_size != "smooth":
        raise ValueError(f"fft_size must be 'smooth' or 'pow2' (got {fft_size!r})")
    n = minimum
    while not _is_smooth(n):
        n += 1
    return n


def _border_pair(border, stamps) -> tuple[int, int]:
    if border is None:
        return default_border(stamps)
    pair = (border, border) if np.ndim(border) == 0 else tuple(border)
    if len(pair) != 2 or any(int(b) != b or b < 0 for b in pair):
        raise ValueError("border must be an int >= 0 or a pair (by, bx) of them")
    return int(pair[0]), int(pair[1])


# ---------------------------------------------------------------------------------------------
# Padding
# ---------------------------------------------------------------------------------------------


def _pad_image(
    image, bad, variance, noise_weight, fill_mean, key, border, padded_shape, padding
) -> tuple[np.ndarray, np.ndarray]:
    """Padded image and padded variance plane (filled at padding and bad pixels)."""
    if padding not in ("noise", "constant", "zero"):
        raise ValueError(f"padding must be 'noise', 'constant' or 'zero' (got {padding!r})")
    (by, bx), (h, w) = border, image.shape
    inner = (slice(by, by + h), slice(bx, bx + w))
    fill = np.ones(padded_shape, dtype=bool)
    fill[inner] = bad
    padded = np.zeros(padded_shape)
    padded[inner] = image
    if padding == "noise":
        ii, jj = np.nonzero(fill)
        z = padding_noise(key, ii - by, jj - bx)
        padded[ii, jj] = fill_mean + math.sqrt(noise_weight) * z
    elif padding == "constant":
        padded[fill] = fill_mean
    else:  # zero: 0 in the padding, m at bad pixels (a hole of 0 would ring through the kernels)
        padded[fill] = 0.0
        padded[inner][bad] = fill_mean
    padded_variance = np.full(padded_shape, noise_weight)
    if variance is not None:
        padded_variance[inner] = variance
        padded_variance[inner][bad] = noise_weight
    return padded, padded_variance


# ---------------------------------------------------------------------------------------------
# Fourier space
# ---------------------------------------------------------------------------------------------


def psf_transform(stamp: np.ndarray, padded_shape: tuple[int, int]) -> np.ndarray:
    """DFT of the stamp placed with its centre (h // 2, w // 2) at padded index [0, 0]."""
    hp, wp = padded_shape
    h, w = stamp.shape
    rows = (np.arange(h) - h // 2) % hp
    cols = (np.arange(w) - w // 2) % wp
    placed = np.zeros(padded_shape)
    placed[np.ix_(rows, cols)] = stamp
    return np.fft.fft2(placed)


def _crop_centred(image: np.ndarray, stamp_shape: tuple[int, int]) -> np.ndarray:
    """Inverse of psf_transform's placement: the stamp around [0, 0], centre at (h//2, w//2)."""
    hp, wp = image.shape
    h, w = stamp_shape
    rows = (np.arange(h) - h // 2) % hp
    cols = (np.arange(w) - w // 2) % wp
    return image[np.ix_(rows, cols)]


def frequencies(padded_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(fy, fx) broadcastable to the padded shape: k / n with k in numpy's fftfreq order."""

    def axis(n: int) -> np.ndarray:
        k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
        return k.astype(np.float64) / n

    hp, wp = padded_shape
    return axis(hp)[:, None], axis(wp)[None, :]


def gaussian_log_transfer(moments: tuple[float, float], padded_shape) -> np.ndarray:
    """l = -2 pi^2 (mxx fx^2 + myy fy^2): log of the Gaussian-equivalent PSF transform."""
    mxx, myy = moments
    fy, fx = frequencies(padded_shape)
    return -2.0 * math.pi**2 * (mxx * fx**2 + myy * fy**2)


def _abs2(values: np.ndarray) -> np.ndarray:
    return values.real * values.real + values.imag * values.imag


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator (real denominator, componentwise), 0 where it is 0."""
    nonzero = denominator != 0
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape), numerator.dtype)
    if np.iscomplexobj(numerator):
        np.divide(numerator.real, denominator, out=out.real, where=nonzero)
        np.divide(numerator.imag, denominator, out=out.imag, where=nonzero)
    else:
        np.divide(numerator, denominator, out=out, where=nonzero)
    return out


def _weights(noise_weights, flux_scales) -> tuple[float, float]:
    """a_N = sigma_N^2 F_R^2, a_R = sigma_R^2 F_N^2."""
    (var_n, var_r), (f_n, f_r) = noise_weights, flux_scales
    return var_n * f_r**2, var_r * f_n**2


def _delta_squared(psf_hat_n, psf_hat_r, noise_weights, flux_scales) -> np.ndarray:
    """Delta^2 = a_N |P_R|^2 + a_R |P_N|^2."""
    a_n, a_r = _weights(noise_weights, flux_scales)
    return a_n * _abs2(psf_hat_r) + a_r * _abs2(psf_hat_n)


def difference_kernels(
    psf_hat_n, psf_hat_r, noise_weights, flux_scales=(1.0, 1.0), log_transfers=None
) -> tuple[np.ndarray, np.ndarray]:
    """(k_N, k_R) in Fourier space, eq. 13: k_N = F_R P_R / Delta, k_R = F_N P_N / Delta.

    With ``log_transfers = (l_N, l_R)`` (see gaussian_log_transfer) the kernel guard replaces
    them where |P_N| or |P_R| < 1e-13 by the Gaussian-equivalent model
    k_N = F_R q_R / sqrt(a_N q_R^2 + a_R q_N^2), k_R = F_N q_N / sqrt(same).
    """
    f_n, f_r = flux_scales
    delta = np.sqrt(_delta_squared(psf_hat_n, psf_hat_r, noise_weights, flux_scales))
    k_hat_n = _divide(f_r * psf_hat_r, delta)
    k_hat_r = _divide(f_n * psf_hat_n, delta)
    if log_transfers is not None:
        guarded = (np.abs(psf_hat_n) < _KERNEL_GUARD_TAU) | (np.abs(psf_hat_r) < _KERNEL_GUARD_TAU)
        l_n, l_r = log_transfers
        top = np.maximum(l_n, l_r)
        q_n, q_r = np.exp(l_n - top), np.exp(l_r - top)  # one of them is 1: never 0 / 0
        a_n, a_r = _weights(noise_weights, flux_scales)
        model_delta = np.sqrt(a_n * q_r**2 + a_r * q_n**2)
        k_hat_n = np.where(guarded, f_r * q_r / model_delta, k_hat_n)
        k_hat_r = np.where(guarded, f_n * q_n / model_delta, k_hat_r)
    return k_hat_n, k_hat_r


def flux_zero_point(noise_weights, flux_scales=(1.0, 1.0)) -> float:
    """F_D = F_N F_R / sqrt(a_N + a_R), eq. 15 (0 if the denominator is 0)."""
    a_n, a_r = _weights(noise_weights, flux_scales)
    f_n, f_r = flux_scales
    denominator = math.sqrt(a_n + a_r)
    return f_n * f_r / denominator if denominator != 0 else 0.0


def difference_psf_hat(psf_hat_n, psf_hat_r, noise_weights, flux_scales=(1.0, 1.0)):
    """P_D = sqrt(a_N + a_R) P_N P_R / Delta, eq. 14."""
    a_n, a_r = _weights(noise_weights, flux_scales)
    delta = np.sqrt(_delta_squared(psf_hat_n, psf_hat_r, noise_weights, flux_scales))
    return _divide(math.sqrt(a_n + a_r) * (psf_hat_n * psf_hat_r), delta)


def score_kernels(psf_hat_n, psf_hat_r, noise_weights, flux_scales=(1.0, 1.0)):
    """(kappa_N, kappa_R), eq. 12: kappa_N = F_N F_R^2 conj(P_N) |P_R|^2 / Delta^2, and N <-> R."""
    f_n, f_r = flux_scales
    delta2 = _delta_squared(psf_hat_n, psf_hat_r, noise_weights, flux_scales)
    kappa_hat_n = _divide((f_n * f_r**2) * np.conj(psf_hat_n) * _abs2(psf_hat_r), delta2)
    kappa_hat_r = _divide((f_r * f_n**2) * np.conj(psf_hat_r) * _abs2(psf_hat_n), delta2)
    return kappa_hat_n, kappa_hat_r


def score_normalization(psf_hat_n, psf_hat_r, noise_weights, flux_scales=(1.0, 1.0)) -> float:
    """F_S = (1 / (Hp Wp)) sum_f F_N^2 F_R^2 |P_N|^2 |P_R|^2 / Delta^2 (PSF photometry)."""
    f_n, f_r = flux_scales
    delta2 = _delta_squared(psf_hat_n, psf_hat_r, noise_weights, flux_scales)
    terms = _divide((f_n**2 * f_r**2) * (_abs2(psf_hat_n) * _abs2(psf_hat_r)), delta2)
    return float(terms.sum() / terms.size)


def _apply(kernel_hat: np.ndarray, image_hat: np.ndarray) -> np.ndarray:
    return kernel_hat * image_hat


def _convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Circular convolution on the padded grid."""
    return np.fft.ifft2(np.fft.fft2(a) * np.fft.fft2(b)).real


def _propagated_variance(kernel_hats, padded_variances) -> np.ndarray:
    """V = k_N^2 (*) V_N + k_R^2 (*) V_R with real-space kernels squared pixel-wise."""
    (k_hat_n, k_hat_r), (v_n, v_r) = kernel_hats, padded_variances
    return _convolve(np.fft.ifft2(k_hat_n).real ** 2, v_n) + _convolve(
        np.fft.ifft2(k_hat_r).real ** 2, v_r
    )


# ---------------------------------------------------------------------------------------------
# The subtraction
# ---------------------------------------------------------------------------------------------


def _prepare_side(image, mask, variance, psf, seed, padding, border, padded_shape, role):
    """Everything one input contributes: bad pixels, sigma^2, m, digest, padded planes."""
    bad = _bad_pixels(image, mask, f"{role}_mask")
    good = ~bad
    variance = _checked_variance(variance, image, good, f"{role}_variance")
    noise_weight = _noise_weight(image, good, variance)
    fill_mean = _fill_mean(image, good)
    image_digest = digest(image, variance)
    padded, padded_variance = _pad_image(
        image,
        bad,
        variance,
        noise_weight,
        fill_mean,
        image_key(seed, image_digest),
        border,
        padded_shape,
        padding,
    )
    return {
        "bad": bad,
        "noise_weight": noise_weight,
        "fill_mean": fill_mean,
        "digest": image_digest,
        "padded": padded,
        "padded_variance": padded_variance,
        "psf_hat": psf_transform(psf, padded_shape),
        "moments": psf_moments(psf),
    }


def subtract(
    science,
    reference,
    science_psf,
    reference_psf,
    *,
    science_variance=None,
    reference_variance=None,
    science_mask=None,
    reference_mask=None,
    seed=0,
    padding="noise",
    border=None,
    fft_size="smooth",
    flux_scales=(1.0, 1.0),
    kernel_guard=True,
) -> dict:
    """ZOGY difference (science - reference), score and PSF photometry per docs/algorithm.md.

    Returns a dict with difference, difference_variance, psf, flux_zero_point, score,
    score_variance, scorr, flux, flux_err, mask (uint8: 1 science bad, 2 reference bad),
    padded_shape, border, keys (the two image digests, science first), noise_weights
    (sigma_N^2, sigma_R^2) and fill_means.
    """
    science = _as_image(science, "science")
    reference = _as_image(reference, "reference")
    if science.shape != reference.shape:
        raise ValueError(f"science {science.shape} and reference {reference.shape} differ")
    seed = int(seed)
    if not 0 <= seed <= _U64:
        raise ValueError("seed must be in [0, 2**64)")
    f_n, f_r = (float(f) for f in flux_scales)
    flux_scales = (f_n, f_r)
    shape = science.shape
    psf_n = normalize_psf(science_psf, shape, "science_psf")
    psf_r = normalize_psf(reference_psf, shape, "reference_psf")
    by, bx = _border_pair(border, (psf_n, psf_r))
    padded_shape = (
        fft_length(shape[0] + 2 * by, fft_size),
        fft_length(shape[1] + 2 * bx, fft_size),
    )

    sides = [
        _prepare_side(img, msk, var, psf, seed, padding, (by, bx), padded_shape, role)
        for img, msk, var, psf, role in (
            (science, science_mask, science_variance, psf_n, "science"),
            (reference, reference_mask, reference_variance, psf_r, "reference"),
        )
    ]
    sci, ref = sides
    noise_weights = (sci["noise_weight"], ref["noise_weight"])
    p_hat_n, p_hat_r = sci["psf_hat"], ref["psf_hat"]
    image_hat_n, image_hat_r = np.fft.fft2(sci["padded"]), np.fft.fft2(ref["padded"])
    padded_variances = (sci["padded_variance"], ref["padded_variance"])

    # Difference image, eq. 13, with its zero point (eq. 15) and PSF (eq. 14).
    log_transfers = None
    if kernel_guard:
        log_transfers = (
            gaussian_log_transfer(sci["moments"], padded_shape),
            gaussian_log_transfer(ref["moments"], padded_shape),
        )
    k_hats = difference_kernels(p_hat_n, p_hat_r, noise_weights, flux_scales, log_transfers)
    d = np.fft.ifft2(_apply(k_hats[0], image_hat_n) - _apply(k_hats[1], image_hat_r)).real
    v_d = _propagated_variance(k_hats, padded_variances)
    f_d = flux_zero_point(noise_weights, flux_scales)
    psf_d = _crop_centred(
        np.fft.ifft2(difference_psf_hat(p_hat_n, p_hat_r, noise_weights, flux_scales)).real,
        psf_n.shape,
    )
    psf_d = psf_d / psf_d.sum()

    # Score image, eq. 12, its variance and PSF photometry.
    kappa_hats = score_kernels(p_hat_n, p_hat_r, noise_weights, flux_scales)
    s = np.fft.ifft2(_apply(kappa_hats[0], image_hat_n) - _apply(kappa_hats[1], image_hat_r)).real
    v_s = _propagated_variance(kappa_hats, padded_variances)
    f_s = score_normalization(p_hat_n, p_hat_r, noise_weights, flux_scales)

    # Crop to the inner box; NaN (scorr 0) at bad pixels.
    inner = (slice(by, by + shape[0]), slice(bx, bx + shape[1]))
    mask = (sci["bad"] * MASK_SCIENCE + ref["bad"] * MASK_REFERENCE).astype(np.uint8)
    bad = mask != 0
    d, v_d, s, v_s = d[inner], v_d[inner], s[inner], v_s[inner]
    positive = (v_s > 0) & ~bad
    scorr = np.zeros(shape)
    scorr[positive] = s[positive] / np.sqrt(v_s[positive])

    def masked(values: np.ndarray) -> np.ndarray:
        return np.where(bad, np.nan, values)

    return {
        "difference": masked(d / f_d if f_d != 0 else np.zeros(shape)),
        "difference_variance": masked(v_d / f_d**2 if f_d != 0 else np.zeros(shape)),
        "psf": psf_d,
        "flux_zero_point": f_d,
        "score": masked(s),
        "score_variance": masked(v_s),
        "scorr": scorr,
        "flux": masked(s / f_s if f_s != 0 else np.zeros(shape)),
        # No error estimate where V_S <= 0 (round-off): NaN, as in docs/algorithm.md.
        "flux_err": masked(np.sqrt(np.where(v_s > 0, v_s, np.nan)) / f_s
                           if f_s != 0 else np.zeros(shape)),
        "mask": mask,
        "padded_shape": padded_shape,
        "border": (by, bx),
        "keys": (sci["digest"], ref["digest"]),
        "noise_weights": noise_weights,
        "fill_means": (sci["fill_mean"], ref["fill_mean"]),
    }
