"""The image pairs the studies run on, and the subtraction and Metric1 of a pair.

Any pair (:class:`ImagePair`, or anything shaped like :class:`zogy.simulate.SimulatedPair`)
or the studies' simulated default (:func:`default_pair`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import _validate as v
from ..api import subtract
from ..metric import Metric1Result, metric1
from ..simulate import make_pair
from .json_safe import _json_safe

#: Largest PSF stamp of the default pair (the LSST kernel size for 250 px images).
_DEFAULT_STAMP = 125


@dataclass(frozen=True, eq=False)
class ImagePair:
    """Any science/reference pair, duck-typed like :class:`zogy.simulate.SimulatedPair`.

    Attributes
    ----------
    science, reference : ndarray (H, W)
        Images on one pixel grid.
    science_psf, reference_psf : ndarray
        PSF stamps centred at ``(h // 2, w // 2)``.
    science_variance, reference_variance : None, float or ndarray
        Passed to :func:`zogy.subtract` (None: robust estimate).
    catalog : structured ndarray
        Fields ``x`` (column) and ``y`` (row) of the sources used by Metric1 (may be empty).
    label : str
        Description used in reports.
    """

    science: np.ndarray
    reference: np.ndarray
    science_psf: np.ndarray
    reference_psf: np.ndarray
    science_variance: object = None
    reference_variance: object = None
    catalog: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=[("x", "f8"), ("y", "f8")])
    )
    label: str = "user pair"

    @classmethod
    def from_arrays(
        cls,
        science,
        reference,
        science_psf,
        reference_psf,
        *,
        x=(),
        y=(),
        science_variance=None,
        reference_variance=None,
        label="user pair",
    ):
        """Build a pair from arrays and source positions ``x`` (columns), ``y`` (rows)."""
        x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
        v.matching_positions(x, y)
        catalog = np.zeros(x.size, dtype=[("x", "f8"), ("y", "f8")])
        catalog["x"], catalog["y"] = x, y
        return cls(
            np.asarray(science),
            np.asarray(reference),
            np.asarray(science_psf),
            np.asarray(reference_psf),
            science_variance,
            reference_variance,
            catalog,
            label,
        )


def default_pair(*, seed=0, shape=None, notebook_noise=False, **options):
    """The studies' default pair: :func:`zogy.simulate.make_pair` with the LSST reverse scenario.

    Parameters
    ----------
    seed : int
        Simulation seed.
    shape : None or (int, int)
        Image shape ``(H, W)``; the PSF stamp is shrunk to the largest odd size that fits when
        the image is smaller than the default 125 x 125 stamp.
    notebook_noise : bool
        Use the LSST test images' noise instead: uniform, the same unit field in both images,
        source margin 5 (it has a non-zero mean, so the images have a background).
    **options
        Any other :func:`make_pair` argument (they win over the above).

    Returns
    -------
    zogy.simulate.SimulatedPair
    """
    kwargs = {"seed": seed}
    if shape is not None:
        h, w = (int(s) for s in shape)
        stamp = min(_DEFAULT_STAMP, h, w)
        stamp -= 1 - stamp % 2  # odd, so the stamp centre is a pixel
        kwargs.update(shape=(h, w), psf_stamp_shape=(stamp, stamp))
    if notebook_noise:
        kwargs.update(noise_kind="uniform", correlated_noise=True, margin=5)
    kwargs.update(options)
    return make_pair(**kwargs)


def _pair_info(pair) -> dict:
    """JSON-safe description of a pair for the reports."""
    info = {
        "shape": list(np.shape(pair.science)),
        "n_sources": int(len(pair.catalog)),
        "label": getattr(pair, "label", "simulated pair (zogy.simulate.make_pair)"),
    }
    for name in ("seed", "science_psf_sigma", "reference_psf_sigma"):
        if hasattr(pair, name):
            info[name] = getattr(pair, name)
    params = getattr(pair, "params", {})
    for name in ("noise", "noise_kind", "correlated_noise", "backgrounds", "psf_stamp_shape"):
        if name in params:
            info[name] = params[name]
    return _json_safe(info)


def describe_pair(info) -> str:
    """One line describing a pair from its report dict (``RepeatResult.pair`` etc.)."""
    text = f"{info['shape'][0]}×{info['shape'][1]} px (H×W), {info['n_sources']} sources"
    if "science_psf_sigma" not in info:  # not simulated: say which files
        text = f"{info['label']}, {text}"
    if "science_psf_sigma" in info:
        text += (
            f", PSF σ {info['science_psf_sigma']:.3g} (science) / "
            f"{info['reference_psf_sigma']:.3g} (reference)"
        )
    if "noise" in info:
        text += f", noise {info['noise'][0]:g} / {info['noise'][1]:g} ({info['noise_kind']})"
    return text


def _subtract(pair, *, swap=False, **options):
    """``zogy.subtract`` on a pair; ``swap=True`` computes D(reference, science)."""
    sci = (pair.science, pair.science_psf, pair.science_variance)
    ref = (pair.reference, pair.reference_psf, pair.reference_variance)
    if swap:
        sci, ref = ref, sci
    return subtract(
        sci[0],
        ref[0],
        sci[1],
        ref[1],
        science_variance=sci[2],
        reference_variance=ref[2],
        **options,
    )


def _metric(pair, image, radius) -> Metric1Result:
    return metric1(image, pair.catalog["x"], pair.catalog["y"], radius=radius)
