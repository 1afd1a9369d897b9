"""Conservation and speed of ``jaxgeo.regrid`` (float64) on grid pairs, nested or not.

For each pair: a random field (uniform [0, 1) plus a random offset per month, NaN-free and with
20 % NaN holes) is regridded with ``min_coverage=0``; the conservation error is
``|Σ value · coverage · area_target − Σ field · area_source| / Σ |field| · area_source``
(the source areas from the band formula on edges at centre ± step/2 from the raw
coordinates, independently of jaxgeo; "own edges": on the edges the regridder inferred,
which differ from those by the coordinates' ~1e-14° rounding).
Also the time of the first call (overlap plan + compile) and of a repeated call.

    python benchmarks/bench_regrid.py            # prints a table, writes results/regrid_cpu.json
    python benchmarks/bench_regrid.py --quick    # the small pairs only
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402
from _common import cpu_name, write_json  # noqa: E402

from jaxgeo import Grid, regrid  # noqa: E402
from jaxgeo._regrid import source_edges  # noqa: E402

# name, source lat centres, source lon centres, target grid
PAIRS = [
    ("0.1 regional (unaligned, across 0°) -> 0.25", np.arange(301, 421) * 0.1 + 0.05,
     np.arange(-37, 117) * 0.1 + 0.05, Grid(0.25)),
    ("0.3 global 0..360 -> 0.5", np.arange(600) * 0.3 - 89.85, np.arange(1200) * 0.3 + 0.15,
     Grid(0.5)),
    ("2 descending lat -> 0.5 (refining)", np.arange(89.0, -90, -2), np.arange(-179.0, 180, 2),
     Grid(0.5)),
    ("1 (0..360) -> 1 (-180..180)", np.arange(-89.5, 90), np.arange(0.5, 360), Grid(1.0)),
    ("1 -> 1 shifted half a cell", np.arange(-89.5, 90), np.arange(0.0, 360), Grid(1.0)),
    ("0.7 -> 3 (non-nested coarsening)", np.arange(89.65, -90, -0.7)[:256],
     np.arange(514) * 0.7 + 0.35, Grid(3.0, 0.0)),
]
LARGE = [
    ("0.1 global -> 0.25", np.arange(1800) * 0.1 - 89.95, np.arange(3600) * 0.1 + 0.05,
     Grid(0.25)),
    ("0.25 global -> 0.1 (refining)", np.arange(720) * 0.25 - 89.875,
     np.arange(1440) * 0.25 + 0.125, Grid(0.1)),
]


def _sin_diff(north, south):
    """sin φ_n − sin φ_s (degrees) as 2 cos(mean) sin(half difference): no cancellation."""
    n, s = np.deg2rad(north), np.deg2rad(south)
    return 2.0 * np.cos((n + s) / 2) * np.sin((n - s) / 2)


def _source_area(lat, lon):
    h, w = abs(lat[1] - lat[0]) / 2, abs(lon[1] - lon[0])
    band = _sin_diff(np.clip(lat + h, -90, 90), np.clip(lat - h, -90, 90))
    return np.outer(band, np.full(lon.size, np.deg2rad(w)))


def _case(name, lat, lon, grid, months):
    rng = np.random.default_rng(0)
    field = rng.random((months, lat.size, lon.size)) + rng.normal(size=(months, 1, 1))
    a_src = _source_area(lat, lon)
    a_tgt = np.outer(_sin_diff(grid.lat_edges[1:], grid.lat_edges[:-1]),
                     np.full(grid.nlon, np.deg2rad(grid.resolution_deg)))
    row = {"pair": name, "source": [lat.size, lon.size], "target": list(grid.shape),
           "months": months}
    for holes in (False, True):
        f = field.copy()
        if holes:
            f[rng.random(f.shape) < 0.2] = np.nan
        t0 = time.perf_counter()
        value, cover = regrid(f, grid, lat=lat, lon=lon, min_coverage=0, return_coverage=True)
        value.block_until_ready()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        regrid(f, grid, lat=lat, lon=lon, min_coverage=0).block_until_ready()
        again = time.perf_counter() - t0
        got = np.nansum(np.asarray(value) * np.asarray(cover) * a_tgt, axis=(-2, -1))
        ref = np.nansum(f * a_src, axis=(-2, -1))
        scale = np.nansum(np.abs(f) * a_src, axis=(-2, -1))
        lo, hi = source_edges(lat, "lat", lat=True)
        west, east = source_edges(lon, "lon", lat=False)
        own = np.nansum(f * np.outer(_sin_diff(hi, lo), np.deg2rad(east - west)), axis=(-2, -1))
        key = "nan_holes" if holes else "full"
        row[key] = {"max_rel_error": float(np.max(np.abs(got - ref) / scale)),
                    "max_rel_error_own_edges": float(np.max(np.abs(got - own) / scale)),
                    "max_rel_error_vs_integral": float(np.max(np.abs(got - ref) / np.abs(ref))),
                    "first_call_s": round(first, 3), "repeat_call_s": round(again, 3)}
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="skip the 0.1° global pairs")
    p.add_argument("--months", type=int, default=2)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "regrid_cpu.json"))
    args = p.parse_args()
    rows = []
    print(f"{'pair':46s} {'max rel err':>11s} {'(holes)':>9s} {'own edges':>9s} {'first s':>8s} "
          f"{'again s':>8s}")
    for name, lat, lon, grid in PAIRS + ([] if args.quick else LARGE):
        r = _case(name, lat, lon, grid, args.months)
        rows.append(r)
        print(f"{name:46s} {r['full']['max_rel_error']:11.1e} "
              f"{r['nan_holes']['max_rel_error']:9.1e} "
              f"{max(r[k]['max_rel_error_own_edges'] for k in ('full', 'nan_holes')):9.1e} "
              f"{r['full']['first_call_s']:8.2f} "
              f"{r['full']['repeat_call_s']:8.2f}")
    write_json(args.out, {"cpu": cpu_name(), "machine": platform.machine(),
                          "jax": jax.__version__, "device": str(jax.devices()[0]),
                          "cases": rows})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
