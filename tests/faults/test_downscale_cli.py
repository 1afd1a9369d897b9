"""`jaxgeo downscale fit` under faults: one line `jaxgeo downscale fit: error: ...`, exit 2,
no output written (units, months, checkpoint path, damaged checkpoint); converted units."""

import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from support.downscale_data import tiny_experiment

from jaxgeo.cli import main

# 8 months: the published inputs, explicitly (the default would fall back with a warning)
ARGS = ["--epochs", "1", "--radius-deg", "20", "--quiet", "--no-noise2self", "--start", "cap"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dsfaults")
    # 16 × 32 cells (11.25°): divisible by 4 for the CLI's default network depth
    ex = tiny_experiment(8, res_deg=11.25)
    ex["coarse"].to_dataset(name="tws").to_netcdf(d / "grace.nc")
    ex["model"].to_dataset(name="tws").to_netcdf(d / "model.nc")
    metres = ex["model"] * 1e-3
    metres.attrs = dict(ex["model"].attrs, units="m")
    metres.to_dataset(name="tws").to_netcdf(d / "model_m.nc")
    kelvin = ex["model"].copy()
    kelvin.attrs = dict(ex["model"].attrs, units="K")
    kelvin.to_dataset(name="tws").to_netcdf(d / "model_K.nc")
    t = pd.date_range("2005-01-01", periods=8, freq="MS").values.copy()
    t[5] = t[4]
    for name in ("grace", "model"):
        da = xr.open_dataset(d / f"{name}.nc").load()
        da.assign_coords(time=t).to_netcdf(d / f"{name}_dup.nc")
    return d


def _run(d, coarse, model, out, *extra):
    return main(["downscale", "fit", "--coarse", str(d / coarse), "--model", str(d / model),
                 "--out", str(out), *ARGS, *extra])


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("jaxgeo downscale fit: error: ") and err.count("\n") == 1, err
    return err


def test_contradicting_units_and_duplicated_months(files, tmp_path, capsys):
    out = tmp_path / "out.nc"
    assert _run(files, "grace.nc", "model_K.nc", out) == 2
    err = _one_error_line(capsys)
    assert "coarse is in 'mm'" in err and "model in 'K'" in err
    assert _run(files, "grace_dup.nc", "model_dup.nc", out) == 2
    err = _one_error_line(capsys)
    assert "month 2005-05 2 times" in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_model_in_metres_is_converted(files, tmp_path):
    out_m, out_mm = tmp_path / "m.nc", tmp_path / "mm.nc"
    assert _run(files, "grace.nc", "model_m.nc", out_m) == 0
    assert _run(files, "grace.nc", "model.nc", out_mm) == 0
    with xr.open_dataset(out_m) as a, xr.open_dataset(out_mm) as b:
        assert a["tws_downscaled"].attrs["units"] == "mm"
        np.testing.assert_allclose(a["tws_downscaled"].values, b["tws_downscaled"].values,
                                   rtol=1e-3, atol=1e-2)


def test_checkpoint_path_that_is_a_file_and_a_damaged_checkpoint(files, tmp_path, capsys):
    f = tmp_path / "ckpt"
    f.write_text("mine")
    out = tmp_path / "out.nc"
    assert _run(files, "grace.nc", "model.nc", out, "--checkpoint-dir", str(f)) == 2
    assert "is a file" in _one_error_line(capsys) and f.read_text() == "mine"
    ckpt = tmp_path / "run"
    assert _run(files, "grace.nc", "model.nc", out, "--checkpoint-dir", str(ckpt)) == 0
    last = max(int(p.name) for p in ckpt.iterdir() if p.name.isdigit())
    data = sorted((p for p in (ckpt / str(last) / "state").rglob("*")
                   if p.is_file() and p.parent.name == "d"), key=lambda p: -p.stat().st_size)
    b = bytearray(data[0].read_bytes())
    for i in range(len(b) // 2, len(b) // 2 + 8):
        b[i] ^= 0xFF
    data[0].write_bytes(bytes(b))
    shutil.copy(out, tmp_path / "before.nc")
    # resuming with more epochs reads the damaged checkpoint
    rc = main(["downscale", "fit", "--coarse", str(files / "grace.nc"), "--model",
               str(files / "model.nc"), "--out", str(out), "--epochs", "2", "--radius-deg",
               "20", "--quiet", "--no-noise2self", "--start", "cap", "--checkpoint-dir",
               str(ckpt)])
    assert rc == 2
    err = _one_error_line(capsys)
    assert f"step {last} is corrupted" in err
    assert out.read_bytes() == (tmp_path / "before.nc").read_bytes()  # output untouched
