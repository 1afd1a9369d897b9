"""Benchmark: our downscaler against the published patch method (Gou & Soja 2024), one run (CPU).

On one synthetic experiment (:func:`jaxgeo.downscale.synthetic.make_experiment`, default
1° and 48 months: what this 2-core CPU can do in ~15 min) it trains

- **ours**: :func:`jaxgeo.downscale.fit` with the demo's settings
  (:data:`jaxgeo.demos.downscale.DEMO_DEFAULTS`: noise2self, squared cap misfit through the
  300 km observation Gaussian, radius 3°), once for each of ``--our-epochs`` (the cosine
  schedule depends on the run's length, so each is a complete run); an epoch is all months;
- **the patch method**: :func:`jaxgeo.downscale.fit_patches` (published network, loss,
  Adam 1e-3, batch 512). At 1° the patch is 16 × 16 cells, the 16° of the published
  32 × 32 at 0.5°. A published epoch is one patch per month and land cell (T × 14 632 at
  1°); on this CPU each epoch here draws ``--patches-per-epoch`` patches instead, and the
  full-epoch time is extrapolated from the measured step time. Batch-normalisation momentum
  0.9 (Keras: 0.99) so that the running statistics used in prediction have forgotten their
  initial values after the few steps of a CPU run.

and reports the RMSE against the truth (:func:`jaxgeo.downscale.metrics.rmse`, area-weighted
over the land), the wall time per epoch (median and spread over the epochs after the
first, which compiles) and the training time until the RMSE first reaches the baseline's
(:func:`jaxgeo.downscale.baseline`). Sliding-patch prediction costs one network pass per
month and land cell, so the patch method is scored on ``--eval-months`` months spread over
the record (ours and the baseline on the same months, and ours on all months too). A
timing-only case measures the published 32 × 32 patch (step time, full-epoch
extrapolation). Prints a table and writes JSON
(default ``benchmarks/results/downscale_peer_cpu.json``).

    python benchmarks/bench_downscale_peer.py
    python benchmarks/bench_downscale_peer.py --epochs 4 --patches-per-epoch 4096  # shorter
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from _common import cpu_name, write_json

os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parents[1]


def _spread(xs):
    xs = list(xs)
    if not xs:
        return {"median_s": None, "min_s": None, "max_s": None, "n": 0}
    return {"median_s": statistics.median(xs), "min_s": min(xs), "max_s": max(xs),
            "n": len(xs)}


def run_ours(ds, features, epochs_list, months_eval, grid, mask):
    from jaxgeo.demos.downscale import DEMO_DEFAULTS
    from jaxgeo.downscale import LossConfig, TrainConfig, fit, metrics

    loss = LossConfig(observation_half_width_km=DEMO_DEFAULTS["observation_half_width_km"],
                      cap_power=DEMO_DEFAULTS["cap_power"])
    truth = ds.truth.values
    runs = []
    for epochs in epochs_list:
        stamps = []
        t0 = time.perf_counter()
        down = fit(ds.coarse, ds.model, mask=ds.mask, features=features,
                   radius_deg=DEMO_DEFAULTS["radius_deg"],
                   noise2self=DEMO_DEFAULTS["noise2self"], loss=loss,
                   train=TrainConfig(epochs=epochs, seed=DEMO_DEFAULTS["seed"]), quiet=True,
                   callback=lambda s, terms, stamps=stamps: stamps.append(time.perf_counter()))
        fit_s = time.perf_counter() - t0
        pred = down.predict(ds.coarse, ds.model, features).values
        steps_per_epoch = len(stamps) // epochs
        ends = [stamps[(e + 1) * steps_per_epoch - 1] for e in range(epochs)]
        starts = [t0] + ends[:-1]  # epoch 1 includes the set-up and compilation
        runs.append({
            "epochs": epochs, "fit_s": fit_s, "steps_per_epoch": steps_per_epoch,
            "epoch_s": [b - a for a, b in zip(starts, ends, strict=True)],
            "setup_and_first_epoch_s": ends[0] - t0,
            "rmse_all_months": metrics.rmse(pred, truth, grid, mask),
            "rmse_eval_months": metrics.rmse(pred[months_eval], truth[months_eval], grid, mask),
        })
        print(f"ours, {epochs} epoch(s): {fit_s:.1f} s, RMSE {runs[-1]['rmse_eval_months']:.2f}"
              f" mm (eval months), {runs[-1]['rmse_all_months']:.2f} mm (all)", flush=True)
    return runs


def run_patch(ds, features, cfg, months_eval, eval_epochs, grid, mask):
    from jaxgeo.downscale import fit_patches, metrics

    truth = ds.truth.values[months_eval]
    sub = [v.isel(time=months_eval) for v in (ds.coarse, ds.model, features)]
    evals = []
    clock = {"eval": 0.0}
    t0 = time.perf_counter()

    def callback(epoch, down):
        t_cb = time.perf_counter()
        if epoch in eval_epochs:
            pred = down.predict(*sub).values
            evals.append({"epoch": epoch, "train_s": t_cb - t0 - clock["eval"],
                          "rmse_eval_months": metrics.rmse(pred, truth, grid, mask),
                          "loss": down.history[-1]["loss"]})
            print(f"patch, epoch {epoch}: train {evals[-1]['train_s']:.0f} s, RMSE "
                  f"{evals[-1]['rmse_eval_months']:.2f} mm (eval months; predicting took "
                  f"{time.perf_counter() - t_cb:.0f} s)", flush=True)
        clock["eval"] += time.perf_counter() - t_cb

    down = fit_patches(ds.coarse, ds.model, mask=ds.mask, features=features, config=cfg,
                       callback=callback)
    return down, evals


def time_published_patch(ds, features, months: int):
    """Step time of the published 32 × 32 patch (2 timed steps after a compiling epoch)."""
    from jaxgeo.downscale import PatchConfig, fit_patches

    cfg = PatchConfig(patch_size=32, epochs=2, max_patches_per_epoch=1024)
    down = fit_patches(ds.coarse, ds.model, mask=ds.mask, features=features, config=cfg)
    rec = down.history[-1]
    return {"patch_size": 32, "batch": cfg.batch, "step_s": rec["seconds"] / 2,
            "parameters": list(down.parameters)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=float, default=1.0)
    ap.add_argument("--months", type=int, default=48)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--our-epochs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--patch-size", type=int, default=16)
    ap.add_argument("--patches-per-epoch", type=int, default=8192)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--eval-epochs", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--eval-months", type=int, default=3)
    ap.add_argument("--bn-momentum", type=float, default=0.9)
    ap.add_argument("--skip-published-timing", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                         "downscale_peer_cpu.json"))
    a = ap.parse_args()

    import numpy as np

    from jaxgeo import Grid
    from jaxgeo.downscale import PatchConfig, baseline, metrics, synthetic

    load_start = os.getloadavg()
    t_start = time.perf_counter()
    ds = synthetic.make_experiment(a.res, a.months, seed=a.seed)
    grid = Grid.regular(a.res)
    mask = ds.mask.values
    features = ds[["precipitation", "evapotranspiration", "runoff"]]
    # months spread evenly over the record, not the first or the last
    months_eval = [int(m) for m in np.linspace(1, a.months - 2, a.eval_months).round()]
    truth = ds.truth.values
    base = baseline(ds.coarse, ds.model, mask=ds.mask, radius_deg=3.0).values
    ref = {k: {"rmse_all_months": metrics.rmse(v, truth, grid, mask),
               "rmse_eval_months": metrics.rmse(v[months_eval], truth[months_eval], grid, mask)}
           for k, v in {"coarse": ds.coarse.values, "model": ds.model.values,
                        "baseline": base}.items()}
    target = ref["baseline"]["rmse_eval_months"]
    print(f"experiment {a.res}°, {a.months} months, {int(mask.sum())} land cells; eval months "
          f"{months_eval}; baseline RMSE {target:.2f} mm (eval months)", flush=True)

    ours = run_ours(ds, features, a.our_epochs, months_eval, grid, mask)
    cfg = PatchConfig(patch_size=a.patch_size, epochs=a.epochs, seed=1996,
                      max_patches_per_epoch=a.patches_per_epoch, bn_momentum=a.bn_momentum)
    down, evals = run_patch(ds, features, cfg, months_eval, set(a.eval_epochs), grid, mask)
    published = None if a.skip_published_timing else time_published_patch(ds, features,
                                                                           a.months)

    n_all = a.months * int(mask.sum())
    p_epochs = [h["seconds"] for h in down.history]
    p_steady = _spread(p_epochs[1:])
    step_s = p_steady["median_s"] / (a.patches_per_epoch // cfg.batch)
    full_epoch_s = step_s * (n_all // cfg.batch)
    longest = max(ours, key=lambda r: r["epochs"])
    o_steady = _spread(longest["epoch_s"][1:])
    reach_ours = next((r for r in sorted(ours, key=lambda r: r["epochs"])
                       if r["rmse_eval_months"] <= target), None)
    reach_patch = next((e for e in evals if e["rmse_eval_months"] <= target), None)
    result = {
        "hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(),
                     "load_average_at_start": load_start, "load_average_at_end": os.getloadavg(),
                     "platform": platform.platform()},
        "note": ("shared 2-core CPU with other jobs running: times are noisy (load average); "
                 "float32 training. RMSE in mm, area-weighted over the land mask."),
        "experiment": {"resolution_deg": a.res, "months": a.months, "seed": a.seed,
                       "land_cells": int(mask.sum()), "eval_months": months_eval},
        "reference": ref, "target_rmse_eval_months": target,
        "ours": {"settings": "fit with jaxgeo.demos.downscale.DEMO_DEFAULTS (noise2self, "
                             "300 km observation Gaussian, squared caps, radius 3, batch 4 "
                             "months, default NetConfig)",
                 "runs": ours, "epoch_s_after_first": o_steady,
                 "seconds_to_target": None if reach_ours is None else reach_ours["fit_s"],
                 "epochs_to_target": None if reach_ours is None else reach_ours["epochs"]},
        "patch": {"settings": {"patch_size": cfg.patch_size, "batch": cfg.batch,
                               "learning_rate": cfg.learning_rate, "epochs": cfg.epochs,
                               "seed": cfg.seed, "patches_per_epoch": a.patches_per_epoch,
                               "bn_momentum": cfg.bn_momentum,
                               "patches_per_published_epoch": n_all},
                  "parameters": list(down.parameters), "history": down.history,
                  "evaluations": evals, "epoch_s_after_first": p_steady,
                  "step_s": step_s, "full_epoch_s_extrapolated": full_epoch_s,
                  "seconds_to_target": None if reach_patch is None else reach_patch["train_s"],
                  "epochs_to_target": None if reach_patch is None else reach_patch["epoch"],
                  "best_rmse_eval_months": min((e["rmse_eval_months"] for e in evals),
                                               default=None)},
        "published_patch_timing": published,
        "full_epoch_ratio_patch_over_ours": full_epoch_s / o_steady["median_s"],
        "total_s": time.perf_counter() - t_start,
    }
    if published is not None:
        published["full_epoch_s_extrapolated"] = published["step_s"] * (n_all // 512)
        result["full_epoch_ratio_published_patch_over_ours"] = (
            published["full_epoch_s_extrapolated"] / o_steady["median_s"])

    rows = [("method", "RMSE eval [mm]", "RMSE all [mm]", "epoch s (med, min–max)",
             "time to target s")]
    for k in ("coarse", "model", "baseline"):
        rows.append((k, f"{ref[k]['rmse_eval_months']:.2f}", f"{ref[k]['rmse_all_months']:.2f}",
                     "", ""))
    rows.append((f"ours ({longest['epochs']} ep)", f"{longest['rmse_eval_months']:.2f}",
                 f"{longest['rmse_all_months']:.2f}",
                 f"{o_steady['median_s']:.1f} ({o_steady['min_s']:.1f}–{o_steady['max_s']:.1f})",
                 "—" if reach_ours is None else f"{reach_ours['fit_s']:.0f}"))
    last = evals[-1] if evals else {"rmse_eval_months": float("nan"), "epoch": 0}
    rows.append((f"patch {cfg.patch_size}² ({last['epoch']} ep of {a.patches_per_epoch})",
                 f"{last['rmse_eval_months']:.2f}", "n/a",
                 f"{p_steady['median_s']:.1f} ({p_steady['min_s']:.1f}–{p_steady['max_s']:.1f})",
                 "—" if reach_patch is None else f"{reach_patch['train_s']:.0f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        print("  ".join(c.rjust(w) if i else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if k == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    print(f"target = baseline RMSE on the eval months {target:.2f} mm; — = not reached")
    print(f"full published epoch ({n_all} patches) of the {cfg.patch_size}² patch method: "
          f"{full_epoch_s:.0f} s (extrapolated) = {result['full_epoch_ratio_patch_over_ours']:.0f}"
          f" × ours' epoch ({o_steady['median_s']:.1f} s)")
    if published is not None:
        print(f"published 32² patch: {published['step_s']:.1f} s per step of 512, full epoch "
              f"{published['full_epoch_s_extrapolated']:.0f} s = "
              f"{result['full_epoch_ratio_published_patch_over_ours']:.0f} × ours'; "
              f"parameters {published['parameters']}")
    print(f"wrote {write_json(a.out, result)} ({result['total_s']:.0f} s)")


if __name__ == "__main__":
    main()
