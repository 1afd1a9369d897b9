"""Validation of the GRACE Level-2 chain on the real CSR RL06 files against published values.

Reads the GSM files once (TN-14 C20, and C30 from 2016-09; TN-13 degree 1; 2004.0–2010.0
mean removed), synthesises liquid-water-equivalent thickness (mm) on a 0.5° grid twice —
with a 300 km Gaussian and unsmoothed (lmax 96) — and compares, with the published values
of the data file ``data/grace_published.json`` (each with its source and whether its number was seen
in searched text; :func:`reference` reads it):

* global ocean mean (300 km smoothing; ocean farther than 2.7° ≈ 300 km from land):
  trend and annual amplitude/phase;
* Amazon basin (``amazon_basin`` polygon ∩ land, 300 km smoothing): basin-mean annual
  amplitude, the range of local annual amplitudes, and the 2009 flood anomaly;
* Greenland (``greenland_select`` polygon ∩ land, plus the ocean within 200 km that is
  nearer to Greenland than to any other land; *unsmoothed* fields): mass trends in Gt/yr
  over the windows of the cited studies.

A second processing of the same coefficients (:mod:`jaxgeo.validation._grace_leakage`):
Swenson & Wahr destriping + 300 km Gaussian, Greenland over its land only, and both
regions times leakage gains (Landerer & Swenson 2012) of a stand-in load (uniform over the
region's land: no model is in the shared data; its bias is described there). Its figures
are the ``*_destriped_*`` (no gain) and ``*_destriped_scaled_*`` keys, with standard
errors (``*_sigma_*``).

Why unsmoothed for Greenland: Gaussian smoothing spreads the coastal mass loss hundreds
of km into the ocean and onto other land; a region integral then needs a wide buffer
and picks up Ellesmere/Iceland. Unsmoothed fields still leak (truncation at degree 96,
half-wavelength ≈ 200 km), which the 200 km buffer recovers: with this mask the
2002–2015 trend changes by < 2 % between 150 and 400 km buffers (measured), while the
300 km-smoothed series keeps drifting (−227 → −271 Gt/yr).

No GIA correction and no GAD restoration are applied (see the "gia" entries of the
published values for their expected size). Land: the GLOBE 1 km mask of
``global-land-mask`` (:func:`jaxgeo.regions.land_mask`), cells ≥ 50 % land by area, ice
sheets included (:func:`land`).

The data folder is never guessed: pass it, or set ``JAXGEO_DATA_DIR`` (:func:`grace_dir`).
"""

from __future__ import annotations

import functools
import json
import time
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from .._io import write_json
from ..regions import (
    land_mask,
    nearest_distance_km,
    ocean_mask,
    polygon_mask,
    region_mass_gt,
    region_mean,
)
from ..seasonal import fit_series
from ..time import decimal_year
from . import data_folder
from ._grace_leakage import (
    amazon_figures,
    destriped_figures,
    greenland_figures,
    leakage_report,
    leakage_rows,
)
from ._grace_leakage import row as _row

__all__ = [
    "amazon_region",
    "comparisons",
    "compute",
    "grace_dir",
    "greenland_region",
    "land",
    "ocean_region",
    "published",
    "reference",
    "report",
    "run",
]

"""Environment variable naming the data folder when none is passed."""


@functools.lru_cache(maxsize=1)
def _reference_text() -> str:
    return (resources.files("jaxgeo.validation") / "data" / "grace_published.json").read_text(
        encoding="utf-8")


def reference() -> dict:
    """The validation's data file: ``{"regions": {...}, "published": {...}}`` (a fresh copy).

    ``published`` maps a key to ``value``, ``uncertainty``, ``units``, ``period``, ``what``,
    ``source``, ``doi``, ``seen_at`` and ``verified`` (False: quoted from memory, never a
    test bound); ``regions`` holds the polygons (lon °E, lat °N) and buffers.
    """
    return json.loads(_reference_text())


def published() -> dict:
    """The published values of :func:`reference`, by key."""
    return reference()["published"]


def _region(name: str):
    r = reference()["regions"][name]
    return r["lon_lat_deg"] if "lon_lat_deg" in r else r["value"]


def grace_dir(data_dir=None) -> Path:
    """The ``grace-l2`` folder (``csr-rl06/``, TN-13 and TN-14 files).

    Args:
        data_dir: that folder or one holding ``grace-l2/``; None reads ``JAXGEO_DATA_DIR``.

    Raises:
        ValueError: neither a folder nor ``JAXGEO_DATA_DIR`` given.
        FileNotFoundError: the folder holds no ``csr-rl06/`` (itself or in ``grace-l2/``).
    """
    d = data_folder(data_dir)
    for cand in (d, d / "grace-l2"):
        if (cand / "csr-rl06").is_dir():
            return cand
    raise FileNotFoundError(f"{d}: no csr-rl06/ folder (nor grace-l2/csr-rl06/) of CSR RL06 "
                            "GSM files")


