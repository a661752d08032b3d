"""zogy.grid.subtract_grid: seams against the whole image, reproducibility, varying PSFs, errors.

The PSF stamps are 41x41 for sigma 2.0 / 2.6 (the PSF to ~8 sigma). A 21x21 stamp truncates a
sigma-2.6 Gaussian at 3.8 sigma; the D kernels are then far from local and the whole-image
difference itself moves by ~0.5 sigma in the interior when only its border changes, so no grid
can match it to 1e-6 (score and scorr still agree to ~1e-5).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import zogy
from scenarios import digest_of
from zogy.grid import (
    GridResult,
    blend_weights,
    default_border,
    default_inner_size,
    grid_cells,
    psf_sigma,
    subtract_grid,
)
from zogy.simulate import gaussian_psf

SHAPE = (200, 230)
STAMP = (41, 41)
PLANES = ("difference", "difference_variance", "score", "score_variance", "scorr", "flux",
          "flux_err", "mask")  # fmt: skip


def _scene(seed: int = 1, shape=SHAPE, sigma_n=2.0, sigma_r=2.6):
    """Noise around a sky level plus 30 point sources, PSF-convolved in each image."""
    g = np.random.default_rng(seed)
    height, width = shape
    yy, xx = np.mgrid[:height, :width]
    sci = g.normal(100.0, 3.0, shape)
    ref = g.normal(50.0, 1.5, shape)
    for _ in range(30):
        y, x, flux = g.uniform(0, height), g.uniform(0, width), g.uniform(200, 3000)
        r2 = (yy - y) ** 2 + (xx - x) ** 2
        sci += flux * np.exp(-r2 / (2 * sigma_n**2)) / (2 * np.pi * sigma_n**2)
        ref += flux * np.exp(-r2 / (2 * sigma_r**2)) / (2 * np.pi * sigma_r**2)
    return sci, ref


@pytest.fixture(scope="module")
def scene():
    sci, ref = _scene()
    return sci, ref, gaussian_psf(STAMP, 2.0), gaussian_psf(STAMP, 2.6)


def _bytes(result) -> bytes:
    return b"".join(np.ascontiguousarray(getattr(result, name)).tobytes() for name in PLANES)


def _noise(result) -> float:
    return float(np.sqrt(np.nanmedian(result.difference_variance)))


# --- geometry ------------------------------------------------------------------------------


def test_cells_tile_the_image_once():
    cells = grid_cells((200, 230), (64, 64), (52, 52))
    count = np.zeros((200, 230), int)
    for (y0, y1, x0, x1), (oy0, oy1, ox0, ox1), frame in cells:
        count[y0:y1, x0:x1] += 1
        top, bottom, left, right, origin_y, origin_x = frame
        assert (origin_y, origin_x) == (oy0, ox0)
        # padding + real data = border on every side
        assert top + (y0 - oy0) == bottom + (oy1 - y1) == 52
        assert left + (x0 - ox0) == right + (ox1 - x1) == 52
    assert np.all(count == 1)
    assert len(cells) == 9  # 200 // 64 = 230 // 64 = 3; the last cells take the remainder
    assert cells[-1][0] == (128, 200, 128, 230)
    assert grid_cells((50, 40), (64, 64), (5, 5))[0][0] == (0, 50, 0, 40)  # one cell


def test_default_border_and_inner_size():
    narrow, wide = gaussian_psf(STAMP, 2.0), gaussian_psf(STAMP, 2.6)
    assert abs(psf_sigma(wide) - 2.6) < 1e-6
    assert default_border([narrow, wide]) == (52, 52)  # ceil(20 * 2.6)
    assert default_border([gaussian_psf((61, 45), 1.0)]) == (61, 45)  # the stamp side
    assert default_inner_size((52, 10)) == (208, 64)


def test_blend_weights_partition_of_unity():
    length, size, blend = 230, 64, 9
    total = np.zeros(length)
    for start, stop in ((0, 64), (64, 128), (128, 230)):
        first, w, alone = blend_weights(start, stop, length, blend)
        total[first:first + len(w)] += w
        assert np.all(w[alone] == 1.0) and np.all((w[~alone] > 0) & (w[~alone] < 1))
    assert np.allclose(total, 1.0, rtol=0, atol=1e-15)
    assert blend_weights(64, 128, length, 0)[0] == 64
    assert size >= 2 * blend


# --- agreement with the whole image ----------------------------------------------------------


def test_constant_psf_matches_whole_image(scene):
    """Seams: with one PSF everywhere the grid is the whole-image result within 1e-6 noise."""
    sci, ref, psf_n, psf_r = scene
    g = np.random.default_rng(5)
    var_n = 9.0 * (1.0 + 0.3 * g.random(SHAPE))
    mask_r = np.zeros(SHAPE, bool)
    mask_r[70:73, 100:140] = True  # across a cell boundary (x = 128)
    kwargs = dict(science_variance=var_n, reference_mask=mask_r, seed=7)
    grid = subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=64, threads=2, **kwargs)
    assert isinstance(grid, GridResult)
    assert grid.border == (52, 52) and grid.grid_shape == (3, 3) and len(grid.cells) == 9
    whole = zogy.subtract(sci, ref, psf_n, psf_r, border=grid.border, **kwargs)
    assert grid.keys == whole.keys and grid.noise_weights == whole.noise_weights
    assert grid.padding_key("reference") == whole.padding_key("reference")
    assert np.array_equal(grid.mask, whole.mask)
    good = (grid.mask & 3) == 0
    for name in PLANES[:-1]:
        a, b = getattr(grid, name), getattr(whole, name)
        assert np.array_equal(np.isnan(a), np.isnan(b)), name
    noise = _noise(whole)
    seam_d = np.max(np.abs(grid.difference - whole.difference)[good]) / noise
    seam_s = np.max(np.abs(grid.scorr - whole.scorr)[good])
    seam_f = np.max(np.abs(grid.flux - whole.flux)[good] / whole.flux_err[good])
    print(f"seam: difference {seam_d:.2e} noise, scorr {seam_s:.2e}, flux {seam_f:.2e} sigma; "
          f"diagnostic {grid.seam}")
    assert seam_d < 1e-6 and seam_s < 1e-6 and seam_f < 1e-6
    assert np.allclose(grid.difference_variance[good], whole.difference_variance[good],
                       rtol=1e-9, atol=0)
    # The diagnostic sees the same order of magnitude without the whole-image run.
    assert 0.0 < grid.seam[0] < 1e-6 and grid.seam[1] < 1e-6
    for cell in grid.cells:
        assert cell.flux_zero_point == whole.flux_zero_point
        assert np.allclose(cell.psf, whole.psf, rtol=0, atol=1e-12)
        assert cell.score_normalisation == pytest.approx(whole.score_normalisation, rel=1e-12)


def test_seam_grows_when_the_border_is_too_small(scene):
    sci, ref, psf_n, psf_r = scene
    small = subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=64, border=12)
    whole = zogy.subtract(sci, ref, psf_n, psf_r, border=12)
    error = np.max(np.abs(small.scorr - whole.scorr))
    assert error > 1e-4  # the kernels reach further than 12 pixels ...
    assert small.seam[1] > 1e-4  # ... and the diagnostic says so


def test_single_cell_equals_subtract_byte_for_byte(scene):
    sci, ref, psf_n, psf_r = scene
    mask_n = np.zeros(SHAPE, bool)
    mask_n[10:12, 20] = True
    var_r = np.full(SHAPE, 2.25)
    var_r[:, 100:] = 3.0  # a non-constant plane: the variance planes are convolved
    kwargs = dict(science_mask=mask_n, reference_variance=var_r, seed=3, edge_width=4)
    for border, exact in ((None, True), ((30, 45), False)):
        grid = subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=10**6, border=border,
                             threads=2, exact_variance=exact, **kwargs)  # fmt: skip
        assert len(grid.cells) == 1 and grid.seam == (0.0, 0.0)
        whole = zogy.subtract(sci, ref, psf_n, psf_r, border=grid.border,
                              exact_variance=exact, **kwargs)  # fmt: skip
        assert _bytes(grid) == _bytes(whole)
        cell = grid.cells[0]
        assert cell.psf.tobytes() == whole.psf.tobytes()
        assert cell.flux_zero_point == whole.flux_zero_point
        assert cell.padded_shape == whole.padded_shape
        by, bx = grid.border
        assert cell.frame == (by, by, bx, bx, 0, 0)


# --- reproducibility -----------------------------------------------------------------------


def test_byte_identical_for_threads_and_cell_order(scene):
    sci, ref, psf_n, psf_r = scene
    psf = lambda x, y: gaussian_psf(STAMP, 1.8 + 0.6 * x / SHAPE[1])  # noqa: E731
    kwargs = dict(grid_inner_size=(64, 50), border=30, blend=6, seed=11)
    base = subtract_grid(sci, ref, psf, psf_r, threads=1, **kwargs)
    count = len(base.cells)
    assert count == 12
    order = list(np.random.default_rng(2).permutation(count))
    for threads, cell_order in ((2, None), (4, None), (3, order), (1, order[::-1])):
        again = subtract_grid(sci, ref, psf, psf_r, threads=threads, cell_order=cell_order,
                              **kwargs)  # fmt: skip
        assert _bytes(again) == _bytes(base), (threads, cell_order)
        assert again.seam == base.seam
        for a, b in zip(again.cells, base.cells):
            assert a.psf.tobytes() == b.psf.tobytes() and a.inner == b.inner
    # Hard seams and a fixed PSF too.
    hard = subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=64, threads=1)
    for threads, cell_order in ((2, None), (4, [8, 3, 5, 0, 7, 1, 6, 2, 4])):
        again = subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=64, threads=threads,
                              cell_order=cell_order)  # fmt: skip
        assert _bytes(again) == _bytes(hard)


def test_digest_of_single_cell_matches(scene):
    sci, ref, psf_n, psf_r = scene
    grid = subtract_grid(sci, ref, psf_n, psf_r)  # default inner size 208 > 200: one cell
    assert grid.grid_inner_size == (208, 208) and grid.grid_shape == (1, 1)
    whole = zogy.subtract(sci, ref, psf_n, psf_r, border=grid.border)

    cell = grid.cells[0]
    view = SimpleNamespace(psf=cell.psf, flux_zero_point=cell.flux_zero_point,
                           **{name: getattr(grid, name) for name in PLANES})  # fmt: skip
    assert digest_of(view) == digest_of(whole)


# --- varying PSF ---------------------------------------------------------------------------


def test_callable_psf_follows_position(scene):
    sci, ref, _, psf_r = scene
    calls = []

    def psf(x, y):
        calls.append((x, y))
        return gaussian_psf(STAMP, 1.4 + 0.6 * x / SHAPE[1] + 0.1 * y / SHAPE[0])

    grid = subtract_grid(sci, ref, psf, psf_r, grid_inner_size=64, threads=2)
    assert grid.border == (52, 52)  # 20 sigma of the reference
    assert calls == [cell.centre for cell in grid.cells]  # row-major, once per cell
    assert grid.cells[0].centre == (31.5, 31.5) and grid.cells[-1].centre == (178.5, 163.5)
    for name in PLANES[:-1]:
        assert np.all(np.isfinite(getattr(grid, name))), name
    widths = np.array([psf_sigma(cell.psf) for cell in grid.cells]).reshape(grid.grid_shape)
    assert np.all(np.diff(widths, axis=1) > 0.01)  # wider P_D to the right ...
    assert np.all(np.diff(widths, axis=0) > 0)  # ... and (a little) further down
    # Each cell is a whole-image subtraction with its own PSF, inside its inner box.
    for cell in (grid.cells[0], grid.cells[4], grid.cells[8]):
        whole = zogy.subtract(sci, ref, psf(*cell.centre), psf_r, border=grid.border)
        assert np.allclose(cell.psf, whole.psf, rtol=0, atol=1e-12)
        y0, y1, x0, x1 = cell.inner
        box = (slice(y0, y1), slice(x0, x1))
        error = np.max(np.abs(grid.difference[box] - whole.difference[box])) / _noise(whole)
        assert error < 1e-6
        assert np.max(np.abs(grid.scorr[box] - whole.scorr[box])) < 1e-6
    assert grid.seam[0] > 1e-3  # neighbouring PSFs differ: the cells disagree at the seams


def test_blend_crosses_seams_smoothly(scene):
    """Stretch: blended cells pass from one cell's result to the next over 2 * blend pixels."""
    sci, ref, _, psf_r = scene
    psf = lambda x, y: gaussian_psf(STAMP, 1.6 + 0.8 * x / SHAPE[1])  # noqa: E731
    inner, boundary = (200, 115), 115  # two cells side by side
    hard = subtract_grid(sci, ref, psf, psf_r, grid_inner_size=inner, border=60)
    soft = subtract_grid(sci, ref, psf, psf_r, grid_inner_size=inner, border=60, blend=20)
    left, right = (zogy.subtract(sci, ref, psf(*c.centre), psf_r, border=60) for c in soft.cells)
    noise = _noise(left)
    first, w, _ = blend_weights(0, boundary, SHAPE[1], 20)
    w_left = np.zeros(SHAPE[1])
    w_left[first:first + len(w)] = w
    expected = w_left * left.difference + (1.0 - w_left) * right.difference
    assert np.max(np.abs(soft.difference - expected)) / noise < 1e-6
    # With hard seams the output switches from one cell's result to the other's at one column,
    # a step of up to `switch` sigma; blended, the switch adds at most max |dw| of it per pixel.
    switch = np.max(np.abs(left.difference - right.difference)[:, boundary]) / noise
    assert switch > 0.1
    assert np.max(np.abs(hard.difference - left.difference)[:, :boundary]) / noise < 1e-6
    assert np.max(np.abs(hard.difference - right.difference)[:, boundary:]) / noise < 1e-6
    assert np.max(np.abs(np.diff(w_left))) < np.pi / (4 * 20)
    # Away from the band, blending changes nothing.
    assert _bytes_box(soft, hard, (slice(None), slice(0, boundary - 20)))
    assert soft.border == (60, 60) and soft.blend == (20, 20)


