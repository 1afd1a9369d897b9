"""Model output on GRACE solution spans: span averages and anomalies over the GRACE base.

A GRACE solution is not a value at its ``time`` (the span midpoint) but an average over its
data span ``[time_start, time_end)``. To compare a hydrological model with it, the model is
averaged over the same spans (:func:`span_average`) and referred to the same mean
(:func:`anomaly`).

Model time steps are intervals (the *step convention*):

* the model has ``time_start``/``time_end`` coordinates along ``time``: those intervals;
* monthly output (steps of 28 days or more, one value per calendar month): each value
  covers its calendar month, whatever day it is labelled with (so a label must lie in the
  month it covers: a January mean stamped 1 February needs explicit bounds);
* otherwise the steps are regular (daily, 3-hourly, pentads…) with step ``dt`` = the
  most common spacing: the value at ``t`` covers ``[t, t + dt)`` (a daily value labelled
  2008-03-01 covers 2008-03-01T00:00 to 2008-03-02T00:00; daily means stamped at noon are
  thus taken half a day late: give bounds). Missing steps (spacing a multiple of ``dt``)
  are gaps that lower the coverage; other spacings are refused.
"""

from __future__ import annotations

import re

import numpy as np

from .._xarray import steps_with_values
from ..time import as_datetime64
from ..units import metres_per_unit

__all__ = ["anomaly", "span_average"]

_NS_PER_DAY = 86_400 * 10**9


def _name(da) -> str:
    return str(da.name) if getattr(da, "name", None) is not None else "model"


def _grace_var(like):
    """The data variable of a GRACE output (DataArray, or Dataset → ``lwe_thickness``)."""
    import xarray as xr

    if isinstance(like, xr.Dataset):
        if "lwe_thickness" in like.data_vars:
            return like["lwe_thickness"]
        with_units = [v for v in like.data_vars.values() if "units" in v.attrs]
        if not with_units:
            raise ValueError("like: Dataset has no variable with a 'units' attribute")
        return with_units[0]
    return like


def _spans(spans):
    """``(start, end, valid, time, coords)`` from a GRACE output or a ``(start, end)`` pair.

    ``start``/``end`` are int64 ns (0 where not ``valid``: the NaT spans of the gap months
    of a complete monthly axis); ``time`` is the GRACE ``time`` (else the span midpoints).
    """
    import xarray as xr

    if isinstance(spans, (xr.DataArray, xr.Dataset)):
        missing = [c for c in ("time_start", "time_end") if c not in spans.coords]
        if missing:
            raise ValueError(f"spans: GRACE output has no {' or '.join(missing)} coordinate "
                             "(pass (time_start, time_end) arrays instead)")
        s = np.asarray(spans["time_start"].values)
        e = np.asarray(spans["time_end"].values)
        nat_s, nat_e = (np.isnat(a) if a.dtype.kind == "M" else np.zeros(a.shape, bool)
                        for a in (s, e))
        half = np.flatnonzero(nat_s != nat_e)
        if half.size:
            raise ValueError(f"span {int(half[0])}: only one of time_start/time_end is NaT")
        valid = ~nat_s
        start = np.zeros(s.shape, "datetime64[ns]")
        end = np.zeros(s.shape, "datetime64[ns]")
        start[valid] = as_datetime64(s[valid], name="time_start")
        end[valid] = as_datetime64(e[valid], name="time_end")
        time = as_datetime64(spans["time"].values, name="time")
        keep = [c for c in ("grace_month", "observed") if c in spans.coords]
        extra = {c: ("time", spans[c].values, spans[c].attrs) for c in keep}
    else:
        try:
            s, e = spans
        except (TypeError, ValueError):
            raise ValueError("spans must be a GRACE output (with time_start/time_end) or a "
                             "(time_start, time_end) pair of arrays") from None
        start = np.atleast_1d(as_datetime64(s, name="time_start"))
        end = np.atleast_1d(as_datetime64(e, name="time_end"))
        if start.shape != end.shape:
            raise ValueError(f"spans: time_start has {start.size} values, time_end {end.size}")
        valid = np.ones(start.shape, bool)
        time = start + (end - start) // 2
        extra = {}
    bad = np.flatnonzero(valid & (end <= start))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"span {i} ({str(start[i])[:10]}): time_end {str(end[i])[:19]} is not "
                         f"after time_start {str(start[i])[:19]}")
    return start.astype(np.int64), end.astype(np.int64), valid, time, extra


