"""Ocean classes on a :class:`~jaxgeo.Grid`: open ocean, coastal band and marginal seas.

Re-exported by :mod:`jaxgeo.regions` (the home of masks); see :func:`ocean_classes`.
"""

from __future__ import annotations

import math

import numpy as np

from ._grid import Grid

__all__ = ["COASTAL_BAND", "LAND", "MARGINAL_SEA", "MARGINAL_SEAS", "OCEAN_CLASSES",
           "OPEN_OCEAN", "coast_distance_km", "ocean_classes", "ocean_domain"]

#: labels of :func:`ocean_classes`
LAND, OPEN_OCEAN, COASTAL_BAND, MARGINAL_SEA = 0, 1, 2, 3
#: label → name
OCEAN_CLASSES = {LAND: "land", OPEN_OCEAN: "open ocean", COASTAL_BAND: "coastal band",
                 MARGINAL_SEA: "marginal sea"}

#: Semi-enclosed seas classed as marginal: name → polygon of (lon °E, lat °N) vertices.
#: Each outline is drawn through land on every side but the sea's strait to the open
#: ocean, which it crosses at the strait (Gibraltar 5.6°W, Bosporus, Danish straits 10°E,
#: Bab-el-Mandeb 43.6°E, Hormuz ~56.3°E, Hudson Bay's mouth 66°N/76°W); only ocean cells
#: inside count. These seas exchange mass with the open ocean through narrow straits, so
#: their bottom pressure follows their own dynamics (and GRACE resolves them poorly).
MARGINAL_SEAS = {
    "Mediterranean Sea": ((-5.6, 30.0), (37.0, 30.0), (37.0, 40.9), (27.0, 40.9),
                          (27.0, 46.5), (0.0, 46.5), (0.0, 40.0), (-5.6, 37.0)),
    "Black Sea": ((27.0, 40.5), (42.0, 40.5), (42.0, 47.5), (27.0, 47.5)),
    "Baltic Sea": ((10.0, 53.0), (31.0, 53.0), (31.0, 66.0), (18.0, 66.0), (13.0, 56.0),
                   (10.0, 56.0)),
    "Red Sea": ((32.0, 12.4), (43.6, 12.4), (43.6, 30.5), (32.0, 30.5)),
    "Persian Gulf": ((47.0, 23.5), (56.0, 23.5), (56.0, 26.0), (56.6, 27.4), (56.6, 31.0),
                     (47.0, 31.0)),
    "Hudson Bay": ((-96.0, 51.0), (-76.0, 51.0), (-76.0, 66.0), (-96.0, 66.0)),
}


def _unit_vectors(lat_deg, lon_deg) -> np.ndarray:
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def coast_distance_km(grid: Grid, land, max_km: float) -> np.ndarray:
    """Great-circle distance (km, on ``grid.radius_m``) from every cell centre to the nearest
    land cell centre, exact up to ``max_km`` and ``inf`` beyond (0 on land).

    Only land rows within ``max_km`` of latitude of a row are searched (the latitude
    difference bounds the great-circle distance from below), so the cost is that of a band,
    not of all land cells.

    Args:
        grid: the grid.
        land: boolean ``(nlat, nlon)``.
        max_km: search radius, km (≥ 0).
    """
    land = np.asarray(land, dtype=bool)
    if land.shape != grid.shape:
        raise ValueError(f"land mask has shape {land.shape}, grid is {grid.shape}")
    if not (np.isfinite(max_km) and max_km >= 0):
        raise ValueError(f"coastal band must be a finite distance ≥ 0 km, got {max_km!r}")
    radius_km = grid.radius_m / 1000.0
    band_deg = math.degrees(max_km / radius_km) + 1e-9
    lat2d, lon2d = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    u = _unit_vectors(lat2d, lon2d)
    out = np.full(grid.shape, np.inf)
    out[land] = 0.0
    for i in range(grid.nlat):
        sea = ~land[i]
        rows = np.flatnonzero(np.abs(grid.lat - grid.lat[i]) <= band_deg)
        targets = u[rows][land[rows]]
        if not sea.any() or len(targets) == 0:
            continue
        cos = np.clip((u[i, sea] @ targets.T).max(axis=1), -1.0, 1.0)
        d = np.arccos(cos) * radius_km
        out[i, sea] = np.where(d <= max_km, d, np.inf)
    return out


