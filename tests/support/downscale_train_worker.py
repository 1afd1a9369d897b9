"""One process of a two-process data-parallel downscaling run (tests/downscale/test_distributed.py).

Run as ``python tests/support/downscale_train_worker.py DATA.nc CKPT_DIR OUT.npz`` with the
JAXGEO_* variables set. Every process trains on the global mesh with the test's ``_fit``
settings, writes the checkpoint of step 2 into the shared ``CKPT_DIR`` and stops after
step 3 as if killed; process 0 saves the loss history.
"""

import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

from jaxgeo.distributed import initialize_from_env  # noqa: E402

info = initialize_from_env(timeout_s=60)

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from jaxgeo.distributed import make_mesh  # noqa: E402
from jaxgeo.downscale import LossConfig, NetConfig, TrainConfig, fit  # noqa: E402


class Killed(Exception):
    pass


history = []


def callback(step, terms):
    history.append(terms)
    if step == 3:
        raise Killed


data_path, ckpt, out = sys.argv[1:4]
with xr.open_dataset(data_path) as ds:
    ds = ds.load()
try:
    fit(ds["coarse"], ds["model"], mask=ds["mask"].astype(bool), radius_deg=15.0,
        net=NetConfig(width=4, depth=1, blocks=1),
        train=TrainConfig(epochs=2, batch_months=8, learning_rate=3e-3, checkpoint_every=2),
        quiet=True, checkpoint_dir=ckpt, callback=callback, mesh=make_mesh(),
        noise2self=False, start="cap", loss=LossConfig.published())
except Killed:
    pass
if info.is_coordinator:
    np.savez(out, devices=jax.device_count(), processes=info.num_processes,
             **{k: np.array([h[k] for h in history]) for k in history[0]})
print(f"process {info.process_id}/{info.num_processes}: {info.local_device_count} local of "
      f"{info.device_count} devices, stopped after step {len(history)}", flush=True)
