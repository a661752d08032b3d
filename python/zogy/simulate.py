"""Deterministic simulated science/reference image pairs.

This module makes the kind of test data the LSST ``ip_diffim`` tests made with
``makeTestImages`` (see ``seed/random-padding-notebook.md``): point sources with
Gaussian PSFs on a flat sky plus pixel noise, seen once through a reference PSF
and once through a (usually wider) science PSF.

Randomness
----------
Every random quantity comes from its own counter-based stream,
``numpy.random.Generator(numpy.random.Philox(key=(seed, tag ^ stream)))``,
where ``tag`` is a fixed 64-bit constant of this module and ``stream`` a small
per-purpose number (see `STREAMS`). There is no global or shared generator
state, so

* the same arguments give the same arrays (bit for bit, with the same numpy
  build on the same machine, see *Reproducibility* below), in any process and
  in any call order;
* changing one option does not redraw unrelated quantities: e.g. the noise
  levels, the number of sources, the reference PSF width or the transient do
  not change the unit noise fields, and source ``i``'s unit position and flux
  draws do not depend on ``n_sources`` (a larger ``n_sources`` appends
  sources). Positions are affine maps of their unit draws onto the area
  allowed by ``margin``: when ``margin`` is left to its default, which depends
  on the PSF widths, changing a PSF width moves the sources slightly; pass an
  explicit ``margin`` to keep them fixed.

Reproducibility
---------------
The uniform deviates are exact functions of the Philox output. Gaussian
deviates (numpy's ziggurat) and the rendered PSFs use ``exp``/``log``, whose
last bit may depend on the CPU code path numpy picks, so the images are
reproducible bit for bit for a given numpy build on a given machine class, and
to round-off elsewhere. The numpy version is recorded in ``params``.

Only numpy is required.
"""

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SimulatedPair", "make_pair", "gaussian_psf", "STREAMS"]

#: Fixed 64-bit domain tag ("zogy.sim" in ASCII) mixed into the second key word,
#: so that the simulation streams never share a Philox key with other users of
#: the same ``seed``.
_KEY_TAG = int.from_bytes(b"zogy.sim", "big")

#: Per-purpose stream numbers. The Philox key of stream ``s`` for seed ``seed``
#: is the pair of 64-bit words ``(seed, _KEY_TAG ^ s)``.
STREAMS = {
    "positions": 1,
    "fluxes": 2,
    "science_noise": 3,
    "reference_noise": 4,
    "science_psf_sigma": 5,
}

#: Sources are rendered on a stamp reaching this many PSF sigmas from their centre.
_RENDER_RADIUS_SIGMA = 8.0

_NOISE_KINDS = ("gaussian", "uniform")


@dataclass(frozen=True, eq=False)
class SimulatedPair:
    """A simulated science/reference pair and the truth behind it.

    Attributes
    ----------
    science, reference : numpy.ndarray
        Images, float64, shape ``(H, W)``, indexed ``[y, x]``.
    science_psf, reference_psf : numpy.ndarray
        Gaussian PSF stamps, float64, shape ``psf_stamp_shape``, centred at
        pixel ``(h // 2, w // 2)`` and normalised to unit sum.
    science_variance, reference_variance : numpy.ndarray
        Constant variance planes, float64, shape ``(H, W)``: ``L**2`` for
        Gaussian noise and ``L**2 / 12`` for uniform noise of level ``L``.
        They describe the pixel noise only (there is no photon noise).
    catalog : numpy.ndarray
        Structured array with float64 fields ``x`` (column), ``y`` (row) and
        ``flux`` (total flux of the source before any clipping at the image
        edge), one row per source, in draw order. Pixel ``[j, i]`` has its
        centre at ``x = i``, ``y = j``.
    science_psf_sigma, reference_psf_sigma : float
        Gaussian sigma of each PSF in pixels.
    science_background, reference_background : float
        Expected mean of each source-free image: the constant sky from
        ``backgrounds`` plus the noise mean (``L / 2`` for uniform noise,
        0 for Gaussian noise).
    transient : dict or None
        ``{"x": ..., "y": ..., "flux": ...}`` of the source added to the science
        image only, or None.
    seed : int
        The seed the pair was drawn from.
    params : dict
        Every parameter used, with defaults resolved (see `make_pair`).
    """

    science: np.ndarray
    reference: np.ndarray
    science_psf: np.ndarray
    reference_psf: np.ndarray
    science_variance: np.ndarray
    reference_variance: np.ndarray
    catalog: np.ndarray
    science_psf_sigma: float
    reference_psf_sigma: float
    science_background: float
    reference_background: float
    transient: dict | None
    seed: int
    params: dict = field(default_factory=dict)


