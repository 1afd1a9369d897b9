"""Readers for ERA5 pressure levels and Wyoming soundings, on the real shared files."""

import warnings

import netCDF4
import numpy as np
import pytest
import xarray as xr

from jaxgeo import troposphere as tr

ERA5 = "troposphere/ERA-5_2018_03_27_T13_00_00.nc"
SONDE = "troposphere/may4_sounding.txt"


@pytest.mark.shared_data
def test_era5_reader_against_raw_int16(shared_data):
    ds = tr.read_era5_profiles(shared_data / ERA5)
    assert ds.sizes == {"profile": 24 * 67, "level": 37}
    assert ds["height"].attrs["units"] == "m" and ds["vapour_pressure"].attrs["units"] == "hPa"
    # oracle: unpack the int16 by hand with scale_factor/add_offset from the raw file
    with netCDF4.Dataset(shared_data / ERA5) as nc:
        nc.set_auto_maskandscale(False)
        t_raw = nc["t"][0, :, 0, 0].astype(np.float64)
        t_ref = t_raw * nc["t"].scale_factor + nc["t"].add_offset
        q_raw = nc["q"][0, :, 0, 0].astype(np.float64)
        q_ref = q_raw * nc["q"].scale_factor + nc["q"].add_offset
        z_raw = nc["z"][0, :, 0, 0].astype(np.float64)
        z_ref = z_raw * nc["z"].scale_factor + nc["z"].add_offset
        lev = nc["level"][:].astype(np.float64)
        lat0, lon0 = float(nc["latitude"][0]), float(nc["longitude"][0])
    assert float(ds["lat"][0]) == lat0 and float(ds["lon"][0]) == lon0
    np.testing.assert_allclose(ds["temperature"].values[0], t_ref, rtol=1e-12)
    eps = 18.0152 / 28.9644
    e_ref = np.maximum(q_ref, 0) * lev / (eps + (1 - eps) * np.maximum(q_ref, 0))
    np.testing.assert_allclose(ds["vapour_pressure"].values[0], e_ref, rtol=1e-12)
    # geometric height within 0.5 % of geopotential height below 20 km
    sel = z_ref < 9.80665 * 20000
    np.testing.assert_allclose(ds["height"].values[0][sel], z_ref[sel] / 9.80665, rtol=5e-3,
                               atol=1.0)
    zwd = tr.zwd_profile(ds["height"].values, ds["temperature"].values,
                         ds["vapour_pressure"].values)
    surface = np.asarray(zwd)[:, -1]  # 1000 hPa level
    assert 0.05 < surface.min() and surface.max() < 0.45


@pytest.mark.shared_data
def test_era5_reader_bad_files(shared_data, tmp_path):
    with xr.open_dataset(shared_data / ERA5) as raw:
        raw = raw.load()
    raw.drop_vars(["q", "r"]).to_netcdf(tmp_path / "noq.nc")
    with pytest.raises(ValueError, match="humidity"):
        tr.read_era5_profiles(tmp_path / "noq.nc")
    raw.drop_vars(["z"]).to_netcdf(tmp_path / "noz.nc")
    with pytest.raises(ValueError, match="'z'"):
        tr.read_era5_profiles(tmp_path / "noz.nc")
    bad = raw.copy()
    bad["t"].attrs["units"] = "degC"
    bad.to_netcdf(tmp_path / "badunits.nc")
    with pytest.raises(ValueError, match="units"):
        tr.read_era5_profiles(tmp_path / "badunits.nc")
    neg = raw.copy()
    neg["q"] = neg["q"] - 1e-3  # negative humidity somewhere aloft
    neg.to_netcdf(tmp_path / "neg.nc")
    with pytest.warns(RuntimeWarning, match="negative specific humidity"):
        ds = tr.read_era5_profiles(tmp_path / "neg.nc")
    assert float(ds["vapour_pressure"].min()) == 0.0
    # the CDS 'pressure_level' name and relative humidity are understood
    rh = raw.drop_vars("q").rename(level="pressure_level")
    rh.to_netcdf(tmp_path / "rh.nc")
    ds_r = tr.read_era5_profiles(tmp_path / "rh.nc")
    ds_q = tr.read_era5_profiles(shared_data / ERA5)
    # q- and r-derived e agree in the median to 3 % in the lower troposphere (ERA5's r uses
    # a mixed-phase saturation formula, and levels below ground are extrapolated, so single
    # values can differ much more)
    low = ds_q["pressure"].values[0] >= 700
    ratio = ds_r["vapour_pressure"].values[:, low] / ds_q["vapour_pressure"].values[:, low]
    np.testing.assert_allclose(np.median(ratio, axis=0), 1.0, atol=0.03)
    with pytest.raises(FileNotFoundError):
        tr.read_era5_profiles(tmp_path / "missing.nc")


@pytest.mark.shared_data
def test_wyoming_sounding(shared_data):
    ds = tr.read_wyoming_sounding(shared_data / SONDE, lat=35.18, lon=-97.44,
                                  time="1999-05-04T00:00")
    # the 1000 hPa row is below ground (blanks) and is dropped
    assert ds.sizes == {"profile": 1, "level": 30}
    h = ds["height"].values[0]
    assert h[0] == 345.0 and h[-1] == 10058.0
    assert ds["temperature"].values[0, 0] == pytest.approx(22.2 + 273.15)
    # e at the surface from the 19.0 °C dewpoint (Bolton 1980 closed form)
    assert ds["vapour_pressure"].values[0, 0] == pytest.approx(
        6.112 * np.exp(17.67 * 19.0 / (19.0 + 243.5)), rel=1e-12)
    # consistency with the MIXR column (g/kg): e = w p / (eps + w), within 3 %
    w = 14.64e-3
    assert ds["vapour_pressure"].values[0, 0] == pytest.approx(w * 959.0 / (0.622 + w), rel=0.03)
    assert float(ds["lat"][0]) == 35.18


def test_wyoming_bad_input(tmp_path):
    p = tmp_path / "s.txt"
    p.write_text("   PRES   HGHT   TEMP\n    hPa     m      C\n-----\n 1000.0    100   20.0\n")
    with pytest.raises(ValueError, match="DWPT"):
        tr.read_wyoming_sounding(p)
    p.write_text("nothing here\n")
    with pytest.raises(ValueError, match="header"):
        tr.read_wyoming_sounding(p)
    p.write_text("-" * 20 + "\n   PRES   HGHT   TEMP   DWPT\n    hPa     m      C      C\n"
                 + "-" * 20 + "\n 1000.0    100   20.0   10.0\n  900.0   1000   15.0    5.0\n")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ds = tr.read_wyoming_sounding(p)
    assert any("latitude" in str(r.message) for r in rec)
    assert ds.sizes["level"] == 2
    with pytest.raises(ValueError, match="latitude"):
        tr.read_wyoming_sounding(p, lat=91.0, lon=0.0)
