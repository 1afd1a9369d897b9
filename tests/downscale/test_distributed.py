"""Data-parallel downscaling on 8 simulated CPU devices, and checkpoints across device counts.

Oracle: the same run on one device (``mesh=None``). The network is float32 and a sharded
batch sums its loss terms and gradients in another order (per device, then an all-reduce),
so the cap loss agrees to 2e-6 relative (≈ 16 float32 ulps) and the MAE·(1 − ρ) term to
2e-5 (``LOSS_RTOL``: with ρ ≈ 0.98 the rounding of ρ is amplified ≈ 50× in 1 − ρ), and the
weights to ``WEIGHT_ATOL`` = 1e-5 absolute: Adam divides each gradient component by its own
RMS, so a component that nearly cancels over the batch passes its summation-order rounding
into the update at full relative size; one Adam step moves a weight by up to the learning
rate, 3e-3 = 300 × the tolerance, so a step that went another way would show. Forward passes
on a mesh agree to 1e-5 of the prediction's scale.
"""

import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
import xarray as xr
from flax import nnx
from support.downscale_data import tiny_experiment
from support.processes import free_port, run_peers, worker_env

from jaxgeo.distributed import make_mesh
from jaxgeo.downscale import Downscaler, LossConfig, NetConfig, TrainConfig, fit

RES, RADIUS = 6.0, 15.0
NET = NetConfig(width=4, depth=1, blocks=1)
NT = 16
LOSS_RTOL = {"cap": 2e-6, "mae_decorrelation": 2e-5}
WEIGHT_ATOL = 1e-5
SUPPORT = Path(__file__).parents[1] / "support"
RESUME_WORKER = SUPPORT / "downscale_resume_worker.py"
TRAIN_WORKER = SUPPORT / "downscale_train_worker.py"
TIMEOUT_S = 180


def _write_data(data, path):
    """The test data as one NetCDF file for the worker processes."""
    xr.Dataset({k: data[k] for k in ("coarse", "model")}).assign(
        mask=data["mask"]).to_netcdf(path)
    return path


@pytest.fixture(scope="module")
def data():
    d = tiny_experiment(NT, res_deg=RES, seed=1, start="2004-01-01")
    return {k: d[k] for k in ("coarse", "model", "mask")}


_TRAIN_FIELDS = ("epochs", "batch_months", "learning_rate", "seed", "checkpoint_every")


def _fit(d, **kw):
    # 16 months, batches of 8, 2 epochs: 4 steps
    train = {"epochs": 2, "batch_months": 8, "learning_rate": 3e-3,
             **{k: kw.pop(k) for k in _TRAIN_FIELDS if k in kw}}
    # the published set-up, explicitly (the tolerances were measured with it; the workers too)
    kw = {"radius_deg": RADIUS, "net": NET, "quiet": True, "noise2self": False, "start": "cap",
          "loss": LossConfig.published(), **kw}
    return fit(d["coarse"], d["model"], mask=d["mask"], train=TrainConfig(**train), **kw)


def _params(ds: Downscaler):
    return jax.tree.leaves(nnx.state(ds.net, nnx.Param))


