"""Foundation: the one adapter between xarray objects and a :class:`~jaxgeo.Grid`.

xarray lives at jaxgeo's edges; inside, fields are arrays ``(..., nlat, nlon)`` in grid
order (latitude ascending, longitude from ``grid.lon_start``). :func:`on_grid` is the only
way an xarray object is put on a grid, and :func:`check_mask` the only mask rule:

* a mask is boolean or numeric in [0, 1];
* operators use it as weights (``weights=True``); membership users (downscaling, regions)
  ask for ``weights=False`` and get booleans, refusing fractional values;
* NaN or ±inf in a mask is always an error, never silently 0 or 1; an empty mask is an error.
"""

from __future__ import annotations

import numpy as np

from ._grid import Grid, to_grid_order

__all__ = ["check_mask", "coord_names", "grid_of", "on_grid", "open_dataset", "to_dataarray",
           "to_grid_order"]


def coord_names(obj) -> tuple[str, str]:
    """Names of the latitude and longitude coordinates of an xarray object."""
    return Grid.coord_names(obj)


def grid_of(obj, *, name: str | None = None) -> Grid:
    """The :class:`~jaxgeo.Grid` of an xarray object; errors start with ``name``."""
    try:
        return Grid.from_xarray(obj)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}" if name else str(exc)) from None


def _same_grid(a: Grid, b: Grid) -> bool:
    """Same cells, up to a rotation of whole cells in longitude."""
    if a.resolution_deg != b.resolution_deg:
        return False
    cells = ((a.lon_start - b.lon_start) % 360.0) / a.resolution_deg
    return abs(cells - round(cells)) < 1e-6


def on_grid(obj, grid: Grid | None = None, *, name: str, leading: tuple[str, ...] | None = None,
            dtype=np.float64) -> tuple[np.ndarray, Grid]:
    """Values of a DataArray as ``(..., nlat, nlon)`` in the order of ``grid``.

    Args:
        obj: an ``xarray.DataArray`` on a regular global grid (descending latitude and any
            longitude start are fine).
        grid: the grid the values must lie on (same resolution, longitudes equal up to a
            whole-cell rotation); None: the object's own grid.
        name: what ``obj`` is, for error messages (a variable or file name).
        leading: the dimensions other than lat/lon, in the order wanted (``("time",)``);
            None: any, kept in their order.
        dtype: dtype of the returned values (None keeps the object's).

    Returns:
        ``(values, grid)``: numpy values with latitude ascending and longitude starting at
        ``grid.lon_start``, and the grid.

    Raises:
        TypeError: ``obj`` is not a DataArray.
        ValueError: no lat/lon, an irregular or non-global grid, another grid than
            ``grid``, or other dimensions than ``leading``; the message names ``name``.
    """
    import xarray as xr

    if not isinstance(obj, xr.DataArray):
        raise TypeError(f"{name} must be an xarray.DataArray, got {type(obj).__name__}")
    try:
        lat_name, lon_name = coord_names(obj)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    own = grid_of(obj, name=name)
    if grid is not None and not _same_grid(own, grid):
        raise ValueError(f"{name} is on a {own.resolution_deg:g}° grid starting at lon "
                         f"{own.lon_start:g}, expected {grid.resolution_deg:g}° starting at "
                         f"{grid.lon_start:g}")
    target = own if grid is None else grid
    others = tuple(d for d in obj.dims if d not in (lat_name, lon_name))
    if leading is not None:
        if set(others) != set(leading) or len(others) != len(leading):
            want = (*leading, "lat", "lon")
            raise ValueError(f"{name} must have dims {want}, got {tuple(obj.dims)}")
        others = tuple(leading)
    da = to_grid_order(obj).transpose(*others, lat_name, lon_name)
    lon = np.asarray(da[lon_name].values, dtype=np.float64)
    order = np.argsort(np.mod(lon - target.lon_start + 1e-9 * target.resolution_deg, 360.0))
    values = np.asarray(da.values)
    if dtype is not None:
        values = values.astype(dtype, copy=False)
    if np.any(order != np.arange(order.size)):
        values = values[..., order]
    return values, target


def check_mask(mask, grid: Grid, *, name: str = "mask", weights: bool = True,
               required: bool = False, allow_empty: bool = False) -> np.ndarray | None:
    """Validate a mask on ``grid`` under the one mask rule (module docstring).

    Args:
        mask: None, an ``(nlat, nlon)`` array (grid order) or a DataArray on ``grid``.
        grid: the data grid.
        name: what the mask is, for error messages.
        weights: return float64 weights in [0, 1]; False: booleans, and only 0/1 accepted.
        required: raise if ``mask`` is None.
        allow_empty: accept a mask with no positive cell.

    Returns:
        float64 weights or booleans ``(nlat, nlon)``, or None when ``mask`` is None.
    """
    if mask is None:
        if required:
            raise ValueError(f"{name} is required: a (lat, lon) boolean array or DataArray that "
                             "is True where the fields are valid (e.g. the land mask)")
        return None
    if hasattr(mask, "dims") and hasattr(mask, "values"):
        m, _ = on_grid(mask, grid, name=name, leading=(), dtype=None)
    else:
        m = np.asarray(mask)
    if m.shape != grid.shape:
        raise ValueError(f"{name} has shape {m.shape}, expected the grid's (nlat, nlon) = "
                         f"{grid.shape}")
    if m.dtype != bool:
        if not np.issubdtype(m.dtype, np.number):
            raise ValueError(f"{name} must be boolean or numbers in [0, 1], got dtype {m.dtype}")
        m = m.astype(np.float64)
        bad = ~np.isfinite(m)
        if bad.any():
            i, j = np.unravel_index(int(np.argmax(bad)), m.shape)
            raise ValueError(f"{name} has {int(bad.sum())} NaN/inf value(s) (first at lat "
                             f"{grid.lat[i]:g}, lon {grid.lon[j]:g}); use 0 for excluded cells")
        if m.min() < 0 or m.max() > 1:
            raise ValueError(f"{name} values must lie in [0, 1], got [{m.min():g}, {m.max():g}]")
        if not weights and not np.all((m == 0) | (m == 1)):
            raise ValueError(f"{name} must be boolean (or 0/1): fractional weights are not "
                             "accepted here")
    if not allow_empty and not np.any(m):
        raise ValueError(f"{name} is empty (no cell selected)")
    if weights:
        return m.astype(np.float64)
    return m.astype(bool)


