"""FITS round trip and the ``zogy subtract`` command."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

import zogy
from zogy import _cli_subtract, io
from zogy.simulate import make_pair


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="zogy")
    _cli_subtract.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def pair():
    return make_pair(shape=(64, 72), n_sources=5, psf_stamp_shape=(21, 21), seed=3)


def _wcs_header():
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [150.0, 2.0]
    w.wcs.crpix = [36.0, 32.0]
    w.wcs.cdelt = [-5e-5, 5e-5]
    return w.to_header()


@pytest.fixture
def files(tmp_path, pair):
    """The pair as FITS: science with WCS and a VARIANCE extension, big-endian like real data."""
    sci = tmp_path / "sci.fits"
    fits.HDUList([
        fits.PrimaryHDU(pair.science.astype(">f4"), header=_wcs_header()),
        fits.ImageHDU(pair.science_variance.astype(">f8"), name="VARIANCE"),
    ]).writeto(sci)  # fmt: skip
    fits.PrimaryHDU(pair.reference).writeto(tmp_path / "ref.fits")
    fits.PrimaryHDU(pair.reference_variance).writeto(tmp_path / "ref_var.fits")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(pair.science_psf, name="PSF")]).writeto(
        tmp_path / "sci_psf.fits"
    )
    fits.PrimaryHDU(pair.reference_psf).writeto(tmp_path / "ref_psf.fits")
    return tmp_path


def _argv(d, out="diff.fits", *extra):
    return ["subtract", str(d / "sci.fits"), str(d / "ref.fits"),
            "--sci-psf", str(d / "sci_psf.fits[PSF]"), "--ref-psf", str(d / "ref_psf.fits"),
            "--sci-var", str(d / "sci.fits[VARIANCE]"), "--ref-var", str(d / "ref_var.fits"),
            "--seed", "5", "-o", str(d / out), *extra]  # fmt: skip


def test_round_trip_equals_the_in_memory_subtraction(files, pair, capsys):
    assert run_cli(_argv(files)) == 0
    assert "wrote" in capsys.readouterr().out
    written = io.read_result(files / "diff.fits")
    expected = zogy.subtract(pair.science.astype(np.float32), pair.reference,
                             pair.science_psf, pair.reference_psf,
                             science_variance=pair.science_variance,
                             reference_variance=pair.reference_variance, seed=5)  # fmt: skip
    for field in io.EXTENSIONS.values():
        assert np.array_equal(written[field], getattr(expected, field), equal_nan=True), field
    header = written["header"]
    assert header["ZOGY_FD"] == expected.flux_zero_point
    assert header["ZOGYSEED"] == "5" and header["ZOGYPAD"] == "noise"
    assert (header["PADSHPY"], header["PADSHPX"]) == expected.padded_shape
    assert int(header["KEYSCI"], 16) == expected.keys[0]
    assert header["ZOGYVER"] == zogy.__version__
    assert header["ZOGY_SN"] == pytest.approx(np.sqrt(expected.noise_weights[0]))
    diff_wcs = WCS(written["difference_header"])
    assert diff_wcs.wcs.crval.tolist() == [150.0, 2.0]
    assert list(diff_wcs.wcs.ctype) == ["RA---TAN", "DEC--TAN"]


def test_exact_variance_flag_reaches_the_subtraction(files, capsys, monkeypatch):
    # On an image this small both modes use the full grid (same bits), so check the call.
    from zogy import _cli_subtract

    seen = []
    real = _cli_subtract.api.subtract

    def recording(*args, **kwargs):
        seen.append(kwargs.get("exact_variance"))
        return real(*args, **kwargs)

    monkeypatch.setattr(_cli_subtract.api, "subtract", recording)
    assert run_cli(_argv(files, "default.fits")) == 0
    assert run_cli(_argv(files, "exact.fits", "--exact-variance")) == 0
    assert seen == [False, True]


def test_gaussian_psf_widths_instead_of_stamps(files, capsys):
    argv = ["subtract", str(files / "sci.fits"), str(files / "ref.fits"),
            "--psf-sigma", "2.5", "2.0", "-o", str(files / "g.fits")]  # fmt: skip
    assert run_cli(argv) == 0
    assert io.read_result(files / "g.fits")["psf"].shape == (27, 27)  # 2*ceil(12.5)+1


def test_refuses_to_overwrite_and_leaves_no_partial_file(files, capsys, monkeypatch):
    assert run_cli(_argv(files)) == 0
    before = (files / "diff.fits").read_bytes()
    assert run_cli(_argv(files)) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    # An interrupted write leaves neither a partial output nor a temporary file.
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fits.HDUList, "writeto", crash)
    with pytest.raises(KeyboardInterrupt):
        run_cli(_argv(files, "diff.fits", "--overwrite"))
    assert (files / "diff.fits").read_bytes() == before
    assert sorted(p.name for p in files.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: ["subtract", str(d / "nope.fits"), str(d / "ref.fits"), "--psf-sigma", "2",
                    "2", "-o", str(d / "x.fits")], "nope.fits: no such file"),
        (lambda d: _argv(d, "x.fits")[:9] + ["--sci-var", str(d / "sci.fits[WHT]"), "-o",
                    str(d / "x.fits")], "sci.fits[WHT]: no HDU 'WHT'"),
        (lambda d: ["subtract", str(d / "sci.fits"), str(d / "sci_psf.fits[PSF]"),
                    "--psf-sigma", "2", "2", "-o", str(d / "x.fits")], "reference: shape"),
        (lambda d: ["subtract", str(d / "sci.fits"), str(d / "ref.fits"), "-o",
                    str(d / "x.fits")], "--sci-psf/--ref-psf"),
        (lambda d: ["subtract", str(d / "sci.fits"), str(d / "ref.fits"), "--psf-sigma",
                    "2", "-1", "-o", str(d / "x.fits")], "psf sigma"),
    ],
    ids=["missing file", "missing HDU", "shape mismatch", "no PSF", "bad sigma"],
)  # fmt: skip
def test_user_errors_exit_2_with_one_line(files, capsys, change, message):
    assert run_cli(change(files)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (files / "x.fits").exists()


def test_not_a_fits_file(tmp_path, capsys):
    (tmp_path / "junk.fits").write_text("not fits")
    argv = ["subtract", str(tmp_path / "junk.fits"), str(tmp_path / "junk.fits"),
            "--psf-sigma", "2", "2", "-o", str(tmp_path / "x.fits")]  # fmt: skip
    assert run_cli(argv) == 2
    assert "junk.fits: not a readable FITS file" in capsys.readouterr().err


def test_read_array_picks_hdus(files):
    data, _ = io.read_array(files / "sci.fits")
    assert data.shape == (64, 72)
    psf, _ = io.read_array(str(files / "sci_psf.fits"))  # primary empty: first image extension
    assert psf.shape == (21, 21)
    var, _ = io.read_array(f"{files / 'sci.fits'}[1]")
    assert np.all(var == 25.0)
    assert io.parse_spec("a.fits[SCI]") == (io.Path("a.fits"), "SCI")


def test_simulated_pair_round_trips_through_fits(tmp_path, capsys):
    from zogy import _cli_simulate

    parser = argparse.ArgumentParser(prog="zogy")
    _cli_simulate.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["simulate", str(tmp_path / "pair"), "--size", "70", "60",
                              "--sources", "4", "--seed", "2"])  # fmt: skip
    assert args.func(args) == 0
    assert "next: zogy subtract" in capsys.readouterr().out
    d = tmp_path / "pair"
    argv = ["subtract", str(d / "science.fits"), str(d / "reference.fits"),
            "--sci-psf", str(d / "science_psf.fits"), "--ref-psf", str(d / "reference_psf.fits"),
            "--sci-var", f"{d / 'science.fits'}[VARIANCE]",
            "--ref-var", f"{d / 'reference.fits'}[VARIANCE]", "-o", str(tmp_path / "d.fits")]
    assert run_cli(argv) == 0
    pair = make_pair(shape=(60, 70), n_sources=4, seed=2, psf_stamp_shape=(59, 59))
    direct = zogy.subtract(pair.science, pair.reference, pair.science_psf, pair.reference_psf,
                           science_variance=pair.science_variance,
                           reference_variance=pair.reference_variance)  # fmt: skip
    written = io.read_result(tmp_path / "d.fits")
    assert np.array_equal(written["difference"], direct.difference)
    assert np.array_equal(written["scorr"], direct.scorr)
    catalog = np.loadtxt(d / "catalog.csv", delimiter=",", skiprows=1)
    assert np.allclose(catalog[:, 0], pair.catalog["x"])