def _steps(model) -> tuple[np.ndarray, np.ndarray]:
    """Interval ``[lo, hi)`` (int64 ns) of every model time step (module docstring)."""
    name = _name(model)
    if "time_start" in model.coords and "time_end" in model.coords:
        lo = as_datetime64(model["time_start"].values, name=f"{name} time_start")
        hi = as_datetime64(model["time_end"].values, name=f"{name} time_end")
        lo, hi = lo.astype(np.int64), hi.astype(np.int64)
        bad = np.flatnonzero((hi <= lo) | np.r_[lo[1:] < hi[:-1], False])
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{name}: time step {i} overlaps the next or is empty "
                             "(time_start/time_end must be increasing, non-overlapping)")
        return lo, hi
    t = as_datetime64(model["time"].values, name=f"{name} time")
    if t.size < 2:
        raise ValueError(f"{name}: one time step only, its length cannot be inferred; add "
                         "time_start/time_end coordinates")
    ti = t.astype(np.int64)
    d = np.diff(ti)
    if np.any(d <= 0):
        i = int(np.flatnonzero(d <= 0)[0]) + 1
        raise ValueError(f"{name}: time is not increasing at index {i} ({str(t[i])[:19]})")
    if d.min() >= 28 * _NS_PER_DAY:
        months = t.astype("datetime64[M]")
        dm = np.diff(months.astype(np.int64))
        if np.any(dm < 1):
            i = int(np.flatnonzero(dm < 1)[0]) + 1
            raise ValueError(f"{name}: two monthly values in {months[i]} (index {i})")
        usual = np.bincount(dm).argmax()
        if usual != 1:
            raise ValueError(f"{name}: time steps of {usual} months; only monthly (or finer) "
                             "steps are inferred, add time_start/time_end coordinates")
        lo = months.astype("datetime64[ns]").astype(np.int64)
        hi = (months + 1).astype("datetime64[ns]").astype(np.int64)
        return lo, hi
    vals, counts = np.unique(d, return_counts=True)
    step = int(vals[np.argmax(counts)])  # the usual spacing; the smallest of equals
    off = np.flatnonzero(d % step)
    if off.size:
        i = int(off[0]) + 1
        raise ValueError(f"{name}: irregular time step at index {i} ({str(t[i])[:19]}): "
                         f"spacing is not a multiple of the step {step / _NS_PER_DAY:g} d")
    return ti, ti + step


def _unit_factor(model, target_units) -> tuple[float, str]:
    name = _name(model)
    mu = model.attrs.get("units")
    fm = metres_per_unit(mu) if mu else None
    if fm is None:
        raise ValueError(f"{name}: units {mu!r} is not a known water-thickness unit "
                         "(m, cm, mm, kg m-2, with or without 'water equivalent')")
    if target_units is None:
        return 1.0, str(mu)
    ft = metres_per_unit(target_units)
    if ft is None:
        raise ValueError(f"GRACE field: units {target_units!r} is not a known water-thickness "
                         "unit")
    return fm / ft, str(target_units)


