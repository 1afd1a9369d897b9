"""jaxgeo.grace.span_average: model output averaged over GRACE solution spans (issue 12)."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo.grace import span_average

D = np.timedelta64(1, "D")


def _daily(start, end, values_fn, units="mm", name="tws", shape=(2, 3)):
    t = np.arange(np.datetime64(start), np.datetime64(end), D).astype("datetime64[ns]")
    vals = np.stack([values_fn(ti) * np.ones(shape) for ti in t])
    return xr.DataArray(vals, dims=("time", "lat", "lon"),
                        coords={"time": t, "lat": [-10.0, 10.0][:shape[0]],
                                "lon": [0.0, 120.0, 240.0][:shape[1]]},
                        attrs={"units": units}, name=name)


def _grace(starts, ends, units="mm"):
    s = np.array(starts, "datetime64[ns]")
    e = np.array(ends, "datetime64[ns]")
    return xr.DataArray(np.zeros((s.size, 2, 3)), dims=("time", "lat", "lon"),
                        coords={"time": s + (e - s) // 2, "time_start": ("time", s),
                                "time_end": ("time", e),
                                "grace_month": ("time", np.arange(s.size) + 1)},
                        attrs={"units": units}, name="lwe_thickness")


def _days(t):
    return (np.asarray(t).astype("datetime64[ns]") - np.datetime64("2000-01-01", "ns")) / D


def test_linear_model_average_is_value_at_span_middle():
    # daily values are day means of f(t) = 3 + 0.01 t: f at the day's middle
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.array([[0.01, -0.02, 0.5], [0.0, 1.0, -1.5]])
    t0 = np.datetime64("2008-01-01", "ns")
    t = np.arange(t0, np.datetime64("2009-01-01", "ns"), D)
    x = a[None] + b[None] * (_days(t) + 0.5)[:, None, None]
    model = xr.DataArray(x, dims=("time", "lat", "lon"), coords={"time": t},
                         attrs={"units": "mm"}, name="tws")
    starts = ["2008-01-01", "2008-02-01", "2008-03-04", "2008-06-16", "2008-12-01"]
    ends = ["2008-02-01", "2008-03-01", "2008-03-20", "2008-07-17", "2009-01-01"]
    out = span_average(model, _grace(starts, ends))
    for j, (s, e) in enumerate(zip(starts, ends, strict=True)):
        mid = (_days(s) + _days(e)) / 2
        np.testing.assert_allclose(out.values[j], a + b * mid, rtol=0, atol=1e-10)
    assert np.all(out["coverage"].values == 1.0)
    assert out.attrs["units"] == "mm"
    np.testing.assert_array_equal(out["time_start"].values, np.array(starts, "datetime64[ns]"))
    np.testing.assert_array_equal(out["grace_month"].values, [1, 2, 3, 4, 5])


def test_special_month_spans_count_days_of_each_month():
    # value = calendar month number: the average counts each month's days in the span
    model = _daily("2011-09-01", "2016-01-01",
                   lambda t: t.astype("datetime64[M]").astype(int) % 12 + 1)
    starts = ["2011-10-16", "2015-04-16", "2011-12-01", "2012-01-01"]
    ends = ["2011-11-16", "2015-05-16", "2012-01-16", "2012-01-31"]
    out = span_average(model, (starts, ends))
    # Oct 16..31 = 16 d of 10, Nov 1..15 = 15 d of 11
    expect = [(16 * 10 + 15 * 11) / 31, (15 * 4 + 15 * 5) / 30, (31 * 12 + 15 * 1) / 46, 1.0]
    np.testing.assert_allclose(out.values[:, 0, 0], expect, rtol=0, atol=1e-12)
    assert out.dims == ("time", "lat", "lon")


def test_monthly_model_onto_spans():
    # monthly values labelled mid-month each cover their calendar month
    months = np.arange(np.datetime64("2015-01"), np.datetime64("2016-01"))
    t = months.astype("datetime64[D]").astype("datetime64[ns]") + 14 * D
    vals = (np.arange(12) + 1.0)[:, None] * np.ones((1, 2))
    model = xr.DataArray(vals, dims=("time", "x"), coords={"time": t},
                         attrs={"units": "cm"}, name="swe")
    out = span_average(model, (["2015-04-16", "2015-02-01", "2015-12-10"],
                               ["2015-05-16", "2015-03-01", "2016-01-10"]))
    np.testing.assert_allclose(out.values[0], [(15 * 4 + 15 * 5) / 30] * 2, atol=1e-12)
    np.testing.assert_allclose(out.values[1], [2.0, 2.0], atol=1e-12)
    assert np.all(np.isnan(out.values[2]))            # half past the model's end
    np.testing.assert_allclose(out["coverage"].values[2], 22 / 31)
    assert out.attrs["units"] == "cm"


def test_partial_cover_nan_by_default_and_covered_part_on_request():
    model = _daily("2008-01-01", "2008-03-11", lambda t: _days(t))  # ends 2008-03-10
    g = _grace(["2008-02-01", "2008-03-01"], ["2008-03-01", "2008-04-01"])
    out = span_average(model, g)
    assert np.isfinite(out.values[0]).all() and np.isnan(out.values[1]).all()
    np.testing.assert_allclose(out["coverage"].values, [1.0, 10 / 31])
    half = span_average(model, g, min_coverage=0.3)
    np.testing.assert_allclose(half.values[1, 0, 0], np.mean(_days(
        np.arange(np.datetime64("2008-03-01"), np.datetime64("2008-03-11"), D))))


def test_missing_day_is_a_gap_not_a_stretch():
    model = _daily("2008-01-01", "2008-03-01", lambda t: 1.0)
    model = model.drop_isel(time=40)                  # 2008-02-10 missing
    out = span_average(model, (["2008-01-01", "2008-02-01"], ["2008-02-01", "2008-03-01"]))
    np.testing.assert_allclose(out["coverage"].values, [1.0, 28 / 29])
    assert np.isnan(out.values[1]).all()
    np.testing.assert_allclose(out.values[0], 1.0, rtol=1e-14)


def test_model_nan_cell_stays_nan_only_where_used():
    model = _daily("2008-01-01", "2008-03-01", lambda t: 2.0)
    model[45, 0, 0] = np.nan                           # in February
    out = span_average(model, (["2008-01-01", "2008-02-01"], ["2008-02-01", "2008-03-01"]))
    np.testing.assert_allclose(out.values[0, 0, 0], 2.0, rtol=1e-14)
    assert np.isnan(out.values[1, 0, 0])
    assert np.isfinite(out.values[1, 1:, :]).all()


def test_time_bounds_of_model_are_used():
    t0 = np.array(["2008-01-01", "2008-01-11", "2008-01-21"], "datetime64[ns]")
    t1 = np.array(["2008-01-11", "2008-01-21", "2008-02-01"], "datetime64[ns]")
    model = xr.DataArray([1.0, 2.0, 3.0], dims="time",
                         coords={"time": t0, "time_start": ("time", t0), "time_end": ("time", t1)},
                         attrs={"units": "m"}, name="s")
    out = span_average(model, (["2008-01-01"], ["2008-02-01"]), units="mm")
    np.testing.assert_allclose(out.values, [(10 * 1 + 10 * 2 + 11 * 3) / 31 * 1000])


@pytest.mark.parametrize("units,factor", [("cm", 10.0), ("m of water equivalent", 1000.0),
                                          ("kg m-2", 1.0), ("mm", 1.0)])
def test_units_converted_to_grace_unit(units, factor):
    model = _daily("2008-01-01", "2008-03-01", lambda t: 1.5, units=units)
    out = span_average(model, _grace(["2008-01-01"], ["2008-02-01"], units="mm"))
    np.testing.assert_allclose(out.values, 1.5 * factor)
    assert out.attrs["units"] == "mm"


@pytest.mark.parametrize("units", ["K", "kg m-2 s-1", "", None])
def test_unknown_units_refused_naming_variable(units):
    model = _daily("2008-01-01", "2008-03-01", lambda t: 1.0, name="snow_depth")
    if units is None:
        del model.attrs["units"]
    else:
        model.attrs["units"] = units
    with pytest.raises(ValueError, match="snow_depth: units") as exc:
        span_average(model, _grace(["2008-01-01"], ["2008-02-01"]))
    assert "\n" not in str(exc.value)


def test_grace_unit_unknown_refused():
    model = _daily("2008-01-01", "2008-03-01", lambda t: 1.0)
    with pytest.raises(ValueError, match="GRACE field: units 'furlong'"):
        span_average(model, _grace(["2008-01-01"], ["2008-02-01"], units="furlong"))


def _bad_time(model, idx, new):
    t = model["time"].values.copy()
    t[idx] = np.datetime64(new, "ns")
    return model.assign_coords(time=t)


@pytest.mark.parametrize("make,spans,match", [
    (lambda m: m, (["2008-02-01"], ["2008-02-01"]), r"span 0 \(2008-02-01\): time_end"),
    (lambda m: m, (["2008-02-05", "2008-03-01"], ["2008-02-01", "2008-04-01"]), "span 0"),
    (lambda m: _bad_time(m, 5, "2008-01-05T12"), None, "irregular time step at index 5"),
    (lambda m: _bad_time(m, 5, "2008-01-03"), None, "not increasing at index 5"),
    (lambda m: m.isel(time=[0]), None, "one time step only"),
    (lambda m: m.isel(time=0), None, "'time' dim"),
    (lambda m: m, ([1.0], [2.0]), "time_start must be numpy.datetime64"),
    (lambda m: m, "2008-01", "spans must be"),
    (lambda m: m, (["2008-01-01", "2008-02-01"], ["2008-02-01"]), "time_start has 2 values"),
])
def test_bad_inputs_one_line_errors(make, spans, match):
    model = make(_daily("2008-01-01", "2008-03-01", lambda t: 1.0, name="tws"))
    spans = spans if spans is not None else (["2008-01-01"], ["2008-02-01"])
    with pytest.raises(ValueError, match=match) as exc:
        span_average(model, spans)
    assert "\n" not in str(exc.value)


def test_monthly_duplicate_month_and_overlapping_bounds_refused():
    t = np.array(["2008-01-01", "2008-02-01", "2008-02-29", "2008-04-01"], "datetime64[ns]")
    model = xr.DataArray(np.ones(4), dims="time", coords={"time": t}, attrs={"units": "mm"},
                         name="m")
    with pytest.raises(ValueError, match=r"m: two monthly values in 2008-02 \(index 2\)"):
        span_average(model, (["2008-01-01"], ["2008-02-01"]))
    t1 = np.array(["2008-02-05", "2008-03-01", "2008-04-01", "2008-05-01"], "datetime64[ns]")
    t0 = np.array(["2008-01-01", "2008-02-01", "2008-03-01", "2008-04-01"], "datetime64[ns]")
    model = model.assign_coords(time=t0, time_start=("time", t0), time_end=("time", t1))
    with pytest.raises(ValueError, match="m: time step 0 overlaps"):
        span_average(model, (["2008-01-01"], ["2008-02-01"]))


@pytest.mark.parametrize("cov", [0.0, -0.5, 1.5])
def test_min_coverage_range(cov):
    model = _daily("2008-01-01", "2008-03-01", lambda t: 1.0)
    with pytest.raises(ValueError, match="min_coverage must be in"):
        span_average(model, (["2008-01-01"], ["2008-02-01"]), min_coverage=cov)


def test_grace_output_without_bounds_refused():
    model = _daily("2008-01-01", "2008-03-01", lambda t: 1.0)
    g = _grace(["2008-01-01"], ["2008-02-01"]).drop_vars("time_end")
    with pytest.raises(ValueError, match="no time_end coordinate"):
        span_average(model, g)


def test_model_not_modified():
    model = _daily("2008-01-01", "2008-03-01", lambda t: _days(t), units="cm")
    before = model.copy(deep=True)
    span_average(model, _grace(["2008-01-01"], ["2008-02-01"]))
    xr.testing.assert_identical(model, before)


def test_time_not_first_dim_and_hourly_steps():
    t = np.arange(np.datetime64("2008-01-01T00", "ns"), np.datetime64("2008-03-01T00", "ns"),
                  np.timedelta64(3, "h"))
    hours = (t - t[0]) / np.timedelta64(1, "h") + 1.5          # 3-hour means of f = hours
    model = xr.DataArray(np.stack([hours, -hours]), dims=("x", "time"), coords={"time": t},
                         attrs={"units": "mm"}, name="q")
    out = span_average(model, (["2008-01-10T06"], ["2008-01-20T12"]))
    assert out.dims == ("time", "x")
    mid = ((9 * 24 + 6) + (19 * 24 + 12)) / 2
    np.testing.assert_allclose(out.values[0], [mid, -mid], rtol=1e-13)


def test_numeric_model_time_refused_naming_variable():
    model = xr.DataArray(np.ones(5), dims="time", coords={"time": np.arange(5.0)},
                         attrs={"units": "mm"}, name="runoff")
    with pytest.raises(ValueError, match="runoff time must be numpy.datetime64"):
        span_average(model, (["2008-01-01"], ["2008-02-01"]))


def test_quarterly_steps_refused_not_taken_as_months():
    t = np.array(["2008-01-01", "2008-04-01", "2008-07-01", "2008-10-01"], "datetime64[ns]")
    model = xr.DataArray(np.ones(4), dims="time", coords={"time": t}, attrs={"units": "mm"},
                         name="seasonal")
    with pytest.raises(ValueError, match="seasonal: time steps of 3 months"):
        span_average(model, (["2008-01-01"], ["2008-02-01"]))
