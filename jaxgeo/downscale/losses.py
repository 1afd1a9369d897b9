"""Loss terms of self-supervised downscaling, as composable pure JAX functions.

Fields are ``(..., nlat, nlon)`` arrays; leading axes (months of a batch) are averaged.
``weights`` are ``(nlat, nlon)`` non-negative cell weights, zero outside the mask
(normally the cell areas over the mask); values of ``pred``/``model`` where the weight is
zero are ignored even if they are NaN.

The physics constraint is :func:`cap_consistency`: area-weighted spherical-cap means of the
prediction must equal those of the coarse (GRACE) field. The small-scale pattern comes from
a similarity term with the model field: :func:`mae_decorrelation` (the published form),
:func:`mse` or :func:`gradient_matching`. :func:`patch_loss_parity` reproduces the published
per-patch loss exactly, for comparison.

Reference: Gou & Soja (2024), Nature Water 2, 139–150; Gou et al. (2025), J. Geodesy.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = [
    "cap_consistency",
    "gradient_matching",
    "mae_decorrelation",
    "mse",
    "patch_loss_parity",
    "weighted_pearson",
]

_EPS = 1e-12


def _over(weights, x):
    """``weights`` ``(nlat, nlon)`` broadcast explicitly to ``x``'s shape (no rank promotion)."""
    return jnp.broadcast_to(weights, jnp.shape(x))


def _zero_outside(x, weights):
    # where() rather than multiplication so that NaNs outside the mask neither leak into
    # the value nor into the gradient.
    return jnp.where(_over(weights, x) > 0, x, jnp.zeros((), x.dtype))


def _wmean(x, weights):
    """Weighted mean over the last two axes."""
    w = weights.astype(x.dtype)
    return jnp.sum(_over(w, x) * _zero_outside(x, weights), axis=(-2, -1)) / jnp.sum(w)


def cap_consistency(pred, target_caps, cap_op, centre_weights, *, power: int = 1):
    """Mean cap-mean misfit ``Σ_c w_c |cap(pred)_c − target_c|^p / Σ_c w_c``.

    Args:
        pred: ``(..., nlat, nlon)`` predicted high-resolution field.
        target_caps: ``(..., tlat, tlon)`` cap means of the coarse field at the same
            centres (``cap_op(coarse)``, computed once outside the training loop).
        cap_op: a :class:`jaxgeo.sphere.CapAverage` (masked; targets optional).
        centre_weights: ``(tlat, tlon)`` weights of the cap centres, zero where a cap has
            no mask weight (its mean is NaN) or the centre is not wanted.
        power: 1 (mean absolute misfit, as published) or 2 (mean squared).

    Returns:
        Scalar loss, in the unit of the fields (to the ``power``).
    """
    misfit = cap_op(pred) - target_caps
    err = jnp.abs(misfit) if power == 1 else misfit**2
    return jnp.mean(_wmean(err, centre_weights))


def weighted_pearson(a, b, weights):
    """Weighted Pearson correlation over the last two axes, shape ``(...)``."""
    a, b = _zero_outside(a, weights), _zero_outside(b, weights)
    ma = _wmean(a, weights)[..., None, None]
    mb = _wmean(b, weights)[..., None, None]
    cov = _wmean((a - ma) * (b - mb), weights)
    var = _wmean((a - ma) ** 2, weights) * _wmean((b - mb) ** 2, weights)
    return cov / jnp.sqrt(var + _EPS)


def mae_decorrelation(pred, model, weights):
    """``MAE(model, pred) · (1 − ρ(model, pred))``, weighted, averaged over leading axes.

    The similarity term of Gou & Soja (2024), here with area weights over the mask and the
    whole field (not a patch) as the sample.
    """
    pred, model = _zero_outside(pred, weights), _zero_outside(model, weights)
    mae = _wmean(jnp.abs(pred - model), weights)
    return jnp.mean(mae * (1.0 - weighted_pearson(model, pred, weights)))


def mse(pred, model, weights):
    """Weighted mean squared difference, averaged over leading axes."""
    d = _zero_outside(pred, weights) - _zero_outside(model, weights)
    return jnp.mean(_wmean(d**2, weights))


def gradient_matching(pred, model, weights):
    """Mean squared difference of neighbour differences (north–south and east–west).

    Matches the small-scale pattern of ``model`` without constraining its mean: a pair of
    neighbours counts only where both cells have weight; east–west pairs wrap around in
    longitude. Differences are per cell, not per metre (the grid is regular in angle).
    """
    d = _zero_outside(pred, weights) - _zero_outside(model, weights)
    w_ns = jnp.minimum(weights[1:, :], weights[:-1, :])
    w_ew = jnp.minimum(weights, jnp.roll(weights, -1, axis=-1))
    g_ns = d[..., 1:, :] - d[..., :-1, :]
    g_ew = jnp.roll(d, -1, axis=-1) - d
    num = (jnp.sum(_over(w_ns, g_ns) * _zero_outside(g_ns, w_ns) ** 2, axis=(-2, -1))
           + jnp.sum(_over(w_ew, g_ew) * _zero_outside(g_ew, w_ew) ** 2, axis=(-2, -1)))
    return jnp.mean(num / (jnp.sum(w_ns) + jnp.sum(w_ew)))


def patch_loss_parity(pred, grace, model):
    """The published per-patch loss, exactly: ``|mean(grace) − mean(pred)| + MAE·(1 − ρ)``.

    Plain (unweighted) means over each patch's last two axes; MAE and Pearson ρ between
    ``model`` and ``pred`` over the patch; averaged over the batch (leading axes), as
    Keras averages a per-sample loss.

    Args:
        pred, grace, model: ``(..., 32, 32)`` patches (any patch size works).

    Reference: Gou & Soja (2024), Nature Water 2, 139–150, Methods (loss function).
    """
    mean = lambda x: jnp.mean(x, axis=(-2, -1))  # noqa: E731
    cap_term = jnp.abs(mean(grace) - mean(pred))
    mae = mean(jnp.abs(model - pred))
    dm = model - mean(model)[..., None, None]
    dp = pred - mean(pred)[..., None, None]
    rho = mean(dm * dp) / jnp.sqrt(mean(dm**2) * mean(dp**2) + _EPS)
    return jnp.mean(cap_term + mae * (1.0 - rho))
