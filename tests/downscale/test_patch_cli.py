"""``jaxgeo downscale fit --method patch``: the published patch method from the command line."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from support.downscale_oracle import centres

import jaxgeo.cli.downscale as cli_downscale
from jaxgeo.cli import main
from jaxgeo.downscale import PatchConfig, PatchDownscaler

RES = 15.0
N = 2
# the published pipeline with one stage of one block (the CLI's published network is
# shrunk through its seam); shapes as in test_patch_save: its compiled steps are reused
TINY = PatchConfig(patch_size=4, batch=8, widths=(2,), blocks=1, predict_batch=32)


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_downscale, "_patch_base", lambda: TINY)
    lat, lon = centres(RES)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    mask = (np.cos(np.deg2rad(lo)) > 0) & (abs(la) < 60)
    rng = np.random.default_rng(2)
    coords = {"time": pd.date_range("2006-01-01", periods=N, freq="MS"), "lat": lat, "lon": lon}
    dims = ("time", "lat", "lon")
    base = 30 * np.cos(np.deg2rad(la)) * rng.standard_normal((N, 1, 1))
    nan = np.where(mask, 1.0, np.nan)
    xr.Dataset({"lwe_thickness": (dims, (base + rng.standard_normal(base.shape)) * nan,
                                  {"units": "mm", "long_name": "TWSA"})},
               coords).to_netcdf(tmp_path / "grace.nc")
    xr.Dataset({"tws": (dims, 0.8 * base * nan, {"units": "mm"})}, coords).to_netcdf(
        tmp_path / "model.nc")
    xr.Dataset({"precipitation": (dims, rng.random(base.shape) * 90 * nan,
                                  {"units": "mm/month"})}, coords).to_netcdf(tmp_path / "f.nc")
    return tmp_path, mask


def _fit(d, *extra):
    return main(["downscale", "fit", "--method", "patch", "--coarse", str(d / "grace.nc"),
                 "--model", str(d / "model.nc"), "--features", str(d / "f.nc"), "--out",
                 str(d / "out.nc"), "--quiet",
                 *extra])


def test_fit_method_patch_writes_the_product_and_saves_the_network(files):
    d, mask = files
    assert _fit(d, "--epochs", "1", "--patches-per-epoch", "8", "--seed", "4",
                "--checkpoint-dir", str(d / "net")) == 0
    with xr.open_dataset(d / "out.nc") as out:
        assert set(out.data_vars) == {"lwe_thickness_downscaled", "mask"}
        v = out["lwe_thickness_downscaled"].load()
        assert v.attrs["units"] == "mm" and v.attrs["long_name"] == "downscaled TWSA"
        np.testing.assert_array_equal(out["mask"].values, mask.astype("i1"))
        s = json.loads(out.attrs["run_settings"])
        assert s["format"] == "jaxgeo.downscale.patch/1"
        assert (s["config"]["epochs"], s["config"]["seed"], s["config"]["patch_size"],
                s["config"]["max_patches_per_epoch"]) == (1, 4, 4, 8)
        assert out.attrs["method"].startswith("patch") and out.attrs["source"] == \
            "jaxgeo downscale fit"
    assert np.isnan(v.values[:, ~mask]).all() and np.isfinite(v.values[:, mask]).all()
    # independent path: the saved network, loaded by the library, predicts the same field
    with xr.open_dataset(d / "grace.nc") as c, xr.open_dataset(d / "model.nc") as m, \
            xr.open_dataset(d / "f.nc") as f:
        ref = PatchDownscaler.load(d / "net", mask=mask).predict(
            c["lwe_thickness"].load(), m["tws"].load(), f.load())
    np.testing.assert_allclose(v.values, ref.values, rtol=1e-6, equal_nan=True)
    # 'downscale predict' reuses the saved patch network: the same field again
    assert main(["downscale", "predict", "--coarse", str(d / "grace.nc"), "--model",
                 str(d / "model.nc"), "--features", str(d / "f.nc"), "--checkpoint-dir",
                 str(d / "net"), "--out", str(d / "again.nc"), "--quiet"]) == 0
    with xr.open_dataset(d / "again.nc") as again:
        np.testing.assert_array_equal(again["lwe_thickness_downscaled"].values, v.values)
        assert again.attrs["run_settings"] == out.attrs["run_settings"]
    assert not PatchDownscaler.is_saved(d / "grace.nc") and not PatchDownscaler.is_saved(d)


@pytest.mark.parametrize("extra, words", [
    (("--cap-power", "2"), "--cap-power does not apply to --method patch"),
    (("--radius-deg", "10"), "--radius-deg does not apply to --method patch"),
    (("--published",), "--published does not apply to --method patch"),
    (("--patch-size", "5"), "--patch-size must be a multiple of 2"),
])
def test_bad_patch_flags_are_one_line_and_write_nothing(files, capsys, extra, words):
    d, _ = files
    assert _fit(d, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxgeo downscale fit: error: ") and words in err
    assert "\n" not in err and not (d / "out.nc").exists()


def test_patch_flags_without_method_patch_are_refused(files, capsys):
    d, _ = files
    rc = main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model",
               str(d / "model.nc"), "--out", str(d / "out.nc"), "--patch-size", "16"])
    assert rc == 2 and "--patch-size applies to --method patch only" in capsys.readouterr().err
    assert not (d / "out.nc").exists()
