"""A complete monthly axis with an explicit gap mask (issue 12, item 4): missing GRACE months
are NaN with ``observed=False``, never interpolated unless asked; interpolation is linear
in time, cell by cell, and named in an attribute."""

import warnings

import numpy as np
import pytest
import xarray as xr
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid
from jaxgeo.grace import grace_l2_tws, reindex_months
from jaxgeo.time import grace_month_start

# gravity-toolkit 1.2.8 grace_date(...) months of the 231 shared CSR RL06 GSM files
# (the oracle recorded in tests/faults/test_grace_months.py)
GTK_CSR_MONTHS = [m for a, b in [
    (4, 5), (8, 17), (19, 108), (110, 113), (115, 122), (124, 124), (126, 129), (131, 134),
    (136, 139), (142, 145), (147, 150), (152, 155), (157, 161), (163, 165), (168, 171),
    (173, 176), (179, 181), (183, 186), (198, 199), (202, 268)] for m in range(a, b + 1)]


def _names(months):
    return [str(m) for m in grace_month_start(np.asarray(months)).astype("datetime64[M]")]


def test_shared_csr_gaps_are_exact(shared_data):
    files = sorted((shared_data / "grace-l2" / "csr-rl06").glob("GSM-2_*.gz"))
    assert len(files) == 231
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = grace_l2_tws(files, grid=Grid.regular(15.0), lmax=6, quiet=True)
        da = grace_l2_tws(files, grid=Grid.regular(15.0), lmax=6, quiet=True,
                          complete_months=True)
    full = np.arange(4, 269)
    np.testing.assert_array_equal(da["grace_month"].values, full)
    np.testing.assert_array_equal(da["observed"].values, np.isin(full, GTK_CSR_MONTHS))
    gaps = _names(np.setdiff1d(full, GTK_CSR_MONTHS))
    assert da.attrs["gap_months"] == ", ".join(gaps)
    for known in ["2002-06", "2002-07", "2003-06", "2012-03", "2018-08", "2018-09",
                  *(f"2017-{m:02d}" for m in range(7, 13)),
                  *(f"2018-{m:02d}" for m in range(1, 6))]:  # the GRACE/GRACE-FO gap
        assert known in gaps
    assert len(gaps) == 34 and da.sizes["time"] == 265
    assert np.isnan(da.values[~da["observed"].values]).all()
    # the observed months are the plain output, unchanged (nothing lost or moved)
    obs = da.isel(time=np.flatnonzero(da["observed"].values))
    np.testing.assert_array_equal(obs.values, plain.values)
    np.testing.assert_array_equal(obs["time"].values, plain["time"].values)
    np.testing.assert_array_equal(obs["time_start"].values, plain["time_start"].values)
    assert np.isnat(da["time_start"].values[~da["observed"].values]).all()
    assert da.dtype == np.float32


def _series(months, values, extra=()):
    mid = grace_month_start(np.asarray(months)) + np.timedelta64(15, "D")
    return xr.DataArray(values, dims=("time", "x", *extra),
                        coords={"time": mid, "grace_month": ("time", np.asarray(months))},
                        name="lwe_thickness", attrs={"units": "mm"})


def test_interpolation_matches_the_closed_form():
    months = np.array([10, 11, 14, 15, 16, 20])
    mid = grace_month_start(months) + np.timedelta64(15, "D")
    t_obs = (mid - mid[0]) / np.timedelta64(1, "D")
    a, b = np.array([1.0, -2.0, 5.0]), np.array([0.3, 0.01, -1.5])
    quad = (t_obs ** 2)[:, None] * 1e-3
    values = a + b * t_obs[:, None] + quad
    da = _series(months, values)
    before = da.copy(deep=True)
    out = reindex_months(da, interpolate_gaps=True)
    xr.testing.assert_identical(da, before)  # input untouched
    full = np.arange(10, 21)
    assert list(out["observed"].values) == list(np.isin(full, months))
    t = (out["time"].values - mid[0]) / np.timedelta64(1, "D")
    for k in np.flatnonzero(~out["observed"].values):
        # linear between the neighbouring solutions, at the missing month's mid-month time
        i, j = max(m for m in months if m < full[k]), min(m for m in months if m > full[k])
        ti, tj = t[full == i][0], t[full == j][0]
        vi, vj = values[months == i][0], values[months == j][0]
        want = vi + (t[k] - ti) / (tj - ti) * (vj - vi)
        np.testing.assert_allclose(out.values[k], want, rtol=1e-12)
        mid_k = grace_month_start(full[k]) + (grace_month_start(full[k] + 1)
                                              - grace_month_start(full[k])) // 2
        assert out["time"].values[k] == mid_k
    # a linear function of time is reproduced exactly
    lin = reindex_months(_series(months, a + b * t_obs[:, None]), interpolate_gaps=True)
    np.testing.assert_allclose(lin.values, a + b * t[:, None], rtol=1e-12)
    names = ", ".join(_names([12, 13, 17, 18, 19]))
    assert out.attrs["interpolated_months"] == names == out.attrs["gap_months"]
    np.testing.assert_array_equal(out.values[out["observed"].values], values)


