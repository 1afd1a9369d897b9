"""Faults in ERA5 input: truncated downloads and values that contradict their units.

Each bad file is a small synthetic ERA5-like file (a standard-atmosphere column written
with xarray), or the real shared sample cut in half; every one must be a one-line
ValueError naming the file and the variable, never a profile set of finite garbage.
"""

import shutil

import numpy as np
import pytest
import xarray as xr

from jaxgeo import troposphere as tr
from jaxgeo._netcdf3 import check_netcdf3_complete

ERA5 = "troposphere/ERA-5_2018_03_27_T13_00_00.nc"
LEVELS = np.array([1, 10, 100, 200, 300, 500, 700, 850, 1000], dtype=np.float64)


def _standard_column():
    """T (K), geopotential (m²/s²) from the hypsometric equation, q (kg/kg) per level."""
    t = np.where(LEVELS >= 226.0, 288.15 * (LEVELS / 1013.25) ** 0.190263, 216.65)
    phi = np.zeros_like(LEVELS)
    order = np.argsort(-LEVELS)  # integrate upwards from 1000 hPa (phi = 1000 m² s⁻²)
    phi[order[0]] = 1000.0
    for a, b in zip(order[:-1], order[1:], strict=True):
        phi[b] = phi[a] + 287.05 * 0.5 * (t[a] + t[b]) * np.log(LEVELS[a] / LEVELS[b])
    q = 0.008 * (LEVELS / 1000.0) ** 3
    return t, phi, q


def _era5(tmp_path, name="era5.nc", *, t_units="K", q_units="kg kg**-1",
          z_units="m**2 s**-2", level_units="millibars", scale=None, fmt="NETCDF3_64BIT"):
    t, phi, q = _standard_column()
    scale = scale or {}
    shape = (1, LEVELS.size, 2, 3)

    def field(v, key):
        return np.broadcast_to(v[None, :, None, None] * scale.get(key, 1.0)
                               + (scale.get(key + "+", 0.0)), shape).copy()

    ds = xr.Dataset(
        {"z": (("time", "level", "latitude", "longitude"), field(phi, "z"), {"units": z_units}),
         "t": (("time", "level", "latitude", "longitude"), field(t, "t"), {"units": t_units}),
         "q": (("time", "level", "latitude", "longitude"), field(q, "q"), {"units": q_units})},
        coords={"time": [np.datetime64("2018-03-27T13:00", "ns")],
                "level": ("level", LEVELS * scale.get("level", 1.0)),
                "latitude": [46.0, 45.0], "longitude": [7.0, 8.0, 9.0]},
    )
    if level_units is not None:
        ds["level"].attrs["units"] = level_units
    path = tmp_path / name
    ds.to_netcdf(path, format=fmt)
    return path


def test_synthetic_good_file_reads(tmp_path):
    ds = tr.read_era5_profiles(_era5(tmp_path))
    assert ds.sizes == {"profile": 6, "level": LEVELS.size}
    # oracle: 500 hPa of the standard atmosphere is at 5574 m geopotential height
    h500 = float(ds["height"].isel(profile=0).sel(level=500.0))
    assert abs(h500 - 5574.0) < 60.0


@pytest.mark.shared_data
def test_truncated_real_download(shared_data, tmp_path):
    cut = tmp_path / "ERA5_cut.nc"
    cut.write_bytes((shared_data / ERA5).read_bytes()[:239290])
    with pytest.raises(ValueError, match=r"ERA5_cut\.nc: truncated NetCDF file: 239290 bytes"):
        tr.read_era5_profiles(cut)
    # the intact file passes the same check
    check_netcdf3_complete(shared_data / ERA5)


@pytest.mark.parametrize("fmt", ["NETCDF3_CLASSIC", "NETCDF3_64BIT"])
@pytest.mark.parametrize("keep", [0.95, 0.5, 0.2])
def test_truncated_synthetic(tmp_path, fmt, keep):
    path = _era5(tmp_path, fmt=fmt)
    full = path.read_bytes()
    cut = tmp_path / "cut.nc"
    cut.write_bytes(full[: int(len(full) * keep)])
    with pytest.raises(ValueError, match=r"cut\.nc: truncated"):
        tr.read_era5_profiles(cut)


