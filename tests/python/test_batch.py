"""``zogy.batch`` and ``zogy batch``: many pairs through Dask, locally and on a LocalCluster."""

from __future__ import annotations

import argparse
import csv
import json
import os
import stat
import sys
import time

import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import zogy  # noqa: E402 - after the skips: without dask there is nothing to test
from zogy import _cli_batch, batch, io  # noqa: E402
from zogy.simulate import make_pair  # noqa: E402

N_PAIRS = 3
MISSING = "no_such_science.fits"


# --------------------------------------------------------------------------
# Test data: three simulated pairs written as FITS, a manifest, serial results
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Three pairs in ``data/pair<i>/`` and the Gaussian PSF widths they were made with."""
    root = tmp_path_factory.mktemp("data")
    sigmas = []
    for i in range(N_PAIRS):
        pair = make_pair(shape=(48, 56), n_sources=3, psf_stamp_shape=(15, 15), seed=i)
        io.write_pair(root / f"pair{i}", pair)
        sigmas.append((pair.science_psf_sigma, pair.reference_psf_sigma))
    return root, sigmas


def _rows(data, outdir: str) -> list[dict]:
    """The manifest rows: each pair exercises a different way of naming its inputs."""
    root, sigmas = data
    rows = [
        {  # relative paths, stamps, variance planes by HDU name, default seed
            "science": "pair0/science.fits", "reference": "pair0/reference.fits",
            "science_psf": "pair0/science_psf.fits", "reference_psf": "pair0/reference_psf.fits",
            "science_variance": "pair0/science.fits[VARIANCE]",
            "reference_variance": "pair0/reference.fits[1]",
        },
        {  # Gaussian widths instead of stamps, a seed, robust variance estimate
            "science": "pair1/science.fits", "reference": "pair1/reference.fits",
            "science_psf_sigma": repr(sigmas[1][0]), "reference_psf_sigma": repr(sigmas[1][1]),
            "seed": "7",
        },
        {  # absolute paths
            "science": str(root / "pair2/science.fits"),
            "reference": str(root / "pair2/reference.fits"),
            "science_psf": str(root / "pair2/science_psf.fits"),
            "reference_psf": str(root / "pair2/reference_psf.fits"),
        },
    ]  # fmt: skip
    for i, row in enumerate(rows):
        row["output"] = f"{outdir}/diff{i}.fits"
    return rows


def _broken_row(outdir: str) -> dict:
    return {"science": MISSING, "reference": "pair0/reference.fits",
            "science_psf": "pair0/science_psf.fits", "reference_psf": "pair0/reference_psf.fits",
            "output": f"{outdir}/diff_broken.fits"}  # fmt: skip


def _write_manifest(path, rows, columns=batch.COLUMNS):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _serial(root, row: dict, output):
    """The pair through zogy.subtract + io.write_result in this process, as `zogy subtract`."""

    def read(key):
        return io.read_array(root / row[key], key)[0] if row.get(key) else None

    science, header = io.read_array(root / row["science"])
    if row.get("science_psf_sigma"):
        psfs = [io.gaussian_psf(float(row[k])) for k in batch.PSF_SIGMAS]
    else:
        psfs = [io.read_psf(root / row[k]) for k in batch.PSF_STAMPS]
    result = zogy.subtract(
        science, read("reference"), *psfs,
        science_variance=read("science_variance"), reference_variance=read("reference_variance"),
        seed=int(row.get("seed") or 0),
    )  # fmt: skip
    return io.write_result(output, result, header)


@pytest.fixture(scope="module")
def serial(data, tmp_path_factory):
    """Serial outputs, one per good row."""
    root, _ = data
    out = tmp_path_factory.mktemp("serial")
    return [_serial(root, row, out / f"diff{i}.fits") for i, row in enumerate(_rows(data, "x"))]


def assert_identical(path, expected_path):
    """Every array bit for bit, and the headers (ZOGY cards, WCS) card for card."""
    got, want = io.read_result(path), io.read_result(expected_path)
    for field in io.EXTENSIONS.values():
        a, b = got[field], want[field]
        assert a.dtype == b.dtype and a.shape == b.shape, field
        assert a.tobytes() == b.tobytes(), f"{path}: {field} differs from the serial run"
    for key in want:
        if key == "header" or key.endswith("_header"):
            assert str(got[key]) == str(want[key]), key


@pytest.fixture(scope="module")
def manifest(data):
    """manifest.csv: the three pairs into out/, plus a row whose science image is missing."""
    root, _ = data
    return _write_manifest(root / "manifest.csv", _rows(data, "out") + [_broken_row("out")])


@pytest.fixture(scope="module")
def local_run(manifest):
    """The manifest on the default (local, threaded) scheduler, once for the module."""
    return batch.run_manifest(manifest, workers=2)


def _mtimes(root):
    return {p: p.stat().st_mtime_ns for p in sorted((root / "out").iterdir())}


# --------------------------------------------------------------------------
# Local default scheduler
# --------------------------------------------------------------------------


def test_local_run_writes_the_good_pairs_and_reports_the_broken_one(data, local_run, serial):
    root, _ = data
    report = local_run
    assert (report.done, report.skipped, report.failed) == (3, 0, 1)
    assert report.scheduler == "threads (2 workers)"
    assert [r.status for r in report.records] == ["done", "done", "done", "failed"]
    assert [r.source for r in report.records] == [f"manifest.csv:{n}" for n in (2, 3, 4, 5)]
    broken = report.records[3]
    assert MISSING in broken.reason and "no such file" in broken.reason
    assert not (root / "out/diff_broken.fits").exists()
    for i, record in enumerate(report.records[:3]):
        assert record.output == str(root / f"out/diff{i}.fits")
        assert_identical(record.output, serial[i])
    # Atomic writes leave no temporary files behind.
    assert sorted(p.name for p in (root / "out").iterdir()) == [f"diff{i}.fits" for i in range(3)]
    assert report.summary().startswith("batch: 3 done, 0 skipped, 1 failed (")
    as_json = json.loads(report.to_json())
    assert as_json["counts"] == {"done": 3, "skipped": 0, "failed": 1}
    assert as_json["records"][3]["reason"] == broken.reason


def test_rerun_skips_finished_outputs_without_rewriting_them(data, manifest, local_run, capsys):
    root, _ = data
    before = _mtimes(root)
    report = batch.run_manifest(manifest, progress=True)
    assert "4/4" in capsys.readouterr().err  # the tqdm bar counts the pairs that were run
    assert (report.done, report.skipped, report.failed) == (0, 3, 1)
    assert [r.status for r in report.records] == ["skipped"] * 3 + ["failed"]
    assert _mtimes(root) == before


def test_overwrite_rewrites_with_the_same_bits(data, local_run, serial, tmp_path):
    root, _ = data
    rows = _rows(data, str(tmp_path))[:1]
    batch.run_pairs(rows, base_dir=root)
    first = (tmp_path / "diff0.fits").stat().st_mtime_ns
    time.sleep(0.01)
    report = batch.run_pairs(rows, base_dir=root, overwrite=True, threads_per_pair=2)
    assert report.done == 1 and (tmp_path / "diff0.fits").stat().st_mtime_ns > first
    assert_identical(tmp_path / "diff0.fits", serial[0])


def test_each_bad_pair_fails_alone(data, tmp_path):
    root, sigmas = data
    good = _rows(data, str(tmp_path))[0]
    pairs = [
        {**good, "reference": "pair0/science_psf.fits", "output": "a.fits"},  # 15x15 reference
        {**good, "science_psf_sigma": 2.0, "reference_psf_sigma": 2.0, "output": "b.fits"},
        {**good, "seed": "seven", "output": "c.fits"},
        {**good, "output": None},
        {**good, "science_psf": None, "reference_psf": None, "output": "e.fits",
         "science_psf_sigma": sigmas[0][0], "reference_psf_sigma": -1.0},
        good,
        {**good, "output": str(tmp_path / "diff0.fits")},  # the same output again
    ]  # fmt: skip
    report = batch.run_pairs(pairs, base_dir=root, workers=2)
    reasons = [r.reason for r in report.records]
    assert [r.status for r in report.records] == ["failed"] * 5 + ["done", "failed"]
    assert "reference: shape (15, 15) differs" in reasons[0]
    assert "not a mix" in reasons[1]
    assert "seed: 'seven'" in reasons[2]
    assert "empty output" in reasons[3] and report.records[3].output == ""
    assert "psf sigma: -1.0" in reasons[4]
    assert reasons[6] == "same output as pairs[5]"
    assert report.records[0].output == str(root / "a.fits") and not (root / "a.fits").exists()


def test_unusable_pair_dicts_and_options_raise(data):
    root, _ = data
    good = _rows(data, "out")[0]
    with pytest.raises(batch.ManifestError, match=r"pairs\[1\]: unknown column\(s\) sci_var"):
        batch.run_pairs([good, {**good, "sci_var": "x.fits"}], base_dir=root)
    with pytest.raises(batch.ManifestError, match=r"pairs\[0\]: missing column\(s\) output"):
        batch.run_pairs([{k: v for k, v in good.items() if k != "output"}])
    with pytest.raises(ValueError, match="threads_per_pair: 0 must be"):
        batch.run_pairs([good], threads_per_pair=0)
    empty = batch.run_pairs([])
    assert (empty.done, empty.skipped, empty.failed) == (0, 0, 0)


def test_missing_dask_is_a_clear_error(monkeypatch, data, capsys):
    monkeypatch.setitem(sys.modules, "dask", None)  # makes `import dask` fail
    with pytest.raises(ImportError, match=r"pip install 'zogy\[dask\]'"):
        batch.run_pairs([], base_dir=data[0])
    manifest = _write_manifest(data[0] / "empty.csv", [])
    assert run_cli(["batch", str(manifest)]) == 2
    assert "pip install 'zogy[dask]'" in _one_error_line(capsys)


# --------------------------------------------------------------------------
# dask.distributed cluster
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes on loopback, no dashboard."""
    local = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
        dashboard_address=None,
        # Without a dashboard the scheduler still serves /health etc. on port 8787 and warns
        # (an error here) if that is taken, e.g. by a concurrent test run: any free port.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )  # fmt: skip
    try:
        yield local.scheduler_address
    finally:
        local.close()


