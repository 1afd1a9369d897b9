"""Benchmark: one training epoch of ``fit`` on a 0.25° ocean grid: months/s and peak memory.

Issue 13 asks for the throughput of a 0.25° ocean epoch on this CPU. The ocean experiment's
generator (:mod:`jaxgeo.downscale.ocean`) cannot draw 0.25° fields (its eddy synthesis needs
memory growing as nlat³), so the case uses fields of the same size and kind drawn here
cheaply: a seasonal basin-scale signal, random mesoscale waves, two model fields with
different errors, and a coarse field = the ocean-only truth through the GRACE filter
(:func:`jaxgeo.grace.filter_field`, degree 60, 300 km) plus filtered noise. ``fit`` runs
with its defaults (the matched start: radius and model chosen by the risk estimate, then
the network; ``conserve_mass=True``), one epoch.

Reported: the wall time until the first training step is done (inputs, the matched
start's choice among 6 radii × 3 model candidates, the loss constants, the first step with
its compilation) and of each later step, months per second over the steps after the
first, the peak resident memory of the process (``ru_maxrss``) next to the size of the
network inputs (one float32 copy of ``(months, 720, 1440, channels)``), and the load
average. Prints a table and writes
``benchmarks/results/downscale_ocean_epoch_cpu.json``.

    python benchmarks/bench_downscale_ocean_epoch.py              # 24 months, batch 4
    python benchmarks/bench_downscale_ocean_epoch.py --months 12  # quicker
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path
from typing import NamedTuple

from _common import cpu_name, write_json

os.environ.setdefault("JAX_PLATFORMS", "cpu")

ROOT = Path(__file__).resolve().parents[1]


class Case(NamedTuple):
    resolution_deg: float
    n_months: int
    batch_months: int


CASES = (Case(0.25, 24, 4),)


def _fields(case: Case, seed: int = 0):
    """``(coarse, models, mask)`` on the case's grid (mm; NaN off the ocean)."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    from jaxgeo import Grid
    from jaxgeo.grace import filter_field
    from jaxgeo.regions import ocean_domain

    grid = Grid.regular(case.resolution_deg)
    mask = ocean_domain(grid)
    rng = np.random.default_rng(seed)
    nt = case.n_months
    lat = np.deg2rad(grid.lat)[:, None]
    lon = np.deg2rad(grid.lon)[None, :]
    t = np.arange(nt)[:, None, None]
    basin = 30.0 * np.cos(2 * np.pi * t / 12) * (np.sin(2 * lat) * np.cos(lon))[None]

    def waves(n, kmin, kmax, amp):
        out = np.zeros((nt,) + grid.shape, np.float32)
        for _ in range(n):
            k, m = rng.integers(kmin, kmax, 2)
            ph = rng.uniform(0, 2 * np.pi, nt)[:, None, None]
            out += (amp * np.cos(k * lat + m * lon + ph)).astype(np.float32)
        return out

    eddies = waves(24, 40, 200, 4.0)
    truth = np.where(mask, basin + eddies, 0.0)
    models = {"model_a": np.where(mask, 0.8 * basin + waves(24, 40, 200, 4.0), np.nan),
              "model_b": np.where(mask, basin + 0.4 * eddies + waves(8, 2, 10, 3.0), np.nan)}
    coarse = np.asarray(filter_field(truth, grid, lmax=60, half_width_km=300.0))
    noise = np.asarray(filter_field(rng.standard_normal(truth.shape) * 40.0, grid, lmax=60,
                                    half_width_km=300.0))
    coarse = np.where(mask, coarse + noise, np.nan)
    time_ = pd.date_range("2003-01", periods=nt, freq="MS") + pd.Timedelta(days=14)
    coords = {"time": time_, **grid.to_xarray_coords()}

    def da(v):
        return xr.DataArray(v, dims=("time", "lat", "lon"), coords=coords,
                            attrs={"units": "mm"})

    return (da(coarse).assign_attrs(lmax=60, half_width_km=300.0),
            xr.Dataset({k: da(v) for k, v in models.items()}),
            xr.DataArray(mask, dims=("lat", "lon"), coords=grid.to_xarray_coords()))


def run_case(case: Case) -> dict:
    import numpy as np

    from jaxgeo.downscale import TrainConfig, fit

    t0 = time.perf_counter()
    coarse, models, mask = _fields(case)
    t_data = time.perf_counter() - t0
    stamps = []
    t0 = time.perf_counter()
    net = fit(coarse, models, mask=mask, conserve_mass=True, quiet=True,
              train=TrainConfig(epochs=1, batch_months=case.batch_months),
              callback=lambda step, terms: stamps.append(time.perf_counter()))
    t_fit = time.perf_counter() - t0
    steps = np.diff(np.asarray([t0, *stamps]))
    n_steps = len(stamps)
    months_per_s = ((n_steps - 1) * case.batch_months / (stamps[-1] - stamps[0])
                    if n_steps > 1 else float("nan"))
    s = net.settings
    x_bytes = case.n_months * s.grid.nlat * s.grid.nlon * s.in_channels * 4
    return {"resolution_deg": case.resolution_deg, "n_months": case.n_months,
            "batch_months": case.batch_months, "ocean_cells": int(np.sum(mask.values)),
            "seconds_data": t_data, "seconds_fit_total": t_fit,
            "seconds_until_first_step_done": float(steps[0]),
            "seconds_later_steps": [float(v) for v in steps[1:]],
            "months_per_s_after_first_step": months_per_s,
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
            "network_inputs_gb": x_bytes / 1e9,
            "start": {"radius_deg": s.start_radius_deg, "model": s.start_model},
            "network_kept": net.selection.use_network}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, default=None)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    cases = CASES if a.months is None else tuple(c._replace(n_months=a.months) for c in CASES)
    load = os.getloadavg()
    rows = [run_case(c) for c in cases]
    print("resolution  months  cells  until step 1 s  later steps s (min / median)  months/s  "
          "peak RSS GB  inputs GB")
    for r in rows:
        st = sorted(r["seconds_later_steps"])
        print(f"{r['resolution_deg']:>10}  {r['n_months']:>6}  {r['ocean_cells']:>5}  "
              f"{r['seconds_until_first_step_done']:>14.1f}  "
              f"{(st[0] if st else float('nan')):>8.1f} / {st[len(st) // 2] if st else 0:>6.1f}"
              f"  {r['months_per_s_after_first_step']:>8.2f}  {r['peak_rss_gb']:>11.1f}  "
              f"{r['network_inputs_gb']:>9.2f}")
    result = {"hardware": {"cpu": cpu_name(), "logical_cores": os.cpu_count(),
                           "load_average_at_start": load,
                           "load_average_at_end": os.getloadavg(),
                           "platform": platform.platform()},
              "cases": rows}
    out = Path(a.out) if a.out else ROOT / "benchmarks" / "results" / \
        "downscale_ocean_epoch_cpu.json"
    print(f"wrote {write_json(out, result)}")


if __name__ == "__main__":
    main()
