"""Readers of JPL and CSR GRACE/GRACE-FO mascon NetCDF products."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from .._grid import Grid
from .._xarray import check_mask, on_grid
from ..time import grace_month
from ..units import metres_per_unit, scale_from_metres
from ._gaps import reindex_months
from ._series import _gaps, grace_months

_MASK_NAMES = ("land_mask", "LO_val", "mask", "land")
_SCALE_NAMES = ("scale_factor", "SCALE_FACTOR", "scale")
_MAX_SCALE = 100.0
_MAX_MM = 2.0e4
_MIN_PEAK_MM = 10.0


def _open_netcdf(path: Path, what: str, **kwargs):
    """The lazily opened Dataset of ``path`` (one-line errors naming the file)."""
    from .._xarray import open_dataset

    return open_dataset(path, what=what, load=False, **kwargs)


def _field(source, names, what: str):
    """A 2-D (lat, lon) field from a DataArray or the first matching variable of a file,
    with the name errors should use."""
    import xarray as xr

    if isinstance(source, xr.DataArray):
        return source.squeeze(drop=True), f"{what} <DataArray>"
    path = Path(source)
    with _open_netcdf(path, what, decode_times=False) as ds:
        name = next((n for n in names if n in ds.data_vars), None)
        if name is None:
            raise ValueError(f"{path}: no {what} variable (looked for {', '.join(names)}; "
                             f"has {', '.join(ds.data_vars)})")
        da = ds[name].load().squeeze(drop=True)
    if da.ndim != 2:
        raise ValueError(f"{path}: {what} variable {name!r} must be 2-D (lat, lon), got "
                         f"dims {da.dims}")
    return da, f"{path}: {what} {name!r}"


def _check_scale(sf, where: str) -> None:
    """Gain factors: NaN marks cells without one, but ±inf, an all-NaN field or factors
    beyond ±100 are not gains (JPL's are of order 1)."""
    if np.isinf(sf).any():
        raise ValueError(f"{where}: {int(np.isinf(sf).sum())} infinite scale factor(s)")
    if not np.isfinite(sf).any():
        raise ValueError(f"{where}: every scale factor is NaN; nothing would be scaled")
    if np.nanmax(np.abs(sf)) > _MAX_SCALE:
        raise ValueError(f"{where}: implausible scale factor {np.nanmax(np.abs(sf)):.6g} "
                         f"(gain factors are of order 1; limit {_MAX_SCALE:g})")


def _check_values(mm, path, variable, units, times) -> None:
    """Refuse ±inf and values that contradict the units label (in mm: GRACE anomalies
    stay within ±20 m of water, and a global field reaches several mm somewhere)."""
    bad = np.isinf(mm)
    if bad.any():
        t, i, j = np.argwhere(bad)[0]
        raise ValueError(f"{path}: {variable} is infinite at {str(times[t])[:10]} (row {i}, "
                         f"column {j}); {int(bad.sum())} infinite value(s)")
    if not np.isfinite(mm).any():
        return
    peak = float(np.nanmax(np.abs(mm)))
    if peak > _MAX_MM or (mm[0].size >= 1000 and peak < _MIN_PEAK_MM):
        raise ValueError(f"{path}: {variable} labelled {units!r} reaches {peak:.6g} mm of "
                         f"water, outside the plausible {_MIN_PEAK_MM:g}..{_MAX_MM:g} mm; "
                         "the units label contradicts the values")


def _month_labels(path, ds, times) -> np.ndarray:
    """GRACE month of each time: by the span in ``time_bounds`` when the file has it
    (special months keep their number), else by calendar month; duplicates are errors."""
    b = next((ds[n] for n in ("time_bounds", "time_bnds") if n in ds.variables), None)
    if b is not None and b.ndim == 2 and b.shape[0] == len(times):
        v = b.values
        if not np.issubdtype(v.dtype, np.datetime64):
            m = re.match(r"days since (\d{4}-\d{2}-\d{2})", str(
                b.attrs.get("units") or ds["time"].encoding.get("units", "")))
            v = None if m is None else (np.datetime64(m.group(1), "s") + np.rint(
                np.asarray(v, np.float64) * 86400).astype("timedelta64[s]"))
        if v is not None:
            names = [f"{path.name} time {str(t)[:10]}" for t in times]
            return grace_months(v[:, 0], v[:, 1], paths=names)
    labels = grace_month(times)
    dup = np.flatnonzero(labels[1:] == labels[:-1])
    if dup.size:
        raise ValueError(f"{path}: two times in month {str(times[dup[0]])[:7]} "
                         f"({str(times[dup[0]])[:10]}, {str(times[dup[0] + 1])[:10]}) and no "
                         "time_bounds to tell them apart")
    return labels


def _source_name(source) -> str:
    return "a DataArray" if hasattr(source, "dims") else Path(source).name


def open_mascon(path, *, scale_factor=None, land_mask=None, units: str = "mm",
                lon_start: float = -180.0, variable: str = "lwe_thickness",
                complete_months: bool = False, interpolate_gaps: bool = False):
    """Open a JPL or CSR mascon NetCDF as a standard DataArray on a :class:`jaxgeo.Grid`.

    Longitudes (0–360 in the products) are rolled to start at ``lon_start``, latitude
    made ascending, ``lwe_thickness`` (cm in both products) converted to ``units``, time
    decoded from "days since 2002-01-01".

    Args:
        path: the mascon file (e.g. ``GRCTellus.JPL.*.MSCNv04CRI.nc`` or
            ``CSR_GRACE_GRACE-FO_RL06_Mascons_*.nc``).
        scale_factor: JPL CRI/CLM gain factors (file or DataArray, same grid); the field
            is multiplied where they are finite.
        land_mask: land mask (file with ``land_mask``/``LO_val`` or DataArray, same grid):
            booleans or 0/1 (``jaxgeo.check_mask``; NaN or fractions are an error, never
            read as 0); cells where it is 0 become NaN.
        units: output units, ``"mm"``, ``"cm"`` or ``"m"`` of water.
        lon_start: western edge of the output grid's first column, degrees.
        variable: the data variable.
        complete_months, interpolate_gaps: put the result on a complete monthly axis,
            gaps NaN and ``observed=False`` (and, with ``interpolate_gaps``, filled by
            linear interpolation in time); see :func:`jaxgeo.grace.reindex_months`. The
            months are those of ``time_bounds`` when the file has it (coordinate
            ``grace_month``).

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
    for flag, value in (("complete_months", complete_months),
                        ("interpolate_gaps", interpolate_gaps)):
        if not isinstance(value, bool):
            raise ValueError(f"open_mascon: {flag} must be True or False, got {value!r}")
    out_scale = scale_from_metres(units) / 1000.0  # mm -> units
    ds = _open_netcdf(path, "mascon")
    if variable not in ds.data_vars:
        raise ValueError(f"{path}: no variable {variable!r} (has {', '.join(ds.data_vars)})")
    da = ds[variable]
    if "time" not in da.dims or da.ndim != 3:
        raise ValueError(f"{path}: {variable} must be (time, lat, lon), got {da.dims}")
    if not np.issubdtype(da["time"].dtype, np.datetime64):
        raise ValueError(f"{path}: time is not decodable to dates (units "
                         f"{da['time'].attrs.get('units', 'missing')!r})")
    src_units = str(da.attrs.get("units", "")).strip().lower()
    src_metres = metres_per_unit(src_units)
    if src_metres is None:
        raise ValueError(f"{path}: unknown {variable} units {src_units!r}; expected cm, mm "
                         "or m")
    try:
        native = Grid.from_xarray(da)
    except ValueError as exc:  # also what a truncated NetCDF-3 file usually gives
        raise ValueError(f"{path}: {exc} (truncated or not a global mascon file?)") from None
    grid = Grid.regular(native.resolution_deg, lon_start)
    da = da.sortby("time")
    values, _ = on_grid(da.load(), grid, name=str(path), leading=("time",))
    values = values * (1000.0 * src_metres)
    _check_values(values, path, variable, src_units, da["time"].values)
    values = values * out_scale
    notes = [f"read from {path.name}"]
    if scale_factor is not None:
        sf, where = _field(scale_factor, _SCALE_NAMES, "scale factor")
        sf_v, _ = on_grid(sf, grid, name=where, leading=())
        _check_scale(sf_v, where)
        # NaN factors mark cells without a gain (ocean in JPL's CRI file): keep the value
        values = np.where(np.isfinite(sf_v), values * sf_v, values)
        notes.append(f"scale factors from {_source_name(scale_factor)}")
    if land_mask is not None:
        lm, where = _field(land_mask, _MASK_NAMES, "land mask")
        land = check_mask(lm, grid, name=where, weights=False)
        values = np.where(land, values, np.nan)
        notes.append(f"land mask from {_source_name(land_mask)}")
    times = da["time"].values
    labels = _month_labels(path, ds.sortby("time"), times)
    gaps = _gaps(labels)
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
    if complete_months or interpolate_gaps:
        out = reindex_months(out.assign_coords(grace_month=("time", np.int32(labels))),
                             interpolate_gaps=interpolate_gaps)
    return out
