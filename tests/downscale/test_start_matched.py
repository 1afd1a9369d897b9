"""The filter-matched start, its truth-free risk estimate and the network's selection.

Oracles: brute-force cap means of ``coarse − filter_field(model)``; closed-form risks (a
prediction that copies the coarse field has the noise variance as risk, the noise-free
filtered truth has none); a white-noise variance drawn with a known value.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from support.downscale_oracle import cap_mean

from jaxgeo import Grid
from jaxgeo.downscale import CoarseFilter, Selection, filtered_risk, matched_baseline
from jaxgeo.downscale._data import prepare
from jaxgeo.downscale._start import choose_start, select_network
from jaxgeo.grace import filter_field
from jaxgeo.seasonal import white_covariance

RES = 10.0
NT = 36


def _series(rng, n_cells, nt, *, noise_sd):
    """AR(1) signal (φ = 0.9, sd 10) + white noise of a known sd, per cell."""
    sig = np.empty((nt, n_cells))
    sig[0] = rng.standard_normal(n_cells)
    for t in range(1, nt):
        sig[t] = 0.9 * sig[t - 1] + np.sqrt(1 - 0.81) * rng.standard_normal(n_cells)
    return 10 * sig + noise_sd * rng.standard_normal((nt, n_cells))


def test_white_covariance_recovers_a_known_noise_variance():
    rng = np.random.default_rng(0)
    time = pd.date_range("2003-01-01", periods=120, freq="MS").values
    x = _series(rng, 400, 120, noise_sd=4.0)[:, :, None]
    w = np.full((400, 1), 1 / 400)
    # the variance of the white part, 16, within 15 % (sampling: 400 series of 120 steps)
    assert white_covariance(x, x, time, w) == pytest.approx(16.0, rel=0.15)
    # no noise: next to nothing of the signal's variance of 100
    y = _series(rng, 400, 120, noise_sd=0.0)[:, :, None]
    assert abs(white_covariance(y, y, time, w)) < 2.0
    with pytest.raises(ValueError, match="at least 12 steps"):
        white_covariance(x[:8], x[:8], time[:8], w)


def _data(nt=NT, seed=1):
    grid = Grid.regular(RES)
    la, lo = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    mask = (np.sin(np.deg2rad(2 * lo)) * np.cos(np.deg2rad(la)) > 0.1) & (abs(la) < 75)
    rng = np.random.default_rng(seed)
    tm = np.arange(nt)
    truth = (60 * np.cos(2 * np.pi * tm / 12)[:, None, None] * np.cos(np.deg2rad(la))
             + 20 * np.sin(np.deg2rad(lo))[None] * (tm / nt)[:, None, None])
    truth = np.where(mask, truth, 0.0)
    model = 0.6 * truth
    filt = CoarseFilter(12, 1000.0)
    noise = np.asarray(filter_field(rng.standard_normal((nt,) + grid.shape) * 40, grid,
                                    lmax=12))
    coarse = np.asarray(filter_field(truth, grid, lmax=12, half_width_km=1000.0)) + noise
    import xarray as xr

    time = pd.date_range("2003-01-01", periods=nt, freq="MS")
    coords = {"time": time, **grid.to_xarray_coords()}
    nan = np.where(mask, 1.0, np.nan)

    def da(v):
        return xr.DataArray(v * nan, dims=("time", "lat", "lon"), coords=coords,
                            attrs={"units": "mm"})

    return grid, mask, filt, da(truth), da(model), da(coarse), noise


def test_matched_baseline_is_model_plus_cap_of_coarse_minus_filtered_model():
    grid, mask, filt, _, model, coarse, _ = _data()
    got = matched_baseline(coarse, model, mask=mask, coarse_filter=filt, radius_deg=20.0)
    m = np.nan_to_num(model.values)
    fm = np.asarray(filter_field(np.where(mask, m, 0.0), grid, lmax=12, half_width_km=1000.0))
    want = m + cap_mean(np.where(mask, np.nan_to_num(coarse.values) - fm, 0.0), RES, 20.0, mask)
    np.testing.assert_allclose(got.values[:, mask], want[:, mask], rtol=1e-10, atol=1e-9)
    assert np.isnan(got.values[:, ~mask]).all()
    assert got.attrs["radius_deg"] == 20.0 and got.attrs["coarse_lmax"] == 12
    assert got.attrs["units"] == "mm"


def test_risk_is_the_noise_for_a_copy_and_none_for_the_filtered_truth():
    grid, mask, filt, truth, _, coarse, noise = _data(nt=48)
    w = np.where(mask, grid.cell_area, 0.0)
    w = w / w.sum()
    c = np.nan_to_num(coarse.values)
    time = coarse.time.values
    noise_var = white_covariance(c, c, time, w)
    true_noise = float(np.mean(np.sum(w * noise**2, axis=(-2, -1))))
    assert noise_var == pytest.approx(true_noise, rel=0.3)
    # a prediction that is the coarse field itself: risk = the noise variance (all copied)
    assert filtered_risk(c, c, time, w, noise_var) == pytest.approx(noise_var, rel=1e-9)
    # the noise-free filtered truth: risk ≈ 0 (against the noise variance)
    ft = np.where(mask, np.asarray(filter_field(np.nan_to_num(truth.values), grid, lmax=12,
                                                half_width_km=1000.0)), 0.0)
    assert abs(filtered_risk(ft, c, time, w, noise_var)) < 0.3 * true_noise


def test_choice_and_selection_without_the_truth():
    grid, mask, filt, truth, model, coarse, _ = _data(nt=48)
    fields = prepare(coarse, model, mask)
    start, choice = choose_start(fields, filt, radii=(10.0, 20.0, 40.0))
    assert choice.radius_deg in (10.0, 20.0, 40.0) and len(choice.risk) == 3
    assert choice.radius_deg == min(choice.risk, key=lambda rv: rv[1])[0]
    assert np.isfinite(choice.noise) and choice.noise > 0
    # the start is closer to the truth than the model
    t = np.nan_to_num(truth.values)
    assert np.sqrt(np.mean((start - t)[:, mask] ** 2)) < \
        np.sqrt(np.mean((fields.model - t)[:, mask] ** 2))
    # a "network" that returns the raw model is refused; one that returns the start is not
    # preferred either (equal risk is not lower)
    sel = select_network(fields.model, start, fields, filt, None)
    assert not sel.use_network and sel.risk_network > sel.risk_start
    assert not select_network(start, start, fields, filt, None).use_network
    assert select_network(None, start, fields, filt, True).use_network
    assert Selection.from_dict(sel.to_dict()) == sel
    # too few months: the fallback radius, no risks
    few = prepare(coarse.isel(time=slice(0, 8)), model.isel(time=slice(0, 8)), mask)
    _, c8 = choose_start(few, filt, fallback_radius_deg=15.0)
    assert c8.radius_deg == 15.0 and c8.risk == () and np.isnan(c8.noise)
    assert "8 months" in select_network(few.model, few.model, few, filt, None).reason


def test_coarse_filter_is_checked_and_read_from_attributes():
    grid = Grid.regular(RES)
    with pytest.raises(ValueError, match="lmax must be an integer ≥ 2, got 1"):
        CoarseFilter(1)
    with pytest.raises(ValueError, match="half_width_km must be a non-negative number"):
        CoarseFilter(60, float("nan"))
    import xarray as xr

    da = xr.DataArray(np.zeros((1, *grid.shape)), dims=("time", "lat", "lon"),
                      attrs={"lmax": 96, "half_width_km": 0.0})
    # a product's lmax above what the grid resolves is cut to nlat − 1
    assert CoarseFilter.of(da, grid) == CoarseFilter(grid.nlat - 1, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CoarseFilter.of(da.drop_attrs(), grid, 250.0) == CoarseFilter(grid.nlat - 1,
                                                                             250.0)


def test_the_start_corrects_the_member_with_the_least_risk():
    grid, mask, filt, truth, model, coarse, _ = _data(nt=48)
    import xarray as xr

    rng = np.random.default_rng(5)
    bad = model + xr.zeros_like(model) + 30 * rng.standard_normal(model.shape)
    models = xr.Dataset({"good": truth.assign_attrs(units="mm"), "bad": bad})
    got = matched_baseline(coarse, models, mask=mask, coarse_filter=filt, radii=(10.0, 20.0))
    assert got.attrs["model_member"] == "good"
    want = matched_baseline(coarse, truth.assign_attrs(units="mm"), mask=mask,
                            coarse_filter=filt, radius_deg=got.attrs["radius_deg"])
    np.testing.assert_allclose(got.values, want.values, rtol=1e-12, equal_nan=True)


def test_a_filter_without_leakage_is_the_masked_gaussian_mean():
    from jaxgeo.sphere import GaussianSmooth

    grid, mask, *_ , coarse, _ = _data(nt=12)
    filt = CoarseFilter(12, 1500.0, leakage=False)
    x = np.nan_to_num(coarse.values)
    want = np.asarray(GaussianSmooth(grid, 1500.0, mask=mask)(np.where(mask, x, 0.0)))
    np.testing.assert_allclose(filt.apply(x, grid, mask)[:, mask], want[:, mask], rtol=1e-12)
    with pytest.raises(ValueError, match="without leakage .* needs a half_width_km"):
        CoarseFilter(12, None, leakage=False)
