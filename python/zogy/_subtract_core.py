"""The one call into the C++ subtraction, shared by :func:`zogy.subtract` and every cell of
:func:`zogy.subtract_grid`: the options they hand over, and ``_core.subtract`` with them."""

from __future__ import annotations

from dataclasses import dataclass

from . import _core


@dataclass(frozen=True)
class CoreOptions:
    """The options of one subtraction that every cell of a grid shares, validated by the entry
    point (each in the order it documents its checks)."""

    seed: int
    padding: str
    fft_size: str
    flux_scales: tuple[float, float]
    kernel_guard: bool
    blank_near_bad: bool
    exact_variance: bool


def run_core(science, reference, science_psf, reference_psf, *, variances, masks,
             options: CoreOptions, border, threads: int, cell=None,
             summaries=(None, None)) -> dict:  # fmt: skip
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
