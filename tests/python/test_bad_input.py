"""The bad-input matrix: each case raises the exact exception type with a message that starts
with the argument's name; the accepted unusual layouts give the same bits as native arrays."""

from __future__ import annotations

import numpy as np
import pytest

import zogy
from scenarios import digest_of
from zogy.simulate import gaussian_psf

SHAPE = (40, 50)


@pytest.fixture
def good():
    g = np.random.default_rng(1)
    return dict(
        science=g.normal(0, 1, SHAPE), reference=g.normal(0, 1, SHAPE),
        science_psf=gaussian_psf((9, 9), 1.5), reference_psf=gaussian_psf((9, 9), 1.2),
    )  # fmt: skip


POSITIONAL = ("science", "reference", "science_psf", "reference_psf")


def _call(good, **changes):
    args = {**good, **{k: v for k, v in changes.items() if k in POSITIONAL}}
    kwargs = {k: v for k, v in changes.items() if k not in POSITIONAL}
    return zogy.subtract(*(args[k] for k in POSITIONAL), **kwargs)


def _plane(value, at=(3, 3), base=1.0):
    plane = np.full(SHAPE, base)
    plane[at] = value
    return plane


def _nan_psf():
    psf = gaussian_psf((9, 9), 1.5)
    psf[4, 4] = np.nan
    return psf


def _all_masked():
    return np.ones(SHAPE, bool)


INVALID = zogy.InvalidArgument
CASES = [
    # (id, argument, value factory, exception type)
    ("1-D image", "science", lambda: np.zeros(50), INVALID),
    ("3-D image", "science", lambda: np.zeros((2, *SHAPE)), INVALID),
    ("1-D reference", "reference", lambda: np.zeros(50), INVALID),
    ("empty image", "science", lambda: np.zeros((0, 50)), INVALID),
    ("shape mismatch", "reference", lambda: np.zeros((40, 51)), INVALID),
    ("PSF larger than image", "science_psf", lambda: np.ones((41, 9)), INVALID),
    ("PSF all zero", "reference_psf", lambda: np.zeros((5, 5)), INVALID),
    ("PSF negative sum", "reference_psf", lambda: -gaussian_psf((5, 5), 1.0), INVALID),
    ("PSF with NaN", "science_psf", _nan_psf, INVALID),
    ("PSF 1-D", "science_psf", lambda: np.ones(9), INVALID),
    ("variance plane NaN", "science_variance", lambda: _plane(np.nan), INVALID),
    ("variance plane negative", "reference_variance", lambda: _plane(-1.0), INVALID),
    ("variance plane zero", "science_variance", lambda: _plane(0.0), INVALID),
    ("variance plane wrong shape", "science_variance", lambda: np.ones((40, 49)), INVALID),
    ("variance scalar negative", "science_variance", lambda: -1.0, INVALID),
    ("variance scalar NaN", "reference_variance", lambda: np.nan, INVALID),
    ("all-NaN image", "science", lambda: np.full(SHAPE, np.nan), INVALID),
    ("fully masked image", "reference_mask", _all_masked, INVALID),
    ("complex image", "science", lambda: np.zeros(SHAPE, complex), TypeError),
    ("complex PSF", "science_psf", lambda: gaussian_psf((5, 5), 1.0) + 0j, TypeError),
    ("boolean image", "reference", lambda: np.zeros(SHAPE, bool), TypeError),
    ("string image", "science", lambda: np.full(SHAPE, "x"), TypeError),
    ("mask wrong shape", "science_mask", lambda: np.zeros((4, 5), bool), INVALID),
    ("mask float dtype", "science_mask", lambda: np.zeros(SHAPE), TypeError),
    ("flux scale zero", "flux_scales", lambda: (1.0, 0.0), INVALID),
    ("flux scale negative", "flux_scales", lambda: (-2.0, 1.0), INVALID),
    ("unknown padding mode", "padding", lambda: "mirror", INVALID),
    ("unknown fft size", "fft_size", lambda: "prime", INVALID),
    ("negative border", "border", lambda: -3, INVALID),
    ("huge border", "border", lambda: 2**21, INVALID),
    ("seed too large", "seed", lambda: 2**64, INVALID),
    ("seed negative", "seed", lambda: -1, INVALID),
    ("seed float", "seed", lambda: 1.5, TypeError),
    ("threads zero", "threads", lambda: 0, INVALID),
    ("edge width negative", "edge_width", lambda: -1, INVALID),
    ("grid a string", "grid", lambda: "no", TypeError),  # used to run the grid mode
    ("grid an integer", "grid", lambda: 1, TypeError),
    ("ragged image", "science", lambda: [[1.0, 2.0], [3.0]], INVALID),  # numpy's words only
    ("ragged PSF", "reference_psf", lambda: [[0.1, 0.2, 0.1], [0.2, 0.4]], INVALID),
    ("ragged variance", "science_variance", lambda: [[1.0] * 50] * 39 + [[1.0]], INVALID),
    ("ragged mask", "science_mask", lambda: [[0] * 50] * 39 + [[0]], INVALID),
]