def land(grid):
    """The validation's boolean land mask ``(nlat, nlon)``: cells ≥ 50 % land, Antarctic
    and Greenland ice included."""
    return land_mask(grid, min_fraction=0.5, hydrology_only=False)


def greenland_region(grid, land_cells, buffer_km: float | None = None):
    """Greenland's land (``greenland_select`` ∩ land) and the region integrated for its mass.

    The region adds the ocean cells within ``buffer_km`` (default the data file's 200 km)
    of Greenland's land that are nearer to it than to any other land, so straits shared
    with Ellesmere or Iceland are split down the middle rather than counted twice.

    Returns:
        ``(greenland_land, region)`` boolean ``(nlat, nlon)`` masks.
    """
    if buffer_km is None:
        buffer_km = _region("greenland_buffer_km")
    gl = land_cells & polygon_mask(grid, _region("greenland_select"))
    lat, lon = np.meshgrid(grid.lat, (grid.lon + 180.0) % 360.0 - 180.0, indexing="ij")
    box = (lat > 50.0) & (lon > -100.0) & (lon < 20.0)  # everything within reach
    cand, other = box & ~land_cells, box & land_cells & ~gl
    d_gl = nearest_distance_km(grid, cand, gl)  # one value per candidate cell
    d_other = nearest_distance_km(grid, cand, other)
    buf = np.zeros_like(gl)
    buf[cand] = (d_gl <= buffer_km) & (d_gl < d_other)
    return gl, gl | buf


def amazon_region(grid, land_cells):
    """``amazon_basin`` polygon ∩ land, boolean ``(nlat, nlon)``."""
    return land_cells & polygon_mask(grid, _region("amazon_basin"))


def ocean_region(grid, land_cells, buffer_deg: float | None = None):
    """Ocean cells farther than ``buffer_deg`` (cap radius; default the data file's 2.7°)
    from any land cell."""
    if buffer_deg is None:
        buffer_deg = _region("ocean_coast_buffer_deg")
    return ocean_mask(grid, land_cells, coast_buffer_deg=buffer_deg)


def compute(data_dir=None, resolution_deg: float = 0.5) -> dict:
    """Run the chain on the CSR RL06 files and return the validation figures.

    Args:
        data_dir: see :func:`grace_dir`.
        resolution_deg: grid spacing, degrees.

    Returns:
        dict of figures (units in the key names; ``*_sigma_*``: standard errors of the fit),
        gains, region areas (M km²) and timings (s).
    """
    import jax

    jax.config.update("jax_enable_x64", True)
    from jaxgeo import Grid
    from jaxgeo.grace import (
        ewh_grid,
        read_l2_series,
        read_tn13,
        read_tn14,
        remove_mean,
        replace_c20_c30,
        replace_degree1,
    )

    data_dir = grace_dir(data_dir)
    grid = Grid.regular(resolution_deg)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        # the GRACE/GRACE-FO gap and single missing months are reported, expected here
        warnings.filterwarnings("ignore", message=".*calendar months.*")
        s = read_l2_series(data_dir / "csr-rl06")
    s = replace_c20_c30(s, read_tn14(data_dir / "TN-14_C30_C20_GSFC_SLR.txt"))
    s = replace_degree1(s, read_tn13(data_dir / "TN-13_GEOC_CSR_RL0602.txt"))
    s, _ = remove_mean(s)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    # float32 fields (231 × 0.5° is 240 MB each); region sums are done in float64
    smooth = ewh_grid(s, grid, half_width_km=300.0).values
    raw = ewh_grid(s, grid, half_width_km=None).values
    t_synth = time.perf_counter() - t0

    t_yr = decimal_year(s.mid)
    area = np.asarray(grid.cell_area)
    t0 = time.perf_counter()
    land_cells = land(grid)
    ocean = ocean_region(grid, land_cells)
    amazon = amazon_region(grid, land_cells)
    gl_land, gl_region = greenland_region(grid, land_cells)
    t_masks = time.perf_counter() - t0
    out = {"months": int(len(t_yr)), "first_month": str(s.months[0]),
           "last_month": str(s.months[-1]), "lmax": int(s.lmax),
           "resolution_deg": resolution_deg, "seconds_read": t_read,
           "seconds_synthesis_two_fields": t_synth, "seconds_masks": t_masks}

    # ocean: 300 km smoothing, as the GRACE ocean products (GIA-free, GAD not restored)
    o = fit_series(t_yr, region_mean(smooth, grid, ocean))
    out |= {"ocean_area_mkm2": float((area * ocean).sum() / 1e12),
            "ocean_trend_mm_yr": o.trend_per_year,
            "ocean_annual_amplitude_mm": o.annual_amplitude,
            "ocean_annual_peak_month": o.annual_peak_month}

    # Amazon: basin mean of the 300 km-smoothed field (the TWSA series)
    out["amazon_area_mkm2"] = float((area * amazon).sum() / 1e12)
    out |= amazon_figures(smooth, grid, amazon, t_yr, "amazon")

    # Greenland: unsmoothed fields over land + 200 km ocean buffer (see module docstring)
    out |= {"greenland_land_area_mkm2": float((area * gl_land).sum() / 1e12),
            "greenland_region_area_mkm2": float((area * gl_region).sum() / 1e12)}
    out |= greenland_figures(region_mass_gt(raw, grid, gl_region), t_yr, "greenland")
    # the same region with the 300 km-smoothed field, to show what smoothing costs
    sel = t_yr < 2016.0
    out["greenland_trend_2002_2015_smoothed300_gt_yr"] = fit_series(
        t_yr[sel], region_mass_gt(smooth, grid, gl_region)[sel]).trend_per_year
    # ... and over the land only (the second processing's region, without destriping)
    out["greenland_trend_2002_2015_smoothed300_land_gt_yr"] = fit_series(
        t_yr[sel], region_mass_gt(smooth, grid, gl_land)[sel]).trend_per_year
    del smooth, raw
    # second processing of the same coefficients: destriped, 300 km, land only, gains
    out |= destriped_figures(s, grid, t_yr, land_cells, gl_land, amazon)
    return out


