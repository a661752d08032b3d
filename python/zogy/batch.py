"""Many subtractions at once: a manifest of FITS pairs run through a Dask executor.

Needs dask (``pip install 'zogy[dask]'``) and astropy. Each pair is read, subtracted with
:func:`zogy.subtract` and written with :func:`zogy.io.write_result` inside one task, so a pair
gives the same bits here as with ``zogy subtract`` (the subtraction is bit-identical for any
thread count and any process).

Executors
---------
``scheduler=None`` (the default) runs the tasks on Dask's local **threaded** scheduler
(``dask.compute(..., scheduler="threads")``): it needs no cluster, no pickling and no
``if __name__ == "__main__"`` guard (Dask's process pool spawns, which re-imports an
unguarded calling script), and threads run in parallel because the C++ core releases the GIL
(FFTW's planner, the one piece of shared state, is behind a lock). ``scheduler="tcp://host:port"``
connects a ``distributed.Client`` to an existing ``dask.distributed`` scheduler and submits the
tasks there; the workers must have zogy installed and see the same file system as the caller
(paths are made absolute before they are sent).

Robustness
----------
A failing pair (missing file, wrong shape, any exception) is caught inside its task and
reported with its reason; the other pairs carry on. Outputs are written to a temporary name
and renamed, so an output that exists is complete: re-running skips it unless ``overwrite``.

Manifest
--------
CSV with a header row. Columns (case-insensitive; an empty cell means "not given"):

``science, reference, output``
    Required. Images may name an HDU: ``file.fits[1]`` or ``file.fits[SCI]``.
``science_psf, reference_psf`` or ``science_psf_sigma, reference_psf_sigma``
    PSF stamps (FITS) or Gaussian widths in pixels; each row gives exactly one of the two.
``science_variance, reference_variance, science_mask, reference_mask``
    Optional planes, as ``zogy subtract --sci-var`` etc.
``seed``
    Optional padding seed (default 0, as ``zogy subtract``).

Relative paths are relative to the manifest's directory. Output directories are created.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from . import _validate as v
from . import io
from ._progress import Progress

REQUIRED = ("science", "reference", "output")
PSF_STAMPS = ("science_psf", "reference_psf")
PSF_SIGMAS = ("science_psf_sigma", "reference_psf_sigma")
PLANES = ("science_variance", "reference_variance", "science_mask", "reference_mask")
#: Every column a manifest (or a pair dict) may have.
COLUMNS = REQUIRED + PSF_STAMPS + PSF_SIGMAS + PLANES + ("seed",)

STATUSES = ("done", "skipped", "failed")
_INSTALL_HINT = "zogy.batch needs dask: pip install 'zogy[dask]'"


class ManifestError(ValueError):
    """A manifest cannot be used at all; the message starts with the manifest's file name."""


@dataclass(frozen=True)
class PairSpec:
    """One pair, validated and with absolute paths: what a task receives.

    Attributes
    ----------
    source : str
        Where the pair came from, for messages: ``"manifest.csv:4"`` or ``"pairs[3]"``.
    science, reference, output : str
        Image specs (``file.fits`` or ``file.fits[HDU]``) and the output path.
    science_psf, reference_psf : str or None
        PSF stamp specs, or None when ``psf_sigma`` is given.
    psf_sigma : tuple of float or None
        Gaussian PSF widths (science, reference).
    science_variance, reference_variance, science_mask, reference_mask : str or None
        Optional plane specs.
    seed : int
        Padding seed.
    """

    source: str
    science: str
    reference: str
    output: str
    science_psf: str | None = None
    reference_psf: str | None = None
    psf_sigma: tuple[float, float] | None = None
    science_variance: str | None = None
    reference_variance: str | None = None
    science_mask: str | None = None
    reference_mask: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class PairRecord:
    """What happened to one pair.

    Attributes
    ----------
    source : str
        Where the pair came from (``"manifest.csv:4"``, ``"pairs[3]"``).
    output : str
        The output path (absolute), or ``""`` if the pair named none.
    status : {"done", "skipped", "failed"}
        Written; left alone because the output exists; or not written.
    reason : str
        Why it failed (or was skipped); ``""`` when done.
    seconds : float
        Time spent on the pair in its task.
    """

    source: str
    output: str
    status: str
    reason: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchReport:
    """The records of a batch, in manifest order, with counts and a JSON form.

    Attributes
    ----------
    records : tuple of PairRecord
        One per pair, in input order.
    scheduler : str
        ``"threads (N workers)"`` or the scheduler address.
    seconds : float
        Wall time of the whole batch.
    """

    records: tuple[PairRecord, ...]
    scheduler: str
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        """``{"done": n, "skipped": n, "failed": n}``."""
        counts = dict.fromkeys(STATUSES, 0)
        for record in self.records:
            counts[record.status] += 1
        return counts

    @property
    def done(self) -> int:
        """Number of outputs written."""
        return self.counts["done"]

    @property
    def skipped(self) -> int:
        """Number of outputs that existed and were left alone."""
        return self.counts["skipped"]

    @property
    def failed(self) -> int:
        """Number of pairs that could not be subtracted or written."""
        return self.counts["failed"]

    @property
    def ok(self) -> bool:
        """True if no pair failed."""
        return self.failed == 0

    def summary(self) -> str:
        """One line: ``batch: 3 done, 1 skipped, 1 failed (2.1 s, threads (2 workers))``."""
        return (f"batch: {self.done} done, {self.skipped} skipped, {self.failed} failed "
                f"({self.seconds:.1f} s, {self.scheduler})")  # fmt: skip

    def to_dict(self) -> dict:
        """Plain-Python form: counts, scheduler, seconds and the records."""
        return {
            "counts": dict(self.counts),
            "scheduler": self.scheduler,
            "seconds": self.seconds,
            "records": [asdict(r) for r in self.records],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent)


