"""Exceptions raised by zogy, and when.

- ``TypeError``: an argument has the wrong type (complex or boolean image, non-integer seed).
- ``InvalidArgument`` (a ``ValueError``): a value is unusable — wrong ndim, empty or mismatched
  shapes, a PSF that cannot be normalised or is larger than the image, negative or non-finite
  variance, unknown option, out-of-range seed or border, an image with no good pixels. The
  message starts with the argument's name and says what to change.
- ``NumericalError`` (a ``RuntimeError``): valid inputs for which the numbers cannot be formed
  (FFTW could not plan, say).
"""

from ._core import InvalidArgument, NumericalError

__all__ = ["InvalidArgument", "NumericalError"]
