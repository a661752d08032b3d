"""Reproducible ZOGY proper image subtraction (Zackay, Ofek & Gal-Yam 2016, ApJ 830:27).

The padding that the FFT needs is filled with counter-based (Philox) noise keyed by the seed
and each image's own content, so the same inputs and seed give the same bits every time.
"""

from . import rng
from ._core import __version__
from .api import ZogyResult, pad, subtract
from .errors import InvalidArgument, NumericalError
from .grid import GridResult, subtract_grid
from .metric import Metric1Result, metric1

__all__ = [
    "GridResult",
    "InvalidArgument",
    "Metric1Result",
    "NumericalError",
    "ZogyResult",
    "__version__",
    "metric1",
    "pad",
    "rng",
    "subtract",
    "subtract_grid",
]