def test_truncated_inside_header_and_not_netcdf(tmp_path):
    path = _era5(tmp_path)
    cut = tmp_path / "head.nc"
    cut.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"head\.nc: truncated or corrupt NetCDF-3 header"):
        tr.read_era5_profiles(cut)
    text = tmp_path / "notnc.nc"
    text.write_text("this is an HTML error page, not NetCDF\n")
    with pytest.raises(ValueError, match=r"notnc\.nc: not a NetCDF file"):
        tr.read_era5_profiles(text)


def test_netcdf4_file_is_not_checked_as_classic(tmp_path):
    shutil.copy(_era5(tmp_path, fmt="NETCDF4"), tmp_path / "nc4.nc")
    assert tr.read_era5_profiles(tmp_path / "nc4.nc").sizes["level"] == LEVELS.size


@pytest.mark.parametrize("kwargs, match", [
    (dict(scale={"q": 1000.0}), r"'q'.*g/kg labelled kg/kg"),                 # g/kg as kg/kg
    (dict(scale={"t+": -273.15}), r"'t'.*degrees Celsius labelled K"),         # °C as K
    (dict(scale={"z": 1 / 9.80665}), r"'z'.*geopotential height in m labelled"),  # m as m²/s²
    (dict(scale={"level": 100.0}, level_units=None), r"'level'.*Pa without units"),
    (dict(scale={"t": 1.5}), r"'t'.*outside the plausible 150-350 K"),
    (dict(scale={"q+": -0.01}), r"'q'.*below zero"),
    (dict(scale={"z": -1.0}), r"'z' does not increase upwards"),
    (dict(scale={"level": 100.0}, level_units="hPa"), r"'level'.*outside \(0, 1100\] hPa"),
])
def test_units_contradicting_values(tmp_path, kwargs, match):
    path = _era5(tmp_path, "bad.nc", **kwargs)
    with pytest.raises(ValueError, match=match) as info:
        tr.read_era5_profiles(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("bad.nc")


def test_supersaturation(tmp_path):
    # q = 0.04 kg/kg at every level: below 0.05, but far above saturation aloft
    t, phi, q = _standard_column()
    path = _era5(tmp_path, "wet.nc", scale={"q": 0.0, "q+": 0.04})
    with pytest.raises(ValueError, match=r"wet\.nc: vapour pressure .* times saturation"):
        tr.read_era5_profiles(path)


def test_cli_fit_refuses_truncated_input(tmp_path, capsys):
    from jaxgeo import cli

    path = _era5(tmp_path)
    cut = tmp_path / "cut.nc"
    cut.write_bytes(path.read_bytes()[:-200])
    out = tmp_path / "coeffs.nc"
    assert cli.main(["zwd", "fit", str(cut), "--out", str(out), "--steps", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxgeo zwd fit: error:") and "cut.nc: truncated NetCDF" in err
    assert "\n" not in err and not out.exists()


@pytest.mark.parametrize("r_value, ok", [(140.0, True), (200.0, False), (-5.0, False)])
def test_relative_humidity_bounds(tmp_path, r_value, ok):
    path = _era5(tmp_path, "src.nc")
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    ds = ds.drop_vars("q")
    ds["r"] = xr.full_like(ds["t"], r_value)
    ds["r"].attrs = {"units": "%"}
    ds.to_netcdf(tmp_path / "rh.nc")
    if ok:  # ice supersaturation as ERA5's r reports it is accepted
        assert tr.read_era5_profiles(tmp_path / "rh.nc").attrs["humidity_from"] == "r"
    else:
        with pytest.raises(ValueError, match=r"rh\.nc: relative humidity 'r' spans"):
            tr.read_era5_profiles(tmp_path / "rh.nc")


def test_truncated_netcdf4_names_the_file(tmp_path):
    path = _era5(tmp_path, fmt="NETCDF4")
    cut = tmp_path / "cut4.nc"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError,
                       match=r"cut4\.nc: truncated or unreadable ERA5 NetCDF file") as info:
        tr.read_era5_profiles(cut)
    assert "\n" not in str(info.value)
