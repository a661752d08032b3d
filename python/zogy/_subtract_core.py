"""The one call into the C++ subtraction, shared by :func:`zogy.subtract` and every cell of
:func:`zogy.subtract_grid`: the options both validate alike, and ``_core.subtract`` with them."""

from __future__ import annotations

from dataclasses import dataclass

from . import _core
from . import _validate as v
from .results import FFT_SIZE_RULES, PADDING_MODES


@dataclass(frozen=True)
class CoreOptions:
    """The validated options of one subtraction that every cell of a grid shares."""

    seed: int
    padding: str
    fft_size: str
    flux_scales: tuple[float, float]
    kernel_guard: bool
    blank_near_bad: bool
    exact_variance: bool


def core_options(*, seed, padding, fft_size, flux_scales, kernel_guard, blank_near_bad,
                 exact_variance) -> CoreOptions:
    """Check the user's options (errors name the argument) and normalise them."""
    seed = v.seed_value(seed)
    padding = v.choice(padding, PADDING_MODES, "padding")
    fft_size = v.choice(fft_size, FFT_SIZE_RULES, "fft_size")
    flux_scales = v.positive_pair(flux_scales, "flux_scales")
    v.flags(kernel_guard=kernel_guard, exact_variance=exact_variance,
            blank_near_bad=blank_near_bad)
    return CoreOptions(seed, padding, fft_size, flux_scales, bool(kernel_guard),
                       bool(blank_near_bad), bool(exact_variance))


def run(science, reference, science_psf, reference_psf, *, variances, masks,
        options: CoreOptions, border, threads: int, cell=None, summaries=(None, None)) -> dict:
    """``_core.subtract`` on validated float64 arrays: the dict of outputs it returns.

    ``variances``, ``masks``, ``summaries``: (science, reference) pairs, None where absent;
    ``border``: (rows, columns), -1 for the default rule; ``cell``: a grid cell's frame.
    """
    return _core.subtract(
        science, reference, science_psf, reference_psf,
        science_variance=variances[0], reference_variance=variances[1],
        science_mask=masks[0], reference_mask=masks[1],
        seed=options.seed, padding=options.padding, fft_size=options.fft_size,
        border_y=border[0], border_x=border[1],
        flux_n=options.flux_scales[0], flux_r=options.flux_scales[1],
        kernel_guard=options.kernel_guard, blank_grown=options.blank_near_bad,
        threads=threads, cell=cell, exact_variance=options.exact_variance,
        science_summary=summaries[0], reference_summary=summaries[1],
    )  # fmt: skip
