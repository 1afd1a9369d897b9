"""Region figures of the GRACE validation, and their second processing: destriping and
leakage scaling (issue 12's closing figures).

:func:`greenland_figures` and :func:`amazon_figures` turn a field series into the
validation's figures; :mod:`jaxgeo.validation.grace` applies them to its first processing
(Greenland unsmoothed over land + 200 km ocean buffer; Amazon 300 km Gaussian) and
:func:`destriped_figures` to a second one of the same coefficients (read once):

1. Swenson & Wahr (2006) destriping (:func:`jaxgeo.grace.destripe`, gravity-toolkit's
   parameters, as ``grace_l2_tws(destripe=True)``), then a 300 km Gaussian;
2. region integrals over Greenland's *land only* (the gain replaces the ocean buffer)
   and over the Amazon basin;
3. multiplied by a leakage gain ``k`` (Landerer & Swenson 2012,
   :func:`jaxgeo.grace.region_gain`; per cell :func:`jaxgeo.grace.scaling_factors` for
   the Amazon's local amplitudes). Standard errors (``*_sigma_*``) are those of
   :func:`jaxgeo.seasonal.fit_series` (white residuals: lower bounds), times ``k``; the
   gain's own uncertainty is not included.

Stand-in model. The shared data hold no hydrology or ice model, so each gain comes from
a stand-in load (:func:`stand_in`): uniform over the region's land cells, balanced by
the same mass spread uniformly over the ocean (GRACE's degree 0 is fixed: what the land
loses, the ocean gains), pushed through the very same chain (analysis, truncation at the
files' lmax, destriping, 300 km Gaussian, synthesis; :func:`jaxgeo.grace.filter_field`).
The chain is linear and the same every month, so for a load ``a(t) L(x)`` the gain is
``L̄ / F̄`` (region means of the load and of its filtered image) whatever ``a(t)``, as
long as it varies: a two-month step suffices. ``*_gain_time_shape_rel_diff`` records the
check against a 24-month annual cycle plus ramp (round-off).

Known bias. A gain depends on where the load sits inside the region, and a uniform load
is nobody's real signal. Greenland's loss is concentrated at the margins (outlet glaciers,
ablation zone), which leak far more to the ocean than the interior: the uniform load
*understates* Greenland's gain. A second stand-in with the load on the land cells within
200 km of the coast (``greenland_gain_margin``) brackets it; a load concentrated still
nearer the coast would need a larger gain again. The Amazon's
storage cycle peaks along the main stem and the central floodplain, inside the basin,
whereas a uniform load loses most at the basin edge: the uniform gain likely
*overstates* the Amazon's. Per-cell gains of a flat load only undo edge leakage, not the
flattening of peaks. Neither gain corrects leakage *into* the region (Ellesmere, Iceland
and the Canadian Arctic losses next to Greenland; Orinoco and Paraná next to the Amazon).
"""

from __future__ import annotations

import time

import numpy as np

from ..regions import nearest_distance_km, region_mass_gt, region_mean
from ..seasonal import fit_series, seasonal_design

__all__ = ["WINDOWS", "amazon_figures", "destriped_figures", "greenland_figures",
           "leakage_gains", "margin_cells", "stand_in"]

WINDOWS = {"2002_2024": (0.0, 3000.0), "2002_2015": (0.0, 2016.0),
           "2003_2016": (2003.0, 2017.0), "2013_2017": (2013.0, 2018.0)}
"""Greenland trend windows (decimal years, ``lo <= t < hi``) of the cited studies."""

HALF_WIDTH_KM = 300.0
MARGIN_KM = 200.0


