"""Weak scaling of the cap operator over simulated CPU devices (jaxgeo.distributed).

Each device count runs in its own subprocess (``JAX_NUM_CPU_DEVICES=N``) with the same
months per device, so perfect weak scaling is a constant wall time. A second table splits
one field into latitude bands (halo exchange by ``ppermute``) at a fixed total size. A third
times one data-parallel downscaling train step (jaxgeo.downscale, ``mesh=``) with the same
months per device on 1 and 8 devices. Prints tables and writes JSON (default
``benchmarks/results/distributed_cpu.json``; with ``--modes`` the other modes' rows already
in the file are kept).

    python benchmarks/bench_distributed.py                 # all modes (≈ 2 min)
    python benchmarks/bench_distributed.py --modes train   # only the train-step rows
    python benchmarks/bench_distributed.py --case months 4 # one case, JSON on stdout

Simulated devices are threads of one process sharing the machine's cores: with 8 devices
on 2 cores the total work grows 8× while the hardware stays the same, so the wall time
grows with N / cores instead of staying flat; the figure of merit that survives is the
throughput (months per second) relative to one device.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from _common import time_calls, write_json

RES_DEG = 0.25
RADIUS_DEG = 3.0
MONTHS_PER_DEVICE = 2
BAND_RES_DEG = 0.25
DEVICES = (1, 2, 4, 8)
MODES = ("months", "lat", "train")
# downscaling train step: a 3° grid (60 × 120; depth 2 needs nlat, nlon divisible by 4),
# the default-width network, 2 months per device
TRAIN_RES_DEG = 3.0
TRAIN_MONTHS_PER_DEVICE = 2
TRAIN_DEVICES = (1, 8)


def _train_case(n: int, repeats: int) -> tuple[dict, float, float, float, bool]:
    """One jitted downscaling train step on ``n`` devices (2 months each); see the docstring."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    from flax import nnx

    from jaxgeo import Grid
    from jaxgeo.distributed import make_mesh, replicate, shard_months
    from jaxgeo.downscale import (
        DownscaleNet,
        LossConfig,
        NetConfig,
        TrainConfig,
        loss_constants,
        make_optimizer,
        make_train_step,
    )

    grid = Grid.regular(TRAIN_RES_DEG)
    rng = np.random.default_rng(0)
    months = TRAIN_MONTHS_PER_DEVICE * n
    channels = 8
    mask = np.abs(grid.lat)[:, None] + 0 * grid.lon[None, :] < 75.0
    x = rng.normal(size=(months,) + grid.shape + (channels,)).astype(np.float32)
    model_field = x[..., 1].copy()
    aux = loss_constants(grid, mask, RADIUS_DEG)
    op = aux.cap_op
    caps = np.nan_to_num(np.asarray(op(jnp.asarray(x[..., 0])))).astype(np.float32)
    step = make_train_step(LossConfig())

    def fresh():
        net = DownscaleNet.create(channels, NetConfig(), residual_channel=2, seed=0)
        return net, make_optimizer(net, TrainConfig(), 1000)

    # one device, unsharded: the reference loss of the first step
    net, opt = fresh()
    ref = {k: float(v) for k, v in step(net, opt, jnp.asarray(x), jnp.asarray(model_field),
                                        jnp.asarray(caps), aux).items()}
    net, opt = fresh()
    if n > 1:
        mesh = make_mesh()
        for obj in (net, opt):
            nnx.update(obj, replicate(nnx.state(obj), mesh))
        aux = replicate(aux, mesh)
        args = [shard_months(a, mesh).array for a in (x, model_field, caps)]
    else:
        args = [jnp.asarray(a) for a in (x, model_field, caps)]

    def run():
        terms = step(net, opt, *args, aux)
        jax.block_until_ready(terms)
        return terms

    t0 = time.perf_counter()
    first = {k: float(v) for k, v in run().items()}
    compile_s = time.perf_counter() - t0
    med, best = time_calls(run, repeats)
    ok = all(abs(first[k] - ref[k]) <= 1e-5 * abs(ref[k]) for k in ref)
    extra = {"months": months, "months_per_device": TRAIN_MONTHS_PER_DEVICE,
             "net": "width 16, depth 2, 1 block", "channels": channels}
    return extra, compile_s, med, best, ok


def _call(op, x):
    return op(x)