def test_no_interpolation_unless_asked_and_sigma_never_interpolated():
    da = _series([3, 5], np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    out = reindex_months(da)
    assert np.isnan(out.values[1]).all() and "interpolated_months" not in out.attrs
    assert out.dtype == np.float32
    ds = da.to_dataset()
    ds["lwe_thickness_sigma"] = da * 0 + 7.0
    out = reindex_months(ds, interpolate_gaps=True)
    # 2002-03-16 -> 2002-04-16 (mid April) -> 2002-05-16: 31 of 61 days
    np.testing.assert_allclose(out["lwe_thickness"].values[1],
                               [1 + 2 * 31 / 61, 2 + 2 * 31 / 61], rtol=1e-6)
    assert np.isnan(out["lwe_thickness_sigma"].values[1]).all()
    np.testing.assert_array_equal(out["lwe_thickness_sigma"].values[[0, 2]], 7.0)
    # no gap: same values, all observed, no interpolation attribute
    full = reindex_months(_series([3, 4], np.ones((2, 2))), interpolate_gaps=True)
    assert full["observed"].values.all() and full.attrs["gap_months"] == ""


def test_mascon_like_output_uses_calendar_months():
    t = np.array(["2003-01-16", "2003-03-16"], "datetime64[ns]")
    da = xr.DataArray(np.ones((2, 1)), dims=("time", "x"), coords={"time": t})
    out = reindex_months(da)
    assert list(out["grace_month"].values) == [13, 14, 15]
    assert out.attrs["gap_months"] == "2003-02"


def test_grace_l2_tws_gaps_end_to_end(tmp_path):
    for k, (y0, d0, y1, d1) in enumerate([(2004, 1, 2004, 31), (2004, 32, 2004, 60),
                                           (2004, 92, 2004, 121)]):
        clm, slm = random_coeffs(8, seed=k)
        write_shm(tmp_path / shm_name(y0, d0, y1, d1), clm, slm,
                  *(str(np.datetime64(f"{y}-01-01") + np.timedelta64(d - 1, "D"))
                    .replace("-", "") for y, d in ((y0, d0), (y1, d1 + 1))))
    kw = dict(grid=Grid.regular(30.0), lmax=8, quiet=True, mean_period=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ds = grace_l2_tws(tmp_path, sigma=True, interpolate_gaps=True, **kw)
    assert list(ds["observed"].values) == [True, True, False, True]
    assert ds.attrs["interpolated_months"] == "2004-03"
    assert np.isfinite(ds["lwe_thickness"].values).all()
    assert np.isnan(ds["lwe_thickness_sigma"].values[2]).all()
    assert (ds["lwe_thickness_sigma"].values[[0, 1, 3]] > 0).all()


@pytest.mark.parametrize("case,match", [
    ("dup", r"two time steps in month 2003-01"),
    ("no_time", r"has no time steps"),
    ("empty", r"has no time steps"),
    ("flag", r"interpolate_gaps must be True or False, got 'yes'"),
])
def test_reindex_faults(case, match):
    if case == "dup":
        t = np.array(["2003-01-05", "2003-01-25"], "datetime64[ns]")
        da = xr.DataArray(np.ones(2), dims="time", coords={"time": t}, name="x")
    elif case == "no_time":
        da = xr.DataArray(np.ones(2), dims="x", name="x")
    else:
        da = _series([3], np.ones((1, 2)))
        if case == "empty":
            da = da.isel(time=slice(0, 0))
    before = da.copy(deep=True)
    with pytest.raises(ValueError, match=match):
        reindex_months(da, interpolate_gaps="yes" if case == "flag" else False)
    xr.testing.assert_identical(da, before)


@pytest.mark.parametrize("flag", ["complete_months", "interpolate_gaps", "sigma"])
def test_grace_l2_tws_flag_faults(tmp_path, flag):
    with pytest.raises(ValueError, match=rf"grace_l2_tws: {flag} must be True or False, "
                                         r"got 'yes'"):
        grace_l2_tws(tmp_path, grid=Grid.regular(30.0), **{flag: "yes"})


def test_open_mascon_complete_months(tmp_path):
    from support.grace_files import write_mascon

    from jaxgeo.grace import open_mascon

    path = tmp_path / "m.nc"
    write_mascon(path, 30.0, ["2003-01", "2003-02", "2003-05"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = open_mascon(path)
        da = open_mascon(path, complete_months=True)
        filled = open_mascon(path, interpolate_gaps=True)
    assert list(da["grace_month"].values) == [13, 14, 15, 16, 17]
    assert list(da["observed"].values) == [True, True, False, False, True]
    assert da.attrs["gap_months"] == "2003-03, 2003-04"
    np.testing.assert_array_equal(da.values[da["observed"].values], plain.values)
    assert np.isnan(da.values[2:4]).all() and da.dtype == np.float32
    t = (da["time"].values - da["time"].values[1]) / np.timedelta64(1, "D")
    frac = t[2:4] / t[4]
    want = plain.values[1] + frac[:, None, None] * (plain.values[2] - plain.values[1])
    np.testing.assert_allclose(filled.values[2:4], want, rtol=1e-6)
    assert filled.attrs["interpolated_months"] == "2003-03, 2003-04"
    with pytest.raises(ValueError, match=r"open_mascon: complete_months must be True or "
                                         r"False, got 1"):
        open_mascon(path, complete_months=1)