def _bytes_box(a, b, box) -> bool:
    return all(getattr(a, n)[box].tobytes() == getattr(b, n)[box].tobytes() for n in PLANES)


# --- bad pixels ----------------------------------------------------------------------------


def test_cell_without_good_pixels(scene):
    sci, ref, psf_n, psf_r = scene
    mask = np.zeros(SHAPE, bool)
    mask[40:150, 40:150] = True  # covers the middle cell's whole cutout (44..148)
    kwargs = dict(science_mask=mask, grid_inner_size=64, border=20)
    grid = subtract_grid(sci, ref, psf_n, psf_r, **kwargs)
    assert [c.skipped for c in grid.cells] == [False] * 4 + [True] + [False] * 4
    whole = zogy.subtract(sci, ref, psf_n, psf_r, science_mask=mask, border=20)
    assert np.array_equal(grid.mask, whole.mask)
    assert np.array_equal(np.isnan(grid.difference), np.isnan(whole.difference))
    assert np.all(grid.scorr[mask] == 0)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -3, (64, 0), (0, 64)])
def test_bad_grid_inner_size(scene, size):
    sci, ref, psf_n, psf_r = scene
    with pytest.raises(ValueError, match="grid_inner_size: must be >= 1"):
        subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=size)


@pytest.mark.parametrize("size", [1.5, True, "64"])
def test_grid_inner_size_type(scene, size):
    sci, ref, psf_n, psf_r = scene
    with pytest.raises((TypeError, ValueError), match="grid_inner_size"):
        subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=size)


