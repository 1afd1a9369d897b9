"""The regular, global, cell-centred latitude-longitude grid shared by every jaxgeo pillar."""

from __future__ import annotations

import dataclasses
import math
from functools import cached_property

import numpy as np

from .constants import EARTH_RADIUS_M

_LAT_NAMES = ("lat", "latitude", "y", "nav_lat")
_LON_NAMES = ("lon", "longitude", "x", "nav_lon")


@dataclasses.dataclass(frozen=True)
class Grid:
    """A regular, global, cell-centred lat-lon grid.

    Latitudes ascend from ``-90 + res/2`` to ``90 - res/2``; longitudes ascend from
    ``lon_start + res/2`` and wrap after 360°. The grid is hashable, so it can be
    static metadata of jitted operators.

    Attributes:
        resolution_deg: cell size in degrees (180 and 360 must be integer multiples).
        lon_start: western edge of the first longitude cell, degrees (-180 or 0 usually).
        radius_m: sphere radius used for :attr:`cell_area`, metres.
    """

    resolution_deg: float
    lon_start: float = -180.0
    radius_m: float = EARTH_RADIUS_M

    def __post_init__(self):
        res = float(self.resolution_deg)
        if not math.isfinite(res) or res <= 0:
            raise ValueError(f"Grid resolution_deg must be a positive number, got {res!r}")
        nlat = 180.0 / res
        nlon = 360.0 / res
        if abs(nlat - round(nlat)) > 1e-9 * nlat or abs(nlon - round(nlon)) > 1e-9 * nlon:
            raise ValueError(
                f"Grid resolution_deg={res} does not divide 180° and 360° into whole cells"
            )
        if not (math.isfinite(self.lon_start) and -180.0 <= self.lon_start < 360.0):
            # further out the coordinates are valid angles but no reader or writer expects them
            raise ValueError(f"Grid lon_start must be in [-180, 360) degrees, got "
                             f"{self.lon_start!r}")
        if not (math.isfinite(self.radius_m) and self.radius_m > 0):
            raise ValueError(f"Grid radius_m must be a positive number, got {self.radius_m!r}")
        object.__setattr__(self, "resolution_deg", res)
        object.__setattr__(self, "lon_start", float(self.lon_start))
        object.__setattr__(self, "radius_m", float(self.radius_m))

    @classmethod
    def regular(cls, resolution_deg: float, lon_start: float = -180.0, *,
                radius_m: float = EARTH_RADIUS_M) -> Grid:
        """A global cell-centred grid of ``resolution_deg`` cells, first lon edge ``lon_start``."""
        return cls(resolution_deg, lon_start, radius_m)

    # -- geometry ---------------------------------------------------------------------------
    @property
    def nlat(self) -> int:
        return int(round(180.0 / self.resolution_deg))

    @property
    def nlon(self) -> int:
        return int(round(360.0 / self.resolution_deg))

    @property
    def shape(self) -> tuple[int, int]:
        """``(nlat, nlon)``."""
        return (self.nlat, self.nlon)

    @cached_property
    def lat(self) -> np.ndarray:
        """Cell-centre latitudes, degrees, ascending, shape ``(nlat,)``."""
        lat = -90.0 + self.resolution_deg * (np.arange(self.nlat) + 0.5)
        lat.setflags(write=False)
        return lat

    @cached_property
    def lon(self) -> np.ndarray:
        """Cell-centre longitudes, degrees, ascending, shape ``(nlon,)``."""
        lon = self.lon_start + self.resolution_deg * (np.arange(self.nlon) + 0.5)
        lon.setflags(write=False)
        return lon

    @cached_property
    def lat_edges(self) -> np.ndarray:
        """Latitude cell edges, degrees, shape ``(nlat + 1,)``; exactly ±90 at the ends."""
        edges = -90.0 + self.resolution_deg * np.arange(self.nlat + 1)
        edges[0], edges[-1] = -90.0, 90.0
        edges.setflags(write=False)
        return edges

    @cached_property
    def row_area(self) -> np.ndarray:
        """Area of one cell in each latitude row, m², shape ``(nlat,)`` (float64).

        Exact band formula ``R² Δλ (sin φ_north − sin φ_south)``.
        """
        s = np.sin(np.deg2rad(self.lat_edges))
        area = self.radius_m**2 * np.deg2rad(self.resolution_deg) * np.diff(s)
        area.setflags(write=False)
        return area

    @cached_property
    def cell_area(self) -> np.ndarray:
        """Cell areas, m², shape ``(nlat, nlon)`` (float64); sums to ``4 π R²``."""
        area = np.broadcast_to(self.row_area[:, None], self.shape)
        return area

    def lon_index(self, lon_deg) -> np.ndarray:
        """Fractional column index of longitudes (cell centres fall on integers), wrapped."""
        p = (np.asarray(lon_deg, dtype=np.float64) - self.lon_start) / self.resolution_deg - 0.5
        return np.mod(p, self.nlon)

    # -- xarray interop -------------------------------------------------------------------
    @staticmethod
    def coord_names(obj) -> tuple[str, str]:
        """Names of the latitude and longitude coordinates of an xarray object."""
        lat = next((n for n in _LAT_NAMES if n in obj.coords or n in obj.dims), None)
        lon = next((n for n in _LON_NAMES if n in obj.coords or n in obj.dims), None)
        if lat is None or lon is None:
            raise ValueError(
                "could not find latitude/longitude coordinates; expected one of "
                f"{_LAT_NAMES} and one of {_LON_NAMES}, got coords {list(obj.coords)}"
            )
        return lat, lon

    @classmethod
    def from_xarray(cls, obj, *, radius_m: float = EARTH_RADIUS_M) -> Grid:
        """The grid of an xarray DataArray/Dataset.

        Descending latitude and 0–360 (or any) longitude starts are recognised; use
        :func:`jaxgeo.to_grid_order` to put data into the grid's ascending order.

        Raises:
            ValueError: irregular spacing, non-global coverage, or cells not centred on
                the regular grid.
        """
        lat_name, lon_name = cls.coord_names(obj)
        lat = np.asarray(obj[lat_name].values, dtype=np.float64)
        lon = np.asarray(obj[lon_name].values, dtype=np.float64)
        if lat.ndim != 1 or lon.ndim != 1:
            raise ValueError("latitude and longitude must be 1-D coordinates (a regular grid)")
        if lat.size < 2 or lon.size < 2:
            raise ValueError(f"grid needs at least 2 latitudes and 2 longitudes, got "
                             f"{lat.size} × {lon.size}")
        lat_sorted = np.sort(lat)
        dlat = np.diff(lat_sorted)
        res = 180.0 / lat.size
        if not np.allclose(dlat, res, rtol=0, atol=1e-6 * res):
            if np.allclose(dlat, dlat[0], rtol=0, atol=1e-6 * abs(dlat[0])):
                raise ValueError(
                    f"latitude does not cover the globe: {lat.size} rows of {dlat[0]:g}° span "
                    f"{lat_sorted[0]:g}..{lat_sorted[-1]:g}; jaxgeo needs a global grid"
                )
            raise ValueError(f"latitude spacing is irregular (min {dlat.min():g}°, "
                             f"max {dlat.max():g}°); jaxgeo needs a regular grid")
        if abs(lat_sorted[0] - (-90.0 + res / 2)) > 1e-6 * res:
            raise ValueError(f"latitudes are not cell centres: first is {lat_sorted[0]:g}, "
                             f"expected {-90 + res / 2:g} for a {res:g}° grid")
        if np.any(np.diff(lat) > 0) and np.any(np.diff(lat) < 0):
            raise ValueError("latitude is neither ascending nor descending")
        dlon = np.diff(lon)
        if abs(lon.size * res - 360.0) > 1e-6 * res:
            raise ValueError(
                f"longitude does not cover the globe at the latitude spacing {res:g}°: "
                f"{lon.size} columns (need {round(360 / res)})"
            )
        if not np.allclose(dlon, res, rtol=0, atol=1e-6 * res):
            raise ValueError("longitude must ascend with the same spacing as latitude "
                             f"({res:g}°); got steps {np.unique(np.round(dlon, 9))[:5]}")
        return cls(res, float(lon[0] - res / 2), radius_m)

    def check_xarray(self, obj) -> None:
        """Raise ValueError unless ``obj`` lies on this grid (up to lat order)."""
        other = Grid.from_xarray(obj, radius_m=self.radius_m)
        shift = (other.lon_start - self.lon_start) % 360.0
        same_lon = min(shift, 360.0 - shift) < 1e-6
        if other.resolution_deg != self.resolution_deg or not same_lon:
            raise ValueError(f"data are on {other}, expected {self}")

    def to_xarray_coords(self) -> dict:
        """Coordinates ``{'lat': ..., 'lon': ...}`` with CF attributes."""
        import xarray as xr

        return {
            "lat": xr.Variable("lat", self.lat, {"units": "degrees_north",
                                                 "standard_name": "latitude"}),
            "lon": xr.Variable("lon", self.lon, {"units": "degrees_east",
                                                 "standard_name": "longitude"}),
        }


def to_grid_order(obj):
    """Return ``obj`` with latitude ascending (the order of :class:`Grid`), coords kept."""
    lat_name, _ = Grid.coord_names(obj)
    lat = np.asarray(obj[lat_name].values)
    if lat.size > 1 and lat[1] < lat[0]:
        return obj.isel({lat_name: slice(None, None, -1)})
    return obj
