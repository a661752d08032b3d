"""A study's report folder (``summary.md``, ``result.json``, figures, ``.npy`` maps) and
the pieces its Markdown summaries share.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from .measurements import _matters_everywhere


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _study_dir(out, name) -> Path:
    folder = Path(out) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _finish(result, folder, paths, summary):
    """Write summary.md and result.json; return the result with every path recorded."""
    paths = dict(paths, summary=folder / "summary.md", json=folder / "result.json")
    paths["summary"].write_text(summary, encoding="utf-8")
    result = dataclasses.replace(result, paths={k: str(v) for k, v in paths.items()})
    _write_json(paths["json"], result.to_dict())
    return result


def _figure_list(paths) -> list[str]:
    return [f"![{name}]({Path(p).name})" for name, p in paths.items() if str(p).endswith(".png")]


def _fmt(value, spec=".3g") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def _at(profile, d):
    return profile[d] if d < len(profile) else math.nan


def _edge_width_sentence(band, shape) -> str:
    """The study's conclusion: how wide the band is, and how to flag it."""
    if _matters_everywhere(band, shape):
        return (
            "Padding matters **everywhere** in this image (the leak never falls below the "
            "tolerance), so flagging an edge band cannot help. With `kernel_guard=False` "
            "(LSST's kernels) this is the round-off leak the guard removes; with the guard "
            "on, PSFs with wide wings need a wider border."
        )
    return (
        f"Padding matters within **{band} px** of the image edge; use "
        f"`zogy.subtract(..., edge_width={band})` to flag that band (mask bit 4)."
    )
