"""The downscaling suite (jaxgeo.downscale.experiments): each generator's defining property,
checked by an independent computation (spherical-harmonic spectrum, per-cell harmonic least
squares, lag correlations), reproducibility by seed, and its one-line refusals."""

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.downscale import baseline, experiments, metrics
from jaxgeo.grace import analyze, filter_field


def _harmonics(x, n_months):
    """Per-cell least squares of mean, trend (per year), annual and semi-annual cos/sin."""
    t = np.arange(n_months) + 0.5
    w = 2 * np.pi * t / 12
    a = np.stack([np.ones_like(t), (t - t.mean()) / 12, np.cos(w), np.sin(w), np.cos(2 * w),
                  np.sin(2 * w)], axis=1)
    coef, *_ = np.linalg.lstsq(a, x.reshape(n_months, -1), rcond=None)
    return coef.reshape((6,) + x.shape[1:])


def _cell(grid, lat, lon):
    return np.argmin(abs(grid.lat - lat)), np.argmin(abs(grid.lon - lon))


def test_large_scale_error_energy_is_at_low_degree():
    grid = Grid.regular(3.0)
    ds = experiments.large_scale(3.0, 4, seed=1)
    err = np.nan_to_num(ds.model.values - ds.truth.values)
    c, s = analyze(grid, err, grid.nlat - 1)
    power = np.asarray((c**2 + s**2).sum(axis=(0, 2)))
    frac = np.cumsum(power) / power.sum()
    # degree 40 ≈ 1000 km wavelength; the land mask's coastlines alone spread some power up
    assert frac[40] > 0.9 and frac[12] > 0.65
    # the missing-process experiment's error (compact hot spots) is much less large-scale
    ds2 = experiments.missing_process(3.0, 4, seed=1)
    c, s = analyze(grid, np.nan_to_num(ds2.model.values - ds2.truth.values), grid.nlat - 1)
    p2 = np.asarray((c**2 + s**2).sum(axis=(0, 2)))
    assert p2[:13].sum() / p2.sum() < frac[12] - 0.1


def test_seasonal_model_is_damped_late_and_lacks_the_hot_spots():
    n = 36
    grid = Grid.regular(5.0)
    ds = experiments.seasonal(5.0, n, seed=2)
    m = ds.mask.values
    ht = _harmonics(np.nan_to_num(ds.truth.values), n)
    hm = _harmonics(np.nan_to_num(ds.model.values), n)
    amp_t, amp_m = np.hypot(ht[2], ht[3])[m], np.hypot(hm[2], hm[3])[m]
    assert np.mean(amp_m < amp_t) > 0.9
    assert 0.45 <= np.median(amp_m / amp_t) <= 0.9
    # the model peaks later: its annual phase (month of the peak) exceeds the truth's
    lag = (np.angle((hm[2] + 1j * hm[3]) * np.conj(ht[2] + 1j * ht[3]))[m]) * 12 / (2 * np.pi)
    assert 0.5 <= np.median(lag) <= 2.0
    # no semi-annual cycle in the model, a clear one in the truth
    assert np.median(np.hypot(hm[4], hm[5])[m]) < 0.35 * np.median(np.hypot(ht[4], ht[5])[m])
    for la, lo, _, rate in experiments.HOT_SPOTS:
        i, j = _cell(grid, la, lo)
        assert ht[1, i, j] - hm[1, i, j] == pytest.approx(rate, abs=0.35 * abs(rate) + 3)
    assert "precipitation" in ds and ds.precipitation.attrs["units"] == "mm/month"


def test_missing_process_is_in_the_truth_not_in_the_model():
    n = 48
    grid = Grid.regular(5.0)
    ds = experiments.missing_process(5.0, n, seed=3)
    ht = _harmonics(np.nan_to_num(ds.truth.values), n)
    hm = _harmonics(np.nan_to_num(ds.model.values), n)
    for la, lo, _, rate in experiments.HOT_SPOTS:
        i, j = _cell(grid, la, lo)
        # the truth loses mass at the hot spot's rate relative to the model
        assert ht[1, i, j] - hm[1, i, j] == pytest.approx(rate, abs=0.35 * abs(rate) + 3)
    la, lo, _, mm, _ = experiments.RESERVOIR
    i, j = _cell(grid, la, lo)
    d = ds.truth.values[:, i, j] - ds.model.values[:, i, j]
    assert d[-6:].mean() - d[:6].mean() > 0.7 * mm     # the reservoir filled