@pytest.mark.parametrize(("argument", "make", "error"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_input(good, argument, make, error):
    with pytest.raises(Exception) as info:
        _call(good, **{argument: make()})
    assert info.type is error, f"{info.type.__name__}: {info.value}"
    message = str(info.value)
    named = argument.replace("_mask", "") if argument.endswith("_mask") else argument
    assert message.startswith(named), message


def test_huge_images_fail_before_allocating():
    """A pair too large for the machine is refused from its shape alone: the zero-stride
    arrays below would need terabytes if anything tried to copy them."""
    huge = np.broadcast_to(np.float64(1.0), (400_000, 400_000))
    psf = gaussian_psf((5, 5), 1.0)
    with pytest.raises(zogy.InvalidArgument, match=r"^science: .* GiB"):
        zogy.subtract(huge, huge, psf, psf)


def test_even_sized_psf_is_accepted_with_the_documented_centre(good):
    """An even stamp is centred at (h // 2, w // 2): a 9x9 stamp (centre 4, 4) with a zero row
    and column added in front has its centre at (5, 5) = (10 // 2, 10 // 2), so every output
    is unchanged."""
    even = np.zeros((10, 10))
    even[1:, 1:] = gaussian_psf((9, 9), 1.5)
    odd = _call(good, seed=2)
    shifted = _call(good, science_psf=even, seed=2, border=(9, 9))
    same_border = _call(good, seed=2, border=(9, 9))
    assert np.array_equal(shifted.difference, same_border.difference)
    assert odd.psf.shape == (9, 9) and shifted.psf.shape == (10, 10)


def test_unusual_layouts_give_the_same_bits(good):
    base = _call(good, seed=1)
    as_int = np.round(good["science"] * 1000).astype(np.int32)
    ints = _call(good, science=as_int, seed=1)
    floats = _call(good, science=as_int.astype(float), seed=1)
    assert digest_of(ints) == digest_of(floats)
    big = good["science"].astype(">f8")
    assert digest_of(_call(good, science=big, seed=1)) == digest_of(base)
    strided = np.zeros((40, 100))
    strided[:, ::2] = good["science"]
    assert digest_of(_call(good, science=strided[:, ::2], seed=1)) == digest_of(base)
    fortran = np.asfortranarray(good["science"])
    assert digest_of(_call(good, science=fortran, seed=1)) == digest_of(base)
    readonly = good["science"].copy()
    readonly.setflags(write=False)
    assert digest_of(_call(good, science=readonly, seed=1)) == digest_of(base)
    as_float32 = _call(good, science=good["science"].astype(np.float32), seed=1)
    exact32 = _call(good, science=good["science"].astype(np.float32).astype(float), seed=1)
    assert digest_of(as_float32) == digest_of(exact32)


MORE = [
    ("border near 2**63 (overflow)", "border", lambda: (2**63 - 1, 2), INVALID),
    ("threads huge", "threads", lambda: 2**31, INVALID),
    ("threads float", "threads", lambda: 2.0, TypeError),
    ("masked array image", "science", lambda: np.ma.masked_array(np.ones(SHAPE)), TypeError),
    ("variance as string", "science_variance", lambda: "2", TypeError),
    ("variance as bool", "reference_variance", lambda: True, TypeError),
    ("kernel_guard not a bool", "kernel_guard", lambda: "no", TypeError),
    ("overflowing pixels", "science", lambda: np.full(SHAPE, 1e307), INVALID),
]


@pytest.mark.parametrize(("argument", "make", "error"), [c[1:] for c in MORE],
                         ids=[c[0] for c in MORE])  # fmt: skip
def test_more_bad_input(good, argument, make, error):
    test_bad_input(good, argument, make, error)


def test_overflowing_variance_scale_is_refused(good):
    # The subtraction itself runs on the image scaled near unit noise (issue 12), but its noise
    # variance, 1e320, cannot be reported: a NumericalError naming the image, before the work.
    with pytest.raises(zogy.NumericalError, match="^science: .*cannot be represented"):
        _call(good, science=good["science"] * 1e160)


@pytest.mark.parametrize("radius", [2.5, True, -1, 2**40])
def test_metric1_radius_is_checked(radius):
    with pytest.raises((TypeError, ValueError), match="^radius"):
        zogy.metric1(np.ones((5, 5)), [1], [1], radius=radius)


@pytest.mark.parametrize("centre", [1.0, -1.0 + 1e-12])
def test_psf_whose_sum_nearly_cancels_is_named(good, centre):
    """Sum 1e-12: normalising makes the values enormous (with positive wings the moments too,
    which used to surface as an error about the border)."""
    psf = np.zeros((9, 9))
    psf[4, 4] = centre
    psf[0, 0] = 1e-12 - centre
    with pytest.raises(zogy.InvalidArgument, match="^science_psf: .*nearly cancel"):
        _call(good, science_psf=psf)


@pytest.mark.parametrize(("n", "error"), [(2.5, TypeError), ("3", TypeError), (True, TypeError),
                                          (-1, INVALID), (2**63, INVALID)])  # fmt: skip
def test_rng_lengths_are_checked(n, error):
    # 2.5 and "3" were taken as 2 and 3; 2**63 gave numpy's "negative dimensions".
    for draw in (zogy.rng.raw, zogy.rng.normal):
        with pytest.raises(Exception) as info:
            draw(1, 0, n)
        assert info.type is error, f"{info.type.__name__}: {info.value}"
        assert str(info.value).startswith("n:")
