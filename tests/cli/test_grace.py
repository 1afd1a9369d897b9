"""``jaxgeo grace l2`` / ``jaxgeo grace mascon``: CF NetCDF output readable by Grid.from_xarray."""

import math

import numpy as np
import pytest
import xarray as xr
from support.cli import run_subcommand
from support.grace_files import mascon_field as _field
from support.grace_files import random_coeffs, shm_name, write_shm
from support.grace_files import write_mascon as _write_mascon

from jaxgeo import Grid, cli
from jaxgeo.grace import ewh_degree_factors


def _run(argv):
    return run_subcommand(argv)


def test_registered_in_jaxgeo_cli(capsys):
    assert "grace" in cli._GROUPS
    with pytest.raises(SystemExit) as exc:
        cli.main(["grace", "l2", "--help"])
    assert exc.value.code == 0 and "--tn13" in capsys.readouterr().out


def test_cli_l2_writes_cf_netcdf(tmp_path):
    d = tmp_path / "l2"
    d.mkdir()
    lmax = 4
    zero_c, zero_s = np.zeros((lmax + 1, lmax + 1)), np.zeros((lmax + 1, lmax + 1))
    # month 2 carries +1e-10 in C20 relative to months 1 and 3
    for k, (d0, d1, t0, t1) in enumerate([(1, 31, "20050101", "20050201"),
                                          (32, 59, "20050201", "20050301"),
                                          (60, 90, "20050301", "20050401")]):
        c = zero_c.copy()
        c[2, 0] = 1e-10 if k == 1 else 0.0
        write_shm(d / shm_name(2005, d0, 2005, d1), c, zero_s, t0, t1)
    out = tmp_path / "tws.nc"
    with pytest.warns(UserWarning, match="no TN-13"):
        assert _run(["grace", "l2", str(d), "--half-width-km", "0", "--resolution-deg", "10",
                     "--mean-period", "2005-01-01", "2005-04-01", "--out", str(out),
                     "--quiet"]) == 0
    ds = xr.open_dataset(out)
    da = ds["lwe_thickness"]
    assert da.dims == ("time", "lat", "lon") and da.dtype == np.float32
    assert da.attrs["units"] == "mm" and ds.attrs["Conventions"] == "CF-1.8"
    assert Grid.from_xarray(da) == Grid.regular(10.0)
    assert str(da.time.values[0])[:10] == "2005-01-16"
    # closed form: month 2 anomaly = (2/3)·1e-10·F_2·√5·P_2(sin φ), in mm
    f2 = ewh_degree_factors(4, radius_m=6378136.3)[2] * 1000.0
    t = np.sin(np.deg2rad(da.lat.values))
    ref = (2 / 3) * 1e-10 * f2 * math.sqrt(5) * (3 * t**2 - 1) / 2
    np.testing.assert_allclose(da[1].values, np.broadcast_to(ref[:, None], (18, 36)),
                               rtol=1e-5, atol=1e-6)
    ds.close()
    # a rerun replaces the file atomically and leaves no temporary behind
    with pytest.warns(UserWarning, match="no TN-13"):
        _run(["grace", "l2", str(d), "--half-width-km", "0", "--resolution-deg", "20",
              "--mean-period", "2005-01-01", "2005-04-01", "--out", str(out), "--quiet"])
    assert xr.open_dataarray(out).shape == (3, 9, 18)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l2", "tws.nc"]


def test_cli_mascon_and_bad_input(tmp_path):
    _write_mascon(tmp_path / "jpl.nc", 3.0, ["2006-05"])
    out = tmp_path / "m.nc"
    assert _run(["grace", "mascon", str(tmp_path / "jpl.nc"), "--out", str(out),
                 "--quiet"]) == 0
    da = xr.open_dataarray(out)
    g = Grid.from_xarray(da)
    np.testing.assert_allclose(da[0].values, 10 * _field(g.lat, g.lon, 0), rtol=1e-5,
                               atol=1e-4)
    assert da.attrs["units"] == "mm"
    da.close()
    # a corrupt Level-2 file: the error names it, and no output file is left behind
    d = tmp_path / "bad"
    d.mkdir()
    c, s = random_coeffs(4)
    good = write_shm(d / shm_name(2005, 1, 2005, 31), c, s, "20050101", "20050201")
    (d / shm_name(2005, 32, 2005, 59)).write_bytes(good.read_bytes()[:200])
    with pytest.raises(ValueError, match="GSM-2_2005032-2005059.*truncated or corrupt"):
        _run(["grace", "l2", str(d), "--out", str(tmp_path / "x.nc"), "--quiet"])
    assert not (tmp_path / "x.nc").exists() and not list(tmp_path.glob(".x.nc*"))