# --------------------------------------------------------------------------
# Random streams
# --------------------------------------------------------------------------

def _generator(seed, stream):
    """Return the generator of one purpose-specific stream.

    Parameters
    ----------
    seed : int
        User seed, ``0 <= seed < 2**64``.
    stream : str
        Key of `STREAMS`.

    Returns
    -------
    numpy.random.Generator
        A fresh ``Generator(Philox(key=[seed, _KEY_TAG ^ STREAMS[stream]]))``
        with counter 0.
    """
    key = np.array([seed, _KEY_TAG ^ STREAMS[stream]], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key))


# --------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------

def _as_int(value, name, minimum=None, maximum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def _as_float(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _as_pair(value, name):
    try:
        items = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of two values, got {value!r}") from None
    if len(items) != 2:
        raise ValueError(f"{name} must have exactly two values, got {len(items)}")
    return items


def _as_shape(value, name):
    h, w = _as_pair(value, name)
    return (_as_int(h, f"{name}[0]", minimum=1), _as_int(w, f"{name}[1]", minimum=1))


def _as_sigma(value, name):
    value = _as_float(value, name)
    if value <= 0.0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def _as_transient(value, shape):
    if value is None:
        return None
    if isinstance(value, dict):
        missing = {"x", "y", "flux"} - set(value)
        extra = set(value) - {"x", "y", "flux"}
        if missing or extra:
            raise ValueError(
                "transient dict must have exactly the keys 'x', 'y', 'flux'"
                f" (missing {sorted(missing)}, unexpected {sorted(map(str, extra))})")
        x, y, flux = value["x"], value["y"], value["flux"]
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(
                f"transient must be None, a dict or an (x, y, flux) tuple, got {value!r}") from None
        if len(items) != 3:
            raise ValueError(f"transient tuple must be (x, y, flux), got {len(items)} values")
        x, y, flux = items
    x = _as_float(x, "transient x")
    y = _as_float(y, "transient y")
    flux = _as_float(flux, "transient flux")
    h, w = shape
    if not 0.0 <= x <= w - 1:
        raise ValueError(f"transient x must lie in [0, {w - 1}] (a column of the image), got {x}")
    if not 0.0 <= y <= h - 1:
        raise ValueError(f"transient y must lie in [0, {h - 1}] (a row of the image), got {y}")
    return {"x": x, "y": y, "flux": flux}


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def gaussian_psf(shape, sigma):
    """Return a circular Gaussian PSF stamp normalised to unit sum.

    Parameters
    ----------
    shape : tuple of int
        Stamp shape ``(h, w)``.
    sigma : float
        Gaussian sigma in pixels, > 0.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(h, w)``: the Gaussian sampled at pixel
        centres, centred at pixel ``(h // 2, w // 2)`` and divided by its sum.

    Raises
    ------
    ValueError
        If ``shape`` or ``sigma`` is invalid.
    """
    h, w = _as_shape(shape, "shape")
    sigma = _as_sigma(sigma, "sigma")
    gy = np.exp(-0.5 * ((np.arange(h) - h // 2) / sigma) ** 2)
    gx = np.exp(-0.5 * ((np.arange(w) - w // 2) / sigma) ** 2)
    return np.outer(gy / gy.sum(), gx / gx.sum())


def _add_source(image, x, y, flux, sigma):
    """Add one flux-normalised Gaussian source to ``image`` in place.

    The Gaussian is sampled at pixel centres on a square stamp reaching
    ``_RENDER_RADIUS_SIGMA * sigma`` from the nearest pixel to ``(x, y)`` and
    normalised so that the stamp sums to ``flux``; the part of the stamp that
    falls outside the image is dropped.
    """
    h, w = image.shape
    r = int(math.ceil(_RENDER_RADIUS_SIGMA * sigma))
    ix = int(math.floor(x + 0.5))
    iy = int(math.floor(y + 0.5))
    cols = np.arange(ix - r, ix + r + 1)
    rows = np.arange(iy - r, iy + r + 1)
    gx = np.exp(-0.5 * ((cols - x) / sigma) ** 2)
    gy = np.exp(-0.5 * ((rows - y) / sigma) ** 2)
    gx /= gx.sum()
    gy /= gy.sum()
    x0, x1 = max(ix - r, 0), min(ix + r + 1, w)
    y0, y1 = max(iy - r, 0), min(iy + r + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    stamp = flux * np.outer(gy[y0 - (iy - r):y1 - (iy - r)], gx[x0 - (ix - r):x1 - (ix - r)])
    image[y0:y1, x0:x1] += stamp


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def make_pair(*, shape=(250, 260), n_sources=20, flux_range=(500.0, 1000.0),
              reference_psf_sigma=2.0, science_psf_sigma=None, psf_stamp_shape=(125, 125),
              noise=(5.0, 1.5), noise_kind="gaussian", correlated_noise=False,
              backgrounds=(0.0, 0.0), transient=None, margin=None, seed=0):
    """Simulate a science/reference pair of the same sky through two Gaussian PSFs.

    Both images contain the same point sources (same positions and fluxes),
    each convolved with its own Gaussian PSF, plus a constant sky and pixel
    noise. An optional transient is added to the science image only.

    Parameters
    ----------
    shape : tuple of int, optional
        Image shape ``(H, W)`` (rows, columns). The default ``(250, 260)``
        has the LSST test scenario's 65000 pixels. (LSST's
        ``Extent2I(250, 260)`` is 250 columns by 260 rows, i.e. a numpy shape
        of ``(260, 250)``; pass that to match its orientation.)
    n_sources : int, optional
        Number of point sources, >= 0 (LSST scenario: 20).
    flux_range : tuple of float, optional
        ``(low, high)``, ``low <= high``: total source fluxes are drawn
        uniformly in ``[low, high)`` (LSST scenario: 500 to 1000).
    reference_psf_sigma : float, optional
        Gaussian sigma of the reference PSF in pixels (LSST scenario: 2).
    science_psf_sigma : float or None, optional
        Gaussian sigma of the science PSF in pixels. None draws
        ``2 + 2 * U`` with ``U`` uniform in ``[0, 1)`` from the seed's
        ``science_psf_sigma`` stream, as the notebook did
        (``sciPsf = 2 + rng.random() * 2``).
    psf_stamp_shape : tuple of int, optional
        Shape ``(h, w)`` of the returned PSF stamps; must not exceed
        ``shape``. The default 125 x 125 is the LSST kernel size
        (``int(xSize / 2)``).
    noise : tuple of float, optional
        Noise levels ``(L_science, L_reference)``, each >= 0 (LSST scenario:
        5 and 1.5).
    noise_kind : {"gaussian", "uniform"}, optional
        ``"gaussian"``: each pixel gets ``N(0, L**2)``; variance ``L**2``.
        ``"uniform"``: each pixel gets ``L * U(0, 1)``, as in the LSST test
        images (``rng.rand(ySize, xSize) * noiseLevel``). This noise is *not*
        zero-mean: it adds a mean of ``L / 2`` (reported in
        ``science_background`` / ``reference_background``) and has variance
        ``L**2 / 12`` (written to the variance planes), so ``L`` is not its
        standard deviation.
    correlated_noise : bool, optional
        If True, both images use the same unit noise field (the science noise
        stream), scaled by each image's level, instead of independent draws.
        This is what the LSST test did implicitly by building both images with
        the same seed. The science image is the same either way.
    backgrounds : tuple of float, optional
        Constant sky ``(science, reference)`` added to each image.
    transient : None, dict or tuple, optional
        ``{"x": x, "y": y, "flux": flux}`` or ``(x, y, flux)``: a point source
        at column ``x``, row ``y`` (``0 <= x <= W - 1``, ``0 <= y <= H - 1``)
        with total flux ``flux`` (any finite value; negative for a fading
        source), rendered with the science PSF in the science image only. It
        consumes no random numbers and is not in ``catalog``.
    margin : float or None, optional
        Minimum distance in pixels between a source centre and the centres of
        the edge pixels: ``x`` is uniform in ``[margin, W - 1 - margin]`` and
        ``y`` in ``[margin, H - 1 - margin]``. None uses
        ``ceil(3 * max(science_psf_sigma, reference_psf_sigma)) + 2``, so less
        than 1e-3 of a source's flux falls outside the image. (LSST used 5.)
    seed : int, optional
        Seed, ``0 <= seed < 2**64``; the first Philox key word of every stream.

    Returns
    -------
    SimulatedPair
        Images, PSF stamps, variance planes, the true catalog and ``params``,
        a dict with every option above resolved (``science_psf_sigma``,
        ``margin``), plus ``science_psf_sigma_drawn``,
        ``effective_backgrounds``, ``noise_variances``,
        ``render_radius_sigma``, ``rng``, ``streams`` (stream name to Philox
        key) and ``numpy_version``.

    Raises
    ------
    ValueError
        If an argument is invalid; the message names the argument.

    Notes
    -----
    Sources are rendered as the Gaussian sampled at pixel centres on a stamp
    of radius ``ceil(8 * sigma)`` around the source, normalised so that the
    stamp sums exactly to the source flux (flux falling outside the image is
    lost, as on a detector). Pixel-centre sampling differs from the
    pixel-integrated Gaussian by a slightly wider profile (by 1/12 px**2 in
    variance), negligible for sigma >~ 1 px; the PSF stamps use the same
    sampling, so they describe the rendered sources consistently.

    The source centres are continuous positions; source ``i`` uses the
    ``i``-th pair of the positions stream (``x`` then ``y``) and the ``i``-th
    value of the fluxes stream.

    To mimic the LSST test images: ``shape=(260, 250), noise_kind="uniform",
    correlated_noise=True, margin=5``.

    Examples
    --------
    >>> pair = make_pair(seed=18)
    >>> pair.science.shape, pair.catalog.size
    ((250, 260), 20)
    """
    # ---- validation ----------------------------------------------------
    shape = _as_shape(shape, "shape")
    n_sources = _as_int(n_sources, "n_sources", minimum=0)
    lo, hi = _as_pair(flux_range, "flux_range")
    lo = _as_float(lo, "flux_range[0]")
    hi = _as_float(hi, "flux_range[1]")
    if lo > hi:
        raise ValueError(f"flux_range must satisfy low <= high, got ({lo}, {hi})")
    reference_psf_sigma = _as_sigma(reference_psf_sigma, "reference_psf_sigma")
    if science_psf_sigma is not None:
        science_psf_sigma = _as_sigma(science_psf_sigma, "science_psf_sigma")
    psf_stamp_shape = _as_shape(psf_stamp_shape, "psf_stamp_shape")
    if psf_stamp_shape[0] > shape[0] or psf_stamp_shape[1] > shape[1]:
        raise ValueError(
            f"psf_stamp_shape {psf_stamp_shape} must not exceed the image shape {shape}")
    noise_sci, noise_ref = _as_pair(noise, "noise")
    noise_sci = _as_float(noise_sci, "noise[0] (science)")
    noise_ref = _as_float(noise_ref, "noise[1] (reference)")
    if noise_sci < 0.0 or noise_ref < 0.0:
        raise ValueError(f"noise levels must be >= 0, got ({noise_sci}, {noise_ref})")
    if not isinstance(noise_kind, str) or noise_kind not in _NOISE_KINDS:
        raise ValueError(f"noise_kind must be one of {_NOISE_KINDS}, got {noise_kind!r}")
    if not isinstance(correlated_noise, (bool, np.bool_)):
        raise ValueError(f"correlated_noise must be a bool, got {correlated_noise!r}")
    correlated_noise = bool(correlated_noise)
    bg_sci, bg_ref = _as_pair(backgrounds, "backgrounds")
    bg_sci = _as_float(bg_sci, "backgrounds[0] (science)")
    bg_ref = _as_float(bg_ref, "backgrounds[1] (reference)")
    transient = _as_transient(transient, shape)
    if margin is not None:
        margin = _as_float(margin, "margin")
        if margin < 0.0:
            raise ValueError(f"margin must be >= 0, got {margin}")
    seed = _as_int(seed, "seed", minimum=0, maximum=2**64 - 1)

    # ---- science PSF width -------------------------------------------
    sigma_drawn = science_psf_sigma is None
    if sigma_drawn:
        science_psf_sigma = 2.0 + 2.0 * float(_generator(seed, "science_psf_sigma").random())

    if margin is None:
        margin = float(math.ceil(3.0 * max(science_psf_sigma, reference_psf_sigma)) + 2)
    h, w = shape
    if n_sources > 0 and (w - 1 - 2 * margin < 0 or h - 1 - 2 * margin < 0):
        raise ValueError(
            f"margin {margin} leaves no room for sources in an image of shape {shape}"
            " (need 2 * margin <= min(H, W) - 1)")

    # ---- sources --------------------------------------------------------
    unit_pos = _generator(seed, "positions").random((n_sources, 2))
    unit_flux = _generator(seed, "fluxes").random(n_sources)
    catalog = np.zeros(n_sources, dtype=[("x", "f8"), ("y", "f8"), ("flux", "f8")])
    catalog["x"] = margin + unit_pos[:, 0] * (w - 1 - 2 * margin)
    catalog["y"] = margin + unit_pos[:, 1] * (h - 1 - 2 * margin)
    catalog["flux"] = lo + unit_flux * (hi - lo)

    # ---- noise ----------------------------------------------------------
    def unit_field(stream):
        rng = _generator(seed, stream)
        if noise_kind == "gaussian":
            return rng.standard_normal(shape)
        return rng.random(shape)

    field_sci = unit_field("science_noise")
    field_ref = field_sci if correlated_noise else unit_field("reference_noise")
    science = noise_sci * field_sci
    reference = noise_ref * field_ref
    if bg_sci != 0.0:
        science += bg_sci
    if bg_ref != 0.0:
        reference += bg_ref

    for x, y, flux in zip(catalog["x"].tolist(), catalog["y"].tolist(),
                          catalog["flux"].tolist()):
        _add_source(science, x, y, flux, science_psf_sigma)
        _add_source(reference, x, y, flux, reference_psf_sigma)
    if transient is not None:
        _add_source(science, transient["x"], transient["y"], transient["flux"],
                    science_psf_sigma)

    # ---- noise model ---------------------------------------------------
    if noise_kind == "gaussian":
        var_sci, var_ref = noise_sci**2, noise_ref**2
        eff_bg_sci, eff_bg_ref = bg_sci, bg_ref
    else:
        var_sci, var_ref = noise_sci**2 / 12.0, noise_ref**2 / 12.0
        eff_bg_sci, eff_bg_ref = bg_sci + noise_sci / 2.0, bg_ref + noise_ref / 2.0

    params = {
        "shape": shape,
        "n_sources": n_sources,
        "flux_range": (lo, hi),
        "reference_psf_sigma": reference_psf_sigma,
        "science_psf_sigma": science_psf_sigma,
        "science_psf_sigma_drawn": sigma_drawn,
        "psf_stamp_shape": psf_stamp_shape,
        "noise": (noise_sci, noise_ref),
        "noise_kind": noise_kind,
        "correlated_noise": correlated_noise,
        "backgrounds": (bg_sci, bg_ref),
        "effective_backgrounds": (eff_bg_sci, eff_bg_ref),
        "noise_variances": (var_sci, var_ref),
        "transient": None if transient is None else dict(transient),
        "margin": margin,
        "seed": seed,
        "render_radius_sigma": _RENDER_RADIUS_SIGMA,
        "rng": "numpy.random.Generator(numpy.random.Philox(key=[seed, tag ^ stream]))",
        "streams": {name: (seed, _KEY_TAG ^ s) for name, s in STREAMS.items()},
        "numpy_version": np.__version__,
    }

    return SimulatedPair(
        science=science,
        reference=reference,
        science_psf=gaussian_psf(psf_stamp_shape, science_psf_sigma),
        reference_psf=gaussian_psf(psf_stamp_shape, reference_psf_sigma),
        science_variance=np.full(shape, var_sci),
        reference_variance=np.full(shape, var_ref),
        catalog=catalog,
        science_psf_sigma=science_psf_sigma,
        reference_psf_sigma=reference_psf_sigma,
        science_background=eff_bg_sci,
        reference_background=eff_bg_ref,
        transient=transient,
        seed=seed,
        params=params,
    )