# --------------------------------------------------------------------------
# Manifest and pair specs
# --------------------------------------------------------------------------


def read_manifest(path: str | os.PathLike) -> list[tuple[str, dict]]:
    """The rows of a CSV manifest as ``(source, {column: cell or None})``.

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Returns
    -------
    list of (str, dict)
        ``source`` is ``"name.csv:LINE"``; empty cells are None.

    Raises
    ------
    ManifestError
        The file is unreadable, has no header, lacks a required column or names an unknown
        one (a typo would otherwise silently drop, say, a variance plane).
    """
    path = Path(path)
    try:
        # utf-8-sig: spreadsheets often start a CSV with a byte-order mark.
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _parse_manifest(csv.reader(handle), path)
    except ManifestError:
        raise
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ManifestError(f"{path}: cannot read the manifest ({reason})") from None


def _parse_manifest(reader, path: Path) -> list[tuple[str, dict]]:
    header = next(reader, None)
    if not header:
        raise ManifestError(f"{path}: empty manifest; the first line must name the columns "
                            f"({', '.join(REQUIRED)}, ...)")  # fmt: skip
    columns = [name.strip().lower() for name in header]
    _check_columns(columns, str(path))
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        source = f"{path.name}:{reader.line_num}"
        row = {name: _cell(cells[i]) if i < len(cells) else None for i, name in enumerate(columns)}
        if len(cells) > len(columns):
            # Kept as a row so that it is reported as a failed pair, not silently truncated.
            row["__error__"] = f"{len(cells)} cells for {len(columns)} columns"
        rows.append((source, row))
    return rows


def _cell(text: str) -> str | None:
    text = text.strip()
    return text or None


def _check_columns(columns, label: str) -> None:
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise ManifestError(f"{label}: unknown column(s) {', '.join(unknown)}; "
                            f"known: {', '.join(COLUMNS)}")  # fmt: skip
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ManifestError(f"{label}: missing column(s) {', '.join(missing)}")
    if not (set(PSF_STAMPS) <= set(columns) or set(PSF_SIGMAS) <= set(columns)):
        raise ManifestError(f"{label}: needs PSF columns {', '.join(PSF_STAMPS)} "
                            f"or {', '.join(PSF_SIGMAS)}")  # fmt: skip


def _given(value) -> bool:
    return value is not None and str(value).strip() != ""


def _resolve(base: Path, value) -> str:
    """An absolute path (HDU suffix kept): remote workers do not share our working directory."""
    text = os.path.expanduser(str(value).strip())
    return text if os.path.isabs(text) else str(base / text)


def _seed(value) -> int:
    if isinstance(value, bool):
        raise ValueError(f"seed: {value!r} is not an integer")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"seed: {value!r} is not an integer") from None


