"""The ``zogy`` command line, run in-process (zogy.cli.main) and once as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from zogy import cli
from zogy.simulate import make_pair

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Small images (W H) so each command takes about a second.
SIZE = ["--size", "100", "96"]


def _json(path):
    return json.loads(path.read_text())


def test_study_repeat_writes_the_report(tmp_path, capsys):
    code = cli.main(
        [
            "study",
            "repeat",
            "--seeds",
            "3",
            *SIZE,
            "--out",
            str(tmp_path),
            "--no-progress",
            "--no-figures",
        ]
    )
    assert code == 0
    folder = tmp_path / "repeat"
    assert {p.name for p in folder.iterdir()} == {"result.json", "summary.md", "noise_map.npy"}
    data = _json(folder / "result.json")
    assert data["pair"]["shape"] == [96, 100]
    assert data["params"]["runs"] == 3 and data["same_seed"]["identical"] is True
    printed = capsys.readouterr().out
    assert "same padding seed, 3 runs" in printed and "nPos:" in printed
    assert str(folder) in printed


def test_study_reverse_writes_the_report(tmp_path, capsys):
    code = cli.main(
        [
            "study",
            "reverse",
            "--seeds",
            "2",
            *SIZE,
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--no-figures",
        ]
    )
    assert code == 0
    data = _json(tmp_path / "reverse" / "result.json")
    assert [p["seed"] for p in data["pairs"]] == [3, 4]
    assert data["summary"]["ours"]["exact"] is True
    assert data["summary"]["legacy-shared"]["exact"] is False
    assert data["params"]["legacy_kernel_guard"] is False
    assert "0 (exact)" in capsys.readouterr().out


def test_study_padding_writes_the_report(tmp_path, capsys):
    code = cli.main(
        ["study", "padding", *SIZE, "--out", str(tmp_path), "--no-progress", "--no-figures"]
    )
    assert code == 0
    folder = tmp_path / "padding"
    assert {p.name for p in folder.iterdir()} == {"result.json", "summary.md", "edge_mask.npy"}
    data = _json(folder / "result.json")
    band = data["band_width"]
    assert isinstance(band, int) and band >= 0
    assert f"edge_width={band}" in capsys.readouterr().out


def test_study_options_reach_the_study(tmp_path):
    code = cli.main(
        [
            "study",
            "repeat",
            "--seeds",
            "2",
            *SIZE,
            "--notebook-noise",
            "--lsst-kernels",
            "--padding-seed",
            "7",
            "--tolerance",
            "0.01",
            "--radius",
            "1",
            "--out",
            str(tmp_path),
            "--no-progress",
            "--no-figures",
        ]
    )
    assert code == 0
    data = _json(tmp_path / "repeat" / "result.json")
    assert data["pair"]["noise_kind"] == "uniform"
    assert data["params"]["options"] == {"kernel_guard": False, "fft_size": "pow2"}
    assert data["params"]["seeds"] == [7, 8]
    assert data["params"]["tolerance"] == 0.01 and data["params"]["radius"] == 1


def test_study_reads_fits_files(tmp_path, capsys):
    from astropy.io import fits

    pair = make_pair(shape=(80, 90), psf_stamp_shape=(25, 25), n_sources=5, seed=2)
    files = {}
    for name in ("science", "reference", "science_psf", "reference_psf"):
        files[name] = tmp_path / f"{name}.fits"
        # FITS stores big-endian data: the study must take it as it comes.
        fits.writeto(files[name], getattr(pair, name).astype(">f4"))
    sources = tmp_path / "sources.txt"
    np.savetxt(sources, np.column_stack([pair.catalog["x"], pair.catalog["y"]]))
    code = cli.main(
        [
            "study",
            "repeat",
            "--seeds",
            "2",
            "--science",
            str(files["science"]),
            "--reference",
            str(files["reference"]),
            "--science-psf",
            str(files["science_psf"]),
            "--reference-psf",
            str(files["reference_psf"]),
            "--sources",
            str(sources),
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
            "--no-figures",
        ]
    )
    assert code == 0
    data = _json(tmp_path / "out" / "repeat" / "result.json")
    assert data["pair"]["shape"] == [80, 90] and data["pair"]["n_sources"] == 5
    assert data["runs"][0]["n_used"] == 5 * 25
    assert str(files["science"]) in capsys.readouterr().out


def test_bad_inputs_exit_2_with_one_line(tmp_path, capsys):
    code = cli.main(
        ["study", "repeat", "--science", str(tmp_path / "a.fits"), "--out", str(tmp_path)]
    )
    assert code == 2
    assert "go together" in capsys.readouterr().err
    missing = [str(tmp_path / f"{name}.fits") for name in ("s", "r", "ps", "pr")]
    code = cli.main(
        [
            "study",
            "padding",
            "--science",
            missing[0],
            "--reference",
            missing[1],
            "--science-psf",
            missing[2],
            "--reference-psf",
            missing[3],
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("zogy study: error:") and "s.fits" in err and err.count("\n") == 1
    assert not (tmp_path / "padding").exists()


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["study", "nonsense"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
    capsys.readouterr()


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    code = cli.main(
        [
            "study",
            "reverse",
            "--seeds",
            "1",
            *SIZE,
            "--out",
            str(tmp_path),
            "--progress",
            "--no-figures",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "reverse" in captured.err and "run" in captured.err
    assert "reverse" not in captured.out.split("\n")[0]


def test_demo_in_process(tmp_path, capsys):
    code = cli.main(
        [
            "demo",
            "--runs",
            "3",
            "--pairs",
            "2",
            *SIZE,
            "--out",
            str(tmp_path),
            "--no-progress",
            "--no-figures",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    for text in (
        "same padding seed, 3 runs",
        "fresh padding seed per run, 3 runs",
        "(LSST kernels)",
        "ours (counter-based padding)",
        "legacy shared stream",
        "legacy per-image seed",
        "0 (exact)",
        "edge_width=",
        "nPos:",
        "Pixels used in the metric:",
        "Figures and reports written to",
    ):
        assert text in out, text
    for name in ("repeat", "repeat-lsst-kernels", "reverse"):
        assert (tmp_path / name / "result.json").is_file()


def test_demo_subprocess(tmp_path):
    """``python -m zogy.cli demo`` as a user runs it (small, no figures: the figure code is the
    studies', checked in test_study.py; the full-size run with figures is marked slow)."""
    out = tmp_path / "demo"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zogy.cli",
            "demo",
            "--runs",
            "3",
            "--pairs",
            "2",
            *SIZE,
            "--out",
            str(out),
            "--no-progress",
            "--no-figures",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "edge_width=" in proc.stdout and "0 (exact)" in proc.stdout
    assert proc.stderr == ""
    for name in ("repeat", "repeat-lsst-kernels", "reverse"):
        assert _json(out / name / "result.json")["paths"]


@pytest.mark.slow
def test_demo_full_size_subprocess_writes_figures(tmp_path):
    """The README's command on the default pair, with figures: well under a minute."""
    proc = subprocess.run(
        [sys.executable, "-m", "zogy.cli", "demo", "--runs", "3", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "swap test, 5 pair(s)" in proc.stdout
    data = _json(tmp_path / "reverse" / "result.json")
    assert data["summary"]["ours"]["exact"] is True
    pngs = sorted(tmp_path.glob("*/*.png"))
    assert {p.parent.name for p in pngs} == {"repeat", "repeat-lsst-kernels", "reverse"}
    assert len(pngs) == 12
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_bad_counts_exit_2(tmp_path, capsys):
    assert cli.main(["study", "repeat", "--seeds", "1", *SIZE, "--out", str(tmp_path)]) == 2
    assert "runs" in capsys.readouterr().err
    assert cli.main(["demo", "--runs", "1", "--out", str(tmp_path)]) == 2
    assert "--runs" in capsys.readouterr().err