def run_case(mode: str, n: int, repeats: int) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from jaxgeo import Grid
    from jaxgeo.distributed import (
        band_plan,
        make_mesh,
        month_parallel,
        shard_months,
        sharded_apply,
    )
    from jaxgeo.sphere import CapAverage

    assert jax.device_count() == n, (jax.device_count(), n)
    rng = np.random.default_rng(0)
    if mode == "train":
        extra, compile_s, med, best, ok = _train_case(n, max(3, repeats // 3))
        return {"mode": mode, "devices": n, "res_deg": TRAIN_RES_DEG, "radius_deg": RADIUS_DEG,
                "compile_s": compile_s, "wall_ms": 1e3 * med, "best_ms": 1e3 * best,
                "matches_single_device": ok, "loadavg_1min": os.getloadavg()[0], **extra}
    if mode == "months":
        grid = Grid.regular(RES_DEG)
        op = CapAverage(grid, RADIUS_DEG, dtype=jnp.float32)
        months = MONTHS_PER_DEVICE * n
        x = rng.normal(size=(months,) + grid.shape).astype(np.float32)
        mesh = make_mesh()
        xs = shard_months(x, mesh).array
        fn = month_parallel(_call, mesh, 3)
        t0 = time.perf_counter()
        y = fn(op, xs).block_until_ready()
        compile_s = time.perf_counter() - t0
        med, best = time_calls(lambda: fn(op, xs).block_until_ready(), repeats)
        ok = bool(np.array_equal(np.asarray(y)[:2], np.asarray(op(x[:2]))))
        extra = {"months": months, "months_per_device": MONTHS_PER_DEVICE}
    else:
        grid = Grid.regular(BAND_RES_DEG)
        op = CapAverage(grid, RADIUS_DEG, dtype=jnp.float32)
        x = jnp.asarray(rng.normal(size=grid.shape).astype(np.float32))
        mesh = make_mesh(months=1, lat=n)
        # one device: the plain operator (no halo, no shard_map) is the baseline
        single = jax.jit(lambda o, f: o(f))

        def run():
            if n == 1:
                return single(op, x).block_until_ready()
            return sharded_apply(op, x, mesh).block_until_ready()

        t0 = time.perf_counter()
        y = run()
        compile_s = time.perf_counter() - t0
        med, best = time_calls(run, repeats)
        ref = np.asarray(op(x))
        ok = bool(np.allclose(np.asarray(y), ref, rtol=0, atol=1e-5 * np.abs(ref).max()))
        plan = band_plan(op, n)
        extra = {"months": 1, "rows_per_device": plan.block_rows, "halo_rows": plan.halo_rows}
    return {"mode": mode, "devices": n, "res_deg": grid.resolution_deg,
            "radius_deg": RADIUS_DEG, "compile_s": compile_s, "wall_ms": 1e3 * med,
            "best_ms": 1e3 * best, "matches_single_device": ok,
            "loadavg_1min": os.getloadavg()[0], **extra}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs=2, metavar=("MODE", "DEVICES"))
    ap.add_argument("--repeats", type=int, default=31)
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" /
                                         "distributed_cpu.json"))
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case[0], int(args.case[1]), args.repeats)))
        return 0
    rows = []
    for mode in args.modes:
        if mode == "months":
            print(f"\nweak scaling, months: {MONTHS_PER_DEVICE} months/device, {RES_DEG}° grid, "
                  f"cap {RADIUS_DEG}°, float32")
        elif mode == "train":
            print(f"\nweak scaling, downscaling train step: {TRAIN_MONTHS_PER_DEVICE} "
                  f"months/device, {TRAIN_RES_DEG}° grid, cap {RADIUS_DEG}°, float32")
        else:
            print(f"\nlatitude bands: one {BAND_RES_DEG}° field split over N devices, "
                  f"cap {RADIUS_DEG}°, float32")
        print(f"{'devices':>7} {'months':>6} {'wall ms':>9} {'best ms':>9} {'vs 1 dev':>8} "
              f"{'best vs 1':>9} {'months/s':>9} {'equal':>5} {'load':>5}")
        base = base_best = None
        for n in (TRAIN_DEVICES if mode == "train" else DEVICES):
            env = dict(os.environ, JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(n))
            env.pop("XLA_FLAGS", None)
            proc = subprocess.run([sys.executable, __file__, "--case", mode, str(n),
                                   "--repeats", str(args.repeats)],
                                  capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                print(f"{n:7d} FAILED: {proc.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            base = base or r["wall_ms"]
            base_best = base_best or r["best_ms"]
            r["ratio_vs_1_device"] = r["wall_ms"] / base
            r["best_ratio_vs_1_device"] = r["best_ms"] / base_best
            r["months_per_s"] = r["months"] / (r["wall_ms"] / 1e3)
            r["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            rows.append(r)
            print(f"{n:7d} {r['months']:6d} {r['wall_ms']:9.1f} {r['best_ms']:9.1f} "
                  f"{r['ratio_vs_1_device']:8.2f} {r['best_ratio_vs_1_device']:9.2f} "
                  f"{r['months_per_s']:9.1f} "
                  f"{str(r['matches_single_device']):>5} {r['loadavg_1min']:5.2f}", flush=True)
    import jax

    meta = {
        "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores "
                    f"({platform.platform()})",
        "jax": jax.__version__, "backend": "cpu (simulated devices, JAX_NUM_CPU_DEVICES)",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": (f"{os.cpu_count()} physical cores shared with other users (see loadavg); "
                 "N simulated devices are threads on those cores, so with constant work per "
                 "device the total work grows N-fold on fixed hardware: wall time cannot stay "
                 "flat beyond N = cores. Weak scaling on real devices needs real devices."),
    }
    out = Path(args.out)
    if set(args.modes) != set(MODES) and out.exists():
        # a partial run: keep the rows of the modes not rerun
        old = json.loads(out.read_text())
        kept = [r for r in old["cases"] if r["mode"] not in args.modes]
        rows = kept + rows
        meta["kept_rows_date"] = old["meta"].get("kept_rows_date", old["meta"].get("date"))
    write_json(out, {"meta": meta, "cases": rows})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
