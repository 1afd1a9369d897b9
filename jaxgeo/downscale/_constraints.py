"""Hard constraints applied to a downscaled field after the network: global mass."""

from __future__ import annotations

import numpy as np

__all__ = ["conserve_mass"]


def conserve_mass(pred, coarse, area_weights_over_mask) -> np.ndarray:
    """Shift each month of ``pred`` so that its area-weighted mean over the mask equals
    the coarse field's (the global ocean-mass constraint of Gou et al. 2025).

    A *uniform* shift per month: it moves the mean and nothing else, so every gradient and
    pattern of the output (what the network learned from the models) is kept, and among
    all corrections that meet the constraint it is the smallest in the area-weighted
    least-squares sense. The constraint then holds exactly, up to rounding
    (|residual| ≲ 1e-12 of the field's size in float64).

    Args:
        pred: ``(..., nlat, nlon)`` output; values outside the mask are returned unchanged
            (NaN allowed there).
        coarse: the coarse field, same shape (NaN allowed outside the mask).
        area_weights_over_mask: ``(nlat, nlon)`` non-negative weights, positive exactly on
            the mask (e.g. :func:`jaxgeo.regions.area_weights`); normalised here.

    Returns:
        float64 array of ``pred``'s shape.

    Raises:
        ValueError: shapes that differ, weights that are negative, non-finite or all zero,
            or a non-finite value of ``pred`` or ``coarse`` on the mask (naming the field
            and the month index).
    """
    pred = np.asarray(pred, dtype=np.float64)
    coarse = np.asarray(coarse, dtype=np.float64)
    w = np.asarray(area_weights_over_mask, dtype=np.float64)
    if pred.shape != coarse.shape or pred.ndim < 2 or pred.shape[-2:] != w.shape:
        raise ValueError(f"conserve_mass: pred {pred.shape}, coarse {coarse.shape} and weights "
                         f"{w.shape} must share the grid (pred and coarse the same shape)")
    if not np.isfinite(w).all() or (w < 0).any() or not (w > 0).any():
        raise ValueError("conserve_mass: the area weights must be finite, ≥ 0 and positive "
                         "somewhere (the mask)")
    mask = w > 0
    w = w / w.sum()
    for name, x in (("pred", pred), ("coarse", coarse)):
        bad = ~np.isfinite(x[..., mask]).all(axis=-1)
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            raise ValueError(f"conserve_mass: {name} has a non-finite value on the mask in "
                             f"month index {k}")
    diff = np.where(mask, coarse - pred, 0.0)
    shift = np.sum(diff * w, axis=(-2, -1))
    out = np.where(mask, pred + shift[..., None, None], pred)
    # one more pass removes the rounding of the first (sums of ~1e5 terms)
    rest = np.sum(np.where(mask, coarse - out, 0.0) * w, axis=(-2, -1))
    return np.where(mask, out + rest[..., None, None], out)
