"""Spherical-harmonic synthesis on a cell-centred :class:`jaxgeo.Grid`, and the
conversion of Stokes coefficients to equivalent water height, in JAX."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._grid import Grid
from ..sphere import gaussian_legendre_weights
from ._love import load_love_numbers

RHO_EARTH_KG_M3 = 5517.0
"""Average density of the Earth used by Wahr, Molenaar & Bryan (1998), kg/m³."""
RHO_WATER_KG_M3 = 1000.0
"""Density of fresh water, kg/m³ (equivalent water height convention)."""


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
    lmax = int(lmax)
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


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
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
    grid: Grid = dataclasses.field(metadata=dict(static=True))
    lmax: int = dataclasses.field(metadata=dict(static=True))

    @classmethod
    def create(cls, grid: Grid, lmax: int, dtype=None) -> SynthesisTable:
        """Tables for ``grid`` up to degree ``lmax`` (computed in float64, stored as ``dtype``,
        default JAX's default float: float64 when x64 is enabled)."""
        if int(lmax) != lmax or lmax < 0:
            raise ValueError(f"lmax must be a non-negative integer, got {lmax!r}")
        lmax = int(lmax)
        plm = legendre_table(grid.lat, lmax)
        lam = np.deg2rad(np.asarray(grid.lon, dtype=np.float64))
        mlam = np.arange(lmax + 1)[:, None] * lam[None, :]
        trig = np.concatenate([np.cos(mlam), np.sin(mlam)], axis=0)
        return cls(jnp.asarray(plm, dtype), jnp.asarray(trig, dtype), grid, lmax)


def synthesize(table: SynthesisTable, clm: jax.Array, slm: jax.Array) -> jax.Array:
    """Evaluate ``f(φ, λ) = Σ_l Σ_m P̄_lm(sin φ) (C_lm cos mλ + S_lm sin mλ)`` on the grid.

    Pure and differentiable; leading batch axes (e.g. months) are mapped with ``vmap``.

    Args:
        table: precomputed :class:`SynthesisTable`.
        clm, slm: coefficients ``[..., l, m]``, shape ``(..., lmax+1, lmax+1)``; entries
            with m > l are ignored.

    Returns:
        array of shape ``(..., nlat, nlon)`` (lat ascending, as the grid).

    Reference: Heiskanen & Moritz (1967), Physical Geodesy, eq. 1-81/2-38 (real
    fully normalised surface harmonics).
    """
    clm = jnp.asarray(clm)
    slm = jnp.asarray(slm)
    if clm.shape != slm.shape or clm.shape[-2:] != (table.lmax + 1, table.lmax + 1):
        raise ValueError(f"clm/slm must have shape (..., {table.lmax + 1}, {table.lmax + 1}), "
                         f"got {clm.shape} and {slm.shape}")
    batch = clm.shape[:-2]
    f = _synthesize_one
    for _ in batch:
        f = jax.vmap(f, in_axes=(None, 0, 0))
    return f(table, clm, slm)


def _synthesize_one(table: SynthesisTable, clm, slm):
    # Legendre contraction over l first (cost L²·nlat), then one matmul with the
    # cos/sin table (cost 2L·nlat·nlon), instead of an L²·nlat·nlon direct sum.
    a = jnp.einsum("mlj,lm->mj", table.plm, clm)
    b = jnp.einsum("mlj,lm->mj", table.plm, slm)
    ab = jnp.concatenate([a, b], axis=0)
    return jnp.einsum("mj,mk->jk", ab, table.trig)


def ewh_degree_factors(lmax: int, *, radius_m: float, love_k=None,
                       rho_earth_kg_m3: float = RHO_EARTH_KG_M3,
                       rho_water_kg_m3: float = RHO_WATER_KG_M3) -> np.ndarray:
    """Per-degree factor turning ΔC/ΔS into equivalent water height in metres.

    ``F_l = a ρ_ave (2l+1) / (3 ρ_w (1 + k_l))``, so that
    ``EWH = Σ F_l P̄_lm (ΔC cos mλ + ΔS sin mλ)`` in m of water.

    Args:
        lmax: maximum degree.
        radius_m: reference radius ``a`` of the coefficients, m.
        love_k: load Love numbers ``k_l``, shape ``(lmax+1,)``; PREM with k_1 = 0.021
            (:func:`load_love_numbers`) by default.
        rho_earth_kg_m3, rho_water_kg_m3: densities, kg/m³.

    Returns:
        float64 array of shape ``(lmax + 1,)``, metres.

    Reference: Wahr, Molenaar & Bryan (1998), J. Geophys. Res. 103(B12), 30205, eq. 14.
    """
    k = load_love_numbers(lmax) if love_k is None else np.asarray(love_k, np.float64)
    if k.shape != (lmax + 1,):
        raise ValueError(f"love_k must have shape ({lmax + 1},), got {k.shape}")
    ell = np.arange(lmax + 1, dtype=np.float64)
    return radius_m * rho_earth_kg_m3 * (2 * ell + 1) / (3 * rho_water_kg_m3 * (1 + k))


def degree_weights(lmax: int, *, radius_m: float, gaussian_km: float | None = None,
                   love_k=None) -> np.ndarray:
    """EWH factors times the Gaussian smoothing weights ``W_l`` (if ``gaussian_km``), m.

    Args:
        lmax: maximum degree.
        radius_m: reference radius of the coefficients, m.
        gaussian_km: Gaussian half-width in km (Jekeli/Wahr), or None for no smoothing.
        love_k: load Love numbers, shape ``(lmax+1,)`` (default PREM, k_1 = 0.021).

    Returns:
        float64 array of shape ``(lmax + 1,)``, metres of water per unit coefficient.

    Reference: Wahr, Molenaar & Bryan (1998), eq. 14 and 30–34.
    """
    w = ewh_degree_factors(lmax, radius_m=radius_m, love_k=love_k)
    if gaussian_km:
        w = w * gaussian_legendre_weights(gaussian_km, lmax)
    return w


def synthesize_ewh(table: SynthesisTable, dclm: jax.Array, dslm: jax.Array,
                   weights_m: jax.Array) -> jax.Array:
    """Equivalent water height from coefficient anomalies, m (differentiable).

    Args:
        table: :class:`SynthesisTable` of degree ``L``.
        dclm, dslm: Stokes coefficient anomalies ``[..., l, m]``, shape ``(..., L+1, L+1)``.
        weights_m: per-degree weights from :func:`degree_weights`, shape ``(L+1,)``, m.

    Returns:
        EWH in metres of water, shape ``(..., nlat, nlon)``.

    Reference: Wahr, Molenaar & Bryan (1998), eq. 14.
    """
    w = jnp.asarray(weights_m)[:, None]
    return synthesize(table, jnp.asarray(dclm) * w, jnp.asarray(dslm) * w)
