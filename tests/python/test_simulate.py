"""Tests of zogy.simulate.

simulate.py is loaded straight from its file so that these tests run without
the compiled package.
"""

import dataclasses
import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "python" / "zogy" / "simulate.py"
_NAME = "_zogy_simulate_under_test"


def _load():
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module  # dataclasses look the module up while decorating
    spec.loader.exec_module(module)
    return module


sim = _load()
make_pair = sim.make_pair


def _arrays(pair):
    return {
        "science": pair.science,
        "reference": pair.reference,
        "science_psf": pair.science_psf,
        "reference_psf": pair.reference_psf,
        "science_variance": pair.science_variance,
        "reference_variance": pair.reference_variance,
        "catalog_x": pair.catalog["x"],
        "catalog_y": pair.catalog["y"],
        "catalog_flux": pair.catalog["flux"],
    }


# --------------------------------------------------------------------------
# Determinism and stream independence
# --------------------------------------------------------------------------

def test_same_seed_is_identical():
    a = make_pair(seed=18)
    b = make_pair(seed=18)
    for name, arr in _arrays(a).items():
        assert np.array_equal(arr, _arrays(b)[name]), name
    assert a.science_psf_sigma == b.science_psf_sigma
    assert a.params == b.params


def test_same_seed_is_identical_all_options():
    kw = dict(noise_kind="uniform", correlated_noise=True, backgrounds=(3.0, -1.0),
              transient=(100.3, 50.7, 400.0), science_psf_sigma=2.7, seed=2**64 - 1)
    a, b = make_pair(**kw), make_pair(**kw)
    for name, arr in _arrays(a).items():
        assert np.array_equal(arr, _arrays(b)[name]), name


def test_different_seed_differs():
    a = make_pair(seed=1)
    b = make_pair(seed=2)
    assert not np.array_equal(a.science, b.science)
    assert not np.array_equal(a.reference, b.reference)
    assert not np.array_equal(a.catalog["x"], b.catalog["x"])
    assert not np.array_equal(a.catalog["flux"], b.catalog["flux"])
    assert a.science_psf_sigma != b.science_psf_sigma


def test_options_do_not_redraw_unrelated_quantities():
    base = make_pair(seed=7, margin=20)
    # Noise levels and backgrounds: same sources, same unit noise fields.
    other = make_pair(seed=7, margin=20, noise=(2.0, 3.0), backgrounds=(1.0, 1.0))
    assert np.array_equal(base.catalog, other.catalog)
    assert base.science_psf_sigma == other.science_psf_sigma
    noise_only = make_pair(seed=7, n_sources=0, noise=(1.0, 1.0))
    noise_only2 = make_pair(seed=7, n_sources=0, noise=(2.0, 3.0))
    assert np.array_equal(2.0 * noise_only.science, noise_only2.science)
    assert np.array_equal(3.0 * noise_only.reference, noise_only2.reference)
    # More sources append to the catalog; the noise does not change.
    more = make_pair(seed=7, margin=20, n_sources=25)
    assert np.array_equal(more.catalog[:20], base.catalog)
    # Changing the reference PSF (with a fixed margin) leaves the science image alone.
    wider = make_pair(seed=7, margin=20, reference_psf_sigma=3.0)
    assert np.array_equal(wider.science, base.science)
    assert np.array_equal(wider.catalog, base.catalog)
    # Correlating the noise only changes the reference image.
    corr = make_pair(seed=7, margin=20, correlated_noise=True)
    assert np.array_equal(corr.science, base.science)
    assert not np.array_equal(corr.reference, base.reference)
    # An explicit science sigma does not move the sources or the noise.
    fixed = make_pair(seed=7, margin=20, science_psf_sigma=base.science_psf_sigma)
    assert np.array_equal(fixed.science, base.science)


def test_streams_use_philox_keys():
    pair = make_pair(seed=5, n_sources=3, margin=10)
    key = pair.params["streams"]["positions"]
    assert key[0] == 5
    rng = np.random.Generator(np.random.Philox(key=np.array(key, dtype=np.uint64)))
    u = rng.random((3, 2))
    h, w = pair.science.shape
    np.testing.assert_array_equal(pair.catalog["x"], 10 + u[:, 0] * (w - 1 - 20))
    np.testing.assert_array_equal(pair.catalog["y"], 10 + u[:, 1] * (h - 1 - 20))
    keys = [tuple(k) for k in pair.params["streams"].values()]
    assert len(set(keys)) == len(keys)


