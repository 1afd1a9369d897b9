"""TEMPORARY copies of the helpers that move to jaxgeo.regions / jaxgeo.seasonal / jaxgeo.time
(deleted once the foundation is on main)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

EARTH_RADIUS_KM = 6371.0


def land_mask(grid, *, min_fraction=0.5, hydrology_only=True, sub: int = 5):
    from global_land_mask import globe

    off = ((np.arange(sub) + 0.5) / sub - 0.5) * grid.resolution_deg
    la = grid.lat[:, None, None, None] + off[None, None, :, None]
    lo = grid.lon[None, :, None, None] + off[None, None, None, :]
    la, lo = np.broadcast_arrays(np.clip(la, -89.999, 89.999), (lo + 180.0) % 360.0 - 180.0)
    frac = globe.is_land(la.ravel(), lo.ravel()).reshape(la.shape).mean(axis=(2, 3))
    assert not hydrology_only
    return frac >= min_fraction


def polygon_mask(grid, polygon):
    from matplotlib.path import Path as MplPath

    lat, lon = np.meshgrid(grid.lat, (grid.lon + 180.0) % 360.0 - 180.0, indexing="ij")
    pts = np.column_stack([lon.ravel(), lat.ravel()])
    return MplPath(np.asarray(polygon, float)).contains_points(pts).reshape(lat.shape)


def _unit_vectors(grid):
    lat, lon = np.meshgrid(np.radians(grid.lat), np.radians(grid.lon), indexing="ij")
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def nearest_distance_km(grid, from_mask, to_mask, chunk: int = 2048):
    u = _unit_vectors(grid)
    u_from, u_to = u[from_mask], u[to_mask]
    d = np.empty(len(u_from))
    for i in range(0, len(u_from), chunk):
        cos = (u_from[i:i + chunk] @ u_to.T).max(axis=1)
        d[i:i + chunk] = np.arccos(np.clip(cos, -1.0, 1.0)) * EARTH_RADIUS_KM
    out = np.full(grid.shape, np.inf)
    out[from_mask] = d
    return out


def ocean_mask(grid, land, *, coast_buffer_deg):
    from jaxgeo.sphere import cap_average

    near_land = np.asarray(cap_average(land.astype(np.float64), grid, coast_buffer_deg)) > 0
    return ~land & ~near_land


def region_mass_gt(lwe_mm, grid, region):
    area = np.asarray(grid.cell_area)
    return lwe_mm[:, region].astype(np.float64) @ area[region] * 1e-3 * 1000.0 / 1e12


def region_mean(x, grid, region):
    area = np.asarray(grid.cell_area)
    return x[:, region].astype(np.float64) @ area[region] / area[region].sum()


def decimal_year(t):
    return 2000 + (t - np.datetime64("2000-01-01", "s")).astype(float) / (365.2425 * 86400)


def seasonal_design(t_yr, harmonics):
    w = 2 * np.pi * t_yr
    return np.stack([np.ones_like(t_yr), t_yr - t_yr.mean(), np.cos(w), np.sin(w),
                     np.cos(2 * w), np.sin(2 * w)], axis=1)


class SeriesFit(NamedTuple):
    mean: float
    trend_per_year: float
    annual_amplitude: float
    annual_peak_month: float
    semiannual_amplitude: float


def fit_series(t_yr, y, *, harmonics=2):
    coef, *_ = np.linalg.lstsq(seasonal_design(t_yr, 2), y, rcond=None)
    return SeriesFit(float(coef[0]), float(coef[1]), float(np.hypot(coef[2], coef[3])),
                     float((np.arctan2(coef[3], coef[2]) / (2 * np.pi) * 12) % 12 + 1),
                     float(np.hypot(coef[4], coef[5])))
