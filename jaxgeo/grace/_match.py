"""A model field brought onto a GRACE output: its grid, solution spans, units and base period.

This is the glue between a hydrological model's raw output (any regular lat-lon grid, daily
or monthly steps) and what is compared with GRACE (the downscaler's ``model`` input, the
leakage gains). The steps are the library's own, in the order that keeps memory small:

1. :func:`span_average` over the GRACE solution spans, on the model's own grid (a daily
   file is read one span at a time);
2. conservative regridding (:func:`jaxgeo.regrid`) onto the GRACE grid, ``batch_months``
   months at a time (skipped when the model is already on that grid);
3. :func:`anomaly` over the GRACE base period (the months its mean was taken over).

Time averaging and conservative regridding are both linear, so their order does not change
the result where the model has values; NaN cells (a land model's ocean) stay NaN and do not
count in a target cell's coverage.
"""

from __future__ import annotations

import numpy as np

from .._grid import Grid
from .._regrid import MIN_COVERAGE
from .._regrid import regrid as _regrid
from .._xarray import _same_grid, grid_of, steps_with_values
from ._spans import _grace_var, _name, _unit_factor, anomaly, same_spans, span_average

__all__ = ["model_on_grace"]


def _model_grid(model) -> Grid | None:
    """The model's global grid, or None when it is not a global jaxgeo grid (regional,
    irregular in a way regridding accepts, or another resolution)."""
    try:
        return Grid.from_xarray(model)
    except ValueError:
        return None


