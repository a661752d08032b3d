"""Seed studies (zogy.study) and their figures (zogy.plot), on small images to stay fast."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import zogy
from zogy import study
from zogy.simulate import make_pair
from zogy.study import legacy_padding, measurements

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = {"shape": (96, 100), "psf_stamp_shape": (31, 31), "n_sources": 8}


def small_pair(seed=0, **options):
    return make_pair(seed=seed, **{**SMALL, **options})


@pytest.fixture(scope="module")
def pair():
    return small_pair(0)


@pytest.fixture(scope="module")
def repeated(pair):
    return study.repeat(pair, runs=4, seed=5)


@pytest.fixture(scope="module")
def reversed_(pair):
    return study.reverse([pair, small_pair(1)])


@pytest.fixture(scope="module")
def padded(pair):
    return study.padding(pair)


@pytest.fixture(scope="module")
def reports(tmp_path_factory, pair):
    """Every study written to one folder (the only figure-drawing fixture: figures are slow)."""
    out = tmp_path_factory.mktemp("reports")
    return out, {
        "repeat": study.repeat(pair, runs=3, out=out),
        "reverse": study.reverse([pair], out=out),
        "padding": study.padding(pair, out=out),
    }


# --------------------------------------------------------------------------
# repeat
# --------------------------------------------------------------------------


def test_same_seed_repeat_gives_exactly_zero_difference(repeated):
    same = repeated.same_seed
    assert same["identical"] and same["metric_equal"]
    assert same["max_abs_diff"] == [0.0] * 4
    assert len(set(same["metrics"])) == 1


def test_fresh_seeds_give_a_nonzero_spread(repeated):
    assert [r["seed"] for r in repeated.runs] == [5, 6, 7, 8]
    assert repeated.max_abs_dd_all > 0
    assert all(r["max_abs_dd_all"] > 0 for r in repeated.runs[1:])
    assert repeated.runs[0]["max_abs_dd_all"] == 0 and repeated.runs[0]["sign_flips"] == 0
    assert np.all(repeated.noise_map >= 0) and repeated.noise_map.max() > 0
    assert not np.array_equal(*repeated.differences)


def test_padding_noise_decays_away_from_the_edge(repeated):
    leak, noise = np.array(repeated.leak_profile), np.array(repeated.noise_map_profile)
    assert leak.size == noise.size == 48  # distances 0 .. min(96, 100) // 2 - 1
    assert leak[0] > 100 * leak[-10:].max()
    assert noise[0] > 100 * noise[-10:].max()
    # The inner image (outside the band) changes by much less than the edge.
    assert repeated.max_abs_dd_inner < 0.1 * repeated.max_abs_dd_all
    assert repeated.band_width == study.band_width(leak, repeated.params["tolerance"])


def test_repeat_reports_the_notebook_naming(repeated, pair):
    run = repeated.runs[0]
    nb = run["notebook"]
    assert nb["nPos"] == run["n_neg"] and nb["nNeg"] == run["n_pos"]
    assert nb["Pixels used in the metric"] == run["n_used"] == run["n_pos"] + run["n_neg"]
    assert nb["Number of finite pixels"] == 96 * 100
    assert run["n_used"] == 8 * 25
    m = zogy.metric1(repeated.differences[0], pair.catalog["x"], pair.catalog["y"])
    assert run["metric"] == m.metric
    assert study.notebook_lines(m) == [
        "Number of finite pixels: 9600",
        f"nPos: {m.n_neg}, nNeg: {m.n_pos}",
        f"Pixels used in the metric: {m.n_used}",
    ]


def test_sign_flips_count_cutout_pixels_that_change_sign(pair):
    base = np.ones(pair.science.shape)
    flipped = base.copy()
    x, y = pair.catalog["x"], pair.catalog["y"]
    flipped[int(y[0]), int(x[0])] = -1.0
    flipped[int(y[1]) - 1, int(x[1]) + 2] = -1.0
    a, b = zogy.metric1(base, x, y), zogy.metric1(flipped, x, y)
    assert measurements._sign_flips(a, b) == 2


def test_repeat_with_lsst_kernels_leaks_into_the_whole_image(pair, repeated):
    lsst = study.repeat(
        pair,
        runs=3,
        seed=5,
        inner_band=repeated.band_width,
        options={"kernel_guard": False, "fft_size": "pow2"},
    )
    assert lsst.same_seed["identical"]
    assert lsst.params["padded_shape"] == [256, 256]
    assert lsst.max_abs_dd_inner > 10 * repeated.max_abs_dd_inner
    assert lsst.band_width > repeated.band_width


def test_repeat_needs_two_runs(pair):
    with pytest.raises(ValueError, match="runs"):
        study.repeat(pair, runs=1)


def test_repeat_accepts_any_pair_without_sources(pair):
    plain = study.ImagePair.from_arrays(
        pair.science, pair.reference, pair.science_psf, pair.reference_psf
    )
    result = study.repeat(plain, runs=2)
    assert result.runs[0]["n_used"] == 0 and result.runs[0]["metric"] == 0.0
    assert result.same_seed["identical"]
    assert result.pair["n_sources"] == 0


# --------------------------------------------------------------------------
# reverse
# --------------------------------------------------------------------------


def _cases(result, scheme):
    return [c for c in result.cases if c["scheme"] == scheme]


def test_reverse_is_exactly_antisymmetric_with_our_padding(reversed_):
    ours = _cases(reversed_, "ours")
    assert len(ours) == 2
    for case in ours:
        assert case["max_abs_sum"] == 0.0 and case["exact"]
        assert case["metric"] == -case["metric_R"]
    assert reversed_.summary["ours"]["exact"]
    assert np.all(reversed_.sums["ours"] == 0)


def test_reverse_legacy_shared_stream_is_not_antisymmetric(reversed_):
    for case in _cases(reversed_, "legacy-shared"):
        assert case["max_abs_sum"] > 0 and not case["exact"]
    assert not reversed_.summary["legacy-shared"]["exact"]


def test_reverse_legacy_per_image_seed_is_antisymmetric(reversed_):
    for case in _cases(reversed_, "legacy-per-image"):
        assert case["max_abs_sum"] == 0.0 and case["exact"]
        assert case["metric"] == -case["metric_R"]


def test_legacy_shared_breaks_the_swap_with_our_guard_too(pair):
    result = study.reverse([pair], schemes=("legacy-shared",), legacy_kernel_guard=True)
    assert result.params["legacy_kernel_guard"] is True
    assert result.summary["legacy-shared"]["max_abs_sum"] > 0


def test_legacy_emulation_geometry_and_seeding(pair):
    ours = zogy.subtract(
        pair.science,
        pair.reference,
        pair.science_psf,
        pair.reference_psf,
        science_variance=pair.science_variance,
        reference_variance=pair.reference_variance,
    )
    variances = (pair.science_variance, pair.reference_variance)
    kwargs = {"border": ours.border, "variances": variances}
    d = study.legacy_subtract(pair, "legacy-per-image", **kwargs)
    assert d.shape == pair.science.shape
    assert np.array_equal(d, study.legacy_subtract(pair, "legacy-per-image", **kwargs))
    # The shared stream gives the science image the same padding as the per-image scheme
    # (its generator is seeded from image 1's variance and image 1 draws first) but the
    # reference image then continues that stream, so D differs.
    shared = study.legacy_subtract(pair, "legacy-shared", **kwargs)
    assert not np.array_equal(d, shared)
    with pytest.raises(ValueError, match="scheme"):
        study.legacy_subtract(pair, "ours", **kwargs)


def test_legacy_seed_is_the_mean_variance_bits():
    rng = legacy_padding._legacy_rng(np.full((3, 3), 25.0))
    expected = np.random.default_rng(seed=np.array([25.0]).view(np.int64))
    assert rng.normal() == expected.normal()


def test_reverse_rejects_unknown_schemes(pair):
    with pytest.raises(ValueError, match="schemes"):
        study.reverse([pair], schemes=("ours", "random"))


# --------------------------------------------------------------------------
# padding
# --------------------------------------------------------------------------


def test_padding_study_reports_a_band_width(padded):
    assert isinstance(padded.band_width, int) and padded.band_width >= 0
    default = padded.configs[0]
    assert default["options"] == {}
    leak = np.array(default["leak_profile"])
    assert leak[0] > leak[len(leak) // 2 :].max()
    assert padded.band_width == default["band_width"]


def test_padding_study_covers_the_options(padded):
    names = [c["name"] for c in padded.configs]
    assert len(names) == 7
    options = [c["options"] for c in padded.configs]
    assert {"padding": "zero"} in options and {"padding": "constant"} in options
    assert {"fft_size": "pow2"} in options and {"kernel_guard": False} in options
    borders = [c["border"] for c in padded.configs if "border" in c["options"]]
    default_border = padded.params["default_border"]
    assert borders == [[round(0.5 * b) for b in default_border], [2 * b for b in default_border]]
    for c in padded.configs:
        if c["options"].get("padding") in ("zero", "constant"):
            assert c["band_width"] == 0 and max(c["leak_profile"]) == 0.0
        assert c["time_s"] > 0
        assert len(c["edge_bands"]) >= 2 and c["edge_bands"][-1]["std_ratio"] == 1.0
    guard_off = next(c for c in padded.configs if c["options"] == {"kernel_guard": False})
    assert guard_off["band_width"] > padded.band_width


def test_padding_band_mask_flags_the_band(padded, pair):
    distance = study.distance_from_edge(pair.science.shape)
    assert np.array_equal(padded.edge_mask, distance < padded.band_width)
    assert padded.edge_mask_pixels == int((distance < padded.band_width).sum())
    supported = "edge_width" in inspect.signature(zogy.subtract).parameters
    assert padded.edge_width_supported == supported


def test_band_width_and_distance_helpers():
    assert study.band_width([0.1, 0.01, 1e-4, 0.0], 1e-3) == 2
    assert study.band_width([1e-4, np.nan, 1e-5], 1e-3) == 0
    assert study.band_width([1e-4, 1e-2, 1e-5], 1e-3) == 2  # a late excursion counts
    assert study.band_width([1.0, 1.0], 1e-3) == 2
    assert study.distance_from_edge((3, 4)).tolist() == [[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]


def test_default_pair_options():
    pair = study.default_pair(shape=(60, 80), n_sources=3)
    assert pair.science.shape == (60, 80) and pair.science_psf.shape == (59, 59)
    noisy = study.default_pair(shape=(60, 80), n_sources=3, notebook_noise=True)
    assert noisy.params["noise_kind"] == "uniform" and noisy.params["correlated_noise"]
    assert noisy.params["margin"] == 5


# --------------------------------------------------------------------------
# reports and figures
# --------------------------------------------------------------------------

EXPECTED_FILES = {
    "repeat": {
        "result.json",
        "summary.md",
        "noise_map.npy",
        "images.png",
        "differences.png",
        "cutouts.png",
        "noise_map.png",
        "metric.png",
    },
    "reverse": {"result.json", "summary.md", "reverse.png", "swap_sums.png"},
    "padding": {
        "result.json",
        "summary.md",
        "edge_mask.npy",
        "padding_leak.png",
        "padding_edges.png",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_reports_are_written(reports, name):
    out, results = reports
    folder = out / name
    assert {p.name for p in folder.iterdir()} == EXPECTED_FILES[name]
    result = results[name]
    assert {p for p in result.paths.values()} == {str(folder / f) for f in EXPECTED_FILES[name]}
    data = json.loads((folder / "result.json").read_text())
    assert data == json.loads(json.dumps(result.to_dict(), allow_nan=False))
    summary = (folder / "summary.md").read_text()
    assert summary.startswith("# ")
    for png in folder.glob("*.png"):
        assert f"({png.name})" in summary


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_figures_are_valid_pngs(reports, name):
    import matplotlib.image

    out, _ = reports
    for png in sorted((out / name).glob("*.png")):
        assert png.read_bytes()[:8] == PNG_SIGNATURE, png
        image = matplotlib.image.imread(png)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 400, png


def test_json_is_plain_and_complete(reports):
    _, results = reports
    rep = results["repeat"].to_dict()
    assert "noise_map" not in rep and "differences" not in rep
    json.dumps(rep, allow_nan=False)
    assert rep["band_width"] == results["repeat"].band_width
    assert isinstance(rep["runs"][0]["max_abs_dd_all"], float)
    assert rep["params"]["padded_shape"] == list(results["repeat"].params["padded_shape"])


def test_summaries_state_the_band(reports):
    out, results = reports
    for name in ("repeat", "padding"):
        band = results[name].band_width
        assert f"edge_width={band})" in (out / name / "summary.md").read_text()


def test_npy_maps_match_the_result(reports):
    out, results = reports
    assert np.array_equal(np.load(out / "repeat" / "noise_map.npy"), results["repeat"].noise_map)
    assert np.array_equal(np.load(out / "padding" / "edge_mask.npy"), results["padding"].edge_mask)


def test_reports_without_figures(tmp_path, pair):
    result = study.reverse([pair], schemes=("ours",), out=tmp_path, figures=False)
    assert {p.name for p in (tmp_path / "reverse").iterdir()} == {"result.json", "summary.md"}
    assert set(result.paths) == {"json", "summary"}


def test_plot_helpers_handle_degenerate_images(tmp_path):
    from zogy import plot

    assert plot.zscale_limits(np.zeros((5, 5))) == (-1.0, 1.0)
    assert plot.zscale_limits(np.full((5, 5), np.nan)) == (-1.0, 1.0)
    lo, hi = plot.zscale_limits(np.arange(100.0).reshape(10, 10))
    assert lo < hi
    fig = plot.swap_sums_figure({"ours": np.zeros((8, 9))})
    path = plot.save(fig, tmp_path / "zeros.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
