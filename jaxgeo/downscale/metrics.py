"""Diagnostics of a downscaled field: errors against a truth, consistency with the coarse field.

All functions take plain arrays shaped ``(time, nlat, nlon)`` (or ``(nlat, nlon)``), a
boolean ``mask`` ``(nlat, nlon)`` and the :class:`jaxgeo.Grid`; averages over space are
area-weighted over the mask. Values outside the mask are ignored (may be NaN). Trends and
annual amplitudes: :func:`jaxgeo.seasonal.trend_annual`; area weights:
:func:`jaxgeo.regions.area_weights`.
"""

from __future__ import annotations

import numpy as np

from .._grid import Grid
from ..regions import area_weights

__all__ = [
    "cap_residual",
    "correlation",
    "coverage",
    "gauge_agreement",
    "global_mass_residual",
    "region_labels",
    "region_mean_rms",
    "rmse",
    "spatial_correlation",
]


def _masked(x, mask):
    x = np.asarray(x, dtype=np.float64)
    return np.where(mask, x, 0.0)


def rmse(a, b, grid: Grid, mask) -> float:
    """Area-weighted root-mean-square difference over the mask and all time steps.

    Args:
        a, b: ``(..., nlat, nlon)`` fields in the same unit (mm usually).
        grid: their grid; mask: ``(nlat, nlon)`` boolean.

    Returns:
        RMS of ``a − b``, in the unit of the fields.
    """
    w = area_weights(grid, mask)
    d = _masked(a, mask) - _masked(b, mask)
    per_step = np.sum(w * d**2, axis=(-2, -1))
    return float(np.sqrt(np.mean(per_step)))


def correlation(a, b, grid: Grid, mask) -> float:
    """Area-weighted Pearson correlation over all masked cells and time steps."""
    w = area_weights(grid, mask)
    a = _masked(a, mask)
    b = _masked(b, mask)
    wt = np.broadcast_to(w, a.shape) / np.prod(a.shape[:-2], dtype=np.float64)
    ma, mb = np.sum(wt * a), np.sum(wt * b)
    cov = np.sum(wt * (a - ma) * (b - mb))
    return float(cov / np.sqrt(np.sum(wt * (a - ma) ** 2) * np.sum(wt * (b - mb) ** 2)))


def spatial_correlation(a, b, grid: Grid, mask) -> np.ndarray:
    """Area-weighted spatial Pearson correlation of each time step, shape ``(...)``.

    The statistic of Gou & Soja (2024) for the similarity of the downscaled pattern with
    the model's; take ``.mean()`` for one figure.
    """
    w = area_weights(grid, mask)
    a = _masked(a, mask)
    b = _masked(b, mask)
    ma = np.sum(w * a, axis=(-2, -1), keepdims=True)
    mb = np.sum(w * b, axis=(-2, -1), keepdims=True)
    da, db = np.where(mask, a - ma, 0.0), np.where(mask, b - mb, 0.0)
    cov = np.sum(w * da * db, axis=(-2, -1))
    return cov / np.sqrt(np.sum(w * da**2, axis=(-2, -1)) * np.sum(w * db**2, axis=(-2, -1)))


def cap_residual(pred, coarse, cap_op, mask) -> float:
    """Area-weighted RMS over the mask of ``cap(pred) − cap(coarse)``.

    Args:
        pred, coarse: ``(..., nlat, nlon)`` fields.
        cap_op: a :class:`jaxgeo.sphere.CapAverage` built with this ``mask`` and no
            targets (outputs on the field's own grid).
        mask: ``(nlat, nlon)`` boolean.
    """
    grid = cap_op.grid
    diff = np.asarray(cap_op(np.asarray(pred))) - np.asarray(cap_op(np.asarray(coarse)))
    return rmse(diff, np.zeros_like(diff), grid, mask)


