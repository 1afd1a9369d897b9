"""Bilinear interpolation on a :class:`jaxgeo.Grid` of nodes."""

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
