"""Resume a downscaling checkpoint in a process with one device (downscale/test_distributed).

Run as ``python tests/support/downscale_resume_worker.py DATA.nc CKPT_DIR OUT.npz`` with
``JAX_NUM_CPU_DEVICES=1``; the settings must be those of the test's ``_fit``.
"""

import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from flax import nnx  # noqa: E402

from jaxgeo.downscale import LossConfig, NetConfig, TrainConfig, fit  # noqa: E402

data_path, ckpt, out = sys.argv[1:4]
print(f"devices: {jax.device_count()}", flush=True)
with xr.open_dataset(data_path) as ds:
    ds = ds.load()
ds_fit = fit(ds["coarse"], ds["model"], mask=ds["mask"].astype(bool), radius_deg=15.0,
    net=NetConfig(width=4, depth=1, blocks=1),
    train=TrainConfig(epochs=2, batch_months=8, learning_rate=3e-3, checkpoint_every=2),
    quiet=True, checkpoint_dir=ckpt, noise2self=False, start="cap", loss=LossConfig.published())
params = [np.asarray(p) for p in jax.tree.leaves(nnx.state(ds_fit.net, nnx.Param))]
hist = {k: np.array([h[k] for h in ds_fit.history]) for k in ds_fit.history[0]}
np.savez(out, n_params=len(params), **hist, **{f"p{i}": p for i, p in enumerate(params)})
