"""Benchmark: ocean bottom pressure (Gou et al. 2025 set-up) on the synthetic ocean experiment.

The experiment is :func:`jaxgeo.downscale.ocean.ocean_experiment` (truth with global ocean
mass, basin modes, marginal seas, coastal-trapped signal and eddies; two Boussinesq
reanalyses with different errors; a GRACE-like field; 465 synthetic gauges). The methods:
the coarse field and each reanalysis as they are, :func:`jaxgeo.downscale.baseline` of the
two models' mean, ``fit`` with its defaults on both reanalyses at once (a Dataset of models)
with the global ocean-mass constraint (``conserve_mass=True``), and the same with the better
single reanalysis (``model_b``) only. Figures (:func:`jaxgeo.demos.ocean.ocean_metrics`):
area-weighted RMSE against the truth over the ocean mask and per ocean class, agreement at
the tide gauges and bottom-pressure recorders, and the largest monthly global-mass residual
against the coarse field (target < 0.1 mm).

Prints a table and writes JSON (default ``benchmarks/results/ocean_cpu.json``).

    python benchmarks/bench_ocean.py                     # 2.5°, 48 months, 2 seeds, ~10 min
    python benchmarks/bench_ocean.py --seeds 0 --epochs 2   # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import NamedTuple

from _common import cpu_name, write_json

os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parents[1]
RADIUS_DEG = 3.0


class Case(NamedTuple):
    resolution_deg: float
    n_months: int
    seed: int


#: the declared cases (``--seeds`` picks among the seeds)
CASES = (Case(2.5, 48, 0), Case(2.5, 48, 1))
METHODS = ("coarse", "model_a", "model_b", "baseline", "fit_two_models", "fit_model_b")


def run_case(case: Case, epochs: int | None) -> dict:
    from jaxgeo import Grid
    from jaxgeo.demos.ocean import ocean_metrics
    from jaxgeo.downscale import TrainConfig, baseline, fit
    from jaxgeo.downscale.ocean import ocean_experiment

    ds = ocean_experiment(case.resolution_deg, case.n_months, seed=case.seed)
    grid = Grid.regular(case.resolution_deg)
    models = ds[["model_a", "model_b"]]
    train = TrainConfig(seed=case.seed) if epochs is None else TrainConfig(
        epochs=epochs, seed=case.seed)
    fields = {"coarse": ds.coarse.values, "model_a": ds.model_a.values,
              "model_b": ds.model_b.values,
              "baseline": baseline(ds.coarse, models, mask=ds.mask,
                                   radius_deg=RADIUS_DEG).values}
    seconds = {}
    for name, model in (("fit_two_models", models), ("fit_model_b", ds.model_b)):
        t0 = time.perf_counter()
        fitted = fit(ds.coarse, model, mask=ds.mask, radius_deg=RADIUS_DEG,
                     conserve_mass=True, train=train, quiet=True)
        fields[name] = fitted.predict(ds.coarse, model).values
        seconds[name] = time.perf_counter() - t0
    m = ocean_metrics(ds, fields, grid)
    best = min(m[f"rmse_{k}"] for k in ("coarse", "model_a", "model_b"))
    for k in ("fit_two_models", "fit_model_b"):
        m[f"{k}_over_baseline"] = m[f"rmse_{k}"] / m["rmse_baseline"]
        m[f"{k}_over_best_input"] = m[f"rmse_{k}"] / best
        m[f"seconds_{k}"] = seconds[k]
    return {"case": case._asdict(), "epochs": train.epochs, "metrics": m}


def format_table(rows: list[dict]) -> str:
    head = ("case", "method", "RMSE", "coastal", "marginal", "TG RMSE", "BPR RMSE",
            "mass res.")
    out = [head]
    for r in rows:
        c, m = r["case"], r["metrics"]
        for k in METHODS:
            out.append((f"{c['resolution_deg']:g}° {c['n_months']} mo seed {c['seed']}", k,
                        f"{m[f'rmse_{k}']:.2f}", f"{m[f'rmse_{k}_coastal_band']:.2f}",
                        f"{m.get(f'rmse_{k}_marginal_sea', float('nan')):.2f}",
                        f"{m[f'gauge_rmse_tide_gauge_{k}']:.2f}",
                        f"{m[f'gauge_rmse_bottom_pressure_recorder_{k}']:.2f}",
                        f"{m[f'mass_residual_max_abs_{k}']:.2g}"))
    widths = [max(len(row[i]) for row in out) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) if i < 2 else v.rjust(w)
                       for i, (v, w) in enumerate(zip(row, widths, strict=True))) for row in out]
    lines.insert(1, "-" * len(lines[0]))
    for r in rows:
        m = r["metrics"]
        lines.append(f"seed {r['case']['seed']}: two models / baseline "
                     f"{m['fit_two_models_over_baseline']:.3f}, model_b only / baseline "
                     f"{m['fit_model_b_over_baseline']:.3f}; two models / best input "
                     f"{m['fit_two_models_over_best_input']:.3f}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="*", default=None,
                   help="seeds of the declared cases to run (default: all)")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default: fit's)")
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/ocean_cpu.json"))
    a = p.parse_args()
    cases = [c for c in CASES if a.seeds is None or c.seed in a.seeds]
    t0 = time.perf_counter()
    rows = [run_case(c, a.epochs) for c in cases]
    print(format_table(rows))
    write_json(a.out, {"benchmark": "ocean bottom pressure (bench_ocean.py)",
                       "cpu": cpu_name(), "cores": os.cpu_count(),
                       "python": platform.python_version(),
                       "seconds_total": time.perf_counter() - t0, "cases": rows})
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
