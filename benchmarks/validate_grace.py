"""Validate the Level-2 chain on the real CSR RL06 files (231 months, 2002-04..2024-04).

Runs ``grace_l2_tws`` (TN-14 C20/C30, TN-13 degree 1, 2004.0–2010.0 mean removed, 300 km
Gaussian, 0.5° grid) and prints, next to published values:

* global ocean mean (300 km coastal buffer): trend and annual amplitude;
* central-Amazon TWSA annual amplitude;
* Greenland mass trend (Gt/yr) from the EWH integrated over Greenland plus a 330 km ocean
  buffer (Gaussian smoothing conserves mass, so the buffer recovers most of the leakage).

Needs ../shared/data/grace-l2 and a land mask: ``--land-mask FILE`` (NetCDF, (lat, lon),
0 = ocean) or, by default, ``landsea_hd.nc`` from an installed gravity-toolkit wheel
(``pip install --no-deps gravity-toolkit``; only that data file is read).

    python benchmarks/validate_grace.py [--res 0.5] [--land-mask FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "grace-l2"

PUBLISHED = {
    "ocean": "JPL RL06.1Mv3 mascons, 2002-04..2024-04: +2.02 ± 0.30 mm/yr, GIA-corrected "
             "(ICE6G-D), GAD restored (NASA SVS ocean_mass_200204_202404.txt; Wiese et al. "
             "2022, doi:10.5067/TEMSC-3MJ62). Without a GIA correction (as here) the trend is "
             "lower by the GIA ocean term, ~1–1.5 mm/yr (Chambers et al. 2010, GRL 37 L13603; "
             "Uebbing et al. 2019, JGR Oceans doi:10.1029/2018JC014341). Annual amplitude "
             "~8–10 mm peaking Sep–Oct (Chambers, Wahr & Nerem 2004, GRL 31 L13310; needs GAD, "
             "which GSM lacks)",
    "amazon": "basin-average TWS annual amplitude of order 200–300 mm, the largest of any basin "
              "(e.g. Syed et al. 2008, WRR 44 W02433; Chen, Wilson & Tapley 2010, WRR 46 "
              "W12526) — quoted from memory, not re-checked in this session",
    "greenland": "−265 ± 25 Gt/yr for 2002–2015 incl. peripheral glaciers (Forsberg, Sørensen "
                 "& Simonsen 2017, Surv. Geophys. 38, 89); ≈ −255 Gt/yr 2003–2016 (Sasgen et al. "
                 "2020, Commun. Earth Environ. 1, 8); GRACE/GRACE-FO continuity: Velicogna et "
                 "al. 2020, GRL 47 e2020GL087291",
}


def _fit(t_yr, y):
    """Least-squares bias, trend, annual and semi-annual terms; returns trend, annual amp."""
    w = 2 * np.pi * t_yr
    a = np.stack([np.ones_like(t_yr), t_yr - t_yr.mean(), np.cos(w), np.sin(w),
                  np.cos(2 * w), np.sin(2 * w)], axis=1)
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    peak_month = (np.arctan2(coef[3], coef[2]) / (2 * np.pi) * 12) % 12 + 1
    return coef[1], float(np.hypot(coef[2], coef[3])), float(peak_month)


def _land_mask(grid, path):
    import xarray as xr

    from jaxgeo import to_grid_order

    if path is None:
        spec = importlib.util.find_spec("gravity_toolkit")
        if spec is None:
            sys.exit("no land mask: pass --land-mask FILE or `pip install --no-deps "
                     "gravity-toolkit` (its data/landsea_hd.nc is used)")
        path = Path(spec.origin).parent / "data" / "landsea_hd.nc"
    ds = xr.open_dataset(path)
    da = to_grid_order(ds[list(ds.data_vars)[0]])
    if da.shape != grid.shape:
        da = da.coarsen(lat=da.shape[0] // grid.nlat, lon=da.shape[1] // grid.nlon).max()
    grid.check_xarray(da)
    lon = np.asarray(da.lon)
    k = int(np.argmin(np.abs(((lon - grid.lon[0]) + 180) % 360 - 180)))
    return np.roll(np.asarray(da.values) > 0, -k, axis=1), Path(path).name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=float, default=0.5)
    ap.add_argument("--land-mask", default=None)
    a = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found")

    import jax

    jax.config.update("jax_enable_x64", True)
    from jaxgeo import Grid
    from jaxgeo.grace import grace_l2_tws
    from jaxgeo.sphere import cap_average

    grid = Grid.regular(a.res)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        da = grace_l2_tws(DATA / "csr-rl06", grid=grid, tn13=DATA / "TN-13_GEOC_CSR_RL0602.txt",
                          tn14=DATA / "TN-14_C30_C20_GSFC_SLR.txt", gaussian_km=300.0)
    elapsed = time.perf_counter() - t0
    for w in caught:
        print(f"warning: {str(w.message)[:160]}…")
    ewh = da.values.astype(np.float64)  # mm
    t = da.time.values
    t_yr = 2000 + (t - np.datetime64("2000-01-01")).astype("timedelta64[s]").astype(float) \
        / (365.2425 * 86400)
    area = grid.cell_area
    land, mask_name = _land_mask(grid, a.land_mask)

    near_land = np.asarray(cap_average(land.astype(np.float64), grid, 2.7)) > 0
    ocean = ~land & ~near_land
    ocean_mean = (ewh * (area * ocean)).sum((1, 2)) / (area * ocean).sum()
    o_tr, o_amp, o_peak = _fit(t_yr, ocean_mean)

    lat, lon = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    amazon = (lat > -12) & (lat < -2) & (lon > -72) & (lon < -52)
    amz = (ewh * (area * amazon)).sum((1, 2)) / (area * amazon).sum()
    a_tr, a_amp, a_peak = _fit(t_yr, amz)

    # Greenland: land in a box, minus Ellesmere Island (NW) and Iceland (SE)
    gris = (land & (lat > 59) & (lon > -74) & (lon < -10) & ~((lat > 80) & (lon < -64))
            & ~((lat < 67) & (lon > -25)))
    buffer = np.asarray(cap_average(gris.astype(np.float64), grid, 3.0)) > 0
    region = gris | (buffer & ~land)
    mass_gt = (ewh * 1e-3 * area * region).sum((1, 2)) * 1000.0 / 1e12  # m·m²·kg/m³ → Gt
    g_tr, g_amp, _ = _fit(t_yr, mass_gt)
    early = t_yr < 2016.0
    g_tr_early, _, _ = _fit(t_yr[early], mass_gt[early])

    print(f"\nCSR RL06 GSM, {da.sizes['time']} months {str(t[0])[:7]}..{str(t[-1])[:7]}, "
          f"lmax {da.attrs['lmax']}, 300 km Gaussian, {grid.nlat}×{grid.nlon} grid; "
          f"chain ran in {elapsed:.1f} s (shared CPU, noisy). Land mask: {mask_name}. "
          "No GIA correction, no GAD.\n")
    rows = [
        ("global ocean mean trend (300 km buffer)", f"{o_tr:+.2f} mm/yr", PUBLISHED["ocean"]),
        ("global ocean mean annual amplitude", f"{o_amp:.1f} mm, peak month {o_peak:.1f}",
         "see above"),
        ("central Amazon (12–2°S, 72–52°W) annual amplitude",
         f"{a_amp:.0f} mm, peak month {a_peak:.1f}", PUBLISHED["amazon"]),
        ("Greenland mass trend 2002-04..2024-04", f"{g_tr:+.0f} Gt/yr", PUBLISHED["greenland"]),
        ("Greenland mass trend 2002-04..2015-12", f"{g_tr_early:+.0f} Gt/yr", "same"),
        ("Greenland annual amplitude", f"{g_amp:.0f} Gt", "-"),
    ]
    for name, value, ref in rows:
        print(f"{name:52s} {value:26s}\n    published: {ref}")
    out = ROOT / "benchmarks" / "results" / "grace_validation.json"
    out.write_text(json.dumps({
        "data": f"CSR RL06 GSM, {da.sizes['time']} months, TN-13 + TN-14, 300 km Gaussian, "
                f"mean 2004.0-2010.0, {a.res} deg grid, no GIA correction, no GAD",
        "land_mask": mask_name, "chain_seconds": elapsed,
        "ocean_mean_trend_mm_yr": float(o_tr), "ocean_mean_annual_amplitude_mm": o_amp,
        "ocean_mean_annual_peak_month": o_peak,
        "amazon_box_annual_amplitude_mm": a_amp, "amazon_box_annual_peak_month": a_peak,
        "greenland_trend_gt_yr_full": float(g_tr),
        "greenland_trend_gt_yr_2002_2015": float(g_tr_early),
        "published": PUBLISHED,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
