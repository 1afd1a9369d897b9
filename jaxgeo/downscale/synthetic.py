"""The default downscaling experiment: an observing-system simulation with a known truth.

A high-resolution "truth" of terrestrial water storage anomalies (seasonal cycle, trends,
groundwater depletion, droughts, interannual variability, red spatial spectrum) on a real
land mask; a hydrological-model field with realistic errors (wrong amplitudes, phases and
trends, depletion missing, weakened droughts); a GRACE-like field (truth smoothed by a
300 km Gaussian over the land plus spatially correlated noise of the same resolution);
and forcing features (precipitation, evapotranspiration, runoff). Everything is seeded.
The land mask is :func:`jaxgeo.regions.land_mask`.
"""

from __future__ import annotations

import numpy as np

from .._deprecation import reject_unknown, renamed
from .._grid import Grid
from ..regions import land_mask

__all__ = ["DEPLETION_HOTSPOTS", "make_experiment"]

# (lat °N, lon °E, e-folding radius °, trend mm/yr): regions of strong, mostly
# groundwater-driven mass loss seen by GRACE (Rodell et al. 2018, Nature 557, 651–659).
DEPLETION_HOTSPOTS = (
    (28.5, 77.0, 4.0, -25.0),    # northern India
    (36.5, -119.5, 2.5, -18.0),  # California Central Valley
    (37.0, 115.5, 3.0, -14.0),   # North China Plain
    (34.0, 46.0, 4.0, -14.0),    # Tigris-Euphrates / western Iran
    (37.0, -101.0, 3.0, -9.0),   # High Plains aquifer
    (27.0, 49.0, 4.0, -8.0),     # Arabian aquifers
)


def _red_fields(rng: np.random.Generator, grid: Grid, n: int, *, slope: float,
                corner_deg: float) -> np.ndarray:
    """``n`` unit-variance random fields ``(n, nlat, nlon)`` with a red spectrum.

    Power ∝ (k² + k₀²)^(−slope/2) with k in cycles per degree and k₀ = 1/corner_deg: flat
    above ``corner_deg`` wavelengths, falling as k^(−slope) below. Generated on a doubled
    latitude range so that the field is periodic in longitude but not in latitude.
    """
    nlat, nlon = grid.shape
    ky = np.fft.fftfreq(2 * nlat, d=grid.resolution_deg)[:, None]
    kx = np.fft.rfftfreq(nlon, d=grid.resolution_deg)[None, :]
    amp = (kx**2 + ky**2 + corner_deg**-2.0) ** (-slope / 4.0)
    out = np.empty((n, nlat, nlon))
    for i in range(n):
        spec = amp * (rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape))
        f = np.fft.irfft2(spec, s=(2 * nlat, nlon))[:nlat]
        out[i] = (f - f.mean()) / f.std()
    return out


def _blob(grid: Grid, lat0: float, lon0: float, radius_deg: float) -> np.ndarray:
    """exp(−(ψ/r)²) with ψ the great-circle distance from (lat0, lon0), degrees."""
    lat = np.deg2rad(grid.lat)[:, None]
    dlon = np.deg2rad(grid.lon[None, :] - lon0)
    phi0 = np.deg2rad(lat0)
    cos_psi = np.sin(lat) * np.sin(phi0) + np.cos(lat) * np.cos(phi0) * np.cos(dlon)
    psi = np.rad2deg(np.arccos(np.clip(cos_psi, -1.0, 1.0)))
    return np.exp(-((psi / radius_deg) ** 2))


