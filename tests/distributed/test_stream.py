"""Streaming (stream_apply, ``jaxgeo sphere stream``): batch-by-batch output == in-memory result.

Oracle: the operator applied to the whole in-memory stack on one device. Streaming runs
the same per-month arithmetic, so the values must be identical (float64, and float32 where
the CLI casts the input), except where a device holds a single month (see the test).
"""

import dask.array as dsa
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from support.streams import month_stack as _stack

from jaxgeo import Grid
from jaxgeo.cli import main
from jaxgeo.distributed import BatchLoader, make_mesh, stream_apply
from jaxgeo.sphere import CapAverage


def _open(path):
    return xr.open_zarr(path) if str(path).endswith(".zarr") else xr.open_dataset(path)


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_stream_equals_in_memory(tmp_path, suffix):
    g = Grid.regular(4.0)
    da = _stack(g, 29, descending=True)
    da.to_dataset().to_netcdf(tmp_path / "in.nc")
    src = xr.open_dataset(tmp_path / "in.nc", chunks={"time": 4}).tws
    assert isinstance(src.data, dsa.Array)  # lazily opened
    op = CapAverage(g, 9.0)
    ref = np.asarray(op(da.values[:, ::-1]))  # grid order: ascending latitude
    out = tmp_path / f"out{suffix}"
    stream_apply(op, src, out, batch_months=5, prefetch=2, mesh=make_mesh(months=4),
                 quiet=True)
    with _open(out) as res:
        np.testing.assert_array_equal(res.tws.values, ref)
        np.testing.assert_array_equal(res.lat.values, g.lat)
        np.testing.assert_array_equal(res.time.values, da.time.values)
        assert res.tws.attrs["units"] == "mm"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.nc", out.name]  # no temp left


def test_stream_targets_and_callable(tmp_path):
    g = Grid.regular(3.0)
    da = _stack(g, 7, seed=1).chunk({"time": 3})
    op = CapAverage(g, 8.0, targets=Grid.regular(6.0))
    out = tmp_path / "coarse.zarr"
    stream_apply(op, da, out, batch_months=3, quiet=True)
    with _open(out) as res:
        # 1 ulp: on 8 devices each holds one month, and XLA rounds a one-month batch of a
        # targets operator differently from a 7-month one (op(x[:1]) != op(x)[:1] on one
        # device too)
        ref = np.asarray(op(da.values))
        np.testing.assert_allclose(res.tws.values, ref, rtol=0, atol=4e-16 * np.abs(ref).max())
        np.testing.assert_array_equal(res.lat.values, Grid.regular(6.0).lat)
    fine = CapAverage(g, 8.0)

    def fn(f):
        return 2.0 * fine(f)

    out2 = tmp_path / "twice.nc"
    stream_apply(fn, da, out2, batch_months=4, quiet=True, name="twice")
    with _open(out2) as res:
        np.testing.assert_array_equal(res.twice.values, 2.0 * np.asarray(fine(da.values)))