def _assert_same_run(got: Downscaler, ref: Downscaler, ref_steps=slice(None)):
    ref_hist = ref.history[ref_steps]
    assert len(got.history) == len(ref_hist)
    for key in ref_hist[0]:
        np.testing.assert_allclose([h[key] for h in got.history], [h[key] for h in ref_hist],
                                   rtol=LOSS_RTOL[key], atol=0, err_msg=key)
    for a, b in zip(_params(got), _params(ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=WEIGHT_ATOL)


@pytest.fixture(scope="module")
def single(data):
    return _fit(data)


def test_sharded_training_equals_single_device(data, single):
    mesh = make_mesh()
    sharded = _fit(data, mesh=mesh)
    assert len(single.history) == 4
    _assert_same_run(sharded, single)
    # the weights never left the replicated layout (no device holds a different copy)
    replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
    assert all(p.sharding.is_equivalent_to(replicated, p.ndim) for p in _params(sharded))
    # the steps did something: one device's weights moved by more than the tolerance
    moved = _fit(data, epochs=1)
    assert max(float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
               for a, b in zip(_params(moved), _params(single), strict=True)) > 100 * WEIGHT_ATOL


def test_sharded_predict_equals_single_device(data, single):
    # 11 months in batches of 8 on 8 devices: the second batch carries 5 padded months
    c, m = data["coarse"].isel(time=slice(0, 11)), data["model"].isel(time=slice(0, 11))
    ref = single.predict(c, m, batch_months=11).values
    got = single.predict(c, m, batch_months=5, mesh=make_mesh())
    assert got.shape == ref.shape and got.dims == ("time", "lat", "lon")
    np.testing.assert_array_equal(np.isnan(got.values), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(got.values[ok], ref[ok], rtol=0,
                               atol=1e-5 * np.abs(ref[ok]).max())


def test_sharded_training_names_bad_meshes_and_batches(data):
    with pytest.raises(ValueError, match="batch of 6 months cannot be split evenly over the 8"):
        _fit(data, batch_months=6, mesh=make_mesh())
    with pytest.raises(ValueError, match="multiple of 4"):
        _fit(data, batch_months=2, mesh=make_mesh(months=4))
    other = jax.make_mesh((8,), ("data",), (jax.sharding.AxisType.Auto,))
    with pytest.raises(ValueError, match="no 'months' axis"):
        _fit(data, mesh=other)
    with pytest.raises(TypeError, match="Mesh"):
        _fit(data, mesh=8)


class _Killed(Exception):
    pass


def _kill_at(step):
    def callback(s, terms):
        if s == step:
            raise _Killed

    return callback


def test_checkpoint_from_8_devices_resumes_on_1_and_back(data, single, tmp_path):
    mesh8, mesh4 = make_mesh(), make_mesh(months=4)
    one = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    replicated4 = jax.sharding.NamedSharding(mesh4, jax.sharding.PartitionSpec())
    # 8 devices write the checkpoint of step 2 and die; one device resumes steps 3-4
    with pytest.raises(_Killed):
        _fit(data, mesh=mesh8, checkpoint_dir=tmp_path / "a", checkpoint_every=2,
             callback=_kill_at(3))
    resumed = _fit(data, checkpoint_dir=tmp_path / "a", checkpoint_every=2)
    _assert_same_run(resumed, single, slice(2, None))
    assert all(p.sharding.is_equivalent_to(one, p.ndim) for p in _params(resumed))
    # one device writes step 2; a 4-device mesh resumes, restoring onto its own layout
    with pytest.raises(_Killed):
        _fit(data, checkpoint_dir=tmp_path / "b", checkpoint_every=2, callback=_kill_at(3))
    resumed4 = _fit(data, mesh=mesh4, checkpoint_dir=tmp_path / "b", checkpoint_every=2)
    _assert_same_run(resumed4, single, slice(2, None))
    assert all(p.sharding.is_equivalent_to(replicated4, p.ndim) for p in _params(resumed4))
    # a network saved by a mesh run loads into a one-device Downscaler
    loaded = Downscaler.load(tmp_path / "b", mask=data["mask"])
    for a, b in zip(_params(loaded), _params(resumed4), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_checkpoint_from_8_devices_resumes_in_a_1_device_process(data, single, tmp_path):
    # A process that has one device only: the checkpoint's recorded 8-device layout cannot
    # be rebuilt there, so this fails unless restoring targets the current run's sharding.
    with pytest.raises(_Killed):
        _fit(data, mesh=make_mesh(), checkpoint_dir=tmp_path / "c", checkpoint_every=2,
             callback=_kill_at(3))
    path = _write_data(data, tmp_path / "data.nc")
    proc = subprocess.run([sys.executable, str(RESUME_WORKER), str(path), str(tmp_path / "c"),
                           str(tmp_path / "out.npz")], capture_output=True, text=True,
                          env=worker_env(JAX_NUM_CPU_DEVICES="1"), timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "devices: 1" in proc.stdout
    res = np.load(tmp_path / "out.npz")
    ref_hist = single.history[2:]
    for key in ref_hist[0]:
        np.testing.assert_allclose(res[key], [h[key] for h in ref_hist], rtol=LOSS_RTOL[key],
                                   err_msg=key)
    params = [np.asarray(p) for p in _params(single)]
    assert int(res["n_params"]) == len(params)
    for i, b in enumerate(params):
        np.testing.assert_allclose(res[f"p{i}"], b, rtol=0, atol=WEIGHT_ATOL)


def test_two_process_training_checkpoint_resumes_on_1_device(data, single, tmp_path):
    # Two processes with 2 devices each train on the global 4-device mesh (each feeds its
    # own shards, orbax writes one checkpoint from both) and stop after step 3; this
    # process resumes from their step-2 checkpoint on one device.
    path = _write_data(data, tmp_path / "data.nc")
    port = free_port()
    envs = [worker_env(JAX_NUM_CPU_DEVICES="2", JAXGEO_COORDINATOR=f"127.0.0.1:{port}",
                       JAXGEO_NUM_PROCESSES="2", JAXGEO_PROCESS_ID=str(pid))
            for pid in range(2)]
    logs = run_peers([sys.executable, str(TRAIN_WORKER), str(path), str(tmp_path / "ckpt"),
                      str(tmp_path / "out.npz")], envs, TIMEOUT_S)
    assert "process 1/2: 2 local of 4 devices, stopped after step 3" in logs[1]
    res = np.load(tmp_path / "out.npz")
    assert int(res["devices"]) == 4 and int(res["processes"]) == 2
    for key in single.history[0]:
        np.testing.assert_allclose(res[key], [h[key] for h in single.history[:3]],
                                   rtol=LOSS_RTOL[key], err_msg=key)
    resumed = _fit(data, checkpoint_dir=tmp_path / "ckpt", checkpoint_every=2)
    _assert_same_run(resumed, single, slice(2, None))
