"""``jaxgeo downscale`` and ``jaxgeo demo`` on tiny inputs."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from support.downscale_oracle import centres

from jaxgeo.cli import main

RES = 11.25  # 16 × 32: divisible by 4 for the default network depth


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    lat, lon = centres(RES)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    mask = (np.cos(np.deg2rad(lo)) > 0) & (abs(la) < 70)
    time = pd.date_range("2005-01-01", periods=8, freq="MS")
    rng = np.random.default_rng(0)
    base = 40 * np.cos(2 * np.pi * np.arange(8) / 12)[:, None, None] * np.cos(np.deg2rad(la))
    nan = np.where(mask, 1.0, np.nan)
    coords = {"time": time, "lat": lat, "lon": lon}
    dims = ("time", "lat", "lon")
    xr.Dataset({"tws": (dims, (base + rng.standard_normal(base.shape)) * nan,
                        {"units": "mm"})}, coords).to_netcdf(d / "grace.nc")
    xr.Dataset({"tws": (dims, 0.8 * base * nan, {"units": "mm"})}, coords).to_netcdf(
        d / "model.nc")
    xr.Dataset({"tws": (dims, 0.8 * base, {"units": "mm"})}, coords).to_netcdf(
        d / "model_nonan.nc")
    xr.Dataset({"mask": (("lat", "lon"), mask.astype("i1"))},
               {"lat": lat, "lon": lon}).to_netcdf(d / "mask.nc")
    xr.Dataset({"mask": (("lat", "lon"), np.ones_like(mask, "i1"))},
               {"lat": lat, "lon": lon}).to_netcdf(d / "mask_all.nc")
    return d, mask


def test_downscale_command_writes_cf_output(files, capsys):
    d, mask = files
    rc = main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model", str(d / "model.nc"),
               "--out", str(d / "out.nc"), "--epochs", "1", "--radius-deg", "20"])
    assert rc == 0
    with xr.open_dataset(d / "out.nc") as out:
        v = out["tws_downscaled"]
        assert v.dims == ("time", "lat", "lon") and v.attrs["units"] == "mm"
        assert out.attrs["Conventions"] == "CF-1.8"
        # the mask was inferred from the coarse field's NaNs
        assert np.isnan(v.values[:, ~mask]).all() and np.isfinite(v.values[:, mask]).all()
    assert not list(d.glob(".out.nc.*"))  # no temporary file left behind


def test_downscale_command_errors_are_named_and_leave_no_file(files, capsys):
    d, _ = files
    rc = main(["downscale", "fit", "--coarse", str(d / "missing.nc"), "--model",
               str(d / "model.nc"), "--out", str(d / "bad.nc")])
    assert rc == 2 and "no such input file" in capsys.readouterr().err
    # a mask name that is neither a name nor a file
    rc = main(["downscale", "fit", "--coarse", str(d / "model_nonan.nc"), "--model",
               str(d / "model.nc"), "--mask", str(d / "lands"), "--out", str(d / "bad.nc")])
    assert rc == 2 and "lands: no such input file" in capsys.readouterr().err
    # an explicit mask that covers the model's NaN cells
    rc = main(["downscale", "fit", "--coarse", str(d / "model_nonan.nc"), "--model",
               str(d / "model.nc"), "--mask", str(d / "mask_all.nc"), "--out", str(d / "bad.nc")])
    assert rc == 2 and "model has" in capsys.readouterr().err
    assert not (d / "bad.nc").exists()


@pytest.mark.slow
def test_demo_command_small(tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path), "--resolution-deg", "3", "--n-months", "12",
               "--epochs", "1"])
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("rmse_downscaled", "rmse_coarse", "rmse_model", "rmse_baseline"):
        assert m[key] > 0
    assert (tmp_path / "downscale_maps.png").stat().st_size > 10_000
    assert "downscaled / baseline" in capsys.readouterr().out