def test_stream_failure_keeps_old_output(tmp_path):
    g = Grid.regular(4.0)
    da = _stack(g, 6)
    out = tmp_path / "out.zarr"
    op = CapAverage(g, 9.0)
    stream_apply(op, da, out, batch_months=2, quiet=True)
    before = _open(out).tws.values
    bad = da.copy()
    bad[4, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        stream_apply(op, bad, out, batch_months=2, quiet=True)
    np.testing.assert_array_equal(_open(out).tws.values, before)
    assert [p.name for p in tmp_path.iterdir()] == ["out.zarr"]


@pytest.mark.filterwarnings("ignore:Consolidated metadata:UserWarning")
def test_sphere_stream_cli(tmp_path, capsys):
    g = Grid.regular(4.0)
    da = _stack(g, 9, descending=True, seed=2)
    da.to_dataset().to_zarr(tmp_path / "in.zarr")
    mask = np.random.default_rng(3).random(g.shape) > 0.5
    xr.DataArray(mask.astype("i1"), dims=("lat", "lon"), coords={"lat": g.lat, "lon": g.lon},
                 name="land").to_netcdf(tmp_path / "mask.nc")
    out = tmp_path / "out.nc"
    assert main(["sphere", "stream", str(tmp_path / "in.zarr"), "--radius-deg", "9",
                 "--mask", str(tmp_path / "mask.nc"), "--out", str(out), "--batch-months",
                 "4"]) == 0
    assert "wrote" in capsys.readouterr().out
    op = CapAverage(g, 9.0, mask=mask, dtype=jnp.float32)
    ref = np.asarray(op(da.values[:, ::-1].astype(np.float32)))
    with xr.open_dataset(out) as res:
        assert res.tws.dtype == np.float32
        np.testing.assert_array_equal(res.tws.values, ref)
        assert "spherical cap radius 9" in res.tws.attrs["cell_methods"]
    assert main(["sphere", "stream", str(tmp_path / "missing.nc"), "--radius-deg", "3", "--out",
                 str(tmp_path / "x.zarr")]) == 2


def test_loader_reads_at_most_prefetch_ahead():
    import threading
    import time

    reads, lock = [], threading.Lock()

    def read(a, b):
        with lock:
            reads.append(a)
        return np.full((b - a, 2, 2), float(a))

    bounds = [(a, a + 3) for a in range(0, 30, 3)]
    loader = BatchLoader(read, bounds, prefetch=2)
    seen = []
    for a, _, block in loader:
        time.sleep(0.02)  # a slow consumer: the reader must wait, not run ahead
        with lock:
            # queued (≤ prefetch) + one blocked in put + the one being consumed
            assert len(reads) - len(seen) <= 2 + 2
        np.testing.assert_array_equal(block, float(a))
        seen.append(a)
    loader.close()
    assert seen == [a for a, _ in bounds]


def test_netcdf_output_has_unlimited_time(tmp_path):
    import netCDF4

    g = Grid.regular(6.0)
    out = tmp_path / "o.nc"
    stream_apply(CapAverage(g, 10.0), _stack(g, 5), out, batch_months=2, quiet=True)
    with netCDF4.Dataset(out) as nc:
        assert nc.dimensions["time"].isunlimited() and len(nc.dimensions["time"]) == 5


_REPEAT_NETCDF = """
import sys, tempfile
from pathlib import Path
import numpy as np, xarray as xr
sys.path.insert(0, sys.argv[1])
from support.streams import month_stack as _stack
from jaxgeo import Grid
from jaxgeo.distributed import make_mesh, stream_apply
from jaxgeo.sphere import CapAverage
g = Grid.regular(4.0)
da = _stack(g, 29)
op = CapAverage(g, 9.0)
ref = np.asarray(op(da.values))
for i in range(int(sys.argv[2])):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        da.to_dataset().to_netcdf(d / "in.nc")
        with xr.open_dataset(d / "in.nc", chunks={"time": 4}) as src:
            stream_apply(op, src.tws, d / "out.nc", batch_months=5, prefetch=2,
                         mesh=make_mesh(months=4), quiet=True)
        with xr.open_dataset(d / "out.nc") as out:
            np.testing.assert_array_equal(out.tws.values, ref)
print("done")
"""


def test_netcdf_streaming_survives_concurrent_prefetch_reads(tmp_path):
    # HDF5 is not thread-safe: without a shared lock, the prefetch thread's reads of the
    # NetCDF input and the main thread's writes of the NetCDF output crashed the process
    # (segfault or abort) within 2–10 repetitions; a subprocess keeps a crash contained.
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-c", _REPEAT_NETCDF, str(Path(__file__).parents[1]),
                          "25"], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and "done" in res.stdout, (res.returncode, res.stderr[-2000:])


def test_retired_progress_keyword_warns(tmp_path):
    g = Grid.regular(6.0)
    with pytest.warns(DeprecationWarning, match="progress= is deprecated"):
        stream_apply(CapAverage(g, 10.0), _stack(g, 3), tmp_path / "o.nc", batch_months=2,
                     progress=False)
    with pytest.raises(TypeError, match="unexpected keyword"):
        stream_apply(CapAverage(g, 10.0), _stack(g, 3), tmp_path / "o.nc", batch_months=2,
                     verbose=False)