def to_dataarray(values, grid: Grid, *, name: str, units: str, time=None, attrs=None):
    """An ``xarray.DataArray`` ``([time,] lat, lon)`` on ``grid`` with CF coordinates.

    Args:
        values: ``(nlat, nlon)`` or ``(T, nlat, nlon)`` in grid order.
        grid: the grid.
        name: variable name (glossary: ``lwe_thickness`` for water storage).
        units: the ``units`` attribute.
        time: ``(T,)`` datetime64 for 3-D values.
        attrs: further attributes.
    """
    import xarray as xr

    values = np.asarray(values)
    coords = grid.to_xarray_coords()
    dims: tuple[str, ...] = ("lat", "lon")
    if values.ndim == 3:
        if time is None:
            raise ValueError(f"{name}: 3-D values need a time coordinate")
        coords = {"time": np.asarray(time), **coords}
        dims = ("time", *dims)
    elif values.ndim != 2:
        raise ValueError(f"{name}: values must be (nlat, nlon) or (time, nlat, nlon), got "
                         f"{values.shape}")
    if values.shape[-2:] != grid.shape:
        raise ValueError(f"{name}: values have shape {values.shape}, grid is {grid.shape}")
    return xr.DataArray(values, coords=coords, dims=dims, name=name,
                        attrs={"units": units, **(attrs or {})})


def steps_with_values(da, dim: str = "time") -> np.ndarray:
    """Boolean ``(da.sizes[dim],)``: the steps along ``dim`` where ``da`` has any non-NaN
    value (e.g. the months a field covers)."""
    other = [d for d in da.dims if d != dim]
    return np.asarray((da.notnull().any(other) if other else da.notnull()).values)


def open_dataset(path, *, what: str = "input", load: bool = True, **kwargs):
    """Open a NetCDF file (or Zarr store) as an ``xarray.Dataset``, errors naming the file.

    The one reader entry of jaxgeo: missing, empty, directory-instead-of-file, truncated
    (classic files shorter than their header declares) or non-NetCDF inputs raise a
    one-line ``FileNotFoundError``/``ValueError`` that starts with ``path``, instead of the
    backends' many different messages (which often omit the file).

    Args:
        path: the file; a ``.zarr`` directory (or one holding ``.zgroup``/``zarr.json``)
            is opened as a Zarr store, any other directory is refused.
        what: what the file should be, for the messages (``"mascon"``, ``"ERA5"``...).
        load: read the values into memory and close the file; False returns the open,
            lazily indexed Dataset (the caller closes it).
        kwargs: passed to ``xarray.open_dataset`` (e.g. ``chunks={}`` for dask arrays).
    """
    from pathlib import Path

    import xarray as xr

    from ._io import _a, check_input_file

    p = Path(path)
    if is_zarr_store(p):
        try:
            return xr.open_zarr(p, **kwargs)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{p}: not a readable Zarr store ({_first_line(exc)})") from None
    check_input_file(p, what)
    if p.stat().st_size == 0:
        raise ValueError(f"{p}: empty file, not {_a(what)} NetCDF file")
    with p.open("rb") as fh:
        magic = fh.read(8)
    if not (magic.startswith(b"CDF") or magic.startswith(b"\x89HDF")):
        raise ValueError(f"{p}: not a NetCDF file (the {what} must be NetCDF-3 or -4)")
    from ._netcdf3 import check_netcdf3_complete

    check_netcdf3_complete(p)  # a cut classic file would read as fill or garbage
    try:
        if not load:
            return xr.open_dataset(p, **kwargs)
        with xr.open_dataset(p, **kwargs) as ds:
            return ds.load()
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"{p}: truncated or unreadable {what} NetCDF file "
                         f"({_first_line(exc)})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{p}: cannot decode the {what} NetCDF file ({_first_line(exc)})"
                         ) from None


def is_zarr_store(path) -> bool:
    """A directory named ``*.zarr`` or holding Zarr metadata (``.zgroup``, ``zarr.json``)."""
    from pathlib import Path

    p = Path(path)
    return p.is_dir() and (p.suffix == ".zarr" or (p / ".zgroup").exists()
                           or (p / "zarr.json").exists())


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 200 characters."""
    return " ".join(str(exc).split())[:200] or type(exc).__name__
