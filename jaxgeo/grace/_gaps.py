"""A complete monthly axis for GRACE outputs: missing months as NaN, flagged, and
interpolated only on request."""

from __future__ import annotations

import numpy as np

from ..time import grace_month as _calendar_grace_month
from ..time import grace_month_start


def _month_names(months) -> list[str]:
    return [str(m) for m in grace_month_start(np.asarray(months)).astype("datetime64[M]")]


def reindex_months(obj, *, interpolate_gaps: bool = False):
    """Put a GRACE DataArray/Dataset ``(time, ...)`` on a complete monthly axis.

    Every GRACE month from the first to the last solution gets one time step. Months
    without a solution are NaN (never invented) unless ``interpolate_gaps``; their
    ``time`` is the middle of the calendar month and ``time_start``/``time_end`` (when
    present) are NaT. A boolean coordinate ``observed`` (time) marks the months with a
    solution, and the attribute ``gap_months`` lists the others (``YYYY-MM``).

    Args:
        obj: xarray DataArray or Dataset with a ``time`` dimension; months are taken from
            its ``grace_month`` coordinate (the standard numbering, special months kept,
            as :func:`jaxgeo.grace.grace_l2_tws` writes it), else from the calendar month
            of ``time``.
        interpolate_gaps: fill each missing month of every floating variable with the
            linear interpolation in time (between the neighbouring solutions' ``time``
            values), cell by cell; variables whose name ends in ``_sigma`` stay NaN there
            (an interpolated value has no propagated error). The months stay
            ``observed=False`` and are named in the attribute ``interpolated_months``.

    Returns:
        a new object of the same kind; the input is not modified.

    Raises:
        ValueError: no ``time`` dimension, an empty axis, or two time steps in one month.
    """
    if not isinstance(interpolate_gaps, bool):
        raise ValueError(f"reindex_months: interpolate_gaps must be True or False, got "
                         f"{interpolate_gaps!r}")
    name = getattr(obj, "name", None) or "dataset"
    if "time" not in obj.dims or obj.sizes["time"] == 0:
        raise ValueError(f"reindex_months: {name} has no time steps (dims {tuple(obj.dims)})")
    if "grace_month" in obj.coords:
        months = np.asarray(obj["grace_month"].values, np.int64)
    else:
        months = np.asarray(_calendar_grace_month(obj["time"].values), np.int64)
    if np.unique(months).size != months.size:
        dup = months[np.flatnonzero(np.diff(np.sort(months)) == 0)[0]]
        raise ValueError(f"reindex_months: {name} has two time steps in month "
                         f"{_month_names([dup])[0]}")
    order = np.argsort(months, kind="stable")
    obj = obj.isel(time=order)
    months = months[order]
    full = np.arange(months[0], months[-1] + 1, dtype=np.int64)
    pos = np.searchsorted(full, months)
    observed = np.zeros(full.size, bool)
    observed[pos] = True
    gaps = full[~observed]
    lo = grace_month_start(gaps)
    mid_missing = lo + (grace_month_start(gaps + 1) - lo) // 2
    times = np.empty(full.size, "datetime64[ns]")
    times[pos] = obj["time"].values.astype("datetime64[ns]")
    times[~observed] = mid_missing

    out = obj.assign_coords(_position=("time", pos)).swap_dims(time="_position")
    out = out.drop_vars("time").reindex(_position=np.arange(full.size))
    out = out.swap_dims(_position="time").drop_vars("_position")
    out = _keep_float_dtypes(out, obj)
    time_attrs = obj["time"].attrs
    out = out.assign_coords(time=("time", times, time_attrs))
    out = out.assign_coords(
        grace_month=("time", full.astype(np.int32), obj["grace_month"].attrs
                     if "grace_month" in obj.coords else
                     {"long_name": "GRACE month number (1 = January 2002)"}),
        observed=("time", observed, {"long_name": "a solution exists for this month "
                                     "(False: gap, NaN unless interpolated)"}))
    gap_names = ", ".join(_month_names(gaps))
    targets = [out] if not hasattr(out, "data_vars") else [out, *out.data_vars.values()]
    for t in targets:
        t.attrs["gap_months"] = gap_names
    if interpolate_gaps and gaps.size:
        out = _interpolate(out, observed, times, gap_names)
    return out


def _keep_float_dtypes(out, obj):
    """reindex promotes float32 to float64 to hold NaN; float32 holds NaN too."""
    if not hasattr(out, "data_vars"):
        return out.astype(obj.dtype) if np.issubdtype(obj.dtype, np.floating) else out
    return out.assign({k: v.astype(obj[k].dtype) for k, v in out.data_vars.items()
                       if np.issubdtype(obj[k].dtype, np.floating)})


def _interpolate(out, observed, times, gap_names):
    t = (times - times[0]) / np.timedelta64(1, "s")
    obs = np.flatnonzero(observed)
    miss = np.flatnonzero(~observed)
    right = obs[np.searchsorted(obs, miss)]  # gaps are interior: always bracketed
    left = obs[np.searchsorted(obs, miss) - 1]
    frac = (t[miss] - t[left]) / (t[right] - t[left])

    def fill(da):
        if "time" not in da.dims or not np.issubdtype(da.dtype, np.floating) \
                or str(da.name).endswith("_sigma"):
            return da
        axis = da.dims.index("time")
        v = np.moveaxis(np.array(da.values), axis, 0)
        shape = (-1,) + (1,) * (v.ndim - 1)
        f = frac.reshape(shape)
        v[miss] = (v[left] * (1 - f) + v[right] * f).astype(v.dtype)
        new = da.copy(data=np.moveaxis(v, 0, axis))
        new.attrs["interpolated_months"] = gap_names
        return new

    if hasattr(out, "data_vars"):
        out = out.assign({k: fill(v) for k, v in out.data_vars.items()})
        out.attrs["interpolated_months"] = gap_names
        return out
    return fill(out)
