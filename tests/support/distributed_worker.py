"""One process of the two-process test (tests/distributed/test_multihost.py).

Run as ``python tests/support/distributed_worker.py OUT.npz`` with the JAXGEO_* variables set; every
process computes the same sharded cap averages over the global mesh, process 0 saves them.
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

from jaxgeo import Grid  # noqa: E402
from jaxgeo.distributed import make_mesh, sharded_apply, to_host  # noqa: E402
from jaxgeo.sphere import CapAverage  # noqa: E402

assert info.num_processes == int(os.environ["JAXGEO_NUM_PROCESSES"]), info
g = Grid.regular(4.0)
op = CapAverage(g, 12.0)
x = np.random.default_rng(0).normal(size=(7,) + g.shape)  # the same on every process
n = jax.device_count()
results = {
    "months": to_host(sharded_apply(op, x, make_mesh())),
    "months_lat": to_host(sharded_apply(op, x, make_mesh(lat=2))),
    "lat": to_host(sharded_apply(op, x, make_mesh(months=1, lat=n))),
}
if info.is_coordinator:
    np.savez(sys.argv[1], x=x, devices=n, processes=info.num_processes, **results)
print(f"process {info.process_id}/{info.num_processes}: {info.local_device_count} local of "
      f"{info.device_count} devices, ok", flush=True)
