"""One training process of the downscale fault tests (tests/faults/test_downscale_*.py).

``python tests/support/downscale_faults_worker.py CKPT_DIR MARKER [hang]``: trains a tiny
network with a checkpoint every 2 steps in CKPT_DIR and writes ``done`` to MARKER at the end.
With ``hang``, the first checkpoint save stops just before orbax moves the finished step
folder into place (its temporary folder is on disk), writes ``saving`` to MARKER and waits
to be killed: a deterministic SIGKILL during the first checkpoint save.
"""

import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/

from jaxgeo.downscale import NetConfig, TrainConfig, fit  # noqa: E402
from support.downscale_data import tiny_experiment  # noqa: E402

ckpt, marker = sys.argv[1:3]
if sys.argv[3:] == ["hang"]:
    from orbax.checkpoint._src.path import async_path

    async def _hang(src, dst):
        with open(marker, "w") as f:
            f.write(f"saving {src}\n")
        time.sleep(600)

    async_path.rename = _hang

d = tiny_experiment(8)
fitted = fit(d["coarse"], d["model"], mask=d["mask"], radius_deg=15.0,
             net=NetConfig(width=4, depth=1, blocks=1),
             train=TrainConfig(epochs=2, batch_months=2, checkpoint_every=2),
             checkpoint_dir=ckpt, quiet=True)
with open(marker, "w") as f:
    f.write(f"done {len(fitted.history)}\n")
