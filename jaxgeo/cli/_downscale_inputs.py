"""Inputs of ``jaxgeo downscale fit``: a raw model file matched to the coarse field, the
months both have, and the mask named by ``--mask``.

The coarse field is usually a ``jaxgeo grace l2`` output (global, with solution spans and
a recorded base period). A model file that is not already on its grid and months is brought
onto them by :func:`jaxgeo.grace.model_on_grace` (span averages, conservative regridding,
anomalies over the GRACE base period). What is left out (gap months, months the model does
not cover, masked cells without values) is said in one warning each, never silently.
"""

from __future__ import annotations

import warnings

import numpy as np

MASK_NAMES = ("land", "ocean", "finite")
"""The mask names ``--mask`` accepts besides a file."""


def _same_grid_and_times(model, coarse) -> bool:
    from .._xarray import _same_grid, grid_of

    try:
        same = _same_grid(grid_of(model), grid_of(coarse))
    except ValueError:
        return False
    return same and model.sizes.get("time") == coarse.sizes.get("time") and np.array_equal(
        np.asarray(model["time"].values), np.asarray(coarse["time"].values))


def match_model(model, coarse, *, path: str, min_coverage: float, quiet: bool):
    """``(model, how)``: the model as is when it shares the coarse grid and time stamps,
    else on the coarse field's spans, grid, units and base period (``how`` says which)."""
    from ..grace import model_on_grace

    if _same_grid_and_times(model, coarse):
        return model.load(), "as given (already on the coarse grid and months)"
    missing = [c for c in ("time_start", "time_end") if c not in coarse.coords]
    if missing:
        raise ValueError(f"{path}: the model is not on the coarse field's grid and time "
                         f"stamps, and the coarse field has no {' or '.join(missing)} "
                         "coordinate to match it with (a 'jaxgeo grace l2' output has "
                         "them); put the model on the coarse grid and months first "
                         "('jaxgeo regrid', 'jaxgeo grace spans')")
    try:
        out = model_on_grace(model, coarse, min_coverage=min_coverage, quiet=quiet)
    except ValueError as exc:
        msg = str(exc)
        raise ValueError(msg if msg.startswith(path) else f"{path}: {msg}") from None
    return out, out.attrs["history"].rsplit("model_on_grace: ", 1)[-1]


def _month_names(time, keep) -> str:
    months = [str(t)[:7] for t in np.asarray(time)[~keep]]
    return ", ".join(months[:6]) + (f" … ({len(months)} in all)" if len(months) > 6 else "")


def common_months(coarse, model):
    """``(coarse, model)`` restricted to the months with a GRACE solution (``observed``
    where present, coarse not all NaN) and model values; one warning per kind left out."""
    t = coarse["time"].values

    from .._xarray import steps_with_values as has

    keep = has(coarse)
    if "observed" in coarse.coords:
        keep &= np.asarray(coarse["observed"].values, bool)
    if not keep.all():
        warnings.warn(f"{int((~keep).sum())} month(s) without a GRACE solution left out: "
                      f"{_month_names(t, keep)}", UserWarning, stacklevel=2)
    model_has = has(model)
    lost = keep & ~model_has
    if lost.any():
        warnings.warn(f"{int(lost.sum())} GRACE month(s) the model does not cover left out: "
                      f"{_month_names(t, ~lost)}", UserWarning, stacklevel=2)
    keep &= model_has
    if not keep.any():
        raise ValueError("no month has both a GRACE solution and model values")
    idx = np.flatnonzero(keep)
    return coarse.isel(time=idx), model.isel(time=idx)


def named_mask(name: str, coarse, model):
    """``(mask, description)`` for ``--mask land|ocean|finite`` on the coarse grid.

    ``land``: :func:`jaxgeo.regions.land_mask` (cells ≥ 50 % land, ice sheets left out as
    land-hydrology products do); ``ocean``: cells < 50 % land; ``finite``: every cell. Each
    is then restricted to the cells where both fields have values in every month, and the
    cells this removes from ``land``/``ocean`` are counted in a warning.
    """
    from .._xarray import grid_of, on_grid
    from ..regions import land_fraction, land_mask

    grid = grid_of(coarse, name="coarse")
    c, _ = on_grid(coarse, grid, name="coarse", leading=("time",))
    m, _ = on_grid(model, grid, name="model", leading=("time",))
    valid = np.isfinite(c).all(0) & np.isfinite(m).all(0)
    if name == "finite":
        base = np.ones(grid.shape, bool)
    elif name == "land":
        base = land_mask(grid)
    else:
        base = land_fraction(grid) < 0.5
    mask = base & valid
    lost = int((base & ~valid).sum())
    if lost and name != "finite":
        warnings.warn(f"--mask {name}: {lost} of its {int(base.sum())} cells have no value in "
                      "some month of the coarse or model field and are left out",
                      UserWarning, stacklevel=2)
    if not mask.any():
        raise ValueError(f"--mask {name}: no cell of it has coarse and model values in every "
                         "month")
    desc = {"land": "land (jaxgeo.regions.land_mask: >= 50 % land, ice sheets excluded)",
            "ocean": "ocean (< 50 % land)",
            "finite": "cells where both fields are finite in every month"}[name]
    return mask, f"{desc}; {int(mask.sum())} cells"