def _psf_fields(row: dict, base: Path) -> dict:
    stamps = [_given(row.get(k)) for k in PSF_STAMPS]
    sigmas = [_given(row.get(k)) for k in PSF_SIGMAS]
    if all(stamps) and not any(sigmas):
        return {k: _resolve(base, row[k]) for k in PSF_STAMPS}
    if all(sigmas) and not any(stamps):
        try:
            return {"psf_sigma": tuple(float(row[k]) for k in PSF_SIGMAS)}
        except (TypeError, ValueError):
            raise ValueError(f"psf sigma: {row[PSF_SIGMAS[0]]!r}, {row[PSF_SIGMAS[1]]!r} "
                             "are not numbers") from None  # fmt: skip
    raise ValueError(f"PSF: give both {' and '.join(PSF_STAMPS)} or both "
                     f"{' and '.join(PSF_SIGMAS)}, not a mix")  # fmt: skip


def make_spec(row: dict, base: str | os.PathLike, source: str) -> PairSpec:
    """Validate one manifest row or pair dict into a :class:`PairSpec`.

    Parameters
    ----------
    row : dict
        Column -> value; None or an empty string means "not given".
    base : str or path-like
        Directory that relative paths are relative to.
    source : str
        Label for messages.

    Raises
    ------
    ValueError
        A required value is missing, the PSFs are not given exactly one way, or a number does
        not parse. (Files are not opened here; that happens in the task.)
    """
    if row.get("__error__"):
        raise ValueError(row["__error__"])
    base = Path(base)
    missing = [name for name in REQUIRED if not _given(row.get(name))]
    if missing:
        raise ValueError(f"empty {', '.join(missing)}")
    fields = {name: _resolve(base, row[name]) for name in REQUIRED}
    fields.update(_psf_fields(row, base))
    fields.update({k: _resolve(base, row[k]) for k in PLANES if _given(row.get(k))})
    if _given(row.get("seed")):
        fields["seed"] = _seed(row["seed"])
    return PairSpec(source=source, **fields)


# --------------------------------------------------------------------------
# The task
# --------------------------------------------------------------------------


def _optional(spec: str | None, what: str):
    return None if spec is None else io.read_array(spec, what)[0]


def _subtract(spec: PairSpec, threads: int):
    """Read and subtract one pair exactly as ``zogy subtract`` does."""
    from .api import subtract

    science, header = io.read_array(spec.science, "science image")
    reference, _ = io.read_array(spec.reference, "reference image")
    if spec.psf_sigma is not None:
        psfs = tuple(io.gaussian_psf(s) for s in spec.psf_sigma)
    else:
        psfs = io.read_psf(spec.science_psf), io.read_psf(spec.reference_psf)
    result = subtract(
        science, reference, *psfs,
        science_variance=_optional(spec.science_variance, "science variance"),
        reference_variance=_optional(spec.reference_variance, "reference variance"),
        science_mask=_optional(spec.science_mask, "science mask"),
        reference_mask=_optional(spec.reference_mask, "reference mask"),
        seed=spec.seed, threads=threads,
    )  # fmt: skip
    return result, header


