"""The memory check (issue 12): its model against the peak RSS a call really adds, a refusal
that is reproducible (ZOGY_MEMORY_LIMIT) and says what would fit, and that advice followed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

import zogy
from zogy import _memory

MEASURE = """
import json, sys
import numpy as np
import zogy
from zogy import _memory
from zogy.simulate import gaussian_psf

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

n, dtype, variance, mode, inner = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
n = int(n)
g = np.random.default_rng(0)
science = g.normal(size=(n, n)).astype(dtype)
reference = g.normal(size=(n, n)).astype(dtype)
variances = {"scalar": (1.0, 2.0), "plane": ((1 + 0.1 * (science > 0)).astype(dtype),
             np.full((n, n), 2.0, dtype)), "none": (None, None)}[variance]
psf = gaussian_psf((41, 41), 2.5)
zogy.subtract(science[:80, :80].copy(), reference[:80, :80].copy(), psf, psf)  # warm up
options = dict(science_variance=variances[0], reference_variance=variances[1], threads=2,
               exact_variance=mode == "exact")
before = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # peak from here on
try:
    if inner == "-":
        result = zogy.subtract(science, reference, psf, psf, **options)
        model = (_memory.conversion_bytes(science.shape, (science, reference, *variances),
                                          (None, None))
                 + _memory.core_bytes(science.shape, result.padded_shape))
    else:
        zogy.subtract_grid(science, reference, psf, psf, grid_inner_size=int(inner), **options)
        model = None
except zogy.InvalidArgument as exc:
    print(json.dumps({"refused": str(exc)}))
    sys.exit(0)
print(json.dumps({"added": status("VmHWM") - before, "model": model}))
"""


def _measure(*args, limit=None):
    env = dict(os.environ)
    env.pop(_memory.ENVIRONMENT, None)
    if limit is not None:
        env[_memory.ENVIRONMENT] = str(limit)
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(MEASURE), *map(str, args)],
                         capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("dtype", "variance", "mode"), [
    ("float32", "scalar", "fast"),  # conversions and scalar planes: 10.3 planes, counted 9
    ("float64", "plane", "fast"),
    ("float64", "plane", "exact"),  # the most working planes
    ("float64", "none", "fast"),
])  # fmt: skip
def test_model_bounds_the_peak_a_call_adds(dtype, variance, mode):
    got = _measure(1536, dtype, variance, mode, "-")
    assert got["added"] <= got["model"], got
    assert got["model"] <= 1.5 * got["added"], got  # an upper bound, not a wild one


def test_refusal_is_reproducible_names_its_source_and_its_advice_fits():
    # Refused at 80 % of what the pair needs whole; the cutout it advises is subtracted under
    # the same limit and the peak RSS it adds stays below it.
    whole = _measure(1536, "float32", "scalar", "fast", "-")["model"]
    limit = int(0.8 * whole)
    refused = _measure(1536, "float32", "scalar", "fast", "-", limit=limit)["refused"]
    assert refused.startswith("science: subtracting this 1536x1536 pair needs about")
    assert "(ZOGY_MEMORY_LIMIT)" in refused
    side = int(re.search(r"cutouts of at most (\d+)x\1 pixels", refused).group(1))
    assert 64 <= side < 1536
    followed = _measure(side, "float32", "scalar", "fast", "-", limit=limit)
    assert "refused" not in followed, followed
    assert followed["added"] <= limit


def test_limit_with_units_and_a_bad_limit(monkeypatch):
    monkeypatch.setenv(_memory.ENVIRONMENT, "1.5G")
    assert _memory.available() == (int(1.5 * 2**30), _memory.ENVIRONMENT)
    monkeypatch.setenv(_memory.ENVIRONMENT, "plenty")
    with pytest.raises(zogy.InvalidArgument, match="^ZOGY_MEMORY_LIMIT: 'plenty'"):
        _memory.available()