def default_mask_name(coarse) -> str:
    """``land`` for a field with values everywhere (a global product such as ``grace l2``
    output), else ``finite`` (a product that leaves cells out, e.g. a land mascon grid)."""
    return "land" if bool(coarse.notnull().all().values) else "finite"


def month_midpoints(da) -> np.ndarray:
    """The midpoint of each month of ``da``: of its data span ``[time_start, time_end)``
    when it has those coordinates (a GRACE output), else of the calendar month of its
    time stamp (monthly files, stamped at any day of the month)."""
    if "time_start" in da.coords and "time_end" in da.coords:
        start = np.asarray(da["time_start"].values, "datetime64[ns]")
        return start + (np.asarray(da["time_end"].values, "datetime64[ns]") - start) / 2
    month = np.asarray(da["time"].values).astype("datetime64[M]")
    start = month.astype("datetime64[ns]")
    return start + ((month + 1).astype("datetime64[ns]") - start) / 2


def time_range(values) -> tuple[np.datetime64, np.datetime64]:
    """``--time START END`` as datetime64, checked (parseable, START before END)."""
    from ..time import as_datetime64

    start, end = (as_datetime64(np.array([v]), name=f"--time {v!r}")[0] for v in values)
    if not start < end:
        raise ValueError(f"--time {values[0]} {values[1]}: START must come before END (the "
                         "range is [START, END), end exclusive)")
    return start, end


def select_months(coarse, model, values, *, path: str):
    """``(coarse, model)`` restricted to the months of ``coarse`` whose midpoint
    (:func:`month_midpoints`) lies in ``--time`` ``[START, END)``; the model too when it
    has the coarse field's time stamps (else its raw steps are averaged over the kept
    spans later)."""
    start, end = time_range(values)
    mid = month_midpoints(coarse)
    keep = np.flatnonzero((mid >= start) & (mid < end))
    if keep.size == 0:
        ok = mid[~np.isnat(mid)]
        first, last = (str(ok.min())[:10], str(ok.max())[:10]) if ok.size else ("-", "-")
        raise ValueError(f"--time {values[0]} {values[1]}: no month of {path} has its midpoint "
                         f"in [START, END) (its month midpoints run from {first} to {last})")
    if model.sizes.get("time") == coarse.sizes.get("time") and np.array_equal(
            np.asarray(model["time"].values), np.asarray(coarse["time"].values)):
        model = model.isel(time=keep)
    return coarse.isel(time=keep), model


def mask_variable(ds, path):
    """The mask of a ``--mask`` file: its ``mask`` variable when it has one (the output of
    ``jaxgeo downscale fit``/``predict``), else its only/first variable."""
    from .._io import pick_variable

    return pick_variable(ds, "mask" if "mask" in ds.data_vars else None, path)


def _settings_json(fitted) -> dict:
    """The JSON settings of a :class:`Downscaler` (its :class:`RunSettings`) or of a
    :class:`PatchDownscaler` (``settings_dict()``, format ``jaxgeo.downscale.patch/1``)."""
    if hasattr(fitted, "settings_dict"):
        return fitted.settings_dict()
    return fitted.settings.to_dict()


def product(out, fitted, coarse, *, action: str, provenance: dict):
    """The Dataset written by ``jaxgeo downscale fit``/``predict``.

    The downscaled field is named after the product, ``<coarse variable>_downscaled``
    (e.g. ``lwe_thickness_downscaled``), beside the ``mask`` it covers. Attributes: the
    network's settings (``run_settings``, the JSON of :class:`RunSettings`) and the inputs'
    provenance (``provenance``: ``coarse_file``, ``coarse_variable``, ``model_file``, …).
    """
    import json

    import xarray as xr

    base = str(coarse.name or "field")
    out = out.rename(f"{base}_downscaled")
    out.attrs["long_name"] = "downscaled " + str(coarse.attrs.get("long_name", base))
    ds = out.to_dataset()
    ds["mask"] = xr.DataArray(np.asarray(fitted.mask, np.int8), dims=("lat", "lon"),
                              coords=fitted.grid.to_xarray_coords(),  # aligned by label
                              attrs={"long_name": "cells downscaled (1)",
                                     "description": provenance.get("mask", "")})
    ds.attrs.update({"Conventions": "CF-1.8", "source": f"jaxgeo downscale {action}",
                     **{k: v for k, v in provenance.items() if v is not None},
                     "run_settings": json.dumps(_settings_json(fitted), sort_keys=True)})
    return ds
