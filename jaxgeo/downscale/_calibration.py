"""Truth-free calibration of an ensemble's uncertainty: the coarse field's share.

Members that differ only by their seed agree on everything the data pin down, so their
spread misses the error the data themselves carry: the coarse field's noise, and the
large-scale error of a prediction that the coarse field cannot correct. Both show, without
any truth, in the *held-out cap-mean misfit*: with ``noise2self`` inputs no input of month
``t`` depends on the coarse field of month ``t``, so

    d_t = cap(obs(ŷ_t)) − cap(coarse_t)

(``obs``: the coarse product's smoothing of the loss, ``cap``: the masked cap mean of the
consistency radius) is an out-of-sample residual: ``cap(obs(ŷ − truth)) − cap(noise)``;
its mean square over the months, per cell, bounds the prediction's squared error at the
cap scale from above by the coarse field's noise variance there. Without ``noise2self`` the
prediction has seen ``coarse_t``, so the residual of the same cap correction
``cap(coarse − model)`` about its leave-one-out seasonal-trend fit
(:func:`jaxgeo.seasonal.seasonal_trend_fit`) stands in for it: what the months around do
not predict.

``data_sigma`` is the root of that per-cell mean square; the total uncertainty is
``sqrt(spread² + data_sigma²)`` (independent errors add in variance).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..seasonal import seasonal_trend_fit
from ._features import apply_chunked

__all__ = ["data_sigma"]


def data_sigma(mean, coarse, model, *, grid, mask, time, radius_deg: float, noise2self: bool,
               observation_half_width_km: float | None) -> np.ndarray:
    """Per-cell coarse-field uncertainty ``(nlat, nlon)`` of a downscaled field (0 outside).

    Args:
        mean: ``(T, nlat, nlon)`` the prediction (the ensemble mean), NaN outside the mask.
        coarse, model: ``(T, nlat, nlon)`` the inputs of the prediction, same unit.
        grid, mask: the data grid and its boolean mask.
        time: the ``T`` months (for the seasonal-trend fit).
        radius_deg: cap radius of the consistency constraint.
        noise2self: whether the prediction was blind to each month's coarse field.
        observation_half_width_km: the loss's model of the coarse product's smoothing.

    Raises:
        ValueError: fewer than 12 months (the residual needs a seasonal cycle to stand out).
    """
    from ..sphere import CapAverage, GaussianSmooth

    if len(time) < 12:
        raise ValueError(f"the calibrated uncertainty needs at least 12 months (a seasonal "
                         f"cycle), got {len(time)}")
    dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    mask = np.asarray(mask, bool)
    cap = CapAverage(grid, radius_deg, mask=mask, dtype=dtype)

    def filled(x):
        return np.where(mask, np.asarray(x, np.float64), 0.0).astype(dtype)

    if noise2self:
        pred = filled(mean)
        if observation_half_width_km is not None:
            obs = GaussianSmooth(grid, observation_half_width_km, mask=mask, dtype=dtype)
            pred = apply_chunked(obs, pred)
        resid = apply_chunked(cap, filled(pred)) - apply_chunked(cap, filled(coarse))
    else:
        corr = np.asarray(apply_chunked(cap, filled(np.asarray(coarse) - np.asarray(model))),
                          np.float64)
        resid = corr - seasonal_trend_fit(corr, time, leave_out=True)
    sigma = np.sqrt(np.mean(np.asarray(resid, np.float64) ** 2, axis=0))
    return np.where(mask, sigma, 0.0)
