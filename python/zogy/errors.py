"""Exceptions raised by zogy, and when.

- ``TypeError``: an argument has the wrong type (complex or boolean image, non-integer seed).
- ``InvalidArgument`` (a ``ValueError``): a value is unusable — wrong ndim, empty or mismatched
  shapes, a PSF that cannot be normalised or is larger than the image, negative or non-finite
  variance, unknown option, out-of-range seed or border, an image with no good pixels. The
  message starts with the argument's name and says what to change.
- ``NumericalError`` (a ``RuntimeError``): valid inputs for which the numbers cannot be formed:
  FFTW could not plan; an image's noise variance or its outputs cannot be represented in
  double precision in the inputs' own units (noise beyond ~1e154), or its pixels span more
  than the double range around its noise. Never silent zeros, infinities or NaNs instead.
"""

from ._core import InvalidArgument, NumericalError

__all__ = ["InvalidArgument", "NumericalError"]
