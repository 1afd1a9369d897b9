"""``jaxgeo regrid``: a NetCDF field onto a global grid, conservatively; one-line errors."""

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid, regrid
from jaxgeo.cli import main


def _write(path, lat, lon, *, name="tws", nan=False, dtype=np.float32, coord_dtype=np.float32):
    rng = np.random.default_rng(0)
    v = rng.random((2, lat.size, lon.size)).astype(dtype)
    if nan:
        v[:, : lat.size // 3] = np.nan
    da = xr.DataArray(v, dims=("time", "latitude", "longitude"),
                      coords={"time": np.array(["2003-01-16", "2003-02-15"], "datetime64[ns]"),
                              "latitude": lat.astype(coord_dtype),
                              "longitude": lon.astype(coord_dtype)},
                      name=name, attrs={"units": "kg m-2", "long_name": "water"})
    xr.Dataset({name: da, "other": da * 2}).to_netcdf(path)
    return da


def test_regrid_command(tmp_path, capsys):
    # a 0.3° field, 0..360 longitudes, descending float32 coordinates -> 0.5° from -180
    lat, lon = np.arange(89.85, -90, -0.3), np.arange(0.15, 360, 0.3)
    da = _write(tmp_path / "in.nc", lat, lon, nan=True)
    out = tmp_path / "out.nc"
    assert main(["regrid", str(tmp_path / "in.nc"), "--resolution-deg", "0.5", "--var", "tws",
                 "--out", str(out), "--coverage"]) == 0
    assert "wrote" in capsys.readouterr().out
    ds = xr.open_dataset(out)
    got = ds.tws
    assert got.dims == ("time", "lat", "lon") and got.dtype == np.float32
    assert got.attrs["units"] == "kg m-2" and got.attrs["long_name"] == "water"
    assert "conservative" in got.attrs["cell_methods"]
    np.testing.assert_array_equal(got.lat.values, Grid(0.5).lat)
    ref = regrid(da.astype(np.float64), Grid(0.5))
    np.testing.assert_allclose(got.values, ref.values.astype(np.float32), rtol=1e-6,
                               equal_nan=True)
    # the northern third (latitude descends) is NaN: 30°N..90°N
    assert np.isnan(got.values[:, 240:]).all() and np.isfinite(got.values[:, :240]).all()
    assert set(ds.data_vars) == {"tws", "tws_coverage"}


def test_lon_start_and_regional_input(tmp_path):
    lat, lon = np.arange(30.05, 40, 0.1), np.arange(-9.95, 10, 0.1)  # across 0°
    _write(tmp_path / "in.nc", lat, lon, dtype=np.float64, coord_dtype=np.float64)
    out = tmp_path / "out.nc"
    assert main(["regrid", str(tmp_path / "in.nc"), "--resolution-deg", "0.25", "--lon-start",
                 "0", "--out", str(out), "--quiet"]) == 0
    got = xr.open_dataset(out).tws
    assert got.lon.values[0] == 0.125
    finite = np.isfinite(got.values[0])
    assert finite.sum() == 40 * 80  # 10° × 20° of 0.25° cells, split across lon 0/360


@pytest.mark.parametrize("argv,match", [
    (["--resolution-deg", "0.7"], "does not divide 180° and 360°"),
    (["--resolution-deg", "1", "--var", "nope"], "no variable 'nope'"),
    (["--resolution-deg", "20", "--min-coverage", "1"], "no cell of the 20° grid"),
])
def test_errors_are_one_line_and_write_nothing(tmp_path, capsys, argv, match):
    lat, lon = np.arange(30.05, 31, 0.1), np.arange(10.05, 11, 0.1)
    _write(tmp_path / "in.nc", lat, lon)
    out = tmp_path / "out.nc"
    assert main(["regrid", str(tmp_path / "in.nc"), *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jaxgeo regrid: error: ") and match in err and err.count("\n") == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.nc"]


def test_irregular_input_names_file_and_coordinate(tmp_path, capsys):
    lat = np.r_[np.arange(-89.5, 0), np.arange(0.7, 90)]
    _write(tmp_path / "in.nc", lat, np.arange(0.5, 360))
    assert main(["regrid", str(tmp_path / "in.nc"), "--resolution-deg", "2",
                 "--out", str(tmp_path / "o.nc")]) == 2
    err = capsys.readouterr().err
    assert "in.nc: tws: coordinate 'latitude' is irregular" in err and err.count("\n") == 1
    assert not (tmp_path / "o.nc").exists()


def test_missing_input_and_bad_flags(tmp_path, capsys):
    assert main(["regrid", str(tmp_path / "missing.nc"), "--resolution-deg", "1",
                 "--out", str(tmp_path / "o.nc")]) == 2
    assert "no such input file" in capsys.readouterr().err
    for bad in (["--resolution-deg", "-1"], ["--resolution-deg", "1", "--min-coverage", "2"],
                []):
        with pytest.raises(SystemExit) as info:
            main(["regrid", str(tmp_path / "x.nc"), *bad, "--out", str(tmp_path / "o.nc")])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "--resolution-deg" in err or "--min-coverage" in err
    assert not (tmp_path / "o.nc").exists()


def test_batches_give_the_same_result_and_checks_span_all_batches(tmp_path, monkeypatch,
                                                                  capsys):
    from jaxgeo.cli import regrid as cli_regrid

    lat, lon = np.arange(-89.0, 90, 2.0), np.arange(1.0, 360, 2.0)
    rng = np.random.default_rng(5)
    v = rng.random((5, lat.size, lon.size))
    v[0] = np.nan  # a missing first month: refused only if every month were missing
    da = xr.DataArray(v, dims=("time", "lat", "lon"),
                      coords={"time": np.arange(5), "lat": lat, "lon": lon}, name="q",
                      attrs={"units": "mm"})
    da.to_netcdf(tmp_path / "in.nc")
    monkeypatch.setattr(cli_regrid, "_BATCH_VALUES", 2 * lat.size * lon.size)  # 2 per batch
    assert main(["regrid", str(tmp_path / "in.nc"), "--resolution-deg", "5",
                 "--out", str(tmp_path / "out.nc"), "--quiet"]) == 0
    got = xr.open_dataset(tmp_path / "out.nc").q
    ref = regrid(da.isel(time=slice(1, None)), Grid(5.0))
    assert np.isnan(got.values[0]).all()
    np.testing.assert_allclose(got.values[1:], ref.values, rtol=1e-13)
    np.testing.assert_array_equal(got.time.values, np.arange(5))
    da[:] = np.nan
    da.to_netcdf(tmp_path / "nan.nc")
    assert main(["regrid", str(tmp_path / "nan.nc"), "--resolution-deg", "5",
                 "--out", str(tmp_path / "o.nc")]) == 2
    err = capsys.readouterr().err
    assert "nan.nc: q: every source cell is NaN or masked" in err and err.count("\n") == 1
    assert not (tmp_path / "o.nc").exists()


def test_mask_file(tmp_path, capsys):
    lat, lon = np.arange(-89.0, 90, 2.0), np.arange(1.0, 360, 2.0)
    da = _write(tmp_path / "in.nc", lat, lon, dtype=np.float64, coord_dtype=np.float64)
    land = np.random.default_rng(1).random((lat.size, lon.size)) > 0.3
    m = xr.DataArray(land.astype("i1"), dims=("latitude", "longitude"),
                     coords={"latitude": lat, "longitude": lon}, name="land")
    m.to_netcdf(tmp_path / "mask.nc")
    out = tmp_path / "out.nc"
    assert main(["regrid", str(tmp_path / "in.nc"), "--resolution-deg", "6", "--mask",
                 str(tmp_path / "mask.nc"), "--out", str(out), "--quiet"]) == 0
    ref = regrid(da, Grid(6.0), mask=land)
    np.testing.assert_allclose(xr.open_dataset(out).tws.values, ref.values, rtol=1e-13,
                               equal_nan=True)
    # a mask on another grid is refused, naming it
    m.isel(latitude=slice(1, None)).to_netcdf(tmp_path / "bad.nc")
    assert main(["regrid", str(tmp_path / "in.nc"), "--resolution-deg", "6", "--mask",
                 str(tmp_path / "bad.nc"), "--out", str(tmp_path / "o.nc")]) == 2
    err = capsys.readouterr().err
    assert "mask of" in err and "'latitude' coordinate differs" in err
    assert not (tmp_path / "o.nc").exists()
