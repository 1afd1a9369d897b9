"""Benchmark: downscaling train-step throughput and the epoch time of 200 months at 0.5° (CPU).

Each case (resolution) runs in its own subprocess so that its peak memory (ru_maxrss) is
its own. A case builds random normalised inputs of the demo's shape (coarse, model,
baseline, 3 forcings, position, mask), the masked cap operator on the real land mask, and
the default network, then times jit-compiled Adam steps (compile separately from run).
The loss is ``LossConfig()``'s default (squared cap misfit of the prediction seen through
the 300 km Gaussian, MAE·(1−ρ) similarity) unless ``--loss published``. The epoch time is measured
over ``--epoch-steps`` steps and scaled to a full epoch unless ``--full-epoch`` is given.
Cases run with the glibc allocator tuning of ``bench_sphere.py`` unless
``--default-malloc``. Prints a table and writes JSON
(default ``benchmarks/results/downscale_cpu.json``).

    python benchmarks/bench_downscale.py                 # 1° and 0.5°, batch 4
    python benchmarks/bench_downscale.py --full-epoch    # time all 50 steps of 200 months
    python benchmarks/bench_downscale.py --case 0.5      # one case, JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import MALLOC_TUNING, cpu_name, write_json

os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parents[1]


def run_case(res: float, months: int, batch: int, steps: int, full_epoch: bool,
             loss: str) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    from flax import nnx

    from jaxgeo import Grid
    from jaxgeo.downscale import (
        DownscaleNet,
        LossConfig,
        NetConfig,
        TrainConfig,
        loss_constants,
        make_optimizer,
        make_train_step,
    )
    from jaxgeo.regions import land_mask

    grid = Grid.regular(res)
    mask = land_mask(grid)
    rng = np.random.default_rng(0)
    channels = 3 + 3 + 5
    x = rng.standard_normal((months,) + grid.shape + (channels,)).astype(np.float32)
    model = rng.standard_normal((months,) + grid.shape).astype(np.float32)
    t0 = time.perf_counter()
    loss_cfg = LossConfig() if loss == "demo" else LossConfig.published()
    aux = loss_constants(grid, mask, 3.0, loss_cfg)
    op = aux.cap_op
    t_op = time.perf_counter() - t0
    caps = np.nan_to_num(np.asarray(op(jnp.asarray(model[:batch])))).astype(np.float32)
    net = DownscaleNet.create(channels, NetConfig(), residual_channel=2, seed=0)
    n_params = sum(a.size for a in jax.tree.leaves(nnx.state(net, nnx.Param)))
    steps_per_epoch = months // batch
    opt = make_optimizer(net, TrainConfig(), steps_per_epoch)
    step = make_train_step(loss_cfg)

    def one(k):
        i = (k * batch) % (months - batch + 1)
        terms = step(net, opt, jnp.asarray(x[i:i + batch]), jnp.asarray(model[i:i + batch]),
                     jnp.asarray(caps), aux)
        return jax.block_until_ready(terms)

    t0 = time.perf_counter()
    one(0)
    compile_s = time.perf_counter() - t0
    n = steps_per_epoch if full_epoch else steps
    t0 = time.perf_counter()
    for k in range(1, n + 1):
        one(k)
    per_step = (time.perf_counter() - t0) / n
    return {
        "resolution_deg": res, "grid": list(grid.shape), "months": months, "batch": batch,
        "loss": loss, "parameters": int(n_params), "cap_operator_build_s": t_op,
        "compile_s": compile_s,
        "step_s": per_step, "months_per_s": batch / per_step,
        "epoch_s": per_step * steps_per_epoch, "epoch_measured": full_epoch,
        "timed_steps": n, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=float, nargs="+", default=[1.0, 0.5])
    ap.add_argument("--months", type=int, default=200)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--epoch-steps", type=int, default=5)
    ap.add_argument("--full-epoch", action="store_true")
    ap.add_argument("--loss", choices=("demo", "published"), default="demo")
    ap.add_argument("--default-malloc", action="store_true",
                    help="do not set GLIBC_TUNABLES for the cases")
    ap.add_argument("--case", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "downscale_cpu.json"))
    a = ap.parse_args()
    if a.case is not None:
        print(json.dumps(run_case(a.case, a.months, a.batch, a.epoch_steps, a.full_epoch,
                                  a.loss)))
        return
    load_start = os.getloadavg()
    rows = []
    for res in a.res:
        cmd = [sys.executable, __file__, "--case", str(res), "--months", str(a.months),
               "--batch", str(a.batch), "--epoch-steps", str(a.epoch_steps), "--loss", a.loss]
        if a.full_epoch:
            cmd.append("--full-epoch")
        env = dict(os.environ)
        if not a.default_malloc:
            env["GLIBC_TUNABLES"] = MALLOC_TUNING
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    head = ("res °", "grid", "params", "compile s", "step s", "months/s", "epoch s",
            "peak MB")
    print("  ".join(f"{h:>10}" for h in head))
    for r in rows:
        vals = (r["resolution_deg"], "×".join(map(str, r["grid"])), r["parameters"],
                f"{r['compile_s']:.1f}", f"{r['step_s']:.2f}", f"{r['months_per_s']:.2f}",
                f"{r['epoch_s']:.0f}" + ("" if r["epoch_measured"] else "*"),
                f"{r['peak_rss_mb']:.0f}")
        print("  ".join(f"{v!s:>10}" for v in vals))
    if not a.full_epoch:
        print(f"* epoch of {a.months} months extrapolated from {a.epoch_steps} timed steps")
    result = {
        "hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(),
                     "load_average_at_start": load_start,
                     "load_average_at_end": os.getloadavg(), "platform": platform.platform()},
        "glibc_tunables": None if a.default_malloc else MALLOC_TUNING,
        "note": ("shared 2-core CPU with other jobs running: figures are noisy (see the load "
                 "average); float32 training, default network, batch of months per step"),
        "cases": rows,
    }
    print(f"wrote {write_json(a.out, result)}")


if __name__ == "__main__":
    main()
