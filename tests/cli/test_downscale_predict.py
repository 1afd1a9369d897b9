"""``jaxgeo downscale predict`` from a saved network, ``--time``, the product's name and
attributes, and the CLI's defaults (the best measured settings; ``--published``)."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from support.downscale_oracle import centres

import jaxgeo.downscale
from jaxgeo.cli import main
from jaxgeo.downscale import Downscaler, LossConfig, RunSettings

RES = 11.25  # 16 × 32: divisible by 4 for the default network depth
N = 14       # >= 12 months: noise2self by default


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Input files and one ``fit --checkpoint-dir`` run with the defaults."""
    d = tmp_path_factory.mktemp("predict")
    lat, lon = centres(RES)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    mask = (np.cos(np.deg2rad(lo)) > 0) & (abs(la) < 70)
    time = pd.date_range("2005-01-01", periods=N, freq="MS")
    rng = np.random.default_rng(0)
    base = 40 * np.cos(2 * np.pi * np.arange(N) / 12)[:, None, None] * np.cos(np.deg2rad(la))
    nan = np.where(mask, 1.0, np.nan)
    coords = {"time": time, "lat": lat, "lon": lon}
    dims = ("time", "lat", "lon")
    coarse = (base + 3 * rng.standard_normal(base.shape)) * nan
    xr.Dataset({"lwe_thickness": (dims, coarse, {"units": "mm", "long_name": "TWSA"})},
               coords).to_netcdf(d / "grace.nc")
    xr.Dataset({"tws": (dims, 0.8 * base * nan, {"units": "mm"})}, coords).to_netcdf(
        d / "model.nc")
    fewer = mask.copy()
    fewer[np.argwhere(mask)[0][0], np.argwhere(mask)[0][1]] = False
    xr.Dataset({"m": (("lat", "lon"), fewer.astype("i1"))},
               {"lat": lat, "lon": lon}).to_netcdf(d / "fewer.nc")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model",
                   str(d / "model.nc"), "--out", str(d / "fit.nc"), "--epochs", "1",
                   "--radius-deg", "20", "--quiet", "--checkpoint-dir", str(d / "ckpt")])
    assert rc == 0
    assert err.getvalue() == ""  # 14 months: noise2self by default, no fallback warning
    return d, mask


def _predict(d, out, *extra):
    return main(["downscale", "predict", "--coarse", str(d / "grace.nc"), "--model",
                 str(d / "model.nc"), "--checkpoint-dir", str(d / "ckpt"), "--out", str(out),
                 "--quiet", *extra])


def _api(d, mask, months=slice(None)):
    """Independent path: the library's load + predict on the same months."""
    with xr.open_dataset(d / "grace.nc") as c, xr.open_dataset(d / "model.nc") as m:
        coarse, model = c["lwe_thickness"].isel(time=months).load(), m["tws"].isel(
            time=months).load()
    return Downscaler.load(d / "ckpt", mask=mask).predict(coarse, model)


def test_fit_output_is_named_after_the_product_with_settings_and_provenance(trained):
    d, mask = trained
    with xr.open_dataset(d / "fit.nc") as out:
        assert set(out.data_vars) == {"lwe_thickness_downscaled", "mask"}
        v = out["lwe_thickness_downscaled"]
        assert v.attrs["units"] == "mm" and v.attrs["long_name"] == "downscaled TWSA"
        s = RunSettings.from_dict(json.loads(out.attrs["run_settings"]))
        # the CLI's defaults are the best measured: the matched start, the default loss
        assert s.start == "matched" and not s.noise2self
        assert s.loss.spectral_weight == 1.0 and s.loss.cap_weight == 0.0
        assert s.mask_cells == int(mask.sum()) and s.n_months == N
        a = out.attrs
        assert a["source"] == "jaxgeo downscale fit"
        assert (a["coarse_file"], a["coarse_variable"]) == (str(d / "grace.nc"), "lwe_thickness")
        assert (a["model_file"], a["model_variable"]) == (str(d / "model.nc"), "tws")
        assert a["model_processing"].startswith("as given") and a["mask"].startswith("cells")
        assert a["months"] == f"2005-01..2006-02 ({N})" and "time_range" not in a


