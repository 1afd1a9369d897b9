"""jaxgeo.grace.model_on_grace: a raw model file onto a GRACE output's spans, grid, units and
base period (issue 12, item 7). Oracle: day-by-day averages in numpy, the separately tested
conservative regridding, and the base-period mean in numpy; closed forms where they exist."""

import numpy as np
import pytest
import xarray as xr
from support.grace_model_files import GRID, D
from support.grace_model_files import grace_like as _grace
from support.grace_model_files import raw_model as _model

from jaxgeo import regrid
from jaxgeo.grace import model_on_grace


def _oracle(model, like, factor):
    """Day-by-day span means → jaxgeo.regrid → minus the base-period mean, in numpy."""
    t = model["time"].values
    rows = []
    for s, e in zip(like["time_start"].values, like["time_end"].values, strict=True):
        if np.isnat(s):
            rows.append(np.full(model.shape[1:], np.nan))
            continue
        rows.append(model.values[(t >= s) & (t < e)].mean(0))
    avg = model.isel(time=slice(0, len(rows))).copy(data=np.stack(rows))
    on = np.asarray(regrid(avg, GRID).transpose("time", "lat", "lon").values) * factor
    mid = like["time"].values
    base = ((mid >= np.datetime64("2004-01-01")) & (mid < np.datetime64("2005-01-01"))
            & like["observed"].values)
    return on - on[base].mean(0)


def test_matches_day_by_day_spans_regrid_and_base_mean():
    like, model = _grace(), _model()
    out = model_on_grace(model, like)
    want = _oracle(model, like, factor=0.1)  # kg m-2 (= mm of water) to cm
    assert out.dims == ("time", "lat", "lon") and out.attrs["units"] == "cm"
    np.testing.assert_array_equal(np.isnan(out.values), np.isnan(want))
    np.testing.assert_allclose(out.values, want, rtol=0, atol=1e-9 * np.nanmax(abs(want)))
    assert np.isnan(out.values[3]).all()             # the gap month stays NaN
    assert np.isnan(out.values[:, GRID.lat < -62]).all()   # no model values there
    np.testing.assert_array_equal(out["time"].values, like["time"].values)
    assert out.attrs["mean_period"] == "2004-01-01..2005-01-01"
    assert "2004-04" not in out.attrs["base_months"].split(",")  # the gap month
    assert "regridded conservatively" in out.attrs["history"]


def test_uniform_linear_model_closed_form():
    # a uniform field f(t) = day + 0.5: every cell is f at the span middle, minus its mean
    like, model = _grace(units="mm"), _model(ocean_nan=False, units="mm")
    model = model.copy(data=np.broadcast_to(((model["time"] - model["time"][0]) / D
                                             ).values[:, None, None] + 0.5, model.shape))
    out = model_on_grace(model, like)
    t0 = model["time"].values[0]
    mid = ((like["time_start"] - t0) / D + (like["time_end"] - t0) / D).values / 2
    base = like["observed"].values & (np.arange(mid.size) < 12)
    want = mid - mid[base].mean()
    np.testing.assert_allclose(out.values, np.broadcast_to(want[:, None, None], out.shape),
                               rtol=0, atol=1e-9)


def test_lazy_file_and_batches_give_the_same(tmp_path):
    like, model = _grace(), _model()
    model.to_dataset().to_netcdf(tmp_path / "m.nc")
    ref = model_on_grace(model, like)
    with xr.open_dataset(tmp_path / "m.nc") as ds:
        lazy = model_on_grace(ds["tws"], like, batch_months=1)
    np.testing.assert_allclose(lazy.values, ref.values, rtol=0, atol=1e-12, equal_nan=True)


def test_model_already_on_the_grace_spans_and_grid_is_only_converted():
    like = _grace()
    on = model_on_grace(_model(), like, remove_base_mean=False)   # span means, cm
    again = on.copy(data=on.values * 10).assign_attrs(units="mm")
    out = model_on_grace(again, like)
    assert "as given" in out.attrs["history"]
    want = on.values - on.values[[0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]].mean(axis=0)
    np.testing.assert_allclose(out.values, want, rtol=0, atol=1e-9, equal_nan=True)


def test_keep_grid_averages_in_time_only():
    like, model = _grace(), _model()
    out = model_on_grace(model, like, regrid=False, remove_base_mean=False)
    assert out.shape == (like.sizes["time"], model.sizes["lat"], model.sizes["lon"])
    t = model["time"].values
    s, e = like["time_start"].values[5], like["time_end"].values[5]
    np.testing.assert_allclose(out.values[5], model.values[(t >= s) & (t < e)].mean(0) / 10,
                               rtol=1e-12, equal_nan=True)


def test_errors_name_the_model():
    like = _grace()
    with pytest.raises(ValueError, match=r"tws: covers none of the 15 GRACE spans \(model "
                                         r"2010-01-01..2010-12-31"):
        model_on_grace(_model(start="2010-01-01", end="2011-01-01"), like)
    with pytest.raises(ValueError, match="no mean period recorded"):
        model_on_grace(_model(), like.assign_attrs(mean_period="?"))
    with pytest.raises(ValueError, match="tws: units 'K' is not a known water-thickness"):
        model_on_grace(_model(units="K"), like)
    with pytest.raises(ValueError, match="must be an xarray DataArray"):
        model_on_grace(_model().values, like)
    with pytest.raises(ValueError, match="batch_months must be >= 1"):
        model_on_grace(_model(), like, batch_months=0)
