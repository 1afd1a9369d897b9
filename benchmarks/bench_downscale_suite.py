"""Benchmark: every downscaling method on every experiment of the suite (generalisation).

The experiments are the land ones of :mod:`jaxgeo.downscale.experiments` (own generators
for truth, model errors and GRACE-like noise) and the ocean one of
:mod:`jaxgeo.downscale.ocean` (ocean bottom pressure, two reanalyses). The methods: the
coarse field and the model(s) as they are, :func:`jaxgeo.downscale.baseline` (the classical
``model + cap(coarse − model)``, 3°; on the ocean with the reanalyses' mean), the start that
``fit`` corrects (:func:`jaxgeo.downscale.matched_baseline`: the model seen through the
coarse product's filter, the radius — and on the ocean the reanalysis — chosen without the
truth) and ``fit`` with its defaults (its output is the network's only where the estimated
risk says it beats the start; ``selection`` in the JSON). Every setting is chosen by the
same truth-free rule on every experiment; nothing is tuned per experiment. Every number is
an area-weighted RMSE against the truth over the mask
(:func:`jaxgeo.downscale.metrics.rmse`), plus the ratios of the issue's targets
(downscaled / baseline ≤ 0.90 and never above 1; downscaled / min(coarse, models) ≤ 0.60),
the cap-mean misfit of each output against the coarse field
(:func:`~jaxgeo.downscale.metrics.cap_residual`, 3° caps) next to the coarse field's own
cap-mean error against the truth (its noise level at the cap scale), and the global-mass
residual (:func:`~jaxgeo.downscale.metrics.global_mass_residual`; the ocean fit conserves
mass). Forcings of an experiment (``seasonal``: precipitation) are passed to ``fit``.

Prints a table and writes JSON (default ``benchmarks/results/downscale_suite_cpu.json``).

    python benchmarks/bench_downscale_suite.py             # 1.5°, 48 months
    python benchmarks/bench_downscale_suite.py --long      # + the striped case with 200 months
    python benchmarks/bench_downscale_suite.py --long --months 200 \
        --out benchmarks/results/downscale_suite_long_cpu.json       # the long case alone
    python benchmarks/bench_downscale_suite.py --only seasonal --epochs 2   # a quick look
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
    experiment: str
    n_months: int


#: the declared cases: every experiment of the suite with a short record …
CASES = (Case("large_scale", 48), Case("seasonal", 48), Case("missing_process", 48),
         Case("striped", 48), Case("ocean", 48))
#: … and the long record (``--long``, ``--full``)
LONG_CASES = (Case("striped", 200),)
METHODS = ("coarse", "model", "baseline", "start", "fit")


def _experiment(case: Case, res: float, seed: int):
    """``(dataset, model, features, inputs)``: the model (a Dataset of both reanalyses on the
    ocean), the features, and the named inputs whose RMSE the targets compare with."""
    from jaxgeo.downscale import experiments

    if case.experiment == "ocean":
        from jaxgeo.downscale.ocean import ocean_experiment

        ds = ocean_experiment(res, case.n_months, seed=seed)
        return ds, ds[["model_a", "model_b"]], None, ("coarse", "model_a", "model_b")
    ds = experiments.EXPERIMENTS[case.experiment](res, case.n_months, seed=seed)
    names = [v for v in ds.data_vars if v not in ("truth", "model", "coarse", "mask")]
    return ds, ds.model, (ds[names] if names else None), ("coarse", "model")


def run_case(case: Case, res: float, seed: int, epochs: int | None) -> dict:
    """Build one experiment, run every method on it, return its figures."""
    import numpy as np

    from jaxgeo import Grid
    from jaxgeo.downscale import TrainConfig, baseline, fit, matched_baseline, metrics
    from jaxgeo.sphere import CapAverage

    t0 = time.perf_counter()
    ds, model, features, inputs = _experiment(case, res, seed)
    t_data = time.perf_counter() - t0
    ocean = case.experiment == "ocean"
    grid = Grid.regular(res)
    mask = ds.mask.values
    truth = ds.truth.values
    fields = {k: ds[k].values for k in inputs}
    seconds = {}
    t0 = time.perf_counter()
    fields["baseline"] = baseline(ds.coarse, model, mask=ds.mask, radius_deg=RADIUS_DEG).values
    seconds["baseline"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    start = matched_baseline(ds.coarse, model, mask=ds.mask)
    fields["start"] = start.values
    seconds["start"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    train = TrainConfig(seed=seed) if epochs is None else TrainConfig(epochs=epochs, seed=seed)
    net = fit(ds.coarse, model, mask=ds.mask, features=features, train=train, quiet=True,
              conserve_mass=ocean)
    fields["fit"] = net.predict(ds.coarse, model, features).values
    seconds["fit"] = time.perf_counter() - t0
    rmse = {k: metrics.rmse(v, truth, grid, mask) for k, v in fields.items()}
    best_input = min(rmse[k] for k in inputs)
    op = CapAverage(grid, RADIUS_DEG, mask=mask)
    coarse0 = np.nan_to_num(ds.coarse.values)
    cap = {k: metrics.cap_residual(np.nan_to_num(fields[k]), coarse0, op, mask)
           for k in ("baseline", "start", "fit")}
    cap_noise = metrics.cap_residual(coarse0, np.nan_to_num(truth), op, mask)
    mass = {k: metrics.global_mass_residual(np.nan_to_num(fields[k]), coarse0, grid,
                                            mask)["max_abs"]
            for k in ("baseline", "start", "fit")}
    s = net.settings
    out = {"experiment": case.experiment, "n_months": case.n_months, "rmse": rmse,
           "inputs": list(inputs), "cap_residual": cap, "cap_noise_coarse": cap_noise,
           "global_mass_residual_max_abs": mass,
           "seconds": {"data": t_data, **seconds}, "training_steps": len(net.history),
           "start": {"radius_deg": s.start_radius_deg, "model": s.start_model or "model",
                     "coarse_lmax": s.coarse_lmax,
                     "coarse_half_width_km": s.coarse_half_width_km,
                     "comment": start.attrs["comment"]},
           "selection": net.selection.to_dict(), "conserve_mass": bool(ocean),
           "features": [] if features is None else list(features.data_vars),
           "noise_mm": float(ds.attrs["noise_mm"])}
    for how in ("start", "fit"):
        over_base = rmse[how] / rmse["baseline"]
        over_best = rmse[how] / best_input
        out[how + "_targets"] = {
            "over_baseline": over_base, "over_best_input": over_best,
            "target_0.90_baseline": over_base <= 0.90,
            "target_not_above_baseline": over_base <= 1.0,
            "target_0.60_best_input": over_best <= 0.60,
            "cap_within_noise": cap[how] <= cap_noise,
            "mass_residual_below_0.1_mm": (mass[how] < 0.1) if ocean else None}
    out["baseline_over_best_input"] = rmse["baseline"] / best_input
    return out


def format_table(rows: list[dict]) -> str:
    head = ("experiment", "months", "coarse", "model(s)", "baseline", "start", "fit",
            "fit/base", "fit/min", "cap fit", "cap base", "cap noise", "network", "mass fit")
    lines = ["  ".join(f"{h:>9}" if i else f"{h:<16}" for i, h in enumerate(head))]
    for r in rows:
        m = r["rmse"]
        models = "/".join(f"{m[k]:.1f}" for k in r["inputs"] if k != "coarse")
        t = r["fit_targets"]
        vals = (r["experiment"], r["n_months"], f"{m['coarse']:.1f}", models,
                *(f"{m[k]:.1f}" for k in ("baseline", "start", "fit")),
                f"{t['over_baseline']:.2f}", f"{t['over_best_input']:.2f}",
                f"{r['cap_residual']['fit']:.1f}", f"{r['cap_residual']['baseline']:.1f}",
                f"{r['cap_noise_coarse']:.1f}",
                "used" if r["selection"]["use_network"] else "not used",
                f"{r['global_mass_residual_max_abs']['fit']:.1e}")
        lines.append("  ".join(f"{v!s:>9}" if i else f"{v!s:<16}" for i, v in enumerate(vals)))
    lines.append("RMSE against the truth over the mask, mm; ratios of fit's RMSE to the "
                 "baseline's and to min(coarse, models); cap: RMS of 3° cap-mean misfit "
                 "against the coarse field (noise: the coarse field's own against the truth); "
                 "network: whether fit's risk estimate kept the network's output over the "
                 "start; mass: max |area mean of fit − coarse| per month, mm")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=float, default=None, help="grid, degrees (default 1.5; "
                    "--full: 1)")
    ap.add_argument("--long", action="store_true", help="add the 200-month case(s)")
    ap.add_argument("--full", action="store_true", help="1° and the long cases")
    ap.add_argument("--epochs", type=int, default=None,
                    help="epochs of fit (default: its own, 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="+", choices=sorted({c.experiment for c in CASES}),
                    help="run only these experiments")
    ap.add_argument("--months", type=int, nargs="+", help="run only the cases of these "
                    "record lengths (e.g. --long --months 200)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    from jaxgeo.downscale import LossConfig, TrainConfig

    res = a.res if a.res is not None else (1.0 if a.full else 1.5)
    cases = CASES + (LONG_CASES if a.long or a.full else ())
    if a.only:
        cases = tuple(c for c in cases if c.experiment in a.only)
    if a.months:
        cases = tuple(c for c in cases if c.n_months in a.months)
    default_out = ROOT / "benchmarks" / "results" / "downscale_suite_cpu.json"
    out = Path(a.out) if a.out else (default_out if not (a.only or a.epochs or a.months) else None)
    load_start = os.getloadavg()
    t0 = time.perf_counter()
    rows = []
    for case in cases:
        rows.append(run_case(case, res, a.seed, a.epochs))
        print(f"[{time.perf_counter() - t0:.0f} s] {case.experiment} ({case.n_months} "
              f"months) done", flush=True)
    print(format_table(rows))
    summary = {how: {t: [r["experiment"] + f"/{r['n_months']}" for r in rows
                         if r[how + "_targets"][t] is False]
                     for t in ("target_0.90_baseline", "target_not_above_baseline",
                               "target_0.60_best_input", "cap_within_noise",
                               "mass_residual_below_0.1_mm")}
               for how in ("start", "fit")}
    for how, failed in summary.items():
        for t, names in failed.items():
            print(f"{how}: {t}: " + ("holds on every case" if not names
                                     else "fails on " + ", ".join(names)))
    result = {
        "hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(),
                     "load_average_at_start": load_start,
                     "load_average_at_end": os.getloadavg(), "platform": platform.platform()},
        "settings": {"resolution_deg": res, "seed": a.seed, "epochs": a.epochs,
                     "fit_default_loss": str(LossConfig()),
                     "fit_default_train": str(TrainConfig()),
                     "radius_deg": RADIUS_DEG, "methods": list(METHODS),
                     "cases": [list(c) for c in cases]},
        "wall_s": time.perf_counter() - t0,
        "units": "mm equivalent water height; area-weighted over the experiment's mask "
                 "(land, or ocean)",
        "failed_targets": summary,
        "cases": rows,
    }
    if out is not None:
        print(f"wrote {write_json(out, result)}")


if __name__ == "__main__":
    main()
