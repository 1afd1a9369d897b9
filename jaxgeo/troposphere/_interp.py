"""Bilinear interpolation on a :class:`jaxgeo.Grid` of nodes, and calendar helpers."""

from __future__ import annotations

import jax.numpy as jnp

from .._grid import Grid
from ._physics import _f64


def bilinear_nodes(grid: Grid, lat_deg, lon_deg, *, polar_nearest: bool = False):
    """Indices and weights of the four grid nodes around each point.

    Longitude wraps across the dateline; poleward of the outermost row of cell centres the
    latitude index is clamped to that row (constant extrapolation towards the pole), and
    with ``polar_nearest`` the longitude becomes nearest-neighbour there (as in the TU Wien
    GPT3 code, so that the pole gets a single row value).

    Args:
        grid: node grid (cell centres are the nodes).
        lat_deg, lon_deg: point coordinates, degrees, broadcastable.

    Returns:
        ``(i0, i1, j0, j1, wi, wj)``: row and column indices (int) of the lower/upper
        nodes, and the weights of the upper ones, each of the broadcast shape.
    """
    lat = _f64(lat_deg)
    lon = _f64(lon_deg)
    lat, lon = jnp.broadcast_arrays(lat, lon)
    res = grid.resolution_deg
    fi = (lat - float(grid.lat[0])) / res
    fi_c = jnp.clip(fi, 0.0, grid.nlat - 1.0)
    i0f = jnp.clip(jnp.floor(fi_c), 0.0, grid.nlat - 2.0)
    wi = fi_c - i0f
    fj = jnp.mod((lon - grid.lon_start) / res - 0.5, float(grid.nlon))
    j0f = jnp.floor(fj)
    wj = fj - j0f
    if polar_nearest:
        polar = (fi < 0.0) | (fi > grid.nlat - 1.0)
        wj = jnp.where(polar, jnp.round(wj), wj)
    i0 = i0f.astype(jnp.int32)
    j0 = j0f.astype(jnp.int32) % grid.nlon
    return i0, i0 + 1, j0, (j0 + 1) % grid.nlon, wi, wj


def bilinear_combine(v00, v01, v10, v11, wi, wj):
    """Blend node values: ``v{row}{col}``, weights of the upper row ``wi`` and column ``wj``."""
    return (1.0 - wi) * ((1.0 - wj) * v00 + wj * v01) + wi * ((1.0 - wj) * v10 + wj * v11)


_MJD_UNIX_EPOCH = 40587  # MJD of 1970-01-01


def _days_from_civil_jan1(year):
    # days since 1970-01-01 of 1 January of ``year`` (proleptic Gregorian, integer maths)
    y = year - 1
    era = jnp.floor_divide(y, 400)
    yoe = y - era * 400
    doe = yoe * 365 + yoe // 4 - yoe // 100 + 306
    return era * 146097 + doe - 719468


def _year_from_days(days):
    z = days + 719468
    era = jnp.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy_mar = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy_mar + 2) // 153
    month = jnp.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + jnp.where(month <= 2, 1, 0)


def doy_from_mjd(mjd):
    """Fractional day of year (1.0 = 1 January 0 h) from a Modified Julian Date.

    Args:
        mjd: Modified Julian Date (UTC days), any shape.

    Returns:
        Day of year as float, same shape (jit-able, integer calendar maths inside).
    """
    mjd = _f64(mjd)
    day = jnp.floor(mjd)
    days = day.astype(jnp.int64 if day.dtype == jnp.float64 else jnp.int32) - _MJD_UNIX_EPOCH
    jan1 = _days_from_civil_jan1(_year_from_days(days))
    return (days - jan1).astype(mjd.dtype) + 1.0 + (mjd - day)


def mjd_from_datetime64(t) -> float:
    """MJD (float days) of a ``numpy.datetime64`` or ISO string."""
    import numpy as np

    t = np.datetime64(t, "ns")
    return float((t - np.datetime64("1858-11-17T00:00", "ns")) / np.timedelta64(1, "D"))