def test_no_global_state():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    make_pair(seed=3)
    assert np.random.random() == before


# --------------------------------------------------------------------------
# Defaults and returned structure
# --------------------------------------------------------------------------

def test_defaults_match_notebook_scenario():
    pair = make_pair()
    assert pair.science.shape == (250, 260)
    assert pair.reference.shape == (250, 260)
    assert pair.science.dtype == np.float64 and pair.reference.dtype == np.float64
    assert pair.catalog.size == 20
    assert set(pair.catalog.dtype.names) == {"x", "y", "flux"}
    assert np.all(pair.catalog["flux"] >= 500.0) and np.all(pair.catalog["flux"] < 1000.0)
    assert pair.reference_psf_sigma == 2.0
    assert pair.science_psf.shape == (125, 125) and pair.reference_psf.shape == (125, 125)
    assert pair.transient is None
    assert pair.seed == 0
    p = pair.params
    assert p["noise"] == (5.0, 1.5) and p["noise_kind"] == "gaussian"
    assert p["correlated_noise"] is False
    assert p["science_psf_sigma_drawn"] is True
    assert p["margin"] == math.ceil(3 * max(2.0, pair.science_psf_sigma)) + 2
    np.testing.assert_array_equal(pair.science_variance, np.full((250, 260), 25.0))
    np.testing.assert_array_equal(pair.reference_variance, np.full((250, 260), 2.25))
    assert pair.science_background == 0.0 and pair.reference_background == 0.0


def test_science_sigma_drawn_in_notebook_range():
    sigmas = np.array([make_pair(seed=s, n_sources=0, shape=(8, 8), psf_stamp_shape=(5, 5))
                       .science_psf_sigma for s in range(200)])
    assert np.all(sigmas >= 2.0) and np.all(sigmas < 4.0)
    assert sigmas.min() < 2.2 and sigmas.max() > 3.8  # spread over the range
    assert len(np.unique(sigmas)) == sigmas.size


def test_sources_inside_margin():
    pair = make_pair(seed=11, n_sources=500, margin=7.5, shape=(60, 90),
                     psf_stamp_shape=(15, 15))
    x, y = pair.catalog["x"], pair.catalog["y"]
    assert np.all(x >= 7.5) and np.all(x <= 89 - 7.5)
    assert np.all(y >= 7.5) and np.all(y <= 59 - 7.5)
    # continuous, not integer, positions
    assert np.any(x != np.round(x)) and np.any(y != np.round(y))


