"""Stokes coefficient anomalies to equivalent water height: per-degree factors, Gaussian
smoothing weights and the weighted synthesis."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._deprecation import reject_unknown, renamed
from .._dtype import input_float_dtype
from ..constants import RHO_EARTH_KG_M3, RHO_WATER_KG_M3
from ..sphere import gaussian_legendre_weights
from ._checks import check_lmax
from ._love import load_love_numbers
from ._synthesis import SynthesisTable, synthesize


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
    lmax = check_lmax(lmax, where="ewh_degree_factors", optional=False)
    k = load_love_numbers(lmax) if love_k is None else np.asarray(love_k, np.float64)
    if k.shape != (lmax + 1,):
        raise ValueError(f"love_k must have shape ({lmax + 1},), got {k.shape}")
    ell = np.arange(lmax + 1, dtype=np.float64)
    return radius_m * rho_earth_kg_m3 * (2 * ell + 1) / (3 * rho_water_kg_m3 * (1 + k))


def retired_half_width(kwargs: dict, half_width_km, *, where: str, default=None):
    """``half_width_km``, or the retired ``gaussian_km`` keyword (DeprecationWarning) when
    given; both given (``half_width_km`` not at its ``default``) or any other leftover
    keyword is a TypeError, as Python would raise."""
    if "gaussian_km" in kwargs:
        current = None if half_width_km == default else half_width_km
        half_width_km = renamed(kwargs, "gaussian_km", "half_width_km", where=where,
                                current=current)
    reject_unknown(kwargs, where=where)
    return half_width_km


def degree_weights(lmax: int, *, radius_m: float, half_width_km: float | None = None,
                   love_k=None, **kwargs) -> np.ndarray:
    """EWH factors times the Gaussian smoothing weights ``W_l`` (if ``half_width_km``), m.

    Args:
        lmax: maximum degree.
        radius_m: reference radius of the coefficients, m.
        half_width_km: Gaussian half-width in km (Jekeli/Wahr), or None for no smoothing.
        love_k: load Love numbers, shape ``(lmax+1,)`` (default PREM, k_1 = 0.021).

    Returns:
        float64 array of shape ``(lmax + 1,)``, metres of water per unit coefficient.

    Reference: Wahr, Molenaar & Bryan (1998), eq. 14 and 30–34.
    """
    half_width_km = retired_half_width(kwargs, half_width_km, where="jaxgeo.grace.degree_weights")
    lmax = check_lmax(lmax, where="degree_weights", optional=False)
    w = ewh_degree_factors(lmax, radius_m=radius_m, love_k=love_k)
    if half_width_km:
        w = w * gaussian_legendre_weights(half_width_km, lmax)
    return w


def synthesize_ewh(table: SynthesisTable, dclm: jax.Array, dslm: jax.Array,
                   weights_m: jax.Array) -> jax.Array:
    """Equivalent water height from coefficient anomalies, m (differentiable).

    Args:
        table: :class:`SynthesisTable` of degree ``L``.
        dclm, dslm: Stokes coefficient anomalies ``[..., l, m]``, shape ``(..., L+1, L+1)``.
        weights_m: per-degree weights from :func:`degree_weights`, shape ``(L+1,)``, m.

    Returns:
        EWH in metres of water, shape ``(..., nlat, nlon)``: computed in the table's dtype,
        returned in the coefficients' floating dtype (integers: the table's).

    Reference: Wahr, Molenaar & Bryan (1998), eq. 14.
    """
    dclm, dslm = jnp.asarray(dclm), jnp.asarray(dslm)
    out_dtype = input_float_dtype(dclm, default=table.dtype)
    # weights per degree l, broadcast explicitly over the order m and leading batch axes
    w = jnp.broadcast_to(jnp.asarray(weights_m, table.dtype)[:, None], dclm.shape)
    return synthesize(table, dclm.astype(table.dtype) * w,
                      dslm.astype(table.dtype) * w).astype(out_dtype)
