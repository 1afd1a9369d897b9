"""Data preparation: coarse, model and feature DataArrays checked and put on one grid."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._grid import Grid
from .._xarray import check_mask as _check_mask
from .._xarray import on_grid
from ..time import as_datetime64
from ..units import common_units
from ._units import check_pair_spread, label, warn_one_label

__all__ = ["Fields", "check_mask", "prepare"]


def _as_tll(da, name: str, grid: Grid | None = None):
    """``da`` as a float64 (time, lat, lon) array in grid order, with its grid and times."""
    try:
        values, g = on_grid(da, grid, name=name, leading=("time",))
    except ValueError as exc:
        # the data must share the coarse field's grid: say so in the one place it matters
        msg = str(exc)
        raise ValueError(f"grids differ: {msg}" if "grid starting at lon" in msg
                         else msg) from None
    return values, g, da["time"].values


def check_mask(mask, grid: Grid) -> np.ndarray:
    """The boolean ``(nlat, nlon)`` mask on ``grid`` (the mask rule: booleans or 0/1 only)."""
    return _check_mask(mask, grid, weights=False, required=True)


def _check_months(time, name: str) -> np.ndarray:
    """``time`` as datetime64: no NaT, one value per calendar month, increasing."""
    t = as_datetime64(time, name=f"{name} time")
    months = t.astype("datetime64[M]")
    uniq, first, counts = np.unique(months, return_index=True, return_counts=True)
    if (counts > 1).any():
        k = int(np.flatnonzero(counts > 1)[0])
        where = np.flatnonzero(months == uniq[k])
        raise ValueError(f"{name} has month {uniq[k]} {counts[k]} times (indices "
                         f"{', '.join(map(str, where[:5]))}); months must be unique: drop or "
                         "average the duplicates")
    back = np.flatnonzero(np.diff(t) < np.timedelta64(0, "ns"))
    if back.size:
        k = int(back[0]) + 1
        raise ValueError(f"{name} times are not increasing: month {months[k]} (index {k}) "
                         f"follows {months[k - 1]}; sort them first (.sortby('time'))")
    return t


def _check_finite(values: np.ndarray, mask: np.ndarray, name: str, times) -> None:
    inside = values[:, mask]
    bad = ~np.isfinite(inside)
    if not bad.any():
        return
    all_bad = np.flatnonzero(bad.all(axis=1))
    if all_bad.size:
        k = int(all_bad[0])
        raise ValueError(f"{name} is all-NaN over the mask in {all_bad.size} month(s), first "
                         f"{str(times[k])[:10]} (index {k}); drop those months first")
    k = int(np.flatnonzero(bad.any(axis=1))[0])
    raise ValueError(f"{name} has {int(bad.sum())} NaN/inf value(s) inside the mask (first in "
                     f"month {str(times[k])[:10]}, index {k}); fill them or shrink the mask")


@dataclasses.dataclass(frozen=True)
class Fields:
    """The checked inputs of a run, float64 numpy arrays in grid order.

    Attributes:
        grid: the data grid.
        time: ``(T,)`` datetime64.
        mask: ``(nlat, nlon)`` boolean, True where the fields are valid.
        coarse, model: ``(T, nlat, nlon)`` (finite inside the mask), both in ``units``.
        features: name → ``(T, nlat, nlon)``, in the Dataset's order.
        units: the coarse field's ``units`` attribute (the model is converted to it);
            None when neither field has one.
        feature_units: name → the feature's ``units`` attribute (None if it has none).
    """

    grid: Grid
    time: np.ndarray
    mask: np.ndarray
    coarse: np.ndarray
    model: np.ndarray
    features: dict[str, np.ndarray]
    units: str | None = None
    feature_units: dict[str, str | None] = dataclasses.field(default_factory=dict)


def prepare(coarse, model, mask, features=None, feature_names=None) -> Fields:
    """Check ``coarse``, ``model``, ``mask`` and ``features`` and put them on one grid.

    Args:
        coarse, model: (time, lat, lon) DataArrays on one grid with the same times.
        mask: (lat, lon) boolean (or 0/1) DataArray or array.
        features: optional Dataset of (time, lat, lon) variables.
        feature_names: the features a trained network expects, in order (None: any).

    The model field is converted to the coarse field's unit (m, cm, mm, kg m-2 of water;
    their ``units`` attributes); with one field labelled and the other not, a UserWarning
    says which unit is assumed (the rules: :mod:`jaxgeo.downscale._units`).

    Raises:
        ValueError: naming the variable, the month or the grids that differ (NaT,
            duplicated or decreasing months included), or both
            variables' units when they differ and are not both known thickness units,
            or both fields when their spreads differ more than
            :data:`~jaxgeo.downscale.SPREAD_RATIO_LIMIT` times (a unit mix-up).
    """
    cu, mu = label(coarse.attrs.get("units")), label(model.attrs.get("units"))
    factor, units = common_units(cu, mu)
    warn_one_label("model", mu, "coarse", cu)
    c, grid, time = _as_tll(coarse, "coarse")
    time = _check_months(time, "coarse")
    m, _, mtime = _as_tll(model, "model", grid)
    mtime = _check_months(mtime, "model")
    if factor != 1.0:
        m = m * factor
    if c.shape[0] != m.shape[0] or not np.array_equal(time, mtime):
        raise ValueError(f"time axes differ: coarse has {c.shape[0]} steps "
                         f"({str(time[0])[:10]}..{str(time[-1])[:10]}), model has "
                         f"{m.shape[0]} ({str(mtime[0])[:10]}..{str(mtime[-1])[:10]})")
    msk = check_mask(mask, grid)
    _check_finite(c, msk, "coarse", time)
    _check_finite(m, msk, "model", time)
    check_pair_spread(c, m, np.where(msk, grid.cell_area, 0.0))
    feats, funits = {}, {}
    if features is not None:
        import xarray as xr

        if not isinstance(features, xr.Dataset):
            raise TypeError(f"features must be an xarray.Dataset, got {type(features).__name__}")
        for name in features.data_vars:
            f, _, ftime = _as_tll(features[name], f"feature {name!r}", grid)
            ftime = _check_months(ftime, f"feature {name!r}")
            if not np.array_equal(ftime, time):
                raise ValueError(f"time axes differ: feature {name!r} does not have the coarse "
                                 "field's time steps")
            _check_finite(f, msk, f"feature {name!r}", time)
            feats[str(name)] = f
            funits[str(name)] = label(features[name].attrs.get("units"))
    if feature_names is not None and list(feats) != list(feature_names):
        raise ValueError(f"features differ from training: got {list(feats)}, the network was "
                         f"trained with {list(feature_names)}")
    return Fields(grid, time, msk, c, m, feats, units, funits)