def region_labels(grid: Grid, mask, block_deg: float) -> np.ndarray:
    """Integer region of each cell: ``block_deg`` × ``block_deg`` boxes, −1 outside the mask."""
    nb = max(1, int(round(block_deg / grid.resolution_deg)))
    i = np.arange(grid.nlat)[:, None] // nb
    j = np.arange(grid.nlon)[None, :] // nb
    labels = i * (grid.nlon // nb + 1) + j
    return np.where(np.asarray(mask, dtype=bool), labels, -1)


def region_mean_rms(pred, coarse, grid: Grid, labels, *, min_cells: int = 1) -> dict:
    """RMS over time of region-mean differences ``⟨pred⟩_r − ⟨coarse⟩_r``.

    Args:
        pred, coarse: ``(time, nlat, nlon)``.
        labels: ``(nlat, nlon)`` integer regions (−1 = ignored), e.g. :func:`region_labels`.
        min_cells: regions with fewer cells are skipped.

    Returns:
        ``{"median": .., "mean": .., "max": .., "n_regions": ..}`` in the unit of the fields;
        the per-region figure is the RMS over time of the area-weighted region-mean difference
        (the "basin means within 20 mm RMS of GRACE" statistic of Gou & Soja 2024).
    """
    labels = np.asarray(labels)
    d = np.asarray(pred, dtype=np.float64) - np.asarray(coarse, dtype=np.float64)
    area = grid.cell_area
    out = []
    for r in np.unique(labels[labels >= 0]):
        sel = labels == r
        if sel.sum() < min_cells:
            continue
        w = area[sel] / area[sel].sum()
        out.append(np.sqrt(np.mean((d[:, sel] @ w) ** 2)))
    out = np.asarray(out)
    if out.size == 0:
        raise ValueError("no region has enough cells")
    return {"median": float(np.median(out)), "mean": float(out.mean()),
            "max": float(out.max()), "n_regions": int(out.size)}


def global_mass_residual(pred, coarse, grid: Grid, mask) -> dict:
    """Area-weighted mean over the mask of ``pred − coarse``, month by month.

    The residual of the global (ocean-)mass constraint: zero when the output holds the
    coarse field's mass over the mask (:func:`jaxgeo.downscale.fit`'s ``conserve_mass``).

    Args:
        pred, coarse: ``(time, nlat, nlon)`` fields in one unit (mm usually); values
            outside the mask are ignored.
        grid: their grid; mask: ``(nlat, nlon)`` boolean.

    Returns:
        ``{"max_abs": .., "per_month": (time,) array}`` in the unit of the fields.

    Raises:
        ValueError: shapes that differ, or a non-finite value inside the mask (naming the
            field, month index and cell).
    """
    w = area_weights(grid, mask)
    mask = np.asarray(mask, dtype=bool)
    out = []
    for name, x in (("pred", pred), ("coarse", coarse)):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 3 or x.shape[1:] != grid.shape:
            raise ValueError(f"global_mass_residual: {name} must be (time, {grid.nlat}, "
                             f"{grid.nlon}), got {x.shape}")
        bad = ~np.isfinite(x) & mask
        if bad.any():
            t, i, j = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(f"global_mass_residual: {name} is {x[t, i, j]} inside the mask "
                             f"at month index {t}, cell (lat {grid.lat[i]:g}, lon "
                             f"{grid.lon[j]:g})")
        out.append(np.where(mask, x, 0.0))
    if out[0].shape != out[1].shape:
        raise ValueError(f"global_mass_residual: pred {out[0].shape} and coarse "
                         f"{out[1].shape} differ")
    per_month = np.einsum("tij,ij->t", out[0] - out[1], w)
    return {"max_abs": float(np.abs(per_month).max()), "per_month": per_month}


def gauge_agreement(pred, gauges, grid: Grid) -> dict:
    """Agreement of a gridded field with point gauges at the gauges' cells, by kind.

    Each gauge is compared with the cell whose centre is nearest (in latitude, and in
    longitude modulo 360°).

    Args:
        pred: ``(time, nlat, nlon)`` field on ``grid``.
        gauges: a Dataset with ``gauge_lat``, ``gauge_lon``, ``gauge_kind`` (gauge) and
            ``gauge_obp`` (time, gauge), as :func:`jaxgeo.downscale.ocean.ocean_experiment`
            returns; the same months as ``pred``.
        grid: the field's grid.

    Returns:
        ``{kind: {"rmse": .., "correlation": .., "n": ..}}`` for every kind and ``"all"``:
        ``rmse`` is the RMS of ``pred − gauge`` over the kind's gauges and months;
        ``correlation`` the median over its gauges of the Pearson correlation in time
        (gauges of zero variance or under 3 months left out); ``n`` the number of gauges.
        NaN in ``gauge_obp`` (a gauge's gap) leaves that month of that gauge out.

    Raises:
        ValueError: a missing variable, month counts that differ, or a non-finite value of
            ``pred`` at a gauge's cell (naming the gauge, its kind and position).
    """
    pred = np.asarray(pred, dtype=np.float64)
    missing = [k for k in ("gauge_lat", "gauge_lon", "gauge_kind", "gauge_obp")
               if k not in gauges]
    if missing:
        raise ValueError(f"gauge_agreement: gauges lack {', '.join(missing)}")
    lat, lon = (np.asarray(gauges[k], dtype=np.float64) for k in ("gauge_lat", "gauge_lon"))
    kind = np.asarray(gauges["gauge_kind"]).astype(str)
    obs = np.asarray(gauges["gauge_obp"].transpose("time", "gauge"), dtype=np.float64)
    if pred.ndim != 3 or pred.shape[1:] != grid.shape or pred.shape[0] != obs.shape[0]:
        raise ValueError(f"gauge_agreement: pred must be ({obs.shape[0]}, {grid.nlat}, "
                         f"{grid.nlon}) (the gauges' months, lat, lon), got {pred.shape}")
    i = np.abs(grid.lat[None, :] - lat[:, None]).argmin(axis=1)
    j = np.abs((grid.lon[None, :] - lon[:, None] + 180.0) % 360.0 - 180.0).argmin(axis=1)
    at = pred[:, i, j]
    bad = ~np.isfinite(at).all(axis=0)
    if bad.any():
        g = int(np.flatnonzero(bad)[0])
        raise ValueError(f"gauge_agreement: pred has no value at gauge {g} ({kind[g]}, lat "
                         f"{lat[g]:g}, lon {lon[g]:g}): the cell is outside the field's mask")
    out = {}
    for name in [*sorted(set(kind)), "all"]:
        sel = kind == name if name != "all" else np.ones(kind.shape, bool)
        ok = np.isfinite(obs[:, sel])  # a gauge's missing months are left out
        a, b = np.where(ok, at[:, sel], 0.0), np.where(ok, obs[:, sel], 0.0)
        cnt = np.maximum(ok.sum(axis=0), 1)
        da = np.where(ok, a - a.sum(axis=0) / cnt, 0.0)
        db = np.where(ok, b - b.sum(axis=0) / cnt, 0.0)
        den = np.sqrt((da**2).sum(axis=0) * (db**2).sum(axis=0))
        use = (den > 0) & (ok.sum(axis=0) >= 3)
        corr = (da * db).sum(axis=0)[use] / den[use]
        out[name] = {"rmse": float(np.sqrt(((a - b) ** 2).sum() / max(ok.sum(), 1))),
                     "correlation": float(np.median(corr)) if corr.size else float("nan"),
                     "n": int(sel.sum())}
    return out


def coverage(mean, sigma, truth, grid: Grid, mask, k: float = 2.0, by=None) -> dict:
    """Area-weighted fraction of the truth inside ``mean ± k·sigma`` over the mask.

    The calibration check of an uncertainty: for Gaussian errors and a correct ``sigma``
    the fraction is ``erf(k/√2)`` (0.954 for ``k = 2``).

    Args:
        mean, sigma, truth: ``(time, nlat, nlon)`` (or ``(nlat, nlon)``) in one unit;
            ``sigma`` ≥ 0 and all three finite over the mask (NaN outside is fine).
        grid: their grid; mask: ``(nlat, nlon)`` boolean.
        k: the half-width of the interval in units of ``sigma`` (> 0).
        by: optional ``(nlat, nlon)`` integer regions (−1 = ignored), e.g.
            :func:`region_labels`.

    Returns:
        ``{"overall": float, "per_month": (time,) array, "per_region": {label: float}}``
        (``per_region`` empty without ``by``; each region's fraction is area-weighted
        over its cells and all months).

    Raises:
        ValueError: shapes that differ, ``k`` not positive, a non-finite value or a
            negative ``sigma`` inside the mask (naming the array, the month and the cell).
    """
    if not (np.isfinite(k) and k > 0):
        raise ValueError(f"k must be a positive number of sigmas, got {k!r}")
    mask = np.asarray(mask, dtype=bool)
    w = area_weights(grid, mask)
    arrays = {"mean": mean, "sigma": sigma, "truth": truth}
    arrays = {n: np.asarray(a, dtype=np.float64) for n, a in arrays.items()}
    shape = arrays["truth"].shape
    for n, a in arrays.items():
        if a.shape != shape or a.shape[-2:] != grid.shape:
            raise ValueError(f"coverage: {n} has shape {a.shape}; truth has {shape} on a "
                             f"grid of {grid.shape}")
        inside = np.where(mask, a, 0.0)
        bad = ~np.isfinite(inside) | ((inside < 0) if n == "sigma" else False)
        if bad.any():
            where = np.argwhere(bad)[0]
            t = f"month index {where[0]}, " if len(shape) == 3 else ""
            raise ValueError(f"coverage: {n} is {float(a[tuple(where)])!r} inside the mask at "
                             f"{t}cell (lat index {where[-2]}, lon index {where[-1]})"
                             + ("; sigma must be finite and ≥ 0" if n == "sigma" else ""))
    m, s, t = (np.where(mask, arrays[n], 0.0) for n in ("mean", "sigma", "truth"))
    hit = (np.abs(t - m) <= k * s).astype(np.float64)
    hit3 = hit.reshape((-1,) + grid.shape)
    per_month = np.sum(w * hit3, axis=(-2, -1))
    out = {"overall": float(per_month.mean()), "per_month": per_month, "per_region": {}}
    if by is not None:
        labels = np.asarray(by)
        if labels.shape != grid.shape:
            raise ValueError(f"coverage: by has shape {labels.shape}, grid is {grid.shape}")
        area = grid.cell_area
        for r in np.unique(labels[(labels >= 0) & mask]):
            sel = (labels == r) & mask
            wr = area[sel] / area[sel].sum()
            out["per_region"][int(r)] = float(np.mean(hit3[:, sel] @ wr))
    return out
