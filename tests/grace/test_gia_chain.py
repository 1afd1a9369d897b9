"""The GIA correction in the Level-2 chain (``grace_l2_tws(gia=...)``, ``jaxgeo grace l2
--gia``): the gridded difference with and without equals the synthesis of
rate × (t − mean t) in closed form, t_ref cancels against a series mean, the output names
the model, and a bad file stops the command before anything is written."""

import warnings
from math import factorial

import numpy as np
import pytest
import xarray as xr
from support.gia_files import caron_lines, gia_rates, ice6g_d_lines, write_lines
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid, cli
from jaxgeo.grace import (
    ewh_degree_factors,
    grace_l2_tws,
    read_gia,
    read_l2_series,
    remove_gia,
)
from jaxgeo.time import decimal_year

GRID = Grid.regular(15.0)


def _l2_dir(tmp_path, lmax=6):
    d = tmp_path / "l2"
    d.mkdir()
    for k, (y, d0, d1) in enumerate(((2004, 1, 31), (2006, 32, 59), (2009, 182, 212),
                                     (2012, 1, 31))):
        c, s = random_coeffs(lmax, seed=k)
        t0 = (np.datetime64(f"{y}-01-01") + np.timedelta64(d0 - 1, "D")).astype(str)
        t1 = (np.datetime64(f"{y}-01-01") + np.timedelta64(d1, "D")).astype(str)
        write_shm(d / shm_name(y, d0, y, d1), c, s, t0.replace("-", ""), t1.replace("-", ""))
    return d


def _tws(d, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no TN-13
        return grace_l2_tws(d, grid=GRID, tn13=None, half_width_km=None, mean_period=None,
                            quiet=True, **kw)


def _read(d):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the gaps between the test months
        return read_l2_series(d, quiet=True)


def _ewh_mm(clm, slm, radius_m, lat, lon):
    """Direct sum of EWH (mm) at one point: an oracle independent of the synthesis table."""
    from scipy.special import lpmv

    lmax = clm.shape[0] - 1
    f = ewh_degree_factors(lmax, radius_m=radius_m) * 1e3
    x = np.sin(np.deg2rad(lat))
    lam = np.deg2rad(lon)
    out = 0.0
    for ell in range(lmax + 1):
        for m in range(ell + 1):
            norm = np.sqrt((2 - (m == 0)) * (2 * ell + 1) * factorial(ell - m)
                           / factorial(ell + m))
            p = norm * (-1) ** m * lpmv(m, ell, x)  # remove Condon-Shortley phase
            out += f[ell] * p * (clm[ell, m] * np.cos(m * lam) + slm[ell, m] * np.sin(m * lam))
    return out


def test_chain_difference_is_the_gia_signal(tmp_path):
    d = _l2_dir(tmp_path)
    clm, slm = gia_rates()
    gfile = write_lines(tmp_path / "GIA_stokes_trend.txt", caron_lines(clm, slm))
    plain, corr = _tws(d), _tws(d, gia=gfile)
    series = _read(d)
    dt = decimal_year(series.mid) - 2003.3
    dt = dt - dt.mean()  # the mean over all months is removed afterwards
    diff = plain.values.astype(np.float64) - corr.values.astype(np.float64)
    for i in (0, 3):
        for j, k in ((2, 5), (9, 17)):
            lat, lon = float(plain.lat[j]), float(plain.lon[k])
            want = _ewh_mm(clm * dt[i], slm * dt[i], series.radius_m, lat, lon)
            assert abs(want) > 1.0  # the signal is mm-sized here
            assert diff[i, j, k] == pytest.approx(want, rel=2e-5, abs=2e-4)
    assert "Caron et al. (2018)" in corr.attrs["gia"] and "t_ref 2003.3" in corr.attrs["gia"]
    assert "GIA removed: Caron" in corr.attrs["history"] and plain.attrs["gia"] == "none"
    # t_ref cancels when the mean is that of the same months
    other = _tws(d, gia=read_gia(gfile), gia_t_ref=2015.0)
    np.testing.assert_allclose(other.values, corr.values, rtol=0, atol=2e-4)
    assert "t_ref 2015" in other.attrs["gia"]


def test_remove_gia_in_coefficients(tmp_path):
    d = _l2_dir(tmp_path)
    clm, slm = gia_rates()
    gfile = write_lines(tmp_path / "ICE-6G_High_Res_Stokes_trend.txt", ice6g_d_lines(clm, slm))
    series = _read(d)
    out, g = remove_gia(series, gfile, t_ref=2005.0)
    dt = decimal_year(series.mid) - 2005.0
    np.testing.assert_allclose(series.clm - out.clm, dt[:, None, None] * clm, rtol=1e-9,
                               atol=1e-24)
    np.testing.assert_allclose(series.slm - out.slm, dt[:, None, None] * slm, rtol=1e-9,
                               atol=1e-24)
    assert g.layout == "ICE6G-D"


def test_cli_gia_records_the_model_and_bad_file_writes_nothing(tmp_path, capsys):
    d = _l2_dir(tmp_path)
    gfile = write_lines(tmp_path / "ICE-6G_High_Res_Stokes_trend.txt",
                        ice6g_d_lines(*gia_rates()))
    out = tmp_path / "tws.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = cli.main(["grace", "l2", str(d), "--gia", str(gfile), "--resolution-deg", "15",
                         "--half-width-km", "0", "--out", str(out), "--quiet"])
    assert code == 0
    with xr.open_dataset(out) as ds:
        assert "ICE-6G_D" in ds.lwe_thickness.attrs["gia"]
        assert "ICE-6G_High_Res_Stokes_trend.txt" in ds.lwe_thickness.attrs["gia"]
    bad = write_lines(tmp_path / "GIA_stokes_trend.txt",
                      caron_lines(*gia_rates())[:7] + ["   1   1  nan"])
    out2 = tmp_path / "tws2.nc"
    capsys.readouterr()
    code = cli.main(["grace", "l2", str(d), "--gia", str(bad), "--resolution-deg", "15",
                     "--out", str(out2), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out2.exists()
    assert err == (f"jaxgeo grace l2: error: {bad}: line 8: non-finite rate nan at degree 1, "
                   f"order 1")
    with pytest.raises(ValueError, match=r"gia must be a file or GIARates, got True"):
        _tws(d, gia=True)
    with pytest.raises(ValueError, match=r"the GIA model stops at degree 6 < lmax 8"):
        hi = tmp_path / "hi"
        hi.mkdir()
        _tws(_l2_dir(hi, lmax=8), gia=gfile)