def greenland_figures(mass_gt, t_yr, prefix: str, gain: float = 1.0) -> dict:
    """Trends over :data:`WINDOWS` and the annual amplitude of a mass series (Gt), times
    ``gain``, with standard errors: ``{prefix}_trend_{window}_gt_yr``,
    ``{prefix}_trend_{window}_sigma_gt_yr``, ``{prefix}_annual_amplitude_gt``,
    ``{prefix}_annual_amplitude_sigma_gt``."""
    y = gain * np.asarray(mass_gt, np.float64)
    out = {}
    for name, (lo, hi) in WINDOWS.items():
        sel = (t_yr >= lo) & (t_yr < hi)
        f = fit_series(t_yr[sel], y[sel])
        out[f"{prefix}_trend_{name}_gt_yr"] = f.trend_per_year
        out[f"{prefix}_trend_{name}_sigma_gt_yr"] = f.trend_sigma
    f = fit_series(t_yr, y)
    out[f"{prefix}_annual_amplitude_gt"] = f.annual_amplitude
    out[f"{prefix}_annual_amplitude_sigma_gt"] = f.annual_amplitude_sigma
    return out


def amazon_figures(field, grid, amazon, t_yr, prefix: str, gain: float = 1.0,
                   cell_gain=None) -> dict:
    """Basin-mean annual amplitude (± s.e.) and peak month, local annual amplitudes (10th
    percentile, maximum) and the 2009-03 non-seasonal anomaly of the basin mass, of
    ``field`` ``(months, nlat, nlon)`` mm; the basin series times ``gain``, the local
    amplitudes times ``cell_gain`` (``(nlat, nlon)``, None: 1; given, also the scaled
    amplitude and the gain at the cell of the unscaled maximum, ``*_at_peak_*``).

    The anomaly follows Chen et al. (2010), who used 2002-04..2009-08: mean + annual +
    semi-annual fitted over that span and removed, the March 2009 residual read.
    """
    a = fit_series(t_yr, gain * region_mean(field, grid, amazon))
    design = seasonal_design(t_yr, 2)
    coef = np.linalg.lstsq(design, field[:, amazon].astype(np.float64), rcond=None)[0]
    local = np.hypot(coef[2], coef[3])
    extra = {}
    if cell_gain is not None:
        peak = int(np.argmax(local))
        local = local * np.asarray(cell_gain)[amazon]
        # the maximum of a flat load's per-cell gains sits at the basin's edge (up to ~4.6
        # at 0.5°): the cell of the unscaled maximum, scaled, is the figure to read
        extra = {f"{prefix}_local_amplitude_at_peak_mm": float(local[peak]),
                 f"{prefix}_local_gain_at_peak": float(np.asarray(cell_gain)[amazon][peak])}
    gt = gain * region_mass_gt(field, grid, amazon)
    span = t_yr < 2009 + 8 / 12
    seas = design[:, [0, 2, 3, 4, 5]]
    resid = gt - seas @ np.linalg.lstsq(seas[span], gt[span], rcond=None)[0]
    march09 = int(np.argmin(np.abs(t_yr - (2009 + 2.5 / 12))))
    return {f"{prefix}_annual_amplitude_mm": a.annual_amplitude,
            f"{prefix}_annual_amplitude_sigma_mm": a.annual_amplitude_sigma,
            f"{prefix}_annual_peak_month": a.annual_peak_month,
            f"{prefix}_local_amplitude_p10_mm": float(np.percentile(local, 10)),
            f"{prefix}_local_amplitude_max_mm": float(local.max()),
            f"{prefix}_nonseasonal_2009_03_gt": float(resid[march09])} | extra


def margin_cells(grid, land_cells, region_land, width_km: float = MARGIN_KM):
    """The cells of ``region_land`` within ``width_km`` (cell centres) of a non-land cell."""
    region_land = np.asarray(region_land, bool)
    # only non-land cells in the latitudes within reach (the answer is the same; a
    # global target set would cost ~3 GB per chunk of distances)
    lat = np.asarray(grid.lat)
    rows = lat[region_land.any(axis=1)]
    reach = width_km / (np.pi * grid.radius_m / 180e3) + 1.0  # degrees of latitude
    band = (lat >= rows.min() - reach) & (lat <= rows.max() + reach)
    out = np.zeros_like(region_land)
    out[region_land] = nearest_distance_km(
        grid, region_land, ~np.asarray(land_cells, bool) & band[:, None], chunk=512) <= width_km
    return out


