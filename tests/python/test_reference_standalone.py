"""Tests of zogy.reference on its own (NumPy only; no compiled core needed).

The module is loaded from its file so that these tests run before the package is built.
"""

import importlib.util
import math
import pathlib
import struct

import numpy as np
import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "python" / "zogy" / "reference.py"
_SPEC = importlib.util.spec_from_file_location("zogy_reference_standalone", _PATH)
ref = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ref)

U64 = (1 << 64) - 1


def words(*hex_words):
    return np.array([int(w, 16) for w in hex_words], dtype=np.uint64)


def gaussian_stamp(sigma, size=None, sigma_y=None):
    sigma_y = sigma if sigma_y is None else sigma_y
    size = size or 2 * int(math.ceil(6 * max(sigma, sigma_y))) + 1  # truncation ringing < 1e-7
    d = np.arange(size) - size // 2
    stamp = np.exp(-0.5 * ((d[None, :] / sigma) ** 2 + (d[:, None] / sigma_y) ** 2))
    return stamp / stamp.sum()


def place(image, stamp, y, x, amplitude):
    h, w = stamp.shape
    image[y - h // 2 : y - h // 2 + h, x - w // 2 : x - w // 2 + w] += amplitude * stamp


# ---------------------------------------------------------------------------------------------
# Philox
# ---------------------------------------------------------------------------------------------

KAT = [  # Random123 kat_vectors, philox4x64 10 rounds: counter, key, expected block
    (
        ("0", "0", "0", "0"),
        ("0", "0"),
        ("16554d9eca36314c", "db20fe9d672d0fdc", "d7e772cee186176b", "7e68b68aec7ba23b"),
    ),
    (
        ("ffffffffffffffff",) * 4,
        ("ffffffffffffffff",) * 2,
        ("87b092c3013fe90b", "438c3c67be8d0224", "9cc7d7c69cd777b6", "a09caebf594f0ba0"),
    ),
    (
        ("243f6a8885a308d3", "13198a2e03707344", "a4093822299f31d0", "082efa98ec4e6c89"),
        ("452821e638d01377", "be5466cf34e90c6c"),
        ("a528f45403e61d95", "38c72dbd566e9788", "a5a1610e72fd18b5", "57bd43b5e52b7fe6"),
    ),
]


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_philox_known_answers(counter, key, expected):
    key_words = tuple(int(k, 16) for k in key)
    block = ref.philox4x64(key_words, words(*counter)[None, :])
    np.testing.assert_array_equal(block[0], words(*expected))
    # The same block through numpy's convention (counter - 1) and the 128-bit int key.
    k = key_words[0] + (key_words[1] << 64)
    c = sum(int(w, 16) << (64 * i) for i, w in enumerate(counter))
    np.testing.assert_array_equal(ref.raw_numpy(k, (c - 1) % (1 << 256), 4), words(*expected))


def test_philox_vectorised_matches_rowwise():
    rng = np.random.default_rng(1)
    counters = rng.integers(0, 2**64, size=(50, 4), dtype=np.uint64)
    key = (int(rng.integers(0, 2**64, dtype=np.uint64)), 12345)
    blocks = ref.philox4x64(key, counters)
    for i in (0, 17, 49):
        np.testing.assert_array_equal(blocks[i], ref.philox4x64(key, counters[i : i + 1])[0])


def _random_int(rng, bits):
    return int.from_bytes(rng.bytes(bits // 8), "little")


COUNTER_EDGES = [
    0,
    U64,  # word 0 wraps into word 1 on the first block
    U64 - 2,  # wraps in the middle of the stream
    (1 << 128) - 1,
    (1 << 256) - 1,  # the whole counter wraps to 0
    (1 << 256) - 3,
]


@pytest.mark.parametrize("case", range(12))
def test_raw_stream_equals_numpy_philox(case):
    rng = np.random.default_rng(100 + case)
    key = _random_int(rng, 128)
    counter = COUNTER_EDGES[case] if case < len(COUNTER_EDGES) else _random_int(rng, 256)
    n = 23  # not a multiple of 4: the last block is used partially
    expected = np.random.Philox(key=key, counter=counter).random_raw(n)
    np.testing.assert_array_equal(ref.raw_numpy(key, counter, n), expected)


def test_key_forms_agree():
    k0, k1 = 0x0123456789ABCDEF, 0xFEDCBA9876543210
    assert ref.split_key(k0 + (k1 << 64)) == (k0, k1)
    np.testing.assert_array_equal(
        ref.raw_numpy((k0, k1), 5, 8), ref.raw_numpy(k0 + (k1 << 64), 5, 8)
    )
    assert ref.image_key(7, k1) == 7 + (k1 << 64)


def test_increment_carries_through_all_words():
    c = np.array([[U64, U64, 5, 0], [U64, U64, U64, U64], [3, 0, 0, 0]], dtype=np.uint64)
    out = ref.increment_counters(c)
    np.testing.assert_array_equal(
        out, np.array([[0, 0, 6, 0], [0, 0, 0, 0], [4, 0, 0, 0]], dtype=np.uint64)
    )


# ---------------------------------------------------------------------------------------------
# Normal deviates
# ---------------------------------------------------------------------------------------------


def test_log_basic_matches_math_log():
    rng = np.random.default_rng(2)
    u = np.concatenate(
        [
            ref.uniform53(rng.integers(0, 2**64, 20000, dtype=np.uint64)),
            [2.0**-54, 2.0**-53 * 1.5, 0.5, 1 - 2.0**-53, math.sqrt(0.5), 0.70710678118654757],
            10.0 ** rng.uniform(-300, 300, 2000),
        ]
    )
    expected = np.array([math.log(v) for v in u])
    got = ref.log_basic(u)
    scale = np.maximum(np.abs(expected), 1e-300)
    assert np.max(np.abs(got - expected) / scale) < 1e-14


def test_cos_two_pi_basic_matches_math_cos():
    rng = np.random.default_rng(3)
    u = np.concatenate([rng.random(20000), np.arange(0, 1.001, 0.125), rng.uniform(-50, 50, 2000)])
    # math.cos(2 pi u) itself is only accurate to ~|2 pi u| ulp in absolute terms.
    expected = np.array([math.cos(2 * math.pi * (v - math.floor(v))) for v in u])
    assert np.max(np.abs(ref.cos_two_pi_basic(u) - expected)) < 1e-14
    np.testing.assert_array_equal(ref.cos_two_pi_basic([0.0, 0.5]), [1.0, -1.0])


def test_normal_from_words_matches_libm_formula():
    rng = np.random.default_rng(4)
    w0, w1 = rng.integers(0, 2**64, (2, 10000), dtype=np.uint64)
    z = ref.normal_from_words(w0, w1)
    u1 = (np.array([int(w) >> 12 for w in w0], dtype=np.float64) + 0.5) * 2.0**-52
    u2 = (np.array([int(w) >> 12 for w in w1], dtype=np.float64) + 0.5) * 2.0**-52
    amplitude = np.array([math.sqrt(-2.0 * math.log(a)) for a in u1])
    expected = amplitude * np.array([math.cos(2.0 * math.pi * b) for b in u2])
    assert np.max(np.abs(z - expected) / amplitude) < 1e-14
    assert abs(z.mean()) < 0.05
    assert abs(z.var() - 1.0) < 0.07


def test_uniform53_open_interval():
    u = ref.uniform53(np.array([0, U64], dtype=np.uint64))
    assert u[0] == 2.0**-53  # never 0: log is always finite
    assert u[1] == 1.0 - 2.0**-53  # never 1 either
    assert (2**52 - 1 + 0.5) * 2.0**-52 < 1.0


def test_normal_uses_block_at_counter_plus_one():
    key = (1 << 64) * 987654321 + 42
    for counter in (0, U64, 12345678901234567890123):
        z = ref.normal(key, counter, 5)
        for i in range(5):
            raw = np.random.Philox(key=key, counter=counter + i).random_raw(2)
            assert z[i] == ref.normal_from_words(raw[0:1], raw[1:2])[0]


def test_normal_statistics():
    z = ref.normal(2024, 0, 100000)
    assert abs(z.mean()) < 0.02
    assert abs(z.std() - 1.0) < 0.01
    assert abs(np.mean(z**3)) < 0.05
    assert abs(np.mean(z**4) - 3.0) < 0.1


def test_padding_noise_counter_layout_and_negative_coordinates():
    key = 0xDEADBEEF + (0x1234 << 64)
    ys = np.array([0, 3, 0, -1, -1, 5, -7])
    xs = np.array([0, 0, -1, -1, 2, -3, 9])
    z = ref.padding_noise(key, ys, xs)
    for y, x, value in zip(ys, xs, z):
        counter = (int(x) % 2**64) + 2**64 * (int(y) % 2**64)
        raw = np.random.Philox(key=key, counter=counter).random_raw(2)
        assert value == ref.normal_from_words(raw[0:1], raw[1:2])[0]
    grid = ref.padding_noise(key, np.arange(-2, 3)[:, None], np.arange(-3, 4)[None, :])
    assert grid.shape == (5, 7)
    assert grid[2, 3] == z[0]


# ---------------------------------------------------------------------------------------------
# Digest
# ---------------------------------------------------------------------------------------------


def _bits(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def _splitmix(z):
    z = (z + 0x9E3779B97F4A7C15) % 2**64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    return z ^ (z >> 31)


def _chain(words, h=0x243F6A8885A308D3):
    for w in words:
        h = _splitmix(h ^ w)
    return h


def _lanes(h, words):
    """docs/algorithm.md's absorb(), written out for up to 8 words: lane j takes words j, j+4."""
    lanes = []
    for j in range(4):
        lane = _splitmix(h ^ j)
        for w in words[j::4]:
            lane = _splitmix(lane ^ w)
        lanes.append(lane)
    return _chain(lanes, h)


def test_digest_definition_on_tiny_image():
    image = np.array([[1.5, -2.0, 3.0], [0.0, 7.25, -1.0]])  # 6 words: two lanes get two
    pixels = [_bits(v) for v in (1.5, -2.0, 3.0, 0.0, 7.25, -1.0)]
    after_pixels = _lanes(_chain([2, 3]), pixels)
    assert ref.digest(image) == _chain([0], after_pixels)
    assert ref.digest(image, 0.3) == _lanes(_chain([1], after_pixels), [_bits(0.3)] * 6)
    plane = np.array([[1.0, 2.0, 0.5], [np.nan, 4.0, 8.0]])
    plane_words = [_bits(1.0), _bits(2.0), _bits(0.5), 0x7FF8000000000000, _bits(4.0), _bits(8.0)]
    assert ref.digest(image, plane) == _lanes(_chain([1], after_pixels), plane_words)


def test_digest_sensitivity_and_canonical_forms():
    rng = np.random.default_rng(5)
    image = rng.normal(size=(6, 5))
    base = ref.digest(image, 1.0)
    changed = image.copy()
    changed[3, 2] = np.nextafter(changed[3, 2], np.inf)
    assert ref.digest(changed, 1.0) != base
    assert ref.digest(image.reshape(5, 6), 1.0) != base
    assert ref.digest(image, np.nextafter(1.0, 2.0)) != base
    assert ref.digest(image) != base  # no variance is not the same as any variance
    assert ref.digest(image, np.ones((6, 5))) == base  # a scalar is its constant plane
    variance = np.ones((6, 5))
    variance[4, 4] = 1.5
    assert ref.digest(image, variance) != base
    assert ref.digest(image.astype(">f8"), 1.0) == base
    assert ref.digest(np.asfortranarray(image), 1.0) == base
    # Every NaN hashes alike; integers hash as their float64 conversion.
    a, b = image.copy(), image.copy()
    a[0, 0] = np.nan
    b[0, 0] = np.frombuffer(struct.pack("<Q", 0xFFF0000000000123), dtype=np.float64)[0]
    assert ref.digest(a, 1.0) == ref.digest(b, 1.0)
    ints = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert ref.digest(ints, 2.0) == ref.digest(ints.astype(np.float64), 2.0)
    with pytest.raises(TypeError):
        ref.digest(np.zeros((2, 2), dtype=bool), 1.0)


def test_subtract_keys_are_input_digests():
    science, reference, psf_n, psf_r = _scene(seed=15, shape=(34, 30))
    out = ref.subtract(science, reference, psf_n, psf_r, reference_variance=4.0)
    assert out["keys"] == (ref.digest(science), ref.digest(reference, 4.0))


# ---------------------------------------------------------------------------------------------
# Statistics and geometry
# ---------------------------------------------------------------------------------------------


def test_clipped_stats_and_mad():
    rng = np.random.default_rng(6)
    values = rng.normal(10.0, 2.0, 5000)
    values[:20] = 1e6
    mean, std = ref._clipped_stats(values)
    assert abs(mean - 10.0) < 0.1 and abs(std - 2.0) < 0.1
    constant_mean, constant_std = ref._clipped_stats(np.full(7, 0.1))
    assert abs(constant_mean - 0.1) < 1e-16 and constant_std < 1e-16
    assert ref._median(np.array([4.0, 1.0, 3.0, 2.0])) == 2.5
    assert abs(ref._mad_sigma(values) - 2.0) < 0.1
    # MAD 0 (most pixels equal) falls back to the clipped std; all equal is an error.
    mostly_flat = np.concatenate([np.zeros(10), [1.0, -1.0]])
    assert ref._mad_sigma(mostly_flat) == ref._clipped_stats(mostly_flat)[1] > 0
    with pytest.raises(ValueError):
        ref._mad_sigma(np.zeros(10))


def test_sums_are_sequential_in_row_major_order():
    # The noise weight's bits feed the digest: the summation order is part of the convention.
    values = np.random.default_rng(14).lognormal(0.0, 3.0, (37, 29))
    total = 0.0
    for v in values.ravel().tolist():
        total += v
    assert ref._sequential_sum(values) == total
    assert ref._sequential_sum(np.asfortranarray(values)) == total
    n = values.size
    mean = total / n
    squares = 0.0
    for v in values.ravel().tolist():
        squares += (v - mean) * (v - mean)
    assert ref._mean_std(values.ravel()) == (mean, math.sqrt(squares / n))


def test_geometry():
    assert [ref.fft_length(n) for n in (1, 11, 13, 97, 121, 127)] == [1, 12, 14, 98, 125, 128]
    assert [ref.fft_length(n, "pow2") for n in (1, 5, 64, 65)] == [1, 8, 64, 128]
    stamp = ref.normalize_psf(gaussian_stamp(2.0, size=25) * 3.0)
    assert abs(stamp.sum() - 1.0) < 1e-15
    mxx, myy = ref.psf_moments(ref.normalize_psf(gaussian_stamp(2.0, 41, sigma_y=3.0)))
    assert abs(mxx - 4.0) < 1e-6 and abs(myy - 9.0) < 1e-6
    stamps = [gaussian_stamp(2.0, size=25), gaussian_stamp(1.0, size=9)]
    assert ref.default_border(stamps) == (25, 25)
    assert ref.default_border([gaussian_stamp(3.0, size=25)]) == (30, 30)  # 10 sigma = 29.99
    with pytest.raises(ValueError):
        ref.normalize_psf(np.zeros((3, 3)))
    with pytest.raises(ValueError):
        ref.normalize_psf(np.ones((9, 9)), (8, 8))


def test_psf_transform_centre_at_origin():
    stamp = ref.normalize_psf(gaussian_stamp(1.5, size=11, sigma_y=2.5))
    p_hat = ref.psf_transform(stamp, (32, 30))
    # A symmetric stamp centred at [0, 0] has a real transform.
    assert np.max(np.abs(p_hat.imag)) < 1e-14
    assert abs(p_hat[0, 0] - 1.0) < 1e-15
    back = ref._crop_centred(np.fft.ifft2(p_hat).real, stamp.shape)
    np.testing.assert_allclose(back, stamp, atol=1e-16)


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("guard", [True, False])
@pytest.mark.parametrize("flux_scales", [(1.0, 1.0), (1.3, 0.7)])
def test_difference_noise_is_white_with_unit_variance(guard, flux_scales):
    shape = (96, 90)
    psf_n = ref.normalize_psf(gaussian_stamp(3.3, size=41))
    psf_r = ref.normalize_psf(gaussian_stamp(2.0, size=41, sigma_y=2.4))
    p_hat_n, p_hat_r = ref.psf_transform(psf_n, shape), ref.psf_transform(psf_r, shape)
    noise_weights = (2.5, 0.8)
    log_transfers = None
    if guard:
        assert np.any(np.abs(p_hat_n) < 1e-13)  # the guard is exercised
        log_transfers = (
            ref.gaussian_log_transfer(ref.psf_moments(psf_n), shape),
            ref.gaussian_log_transfer(ref.psf_moments(psf_r), shape),
        )
    k_n, k_r = ref.difference_kernels(p_hat_n, p_hat_r, noise_weights, flux_scales, log_transfers)
    total = noise_weights[0] * np.abs(k_n) ** 2 + noise_weights[1] * np.abs(k_r) ** 2
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)


def test_identical_psfs_give_psf_back_and_no_guard_division():
    shape = (64, 64)
    psf = ref.normalize_psf(gaussian_stamp(2.0))
    p_hat = ref.psf_transform(psf, shape)
    p_d_hat = ref.difference_psf_hat(p_hat, p_hat, (1.0, 3.0))
    p_d = ref._crop_centred(np.fft.ifft2(p_d_hat).real, psf.shape)
    np.testing.assert_allclose(p_d / p_d.sum(), psf, atol=1e-12)
    log_t = ref.gaussian_log_transfer(ref.psf_moments(psf), shape)
    k_n, k_r = ref.difference_kernels(p_hat, p_hat, (1.0, 3.0), (1.0, 1.0), (log_t, log_t))
    assert np.all(np.isfinite(k_n)) and np.all(np.isfinite(k_r))


# ---------------------------------------------------------------------------------------------
# The subtraction
# ---------------------------------------------------------------------------------------------


def _scene(seed=7, shape=(80, 72), backgrounds=(100.0, 50.0)):
    rng = np.random.default_rng(seed)
    psf_n = gaussian_stamp(2.2)
    psf_r = gaussian_stamp(1.6, sigma_y=1.9)
    science = backgrounds[0] + rng.normal(0.0, 1.0, shape)
    reference = backgrounds[1] + rng.normal(0.0, 2.0, shape)
    return science, reference, psf_n, psf_r


def test_source_free_difference_variance():
    science, reference, psf_n, psf_r = _scene()
    out = ref.subtract(science, reference, psf_n, psf_r)
    var_n, var_r = out["noise_weights"]
    assert abs(var_n - 1.0) < 0.1 and abs(var_r - 4.0) < 0.4
    assert abs(out["fill_means"][0] - 100.0) < 0.1 and abs(out["fill_means"][1] - 50.0) < 0.2
    # Constant variance planes: V_D / F_D^2 = sigma_N^2 + sigma_R^2 (Parseval on eq. 13).
    np.testing.assert_allclose(out["difference_variance"], var_n + var_r, rtol=1e-10)
    assert abs(np.var(out["difference"]) / 5.0 - 1.0) < 0.1
    # ZOGY leaves the background difference in D (unit response at zero frequency).
    assert abs(np.mean(out["difference"]) - 50.0) < 0.1
    assert abs(np.std(out["scorr"]) - 1.0) < 0.1
    assert out["mask"].dtype == np.uint8 and not out["mask"].any()
    assert out["border"] == (29, 29)  # the 29-px science stamp beats ceil(10 * 2.2)
    assert out["padded_shape"] == (140, 135)
    assert abs(out["psf"].sum() - 1.0) < 1e-12 and out["psf"].shape == psf_n.shape


def test_point_source_flux():
    science, reference, psf_n, psf_r = _scene(seed=8, backgrounds=(20.0, 20.0))
    amplitude = 400.0
    place(science, psf_n, 40, 30, amplitude)
    out = ref.subtract(science, reference, psf_n, psf_r)
    peak = np.unravel_index(np.argmax(out["scorr"]), out["scorr"].shape)
    assert peak == (40, 30)
    assert abs(out["flux"][40, 30] - amplitude) < 5 * out["flux_err"][40, 30]
    assert out["scorr"][40, 30] > 20


def test_antisymmetry_is_exact():
    science, reference, psf_n, psf_r = _scene(seed=9)
    science[5, 7] = np.nan
    mask_r = np.zeros(science.shape, dtype=np.uint8)
    mask_r[20:23, 40] = 1
    variance_r = np.full(science.shape, 4.0) + 0.1 * np.random.default_rng(0).random(science.shape)
    kwargs = dict(seed=11, flux_scales=(1.1, 0.9))
    a = ref.subtract(
        science, reference, psf_n, psf_r, science_variance=1.0, reference_mask=mask_r,
        reference_variance=variance_r, **kwargs,
    )
    b = ref.subtract(
        reference, science, psf_r, psf_n, reference_variance=1.0, science_mask=mask_r,
        science_variance=variance_r, flux_scales=(0.9, 1.1), seed=11,
    )
    for name in ("difference", "score", "scorr", "flux"):
        assert np.array_equal(a[name], -b[name], equal_nan=True), name
    for name in ("difference_variance", "score_variance", "flux_err"):
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    assert a["flux_zero_point"] == b["flux_zero_point"]
    assert a["keys"] == b["keys"][::-1]
    swap_bits = np.array([0, 2, 1, 3], dtype=np.uint8)
    np.testing.assert_array_equal(a["mask"], swap_bits[b["mask"]])
    assert a["mask"][5, 7] == 1 and a["mask"][21, 40] == 2
    assert np.isnan(a["difference"][5, 7]) and a["scorr"][21, 40] == 0.0


def test_padding_is_a_function_of_each_image_and_seed():
    science, reference, psf_n, psf_r = _scene(seed=10)
    a = ref.subtract(science, reference, psf_n, psf_r)
    again = ref.subtract(science, reference, psf_n, psf_r)
    assert np.array_equal(a["difference"], again["difference"])
    other_reference = ref.subtract(science, reference + 1e-3, psf_n, psf_r)
    assert other_reference["keys"][0] == a["keys"][0] != other_reference["keys"][1]
    reseeded = ref.subtract(science, reference, psf_n, psf_r, seed=1)
    delta = np.abs(reseeded["difference"] - a["difference"])
    assert np.max(delta) > 0.1  # the edge sees the padding...
    assert np.max(delta[20:-20, 20:-20]) < 1e-3 * math.sqrt(5.0)  # ...the interior hardly


@pytest.mark.parametrize("padding", ["noise", "constant", "zero"])
def test_padding_modes_and_options(padding):
    science, reference, psf_n, psf_r = _scene(seed=12, shape=(40, 44))
    out = ref.subtract(
        science, reference, psf_n, psf_r, padding=padding, border=(5, 9), fft_size="pow2"
    )
    assert out["padded_shape"] == (64, 64) and out["border"] == (5, 9)
    assert out["difference"].shape == (40, 44)
    assert np.all(np.isfinite(out["difference"]))


def test_input_checks():
    science, reference, psf_n, psf_r = _scene(seed=13, shape=(32, 32))
    with pytest.raises(TypeError):
        ref.subtract(science.astype(complex), reference, psf_n, psf_r)
    with pytest.raises(ValueError):
        ref.subtract(science, reference[:, :-1], psf_n, psf_r)
    with pytest.raises(ValueError):
        ref.subtract(science, reference, psf_n, psf_r, reference_variance=-1.0)
    with pytest.raises(ValueError):
        ref.subtract(science, reference, psf_n, psf_r, padding="mirror")
    out = ref.subtract(science.astype(np.float32), reference.astype(">f8"), psf_n, psf_r)
    assert out["difference"].dtype == np.float64
