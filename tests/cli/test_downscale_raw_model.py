"""``jaxgeo grace spans`` and ``jaxgeo downscale fit`` with a raw daily model file on another
grid (issue 12, item 7): the CLI gives what :func:`jaxgeo.grace.model_on_grace` gives, the
default mask of a global coarse field is land, and what is left out is said."""

import numpy as np
import pytest
import xarray as xr
from support.grace_model_files import GRID, grace_like, raw_model

from jaxgeo.cli import main
from jaxgeo.grace import model_on_grace
from jaxgeo.regions import land_mask


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    like = grace_like(units="mm")
    # a global coarse field with values in every cell (as 'grace l2' output) but the gap month
    rng = np.random.default_rng(2)
    pattern = np.cos(np.deg2rad(GRID.lat))[:, None] * np.ones(GRID.nlon)
    season = 60 * np.sin(2 * np.pi * np.arange(like.sizes["time"]) / 12)
    vals = season[:, None, None] * pattern + 3 * rng.standard_normal(like.shape)
    vals[~like["observed"].values] = np.nan
    like = like.copy(data=vals.astype(np.float32))
    like.to_dataset().to_netcdf(d / "grace.nc")
    model = raw_model(end="2005-02-10")  # ends inside a span: 2005-02 and 03 are left out
    model = model.where(model["lat"] < 60)  # and no values in the Arctic (land cells lost)
    model.to_dataset().to_netcdf(d / "model.nc")
    like.isel(time=slice(0, 0)).to_dataset().drop_vars(["time_start", "time_end"]) \
        .to_netcdf(d / "no_spans.nc")
    return d, like, model


def test_grace_spans_command_equals_the_api(files, capsys):
    d, like, model = files
    rc = main(["grace", "spans", str(d / "model.nc"), "--like", str(d / "grace.nc"),
               "--out", str(d / "spans.nc")])
    assert rc == 0
    assert "12 of 15 GRACE months with model values, mm" in capsys.readouterr().out
    want = model_on_grace(model, like)
    with xr.open_dataset(d / "spans.nc") as out:
        v = out["tws"]
        assert v.attrs["units"] == "mm" and v.attrs["mean_period"] == like.attrs["mean_period"]
        np.testing.assert_allclose(v.values, want.values.astype(np.float32), rtol=1e-6,
                                   atol=1e-4, equal_nan=True)


def test_grace_spans_command_errors_are_one_line(files, capsys):
    d, _, _ = files
    rc = main(["grace", "spans", str(d / "model.nc"), "--like", str(d / "no_spans.nc"),
               "--out", str(d / "bad.nc")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "grace spans: error: " in err and "time_start" in err
    with pytest.raises(SystemExit) as stop:   # refused by the parser, before any reading
        main(["grace", "spans", str(d / "model.nc"), "--like", str(d / "grace.nc"),
              "--min-coverage", "0", "--out", str(d / "bad.nc")])
    assert stop.value.code == 2
    assert "--min-coverage: must be in (0, 1], got 0" in capsys.readouterr().err
    assert not (d / "bad.nc").exists()


def test_downscale_fit_takes_grace_output_and_raw_model(files, capsys):
    d, like, model = files
    rc = main(["downscale", "fit", "--coarse", str(d / "grace.nc"), "--model",
               str(d / "model.nc"), "--out", str(d / "out.nc"), "--epochs", "1",
               "--radius-deg", "20", "--quiet"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "1 month(s) without a GRACE solution left out: 2004-04" in err
    assert "2 GRACE month(s) the model does not cover left out: 2005-02, 2005-03" in err
    assert "--mask land:" in err          # Arctic land cells have no model value
    matched = model_on_grace(model, like)
    valid = np.isfinite(matched.values[[0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]]).all(0)
    with xr.open_dataset(d / "out.nc") as out:
        assert out.sizes["time"] == 12
        assert out.attrs["mask"].startswith("land")
        assert "regridded conservatively" in out.attrs["model_processing"]
        want = land_mask(GRID) & valid
        np.testing.assert_array_equal(out["mask"].values.astype(bool), want)
        v = out[f"{like.name}_downscaled"].values  # named after the coarse product
        assert np.isfinite(v[:, want]).all() and np.isnan(v[:, ~want]).all()