def test_predict_equals_fit_output_and_the_library(trained, tmp_path):
    d, mask = trained
    assert _predict(d, tmp_path / "p.nc") == 0
    want = _api(d, mask)
    with xr.open_dataset(tmp_path / "p.nc") as p, xr.open_dataset(d / "fit.nc") as f:
        v = p["lwe_thickness_downscaled"]
        np.testing.assert_allclose(v.values, want.values, rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(v.values, f["lwe_thickness_downscaled"].values, rtol=1e-6,
                                   equal_nan=True)
        assert p.attrs["run_settings"] == f.attrs["run_settings"]
        assert p.attrs["source"] == "jaxgeo downscale predict"
        assert p.attrs["checkpoint_dir"] == str(d / "ckpt")
        np.testing.assert_array_equal(p["mask"].values.astype(bool), mask)
    # the fit output as --mask: its 'mask' variable is the training mask
    assert _predict(d, tmp_path / "q.nc", "--mask", str(d / "fit.nc")) == 0


def test_time_range_selects_months_by_midpoint_end_exclusive(trained, tmp_path):
    d, mask = trained
    # stamps are month starts: 2005-01-01's month has its midpoint on 2005-01-16 12:00, inside
    # [2005-01-10, 2006-01-20); 2006-02 is not (an end-exclusive, midpoint rule: 13 months)
    assert _predict(d, tmp_path / "t.nc", "--time", "2005-01-10", "2006-01-20") == 0
    want = _api(d, mask, slice(0, 13))
    with xr.open_dataset(tmp_path / "t.nc") as p:
        got = pd.DatetimeIndex(p["time"].values)
        assert list(got.strftime("%Y-%m")) == list(
            pd.date_range("2005-01", periods=13, freq="MS").strftime("%Y-%m"))
        np.testing.assert_allclose(p["lwe_thickness_downscaled"].values, want.values,
                                   rtol=1e-6, equal_nan=True)
        assert p.attrs["time_range"].startswith("2005-01-10..2006-01-20")


@pytest.mark.parametrize(("extra", "message"), [
    (["--checkpoint-dir", "nowhere"], "no checkpoint in nowhere"),
    (["--mask", "fewer.nc"], "the mask differs from the one the network was trained with"),
    (["--time", "2006-01-01", "2005-01-01"], "START must come before END"),
    (["--time", "2010-01-01", "2011-01-01"], "no month of"),
    (["--time", "2005-13-01", "2006-01-01"], "--time '2005-13-01'"),
])
def test_predict_errors_are_one_line_and_write_nothing(trained, tmp_path, capsys, extra,
                                                       message):
    d, _ = trained
    extra = [str(d / e) if e.endswith(".nc") else e for e in extra]
    if extra[0] == "--checkpoint-dir":
        argv = ["downscale", "predict", "--coarse", str(d / "grace.nc"), "--model",
                str(d / "model.nc"), "--out", str(tmp_path / "x.nc"), "--quiet", *extra]
        rc = main(argv)
    else:
        rc = _predict(d, tmp_path / "x.nc", *extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("jaxgeo downscale predict: error: ") and err.count("\n") == 1, err
    assert message in err
    assert not list(tmp_path.iterdir())


def test_checkpoint_dir_that_is_a_file(trained, tmp_path, capsys):
    d, _ = trained
    f = tmp_path / "ckpt"
    f.write_text("mine")
    rc = main(["downscale", "predict", "--coarse", str(d / "grace.nc"), "--model",
               str(d / "model.nc"), "--checkpoint-dir", str(f), "--out", str(tmp_path / "x.nc"),
               "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "is a file, not a directory" in err
    assert f.read_text() == "mine" and not (tmp_path / "x.nc").exists()


def test_fit_time_range_error_is_one_line(trained, tmp_path, capsys):
    d, _ = trained
    rc = main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model",
               str(d / "model.nc"), "--out", str(tmp_path / "x.nc"), "--time", "2005-03-01",
               "2005-03-01"])
    err = capsys.readouterr().err
    assert rc == 2 and err == ("jaxgeo downscale fit: error: --time 2005-03-01 2005-03-01: "
                               "START must come before END (the range is [START, END), end "
                               "exclusive)\n")


class _Stop(ValueError):
    pass


def _seen_by_fit(trained, tmp_path, capsys, monkeypatch, *extra) -> dict:
    """The keywords ``jaxgeo downscale fit ... *extra`` passes to ``fit`` (stopped there)."""
    d, _ = trained
    seen = {}

    def fake_fit(coarse, model, **kw):
        seen.update(kw)
        raise _Stop("stopped before training")

    monkeypatch.setattr(jaxgeo.downscale, "fit", fake_fit)
    rc = main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model",
               str(d / "model.nc"), "--out", str(tmp_path / "x.nc"), "--quiet", *extra])
    assert rc == 2 and "stopped before training" in capsys.readouterr().err
    return seen


@pytest.mark.parametrize(("extra", "start", "noise2self", "loss"), [
    ([], "matched", None, None),
    (["--published"], "cap", False, LossConfig.published()),
    (["--published", "--cap-power", "2"], "cap", False, LossConfig.published(cap_power=2)),
    (["--no-noise2self", "--observation-half-width-km", "150"], "matched", None,
     LossConfig(observation_half_width_km=150.0)),
    (["--published", "--noise2self"], "cap", True, LossConfig.published()),
    (["--start", "cap"], "cap", None, None),
    (["--noise2self"], "cap", True, None),
])
def test_cli_fit_passes_the_defaults_or_the_published_setup(trained, tmp_path, capsys,
                                                            monkeypatch, extra, start,
                                                            noise2self, loss):
    seen = _seen_by_fit(trained, tmp_path, capsys, monkeypatch, *extra)
    assert seen["noise2self"] is noise2self and seen["loss"] == loss
    assert seen["start"] == start and seen["coarse_filter"] is None
    assert seen["use_network"] is None


def test_cli_fit_passes_the_coarse_filter_and_the_network_choice(trained, tmp_path, capsys,
                                                                 monkeypatch):
    from jaxgeo.downscale import CoarseFilter

    d, _ = trained
    seen = _seen_by_fit(trained, tmp_path, capsys, monkeypatch, "--coarse-lmax", "7",
                        "--coarse-half-width-km", "0", "--use-network", "no")
    assert seen["coarse_filter"] == CoarseFilter(7, None) and seen["use_network"] is False
    with pytest.raises(SystemExit) as exc:
        main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model",
              str(d / "model.nc"), "--out", str(tmp_path / "x.nc"), "--coarse-lmax", "1"])
    assert exc.value.code == 2
    assert "argument --coarse-lmax: must be in [2, inf), got 1" in capsys.readouterr().err
