"""Refinement in ZWD space: the one Adam loop of the HZWD and per-column fits.

The closed-form fits of the ``"exp"`` families minimise the error of ln ZWD; Adam then
minimises the mean square error of ZWD itself, item by item (nodes or columns are
independent), and each item keeps whichever coefficients are better in ZWD space.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import optax

from .._dtype import PRECISION, standard_promotion
from ._hzwd import N_HARM, N_PARAM, harmonic_basis, height_basis


def adam_refine(item_loss, theta0, *, steps: int, learning_rate):
    """Adam with a cosine-decayed learning rate on ``sum(item_loss(theta))``.

    Args:
        item_loss: ``theta (N, P) -> (N,)`` losses of independent items (the gradient of
            the sum is the per-item gradient).
        theta0: starting parameters, (N, P).
        steps: Adam steps (static).
        learning_rate: peak learning rate.

    Returns:
        (N, P): per item the refined parameters where they lower ``item_loss``, else
        ``theta0`` (Adam moves even at an optimum).
    """
    opt = optax.adam(optax.cosine_decay_schedule(learning_rate, steps))

    def total(theta):
        return jnp.sum(item_loss(theta))

    def step(carry, _):
        theta, state = carry
        # optax mixes its int32 step counter with floats (bias correction, schedules),
        # which strict dtype promotion rejects: standard promotion inside optax only
        with standard_promotion():
            updates, state = opt.update(jax.grad(total)(theta), state, theta)
        return (optax.apply_updates(theta, updates), state), None

    (theta, _), _ = jax.lax.scan(step, (theta0, opt.init(theta0)), None, length=steps)
    return jnp.where((item_loss(theta) < item_loss(theta0))[:, None], theta, theta0)


def node_residuals(theta, h, doy, z, w, family):
    """ZWD residuals (model − data, m) of one node's 35 coefficients at its samples.

    Args:
        theta: (35,) coefficients; h, z: (S, L) heights and ZWD, m; doy: (S,) days of
            year; w: (S, L) weights (0: not a sample; residual 0 there).
    """
    c = theta.reshape(N_PARAM, N_HARM)
    g = height_basis(h)
    p = jnp.matmul(harmonic_basis(doy), c.T, precision=PRECISION)  # (S, 7)
    eta = jnp.einsum("sli,si->sl", g, p, precision=PRECISION)
    pred = jnp.exp(eta) if family == "exp" else eta
    return jnp.where(w > 0, pred - z, 0.0)


def all_residuals(theta, h, doy, z, w, *, family):
    """:func:`node_residuals` of every node: (N, S, L)."""
    return jax.vmap(lambda t, a, b, c, d: node_residuals(t, a, b, c, d, family))(
        theta, h, doy, z, w)


@partial(jax.jit, static_argnames=("family", "steps"))
def refine_nodes(theta0, h, doy, z, w, learning_rate, *, family, steps):
    """Refine node coefficients (N, 35) on their samples (N, S, L) in ZWD space."""

    def node_loss(theta, hn, dn, zn, wn):
        res = node_residuals(theta, hn, dn, zn, wn, family)
        return jnp.sum(res * res) / jnp.maximum(jnp.sum(wn), 1.0)

    def item_loss(theta):
        return jax.vmap(node_loss)(theta, h, doy, z, w)

    return adam_refine(item_loss, theta0, steps=steps, learning_rate=learning_rate)