def span_average(model, spans, *, min_coverage: float = 1.0, units: str | None = None):
    """Average ``model`` over each GRACE solution span ``[time_start, time_end)``.

    Each model step (an interval, see the module's step convention) is weighted by its
    overlap with the span, so a span crossing a month boundary (the special months) gets
    exactly its days of each month.

    Args:
        model: xarray DataArray with a ``time`` dim (datetime64) and any other dims, and a
            ``units`` attribute that is a known water-thickness unit.
        spans: a GRACE output (DataArray or Dataset of :func:`grace_l2_tws`, with
            ``time_start``/``time_end``) or a ``(time_start, time_end)`` pair of arrays.
        min_coverage: fraction of a span the model steps must cover, in (0, 1]; spans
            covered less are NaN. With less than 1 the average is over the covered part.
            Default 1: a span not fully covered is NaN.
        units: output unit; default the GRACE field's (the model's for plain arrays).

    Returns:
        DataArray ``(time, ...)``: ``time`` = span midpoint, coords ``time_start``,
        ``time_end``, ``coverage`` (covered fraction of each span) and ``grace_month``
        and ``observed`` when the spans carry them; values in ``units``. Given a GRACE
        output, ``time`` is its ``time`` (so the two align) and its gap months (NaT spans)
        are NaN with NaN ``coverage``.

    Raises:
        ValueError: no ``time`` dim, an unknown unit (naming the variable), irregular or
            unordered model times, an empty span (naming it), ``min_coverage`` outside (0, 1].
    """
    import xarray as xr

    name = _name(model)
    if not isinstance(model, xr.DataArray) or "time" not in model.dims:
        raise ValueError(f"{name}: model must be an xarray DataArray with a 'time' dim")
    if not 0.0 < float(min_coverage) <= 1.0:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage}")
    start, end, valid, time, extra = _spans(spans)
    target = units
    if target is None and isinstance(spans, (xr.DataArray, xr.Dataset)):
        target = _grace_var(spans).attrs.get("units")
    factor, out_units = _unit_factor(model, target)
    lo, hi = _steps(model)
    m = model.transpose("time", ...)
    out = np.full((start.size, *m.shape[1:]), np.nan)
    coverage = np.full(start.size, np.nan)
    for j in np.flatnonzero(valid):
        # steps are sorted and disjoint: those overlapping the span are one index range;
        # overlaps are summed in integer ns (exact), one span's model steps loaded at a time
        k = np.arange(np.searchsorted(hi, start[j], "right"), np.searchsorted(lo, end[j], "left"))
        ov = np.minimum(hi[k], end[j]) - np.maximum(lo[k], start[j])
        covered = int(ov.sum())
        coverage[j] = covered / int(end[j] - start[j])
        if covered == 0 or coverage[j] < min_coverage - 1e-12:
            continue
        x = np.asarray(m.isel(time=k).values, dtype=np.float64)
        out[j] = np.tensordot(ov / covered, x, axes=(0, 0)) * factor
    coords = {c: v for c, v in m.coords.items() if "time" not in v.dims}
    coords["time"] = xr.Variable("time", time.astype("datetime64[ns]"),
                                 {"long_name": "midpoint of the solution data span"})
    nat = np.datetime64("NaT", "ns")
    coords["time_start"] = ("time", np.where(valid, start.astype("datetime64[ns]"), nat))
    coords["time_end"] = ("time", np.where(valid, end.astype("datetime64[ns]"), nat))
    coords["coverage"] = xr.Variable("time", coverage,
                                     {"long_name": "fraction of the span covered by the model"})
    coords.update(extra)
    attrs = dict(model.attrs, units=out_units)
    attrs["history"] = "; ".join(filter(None, [str(model.attrs.get("history", "")),
                                               "jaxgeo.grace.span_average (min_coverage "
                                               f"{float(min_coverage):g})"]))
    return xr.DataArray(out, dims=m.dims, coords=coords, attrs=attrs, name=model.name)


_HISTORY_MEAN = re.compile(r"mean removed: ([^;]+)")


def same_spans(model, like) -> bool:
    """Whether ``model`` carries exactly ``like``'s ``time_start``/``time_end`` spans."""
    if not all(c in model.coords for c in ("time_start", "time_end")):
        return False
    if model.sizes.get("time") != like.sizes.get("time"):
        return False
    return all(np.array_equal(np.asarray(model[c].values, "datetime64[ns]"),
                              np.asarray(like[c].values, "datetime64[ns]"), equal_nan=True)
               for c in ("time_start", "time_end"))


