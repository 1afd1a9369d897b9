"""Normal equations of the HZWD fit: seasonal moment sums, normal matrices, the ridge solve.

The design of one node is ``basis(h) ⊗ harmonics(doy)`` (7 × 5 = 35 columns), linear in
the coefficients (on ln ZWD for ``"exp"``, on ZWD for ``"poly"``). Its normal equations
only need per-interval moments of the height above the interval base, crossed with the
harmonics; these stream over time in bounded memory. Kernels: times are days of year.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._dtype import PRECISION
from ._hzwd import H_BREAKS_M, H_MAX_M, H_MIN_M, N_HARM, N_PARAM, harmonic_basis

N_COEF = N_PARAM * N_HARM
_HANKEL = np.add.outer(np.arange(3), np.arange(3))  # power index p + q


def valid_targets(h, z, family, min_zwd_m):
    """Which levels count, and the regression target there.

    Levels count inside [−500 m, 10 km] with finite height and ZWD (and, for ``"exp"``,
    ZWD above ``min_zwd_m``). The target is ln ZWD for ``"exp"``, ZWD for ``"poly"``; 1 or 0
    (harmless placeholders) elsewhere.

    Returns:
        ``(valid (bool, shape of h), target (shape of h))``.
    """
    valid = jnp.isfinite(h) & jnp.isfinite(z) & (h >= H_MIN_M) & (h <= H_MAX_M)
    if family == "exp":
        valid = valid & (z > min_zwd_m)
        y = jnp.log(jnp.where(valid, z, 1.0))
    else:
        y = jnp.where(valid, z, 0.0)
    return valid, y


def _interval_maps() -> np.ndarray:
    """``D[k]`` (7 × 3): the height basis in interval k as a map of ``[1, u, u²]``.

    ``u`` is the height above the interval's base (km): interval 1 has base 0 and s1 = u;
    interval 2 has s1 = 2, s2 = u; interval 3 has s1 = 2, s2 = 3, s3 = u.
    """
    b1 = H_BREAKS_M[0] / 1000.0
    w2 = (H_BREAKS_M[1] - H_BREAKS_M[0]) / 1000.0
    d = np.zeros((3, N_PARAM, 3))
    for k in range(3):
        d[k, 0, 0] = 1.0
        if k >= 1:
            d[k, 1, 0], d[k, 2, 0] = -b1, -b1 * b1
        if k >= 2:
            d[k, 3, 0], d[k, 4, 0] = -w2, -w2 * w2
        d[k, 1 + 2 * k, 1] = -1.0
        d[k, 2 + 2 * k, 2] = -1.0
    return d


_D = _interval_maps()


@partial(jax.jit, static_argnames=("family", "shared_doy"))
def moment_sums(doy, h, z, *, family, shared_doy, min_zwd_m):
    """Seasonal moment sums of one chunk of profiles, per column (a kernel).

    The normal matrix of the design ``basis(h) ⊗ harmonics(doy)`` only needs, per profile
    and interval, the moments ``Σ u^p`` (p ≤ 4) and ``Σ y u^p`` (p ≤ 2) of the height
    above the interval base — 24 sums per level instead of the 56 products of the full
    design — and these are then crossed with the harmonics by one matrix product over time.

    Args:
        doy: day of year, (T, C); ``shared_doy``: every column has the same time (only
            ``doy[:, 0]`` is read).
        h, z: heights and ZWD, m, (T, C, L).

    Returns:
        ``(mu (C, 3, 5, 5, 5), nu (C, 3, 3, 5), n (C,))``: moment ⊗ harmonic outer
        products summed over time, and the count of valid levels.
    """
    valid, y = valid_targets(h, z, family, min_zwd_m)
    w = valid.astype(h.dtype)
    hk = jnp.clip(jnp.where(valid, h, 0.0), H_MIN_M, H_MAX_M) / 1000.0
    b1, b2 = H_BREAKS_M[0] / 1000.0, H_BREAKS_M[1] / 1000.0
    k = (hk >= b1).astype(jnp.int32) + (hk >= b2).astype(jnp.int32)
    u = hk - jnp.where(k == 0, 0.0, jnp.where(k == 1, b1, b2))
    u2 = u * u
    powers = jnp.stack([jnp.ones_like(u), u, u2, u2 * u, u2 * u2], axis=-1)  # (T,C,L,5)
    onehot = ((k[..., None] == jnp.arange(3, dtype=jnp.int32)[None, None, None, :])
              .astype(h.dtype) * w[..., None])
    mu = jnp.sum(onehot[..., :, None] * powers[..., None, :], axis=2)  # (T,C,3,5)
    nu = jnp.sum((onehot * y[..., None])[..., :, None] * powers[..., None, :3], axis=2)
    t, c = h.shape[:2]
    if shared_doy:
        s = harmonic_basis(doy[:, 0])  # (T,5)
        ss = (s[:, :, None] * s[:, None, :]).reshape(t, N_HARM * N_HARM)
        mu_s = jnp.matmul(mu.reshape(t, -1).T, ss, precision=PRECISION).reshape(
            c, 3, 5, N_HARM, N_HARM)
        nu_s = jnp.matmul(nu.reshape(t, -1).T, s, precision=PRECISION).reshape(c, 3, 3, N_HARM)
    else:
        s = harmonic_basis(doy)  # (T,C,5)
        ss = s[..., :, None] * s[..., None, :]
        mu_s = jnp.einsum("tckp,tcab->ckpab", mu, ss, precision=PRECISION)
        nu_s = jnp.einsum("tckp,tca->ckpa", nu, s, precision=PRECISION)
    return mu_s, nu_s, w.sum(axis=(0, 2))


def normal_from_moments(mu_s, nu_s):
    """Normal matrix (N, 35, 35) and right-hand side (N, 35) from summed moments (NumPy)."""
    hank = np.asarray(mu_s)[:, :, _HANKEL]  # (N, 3, 3, 3, 5, 5): [k, p, q, a, b]
    m = np.einsum("kip,kjq,nkpqab->niajb", _D, _D, hank, optimize=True)
    r = np.einsum("kip,nkpa->nia", _D, np.asarray(nu_s), optimize=True)
    n = m.shape[0]
    return m.reshape(n, N_COEF, N_COEF), r.reshape(n, N_COEF)


def normal_equations(doy, height_m, zwd_m, *, family: str = "exp", min_zwd_m: float = 1e-4):
    """Normal equations of the HZWD design per column of a chunk (a kernel: days of year).

    What :func:`jaxgeo.troposphere.fit_hzwd` accumulates over its chunks (before summing
    the columns of a node), through the moment route of :func:`moment_sums`.

    Args:
        doy: day of year, (T,) or (T, C).
        height_m, zwd_m: (T, C, L), m (NaN = missing level).
        family: ``"exp"`` (target ln ZWD) or ``"poly"`` (target ZWD).
        min_zwd_m: for ``"exp"``, levels with ZWD at or below this are ignored.

    Returns:
        ``(normal matrix (C, 35, 35), right-hand side (C, 35), valid levels (C,))``,
        NumPy, coefficient order ``(parameter, harmonic)``.
    """
    h = np.asarray(height_m, dtype=np.float64)
    doy = np.broadcast_to(np.asarray(doy, dtype=np.float64).reshape(h.shape[0], -1),
                          h.shape[:2])
    shared = bool(np.all(doy == doy[:, :1]))
    z = np.asarray(zwd_m, dtype=np.float64)
    mu, nu, n = moment_sums(jnp.asarray(doy), jnp.asarray(h), jnp.asarray(z), family=family,
                            shared_doy=shared, min_zwd_m=min_zwd_m)
    m, r = normal_from_moments(mu, nu)
    return m, r, np.asarray(n)


@jax.jit
def solve_nodes(m, r, ridge):
    """Coefficients (N, 35) from normal equations (N, 35, 35), (N, 35), with a ridge.

    The ridge is relative to the mean diagonal; seasonal coefficients get ``ridge`` and the
    means ``1e-3 ridge``.
    """

    def one(mi, ri):
        d = jnp.diagonal(mi)
        scale = jnp.mean(d) + 1e-300
        # seasonal coefficients are penalised more than the means: with few epochs they
        # are collinear with a0 and should then stay near zero
        seasonal = (jnp.arange(N_COEF) % N_HARM) != 0
        pen = scale * jnp.where(seasonal, ridge, 1e-3 * ridge)
        return jnp.linalg.solve(mi + jnp.diag(pen), ri)

    return jax.vmap(one)(m, r)
