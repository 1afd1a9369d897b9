"""Benchmark: an ensemble of downscaling networks in one program, and its calibrated spread.

On every experiment of the suite (:mod:`jaxgeo.downscale.experiments`, land, 48 months)
:func:`jaxgeo.downscale._ensemble.fit_ensemble` trains 5 members (seeds 0–4, ``fit``'s
defaults) in one compiled program, and the same run trains the 5 members one after the
other with :func:`~jaxgeo.downscale.fit` (the wall-time comparison; member ``k`` is the
sequential fit of seed ``k`` up to float32 rounding, which the script checks on the
predictions). Reported per experiment:

- 2σ coverage of the truth (:func:`jaxgeo.downscale.metrics.coverage`, area-weighted over
  the land mask): *raw* (σ = the member spread) and *calibrated* (σ = the total
  uncertainty ``sqrt(spread² + data_sigma²)``, truth-free, see
  ``jaxgeo/downscale/_calibration.py``); target 90–98 %; per region (20° boxes,
  :func:`~jaxgeo.downscale.metrics.region_labels`) the 10th/50th/90th percentile and the
  share of regions inside 90–98 %; per month the range;
- RMSE against the truth of the ensemble mean, of the single fit (seed 0), of the baseline,
  the coarse field and the model; the RMS of the calibrated σ next to the mean's RMSE;
- wall time of the ensemble and of the 5 sequential fits (same run, same process).

Prints a table and writes JSON (default ``benchmarks/results/downscale_ensemble_cpu.json``).

    python benchmarks/bench_downscale_ensemble.py                 # 2.5°, 48 months
    python benchmarks/bench_downscale_ensemble.py --only seasonal --epochs 2   # a quick look
    python benchmarks/bench_downscale_ensemble.py --sequential first  # timing on one case
    python benchmarks/bench_downscale_ensemble.py --only striped --epochs 2 --strategy vmap \
        --out benchmarks/results/downscale_ensemble_vmap_cpu.json    # the batched step
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
REGION_DEG = 20.0
TARGET = (0.90, 0.98)


class Case(NamedTuple):
    experiment: str
    n_months: int


#: the declared cases: every experiment of the suite, 48 months
CASES = (Case("large_scale", 48), Case("seasonal", 48), Case("missing_process", 48),
         Case("striped", 48))


def _coverage_figures(mean, sigma, truth, grid, mask, labels) -> dict:
    import numpy as np

    from jaxgeo.downscale import metrics

    c = metrics.coverage(mean, sigma, truth, grid, mask, k=2.0, by=labels)
    regions = np.array(list(c["per_region"].values()))
    inside = (regions >= TARGET[0]) & (regions <= TARGET[1])
    return {"overall": c["overall"],
            "per_month_min": float(c["per_month"].min()),
            "per_month_max": float(c["per_month"].max()),
            "per_region_p10": float(np.percentile(regions, 10)),
            "per_region_median": float(np.median(regions)),
            "per_region_p90": float(np.percentile(regions, 90)),
            "regions_in_target": float(inside.mean()), "n_regions": int(regions.size),
            "in_target": TARGET[0] <= c["overall"] <= TARGET[1]}


def run_case(case: Case, res: float, members: int, epochs: int | None,
             sequential: bool, strategy: str = "auto") -> dict:
    """Build one experiment, train the ensemble (and the sequential fits), return figures."""
    import numpy as np

    from jaxgeo import Grid
    from jaxgeo.downscale import TrainConfig, baseline, experiments, fit, fit_ensemble, metrics

    ds = experiments.EXPERIMENTS[case.experiment](res, case.n_months, seed=0)
    grid, mask, truth = Grid.regular(res), ds.mask.values, ds.truth.values
    names = [v for v in ds.data_vars if v not in ("truth", "model", "coarse", "mask")]
    features = ds[names] if names else None
    train = TrainConfig(seed=0) if epochs is None else TrainConfig(epochs=epochs, seed=0)
    seconds = {}
    t0 = time.perf_counter()
    base = baseline(ds.coarse, ds.model, mask=ds.mask).values
    seconds["baseline"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ens = fit_ensemble(ds.coarse, ds.model, mask=ds.mask, features=features, members=members,
                       train=train, strategy=strategy, quiet=True)
    seconds["ensemble_fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = ens.predict(ds.coarse, ds.model, features)
    seconds["ensemble_predict"] = time.perf_counter() - t0
    name = next(iter(out.data_vars))
    mean = out[name].values
    spread, total = out[f"{name}_spread"].values, out[f"{name}_uncertainty"].values
    single = ens.member(0).predict(ds.coarse, ds.model, features).values
    member_rmse = [metrics.rmse(ens.member(k).predict(ds.coarse, ds.model, features).values,
                                truth, grid, mask) for k in range(members)]
    row = {"experiment": case.experiment, "n_months": case.n_months, "members": members,
           "seeds": list(ens.seeds)}
    if sequential:
        t0 = time.perf_counter()
        nets = [fit(ds.coarse, ds.model, mask=ds.mask, features=features,
                    train=TrainConfig(**{**train.__dict__, "seed": s}), quiet=True)
                for s in ens.seeds]
        seconds["sequential_fits"] = time.perf_counter() - t0
        seq0 = nets[0].predict(ds.coarse, ds.model, features).values
        row["max_abs_member0_minus_fit_seed0_mm"] = float(np.nanmax(np.abs(seq0 - single)))
        row["speedup_ensemble_over_sequential"] = (seconds["sequential_fits"]
                                                   / seconds["ensemble_fit"])
    labels = metrics.region_labels(grid, mask, REGION_DEG)
    zero = np.zeros_like(mean)
    fill = np.where(mask, 1.0, np.nan)
    rmse = {"ensemble_mean": metrics.rmse(mean, truth, grid, mask),
            "single_fit": metrics.rmse(single, truth, grid, mask),
            "members_mean_of_rmse": float(np.mean(member_rmse)),
            "baseline": metrics.rmse(base, truth, grid, mask),
            "coarse": metrics.rmse(ds.coarse.values, truth, grid, mask),
            "model": metrics.rmse(ds.model.values, truth, grid, mask)}
    row.update({
        "rmse": rmse,
        "rms_sigma": {"spread": metrics.rmse(spread * fill, zero, grid, mask),
                      "data_sigma": metrics.rmse(out[f"{name}_data_sigma"].values, zero, grid,
                                                 mask),
                      "total": metrics.rmse(total, zero, grid, mask)},
        "coverage_2sigma": {"raw": _coverage_figures(mean, spread, truth, grid, mask, labels),
                            "calibrated": _coverage_figures(mean, total, truth, grid, mask,
                                                            labels)},
        "seconds": seconds, "features": names,
        "training_steps": len(ens.history)})
    return row


def format_table(rows: list[dict]) -> str:
    head = ("experiment", "cov raw", "cov cal", "reg p10", "reg med", "reg p90", "reg in",
            "mean", "single", "baseline", "σ cal", "ens s", "seq s", "speedup")
    lines = ["  ".join(f"{h:>8}" if i else f"{h:<16}" for i, h in enumerate(head))]
    for r in rows:
        cal = r["coverage_2sigma"]["calibrated"]
        s = r["seconds"]
        vals = (r["experiment"], f"{r['coverage_2sigma']['raw']['overall']:.3f}",
                f"{cal['overall']:.3f}", f"{cal['per_region_p10']:.2f}",
                f"{cal['per_region_median']:.2f}", f"{cal['per_region_p90']:.2f}",
                f"{cal['regions_in_target']:.2f}", f"{r['rmse']['ensemble_mean']:.1f}",
                f"{r['rmse']['single_fit']:.1f}", f"{r['rmse']['baseline']:.1f}",
                f"{r['rms_sigma']['total']:.1f}", f"{s['ensemble_fit']:.0f}",
                f"{s.get('sequential_fits', float('nan')):.0f}",
                f"{r.get('speedup_ensemble_over_sequential', float('nan')):.2f}")
        lines.append("  ".join(f"{v!s:>8}" if i else f"{v!s:<16}" for i, v in enumerate(vals)))
    lines.append("cov: area-weighted fraction of truth cells inside mean ± 2σ (raw: σ = member "
                 "spread; cal: σ = sqrt(spread² + data_sigma²)); reg: calibrated coverage of "
                 f"{REGION_DEG:g}° regions (10th/50th/90th percentile, share inside 90–98 %); "
                 "RMSE against the truth, mm; σ cal: RMS of the calibrated σ, mm; wall s of "
                 "the ensemble and of the same members fitted one after the other")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=float, default=2.5, help="grid, degrees (default 2.5)")
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=None, help="default: fit's (10)")
    ap.add_argument("--sequential", choices=("all", "first", "none"), default="all",
                    help="time the sequential fits on every case, the first, or none")
    ap.add_argument("--strategy", choices=("auto", "vmap", "unroll"), default="auto",
                    help="how the ensemble's step runs the members (default auto: unroll "
                         "on CPU)")
    ap.add_argument("--only", nargs="+", choices=[c.experiment for c in CASES])
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    from jaxgeo.downscale import LossConfig, TrainConfig

    cases = tuple(c for c in CASES if not a.only or c.experiment in a.only)
    default_out = ROOT / "benchmarks" / "results" / "downscale_ensemble_cpu.json"
    out = Path(a.out) if a.out else (None if a.only or a.epochs else default_out)
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    rows = []

    def result(done: bool) -> dict:
        return {
            "hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(),
                         "load_average_at_start": load_start,
                         "load_average_at_end": os.getloadavg(),
                         "platform": platform.platform()},
            "settings": {"resolution_deg": a.res, "members": a.members, "epochs": a.epochs,
                         "fit_default_loss": str(LossConfig()),
                         "fit_default_train": str(TrainConfig()), "region_deg": REGION_DEG,
                         "coverage_target": list(TARGET), "sequential": a.sequential,
                         "strategy": a.strategy,
                         "cases": [list(c) for c in cases]},
            "complete": done,
            "wall_s": time.perf_counter() - t0,
            "units": "mm equivalent water height; area-weighted over the land mask",
            "cases": rows,
        }

    for i, case in enumerate(cases):
        seq = a.sequential == "all" or (a.sequential == "first" and i == 0)
        rows.append(run_case(case, a.res, a.members, a.epochs, seq, a.strategy))
        print(f"[{time.perf_counter() - t0:.0f} s] {case.experiment} done", flush=True)
        if out is not None:  # the cases so far, in case the run is cut short
            write_json(out, result(i + 1 == len(cases)))
    print(format_table(rows))
    if out is not None:
        print(f"wrote {write_json(out, result(True))}")


if __name__ == "__main__":
    main()