def stand_in(grid, load, land_cells, shape=(1.0, -1.0)):
    """The stand-in model series ``(len(shape), nlat, nlon)`` float64: ``shape[t]`` mm on
    the ``load`` cells, minus the same mass spread uniformly over the non-land cells
    (the load's mass is conserved, as in GRACE)."""
    load = np.asarray(load, bool)
    area = np.asarray(grid.cell_area, np.float64)
    ocean = ~np.asarray(land_cells, bool)
    x = load - ocean * ((area * load).sum() / (area * ocean).sum())
    return np.asarray(shape, np.float64)[:, None, None] * x


def leakage_gains(grid, lmax: int, land_cells, gl_land, amazon,
                  half_width_km: float = HALF_WIDTH_KM) -> tuple[dict, np.ndarray]:
    """Gains of the stand-in loads for the destriped, ``half_width_km``-smoothed chain.

    Returns:
        ``(gains, amazon_cell_gain)``: ``greenland_gain`` (uniform over its land),
        ``greenland_gain_margin`` (uniform over its land within 200 km of the coast),
        ``greenland_gain_not_destriped`` (the uniform load, 300 km Gaussian only),
        ``amazon_gain``, ``greenland_gain_time_shape_rel_diff`` and the margin's area, and
        the Amazon's per-cell gains ``(nlat, nlon)`` (NaN outside the basin).
    """
    from jaxgeo.grace import region_gain, scaling_factors

    kw = {"lmax": lmax, "half_width_km": half_width_km, "destripe": True}
    months = np.arange(24) / 12.0
    cycle = np.sin(2 * np.pi * months) + 0.5 * months
    margin = margin_cells(grid, land_cells, gl_land)
    k_gl = float(region_gain(stand_in(grid, gl_land, land_cells), grid, gl_land, **kw))
    k_cycle = float(region_gain(stand_in(grid, gl_land, land_cells, cycle), grid, gl_land,
                                **kw))
    k_margin = float(region_gain(stand_in(grid, margin, land_cells), grid, gl_land, **kw))
    k_plain = float(region_gain(stand_in(grid, gl_land, land_cells), grid, gl_land,
                                **(kw | {"destripe": False})))
    model = stand_in(grid, amazon, land_cells)
    k_am = float(region_gain(model, grid, amazon, **kw))
    cell = np.asarray(scaling_factors(model, grid, mask=amazon, **kw), np.float64)
    area = np.asarray(grid.cell_area)
    return {"greenland_gain": k_gl, "greenland_gain_margin": k_margin,
            "greenland_gain_not_destriped": k_plain,
            "greenland_gain_time_shape_rel_diff": abs(k_cycle / k_gl - 1),
            "greenland_margin_area_mkm2": float((area * margin).sum() / 1e12),
            "amazon_gain": k_am,
            "amazon_cell_gain_min": float(np.nanmin(cell[amazon])),
            "amazon_cell_gain_max": float(np.nanmax(cell[amazon]))}, cell


def destriped_figures(series, grid, t_yr, land_cells, gl_land, amazon) -> dict:
    """The second processing of ``series`` (coefficient anomalies after the mean removal):
    destriped + 300 km Gaussian, figures without (``*_destriped_*``) and with
    (``*_destriped_scaled_*``) the stand-in gains of :func:`leakage_gains`; plus the
    Greenland trend scaled with the margin gain and timings."""
    from jaxgeo.grace import destripe, ewh_grid

    t0 = time.perf_counter()
    clm, slm = destripe(series.clm, series.slm)  # float64: the caller enabled x64
    d = series.replace(clm=np.asarray(clm, np.float64), slm=np.asarray(slm, np.float64))
    del clm, slm
    field = ewh_grid(d, grid, half_width_km=HALF_WIDTH_KM).values  # float32, 240 MB
    del d
    out = {"seconds_destripe_synthesis": time.perf_counter() - t0}
    t0 = time.perf_counter()
    gains, cell = leakage_gains(grid, series.lmax, land_cells, gl_land, amazon)
    out |= gains | {"seconds_gains": time.perf_counter() - t0}
    mass = region_mass_gt(field, grid, gl_land)
    out |= greenland_figures(mass, t_yr, "greenland_destriped")
    out |= greenland_figures(mass, t_yr, "greenland_destriped_scaled", gains["greenland_gain"])
    margin = greenland_figures(mass, t_yr, "greenland_destriped_margin_scaled",
                               gains["greenland_gain_margin"])
    out["greenland_destriped_margin_scaled_trend_2002_2015_gt_yr"] = margin[
        "greenland_destriped_margin_scaled_trend_2002_2015_gt_yr"]
    out |= amazon_figures(field, grid, amazon, t_yr, "amazon_destriped")
    out |= amazon_figures(field, grid, amazon, t_yr, "amazon_destriped_scaled",
                          gains["amazon_gain"], cell)
    return out


