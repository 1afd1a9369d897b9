"""Regions on a :class:`~jaxgeo.Grid`: land and ocean masks, polygons, distance buffers,
region means and masses.

Land comes from the GLOBE 1 km land–sea mask (GLOBE Task Team 1999, NOAA NGDC), as
packaged by the ``global-land-mask`` PyPI project; cells are classed by their area fraction
of land. Regions are boolean ``(nlat, nlon)`` arrays in grid order.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import numpy as np

from ._grid import Grid
from .constants import RHO_WATER_KG_M3

__all__ = [
    "area_weights",
    "land_fraction",
    "land_mask",
    "nearest_distance_km",
    "ocean_mask",
    "polygon_mask",
    "region_mass_gt",
    "region_mean",
]


def _globe_mask_path() -> Path:
    try:
        import global_land_mask
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("land masks need the 'global-land-mask' package "
                          "(pip install global-land-mask)") from exc
    return Path(global_land_mask.__file__).parent / "globe_combined_mask_compressed.npz"


_BASE_RES_DEG = 0.5  # read once at this resolution, coarser multiples are block means


@functools.lru_cache(maxsize=4)
def _read_globe(resolution_deg: float) -> np.ndarray:
    """Land fraction on the grid of ``resolution_deg`` starting at 180°W, from the file."""
    from numpy.lib import format as npformat

    grid = Grid.regular(resolution_deg)
    # The GLOBE 30" ocean mask (True = ocean) is 21600 × 43200 booleans (~1 GB); stream it
    # row block by row block out of the zip so memory stays at a few MB.
    with zipfile.ZipFile(_globe_mask_path()) as zf, zf.open("mask.npy") as f:
        version = npformat.read_magic(f)
        read_header = (npformat.read_array_header_1_0 if version == (1, 0)
                       else npformat.read_array_header_2_0)
        (nrow, ncol), fortran, dtype = read_header(f)
        if fortran or dtype != np.dtype(bool) or nrow * 2 != ncol:
            raise ValueError("unexpected layout of the global-land-mask data file")
        per_deg = nrow // 180
        block = int(round(grid.resolution_deg * per_deg))
        if abs(block - grid.resolution_deg * per_deg) > 1e-9 or block < 1:
            raise ValueError(f"land fraction needs a resolution that is a multiple of "
                             f"1/{per_deg}°, got {grid.resolution_deg}°")
        frac = np.empty((grid.nlat, grid.nlon))
        for i in range(grid.nlat):
            land = ~np.frombuffer(f.read(block * ncol), dtype=bool).reshape(block, ncol)
            # rows run from 90°N southward: weight the 30" rows by their area (cos φ)
            lat = 90.0 - (i * block + np.arange(block) + 0.5) / per_deg
            w = np.cos(np.deg2rad(lat))
            per_col = land.reshape(block, grid.nlon, block).mean(axis=2)
            frac[grid.nlat - 1 - i] = w @ per_col / w.sum()
    return frac


@functools.lru_cache(maxsize=8)
def _land_fraction_cached(resolution_deg: float, lon_start: float) -> np.ndarray:
    grid = Grid.regular(resolution_deg, lon_start)
    ratio = resolution_deg / _BASE_RES_DEG
    if ratio >= 1 and abs(ratio - round(ratio)) < 1e-9:
        base_grid = Grid.regular(_BASE_RES_DEG)
        f = int(round(ratio))
        area = base_grid.row_area[:, None]
        frac = (_read_globe(_BASE_RES_DEG) * area).reshape(grid.nlat, f, grid.nlon, f).sum(
            axis=(1, 3)) / (area.reshape(grid.nlat, f, 1).sum(axis=1) * f)
    else:
        frac = _read_globe(resolution_deg)
    shift = int(round((grid.lon_start + 180.0) / grid.resolution_deg)) % grid.nlon
    frac = np.clip(np.roll(frac, -shift, axis=1), 0.0, 1.0)
    frac.setflags(write=False)
    return frac


def land_fraction(grid: Grid) -> np.ndarray:
    """Fraction of land in each cell of ``grid`` from the GLOBE 1 km land–sea mask.

    Args:
        grid: target grid; its resolution must be a multiple of 1/120°, and its
            ``lon_start`` a multiple of the resolution from −180°.

    Returns:
        float64 array ``(nlat, nlon)`` in [0, 1] (read-only).

    Reference: GLOBE Task Team (1999), The Global Land One-kilometer Base Elevation
    (GLOBE) DEM, NOAA NGDC; packaged by the ``global-land-mask`` PyPI project.
    """
    return _land_fraction_cached(grid.resolution_deg, grid.lon_start)


def land_mask(grid: Grid, *, min_fraction: float = 0.5, hydrology_only: bool = True
              ) -> np.ndarray:
    """Boolean land mask ``(nlat, nlon)``: cells at least ``min_fraction`` land.

    Args:
        grid: the grid.
        min_fraction: smallest land fraction of a land cell.
        hydrology_only: leave out the ice sheets as land-hydrology products do: Antarctica
            (south of 60°S) and Greenland (a box around it, Iceland kept).
    """
    mask = land_fraction(grid) >= min_fraction
    if hydrology_only:
        lat2d, lon2d = np.meshgrid(grid.lat, (grid.lon + 180.0) % 360.0 - 180.0, indexing="ij")
        greenland = (lat2d > 59.0) & (lon2d > -74.0) & (lon2d < -10.0) & ~(
            (lat2d < 66.0) & (lon2d > -30.0))  # keeps Iceland
        mask &= ~((lat2d < -60.0) | greenland)
    return mask


def polygon_mask(grid: Grid, polygon_lon_lat_deg) -> np.ndarray:
    """Cells whose centre lies inside a polygon of ``(lon °E in [−180, 180), lat °N)`` vertices.

    Args:
        grid: the grid.
        polygon_lon_lat_deg: ``(n, 2)`` vertices; the polygon must not cross 180°.
    """
    from matplotlib.path import Path as MplPath

    poly = np.asarray(polygon_lon_lat_deg, dtype=np.float64)
    if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3:
        raise ValueError(f"polygon must be (n >= 3, 2) (lon, lat) vertices, got {poly.shape}")
    lat, lon = np.meshgrid(grid.lat, (grid.lon + 180.0) % 360.0 - 180.0, indexing="ij")
    pts = np.column_stack([lon.ravel(), lat.ravel()])
    return MplPath(poly).contains_points(pts).reshape(lat.shape)


def _unit_vectors(grid: Grid) -> np.ndarray:
    lat, lon = np.meshgrid(np.radians(grid.lat), np.radians(grid.lon), indexing="ij")
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def nearest_distance_km(grid: Grid, from_mask, to_mask, *, chunk: int = 2048) -> np.ndarray:
    """Great-circle distance (km, on ``grid.radius_m``) from each cell of ``from_mask`` to
    the nearest cell centre of ``to_mask``.

    Returns:
        ``(n,)`` float64, one value per True cell of ``from_mask`` in C order.
    """
    u = _unit_vectors(grid)
    u_from, u_to = u[np.asarray(from_mask, bool)], u[np.asarray(to_mask, bool)]
    if len(u_to) == 0:
        raise ValueError("nearest_distance_km: the target region has no cell")
    out = np.empty(len(u_from))
    for i in range(0, len(u_from), chunk):
        cos = (u_from[i:i + chunk] @ u_to.T).max(axis=1)
        out[i:i + chunk] = np.arccos(np.clip(cos, -1.0, 1.0)) * grid.radius_m / 1000.0
    return out


def ocean_mask(grid: Grid, land, *, coast_buffer_deg: float) -> np.ndarray:
    """Ocean cells whose cap of radius ``coast_buffer_deg`` around them holds no land cell.

    Args:
        grid: the grid.
        land: boolean ``(nlat, nlon)`` land mask (e.g. ``land_mask(grid, hydrology_only=False)``).
        coast_buffer_deg: cap radius, degrees.
    """
    from .sphere import cap_average

    land = np.asarray(land, dtype=bool)
    near_land = np.asarray(cap_average(land.astype(np.float64), grid, coast_buffer_deg)) > 0
    return ~land & ~near_land


def area_weights(grid: Grid, mask) -> np.ndarray:
    """Cell areas over the mask normalised to sum 1, shape ``(nlat, nlon)``; 0 outside."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != grid.shape:
        raise ValueError(f"mask has shape {mask.shape}, grid is {grid.shape}")
    if not mask.any():
        raise ValueError("mask is empty: no cell to average over")
    w = np.where(mask, grid.cell_area, 0.0)
    return w / w.sum()


def _region(grid: Grid, region) -> np.ndarray:
    region = np.asarray(region, dtype=bool)
    if region.shape != grid.shape:
        raise ValueError(f"region has shape {region.shape}, grid is {grid.shape}")
    if not region.any():
        raise ValueError("region is empty: no cell to integrate over")
    return region


def region_mean(x, grid: Grid, region) -> np.ndarray:
    """Area-weighted mean of ``x`` ``(..., nlat, nlon)`` over ``region``; shape ``(...)``."""
    region = _region(grid, region)
    area = np.asarray(grid.cell_area)[region]
    return np.asarray(x)[..., region].astype(np.float64) @ area / area.sum()


def region_mass_gt(lwe_mm, grid: Grid, region) -> np.ndarray:
    """Mass (Gt) of a liquid-water-equivalent thickness ``(..., nlat, nlon)`` in mm over
    ``region``: mm → m, × cell area (m²), × ρ_water (kg/m³), / 10¹² kg/Gt."""
    region = _region(grid, region)
    area = np.asarray(grid.cell_area)[region]
    return (np.asarray(lwe_mm)[..., region].astype(np.float64) @ area
            * 1e-3 * RHO_WATER_KG_M3 / 1e12)