def test_cluster_outputs_equal_serial_runs_bit_for_bit(data, cluster, serial):
    root, _ = data
    manifest = _write_manifest(root / "cluster.csv",
                               _rows(data, "cluster") + [_broken_row("cluster")])  # fmt: skip
    report = batch.run_manifest(manifest, scheduler=cluster)
    assert report.scheduler == cluster
    assert [r.status for r in report.records] == ["done"] * 3 + ["failed"]
    assert MISSING in report.records[3].reason
    for i in range(N_PAIRS):
        assert_identical(root / f"cluster/diff{i}.fits", serial[i])
    again = batch.run_manifest(manifest, scheduler=cluster, progress=True)
    assert (again.done, again.skipped, again.failed) == (0, 3, 1)


@pytest.mark.parametrize(
    ("address", "reason"),
    [("tcp://127.0.0.1:9", "Timed out"), ("localhost", "missing port number")],
)
def test_unreachable_scheduler_is_a_clear_error(data, address, reason):
    import dask

    good = _rows(data, "unused")[0]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConnectionError, match=f"{address}: cannot connect .*{reason}"):
            batch.run_pairs([good], base_dir=data[0], scheduler=address)


# --------------------------------------------------------------------------
# Manifests and the command line
# --------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="zogy")
    _cli_batch.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_exit_1_when_a_pair_failed(manifest, local_run, capsys):
    assert run_cli(["batch", str(manifest), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("batch: 0 done, 3 skipped, 1 failed (")
    (line,) = captured.err.splitlines()
    assert line.startswith("zogy batch: failed: manifest.csv:5: ") and MISSING in line


def test_cli_exit_0_and_json_report(data, local_run, tmp_path, capsys):
    root, _ = data
    manifest = _write_manifest(root / "good.csv", _rows(data, "out"))
    report = tmp_path / "report.json"
    argv = ["batch", str(manifest), "--report", str(report), "--threads-per-pair", "2"]
    assert run_cli(argv) == 0
    assert capsys.readouterr().out.startswith("batch: 0 done, 3 skipped, 0 failed (")
    written = json.loads(report.read_text())
    assert written["counts"] == {"done": 0, "skipped": 3, "failed": 0}
    assert [r["source"] for r in written["records"]] == ["good.csv:2", "good.csv:3", "good.csv:4"]


def test_cli_report_and_outputs_get_the_mode_of_a_plain_open(data, tmp_path, capsys):
    root, _ = data
    out = tmp_path / "out"
    manifest = _write_manifest(root / "modes.csv", _rows(data, str(out))[:1])
    report = tmp_path / "report.json"
    umask = os.umask(0o022)  # a fixed umask, so 0o644 is expected and 0o600 can be told apart
    try:
        assert run_cli(["batch", str(manifest), "--report", str(report), "--no-progress"]) == 0
    finally:
        os.umask(umask)
    capsys.readouterr()
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (report, out / "diff0.fits")}
    assert modes == {"report.json": 0o644, "diff0.fits": 0o644}
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no temporary file left


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    (line,) = captured.err.splitlines()
    assert line.startswith("zogy batch: error: ")
    return line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "cannot read the manifest (No such file or directory)"),
        ("", "empty manifest"),
        ("science,reference,output\na.fits,b.fits,c.fits\n", "needs PSF columns"),
        ("science,output,science_psf,reference_psf\n", "missing column(s) reference"),
        ("science,reference,output,psf\n", "unknown column(s) psf"),
        (b"science,reference\xff\n", "cannot read the manifest"),
    ],
)
def test_cli_exit_2_for_an_unusable_manifest(tmp_path, capsys, text, message):
    path = tmp_path / "pairs.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    assert run_cli(["batch", str(path)]) == 2
    line = _one_error_line(capsys)
    assert line.startswith(f"zogy batch: error: {path}: ") and message in line


