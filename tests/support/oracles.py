"""Independent brute-force oracles for the spherical operators (dense, small grids only)."""

import numpy as np


def unit_vectors(lat_deg, lon_deg):
    lat, lon = np.meshgrid(np.deg2rad(lat_deg), np.deg2rad(lon_deg), indexing="ij")
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def great_circle_deg(u, v):
    """Distances between unit vectors u (N, 3) and v (M, 3), degrees, via atan2 (Vincenty)."""
    cross = np.linalg.norm(np.cross(u[:, None, :], v[None, :, :]), axis=-1)
    dot = u @ v.T
    return np.rad2deg(np.arctan2(cross, dot))


def dense_matrix(grid, kernel, mask=None, targets=None):
    """Row-normalised weight matrix A (nout, nin) of an isotropic area-weighted mean.

    ``kernel(distance_deg)`` gives the unnormalised kernel. Rows with no weight are NaN.
    """
    out = grid if targets is None else targets
    u = unit_vectors(out.lat, out.lon).reshape(-1, 3)
    v = unit_vectors(grid.lat, grid.lon).reshape(-1, 3)
    w = np.asarray(grid.cell_area, dtype=np.float64).reshape(-1).copy()
    if mask is not None:
        w = w * np.asarray(mask, dtype=np.float64).reshape(-1)
    a = kernel(great_circle_deg(u, v)) * w[None, :]
    tot = a.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, a / tot, np.nan)


def cap_kernel(radius_deg):
    return lambda d: (d <= radius_deg * (1 + 1e-9)).astype(np.float64)


def gaussian_kernel(b, truncation=1e-10):
    def k(d):
        val = np.exp(-b * (1 - np.cos(np.deg2rad(d))))
        return np.where(val >= truncation, val, 0.0)
    return k


def apply_dense(a, field, mask=None):
    """Apply A to a (..., nlat, nlon) field, zeroing cells outside the mask first."""
    f = np.asarray(field, dtype=np.float64)
    if mask is not None:
        f = np.where(np.asarray(mask) > 0, f, 0.0)
    flat = f.reshape(f.shape[:-2] + (-1,))
    zero_rows = np.nan_to_num(a)
    y = flat @ zero_rows.T
    y = np.where(np.isnan(a[:, 0]), np.nan, y)
    return y
