"""Seed studies: how much does re-drawing the padding noise change a ZOGY subtraction?

The LSST notebook (``seed/random-padding-notebook.md``) re-ran ZOGY on the same pair with an
unseeded padding generator and saw output pixels move by up to ~0.1 and Metric1 change by
10-20 %; with the inputs swapped the metric changed too. Three studies answer that question
for any image pair:

- :func:`repeat` -- the same pair subtracted K times, first with one padding seed (outputs must
  be identical), then with a fresh padding seed per run (the notebook's situation).
- :func:`reverse` -- D(sci, ref) against D(ref, sci), with our padding and with the two legacy
  LSST seeding schemes emulated (``padding="legacy-shared"`` / ``"legacy-per-image"``).
- :func:`padding` -- the same pair under other padding modes, border widths, FFT size rules
  and with the kernel guard off: edge artefacts, the padding leak profile, Metric1, time. It
  ends with the width of the band, next to the image edge, inside which the padding noise
  still matters.

Each study returns a frozen dataclass whose ``to_dict()`` holds every number (JSON-safe), and
with ``out=DIR`` writes ``DIR/<study>/`` with ``result.json``, ``summary.md``, PNG figures and
the large maps as ``.npy`` files.

Definitions used throughout
---------------------------
- distance from the edge of pixel ``(y, x)`` in an ``(H, W)`` image:
  ``min(y, x, H - 1 - y, W - 1 - x)``.
- D's noise RMS ``sigma_D``: square root of the median of ``difference_variance``.
- leak profile: at each distance d, the RMS over the compared seed pairs and over the pixels at
  distance d of ``D_seed_k - D_seed_0``, divided by ``sigma_D``.
- band width: the padding "matters" at distance d when the leak profile exceeds ``tolerance``
  (default 1e-3); the band is ``1 + `` the largest such d (0 if none), so
  ``zogy.subtract(..., edge_width=band)`` flags exactly those pixels.
- sign flips: Metric1 cutout pixels (radius ``radius``) whose sign differs between run 0 and
  run k.

Modules
-------
One per study (``repeat_study``, ``reverse_study``, ``padding_study``), and what they
share: ``pairs`` (the pairs and their subtraction), ``measurements`` (the definitions above),
``legacy_padding`` (the emulated LSST schemes), ``json_safe`` (JSON-safe values), ``report``
(the report folder) and ``tables`` (what the command line prints).
"""

# The study modules are named <study>_study so that zogy.study.repeat (the function, as before
# the package existed) shadows no module.
from .legacy_padding import LEGACY_SCHEMES, legacy_subtract
from .measurements import DEFAULT_TOLERANCE, band_width, distance_from_edge, notebook_lines
from .padding_study import PaddingResult, padding, padding_configs  # noqa: F401 - public, not in __all__
from .pairs import ImagePair, default_pair, describe_pair
from .repeat_study import RepeatResult, repeat
from .reverse_study import SCHEMES, ReverseResult, reverse

__all__ = [
    "DEFAULT_TOLERANCE",
    "LEGACY_SCHEMES",
    "SCHEMES",
    "ImagePair",
    "PaddingResult",
    "RepeatResult",
    "ReverseResult",
    "band_width",
    "default_pair",
    "describe_pair",
    "distance_from_edge",
    "legacy_subtract",
    "notebook_lines",
    "padding",
    "repeat",
    "reverse",
]