def test_frozen():
    pair = make_pair(n_sources=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.science = None


# --------------------------------------------------------------------------
# Noise
# --------------------------------------------------------------------------

def test_gaussian_noise_level():
    pair = make_pair(n_sources=0, seed=4)
    assert abs(pair.science.std() / 5.0 - 1) < 0.03
    assert abs(pair.reference.std() / 1.5 - 1) < 0.03
    assert abs(pair.science.mean()) < 0.1
    assert abs(pair.reference.mean()) < 0.03


def test_uniform_noise_level_and_background():
    pair = make_pair(n_sources=0, seed=4, noise_kind="uniform", backgrounds=(10.0, 2.0))
    for img, level, bg, var, eff in (
            (pair.science, 5.0, 10.0, pair.science_variance, pair.science_background),
            (pair.reference, 1.5, 2.0, pair.reference_variance, pair.reference_background)):
        assert eff == bg + level / 2
        assert abs(img.mean() - eff) < 0.02 * level
        assert abs(img.var() / (level**2 / 12) - 1) < 0.03
        assert img.min() >= bg and img.max() < bg + level
        np.testing.assert_array_equal(var, np.full(img.shape, level**2 / 12))
    assert pair.params["noise_variances"] == (25.0 / 12, 2.25 / 12)


@pytest.mark.parametrize("kind", ["gaussian", "uniform"])
def test_correlated_noise(kind):
    pair = make_pair(n_sources=0, seed=9, noise_kind=kind, correlated_noise=True,
                     backgrounds=(3.0, -2.0))
    a = (pair.science - pair.science_background) / 5.0
    b = (pair.reference - pair.reference_background) / 1.5
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.999999
    np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("kind", ["gaussian", "uniform"])
def test_independent_noise(kind):
    pair = make_pair(n_sources=0, seed=9, noise_kind=kind, backgrounds=(3.0, -2.0))
    a = (pair.science - pair.science_background) / 5.0
    b = (pair.reference - pair.reference_background) / 1.5
    assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.05


# --------------------------------------------------------------------------
# Sources, PSFs and the transient
# --------------------------------------------------------------------------

def _isolated_box_sums(image, catalog, sigma, extra=()):
    """Sum the image in a box around each source far from all other sources."""
    half = int(math.ceil(6 * sigma))
    xs = np.concatenate([catalog["x"], [e[0] for e in extra]])
    ys = np.concatenate([catalog["y"], [e[1] for e in extra]])
    out = []
    for i, (x, y, flux) in enumerate(zip(catalog["x"], catalog["y"], catalog["flux"])):
        d = np.maximum(np.abs(xs - x), np.abs(ys - y))
        d[i] = np.inf
        if d.min() < 2 * half + 6 * sigma:
            continue
        ix, iy = int(round(x)), int(round(y))
        box = image[iy - half:iy + half + 1, ix - half:ix + half + 1]
        out.append((x, y, flux, box.sum(), box, ix - half, iy - half))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fluxes_and_positions(seed):
    pair = make_pair(seed=seed, noise=(1e-6, 1e-6), shape=(250, 260))
    checked = 0
    for img, sigma in ((pair.science, pair.science_psf_sigma),
                       (pair.reference, pair.reference_psf_sigma)):
        for x, y, flux, total, box, x0, y0 in _isolated_box_sums(img, pair.catalog, sigma):
            assert abs(total / flux - 1) < 0.01
            # centroid = catalog position (x is the column, y the row)
            yy, xx = np.mgrid[y0:y0 + box.shape[0], x0:x0 + box.shape[1]]
            assert abs((box * xx).sum() / total - x) < 0.02
            assert abs((box * yy).sum() / total - y) < 0.02
            # second moment = sigma**2 (pixel-centre sampling is exact to ~1e-6 here)
            m2 = (box * (xx - x) ** 2).sum() / total
            assert abs(m2 / sigma**2 - 1) < 0.01
            checked += 1
    assert checked >= 4
    # With the default margin, almost no flux leaves the image.
    assert abs(pair.reference.sum() / pair.catalog["flux"].sum() - 1) < 1e-3
    assert abs(pair.science.sum() / pair.catalog["flux"].sum() - 1) < 1e-3


def test_xy_convention_non_square():
    pair = make_pair(shape=(40, 120), n_sources=1, noise=(0.0, 0.0), margin=3,
                     reference_psf_sigma=1.5, science_psf_sigma=1.5,
                     psf_stamp_shape=(15, 15), seed=3)
    x, y = pair.catalog["x"][0], pair.catalog["y"][0]
    iy, ix = np.unravel_index(np.argmax(pair.reference), pair.reference.shape)
    assert (ix, iy) == (int(round(x)), int(round(y)))


def test_same_sky_in_both_images():
    pair = make_pair(seed=5, noise=(0.0, 0.0), science_psf_sigma=2.0, reference_psf_sigma=2.0)
    np.testing.assert_array_equal(pair.science, pair.reference)


@pytest.mark.parametrize("stamp", [(125, 125), (31, 40), (20, 17)])
def test_psf_stamps(stamp):
    pair = make_pair(n_sources=0, psf_stamp_shape=stamp, science_psf_sigma=3.1)
    h, w = stamp
    for psf in (pair.science_psf, pair.reference_psf):
        assert psf.shape == stamp
        assert abs(psf.sum() - 1) < 1e-12
        assert np.unravel_index(np.argmax(psf), psf.shape) == (h // 2, w // 2)
        assert np.all(psf >= 0)
    # the stamps describe the rendered sources
    yy, xx = np.mgrid[:h, :w]
    if h >= 61 and w >= 61:
        m2 = (pair.science_psf * (xx - w // 2) ** 2).sum()
        assert abs(m2 - 3.1**2) < 1e-4


def test_gaussian_psf_helper():
    psf = sim.gaussian_psf((9, 10), 1.0)
    assert psf.shape == (9, 10) and abs(psf.sum() - 1) < 1e-15
    assert np.unravel_index(np.argmax(psf), psf.shape) == (4, 5)
    with pytest.raises(ValueError, match="sigma"):
        sim.gaussian_psf((9, 9), 0.0)


@pytest.mark.parametrize("form", ["tuple", "dict"])
def test_transient_only_in_science(form):
    t = (120.4, 80.6, 750.0)
    transient = t if form == "tuple" else {"x": t[0], "y": t[1], "flux": t[2]}
    base = make_pair(seed=3)
    with_t = make_pair(seed=3, transient=transient)
    assert with_t.transient == {"x": t[0], "y": t[1], "flux": t[2]}
    assert with_t.params["transient"] == with_t.transient
    assert np.array_equal(with_t.reference, base.reference)
    assert np.array_equal(with_t.catalog, base.catalog)
    diff = with_t.science - base.science
    assert abs(diff.sum() / 750.0 - 1) < 1e-9
    yy, xx = np.mgrid[:diff.shape[0], :diff.shape[1]]
    assert abs((diff * xx).sum() / diff.sum() - t[0]) < 1e-6
    assert abs((diff * yy).sum() / diff.sum() - t[1]) < 1e-6
    assert abs((diff * (xx - t[0]) ** 2).sum() / diff.sum() - with_t.science_psf_sigma**2) < 1e-4


def test_zero_sources():
    pair = make_pair(n_sources=0, shape=(10, 10), psf_stamp_shape=(5, 5), margin=100)
    assert pair.catalog.size == 0
    assert pair.catalog.dtype.names == ("x", "y", "flux")


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(shape=(0, 10)), "shape"),
    (dict(shape=(10,)), "shape"),
    (dict(shape=(10.5, 10)), "shape"),
    (dict(shape=10), "shape"),
    (dict(n_sources=-1), "n_sources"),
    (dict(n_sources=2.0), "n_sources"),
    (dict(n_sources=True), "n_sources"),
    (dict(flux_range=(10.0, 5.0)), "flux_range"),
    (dict(flux_range=(1.0, float("nan"))), "flux_range"),
    (dict(flux_range=(1.0,)), "flux_range"),
    (dict(reference_psf_sigma=0.0), "reference_psf_sigma"),
    (dict(reference_psf_sigma=float("inf")), "reference_psf_sigma"),
    (dict(science_psf_sigma=-1.0), "science_psf_sigma"),
    (dict(science_psf_sigma="2"), "science_psf_sigma"),
    (dict(psf_stamp_shape=(300, 10)), "psf_stamp_shape"),
    (dict(psf_stamp_shape=(0, 5)), "psf_stamp_shape"),
    (dict(noise=(-1.0, 1.0)), "noise"),
    (dict(noise=(1.0, float("nan"))), "noise"),
    (dict(noise=5.0), "noise"),
    (dict(noise_kind="poisson"), "noise_kind"),
    (dict(correlated_noise="yes"), "correlated_noise"),
    (dict(backgrounds=(0.0, float("inf"))), "backgrounds"),
    (dict(transient=(1.0, 2.0)), "transient"),
    (dict(transient={"x": 1.0, "y": 2.0}), "transient"),
    (dict(transient={"x": 1.0, "y": 2.0, "flux": 3.0, "z": 0}), "transient"),
    (dict(transient=(-1.0, 2.0, 3.0)), "transient x"),
    (dict(transient=(1.0, 250.0, 3.0)), "transient y"),
    (dict(transient=(1.0, 2.0, float("nan"))), "transient flux"),
    (dict(transient=5), "transient"),
    (dict(margin=-1), "margin"),
    (dict(margin=200), "margin"),
    (dict(seed=-1), "seed"),
    (dict(seed=2**64), "seed"),
    (dict(seed=1.5), "seed"),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[")):
        make_pair(**kwargs)


def test_positional_arguments_rejected():
    with pytest.raises(TypeError):
        make_pair((250, 260))
