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
