"""The sphere CLI: `jaxgeo demo cap`, `jaxgeo sphere average`, retired spellings, mask rule."""

import json

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.cli import main
from jaxgeo.sphere import CapAverage


def test_cap_demo_writes_outputs(tmp_path, capsys):
    assert main(["demo", "cap", "--out", str(tmp_path), "--resolution-deg", "2"]) == 0
    figures = json.loads((tmp_path / "cap_demo.json").read_text())
    # d(mean of weighted averages)/d(field) sums to 1: each output's weights sum to 1
    assert figures["grad_sum"] == pytest.approx(1.0, abs=1e-4)
    ds = xr.open_dataset(tmp_path / "cap_demo.nc")
    ref = CapAverage(Grid.regular(2.0), 3.0, dtype=jnp.float64)(ds.field.values.astype(float))
    np.testing.assert_allclose(ds.cap_mean.values, np.asarray(ref), rtol=0, atol=1e-3)
    assert (tmp_path / "cap_demo.png").stat().st_size > 10_000
    assert "wrote" in capsys.readouterr().out


def test_cap_command(tmp_path):
    g = Grid.regular(4.0)
    rng = np.random.default_rng(0)
    da = xr.DataArray(rng.normal(size=(2,) + g.shape), dims=("time", "lat", "lon"),
                      coords={"time": [0, 1], "lat": g.lat[::-1], "lon": g.lon},
                      attrs={"units": "mm"}, name="tws")
    da.to_netcdf(tmp_path / "in.nc")
    mask = rng.random(g.shape) > 0.5
    xr.DataArray(mask.astype("i1"), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="land").to_netcdf(tmp_path / "mask.nc")
    out = tmp_path / "out.nc"
    assert main(["sphere", "average", str(tmp_path / "in.nc"), "--radius-deg", "9", "--mask",
                 str(tmp_path / "mask.nc"), "--out", str(out)]) == 0
    got = xr.open_dataset(out).tws
    ref = CapAverage(g, 9.0, mask=mask, dtype=jnp.float64)(da.values[:, ::-1])
    np.testing.assert_allclose(got.values[:, ::-1], np.asarray(ref), rtol=1e-12)
    assert got.attrs["units"] == "mm" and "spherical cap" in got.attrs["cell_methods"]


def test_cap_command_errors(tmp_path, capsys):
    assert main(["sphere", "average", str(tmp_path / "missing.nc"), "--radius-deg", "3",
                 "--out", str(tmp_path / "o.nc")]) == 2
    assert "no such input file" in capsys.readouterr().err
    g = Grid.regular(4.0)
    xr.DataArray(np.zeros(g.shape), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="a").to_netcdf(tmp_path / "in.nc")
    assert main(["sphere", "average", str(tmp_path / "in.nc"), "--var", "b", "--radius-deg", "3",
                 "--out", str(tmp_path / "o.nc")]) == 2
    assert "no variable 'b'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # refused by the parser, before any reading
        main(["sphere", "average", str(tmp_path / "in.nc"), "--radius-deg", "0",
              "--out", str(tmp_path / "o.nc")])
    assert info.value.code == 2 and "--radius-deg" in capsys.readouterr().err
    assert not (tmp_path / "o.nc").exists()


def test_retired_spellings_still_work_and_warn(tmp_path, capsys):
    g = Grid.regular(10.0)
    xr.DataArray(np.ones(g.shape), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="a").to_netcdf(tmp_path / "in.nc")
    assert main(["cap", str(tmp_path / "in.nc"), "--gaussian-km", "500",
                 "--out", str(tmp_path / "o.nc")]) == 0
    err = capsys.readouterr().err
    assert "'jaxgeo cap' is deprecated" in err and "--gaussian-km is deprecated" in err
    np.testing.assert_allclose(xr.open_dataset(tmp_path / "o.nc").a.values, 1.0, rtol=1e-12)


def test_mask_with_nan_is_an_error_not_zero(tmp_path, capsys):
    g = Grid.regular(10.0)
    xr.DataArray(np.ones(g.shape), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="a").to_netcdf(tmp_path / "in.nc")
    m = np.ones(g.shape)
    m[3, 4] = np.nan
    xr.DataArray(m, dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="land").to_netcdf(tmp_path / "mask.nc")
    assert main(["sphere", "average", str(tmp_path / "in.nc"), "--radius-deg", "20", "--mask",
                 str(tmp_path / "mask.nc"), "--out", str(tmp_path / "o.nc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jaxgeo sphere average: error:") and "NaN" in err
    assert not (tmp_path / "o.nc").exists()
