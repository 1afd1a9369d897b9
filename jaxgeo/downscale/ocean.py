"""An ocean observing-system experiment: bottom pressure, two reanalyses, GRACE, gauges.

The set-up of Gou et al. (2025, J. Geodesy) made offline: downscale GRACE ocean bottom
pressure (OBP, mm of equivalent water height) with two ocean reanalyses as inputs and check
the result at tide gauges and bottom-pressure recorders. :func:`ocean_experiment` draws a
known truth on the real ocean (:func:`jaxgeo.regions.ocean_classes`), two model fields with
different, realistic errors, a GRACE-like field and synthetic gauges. Its random fields are
the building blocks of :mod:`jaxgeo.downscale.experiments` (spherical-harmonic fields of a
given spectrum, AR(1) series, caps, the spectral GRACE noise), and its GRACE filter is the
suite's (:func:`jaxgeo.grace.filter_field`, truncation at :func:`grace_lmax`, a Gaussian).
"""

from __future__ import annotations

import numpy as np

from .._grid import Grid
from ..regions import (
    LAND,
    MARGINAL_SEA,
    MARGINAL_SEAS,
    OCEAN_CLASSES,
    OPEN_OCEAN,
    area_weights,
    coast_distance_km,
    ocean_classes,
    polygon_mask,
)
from .experiments import _annual, _ar1, _cap, _grace_noise, _modes, _sh_fields, grace_lmax

__all__ = ["EDDY_HOT_SPOTS", "GAUGE_KINDS", "NORTH_ATLANTIC_DRIFT", "ocean_experiment"]

#: (lat °N, lon °E, radius °) of strong mesoscale variability: western boundary currents
#: and the Agulhas retroflection (after altimetric eddy kinetic energy maps)
EDDY_HOT_SPOTS = (
    (38.0, -62.0, 14.0),   # Gulf Stream extension
    (36.0, 150.0, 14.0),   # Kuroshio extension
    (-40.0, 22.0, 12.0),   # Agulhas retroflection
    (-42.0, -52.0, 10.0),  # Brazil–Malvinas confluence
    (-34.0, 155.0, 8.0),   # East Australian Current
)
#: (lat °N, lon °E, radius °, drift mm/yr, bias mm) of ``model_b``'s basin drift
NORTH_ATLANTIC_DRIFT = (35.0, -40.0, 30.0, 6.0, 10.0)
#: gauge kinds: name → std of the local noise added to the truth at the cell, mm
GAUGE_KINDS = {"tide_gauge": 10.0, "bottom_pressure_recorder": 3.0}


def _check(n, name):
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
    return int(n)


def _eddy_envelope(grid: Grid) -> np.ndarray:
    """Relative mesoscale amplitude: 0.3 everywhere, ~1 in the hot spots and the ACC."""
    lat = grid.lat[:, None] * np.ones(grid.shape)
    acc = np.exp(-(((lat + 52.0) / 8.0) ** 2))
    hot = sum(_cap(grid, la, lo, r) for la, lo, r in EDDY_HOT_SPOTS)
    return 0.3 + 0.7 * np.clip(acc + hot, 0.0, 1.0)


