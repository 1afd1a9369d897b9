"""span_average / anomaly on the output of grace_l2_tws (synthetic Level-2 files)."""

import warnings

import numpy as np
import pytest
import xarray as xr
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid
from jaxgeo.grace import anomaly, grace_l2_tws, span_average


def _l2_dir(tmp_path):
    d = tmp_path / "l2"
    d.mkdir()
    for k, (d0, d1) in enumerate(((1, 31), (32, 60), (61, 91), (92, 121))):
        c, s = random_coeffs(6, seed=k)
        t0 = (np.datetime64("2004-01-01") + np.timedelta64(d0 - 1, "D")).astype(str)
        t1 = (np.datetime64("2004-01-01") + np.timedelta64(d1, "D")).astype(str)
        write_shm(d / shm_name(2004, d0, 2004, d1), c, s, t0.replace("-", ""),
                  t1.replace("-", ""))
    return d


def _tws(tmp_path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return grace_l2_tws(_l2_dir(tmp_path), grid=Grid.regular(30.0), tn13=None, tn14=None,
                            half_width_km=None, **kw)


def test_grace_l2_tws_records_mean_period_and_anomaly_reads_it(tmp_path):
    da = _tws(tmp_path, mean_period=("2004-01-01", "2004-03-01"))
    assert da.attrs["mean_period"] == "2004-01-01..2004-03-01"
    # the field relative to its own base: base-period mean zero, field unchanged
    out = anomaly(da.astype(np.float64), da)
    assert out.attrs["base_months"] == "2004-01,2004-02"
    np.testing.assert_allclose(out.values, da.values, atol=1e-3)
    # a daily model in cm, linear in time: span averages are values at span middles
    t = np.arange(np.datetime64("2003-12-01"), np.datetime64("2004-06-01"),
                  np.timedelta64(1, "D")).astype("datetime64[ns]")
    days = (t - t[0]) / np.timedelta64(1, "D") + 0.5
    model = xr.DataArray(np.broadcast_to((1.0 + 0.1 * days)[:, None, None],
                                         (t.size, *da.shape[1:])).copy(),
                         dims=da.dims, coords={"time": t}, attrs={"units": "cm"}, name="m")
    on = span_average(model, da)
    mid_days = (da["time"].values - t[0]) / np.timedelta64(1, "D")
    np.testing.assert_allclose(on.values[:, 0, 0], 10.0 * (1.0 + 0.1 * mid_days), rtol=1e-12)
    assert on.attrs["units"] == "mm"
    np.testing.assert_array_equal(on["grace_month"].values, da["grace_month"].values)
    an = anomaly(model, da)
    np.testing.assert_allclose(an.values[:2].mean(axis=0), 0.0, atol=1e-9)


def test_all_months_mean_recorded(tmp_path):
    da = _tws(tmp_path, mean_period=None)
    assert da.attrs["mean_period"] == "all months"
    out = anomaly(da.astype(np.float64), da)
    assert len(out.attrs["base_months"].split(",")) == 4


@pytest.mark.shared_data
def test_real_special_month_2015_05_day_counts(shared_data):
    from datetime import datetime

    gdir = shared_data / "grace-l2" / "csr-rl06"
    files = [gdir / f"GSM-2_{a}_GRAC_UTCSR_BB01_0600.gz"
             for a in ("2015060-2015090", "2015091-2015120", "2015102-2015131")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        da = grace_l2_tws(files, grid=Grid.regular(30.0), tn13=None, tn14=None, lmax=10,
                          half_width_km=None, mean_period=None)
    # the special month: GRACE month 2015-05 (161) is centred in April
    assert list(da["grace_month"].values) == [159, 160, 161]
    t = np.arange(np.datetime64("2015-02-01"), np.datetime64("2015-07-01"),
                  np.timedelta64(1, "D")).astype("datetime64[ns]")
    month = t.astype("datetime64[M]").astype(int) % 12 + 1.0
    model = xr.DataArray(np.broadcast_to(month[:, None, None], (t.size, *da.shape[1:])).copy(),
                         dims=da.dims, coords={"time": t}, attrs={"units": "mm"}, name="m")
    on = span_average(model, da)
    s = datetime.fromisoformat(str(da["time_start"].values[2])[:19])
    e = datetime.fromisoformat(str(da["time_end"].values[2])[:19])
    may1 = datetime(2015, 5, 1)
    d_apr, d_may = (may1 - s).total_seconds(), (e - may1).total_seconds()
    assert d_apr > 0 and d_may > 0
    np.testing.assert_allclose(on.values[2, 0, 0], (4 * d_apr + 5 * d_may) / (d_apr + d_may),
                               rtol=1e-12)
    np.testing.assert_allclose(on.values[:2, 0, 0], [3.0, 4.0], rtol=1e-12)
    np.testing.assert_array_equal(on["time"].values, da["time"].values)


def test_anomaly_from_grace_output_read_back_from_netcdf(tmp_path):
    da = _tws(tmp_path, mean_period=("2004-01-01", "2004-03-01"))
    path = tmp_path / "tws.nc"
    da.to_netcdf(path)
    with xr.open_dataset(path) as ds:
        back = ds.load()
    assert back["lwe_thickness"].attrs["mean_period"] == "2004-01-01..2004-03-01"
    out = anomaly((back["lwe_thickness"] + 2.0).astype(np.float64), back)
    np.testing.assert_allclose(out.values, da.values, atol=1e-3)
    assert out.attrs["base_months"] == "2004-01,2004-02"
