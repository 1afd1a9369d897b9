"""Atomic output, the NetCDF preset, constants' units and sources, the dtype policy."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid, constants, to_dataarray
from jaxgeo._dtype import input_float_dtype, resolve_dtype
from jaxgeo._io import atomic_dir, atomic_path, netcdf_encoding, write_json, write_netcdf


def test_atomic_outputs_leave_old_content_on_failure(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("good")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("boom")
    assert target.read_text() == "good"
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "a").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(folder) as tmp:
        tmp.mkdir()
        raise RuntimeError("boom")
    assert (folder / "a").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "store"]
    with pytest.raises(FileExistsError):
        with atomic_path(target, overwrite=False):
            pass
    write_json({"radius_deg": np.float64(3.0)}, tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text()) == {"radius_deg": 3.0}


def test_netcdf_preset_round_trip(tmp_path):
    g = Grid.regular(30.0)
    t = np.array(["2002-01-16", "2002-02-15"], "datetime64[ns]")
    da = to_dataarray(np.ones((2,) + g.shape), g, name="lwe_thickness", units="mm", time=t)
    ds = da.to_dataset()
    enc = netcdf_encoding(ds)
    assert enc["lwe_thickness"]["dtype"] == "float32"
    assert enc["time"]["units"].startswith("days since 2002-01-01")
    write_netcdf(ds, tmp_path / "o.nc", encoding=enc)
    back = xr.open_dataset(tmp_path / "o.nc")
    assert back.lwe_thickness.dtype == np.float32 and back.lwe_thickness.attrs["units"] == "mm"
    np.testing.assert_array_equal(back.time.values, t)


def test_every_constant_has_unit_and_source():
    names = {c.name for c in constants.TABLE}
    declared = {n for n in constants.__all__ if n.isupper() and n != "TABLE"}
    assert names == declared
    for c in constants.TABLE:
        assert c.unit and c.source and getattr(constants, c.name) == c.value
    assert constants.G0_M_S2 == 9.80665 and constants.RHO_WATER_KG_M3 == 1000.0


def test_dtype_policy():
    assert resolve_dtype() == jnp.float64  # conftest enables x64
    assert resolve_dtype("float32") == jnp.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        resolve_dtype(jnp.float16)
    assert input_float_dtype(jnp.ones(2, jnp.float32)) == jnp.float32
    assert input_float_dtype(np.ones(2, np.int32)) == jnp.float64
    assert input_float_dtype(np.ones(2, np.int32), jnp.float32) == jnp.float32
    assert jax.config.jax_numpy_rank_promotion == "raise"
