"""The ``DataArray.jaxgeo`` accessor: spherical operators on labelled (…, lat, lon) data."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._dtype import input_float_dtype
from .._grid import Grid
from .._xarray import coord_names, grid_of, to_grid_order
from ._operator import CapAverage, GaussianSmooth


@xr.register_dataarray_accessor("jaxgeo")
class JaxgeoAccessor:
    """jaxgeo operations on a DataArray with latitude and longitude dimensions.

    Examples:
        >>> smooth = da.jaxgeo.cap_average(radius_deg=3.0, mask=land)
        >>> da.jaxgeo.grid
        Grid(resolution_deg=0.5, lon_start=-180.0, radius_m=6371000.0)
    """

    def __init__(self, obj: xr.DataArray):
        self._obj = obj

    @property
    def grid(self) -> Grid:
        """The regular global :class:`~jaxgeo.Grid` of this array (raises if it has none)."""
        return grid_of(self._obj)

    def apply(self, op, *, name_suffix: str | None = None) -> xr.DataArray:
        """Apply a jaxgeo operator over the lat/lon dims, keeping the other dims, coords, attrs.

        Args:
            op: a :class:`~jaxgeo.sphere.IsotropicOperator` built on this array's grid.
        """
        da = self._obj
        lat_name, lon_name = coord_names(da)
        grid = self.grid
        if op.grid != grid:
            raise ValueError(f"operator is built on {op.grid}, data are on {grid}")
        descending = da[lat_name].values[0] > da[lat_name].values[-1]
        ordered = to_grid_order(da)
        other = [d for d in ordered.dims if d not in (lat_name, lon_name)]
        ordered = ordered.transpose(*other, lat_name, lon_name)
        values = np.asarray(ordered.values)
        in_dtype = values.dtype if np.issubdtype(values.dtype, np.floating) else np.float64
        result = np.asarray(op(values.astype(in_dtype, copy=False))).astype(in_dtype)
        if op.targets is None:
            out = ordered.copy(data=result)
        else:
            tgt = op.targets
            coords = {k: v for k, v in ordered.coords.items()
                      if lat_name not in v.dims and lon_name not in v.dims}
            coords[lat_name] = (lat_name, tgt.lat, ordered[lat_name].attrs)
            coords[lon_name] = (lon_name, tgt.lon, ordered[lon_name].attrs)
            out = xr.DataArray(result, dims=ordered.dims, coords=coords, attrs=ordered.attrs,
                               name=ordered.name)
        if descending:
            out = out.isel({lat_name: slice(None, None, -1)})
        out = out.transpose(*da.dims)
        out.attrs = dict(da.attrs)
        if name_suffix and da.name is not None:
            out.name = f"{da.name}{name_suffix}"
        return out

    def cap_average(self, radius_deg: float, *, mask=None, targets: Grid | None = None):
        """Area-weighted spherical-cap mean of radius ``radius_deg`` (see CapAverage).

        ``mask`` may be a boolean/[0, 1] DataArray on the same grid (any lat order) or an
        array in ascending-latitude order.
        """
        op = CapAverage(self.grid, radius_deg, mask=mask, targets=targets,
                        dtype=input_float_dtype(self._obj))
        return self.apply(op)

    def gaussian_smooth(self, half_width_km: float, *, mask=None, targets: Grid | None = None):
        """Jekeli/Wahr Gaussian smoothing of half-width ``half_width_km`` (see GaussianSmooth)."""
        op = GaussianSmooth(self.grid, half_width_km, mask=mask, targets=targets,
                            dtype=input_float_dtype(self._obj))
        return self.apply(op)