def test_striped_noise_is_correlated_along_meridians():
    grid = Grid.regular(5.0)
    ds = experiments.striped(5.0, 12, seed=4)
    m = ds.mask.values
    noise = ds.coarse.values - np.asarray(filter_field(
        np.nan_to_num(ds.truth.values), grid, lmax=int(ds.attrs["lmax"]),
        half_width_km=float(ds.attrs["half_width_km"])))

    def lag_corr(a, b, both):
        return np.corrcoef(a[:, both].ravel(), b[:, both].ravel())[0, 1]

    along_meridian = lag_corr(noise[:, 1:], noise[:, :-1], m[1:] & m[:-1])
    along_parallel = lag_corr(noise[..., 1:], noise[..., :-1], m[:, 1:] & m[:, :-1])
    assert along_meridian > along_parallel + 0.4
    assert np.nanstd(noise[:, m]) == pytest.approx(ds.attrs["noise_mm"], rel=1e-6)
    # the other experiments' noise is isotropic: on the sphere, cells are narrower along
    # parallels than along meridians, so there the order is the reverse
    ds2 = experiments.large_scale(5.0, 12, seed=4)
    n2 = ds2.coarse.values - np.asarray(filter_field(
        np.nan_to_num(ds2.truth.values), grid, lmax=int(ds2.attrs["lmax"]),
        half_width_km=float(ds2.attrs["half_width_km"])))
    assert (lag_corr(n2[:, 1:], n2[:, :-1], m[1:] & m[:-1])
            < lag_corr(n2[..., 1:], n2[..., :-1], m[:, 1:] & m[:, :-1]))
    assert experiments.striped(5.0, 48, seed=4).sizes["time"] == 48  # short record


@pytest.mark.parametrize("name", sorted(experiments.EXPERIMENTS))
def test_reproducible_by_seed_and_usable_by_baseline_and_metrics(name):
    gen = experiments.EXPERIMENTS[name]
    a, b, c = gen(5.0, 4, seed=7), gen(5.0, 4, seed=7), gen(5.0, 4, seed=8)
    for v in ("truth", "model", "coarse"):
        np.testing.assert_array_equal(a[v].values, b[v].values)
        assert not np.allclose(np.nan_to_num(a[v].values), np.nan_to_num(c[v].values))
        assert np.isnan(a[v].values[:, ~a.mask.values]).all()
        assert np.isfinite(a[v].values[:, a.mask.values]).all()
    assert a.attrs["experiment"] == name
    grid = Grid.regular(5.0)
    base = baseline(a.coarse, a.model, mask=a.mask)
    r = metrics.rmse(base.values, a.truth.values, grid, a.mask.values)
    assert 0 < r < metrics.rmse(a.coarse.values, a.truth.values, grid, a.mask.values) * 2


@pytest.mark.parametrize(("kw", "word"), [({"n_months": 1}, "n_months"),
                                          ({"n_months": 2.5}, "n_months"),
                                          ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed")])
def test_bad_arguments_are_one_line_errors(kw, word):
    args = {"n_months": 4, "seed": 0, **kw}
    for gen in experiments.EXPERIMENTS.values():
        with pytest.raises(ValueError, match=word) as e:
            gen(5.0, args["n_months"], seed=args["seed"])
        assert "\n" not in str(e.value) and repr(kw[word]) in str(e.value)


@pytest.mark.parametrize("res", [7.0, -1.0, 0.0])
def test_bad_resolution_is_a_one_line_error(res):
    for gen in experiments.EXPERIMENTS.values():
        with pytest.raises(ValueError, match="resolution_deg") as e:
            gen(res, 4)
        assert "\n" not in str(e.value) and str(res) in str(e.value)
