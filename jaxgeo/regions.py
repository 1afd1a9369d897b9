"""Regions on a :class:`~jaxgeo.Grid`: land and ocean masks, polygons, distance buffers,
region means and masses.

Land comes from the GLOBE 1 km land–sea mask (GLOBE Task Team 1999, NOAA NGDC), as
packaged by the ``global-land-mask`` PyPI project; cells are classed by their area fraction
of land. Regions are boolean ``(nlat, nlon)`` arrays in grid order.
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._grid import Grid
from .constants import RHO_WATER_KG_M3
from .seasonal import SeriesFit, fit_series

__all__ = [
    "COASTAL_BAND",
    "LAND",
    "MARGINAL_SEA",
    "MARGINAL_SEAS",
    "OCEAN_CLASSES",
    "OPEN_OCEAN",
    "RegionSeries",
    "area_weights",
    "coast_distance_km",
    "geojson_mask",
    "land_fraction",
    "land_mask",
    "nearest_distance_km",
    "ocean_classes",
    "ocean_domain",
    "ocean_mask",
    "polygon_mask",
    "region_mass_gt",
    "region_mean",
    "region_series",
    "regionmask_mask",
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


def _geometries(doc, where: str):
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection":
        for i, feat in enumerate(doc.get("features") or []):
            yield from _geometries(feat, f"{where} feature {i}")
    elif kind == "Feature":
        yield from _geometries(doc.get("geometry"), where)
    elif kind == "Polygon":
        yield where, [doc.get("coordinates")]
    elif kind == "MultiPolygon":
        yield where, doc.get("coordinates")
    else:
        raise ValueError(f"{where}: geometry type {kind!r} is not supported (Polygon, "
                         "MultiPolygon, Feature or FeatureCollection)")


def geojson_mask(grid: Grid, geojson) -> np.ndarray:
    """Cells whose centre lies inside the (Multi)Polygons of a GeoJSON document.

    Holes (inner rings) are left out. Longitudes must be in [−180, 180] and no polygon may
    cross 180° (as :func:`polygon_mask`).

    Args:
        grid: the grid.
        geojson: path of a GeoJSON file, or the parsed document (a dict).

    Returns:
        boolean ``(nlat, nlon)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, an unsupported geometry, a bad ring or longitude (naming the
            feature), or no cell centre inside any polygon.
    """
    where = "GeoJSON"
    if not isinstance(geojson, dict):
        path = Path(geojson)
        where = str(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: GeoJSON file not found")
        try:
            geojson = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a JSON file ({exc})") from None
    mask = np.zeros(grid.shape, dtype=bool)
    for name, polygons in _geometries(geojson, where):
        for rings in polygons or []:
            for r, ring in enumerate(rings or []):
                try:
                    xy = np.asarray(ring, dtype=np.float64)[:, :2]
                except (TypeError, ValueError, IndexError):
                    raise ValueError(f"{name}: ring {r} is not a list of [lon, lat] "
                                     "positions") from None
                if xy.shape[0] < 3 or not np.isfinite(xy).all():
                    raise ValueError(f"{name}: ring {r} needs at least 3 finite positions")
                if np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90:
                    raise ValueError(f"{name}: ring {r} has a longitude outside [-180, 180] "
                                     "or a latitude outside [-90, 90]")
                inside = polygon_mask(grid, xy)
                mask = mask & ~inside if r else mask | inside
    if not mask.any():
        raise ValueError(f"{where}: no cell centre of the {grid.resolution_deg:g}° grid lies "
                         "inside its polygons")
    return mask


def regionmask_mask(grid: Grid, regions, key=None) -> np.ndarray:
    """Cells whose centre lies inside a region of the ``regionmask`` package.

    Its polygons go through :func:`geojson_mask` (centre-in-polygon, holes left out), so a
    ``regionmask`` region selects the same cells as its outline given as GeoJSON.
    ``regionmask`` itself is not a dependency: pass its objects.

    Args:
        grid: the grid.
        regions: a ``regionmask.Regions`` (e.g. ``regionmask.defined_regions.ar6.land``)
            with ``key``, or one region (``regions[key]``).
        key: the region's number, abbreviation or name (``"AMZ"``, ``7``, ``"Amazon"``).

    Raises:
        ValueError: no such region (naming the ones there are), a polygon crossing 180°,
            or no cell centre inside it.

    Reference: Hauser et al. (2024), regionmask, doi:10.5281/zenodo.3891544.
    """
    one = regions
    if key is not None:
        try:
            one = regions[key]
        except (KeyError, ValueError, IndexError, TypeError):
            known = ", ".join(map(str, getattr(regions, "abbrevs", [])[:12]))
            raise ValueError(f"regionmask: no region {key!r} in "
                             f"{getattr(regions, 'name', 'the regions')} ({known}, ...)") from None
    poly = getattr(one, "polygon", None)
    if poly is None or not hasattr(poly, "__geo_interface__"):
        raise ValueError("regionmask_mask needs a regionmask.Regions with a key, or one region "
                         f"(with a shapely .polygon), got {type(one).__name__}")
    geometry = poly.__geo_interface__
    polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                else list(geometry["coordinates"]))
    shifted = []
    for rings in polygons:  # rings wholly east of 180° (a 0–360 outline) move by −360°
        shifted.append([[(x - 360.0 if min(p[0] for p in ring) >= 180.0 else x, y)
                         for x, y, *_ in ring] for ring in rings])
    doc = {"type": "MultiPolygon", "coordinates": shifted}
    name = getattr(one, "abbrev", None) or getattr(one, "name", "region")
    try:
        return geojson_mask(grid, doc)
    except ValueError as exc:
        raise ValueError(f"regionmask region {name}: "
                         f"{str(exc).removeprefix('GeoJSON: ')}") from None


class RegionSeries(NamedTuple):
    """Region mean and mass of a gridded water series, with their trend/seasonal fits."""

    time: np.ndarray
    mean_mm: np.ndarray
    """``(T,)`` area-weighted mean, mm of water."""
    mass_gt: np.ndarray
    """``(T,)`` mass, Gt."""
    mean_fit: SeriesFit
    mass_fit: SeriesFit
    area_km2: float


def region_series(lwe_mm, time, grid: Grid, region, *, gain: float = 1.0,
                  harmonics: int = 2) -> RegionSeries:
    """Region mean (mm) and mass (Gt) of a grid series with mean, trend, annual and
    semi-annual amplitude/peak month and their standard errors
    (:func:`jaxgeo.seasonal.fit_series`).

    Args:
        lwe_mm: ``(T, nlat, nlon)`` liquid-water-equivalent thickness, mm.
        time: ``(T,)`` datetime64.
        grid: the grid.
        region: boolean ``(nlat, nlon)`` (:func:`polygon_mask`, :func:`geojson_mask`,
            :func:`land_mask`, :func:`ocean_mask`).
        gain: leakage scaling factor applied to the series
            (:func:`jaxgeo.grace.region_gain`), 1 by default.
        harmonics: seasonal harmonics of the fit (2: annual and semi-annual).

    Raises:
        ValueError: shapes that do not match, an empty region, a non-finite gain, or a
            non-finite value inside the region (naming the month and cell).
    """
    region = _region(grid, region)
    x = np.asarray(lwe_mm, dtype=np.float64)
    time = np.asarray(time)
    if x.ndim != 3 or x.shape[1:] != grid.shape or x.shape[0] != time.shape[0]:
        raise ValueError(f"region_series: values must have shape ({time.shape[0]}, "
                         f"{grid.nlat}, {grid.nlon}) (months, lat, lon), got {x.shape}")
    if not np.isfinite(gain):
        raise ValueError(f"region_series: gain must be finite, got {gain!r}")
    bad = ~np.isfinite(x) & region
    if bad.any():
        t, i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"region_series: value is {x[t, i, j]} at month {str(time[t])[:10]} "
                         f"in cell (lat {grid.lat[i]:g}°, lon {grid.lon[j]:g}°) inside the region")
    mean = region_mean(x, grid, region) * gain
    mass = region_mass_gt(x, grid, region) * gain
    return RegionSeries(time, mean, mass, fit_series(time, mean, harmonics=harmonics),
                        fit_series(time, mass, harmonics=harmonics),
                        float(np.asarray(grid.cell_area)[region].sum() / 1e6))


# ocean classes (open ocean, coastal band, marginal seas) live in their own module
from ._ocean_regions import (  # noqa: E402
    COASTAL_BAND,
    LAND,
    MARGINAL_SEA,
    MARGINAL_SEAS,
    OCEAN_CLASSES,
    OPEN_OCEAN,
    coast_distance_km,
    ocean_classes,
    ocean_domain,
)
