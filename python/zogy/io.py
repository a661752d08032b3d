"""FITS input and output (needs astropy: ``pip install zogy[fits]``).

Images, variance planes, masks and PSF stamps are read from a primary or named/numbered HDU;
a subtraction is written as one multi-extension FITS file whose image extensions keep the
science image's WCS and whose primary header records every ZOGY parameter.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from . import __version__
from . import _validate as v
from ._atomic import write_atomically
from .api import ZogyResult

#: Extension name -> ZogyResult field, in the order they are written.
EXTENSIONS = {
    "DIFF": "difference",
    "VARIANCE": "difference_variance",
    "MASK": "mask",
    "SCORE": "score",
    "SCORE_VAR": "score_variance",
    "SCORR": "scorr",
    "FLUX": "flux",
    "FLUX_ERR": "flux_err",
    "PSF": "psf",
}

_SPEC = re.compile(r"^(?P<path>.*?)(\[(?P<hdu>[^\]]+)\])?$")


class FitsInputError(ValueError):
    """A FITS input cannot be used; the message starts with the file (and HDU) name."""


def _fits():
    try:
        from astropy.io import fits
    except ImportError as exc:  # pragma: no cover - exercised only without astropy
        raise ImportError("zogy.io needs astropy: pip install 'zogy[fits]'") from exc
    return fits


def parse_spec(spec: str | os.PathLike) -> tuple[Path, str | int | None]:
    """Split ``"file.fits[HDU]"`` into the path and the HDU (a name, an index or None)."""
    match = _SPEC.match(str(spec))
    path, hdu = Path(match["path"]), match["hdu"]
    if hdu is not None and hdu.strip().lstrip("-").isdigit():
        return path, int(hdu)
    return path, hdu


def read_array(spec: str | os.PathLike, what: str = "image") -> tuple[np.ndarray, object]:
    """Read a 2-D array and its header from ``"file.fits"`` or ``"file.fits[HDU]"``.

    Without an HDU, the primary HDU is used if it holds data, else the first image extension.
    The data keep FITS's (big-endian) byte order; :func:`zogy.subtract` accepts that as is.
    """
    fits = _fits()
    path, hdu = parse_spec(spec)
    label = f"{path}" + (f"[{hdu}]" if hdu is not None else "")
    if not path.is_file():
        raise FitsInputError(f"{label}: no such file ({what})")
    try:
        with fits.open(path, memmap=False) as hdul:
            chosen = _choose_hdu(hdul, hdu, label, what)
            data = chosen.data
            header = chosen.header.copy()
    except FitsInputError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise FitsInputError(f"{label}: not a readable FITS file ({exc})") from None
    if data is None or np.ndim(data) != 2:
        raise FitsInputError(f"{label}: the {what} HDU holds no 2-D array "
                             f"(shape {None if data is None else np.shape(data)})")  # fmt: skip
    return np.asarray(data), header


def _choose_hdu(hdul, hdu, label: str, what: str):
    if hdu is None:
        if hdul[0].data is not None:
            return hdul[0]
        for candidate in hdul[1:]:
            if candidate.is_image and candidate.data is not None:
                return candidate
        raise FitsInputError(f"{label}: no image HDU with data ({what})")
    try:
        return hdul[hdu]
    except (KeyError, IndexError):
        names = [h.name for h in hdul]
        raise FitsInputError(f"{label}: no HDU {hdu!r} ({what}); the file has {names}") from None


def read_psf(spec: str | os.PathLike) -> np.ndarray:
    """A PSF stamp from a FITS file (centred at (h // 2, w // 2))."""
    return read_array(spec, "PSF")[0]


def gaussian_psf(sigma: float) -> np.ndarray:
    """A unit-sum Gaussian stamp of width ``sigma``, 2·ceil(5 sigma) + 1 pixels square."""
    from .simulate import gaussian_psf as stamp

    v.positive(sigma, "psf sigma")
    half = int(np.ceil(5 * sigma))
    return stamp((2 * half + 1, 2 * half + 1), sigma)


def _celestial_wcs_cards(header) -> list:
    """The science header's WCS as cards to copy into every output image extension."""
    if header is None:
        return []
    import warnings

    from astropy.wcs import WCS, FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(header)
        except Exception:  # noqa: BLE001 - an unusable WCS is dropped, not fatal
            return []
        if not wcs.has_celestial and wcs.wcs.ctype[0] == "":
            return []
        return list(wcs.to_header().cards)


def _parameter_cards(result: ZogyResult) -> list[tuple[str, object, str]]:
    sigma_n, sigma_r = (float(np.sqrt(w)) for w in result.noise_weights)
    return [
        ("ZOGYVER", __version__, "zogy package version"),
        ("ZOGY_FD", float(result.flux_zero_point), "F_D, flux zero point of D (eq. 15)"),
        ("ZOGY_FS", float(result.score_normalisation), "F_S, flux = score / F_S"),
        ("ZOGY_SN", sigma_n, "sigma_N, science noise (sqrt of weight)"),
        ("ZOGY_SR", sigma_r, "sigma_R, reference noise (sqrt of weight)"),
        ("ZOGYSEED", str(result.seed), "padding seed (decimal, 0 .. 2**64-1)"),
        ("ZOGYPAD", result.padding, "padding fill mode"),
        ("PADSHPY", int(result.padded_shape[0]), "padded FFT grid rows"),
        ("PADSHPX", int(result.padded_shape[1]), "padded FFT grid columns"),
        ("BORDERY", int(result.border[0]), "padding border rows (each side)"),
        ("BORDERX", int(result.border[1]), "padding border columns (each side)"),
        ("KEYSCI", f"{result.keys[0]:016x}", "science content digest (hex, Philox key word 1)"),
        ("KEYREF", f"{result.keys[1]:016x}", "reference content digest (hex)"),
        ("GROWSCI", int(result.grow_radius[0]), "mask growth radius around science bad pix"),
        ("GROWREF", int(result.grow_radius[1]), "mask growth radius around reference bad"),
    ]


def write_result(path: str | os.PathLike, result: ZogyResult, science_header=None, *,
                 overwrite: bool = False) -> Path:  # fmt: skip
    """Write a subtraction as multi-extension FITS, atomically.

    The file is written to a temporary name in the same directory and renamed, so an
    interrupted run never leaves a half-written output. An existing file is refused unless
    ``overwrite``.
    """
    fits = _fits()
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass overwrite=True (--overwrite) to replace it")
    primary = fits.PrimaryHDU()
    for key, value, comment in _parameter_cards(result):
        primary.header[key] = (value, comment)
    wcs_cards = _celestial_wcs_cards(science_header)
    hdus = [primary]
    for name, field in EXTENSIONS.items():
        data = np.asarray(getattr(result, field))
        hdu = fits.ImageHDU(data=data, name=name)
        if field != "psf":
            hdu.header.extend(wcs_cards)
        hdus.append(hdu)

    def write(temporary: str) -> None:
        # overwrite=True: the temporary file exists already (empty).
        fits.HDUList(hdus).writeto(temporary, overwrite=True)

    return write_atomically(path, write)


def _header_shape(header) -> tuple | None:
    naxis = header.get("NAXIS", 0)
    if not naxis:
        return None
    return tuple(int(header[f"NAXIS{i}"]) for i in range(naxis, 0, -1))


def output_complete(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a finished output of :func:`write_result`: the one definition that
    the batch's skip and its recovery from a lost scheduler use.

    A file reaches its final name only through the atomic rename, once whole; complete means
    that rename happened (a regular file at the name) and the file validates: it opens as FITS
    with the ``ZOGYVER`` card and every extension holding data, the image planes of one shape.
    """
    path = Path(path)
    if not path.is_file():
        return False
    fits = _fits()
    try:
        # Headers only (lazy): a check per row must not read every pixel of every output.
        with fits.open(path, memmap=True, lazy_load_hdus=True) as hdul:
            if "ZOGYVER" not in hdul[0].header:
                return False
            shapes = {name: _header_shape(hdul[name].header) for name in EXTENSIONS}
    except (OSError, KeyError, ValueError, TypeError, IndexError, fits.VerifyError):
        return False
    planes = {shape for name, shape in shapes.items() if name != "PSF"}
    return None not in shapes.values() and len(planes) == 1 and len(next(iter(planes))) == 2


def read_result(path: str | os.PathLike) -> dict:
    """Arrays of a file written by :func:`write_result` (native byte order) and its header."""
    fits = _fits()
    out = {}
    with fits.open(path, memmap=False) as hdul:
        out["header"] = hdul[0].header.copy()
        for name, field in EXTENSIONS.items():
            out[field] = hdul[name].data.astype(hdul[name].data.dtype.newbyteorder("="))
            out[f"{field}_header"] = hdul[name].header.copy()
    return out


def write_pair(directory: str | os.PathLike, pair, *, overwrite: bool = False) -> dict:
    """Write a :class:`zogy.simulate.SimulatedPair` as FITS files ready for ``zogy subtract``.

    Files: ``science.fits`` (image, with a ``VARIANCE`` extension), ``reference.fits`` (same),
    ``science_psf.fits``, ``reference_psf.fits`` and ``catalog.csv`` (x, y, flux). Returns the
    paths by role.
    """
    fits = _fits()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "science": directory / "science.fits",
        "reference": directory / "reference.fits",
        "science_psf": directory / "science_psf.fits",
        "reference_psf": directory / "reference_psf.fits",
        "catalog": directory / "catalog.csv",
    }
    clashes = [str(p) for p in paths.values() if p.exists()]
    if clashes and not overwrite:
        raise FileExistsError(f"{clashes[0]}: exists; pass --overwrite to replace it")
    for role in ("science", "reference"):
        header = fits.Header()
        header["SIMSEED"] = (pair.seed, "zogy.simulate.make_pair seed")
        header["PSFSIGMA"] = (float(getattr(pair, f"{role}_psf_sigma")), "Gaussian PSF sigma")
        fits.HDUList([
            fits.PrimaryHDU(getattr(pair, role), header=header),
            fits.ImageHDU(getattr(pair, f"{role}_variance"), name="VARIANCE"),
        ]).writeto(paths[role], overwrite=True)  # fmt: skip
        fits.PrimaryHDU(getattr(pair, f"{role}_psf")).writeto(paths[f"{role}_psf"],
                                                              overwrite=True)  # fmt: skip
    catalog = np.column_stack([pair.catalog["x"], pair.catalog["y"], pair.catalog["flux"]])
    np.savetxt(paths["catalog"], catalog, delimiter=",", header="x,y,flux", comments="")
    return paths