def comparisons(r: dict) -> list[dict]:
    """Rows comparing the figures of :func:`compute` with the published values: value,
    ratio, whether within the published uncertainty, and the tolerance the test
    (tests/grace/test_grace_validation.py) applies, which is wider than the published
    uncertainty where our processing differs (no GIA, no GAD; the first processing has no
    leakage correction, the second's gains come from a stand-in load)."""
    p = published()
    gia = p["ocean_gia_chambers2010"]
    ocean_expected = p["ocean_trend_jpl"]["value"] - gia["value"]
    ocean_tol = p["ocean_trend_jpl"]["uncertainty"] + gia["uncertainty"]
    fo, sa, im = p["greenland_forsberg2017"], p["greenland_sasgen2020"], p["greenland_imbie2020"]
    ch, he = p["amazon_flood_chen2010"], p["amazon_local_he2025"]
    rows = [
        _row("Greenland mass trend 2002-04..2015-12", r["greenland_trend_2002_2015_gt_yr"],
             "Gt/yr", fo["value"], fo["uncertainty"], "greenland_forsberg2017",
             "within ±30 % of published"),
        _row("Greenland mass trend 2003.0..2016.99", r["greenland_trend_2003_2016_gt_yr"],
             "Gt/yr", sa["value"], None, "greenland_sasgen2020", "within ±30 % of published"),
        _row("Greenland mass trend 2013.0..2017.99", r["greenland_trend_2013_2017_gt_yr"],
             "Gt/yr", im["value"], im["uncertainty"], "greenland_imbie2020",
             "negative (GRACE gaps in 2016–2017)"),
        _row("Greenland mass trend 2002-04..2024-04", r["greenland_trend_2002_2024_gt_yr"],
             "Gt/yr", None, None, "greenland_velicogna2020", "negative"),
        _row("ocean mean trend, no GIA correction", r["ocean_trend_mm_yr"], "mm/yr",
             ocean_expected, ocean_tol, "ocean_trend_jpl − ocean_gia_chambers2010",
             f"within ±{ocean_tol:.1f} mm/yr of {ocean_expected:.2f}"),
        _row("ocean mean annual amplitude", r["ocean_annual_amplitude_mm"], "mm",
             p["ocean_annual_chambers2004"]["value"], None, "ocean_annual_chambers2004",
             "within ±50 % (GAD not restored here)"),
        _row("ocean mean annual peak month", r["ocean_annual_peak_month"],
             "month (10 = 1 Oct)", 10.3, None,
             "ocean_annual_chambers2004 ('early- to mid-October')", "between 9.0 and 11.5"),
        _row("Amazon local annual amplitude, max", r["amazon_local_amplitude_max_mm"], "mm",
             he["value"], None, "amazon_local_he2025 ('exceeds 0.65 m', mascons)",
             "within ±50 % (300 km smoothing lowers peaks)"),
        _row("Amazon local annual amplitude, 10th percentile",
             r["amazon_local_amplitude_p10_mm"], "mm", 250.0, None,
             "amazon_local_he2025 ('below 0.25 m')", "below 250"),
        _row("Amazon basin-mean annual amplitude", r["amazon_annual_amplitude_mm"], "mm", None,
             None, "amazon_basin_amplitude (not verified)",
             "between 100 and 650 (upper: cited local maximum)"),
        _row("Amazon non-seasonal anomaly 2009-03", r["amazon_nonseasonal_2009_03_gt"], "Gt",
             ch["value"], ch["uncertainty"], "amazon_flood_chen2010", "within ±50 %"),
        *leakage_rows(r, p),
    ]
    for row in rows:
        ours, pub, unc = row["ours"], row["published"], row["published_uncertainty"]
        row["ratio"] = None if not pub else ours / pub
        row["same_sign"] = None if pub is None else bool(np.sign(ours) == np.sign(pub))
        row["within_published_uncertainty"] = (None if pub is None or unc is None
                                               else bool(abs(ours - pub) <= unc))
    return rows


