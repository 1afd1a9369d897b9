"""jaxgeo.grace.anomaly: model anomalies over the GRACE field's base period (issue 12)."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo.grace import anomaly, span_average

D = np.timedelta64(1, "D")


def _grace(first="2003-01", last="2011-12", attrs=None, seed=0):
    months = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    s = months.astype("datetime64[ns]")
    e = (months + 1).astype("datetime64[ns]")
    mid = s + (e - s) // 2
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(s.size, 2, 3)) * 30.0 + 7.0
    base = (mid >= np.datetime64("2004-01-01")) & (mid < np.datetime64("2010-01-01"))
    x = x - x[base].mean(axis=0)                     # as remove_mean over 2004..2009
    a = {"units": "mm", "mean_period": "2004-01-01..2010-01-01"} if attrs is None else attrs
    return xr.DataArray(x, dims=("time", "lat", "lon"),
                        coords={"time": mid, "time_start": ("time", s), "time_end": ("time", e),
                                "lat": [-5.0, 5.0], "lon": [0.0, 1.0, 2.0]},
                        attrs=a, name="lwe_thickness")


def _base(g):
    mid = g["time"].values
    return (mid >= np.datetime64("2004-01-01")) & (mid < np.datetime64("2010-01-01"))


def test_grace_field_relative_to_its_own_base_is_itself_with_zero_base_mean():
    g = _grace()
    out = anomaly(g, g)
    np.testing.assert_allclose(out.values, g.values, atol=1e-10)
    np.testing.assert_allclose(out.values[_base(g)].mean(axis=0), 0.0, atol=1e-10)
    assert out.attrs["mean_period"] == "2004-01-01..2010-01-01"
    assert len(out.attrs["base_months"].split(",")) == 72


def test_constant_offset_and_unit_disappear():
    g = _grace()
    shifted = (g / 10.0 + 5.0).assign_attrs(units="cm")   # same field in cm, offset 5 cm
    np.testing.assert_allclose(anomaly(shifted, g).values, g.values, atol=1e-9)
    assert anomaly(shifted, g).attrs["units"] == "mm"


def test_daily_model_over_the_months_present_in_both():
    g = _grace()
    # daily model, linear in time, from 2005-01-01 only: base = 2005-01..2009-12 (60 months)
    t = np.arange(np.datetime64("2005-01-01"), np.datetime64("2012-01-01"), D)
    days = (t - np.datetime64("2005-01-01")) / D
    model = xr.DataArray((2.0 + 0.01 * (days + 0.5))[:, None, None] * np.ones((1, 2, 3)),
                         dims=("time", "lat", "lon"),
                         coords={"time": t.astype("datetime64[ns]")},
                         attrs={"units": "mm"}, name="tws")
    out = anomaly(model, g)
    on = span_average(model, g)
    use = _base(g) & np.isfinite(on.values[:, 0, 0])
    assert use.sum() == 60
    np.testing.assert_allclose(out.values, on.values - on.values[use].mean(axis=0),
                               atol=1e-10, equal_nan=True)
    np.testing.assert_allclose(np.nanmean(out.values[use], axis=0), 0.0, atol=1e-10)
    assert out.attrs["base_months"].split(",")[0] == "2005-01"
    assert np.isnan(out.values[:24]).all()           # 2003-2004: no model, NaN not zero


def test_period_read_from_history_and_given_explicitly():
    g = _grace(attrs={"units": "mm", "history": "jaxgeo.grace.grace_l2_tws; mean removed: "
                      "2004-01-01..2010-01-01"})
    np.testing.assert_allclose(anomaly(g + 3.0, g).values, g.values, atol=1e-9)
    g2 = _grace(attrs={"units": "mm"})
    out = anomaly(g2 + 3.0, g2, mean_period=("2004-01-01", "2010-01-01"))
    np.testing.assert_allclose(out.values, g.values, atol=1e-9)
    g3 = _grace(attrs={"units": "mm", "mean_period": "all months"})
    out = anomaly(g3, g3)
    np.testing.assert_allclose(out.values.mean(axis=0), 0.0, atol=1e-10)


def test_dataset_like_uses_lwe_thickness():
    g = _grace()
    ds = g.to_dataset()
    ds["lwe_thickness_sigma"] = g * 0 + 1.0
    np.testing.assert_allclose(anomaly(g + 1.0, ds).values, g.values, atol=1e-9)


@pytest.mark.parametrize("attrs,period,match", [
    ({"units": "mm"}, None, "lwe_thickness: no mean period recorded"),
    ({"units": "mm", "history": "mean removed: field GGM05C.gfc"}, None,
     "no mean period recorded.*GGM05C"),
    ({"units": "mm"}, ("2020-01-01", "2021-01-01"), "no month of the GRACE base period "
     "2020-01-01..2021-01-01"),
    ({"units": "mm"}, ("2010-01-01", "2004-01-01"), "mean_period: end 2004-01-01 is not after"),
    ({"units": "mm"}, ("2004-13-01", "2005-01-01"), "mean_period"),
])
def test_bad_periods_one_line_errors(attrs, period, match):
    g = _grace(attrs=attrs)
    with pytest.raises(ValueError, match=match) as exc:
        anomaly(g, g, mean_period=period)
    assert "\n" not in str(exc.value)


def test_model_without_data_in_base_period_names_model():
    g = _grace()
    t = np.arange(np.datetime64("2010-06-01"), np.datetime64("2011-06-01"), D)
    model = xr.DataArray(np.ones((t.size, 2, 3)), dims=("time", "lat", "lon"),
                         coords={"time": t.astype("datetime64[ns]")}, attrs={"units": "mm"},
                         name="gldas_tws")
    with pytest.raises(ValueError, match="gldas_tws: no month of the GRACE base period"):
        anomaly(model, g)


def test_unknown_model_units_on_grace_spans_refused():
    g = _grace()
    bad = (g * 1.0).assign_attrs(units="W m-2").rename("soil_moisture")
    with pytest.raises(ValueError, match="soil_moisture: units 'W m-2'"):
        anomaly(bad, g)


def test_inputs_untouched():
    g = _grace()
    m = (g + 2.0).assign_attrs(units="mm")
    g0, m0 = g.copy(deep=True), m.copy(deep=True)
    anomaly(m, g)
    xr.testing.assert_identical(g, g0)
    xr.testing.assert_identical(m, m0)


def test_complete_monthly_axis_gap_months_excluded_from_base():
    from jaxgeo.grace import reindex_months

    g = _grace().drop_isel(time=[20, 30, 31])          # 2004-09, 2005-07, 2005-08 missing
    g = g.assign_coords(grace_month=("time", (g["time"].values.astype("datetime64[M]")
                                              - np.datetime64("2002-01")).astype(int) + 1))
    full = reindex_months(g)
    assert int((~full["observed"]).sum()) == 3
    t = np.arange(np.datetime64("2003-01-01"), np.datetime64("2012-01-01"), D)
    days = (t - t[0]) / D
    model = xr.DataArray((days + 0.5)[:, None, None] ** 1.5 * np.ones((1, 2, 3)),
                         dims=("time", "lat", "lon"), coords={"time": t.astype("datetime64[ns]")},
                         attrs={"units": "mm"}, name="tws")
    on = span_average(model, full)
    gap = ~full["observed"].values
    assert np.isnan(on.values[gap]).all() and np.isnan(on["coverage"].values[gap]).all()
    np.testing.assert_array_equal(on["time"].values, full["time"].values)
    out = anomaly(model, full)
    assert len(out.attrs["base_months"].split(",")) == 69
    assert "2004-09" not in out.attrs["base_months"]
    # oracle: the same on the gappy (not completed) axis
    ref = anomaly(model, g)
    np.testing.assert_allclose(out.sel(time=g["time"]).values, ref.values, rtol=1e-12)
    # the field itself relative to its own base (gaps NaN, not 0)
    own = anomaly(full, full)
    np.testing.assert_allclose(np.nanmean(own.values[_base(full) & ~gap], axis=0), 0.0,
                               atol=1e-10)
    assert np.isnan(own.values[gap]).all()


def test_time_labels_are_the_grace_times():
    g = _grace()
    s = g["time_start"].values + np.timedelta64(1, "s")     # odd-second spans
    g = g.assign_coords(time_start=("time", s))
    t = np.arange(np.datetime64("2002-12-01"), np.datetime64("2012-02-01"), D)
    model = xr.DataArray(np.ones((t.size, 2, 3)), dims=("time", "lat", "lon"),
                         coords={"time": t.astype("datetime64[ns]")}, attrs={"units": "mm"},
                         name="tws")
    on = span_average(model, g)
    np.testing.assert_array_equal(on["time"].values, g["time"].values)
    assert (g - on).sizes["time"] == g.sizes["time"]


def test_like_without_bounds_refused():
    g = _grace().drop_vars("time_start")
    with pytest.raises(ValueError, match="lwe_thickness: GRACE output has no time_start"):
        anomaly(g, g)


def test_cell_missing_in_a_base_month_is_nan_not_a_shorter_mean():
    g = _grace()
    m = (g + 1.0).assign_attrs(units="mm")
    m[30, 1, 2] = np.nan                              # 2005-07, in the base period
    out = anomaly(m, g)
    assert np.isnan(out.values[:, 1, 2]).all()
    np.testing.assert_allclose(out.values[:, 0, 0], g.values[:, 0, 0], atol=1e-9)