def row(quantity, ours, units, published_value, uncertainty, ref, test, sigma=None) -> dict:
    """One comparison row (:func:`jaxgeo.validation.grace.comparisons`); ``sigma``: the
    standard error of ``ours`` where the fit gives one."""
    return {"quantity": quantity, "ours": ours, "ours_sigma": sigma, "units": units,
            "published": published_value, "published_uncertainty": uncertainty, "ref": ref,
            "test": test}


def leakage_rows(r: dict, p: dict) -> list[dict]:
    """The comparison rows of the second processing, against the same published keys
    and with the same test tolerances as the first."""
    fo, sa, im = p["greenland_forsberg2017"], p["greenland_sasgen2020"], p["greenland_imbie2020"]
    ch, he = p["amazon_flood_chen2010"], p["amazon_local_he2025"]
    ds = "destriped + scaled"

    def gl(w):
        return (r[f"greenland_destriped_scaled_trend_{w}_gt_yr"],
                r[f"greenland_destriped_scaled_trend_{w}_sigma_gt_yr"])

    def trend(label, w, pub, ref, test):
        value, se = gl(w)
        unc = None if pub is None else pub["uncertainty"]
        return row(f"Greenland mass trend {label}, {ds}", value, "Gt/yr",
                   None if pub is None else pub["value"], unc, ref, test, se)

    return [
        trend("2002-04..2015-12", "2002_2015", fo, "greenland_forsberg2017",
              "within ±30 % of published"),
        trend("2003.0..2016.99", "2003_2016", sa, "greenland_sasgen2020",
              "within ±30 % of published"),
        trend("2013.0..2017.99", "2013_2017", im, "greenland_imbie2020",
              "negative (GRACE gaps in 2016–2017)"),
        trend("2002-04..2024-04", "2002_2024", None, "greenland_velicogna2020", "negative"),
        row("Amazon local annual amplitude, max, destriped",
            r["amazon_destriped_local_amplitude_max_mm"], "mm", he["value"], None,
            "amazon_local_he2025 ('exceeds 0.65 m', mascons)",
            "within ±50 % (300 km smoothing lowers peaks)"),
        row("Amazon local annual amplitude, 10th pct, destriped",
            r["amazon_destriped_local_amplitude_p10_mm"], "mm", 250.0, None,
            "amazon_local_he2025 ('below 0.25 m')", "below 250"),
        row(f"Amazon basin-mean annual amplitude, {ds}",
            r["amazon_destriped_scaled_annual_amplitude_mm"], "mm", None, None,
            "amazon_basin_amplitude (not verified)",
            "between 100 and 650 (upper: cited local maximum)",
            r["amazon_destriped_scaled_annual_amplitude_sigma_mm"]),
        row(f"Amazon non-seasonal anomaly 2009-03, {ds}",
            r["amazon_destriped_scaled_nonseasonal_2009_03_gt"], "Gt", ch["value"],
            ch["uncertainty"], "amazon_flood_chen2010", "within ±50 %"),
    ]


