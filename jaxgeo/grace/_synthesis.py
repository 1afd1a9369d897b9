"""Spherical-harmonic synthesis on a cell-centred :class:`jaxgeo.Grid`, in JAX."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._dtype import PRECISION, input_float_dtype, resolve_dtype
from .._grid import Grid
from .._pytree import pytree_dataclass, static_field
from ._checks import check_lmax


def legendre_table(lat_deg, lmax: int) -> np.ndarray:
    """Fully normalised associated Legendre functions ``P̄_lm(sin φ)`` (geodesy, 4π).

    Normalisation ``∫ P̄_lm² cos²/sin²(mλ) dΩ = 4π``, no Condon–Shortley phase. Columns in
    m are computed by the standard forward recursion in l, started from the sectoral
    value without its ``cos^m φ`` factor, which is applied last (the modified forward
    column method of Holmes & Featherstone 2002): nothing underflows before the final
    product, so the table is accurate at any latitude and degree.

    Args:
        lat_deg: latitudes φ in degrees, shape ``(nlat,)``.
        lmax: maximum degree.

    Returns:
        float64 array ``P[m, l, j]`` of shape ``(lmax + 1, lmax + 1, nlat)``, zero for l < m.

    Reference: Holmes & Featherstone (2002), J. Geodesy 76, 279–299, eq. 11–13 and 27.
    """
    lmax = check_lmax(lmax, where="legendre_table", optional=False)
    phi = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    t = np.sin(phi)
    u = np.cos(phi)
    nlat = phi.size
    p = np.zeros((lmax + 1, lmax + 1, nlat))
    # sectoral start values divided by u^m: s_m = s_{m-1} sqrt((2m+1)/(2m)), s_1 = sqrt(3)
    s = 1.0
    with np.errstate(under="ignore"):
        log_u = np.log(np.maximum(u, np.finfo(np.float64).tiny))
        for m in range(lmax + 1):
            if m == 1:
                s = math.sqrt(3.0)
            elif m > 1:
                s *= math.sqrt((2 * m + 1) / (2 * m))
            col = np.zeros((lmax + 1, nlat))
            col[m] = s
            if m + 1 <= lmax:
                col[m + 1] = math.sqrt(2 * m + 3) * t * s
            for l in range(m + 2, lmax + 1):
                a = math.sqrt((2 * l - 1) * (2 * l + 1) / ((l - m) * (l + m)))
                b = math.sqrt((2 * l + 1) * (l + m - 1) * (l - m - 1)
                              / ((l - m) * (l + m) * (2 * l - 3)))
                col[l] = a * t * col[l - 1] - b * col[l - 2]
            p[m] = col * np.exp(m * log_u)[None, :]
    return p


@pytree_dataclass
class SynthesisTable:
    """Precomputed tables for synthesis of degree ≤ ``lmax`` onto ``grid``.

    Attributes:
        plm: ``P̄_lm(sin φ_j)`` as ``[m, l, j]``, shape ``(lmax+1, lmax+1, nlat)``.
        trig: ``[cos(mλ_k); sin(mλ_k)]`` stacked over m, shape ``(2(lmax+1), nlon)``.
        grid: the target grid (static).
        lmax: maximum degree (static).
    """

    plm: jax.Array
    trig: jax.Array
    grid: Grid = static_field()
    lmax: int = static_field()

    @property
    def dtype(self):
        """The dtype the tables are stored and the synthesis computed in."""
        return self.plm.dtype

    @classmethod
    def create(cls, grid: Grid, lmax: int, dtype=None) -> SynthesisTable:
        """Tables for ``grid`` up to degree ``lmax`` (computed in float64, stored as ``dtype``,
        default JAX's default float: float64 when x64 is enabled)."""
        dtype = resolve_dtype(dtype)
        lmax = check_lmax(lmax, where="SynthesisTable.create", optional=False)
        plm = legendre_table(grid.lat, lmax)
        lam = np.deg2rad(np.asarray(grid.lon, dtype=np.float64))
        mlam = np.arange(lmax + 1)[:, None] * lam[None, :]
        trig = np.concatenate([np.cos(mlam), np.sin(mlam)], axis=0)
        return cls(jnp.asarray(plm, dtype), jnp.asarray(trig, dtype), grid, lmax)


def synthesize(table: SynthesisTable, clm: jax.Array, slm: jax.Array) -> jax.Array:
    """Evaluate ``f(φ, λ) = Σ_l Σ_m P̄_lm(sin φ) (C_lm cos mλ + S_lm sin mλ)`` on the grid.

    Pure and differentiable; leading batch axes (e.g. months) are mapped with ``vmap``.
    Computed in the table's dtype; the result has the coefficients' floating dtype
    (integer coefficients: the table's).

    Args:
        table: precomputed :class:`SynthesisTable`.
        clm, slm: coefficients ``[..., l, m]``, shape ``(..., lmax+1, lmax+1)``; entries
            with m > l are ignored.

    Returns:
        array of shape ``(..., nlat, nlon)`` (lat ascending, as the grid), dtype as above.

    Reference: Heiskanen & Moritz (1967), Physical Geodesy, eq. 1-81/2-38 (real
    fully normalised surface harmonics).
    """
    clm = jnp.asarray(clm)
    slm = jnp.asarray(slm)
    out_dtype = input_float_dtype(clm, default=table.dtype)
    if clm.shape != slm.shape or clm.shape[-2:] != (table.lmax + 1, table.lmax + 1):
        raise ValueError(f"clm/slm must have shape (..., {table.lmax + 1}, {table.lmax + 1}), "
                         f"got {clm.shape} and {slm.shape}")
    batch = clm.shape[:-2]
    f = _synthesize_one
    for _ in batch:
        f = jax.vmap(f, in_axes=(None, 0, 0))
    return f(table, clm.astype(table.dtype), slm.astype(table.dtype)).astype(out_dtype)


def _synthesize_one(table: SynthesisTable, clm, slm):
    # Legendre contraction over l first (cost L²·nlat), then one matmul with the
    # cos/sin table (cost 2L·nlat·nlon), instead of an L²·nlat·nlon direct sum.
    # precision=HIGHEST: GPUs would otherwise round the operands to TF32 (10-bit mantissa)
    a = jnp.einsum("mlj,lm->mj", table.plm, clm, precision=PRECISION)
    b = jnp.einsum("mlj,lm->mj", table.plm, slm, precision=PRECISION)
    ab = jnp.concatenate([a, b], axis=0)
    return jnp.einsum("mj,mk->jk", ab, table.trig, precision=PRECISION)