def _psf_returning(bad_at_cell: int, value):
    def psf(x, y):
        psf.calls += 1
        return value if psf.calls == bad_at_cell + 1 else gaussian_psf(STAMP, 2.0)

    psf.calls = 0
    return psf


@pytest.mark.parametrize(
    "value, message",
    [
        (gaussian_psf((21, 21), 2.0), r"science_psf: stamp shape \(21, 21\) \(returned by "
                                      r"science_psf\(x=.*\) differs"),
        (np.ones(5), "science_psf: expected a 2-D array"),
        (np.full(STAMP, np.nan), "science_psf: the PSF has non-finite values"),
        (np.zeros(STAMP), "science_psf: the PSF sum is 0"),
        (np.zeros((0, 0)), "science_psf: the array is empty"),
    ],
)
def test_bad_psf_callable(scene, value, message):
    sci, ref, _, psf_r = scene
    with pytest.raises(ValueError, match=message):
        subtract_grid(sci, ref, _psf_returning(3, value), psf_r, grid_inner_size=64, border=30)


def test_psf_callable_errors(scene):
    sci, ref, psf_n, psf_r = scene
    with pytest.raises(TypeError, match="reference_psf: complex"):
        subtract_grid(sci, ref, psf_n, lambda x, y: psf_r.astype(complex), grid_inner_size=64,
                      border=30)  # fmt: skip

    def broken(x, y):
        raise RuntimeError("no PSF model here")

    with pytest.raises(ValueError, match="reference_psf: the callable failed at x=31.5, y=31.5"):
        subtract_grid(sci, ref, psf_n, broken, grid_inner_size=64, border=30)
    with pytest.raises(ValueError, match="science_psf: the PSF has non-finite"):
        subtract_grid(sci, ref, np.full(STAMP, np.inf), psf_r)


