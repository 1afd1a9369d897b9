"""Per-column fits of height-function families (no time terms), for validation."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from .._deprecation import reject_unknown, renamed
from .._dtype import PRECISION
from ._hzwd import H_MAX_M, H_MIN_M, height_basis
from ._normal import valid_targets
from ._refine import lm_refine

COLUMN_FAMILIES = ("hzwd-exp", "hzwd-poly", "single-exp")
"""Families of :func:`fit_columns`: the HZWD functions of one node, and one exponential."""


def _column_basis(h, family):
    if family == "single-exp":
        hk = jnp.clip(h, H_MIN_M, H_MAX_M) / 1000.0
        return jnp.stack([jnp.ones_like(hk), -hk], axis=-1)
    return height_basis(h)


def fit_columns(height_msl_m=None, zwd_m=None, *, family: str = "hzwd-exp", steps: int = 300,
                learning_rate: float = 3e-3, min_zwd_m: float = 1e-4, **kwargs):
    """Fit one height function per column (no time terms) and return it at the levels.

    ``"hzwd-exp"``/``"hzwd-poly"`` are the HZWD families of a single node;
    ``"single-exp"`` is the one-exponential profile of GPT2w/GPT3 type,
    ``ZWD(h) = ZWD0 exp(−h / H)``. Closed-form least squares (on ln ZWD for the
    exponential forms), then Levenberg–Marquardt on the ZWD-space sum of squared errors
    (not for ``poly``, which the closed form already solves), vmapped over columns: the
    least-squares optimum of the model in ZWD space (checked against
    ``scipy.optimize.least_squares`` in the tests). Only levels in [−500 m, 10 km] with
    ZWD > ``min_zwd_m`` count.

    Args:
        height_msl_m: level heights above mean sea level, m, (C, L) (NaN = no level).
        zwd_m: ZWD above each level, m, (C, L).
        steps: Levenberg–Marquardt iterations (0: the closed form alone; 30 or more
            reach the optimum to round-off on ERA5 columns).
        learning_rate: unused (it was Adam's); kept so that calls keep working.

    Returns:
        ``(predicted_zwd_m (C, L), parameters (C, P))``; jit-able and differentiable.
    """
    height_msl_m = renamed(kwargs, "height_m", "height_msl_m", where="fit_columns",
                           current=height_msl_m)
    reject_unknown(kwargs, where="fit_columns")
    if height_msl_m is None or zwd_m is None:
        raise TypeError("fit_columns needs height_msl_m and zwd_m")
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0 (0: closed form only), got "
                         f"{steps!r}")
    if family not in COLUMN_FAMILIES:
        raise ValueError(f"family must be one of {COLUMN_FAMILIES}, got {family!r}")
    return _fit_columns(height_msl_m, zwd_m, family=family, steps=steps,
                        learning_rate=learning_rate, min_zwd_m=min_zwd_m)


@partial(jax.jit, static_argnames=("family", "steps"))
def _fit_columns(height_m, zwd_m, *, family, steps, learning_rate, min_zwd_m):
    h = jnp.asarray(height_m)
    z = jnp.asarray(zwd_m)
    log_space = family != "hzwd-poly"
    valid, y = valid_targets(h, z, "exp" if log_space else "poly", min_zwd_m)
    w = valid.astype(h.dtype)
    g = _column_basis(jnp.where(valid, h, 0.0), family)
    z = jnp.where(valid, z, 0.0)

    def ls(gi, yi, wi):
        gw = gi * wi[:, None]
        a = jnp.matmul(gw.T, gi, precision=PRECISION)
        # relative ridge for conditioning; the absolute floor makes empty columns give zeros
        lam = 1e-12 * jnp.mean(jnp.diagonal(a)) + 1e-30
        return jnp.linalg.solve(a + lam * jnp.eye(a.shape[0]),
                                jnp.matmul(gw.T, yi, precision=PRECISION))

    theta0 = jax.vmap(ls)(g, y, w)

    def predict(theta, gi):
        eta = jnp.matmul(gi, theta, precision=PRECISION)
        return jnp.exp(eta) if log_space else eta

    if log_space and steps > 0:
        def residual(theta, gi, zi, wi):
            return jnp.sqrt(wi) * (predict(theta, gi) - zi)

        theta = lm_refine(residual, theta0, (g, z, w), steps=steps)
    else:
        theta = theta0
    g_all = _column_basis(jnp.where(jnp.isfinite(h), h, 0.0), family)
    pred = jnp.where(jnp.isfinite(h), jax.vmap(predict)(theta, g_all), jnp.nan)
    return pred, theta
