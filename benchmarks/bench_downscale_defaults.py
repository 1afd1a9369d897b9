"""Benchmark: ``fit``'s defaults against the published set-up on the demo's experiment.

The synthetic experiment of ``jaxgeo demo`` (:func:`jaxgeo.downscale.synthetic.make_experiment`,
the forcings as features) is trained once per declared case, all with the same size, epochs
and seed, and each prediction is compared with the truth (area-weighted RMSE over the land
mask, mm), beside the coarse field, the model and :func:`jaxgeo.downscale.baseline`:

* ``defaults``: ``fit(coarse, model, mask=..., features=...)`` with nothing else set;
* ``published``: ``start="cap", noise2self=False, loss=LossConfig.published()`` (Gou &
  Soja 2024);
* ``classical_noise2self``: ``start="cap", noise2self=True`` (the defaults before the
  matched start).

Prints a table and writes JSON (default ``benchmarks/results/downscale_defaults_cpu.json``).

    python benchmarks/bench_downscale_defaults.py                       # the demo: 1°, 120 months
    python benchmarks/bench_downscale_defaults.py --resolution-deg 2 --n-months 60
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

from _common import cpu_name, write_json

os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parents[1]


def _published():
    from jaxgeo.downscale import LossConfig

    return {"start": "cap", "noise2self": False, "loss": LossConfig.published()}


def _classical_noise2self():
    return {"start": "cap", "noise2self": True}


#: case name → fit keywords besides the data and TrainConfig (a function: built lazily)
CASES = {"defaults": dict, "published": _published,
         "classical_noise2self": _classical_noise2self}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution-deg", type=float, default=1.0)
    ap.add_argument("--n-months", type=int, default=120)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--case", action="append", choices=sorted(CASES),
                    help="run only these cases (repeatable; default all)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"
                                         / "downscale_defaults_cpu.json"))
    args = ap.parse_args()

    from jaxgeo import Grid
    from jaxgeo.downscale import TrainConfig, baseline, fit, metrics, synthetic

    ds = synthetic.make_experiment(args.resolution_deg, args.n_months, seed=args.seed)
    grid, mask, truth = Grid.regular(args.resolution_deg), ds.mask.values, ds.truth.values
    feats = ds[["precipitation", "evapotranspiration", "runoff"]]

    def rmse(values):
        return metrics.rmse(values, truth, grid, mask)

    rows = {"coarse": {"rmse_mm": rmse(ds.coarse.values)},
            "model": {"rmse_mm": rmse(ds.model.values)},
            "baseline": {"rmse_mm": rmse(baseline(ds.coarse, ds.model, mask=ds.mask).values)}}
    for name in args.case or CASES:
        kw = CASES[name]()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fitted = fit(ds.coarse, ds.model, mask=ds.mask, features=feats,
                         train=TrainConfig(epochs=args.epochs, seed=args.seed), quiet=True, **kw)
        seconds = time.perf_counter() - t0
        s = fitted.settings
        rows[name] = {"rmse_mm": rmse(fitted.predict(ds.coarse, ds.model, feats).values),
                      "seconds_fit": seconds, "noise2self": s.noise2self, "start": s.start,
                      "start_radius_deg": s.start_radius_deg,
                      "network_kept": fitted.selection.use_network,
                      "cap_power": s.loss.cap_power,
                      "observation_half_width_km": s.loss.observation_half_width_km}
        print(f"{name}: {rows[name]['rmse_mm']:.2f} mm ({seconds:.0f} s)", flush=True)
    base = rows["baseline"]["rmse_mm"]
    best = min(rows["coarse"]["rmse_mm"], rows["model"]["rmse_mm"])
    print(f"\n{'field':<10} {'RMSE mm':>8} {'/ baseline':>10} {'/ min(coarse, model)':>21}")
    for name, r in rows.items():
        print(f"{name:<10} {r['rmse_mm']:8.2f} {r['rmse_mm'] / base:10.3f} "
              f"{r['rmse_mm'] / best:21.3f}")
    write_json(args.out, {"cases": rows, "settings": vars(args) | {"out": None},
                          "cpu": cpu_name(), "machine": platform.machine(),
                          "units": "mm, area-weighted RMSE against the truth over the land"})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
