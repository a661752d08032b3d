"""Smoke tests: the benchmark commands run at a tiny size and print their ratio columns.

They check that the commands work, not how fast anything is (timings are not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script, *args):
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_subtract_prints_every_ratio_at_a_tiny_size(tmp_path):
    out = _run("bench_subtract.py", "--sizes", "96", "--repeats", "1", "--json",
               str(tmp_path / "rows.json"))  # fmt: skip
    header = out.splitlines()[1].split()
    for column in ("ours/floor", "exact/floor", "ref/ours", "peak/budget", "dV"):
        assert column in header, column
    (row,) = json.loads((tmp_path / "rows.json").read_text())
    assert row["size"] == 96
    for key in ("ours", "exact", "floor", "ratio", "exact_ratio", "reference", "peak_bytes",
                "budget_bytes"):
        assert row[key] > 0, key
    assert row["variance_change"] <= 1e-6  # the default's documented accuracy
    assert row["max_rel_diff"] <= 1e-9  # ours agrees with the reference it is timed against


def test_bench_grid_runs_at_a_tiny_size():
    out = _run("bench_grid.py", "--sizes", "160", "--threads", "1", "--repeats", "1")
    assert "ratio" in out and "seam vs whole" in out
