"""``jaxgeo downscale fit --members N``: the ensemble's spread and sigmas in the product."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from support.downscale_oracle import centres

from jaxgeo.cli import main

RES = 11.25  # 16 × 32: divisible by 4 for the default network depth


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ensemble_cli")
    lat, lon = centres(RES)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    mask = (np.cos(np.deg2rad(lo)) > 0) & (abs(la) < 70)
    rng = np.random.default_rng(0)
    for n in (12, 8):
        time = pd.date_range("2005-01-01", periods=n, freq="MS")
        base = 40 * np.cos(2 * np.pi * np.arange(n) / 12)[:, None, None] * np.cos(
            np.deg2rad(la)) + 5 * rng.standard_normal((n,) + la.shape)
        nan = np.where(mask, 1.0, np.nan)
        coords = {"time": time, "lat": lat, "lon": lon}
        dims = ("time", "lat", "lon")
        xr.Dataset({"tws": (dims, (base + 3 * rng.standard_normal(base.shape)) * nan,
                            {"units": "mm"})}, coords).to_netcdf(d / f"grace{n}.nc")
        xr.Dataset({"tws": (dims, 0.8 * base * nan, {"units": "mm"})}, coords).to_netcdf(
            d / f"model{n}.nc")
    return d, mask


def _args(d, n, out, *extra):
    return ["downscale", "fit", "--coarse", str(d / f"grace{n}.nc"), "--model",
            str(d / f"model{n}.nc"), "--out", str(d / out), "--epochs", "1",
            "--radius-deg", "20", "--quiet", *extra]


@pytest.mark.slow  # two default-size networks trained and compiled: ~25 s on 2 idle cores
def test_members_write_mean_spread_and_uncertainty(files):
    d, mask = files
    assert main(_args(d, 12, "ens.nc", "--members", "2", "--seed", "3")) == 0
    with xr.open_dataset(d / "ens.nc") as out:
        names = {"tws_downscaled", "tws_downscaled_spread", "tws_downscaled_data_sigma",
                 "tws_downscaled_uncertainty", "mask"}
        assert set(out.data_vars) == names
        spread, total = out["tws_downscaled_spread"], out["tws_downscaled_uncertainty"]
        for v in (spread, total, out["tws_downscaled_data_sigma"]):
            assert v.dims == ("time", "lat", "lon") and v.attrs["units"] == "mm"
            assert v.attrs["long_name"]
            assert np.isnan(v.values[:, ~mask]).all() and np.isfinite(v.values[:, mask]).all()
        assert (spread.values[:, mask] > 0).all()  # two seeds: two different networks
        assert (total.values[:, mask] >= spread.values[:, mask]).all()
        assert out.attrs["ensemble_members"] == 2 and out.attrs["ensemble_seeds"] == "3, 4"


def test_members_errors_are_named_and_leave_no_file(files, capsys):
    d, _ = files
    rc = main(_args(d, 12, "bad.nc", "--members", "2", "--checkpoint-dir", str(d / "ck")))
    assert rc == 2 and "--members writes no checkpoints; drop --checkpoint-dir" in \
        capsys.readouterr().err
    rc = main(_args(d, 8, "bad.nc", "--members", "3"))
    err = capsys.readouterr().err
    assert rc == 2 and "--members 3: the calibrated uncertainty needs at least 12 months" in err
    assert "grace8.nc has 8" in err
    with pytest.raises(SystemExit) as exc:
        main(_args(d, 12, "bad.nc", "--members", "0"))
    assert exc.value.code == 2 and "--members" in capsys.readouterr().err
    assert not (d / "bad.nc").exists() and not (d / "ck").exists()