def _reason(exc: BaseException) -> str:
    # zogy's own messages already name the file or argument; others need their type to be read.
    if isinstance(exc, (io.FitsInputError, ValueError, TypeError, OSError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_pair(spec: PairSpec, *, overwrite: bool = False, threads: int = 1) -> PairRecord:
    """Subtract one pair and write its output atomically; never raises for the pair's faults.

    Parameters
    ----------
    spec : PairSpec
        The pair.
    overwrite : bool
        Replace an existing output instead of skipping the pair.
    threads : int
        Threads for :func:`zogy.subtract` (the result does not depend on it).

    Returns
    -------
    PairRecord
        ``"skipped"`` if the output exists and not ``overwrite``; ``"failed"`` with the
        reason if anything raised; else ``"done"``.
    """
    start = time.perf_counter()

    def record(status: str, reason: str = "") -> PairRecord:
        return PairRecord(spec.source, spec.output, status, reason, time.perf_counter() - start)

    # Checked here, not by the caller, because the task may run on a machine of its own.
    if not overwrite and os.path.exists(spec.output):
        if io.output_complete(spec.output):
            return record("skipped", "output exists")
        return record("failed", f"{spec.output}: exists but is not a complete zogy output; "
                                "pass overwrite=True (--overwrite) to replace it")
    try:
        result, header = _subtract(spec, threads)
        os.makedirs(os.path.dirname(spec.output) or ".", exist_ok=True)
        io.write_result(spec.output, result, header, overwrite=overwrite)
    except Exception as exc:  # noqa: BLE001 - one bad pair must not stop the batch
        return record("failed", _reason(exc))
    return record("done")


# --------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------


def _import(name: str):
    try:
        return __import__(name)
    except ImportError as exc:
        raise ImportError(f"{_INSTALL_HINT} (import {name} failed: {exc})") from exc


def _local_workers(workers: int | None, threads_per_pair: int) -> int:
    if workers is not None:
        return workers
    # Keep pairs x threads within the CPUs this process may use.
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cpus or 1) // threads_per_pair)


def _run_local(specs, options: dict, workers: int, progress: Progress) -> list[PairRecord]:
    """Dask's threaded scheduler in this process (see the module docstring for why)."""
    dask = _import("dask")
    from dask.callbacks import Callback

    # Named keys, so that the progress callback counts pairs and not Dask's helper tasks.
    keys = [f"zogy-pair-{i}" for i in range(len(specs))]
    tasks = [dask.delayed(run_pair, pure=False)(spec, dask_key_name=key, **options)
             for spec, key in zip(specs, keys)]  # fmt: skip
    wanted = set(keys)

    class Ticks(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):
            if key in wanted:
                progress.update()

    with Ticks():
        return list(dask.compute(*tasks, scheduler="threads", num_workers=workers))


def _run_distributed(specs, options: dict, address: str, progress: Progress) -> list[PairRecord]:
    """Submit to an existing ``dask.distributed`` scheduler; the cluster is left running."""
    distributed = _import("distributed")
    from distributed.comm import get_address_host_port

    try:
        # Checked first: a Client that fails on a malformed address prints a traceback when
        # it is garbage-collected.
        get_address_host_port(address)
        # Not made the default client: it must not capture the caller's other dask work.
        client = distributed.Client(address, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ConnectionError(f"{address}: cannot connect to the dask scheduler ({exc})") from None
    # A scheduler lost mid-batch is reported row by row (below), not as distributed's
    # reconnection tracebacks.
    with _quiet_connection_errors(), client:
        futures = client.map(run_pair, specs, pure=False, **options)
        try:
            for _ in distributed.as_completed(futures, loop=client.loop):
                progress.update()
        except (OSError, TimeoutError, asyncio.CancelledError, concurrent.futures.CancelledError):
            pass  # the scheduler is gone: each row's fate comes from its output below
        return [_collect(future, spec) for future, spec in zip(futures, specs)]


class _ConnectionErrors(logging.Filter):
    """Drops distributed's log records of failed (re)connections, which carry tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (OSError, TimeoutError, asyncio.CancelledError,
                                      concurrent.futures.CancelledError))


@contextlib.contextmanager
def _quiet_connection_errors():
    loggers = [logging.getLogger(name) for name in ("distributed.client", "distributed.utils",
                                                    "distributed.core")]  # fmt: skip
    quiet = _ConnectionErrors()
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def _collect(future, spec: PairSpec) -> PairRecord:
    # run_pair catches the pair's own errors; what is left is the cluster's (a worker died, the
    # scheduler was lost, the workers cannot import zogy): still one pair's outcome, not the
    # batch's. A pair whose output is complete was done, whatever became of its report.
    try:
        if future.status in ("finished", "error"):  # "error": the exception names the cause
            return future.result(timeout=60)
        reason = f"not finished: its task was {future.status} (the scheduler was lost?)"
    except (Exception, asyncio.CancelledError, concurrent.futures.CancelledError) as exc:  # noqa: BLE001
        reason = f"task lost: {_reason(exc)}"
    if io.output_complete(spec.output):
        return PairRecord(spec.source, spec.output, "done",
                          "output complete; its report was lost with the scheduler")
    return PairRecord(spec.source, spec.output, "failed", reason)


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def _specs(pairs, base: Path) -> tuple[list, list]:
    """Pair specs to run and records of the pairs that fail before running, both indexed."""
    specs, failed, seen = [], [], {}
    for index, (source, row) in enumerate(pairs):
        try:
            spec = make_spec(row, base, source)
        except ValueError as exc:
            output = _resolve(base, row["output"]) if _given(row.get("output")) else ""
            failed.append((index, PairRecord(source, output, "failed", str(exc))))
            continue
        key = os.path.normcase(os.path.normpath(spec.output))
        if key in seen:
            # Two tasks writing one file would race; the first row wins.
            reason = f"same output as {seen[key]}"
            failed.append((index, PairRecord(source, spec.output, "failed", reason)))
            continue
        seen[key] = source
        specs.append((index, spec))
    return specs, failed


def _labelled(pairs) -> list[tuple[str, dict]]:
    labelled = []
    for i, row in enumerate(pairs):
        if not isinstance(row, Mapping):
            raise TypeError(f"pairs[{i}]: expected a dict of columns, got {type(row).__name__}")
        _check_columns([str(k).lower() for k in row], f"pairs[{i}]")
        labelled.append((f"pairs[{i}]", {str(k).lower(): v for k, v in row.items()}))
    return labelled


def run_pairs(
    pairs,
    *,
    base_dir: str | os.PathLike | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    threads_per_pair: int = 1,
    workers: int | None = None,
    progress: bool = False,
) -> BatchReport:
    """Subtract many pairs given as dicts with the manifest's columns.

    Parameters
    ----------
    pairs : iterable of dict
        One dict per pair, keys as the manifest columns (:data:`COLUMNS`); None or ``""``
        means "not given". Paths may be str or path-like.
    base_dir : str or path-like, optional
        Directory that relative paths are relative to (default: the working directory).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler (``"tcp://host:8786"``). None: Dask's
        threaded scheduler in this process.
    overwrite : bool
        Replace existing outputs instead of skipping their pairs.
    threads_per_pair : int
        Threads given to each :func:`zogy.subtract` (results do not depend on it).
    workers : int, optional
        Pairs run at once by the local scheduler (default: usable CPUs // threads_per_pair).
        Ignored with ``scheduler``, whose cluster decides.
    progress : bool
        Show a tqdm progress bar on stderr (if tqdm is installed).

    Returns
    -------
    BatchReport
        One record per pair, in input order.

    Raises
    ------
    ManifestError
        A dict has an unknown key or lacks a required one or the PSF keys.
    TypeError
        An item of ``pairs`` is not a mapping.
    ValueError
        ``threads_per_pair`` or ``workers`` below 1.
    ImportError
        dask (or, with ``scheduler``, distributed) is not installed.
    ConnectionError
        The scheduler cannot be reached.
    """
    return _run(_labelled(pairs), base_dir, scheduler, overwrite, threads_per_pair, workers,
                progress)  # fmt: skip


def run_manifest(
    path: str | os.PathLike,
    *,
    scheduler: str | None = None,
    overwrite: bool = False,
    threads_per_pair: int = 1,
    workers: int | None = None,
    progress: bool = False,
) -> BatchReport:
    """Subtract every pair of a CSV manifest (see the module docstring for its columns).

    Relative paths in the manifest are relative to its directory. The other parameters,
    the return value and the errors are those of :func:`run_pairs`; an unreadable or
    malformed manifest raises :class:`ManifestError`. Problems of a single row (an empty
    required cell, a seed that is not a number) fail that pair only.
    """
    path = Path(path)
    rows = read_manifest(path)
    return _run(rows, path.absolute().parent, scheduler, overwrite, threads_per_pair, workers,
                progress)  # fmt: skip


def _run(rows, base_dir, scheduler, overwrite, threads_per_pair, workers, progress):
    scheduler = scheduler or None  # "" from a config file means "no address": run locally
    threads_per_pair = v.count(threads_per_pair, "threads_per_pair", 1)
    workers = _local_workers(None if workers is None else v.count(workers, "workers", 1),
                             threads_per_pair)  # fmt: skip
    # Fail early and clearly, even for a batch with nothing to run.
    _import("dask")
    if scheduler is not None:
        _import("distributed")
    base = Path.cwd() if base_dir is None else Path(base_dir).absolute()
    start = time.perf_counter()
    indexed, records = _specs(rows, base)
    specs = [spec for _, spec in indexed]
    options = {"overwrite": bool(overwrite), "threads": threads_per_pair}
    with Progress(len(specs), progress, desc="batch", unit="pair") as bar:
        if not specs:
            results = []
        elif scheduler is None:
            results = _run_local(specs, options, workers, bar)
        else:
            results = _run_distributed(specs, options, scheduler, bar)
    records += [(index, record) for (index, _), record in zip(indexed, results)]
    ordered = tuple(record for _, record in sorted(records, key=lambda item: item[0]))
    label = scheduler or f"threads ({workers} worker{'s' * (workers != 1)})"
    return BatchReport(ordered, label, time.perf_counter() - start)