def test_bad_options(scene):
    sci, ref, psf_n, psf_r = scene
    run = lambda **kw: subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=64, **kw)  # noqa
    with pytest.raises(ValueError, match="cell_order: must be a permutation of range"):
        run(cell_order=[0, 1, 2])
    with pytest.raises(ValueError, match="cell_order"):
        run(cell_order=[0] * 9)
    with pytest.raises(TypeError, match="cell_order"):
        run(cell_order=[0.0] * 9)
    with pytest.raises(ValueError, match="border: -1 is negative"):
        run(border=-1)
    with pytest.raises(ValueError, match="blend: 40 exceeds half the grid_inner_size"):
        run(blend=40)
    with pytest.raises(ValueError, match="blend: 30 must be smaller than the border"):
        run(blend=30, border=30)
    with pytest.raises(ValueError, match="blend: must be >= 0"):
        run(blend=-1)
    with pytest.raises(ValueError, match="science_psf: the stamp .* is larger than the smallest "
                                         "cell cutout"):  # fmt: skip
        subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=10, border=5)
    with pytest.raises(ValueError, match="reference: shape"):
        subtract_grid(sci, ref[:-1], psf_n, psf_r)
    with pytest.raises(ValueError, match="padding: unknown value"):
        run(padding="mirror")
    with pytest.raises(ValueError, match="threads"):
        run(threads=0)
    with pytest.raises(TypeError, match="progress"):
        run(progress="yes")
    with pytest.raises(ValueError, match="science_variance"):
        run(science_variance=-1.0)