_TABLE = [  # label, region, figure, its standard error (None: none), gain, published key
    ("Greenland trend 2002-04..2015-12 Gt/yr", "greenland", "trend_2002_2015_gt_yr",
     "trend_2002_2015_sigma_gt_yr", "greenland_gain", "greenland_forsberg2017"),
    ("Greenland trend 2003.0..2016.99 Gt/yr", "greenland", "trend_2003_2016_gt_yr",
     "trend_2003_2016_sigma_gt_yr", "greenland_gain", "greenland_sasgen2020"),
    ("Greenland trend 2013.0..2017.99 Gt/yr", "greenland", "trend_2013_2017_gt_yr",
     "trend_2013_2017_sigma_gt_yr", "greenland_gain", "greenland_imbie2020"),
    ("Greenland trend 2002-04..2024-04 Gt/yr", "greenland", "trend_2002_2024_gt_yr",
     "trend_2002_2024_sigma_gt_yr", "greenland_gain", None),
    ("Greenland annual amplitude Gt", "greenland", "annual_amplitude_gt",
     "annual_amplitude_sigma_gt", "greenland_gain", None),
    ("Amazon basin-mean annual amplitude mm", "amazon", "annual_amplitude_mm",
     "annual_amplitude_sigma_mm", "amazon_gain", None),
    ("Amazon non-seasonal 2009-03 Gt", "amazon", "nonseasonal_2009_03_gt", None,
     "amazon_gain", "amazon_flood_chen2010"),
    ("Amazon local annual amplitude max mm", "amazon", "local_amplitude_max_mm", None,
     None, "amazon_local_he2025"),
    ("Amazon local annual amplitude p10 mm", "amazon", "local_amplitude_p10_mm", None,
     None, None),
]


def leakage_report(r: dict, p: dict) -> list[str]:
    """The text lines of the second processing: previous | destriped | destriped + scaled
    (± s.e.) | gain | published, and the gains."""
    lines = ["", "Destriped (Swenson & Wahr) + 300 km Gaussian, Greenland over land only, "
             "times stand-in leakage gains (module jaxgeo.validation._grace_leakage); "
             "previous: the table above (Greenland unsmoothed + 200 km buffer, Amazon "
             "300 km, not destriped):",
             f"{'quantity':40s} {'previous':>9s} {'destriped':>9s} {'+scaled ± s.e.':>16s} "
             f"{'gain':>9s} {'published':>10s}"]
    for label, reg, fig, se, gain, pub in _TABLE:
        scaled = r[f"{reg}_destriped_scaled_{fig}"]
        if fig == "local_amplitude_max_mm":  # not the edge cells' (see amazon_figures)
            scaled = r["amazon_destriped_scaled_local_amplitude_at_peak_mm"]
        err = "" if se is None else f" ± {r[f'{reg}_destriped_scaled_{se}']:.2g}"
        k = (f"{r[gain]:.3f}" if gain else
             f"{r['amazon_cell_gain_min']:.2f}–{r['amazon_cell_gain_max']:.2f}")
        ref = p[pub] if pub else None
        pv = "-" if ref is None else f"{ref['value']:.4g}" + (
            f"±{ref['uncertainty']:.2g}" if ref["uncertainty"] is not None else "")
        lines.append(f"{label:40s} {r[f'{reg}_{fig}']:9.4g} "
                     f"{r[f'{reg}_destriped_{fig}']:9.4g} {f'{scaled:.4g}{err}':>16s} "
                     f"{k:>9s} {pv:>10s}")
    lines.append(
        f"gains: Greenland {r['greenland_gain']:.3f} (uniform load on its land; a load on "
        f"the {r['greenland_margin_area_mkm2']:.2f} M km² within {MARGIN_KM:.0f} km of the "
        f"coast: {r['greenland_gain_margin']:.3f}, 2002–2015 trend "
        f"{r['greenland_destriped_margin_scaled_trend_2002_2015_gt_yr']:+.0f} Gt/yr; not "
        f"destriped {r['greenland_gain_not_destriped']:.3f}, and the 2002–2015 trend over "
        "the land of the 300 km field not destriped "
        f"{r['greenland_trend_2002_2015_smoothed300_land_gt_yr']:+.0f} Gt/yr); "
        f"Amazon {r['amazon_gain']:.3f} (per cell {r['amazon_cell_gain_min']:.2f}–"
        f"{r['amazon_cell_gain_max']:.2f}, the high ones at the basin's edge, where a "
        "flat load leaks most: local figures indicative only; the local maximum is scaled "
        f"by its own cell's gain {r['amazon_destriped_scaled_local_gain_at_peak']:.3f}); "
        "the time shape of the load changes the gain by "
        f"{r['greenland_gain_time_shape_rel_diff']:.1e} (relative).")
    return lines