def ocean_classes(grid: Grid, *, coastal_band_km: float = 300.0,
                  min_land_fraction: float = 0.5) -> np.ndarray:
    """Label every cell: land, open ocean, coastal band or marginal sea.

    * **land** (:data:`LAND`): at least ``min_land_fraction`` land in the GLOBE 1 km mask
      (:func:`jaxgeo.regions.land_fraction`); ice sheets count as land, lakes (the Caspian,
      the Great Lakes) are land in GLOBE, so every other cell is ocean.
    * **marginal sea** (:data:`MARGINAL_SEA`): an ocean cell whose centre lies in one of
      :data:`MARGINAL_SEAS` (Mediterranean, Black, Baltic and Red Seas, Persian Gulf,
      Hudson Bay); the whole sea, its coasts included, is one class.
    * **coastal band** (:data:`COASTAL_BAND`): any other ocean cell whose centre lies within
      ``coastal_band_km`` (great circle) of a land cell centre: shelves and coastal waters,
      where GRACE fields suffer most from leakage and tide gauges sit.
    * **open ocean** (:data:`OPEN_OCEAN`): the rest.

    Args:
        grid: the grid (as :func:`jaxgeo.regions.land_fraction` accepts).
        coastal_band_km: width of the coastal band, km (0: no band).
        min_land_fraction: smallest land fraction of a land cell.

    Returns:
        ``int8`` ``(nlat, nlon)`` labels (:data:`OCEAN_CLASSES` names them).

    Raises:
        ValueError: a negative or non-finite ``coastal_band_km``, a ``min_land_fraction``
            outside (0, 1].
    """
    from .regions import land_fraction, polygon_mask

    if not (0.0 < min_land_fraction <= 1.0):
        raise ValueError(f"min_land_fraction must be in (0, 1], got {min_land_fraction!r}")
    if not (np.isfinite(coastal_band_km) and coastal_band_km >= 0):
        raise ValueError(f"coastal_band_km must be a finite distance ≥ 0 km, got "
                         f"{coastal_band_km!r}")
    land = land_fraction(grid) >= min_land_fraction
    labels = np.full(grid.shape, OPEN_OCEAN, dtype=np.int8)
    if coastal_band_km > 0:
        near = np.isfinite(coast_distance_km(grid, land, coastal_band_km))
        labels[near] = COASTAL_BAND
    for outline in MARGINAL_SEAS.values():
        labels[polygon_mask(grid, outline)] = MARGINAL_SEA
    labels[land] = LAND
    return labels


def ocean_domain(grid: Grid, *, coastal_band_km: float = 300.0, marginal_seas: bool = True,
                 coastal_band: bool = True, min_land_fraction: float = 0.5) -> np.ndarray:
    """Boolean ocean mask ``(nlat, nlon)`` from :func:`ocean_classes`: the open ocean, with or
    without the marginal seas and the coastal band.

    Args:
        grid: the grid.
        coastal_band_km: width of the coastal band, km.
        marginal_seas: keep the cells of :data:`MARGINAL_SEAS`.
        coastal_band: keep the cells within ``coastal_band_km`` of land (outside the
            marginal seas); False: only cells farther from land (as
            :func:`jaxgeo.regions.ocean_mask` with a buffer).
        min_land_fraction: smallest land fraction of a land cell.

    Raises:
        ValueError: as :func:`ocean_classes`, or no ocean cell left.
    """
    labels = ocean_classes(grid, coastal_band_km=coastal_band_km,
                           min_land_fraction=min_land_fraction)
    keep = labels == OPEN_OCEAN
    if marginal_seas:
        keep |= labels == MARGINAL_SEA
    if coastal_band:
        keep |= labels == COASTAL_BAND
    if not keep.any():
        raise ValueError(f"ocean_domain: no ocean cell left on the {grid.resolution_deg:g}° "
                         f"grid (coastal_band_km={coastal_band_km:g}, coastal_band="
                         f"{coastal_band}, marginal_seas={marginal_seas})")
    return keep
