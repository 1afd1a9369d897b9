"""Refinement in ZWD space: Adam for the HZWD node fits, Levenberg–Marquardt per column.

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


def lm_refine(residual, theta0, args: tuple, *, steps: int):
    """Levenberg–Marquardt on independent items, vmapped: the least-squares optimum.

    For each item ``i`` separately, minimises ``sum(residual(theta_i, *args_i)²)`` with
    the Marquardt-scaled damping ``(JᵀJ + λ diag(JᵀJ)) δ = −Jᵀr`` (``λ`` divided by 3
    after a step that lowers the loss, multiplied by 4 otherwise; a step is kept only
    where it lowers the loss, so the loss never rises). For the small smooth problems
    here (2 or 7 parameters) a few tens of ``steps`` reach the optimum to round-off.

    Args:
        residual: ``(theta (P,), *args_i) -> r (L,)`` of one item, weights folded in.
        theta0: starting parameters, (N, P).
        args: arrays with a leading item axis N, passed per item to ``residual``.
        steps: iterations (static).

    Returns:
        (N, P) refined parameters.
    """

    def one(theta, *item_args):
        def res(t):
            return residual(t, *item_args)

        def loss(t):
            r = res(t)
            return jnp.sum(r * r)

        def body(_, carry):
            t, lam, f = carry
            r = res(t)
            jac = jax.jacfwd(res)(t)
            a = jnp.matmul(jac.T, jac, precision=PRECISION)
            g = jnp.matmul(jac.T, r, precision=PRECISION)
            d = jnp.diagonal(a)
            damp = lam * d + 1e-12 * jnp.max(d) + 1e-300
            t_new = t + jnp.linalg.solve(a + jnp.diag(damp), -g)
            f_new = loss(t_new)
            better = jnp.isfinite(f_new) & (f_new < f)
            return (jnp.where(better, t_new, t), jnp.where(better, lam / 3.0, lam * 4.0),
                    jnp.where(better, f_new, f))

        lam0 = jnp.asarray(1e-3, theta.dtype)
        t, _, _ = jax.lax.fori_loop(0, steps, body, (theta, lam0, loss(theta)))
        return t

    return jax.vmap(one)(theta0, *args)


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