def _mean_period(g, mean_period):
    """``(lo, hi)`` datetime64[ns] (None for all months) of the GRACE base period."""
    if mean_period is None:
        text = g.attrs.get("mean_period")
        if text is None:
            hit = _HISTORY_MEAN.search(str(g.attrs.get("history", "")))
            text = hit.group(1).strip() if hit else None
        if text is None or not (text == "all months" or ".." in text):
            raise ValueError(f"{_name(g)}: no mean period recorded (attribute 'mean_period' "
                             f"or 'mean removed: start..end' in history, found {text!r}); "
                             "pass mean_period=(start, end)")
        if text == "all months":
            return None
        mean_period = tuple(text.split("..", 1))
    lo, hi = (as_datetime64(p, name="mean_period") for p in mean_period)
    if hi <= lo:
        raise ValueError(f"mean_period: end {mean_period[1]} is not after start "
                         f"{mean_period[0]}")
    return lo, hi


def anomaly(model, like, *, mean_period=None, min_coverage: float = 1.0):
    """``model`` on the GRACE spans of ``like``, minus its mean over the GRACE base period.

    The mean is taken over the same months the GRACE mean used: the solutions of ``like``
    whose span midpoint lies in ``[start, end)`` of the base period (the rule of
    :func:`remove_mean`), restricted to the months both have: the model not all NaN, and
    a GRACE solution there (gap months of a complete monthly axis, with NaT spans or
    ``observed`` False, are left out). A cell NaN in any of those months is NaN throughout
    (its mean would be over other months than the GRACE one).

    Args:
        model: model output (see :func:`span_average`); when it already carries
            ``time_start``/``time_end`` equal to ``like``'s it is used as is (after the
            units check), otherwise it is span-averaged onto ``like``.
        like: a GRACE output (DataArray or Dataset of :func:`grace_l2_tws`).
        mean_period: ``(start, end)`` of the base period (end exclusive); default read
            from ``like``'s ``mean_period`` attribute or its history.
        min_coverage: passed to :func:`span_average`.

    Returns:
        DataArray like :func:`span_average`'s, in ``like``'s unit, with attributes
        ``mean_period`` and ``base_months`` (the ``YYYY-MM`` months averaged).

    Raises:
        ValueError: no recorded or given mean period, no common month in it, or the
            errors of :func:`span_average`.
    """
    g = _grace_var(like)
    missing = [c for c in ("time_start", "time_end") if c not in like.coords]
    if missing:
        raise ValueError(f"{_name(g)}: GRACE output has no {' or '.join(missing)} coordinate")
    period = _mean_period(g, mean_period)
    if same_spans(model, like):
        factor, out_units = _unit_factor(model, g.attrs.get("units"))
        on = (model * factor).assign_attrs(dict(model.attrs, units=out_units))
    else:
        on = span_average(model, like, min_coverage=min_coverage)
    mid = as_datetime64(on["time"].values)
    base = np.ones(mid.shape, bool) if period is None else (mid >= period[0]) & (mid < period[1])
    # months present in both: the model has data, and GRACE has a solution there (not a
    # gap month of a complete axis: NaT span, observed=False or all NaN)
    grace_has = steps_with_values(g) & ~np.isnat(np.asarray(like["time_start"].values,
                                                    "datetime64[ns]"))
    if "observed" in like.coords:
        grace_has &= np.asarray(like["observed"].values, bool)
    use = base & steps_with_values(on) & grace_has
    label = "all months" if period is None else (f"{str(period[0])[:10]}.."
                                                 f"{str(period[1])[:10]}")
    if not use.any():
        raise ValueError(f"{_name(model)}: no month of the GRACE base period {label} where "
                         f"the model has data ({int((base & grace_has).sum())} GRACE months in it)")
    out = on - on.isel(time=np.flatnonzero(use)).mean("time", skipna=False)
    months = [str(m) for m in mid[use].astype("datetime64[M]")]
    out.attrs = dict(on.attrs, mean_period=label, base_months=",".join(months))
    return out.rename(on.name)