def test_progress_bar(scene, capsys):
    pytest.importorskip("tqdm")
    sci, ref, psf_n, psf_r = scene
    grid = subtract_grid(sci, ref, psf_n, psf_r, grid_inner_size=64, threads=2, progress=True)
    assert "9/9" in capsys.readouterr().err
    assert len(grid.cells) == 9


def test_subtract_grid_true_delegates_to_the_grid():
    """zogy.subtract(grid=True) is subtract_grid with the same options."""
    from zogy.simulate import make_pair

    pair = make_pair(shape=(140, 150), n_sources=5, psf_stamp_shape=(41, 41), seed=2)
    args = (pair.science, pair.reference, pair.science_psf, pair.reference_psf)
    kwargs = dict(science_variance=pair.science_variance,
                  reference_variance=pair.reference_variance, seed=1, grid_inner_size=70)
    via_subtract = zogy.subtract(*args, grid=True, **kwargs)
    direct = zogy.subtract_grid(*args, **kwargs)
    assert isinstance(via_subtract, zogy.GridResult)
    assert np.array_equal(via_subtract.difference, direct.difference)
    assert len(via_subtract.cells) == 4
    with pytest.raises(ValueError, match="^grid_inner_size: only with grid=True"):
        zogy.subtract(*args, grid_inner_size=70)
