"""Brute-force numpy oracles shared by the downscaling tests (no jaxgeo code inside)."""

import numpy as np


def centres(res_deg, lon_start=-180.0):
    lat = -90.0 + res_deg * (np.arange(round(180 / res_deg)) + 0.5)
    lon = lon_start + res_deg * (np.arange(round(360 / res_deg)) + 0.5)
    return lat, lon


def cell_area(res_deg, radius_m=6_371_000.0):
    lat, lon = centres(res_deg)
    edges = np.deg2rad(np.r_[-90.0, -90.0 + res_deg * np.arange(1, lat.size), 90.0])
    row = radius_m**2 * np.deg2rad(res_deg) * np.diff(np.sin(edges))
    return np.repeat(row[:, None], lon.size, axis=1)


def great_circle_deg(lat1, lon1, lat2, lon2):
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dl = np.deg2rad(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.rad2deg(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def cap_mean(field, res_deg, radius_deg, mask, out_res_deg=None):
    """Area-weighted masked cap means by brute force over every cell pair."""
    lat, lon = centres(res_deg)
    olat, olon = centres(out_res_deg or res_deg)
    LA, LO = np.meshgrid(lat, lon, indexing="ij")
    OA, OO = np.meshgrid(olat, olon, indexing="ij")
    d = great_circle_deg(OA.ravel()[:, None], OO.ravel()[:, None], LA.ravel()[None],
                         LO.ravel()[None])
    inside = d <= radius_deg * (1 + 1e-9)
    w = (cell_area(res_deg) * mask).ravel()[None] * inside
    f = np.where(mask, field, 0.0).reshape(field.shape[:-2] + (-1,))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (f @ w.T) / w.sum(axis=1)
    return out.reshape(field.shape[:-2] + OA.shape)
