"""Readers of JPL and CSR GRACE/GRACE-FO mascon NetCDF products."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .._grid import Grid, to_grid_order
from ._shm import missing_months

_TO_MM = {"cm": 10.0, "centimeters": 10.0, "mm": 1.0, "millimeters": 1.0, "m": 1000.0,
          "meters": 1000.0}
_OUT_SCALE = {"mm": 1.0, "cm": 0.1, "m": 0.001}
_MASK_NAMES = ("land_mask", "LO_val", "mask", "land")
_SCALE_NAMES = ("scale_factor", "SCALE_FACTOR", "scale")


def _field(source, names, what: str):
    """A 2-D (lat, lon) field from a DataArray or the first matching variable of a file."""
    import xarray as xr

    if isinstance(source, xr.DataArray):
        return source, "<DataArray>"
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such {what} file")
    ds = xr.open_dataset(path, decode_times=False)
    name = next((n for n in names if n in ds.data_vars), None)
    if name is None:
        raise ValueError(f"{path}: no {what} variable (looked for {', '.join(names)}; "
                         f"has {', '.join(ds.data_vars)})")
    da = ds[name].load()
    da = da.squeeze(drop=True)
    if da.ndim != 2:
        raise ValueError(f"{path}: {what} variable {name!r} must be 2-D (lat, lon), got "
                         f"dims {da.dims}")
    return da, str(path)


def _on_grid(da, grid: Grid, where: str):
    """Reorder ``da`` to ascending lat and to ``grid``'s longitude start."""
    lat_name, lon_name = Grid.coord_names(da)
    native = Grid.from_xarray(da)
    if native.resolution_deg != grid.resolution_deg:
        raise ValueError(f"{where}: resolution {native.resolution_deg}° differs from the "
                         f"data's {grid.resolution_deg}°")
    da = to_grid_order(da)
    shift = (grid.lon_start - native.lon_start) % 360.0
    k = int(round(shift / grid.resolution_deg))
    if abs(k * grid.resolution_deg - shift) > 1e-6 * grid.resolution_deg:
        raise ValueError(f"{where}: longitudes are not on {grid}")
    values = np.roll(da.values, -k, axis=-1)
    return values, lat_name, lon_name


def open_mascon(path, *, scale_factor=None, land_mask=None, units: str = "mm",
                lon_start: float = -180.0, variable: str = "lwe_thickness"):
    """Open a JPL or CSR mascon NetCDF as a standard DataArray on a :class:`jaxgeo.Grid`.

    Longitudes (0–360 in the products) are rolled to start at ``lon_start``, latitude
    made ascending, ``lwe_thickness`` (cm in both products) converted to ``units``, time
    decoded from "days since 2002-01-01".

    Args:
        path: the mascon file (e.g. ``GRCTellus.JPL.*.MSCNv04CRI.nc`` or
            ``CSR_GRACE_GRACE-FO_RL06_Mascons_*.nc``).
        scale_factor: JPL CRI/CLM gain factors (file or DataArray, same grid); the field
            is multiplied where they are finite.
        land_mask: land mask (file with ``land_mask``/``LO_val`` or DataArray, same grid);
            cells where it is 0 become NaN.
        units: output units, ``"mm"``, ``"cm"`` or ``"m"`` of water.
        lon_start: western edge of the output grid's first column, degrees.
        variable: the data variable.

    Returns:
        float32 DataArray ``(time, lat, lon)`` named ``lwe_thickness``.

    Raises:
        ValueError: missing variable, unknown units, undecodable time, irregular grid
            (all naming the file). Warns (UserWarning) listing months without data.

    Reference: Watkins et al. (2015), J. Geophys. Res. 120, 2648 (JPL mascons);
    Save, Bettadpur & Tapley (2016), J. Geophys. Res. 121, 7547 (CSR mascons).
    """
    import xarray as xr

    path = Path(path)
    if units not in _OUT_SCALE:
        raise ValueError(f"units must be one of {sorted(_OUT_SCALE)}, got {units!r}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such mascon file")
    try:
        ds = xr.open_dataset(path)
    except ValueError as exc:
        raise ValueError(f"{path}: cannot decode ({exc})") from exc
    except OSError as exc:
        raise ValueError(f"{path}: not a readable NetCDF file ({exc})") from exc
    if variable not in ds.data_vars:
        raise ValueError(f"{path}: no variable {variable!r} (has {', '.join(ds.data_vars)})")
    da = ds[variable]
    if "time" not in da.dims or da.ndim != 3:
        raise ValueError(f"{path}: {variable} must be (time, lat, lon), got {da.dims}")
    if not np.issubdtype(da["time"].dtype, np.datetime64):
        raise ValueError(f"{path}: time is not decodable to dates (units "
                         f"{da['time'].attrs.get('units', 'missing')!r})")
    src_units = str(da.attrs.get("units", "")).strip().lower()
    if src_units not in _TO_MM:
        raise ValueError(f"{path}: unknown {variable} units {src_units!r}; expected cm, mm "
                         "or m")
    native = Grid.from_xarray(da)
    grid = Grid.regular(native.resolution_deg, lon_start)
    lat_name, lon_name = Grid.coord_names(da)
    da = da.transpose("time", lat_name, lon_name).sortby("time")
    values, _, _ = _on_grid(da.load(), grid, str(path))
    values = values.astype(np.float64) * (_TO_MM[src_units] * _OUT_SCALE[units])
    notes = [f"read from {path.name}"]
    if scale_factor is not None:
        sf, where = _field(scale_factor, _SCALE_NAMES, "scale factor")
        sf_v, _, _ = _on_grid(sf.transpose(*Grid.coord_names(sf)), grid, where)
        values = np.where(np.isfinite(sf_v), values * sf_v, values)
        notes.append(f"scale factors from {Path(where).name}")
    if land_mask is not None:
        lm, where = _field(land_mask, _MASK_NAMES, "land mask")
        lm_v, _, _ = _on_grid(lm.transpose(*Grid.coord_names(lm)), grid, where)
        values = np.where(np.nan_to_num(lm_v) > 0, values, np.nan)
        notes.append(f"land mask from {Path(where).name}")
    times = da["time"].values
    gaps = missing_months(times)
    if gaps:
        warnings.warn(f"{path}: {len(gaps)} calendar months without data: {', '.join(gaps)}",
                      UserWarning, stacklevel=2)
    coords = grid.to_xarray_coords()
    coords["time"] = xr.Variable("time", times.astype("datetime64[ns]"),
                                 {"long_name": "midpoint of the solution data span"})
    attrs = {
        "units": units,
        "long_name": "equivalent water thickness anomaly",
        "comment": "liquid water equivalent thickness (density 1000 kg/m3), GRACE mascons",
        "source_file": path.name,
        "history": "jaxgeo.grace.open_mascon: " + "; ".join(notes),
    }
    for key in ("institution", "title"):
        if key in ds.attrs:
            attrs[f"source_{key}"] = str(ds.attrs[key])
    out = xr.DataArray(values.astype(np.float32), dims=("time", "lat", "lon"),
                       coords=coords, attrs=attrs, name="lwe_thickness")
    ds.close()
    return out