def report(r: dict, rows: list[dict]) -> str:
    """The comparison table and the sources as text (what the script and CLI print)."""
    p = published()
    lines = [
        f"CSR RL06 GSM, {r['months']} months {r['first_month']}..{r['last_month']}, "
        f"lmax {r['lmax']}, {r['resolution_deg']}° grid; read {r['seconds_read']:.1f} s, two "
        f"syntheses {r['seconds_synthesis_two_fields']:.1f} s, destriped synthesis "
        f"{r['seconds_destripe_synthesis']:.1f} s, gains {r['seconds_gains']:.1f} s. "
        "No GIA, no GAD.",
        f"regions: ocean {r['ocean_area_mkm2']:.0f} M km² (≥ "
        f"{_region('ocean_coast_buffer_deg')}° from land), Amazon {r['amazon_area_mkm2']:.2f} "
        f"M km², Greenland land {r['greenland_land_area_mkm2']:.2f} M km² + "
        f"{_region('greenland_buffer_km'):.0f} km buffer = "
        f"{r['greenland_region_area_mkm2']:.2f} M km²", "",
        f"{'quantity':56s} {'ours':>9s} {'published':>12s} {'ratio':>6s}  test"]
    for row in rows:
        pub = ("-" if row["published"] is None else f"{row['published']:.4g}"
               + ("" if row["published_uncertainty"] is None
                  else f"±{row['published_uncertainty']:.2g}"))
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        lines.append(f"{row['quantity']:56s} {row['ours']:9.4g} {pub:>12s} {ratio:>6s}  "
                     f"{row['test']} [{row['units']}]")
    lines += [
        "", f"Greenland 2002–2015 with the 300 km-smoothed field over the same region: "
        f"{r['greenland_trend_2002_2015_smoothed300_gt_yr']:+.0f} Gt/yr (leakage out of "
        f"the region); Amazon basin-mean annual peak month {r['amazon_annual_peak_month']:.1f}.",
        *leakage_report(r, p),
        "", "GIA: " + p["ocean_gia_chambers2010"]["what"] + "; Greenland: "
        + p["gia_greenland"]["what"] + ".", "", "sources:"]
    for key, ref in p.items():
        flag = "verified" if ref["verified"] else "NOT verified"
        lines.append(f"  {key}: {ref['source']}"
                     + (f", doi:{ref['doi']}" if ref["doi"] else "") + f" [{flag}]")
    return "\n".join(lines)


def run(data_dir=None, *, out=None, resolution_deg: float = 0.5, quiet: bool = False) -> dict:
    """Compute, compare, print (unless ``quiet``) and write ``out`` (JSON) atomically.

    Returns:
        the JSON document: ``data``, ``land_mask``, ``results``, ``comparisons``,
        ``published``.
    """
    r = compute(data_dir, resolution_deg)
    rows = comparisons(r)
    doc = {"data": f"CSR RL06 GSM, {r['months']} months, TN-13 + TN-14, mean 2004.0-2010.0, "
                   f"{resolution_deg} deg grid, no GIA correction, no GAD; ocean and Amazon "
                   "300 km Gaussian, Greenland unsmoothed + 200 km buffer; second "
                   "processing: destriped + 300 km Gaussian, Greenland land only, times "
                   "stand-in leakage gains (*_destriped_scaled_*)",
           "land_mask": "global-land-mask (GLOBE 30\"), >= 50 % land by area per cell, "
                        "ice included (jaxgeo.regions.land_mask)",
           "results": r, "comparisons": rows, "published": published()}
    if not quiet:
        print(report(r, rows))
    if out is not None:
        write_json(doc, out)
        if not quiet:
            print(f"wrote {out}")
    return doc