def test_cli_exit_2_for_bad_options(manifest, capsys):
    assert run_cli(["batch", str(manifest), "--threads-per-pair", "0"]) == 2
    assert "threads_per_pair: 0 must be an integer >= 1" in _one_error_line(capsys)


def test_manifest_rows_keep_their_line_numbers_and_blank_cells(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Science, reference ,output,science_psf_sigma,reference_psf_sigma\n"
                    "\n"
                    "s.fits,r.fits,o.fits,2,3\n"
                    "s.fits,r.fits\n"
                    "s.fits,r.fits,o.fits,2,3,extra\n")  # fmt: skip
    rows = batch.read_manifest(path)
    assert [source for source, _ in rows] == ["m.csv:3", "m.csv:4", "m.csv:5"]
    assert rows[0][1] == {"science": "s.fits", "reference": "r.fits", "output": "o.fits",
                          "science_psf_sigma": "2", "reference_psf_sigma": "3"}  # fmt: skip
    assert rows[1][1]["output"] is None
    spec = batch.make_spec(rows[0][1], tmp_path, rows[0][0])
    assert spec.science == str(tmp_path / "s.fits") and spec.psf_sigma == (2.0, 3.0)
    with pytest.raises(ValueError, match="6 cells for 5 columns"):
        batch.make_spec(rows[2][1], tmp_path, rows[2][0])


