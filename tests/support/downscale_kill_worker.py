"""One training process of the SIGKILL test (tests/downscale/test_kill.py).

``python tests/support/downscale_kill_worker.py CKPT_DIR STEPS_FILE OUT.npz``: trains on the tiny
data set with checkpoints in CKPT_DIR, appends each finished step to STEPS_FILE (the parent
kills the process once it sees enough steps) and saves the final weights to OUT.npz.
"""

import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/

import jax  # noqa: E402
import numpy as np  # noqa: E402
from flax import nnx  # noqa: E402

from jaxgeo.downscale import NetConfig, TrainConfig, fit  # noqa: E402
from support.downscale_data import tiny_experiment  # noqa: E402

EPOCHS, CHECKPOINT_EVERY = 10, 3

ckpt, steps_file, out = sys.argv[1:4]
d = tiny_experiment(8)


def report(step, terms):
    with open(steps_file, "a") as f:
        f.write(f"{step}\n")
    time.sleep(0.05)  # leaves the parent time to kill between (and during) checkpoints


fitted = fit(d["coarse"], d["model"], mask=d["mask"], features=d["features"], radius_deg=15.0,
             net=NetConfig(width=4, depth=1, blocks=1),
             train=TrainConfig(epochs=EPOCHS, batch_months=2, checkpoint_every=CHECKPOINT_EVERY),
             checkpoint_dir=ckpt, quiet=True, callback=report)
leaves = [np.asarray(a) for a in jax.tree.leaves(nnx.state(fitted.net, nnx.Param))]
np.savez(out, *leaves, steps=len(fitted.history))
