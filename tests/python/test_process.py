"""The core inside a whole process: fork() while threads subtract, interpreter exit while
daemon threads are inside a call, and a floating-point environment set by someone else."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest

import zogy
from zogy import _core
from zogy.simulate import gaussian_psf


def _digest(result) -> str:
    h = hashlib.sha256()
    for name in ("difference", "difference_variance", "scorr", "flux", "flux_err", "psf"):
        h.update(np.ascontiguousarray(getattr(result, name)).tobytes())
    return h.hexdigest()


def _pair(shape, seed):
    g = np.random.default_rng(seed)
    science, reference = g.normal(size=shape), g.normal(size=shape)
    variance = 1.0 + 0.2 * (g.random(shape) > 0.5)  # not constant: the tiled variance path
    return science, reference, variance


PSF_N, PSF_R = gaussian_psf((15, 15), 2.0), gaussian_psf((11, 11), 1.5)


def _subtract(science, reference, variance, **options):
    return zogy.subtract(science, reference, PSF_N, PSF_R, science_variance=variance,
                         reference_variance=1.0, threads=2, **options)  # fmt: skip


def _churn(stop: threading.Event, seed: int) -> None:
    """Subtractions of ever new shapes: FFT planning (FFTW's planner lock), plan-cache
    evictions and column-plan locks, all the time."""
    g = np.random.default_rng(seed)
    while not stop.is_set():
        n = 60 + int(g.integers(0, 200))
        a = g.normal(size=(n, n + 7))
        _subtract(a, a[::-1].copy(), np.abs(a) + 1.0)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_fork_while_threads_subtract_children_finish_with_the_parents_bits():
    # multiprocessing forks by default on Linux up to Python 3.13: a lock held by another
    # thread at fork() time used to stay locked in the child for ever (7-9 of 60 hung).
    science, reference, variance = _pair((128, 136), 1)
    expected = _digest(_subtract(science, reference, variance))
    stop = threading.Event()
    busy = [threading.Thread(target=_churn, args=(stop, k), daemon=True) for k in range(2)]
    for t in busy:
        t.start()
    pids = []
    try:
        time.sleep(0.2)
        with warnings.catch_warnings():  # Python >= 3.12 warns about forking threads
            warnings.simplefilter("ignore", DeprecationWarning)
            for _ in range(60):
                pid = os.fork()
                if pid == 0:  # the child: one subtraction, then leave without cleanup
                    try:
                        same = _digest(_subtract(science, reference, variance)) == expected
                        os._exit(0 if same else 1)
                    except BaseException:
                        os._exit(2)
                pids.append(pid)
                time.sleep(0.005)
    finally:
        stop.set()
        for t in busy:
            t.join()
    codes, deadline = {}, time.monotonic() + 60
    while len(codes) < len(pids) and time.monotonic() < deadline:
        for pid in pids:
            if pid not in codes:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    codes[pid] = os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    hung = [pid for pid in pids if pid not in codes]
    for pid in hung:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert not hung, f"{len(hung)} of 60 children hung"
    assert sorted(codes.values()) == [0] * 60  # every child reproduced the parent's bits


EXIT_SCRIPT = """
import sys, threading, time
import numpy as np
import zogy
from zogy.simulate import gaussian_psf

g = np.random.default_rng(0)
science, reference = g.normal(size=(384, 384)), g.normal(size=(384, 384))
variance = 1.0 + 0.1 * (science > 0)
psf = gaussian_psf((21, 21), 2.0)
inside = threading.Barrier(3)

def work():
    inside.wait()
    while True:
        zogy.subtract(science, reference, psf, psf, science_variance=variance, threads=2)

if sys.argv[1] == "daemon":
    for _ in range(2):
        threading.Thread(target=work, daemon=True).start()
else:
    from multiprocessing.pool import ThreadPool
    pool = ThreadPool(2)
    for _ in range(2):
        pool.apply_async(work)
inside.wait()
time.sleep(0.2)  # both threads are inside a call (most of a call is in C++)
"""


@pytest.mark.parametrize("threads", ["daemon", "thread-pool"])
def test_interpreter_exit_with_threads_inside_a_call(threads):
    # It used to die with SIGABRT ("terminate called without an active exception") or SIGSEGV.
    for _ in range(3):
        run = subprocess.run([sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), threads],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]


def test_flush_to_zero_set_by_another_library_changes_no_bit():
    # Values near the bottom of the double range (zero padding: nothing lifts them), so that
    # the transforms produce subnormal numbers: flush-to-zero / denormals-are-zero would turn
    # them into zeros and other bits.
    science, reference, _ = _pair((96, 104), 3)
    science, reference = science * 1e-305, reference * 1e-305

    def run():
        result = zogy.subtract(science, reference, PSF_N, PSF_R, science_variance=1.0,
                               reference_variance=1.0, padding="zero", threads=2)  # fmt: skip
        return _digest(result)

    expected = run()

    def with_flush_to_zero():
        if not _core._set_flush_to_zero(True):
            pytest.skip("no flush-to-zero bits on this CPU")
        try:
            tiny = np.array([1e-310])
            assert (tiny * 1.0)[0] == 0.0  # the hook really acts on this thread's arithmetic
            digest = run()
            assert (tiny * 1.0)[0] == 0.0  # and the caller's environment is given back
            return digest
        finally:
            _core._set_flush_to_zero(False)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(with_flush_to_zero).result() == expected