def model_on_grace(model, like, *, min_coverage: float = 1.0,
                   min_area_coverage: float = MIN_COVERAGE, mean_period=None,
                   batch_months: int = 12, remove_base_mean: bool = True, regrid: bool = True,
                   quiet: bool = True):
    """``model`` on the grid, solution spans, units and base period of a GRACE output.

    Args:
        model: xarray DataArray ``(time, lat, lon)`` of water thickness (``units``
            attribute: m, cm, mm, kg m-2) on any regular lat-lon grid (finer, coarser or
            not nested, either longitude convention and latitude order), with time steps
            as :func:`span_average` infers them (daily, monthly, or explicit
            ``time_start``/``time_end``). It may be lazily opened: it is read span by span.
        like: a GRACE output of :func:`grace_l2_tws` (DataArray or Dataset) with
            ``time_start``/``time_end`` and a recorded mean period.
        min_coverage: fraction of each GRACE span the model steps must cover (else that
            month is NaN), as :func:`span_average`.
        min_area_coverage: fraction of a GRACE cell the model's valid cells must cover
            (else NaN), as :func:`jaxgeo.regrid`'s ``min_coverage``.
        mean_period: ``(start, end)`` of the base period; default ``like``'s record
            (:func:`anomaly`).
        batch_months: GRACE months regridded at once (memory: ``batch_months`` model
            fields on the model's grid).
        remove_base_mean: subtract the mean over the base period (:func:`anomaly`); False
            keeps the span averages (e.g. for a model already given as anomalies).
        regrid: False keeps the model's own grid (time steps only).
        quiet: no progress bar.

    Returns:
        DataArray ``(time, lat, lon)`` on ``like``'s grid (the model's with
        ``regrid=False``) and ``time`` (with its
        ``time_start``/``time_end``, ``coverage``, ``grace_month``/``observed`` when
        present), in ``like``'s units; months the model does not cover are NaN. Attributes
        ``mean_period``/``base_months`` (with ``remove_base_mean``) and a ``history`` of
        the steps.

    Raises:
        ValueError: the errors of :func:`span_average`, :func:`jaxgeo.regrid` and
            :func:`anomaly`, each naming the model variable; a model covering none of the
            GRACE spans.
    """
    import xarray as xr
    from tqdm.auto import tqdm

    name = _name(model)
    if not isinstance(model, xr.DataArray) or "time" not in model.dims:
        raise ValueError(f"{name}: model must be an xarray DataArray with a 'time' dim")
    if int(batch_months) < 1:
        raise ValueError(f"batch_months must be >= 1, got {batch_months!r}")
    g = _grace_var(like)
    missing = [c for c in ("time_start", "time_end") if c not in like.coords]
    if missing:
        raise ValueError(f"{_name(g)}: GRACE output has no {' or '.join(missing)} coordinate "
                         "(the solution spans the model is averaged over)")
    if not like.sizes.get("time"):
        raise ValueError(f"{_name(g)}: GRACE output has no months")
    grid = grid_of(g, name=f"GRACE field {_name(g)}")
    on_grid = not regrid or ((mg := _model_grid(model)) is not None and _same_grid(mg, grid))
    steps = []
    n = like.sizes["time"]
    spans_equal = same_spans(model, like)
    if spans_equal and on_grid:
        on = model
        steps.append("as given (already on the GRACE spans and grid)")
    else:
        parts = []
        for a in tqdm(range(0, n, int(batch_months)), desc="model onto GRACE months",
                      unit="batch", disable=quiet):
            sub = like.isel(time=slice(a, a + int(batch_months)))
            part = (model.isel(time=slice(a, a + int(batch_months))) if spans_equal
                    else span_average(model, sub, min_coverage=min_coverage))
            if not on_grid:
                part = _regrid_months(part, grid, min_area_coverage)
            parts.append(part)
        on = xr.concat(parts, dim="time") if len(parts) > 1 else parts[0]
        if not spans_equal:
            steps.append(f"averaged over the GRACE spans (min_coverage {min_coverage:g})")
        if not on_grid:
            steps.append(f"regridded conservatively onto {grid.resolution_deg:g}° "
                         f"(min_area_coverage {min_area_coverage:g})")
    covered = steps_with_values(on)
    if not covered.any():
        t0, t1 = (str(np.asarray(model["time"].values)[i])[:10] for i in (0, -1))
        raise ValueError(f"{name}: covers none of the {n} GRACE spans (model {t0}..{t1}, "
                         f"GRACE {str(like['time'].values[0])[:10]}.."
                         f"{str(like['time'].values[-1])[:10]}; min_coverage {min_coverage:g})")
    if remove_base_mean:
        on = anomaly(on, like, mean_period=mean_period, min_coverage=min_coverage)
        steps.append(f"mean over the GRACE base period {on.attrs['mean_period']} removed")
    else:
        on = _in_units(on, g)
    on = on.transpose("time", ...)
    on.attrs["history"] = "; ".join(filter(None, [str(model.attrs.get("history", "")),
                                                  "jaxgeo.grace.model_on_grace: "
                                                  + ", ".join(steps)]))
    return on.rename(model.name)


def _in_units(on, g):
    """``on`` in ``g``'s units (span_average converted already; a model given on the GRACE
    spans is converted here)."""
    factor, units = _unit_factor(on, g.attrs.get("units"))
    return (on * factor).assign_attrs(dict(on.attrs, units=units))


def _regrid_months(part, grid: Grid, min_area_coverage: float):
    """Regrid the months of ``part`` that have values; months without any stay NaN."""
    import xarray as xr

    has = steps_with_values(part)
    coords = {k: v for k, v in part.coords.items() if set(v.dims) <= {"time"}}
    coords.update(grid.to_xarray_coords())
    out = xr.DataArray(np.full((part.sizes["time"], grid.nlat, grid.nlon), np.nan),
                       dims=("time", "lat", "lon"), coords=coords, name=part.name,
                       attrs=dict(part.attrs))
    if has.any():
        idx = np.flatnonzero(has)
        done = _regrid(part.isel(time=idx), grid, min_coverage=min_area_coverage,
                      name=_name(part))
        out[idx] = np.asarray(done.transpose("time", "lat", "lon").values, np.float64)
    return out