def make_experiment(resolution_deg: float = 1.0, n_months: int = 120, *, seed: int = 0,
                    noise_mm: float = 12.0, half_width_km: float = 300.0,
                    start: str = "2003-01", **retired):
    """Build the synthetic downscaling experiment as an ``xarray.Dataset``.

    Args:
        resolution_deg: grid cell size, degrees (a multiple of 1/120°; 1.0 or 0.5 usually).
        n_months: number of monthly time steps.
        seed: seed of every random draw; the same seed gives the same dataset.
        noise_mm: standard deviation of the GRACE-like noise over the land, mm.
        half_width_km: half-width of the Gaussian that makes the GRACE-like field, km
            (retired spelling ``smoothing_km``).
        start: first month, ``YYYY-MM``; time stamps are mid-month.

    Returns:
        Dataset on (time, lat, lon) with ``truth``, ``model``, ``coarse`` (mm equivalent
        water height; NaN outside the mask), ``precipitation``, ``evapotranspiration``,
        ``runoff`` (mm/month), and ``mask`` (lat, lon); attributes record the settings.

    Reference: design after Gou & Soja (2024), Nature Water 2, 139–150 (the
    GRACE/WGHM downscaling setting) and Rodell et al. (2018), Nature 557, 651–659
    (emerging trends that models miss).
    """
    import pandas as pd
    import xarray as xr

    from ..sphere import gaussian_smooth

    if "smoothing_km" in retired:
        half_width_km = renamed(retired, "smoothing_km", "half_width_km",
                                where="make_experiment")
    reject_unknown(retired, where="make_experiment")
    if int(n_months) != n_months or n_months < 2:
        raise ValueError(f"n_months must be an integer ≥ 2, got {n_months!r}")
    grid = Grid.regular(resolution_deg)
    mask = land_mask(grid)
    rng = np.random.default_rng(seed)
    nt = int(n_months)
    t_yr = (np.arange(nt) + 0.5) / 12.0
    t_c = t_yr - t_yr.mean()
    lat2d = np.broadcast_to(grid.lat[:, None], grid.shape)

    # Seasonal cycle: amplitude larger in the tropics and monsoon belts, with detail down to
    # the grid scale (rivers, wetlands); peak in spring (NH) or autumn (SH).
    detail = _red_fields(rng, grid, 1, slope=2.5, corner_deg=4.0)[0]
    amp_true = (35.0 + 70.0 * np.exp(-((lat2d - 5.0) / 22.0) ** 2)) * np.exp(0.45 * detail)
    phase_true = 4.0 - 3.0 * np.tanh(lat2d / 8.0) + 1.0 * _red_fields(
        rng, grid, 1, slope=3.0, corner_deg=30.0)[0]  # month of the peak, 1..12-ish
    # Trends: a broad field plus the depletion hotspots the model lacks.
    trend_broad = 4.0 * _red_fields(rng, grid, 1, slope=3.0, corner_deg=20.0)[0]
    depletion = sum(rate * _blob(grid, la, lo, r) for la, lo, r, rate in DEPLETION_HOTSPOTS)
    # Interannual: AR(1) in time (φ = 0.85 per month), red in space.
    ia_fields = _red_fields(rng, grid, nt, slope=3.0, corner_deg=15.0)
    ia = np.empty_like(ia_fields)
    ia[0] = ia_fields[0]
    for k in range(1, nt):
        ia[k] = 0.85 * ia[k - 1] + np.sqrt(1 - 0.85**2) * ia_fields[k]
    ia *= 25.0
    # Droughts: sin² pulses of 6–24 months over 3–8° regions.
    land_idx = np.argwhere(mask)
    drought = np.zeros((nt,) + grid.shape)
    for _ in range(max(1, nt // 20)):
        i, j = land_idx[rng.integers(len(land_idx))]
        dur = rng.integers(6, 25)
        t0 = rng.integers(-dur // 2, nt - dur // 2)
        pulse = np.sin(np.pi * np.clip((np.arange(nt) - t0) / dur, 0.0, 1.0)) ** 2
        drought -= (rng.uniform(60.0, 150.0) * pulse[:, None, None]
                    * _blob(grid, grid.lat[i], grid.lon[j], rng.uniform(3.0, 8.0))[None])

    def seasonal(amp, phase):
        return amp[None] * np.cos(2 * np.pi * (t_yr[:, None, None] * 12.0 - phase[None]) / 12.0)

    truth = (seasonal(amp_true, phase_true) + (trend_broad + depletion)[None] * t_c[:, None, None]
             + ia + drought)

    # The model: amplitude wrong by a broad factor (0.6–1.5), peak ~0.8 months late, broad
    # trend under-estimated, depletion missing, droughts too weak, interannual partly wrong.
    gain = np.exp(0.25 * _red_fields(rng, grid, 1, slope=3.0, corner_deg=25.0)[0] - 0.1)
    model = (seasonal(amp_true * gain, phase_true + 0.8)
             + 0.3 * trend_broad[None] * t_c[:, None, None]
             + 0.6 * ia + 0.6 * drought
             + 8.0 * _red_fields(rng, grid, nt, slope=3.0, corner_deg=10.0))

    # GRACE-like: truth seen through a 300 km Gaussian over the land, plus noise of the same
    # resolution (white noise smoothed the same way, rescaled to noise_mm over the land).
    coarse = np.asarray(gaussian_smooth(np.where(mask, truth, np.nan), grid, half_width_km,
                                        mask=mask))
    white = rng.standard_normal((nt,) + grid.shape)
    noise = np.asarray(gaussian_smooth(white, grid, half_width_km))
    noise = noise * (noise_mm / noise[:, mask].std())
    coarse = coarse + noise

    # Forcings (mm/month): precipitation leads storage by ~2 months, ET by ~1, runoff follows
    # storage; they carry information on the true phase and amplitude.
    p0 = 40.0 + 80.0 * np.exp(-((lat2d - 5.0) / 20.0) ** 2) * np.exp(0.3 * detail)
    precip = np.maximum(0.0, p0[None] * (1.0 + 0.8 * np.cos(
        2 * np.pi * (t_yr[:, None, None] * 12.0 - phase_true[None] + 2.5) / 12.0))
        + 10.0 * rng.standard_normal((nt,) + grid.shape))
    et = 0.5 * p0[None] * (1.0 + 0.5 * np.cos(
        2 * np.pi * (t_yr[:, None, None] * 12.0 - phase_true[None] + 1.0) / 12.0))
    runoff = np.maximum(0.0, 0.15 * p0[None] + 0.2 * (truth - truth.mean(axis=0)))

    nan_out = np.where(mask, 1.0, np.nan)[None]
    time = pd.date_range(start, periods=nt, freq="MS") + pd.Timedelta(days=14)
    coords = {"time": time, **grid.to_xarray_coords()}
    dims = ("time", "lat", "lon")

    def var(data, name, units):
        return xr.DataArray(data * nan_out, dims=dims, coords=coords,
                            attrs={"long_name": name, "units": units})

    ds = xr.Dataset({
        "truth": var(truth, "true terrestrial water storage anomaly", "mm"),
        "model": var(model, "hydrological-model water storage anomaly", "mm"),
        # the product states its filter (a Gaussian mean over the land: no leakage)
        "coarse": var(coarse, "GRACE-like water storage anomaly", "mm").assign_attrs(
            half_width_km=float(half_width_km), leakage=0),
        "precipitation": var(precip, "precipitation", "mm/month"),
        "evapotranspiration": var(et, "evapotranspiration", "mm/month"),
        "runoff": var(runoff, "runoff", "mm/month"),
        "mask": xr.DataArray(mask, dims=("lat", "lon"), coords=grid.to_xarray_coords(),
                             attrs={"long_name": "land mask (no ice sheets)"}),
    }, attrs={"title": "jaxgeo synthetic GRACE downscaling experiment", "seed": seed,
              "noise_mm": noise_mm, "half_width_km": half_width_km,
              "resolution_deg": grid.resolution_deg})
    return ds
