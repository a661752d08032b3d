"""Type stubs of the C++ extension (hand-written; keep in step with src/bindings/)."""

from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str

class InvalidArgument(ValueError): ...
class NumericalError(RuntimeError): ...

def raw(key: list[int], counter: list[int], n: int) -> npt.NDArray[np.uint64]: ...
def normal(key: list[int], counter: list[int], n: int) -> npt.NDArray[np.float64]: ...
def digest(
    image: npt.NDArray[np.float64], variance: npt.NDArray[np.float64] | None = ...
) -> int: ...
def smooth_size(n: int) -> int: ...
def pow2_size(n: int) -> int: ...
def time_fft_floor(rows: int, cols: int, threads: int, repeats: int) -> float: ...
def subtract(
    science: npt.NDArray[np.float64],
    reference: npt.NDArray[np.float64],
    science_psf: npt.NDArray[np.float64],
    reference_psf: npt.NDArray[np.float64],
    *,
    science_variance: npt.NDArray[np.float64] | None,
    reference_variance: npt.NDArray[np.float64] | None,
    science_mask: npt.NDArray[np.uint8] | None,
    reference_mask: npt.NDArray[np.uint8] | None,
    seed: int,
    padding: str,
    fft_size: str,
    border_y: int,
    border_x: int,
    flux_n: float,
    flux_r: float,
    kernel_guard: bool,
    blank_grown: bool,
    threads: int,
    cell: tuple[int, int, int, int, int, int] | None = ...,
    exact_variance: bool = ...,
    science_summary: dict[str, Any] | None = ...,
    reference_summary: dict[str, Any] | None = ...,
) -> dict[str, Any]: ...

PEAK_PLANES: int
MAX_SIDE: int
MASK_SCIENCE_BAD: int
MASK_REFERENCE_BAD: int
MASK_EDGE: int
MASK_NEAR_BAD: int
def padded_image(
    image: npt.NDArray[np.float64],
    variance: npt.NDArray[np.float64] | None,
    mask: npt.NDArray[np.uint8] | None,
    seed: int,
    padding: str,
    fft_size: str,
    border_y: int,
    border_x: int,
) -> dict[str, Any]: ...
def image_summary(
    image: npt.NDArray[np.float64],
    variance: npt.NDArray[np.float64] | None,
    mask: npt.NDArray[np.uint8] | None,
    role: str,
) -> dict[str, Any]: ...
def metric1(
    image: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    radius: int,
    sigma: float,
) -> dict[str, Any]: ...