# --------------------------------------------------------------------------
# A scheduler lost mid-batch
# --------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scheduler_killed_mid_batch_reports_complete_rows_done(tmp_path):
    """A scheduler killed (SIGKILL) after some outputs were written: the rows whose output is
    complete are done, every other row failed with one line, and no traceback is printed (all
    rows used to be reported failed, with distributed's reconnection tracebacks)."""
    import signal
    import subprocess

    rows = []
    for i in range(6):  # large enough that the batch is still running when the kill comes
        pair = make_pair(shape=(600, 620), n_sources=3, psf_stamp_shape=(31, 31), seed=i)
        io.write_pair(tmp_path / f"pair{i}", pair)
        rows.append({"science": f"pair{i}/science.fits", "reference": f"pair{i}/reference.fits",
                     "science_psf": f"pair{i}/science_psf.fits",
                     "reference_psf": f"pair{i}/reference_psf.fits",
                     "science_variance": f"pair{i}/science.fits[VARIANCE]",
                     "output": f"out/diff{i}.fits"})  # fmt: skip
    manifest = _write_manifest(tmp_path / "manifest.csv", rows)
    address = f"tcp://127.0.0.1:{_free_port()}"
    host_port = address.rsplit(":", 1)
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", host_port[1], "--dashboard-address", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    worker = None
    try:
        time.sleep(2)
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard", "--no-nanny"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        run = subprocess.Popen(
            [sys.executable, "-m", "zogy.cli", "batch", str(manifest), "--scheduler", address,
             "--report", str(tmp_path / "report.json")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while sum(io.output_complete(tmp_path / r["output"]) for r in rows) < 2:
            assert time.monotonic() < deadline and run.poll() is None, "the batch ended early"
            time.sleep(0.05)
        scheduler.send_signal(signal.SIGKILL)
        # And the worker: it would otherwise finish its pair after the batch has reported it.
        worker.send_signal(signal.SIGKILL)
        out, err = run.communicate(timeout=120)
    finally:
        for process in (worker, scheduler):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert run.returncode == 1, err
    assert "Traceback" not in err, err
    records = json.loads((tmp_path / "report.json").read_text())["records"]
    failed = [r for r in records if r["status"] == "failed"]
    assert failed, "every pair finished before the kill: nothing was tested"
    for record in records:
        complete = io.output_complete(record["output"])
        assert record["status"] == ("done" if complete else "failed"), record
    # one line each, naming the row
    assert sorted(err.strip().splitlines()) == sorted(
        f"zogy batch: failed: {r['source']}: {r['reason']}" for r in failed)