def _eddies(rng, grid: Grid, n_months: int) -> np.ndarray:
    """Mesoscale eddies: fresh fields each month of degrees ≥ nlat/6 with a red spectrum
    (degree variance ∝ (l+1)^−1.5), AR(1) in time with lag-1 coefficient 0.5 (eddies
    decorrelate within ~2 months); unit std before the envelope."""
    e = _sh_fields(rng, grid, n_months, lmin=max(2, grid.nlat // 6), lmax=grid.nlat - 1,
                   slope=1.5)
    for k in range(1, n_months):
        e[k] = 0.5 * e[k - 1] + np.sqrt(1 - 0.25) * e[k]
    return e


def _sample(rng, candidates: np.ndarray, n: int) -> np.ndarray:
    idx = np.flatnonzero(candidates.ravel())
    return np.sort(rng.choice(idx, size=min(n, idx.size), replace=False))


def ocean_experiment(resolution_deg: float = 1.0, n_months: int = 48, *, seed: int = 0,
                     noise_mm: float = 10.0, half_width_km: float = 300.0,
                     coastal_band_km: float = 300.0, n_tide_gauges: int = 300,
                     n_recorders: int = 165, start: str = "2003-01"):
    """Ocean bottom pressure: a truth, two reanalyses, a GRACE-like field and point gauges.

    **Truth** (mm of equivalent water height; months counted from ``start``):

    * *global ocean mass* (barystatic): uniform over the ocean, an 8 mm annual cycle
      peaking in late September (Chambers et al. 2004), a 2 mm/yr rise, 1.5 mm AR(1);
    * *basin-scale modes*: 12 AR(1) (lag-1 0.7) modes of degrees 2–10 (~15 mm), twice as
      strong south of 40°S (the Southern Ocean's wind-driven modes), and an annual cycle of
      broad amplitude (~10 mm) and phase;
    * *marginal seas* (:data:`jaxgeo.regions.MARGINAL_SEAS`): each sea moves as a whole, a
      30 mm annual cycle of its own phase and 20 mm AR(1) (lag-1 0.6);
    * *shelf and coastal signal*: coastal-trapped, wind-driven, decaying as
      exp(−d/L) with d the distance to the nearest land cell and L = max(150 km, half a
      cell), so that coarse grids keep it; an alongshore-coherent annual cycle (amplitude
      ~40 mm × a degree-≤ 20 factor, phase of degree ≤ 8) plus 25 mm of AR(1) (lag-1 0.5)
      modes of degrees 2–20;
    * *mesoscale eddies*: independent fields each month of degrees nlat/6 … nlat − 1 with a
      red spectrum (degree variance ∝ (l+1)^−1.5), AR(1) in time (lag-1 0.5), 20 mm ×
      an envelope that is 0.3 in quiet water and 1 in the western boundary currents
      (:data:`EDDY_HOT_SPOTS`) and the Antarctic Circumpolar Current.

    The dynamic parts (all but the global ocean mass) move mass within the ocean: their
    ocean mean is removed month by month, so the truth's ocean mean is the barystatic term.

    **Reanalyses** — both Boussinesq, so both lack the global ocean mass: each has its
    ocean-mean removed month by month (the reason for the mass constraint,
    :func:`jaxgeo.downscale.fit`'s ``conserve_mass``):

    * ``model_a`` (a free-running eddy-permitting model): the shelf/coastal signal damped to
      50 %, the marginal seas to 60 %, the eddies of the right statistics but the wrong
      phase (an independent draw), and a 4 mm large-scale error (degrees 1–8);
    * ``model_b`` (an assimilating, coarser reanalysis): eddies of the right phase damped to
      40 %, the coastal signal one month late, and a drift in one basin
      (:data:`NORTH_ATLANTIC_DRIFT`: a cap of 30° around 35°N 40°W with 6 mm/yr and a 10 mm
      bias).

    **GRACE-like field** ``coarse``: the ocean-only truth (zero on land, so that leakage
    across coasts is real) through :func:`jaxgeo.grace.filter_field` (truncation at
    :func:`~jaxgeo.downscale.experiments.grace_lmax`, a ``half_width_km`` Gaussian), plus the
    suite's spectral noise (no degrees 0–1, std rising with degree) scaled to ``noise_mm``
    over the ocean. The filter keeps the whole sphere's mean but moves some ocean mass onto
    land, so the *ocean-mean* of ``coarse`` tracks the truth's with a gain a little below 1
    (leakage; measured 0.94–0.97 on 1–5° grids, correlation ≥ 0.997) plus the ocean mean of
    the noise: RMS difference 0.4–0.6 mm against a ~7 mm std of the truth's ocean mean.

    **Gauges** (dimension ``gauge``): ``n_tide_gauges`` tide-gauge-like points on ocean
    cells next to land (an 8-neighbour is land), ``n_recorders`` bottom-pressure-recorder-like
    points in the open ocean more than 500 km from land and not next to it (fewer when a
    coarse grid has fewer candidate cells; cells drawn without replacement). Their series
    ``gauge_obp`` is the truth at the cell plus white local noise of :data:`GAUGE_KINDS`
    (10 mm tide gauges: local effects a cell does not resolve; 3 mm recorders).

    Args:
        resolution_deg: grid cell, degrees (the eddies' synthesis costs ~nlat³ memory:
            0.5° and coarser).
        n_months: monthly steps from ``start`` (``YYYY-MM``; mid-month time stamps).
        seed: seed of every draw; the same seed gives the same Dataset.
        noise_mm: std of the GRACE-like noise over the ocean, mm.
        half_width_km: half-width of the GRACE filter's Gaussian, km.
        coastal_band_km: width of the coastal band of :func:`jaxgeo.regions.ocean_classes`.
        n_tide_gauges, n_recorders: gauges of each kind (465 in all, as Gou et al. 2025).

    Returns:
        ``xarray.Dataset``: ``truth``, ``model_a``, ``model_b``, ``coarse`` (time, lat, lon;
        mm, NaN outside the mask); ``mask`` (every ocean class: open ocean, coastal band,
        marginal seas); ``ocean_class`` (labels of :func:`~jaxgeo.regions.ocean_classes`);
        ``gauge_lat``, ``gauge_lon``, ``gauge_kind`` (gauge) and ``gauge_obp`` (time, gauge);
        attributes ``experiment`` (``"ocean"``), ``seed``, ``noise_mm``, ``half_width_km``,
        ``lmax``, ``resolution_deg``, ``coastal_band_km``.

    Raises:
        ValueError: ``n_months`` < 2 or not an integer, a negative or non-integer ``seed``
            or gauge count, or a bad ``coastal_band_km``.
    """
    from .experiments import _setup

    grid, _, rng, tm = _setup(resolution_deg, n_months, seed)
    n_tg, n_bpr = _check(n_tide_gauges, "n_tide_gauges"), _check(n_recorders, "n_recorders")
    nt = len(tm)
    labels = ocean_classes(grid, coastal_band_km=coastal_band_km)
    mask = labels != LAND
    land = ~mask
    dist = coast_distance_km(grid, land, 1000.0)
    w = area_weights(grid, mask)
    t_yr = ((tm - tm.mean()) / 12.0)[:, None, None]

    # global ocean mass (uniform over the ocean)
    glob = (8.0 * np.cos(2 * np.pi * (tm - 9.25) / 12.0) + 2.0 * (tm - tm.mean()) / 12.0
            + 1.5 * _ar1(rng, 1, nt, 0.7)[0])[:, None, None] * np.ones((1,) + grid.shape)
    # basin-scale modes and a broad annual cycle
    south = 1.0 + np.clip((-40.0 - grid.lat[:, None]) / 10.0, 0.0, 1.0)
    broad = _sh_fields(rng, grid, 2, lmin=1, lmax=6, slope=1.5)
    basin = (15.0 * south * _modes(rng, grid, nt, 12, lmin=2, lmax=10, phi=0.7)
             + _annual(10.0 * np.exp(0.3 * broad[0]), 3.0 + 2.0 * broad[1], tm))
    # marginal seas, each as a whole
    seas = np.zeros((nt,) + grid.shape)
    ia = _ar1(rng, len(MARGINAL_SEAS), nt, 0.6)
    for k, outline in enumerate(MARGINAL_SEAS.values()):
        inside = polygon_mask(grid, outline) & (labels == MARGINAL_SEA)
        phase = rng.uniform(0.0, 12.0)
        series = 30.0 * np.cos(2 * np.pi * (tm - phase) / 12.0) + 20.0 * ia[k]
        seas += series[:, None, None] * inside[None]
    # shelf and coastal-trapped signal
    cell_km = np.deg2rad(grid.resolution_deg) * grid.radius_m / 1000.0
    env = np.exp(-dist / max(150.0, 0.5 * cell_km))  # dist is inf beyond 1000 km
    along = _sh_fields(rng, grid, 2, lmin=1, lmax=20, slope=1.0)
    coast_amp = 40.0 * np.exp(0.4 * along[0])
    coast_peak = 1.0 + 2.0 * _sh_fields(rng, grid, 1, lmin=1, lmax=8, slope=1.5)[0]
    wind_ts = _ar1(rng, 8, nt + 1, 0.5)  # one month more: model_b sees it a month late
    wind_pat = _sh_fields(rng, grid, 8, lmin=2, lmax=20, slope=1.0)
    wind = 25.0 * np.einsum("kt,kij->tij", wind_ts, wind_pat) / np.sqrt(8)
    coastal = env * (_annual(coast_amp, coast_peak, tm) + wind[1:])
    coastal_late = env * (_annual(coast_amp, coast_peak + 1.0, tm) + wind[:-1])
    # mesoscale eddies
    eke = 20.0 * _eddy_envelope(grid)
    eddies = eke * _eddies(rng, grid, nt)
    other_eddies = eke * _eddies(rng, grid, nt)

    dynamic = (basin + seas + coastal + eddies) * mask  # redistributes mass in the ocean
    dynamic -= np.einsum("tij,ij->t", dynamic, w)[:, None, None] * mask
    truth = glob * mask + dynamic
    la, lo, r, drift, bias = NORTH_ATLANTIC_DRIFT
    basin_err = _cap(grid, la, lo, r)[None] * (drift * t_yr + bias)
    model_a = (glob + basin + 0.6 * seas + 0.5 * coastal + other_eddies
               + 4.0 * _modes(rng, grid, nt, 6, lmin=1, lmax=8, phi=0.8)) * mask
    model_b = (glob + basin + seas + coastal_late + 0.4 * eddies + basin_err) * mask
    model_a -= np.einsum("tij,ij->t", model_a, w)[:, None, None] * mask
    model_b -= np.einsum("tij,ij->t", model_b, w)[:, None, None] * mask

    coarse = _grace_like(truth, grid, mask, rng, noise_mm=noise_mm,
                         half_width_km=half_width_km)
    gauges = _gauges(rng, grid, labels, dist, truth, n_tg, n_bpr)
    return _dataset(grid, start, labels, mask, truth, model_a, model_b, coarse, gauges,
                    seed=seed, noise_mm=noise_mm, half_width_km=half_width_km,
                    coastal_band_km=coastal_band_km)


def _grace_like(truth, grid, mask, rng, *, noise_mm, half_width_km):
    from ..grace import filter_field

    coarse = np.array(filter_field(np.where(mask, truth, 0.0), grid, lmax=grace_lmax(grid),
                                   half_width_km=half_width_km), dtype=np.float64)
    noise = _grace_noise(rng, grid, truth.shape[0], half_width_km)
    return coarse + noise * (noise_mm / noise[:, mask].std())


def _gauges(rng, grid, labels, dist, truth, n_tg, n_bpr):
    land = labels == LAND
    near_land = np.zeros_like(land)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            shifted = np.roll(land, dj, axis=1)
            if di:
                shifted = np.roll(shifted, di, axis=0)
                shifted[0 if di > 0 else -1] = False  # no wrap over the poles
            near_land |= shifted
    coastal = ~land & near_land
    deep = (labels == OPEN_OCEAN) & ~(dist <= 500.0) & ~coastal
    cells = [(kind, c) for kind, cand, n in (("tide_gauge", coastal, n_tg),
                                             ("bottom_pressure_recorder", deep, n_bpr))
             for c in _sample(rng, cand, n)]
    kinds = np.array([k for k, _ in cells], dtype=object)
    flat = np.array([c for _, c in cells], dtype=np.int64)
    i, j = np.unravel_index(flat, grid.shape)
    sd = np.array([GAUGE_KINDS[k] for k in kinds])
    obp = truth[:, i, j] + sd * rng.standard_normal((truth.shape[0], len(flat)))
    return grid.lat[i], grid.lon[j], kinds.astype(str), obp


def _dataset(grid, start, labels, mask, truth, model_a, model_b, coarse, gauges, **attrs):
    import pandas as pd
    import xarray as xr

    nt = truth.shape[0]
    time = pd.date_range(start, periods=nt, freq="MS") + pd.Timedelta(days=14)
    coords = {"time": time, **grid.to_xarray_coords()}
    nan_out = np.where(mask, 1.0, np.nan)[None]

    def var(data, long_name):
        return xr.DataArray(data * nan_out, dims=("time", "lat", "lon"), coords=coords,
                            attrs={"long_name": long_name, "units": "mm"})

    glat, glon, kinds, obp = gauges
    data = {
        "truth": var(truth, "true ocean bottom pressure anomaly (equivalent water height)"),
        "model_a": var(model_a, "ocean reanalysis A bottom pressure anomaly (free eddies, "
                       "damped shelves, no global mass)"),
        "model_b": var(model_b, "ocean reanalysis B bottom pressure anomaly (damped eddies, "
                       "late coastal signal, basin drift, no global mass)"),
        "coarse": var(coarse, "GRACE-like ocean bottom pressure anomaly").assign_attrs(
            lmax=grace_lmax(grid), half_width_km=float(attrs["half_width_km"])),
        "mask": xr.DataArray(mask, dims=("lat", "lon"), coords=grid.to_xarray_coords(),
                             attrs={"long_name": "ocean mask (open ocean, coastal band, "
                                                 "marginal seas)"}),
        "ocean_class": xr.DataArray(
            labels, dims=("lat", "lon"), coords=grid.to_xarray_coords(),
            attrs={"long_name": "ocean class (jaxgeo.regions.ocean_classes)",
                   "flag_values": np.array(list(OCEAN_CLASSES), dtype=np.int8),
                   "flag_meanings": " ".join(v.replace(" ", "_")
                                             for v in OCEAN_CLASSES.values())}),
        "gauge_lat": xr.DataArray(glat, dims="gauge", attrs={"units": "degrees_north"}),
        "gauge_lon": xr.DataArray(glon, dims="gauge", attrs={"units": "degrees_east"}),
        "gauge_kind": xr.DataArray(kinds, dims="gauge",
                                   attrs={"long_name": "tide_gauge or "
                                                       "bottom_pressure_recorder"}),
        "gauge_obp": xr.DataArray(obp, dims=("time", "gauge"), coords={"time": time},
                                  attrs={"long_name": "ocean bottom pressure anomaly at the "
                                                      "gauge (truth + local noise)",
                                         "units": "mm"}),
    }
    return xr.Dataset(data, attrs={
        "title": "jaxgeo ocean bottom-pressure experiment", "experiment": "ocean",
        "lmax": grace_lmax(grid), "resolution_deg": grid.resolution_deg, **attrs})
