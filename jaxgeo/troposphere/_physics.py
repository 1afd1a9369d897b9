"""Moist-air physics for zenith wet delay: vapour pressure, wet refractivity, ZWD, Tm, PWV.

All functions are pure JAX, broadcast over leading axes and are differentiable.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..constants import (
    EPSILON_WATER_DRY,
    G0_M_S2,
    R_VAPOUR_J_KG_K,
    RHO_WATER_KG_M3,
    WGS84_A_M,
    WGS84_B_M,
)

EPSILON = EPSILON_WATER_DRY
"""Ratio of the molar masses of water vapour and dry air (Mw / Md)."""


class RefractivityConstants(NamedTuple):
    """Refractivity constants: ``k2p`` in K/hPa, ``k3`` in K²/hPa."""

    k2p: float
    k3: float


THAYER_1974 = RefractivityConstants(k2p=64.79 - 77.604 * EPSILON, k3=3.776e5)
"""Thayer (1974): k1 77.604, k2 64.79 K/hPa, k2' = k2 − k1·Mw/Md ≈ 16.522 K/hPa, k3 3.776e5."""

BEVIS_1994 = RefractivityConstants(k2p=22.1, k3=3.739e5)
"""Bevis et al. (1994): k2' 22.1 K/hPa, k3 3.739e5 K²/hPa."""


def _f64(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


def vapour_pressure_from_specific_humidity(specific_humidity_kgkg, pressure_hpa):
    """Water vapour partial pressure from specific humidity and total pressure.

    Args:
        specific_humidity_kgkg: specific humidity q, kg/kg, any shape.
        pressure_hpa: total pressure, hPa, broadcastable to ``q``.

    Returns:
        Vapour pressure e in hPa: ``e = q p / (ε + (1 − ε) q)``.

    Reference: e.g. Wallace & Hobbs (2006), Atmospheric Science, eq. 3.57 inverted.
    """
    q = _f64(specific_humidity_kgkg)
    p = _f64(pressure_hpa)
    return q * p / (EPSILON + (1.0 - EPSILON) * q)


def saturation_vapour_pressure(temperature_k):
    """Saturation vapour pressure over liquid water, hPa (Bolton 1980, eq. 10).

    Args:
        temperature_k: air temperature, K, any shape.

    Reference: Bolton (1980), Mon. Weather Rev. 108, 1046–1053, eq. 10.
    """
    t_c = _f64(temperature_k) - 273.15
    return 6.112 * jnp.exp(17.67 * t_c / (t_c + 243.5))


def vapour_pressure_from_dewpoint(dewpoint_k):
    """Vapour pressure from dewpoint: the saturation pressure at the dewpoint, hPa.

    Args:
        dewpoint_k: dewpoint temperature, K, any shape.

    Reference: Bolton (1980), eq. 10.
    """
    return saturation_vapour_pressure(dewpoint_k)


def vapour_pressure_from_relative_humidity(relative_humidity_pct, temperature_k):
    """Vapour pressure from relative humidity (over water) and temperature, hPa.

    Args:
        relative_humidity_pct: relative humidity, %, any shape.
        temperature_k: temperature, K, broadcastable.

    Reference: Bolton (1980), eq. 10 for the saturation pressure.
    """
    return _f64(relative_humidity_pct) / 100.0 * saturation_vapour_pressure(temperature_k)


def wet_refractivity(temperature_k, vapour_pressure_hpa, *, k2p=THAYER_1974.k2p,
                     k3=THAYER_1974.k3):
    """Wet refractivity ``N_w = k2' e/T + k3 e/T²`` (dimensionless, in N units, 1e-6).

    Args:
        temperature_k: temperature, K, any shape.
        vapour_pressure_hpa: vapour pressure, hPa, broadcastable.
        k2p: k2' in K/hPa (default Thayer 1974; :data:`BEVIS_1994` is the other choice).
        k3: k3 in K²/hPa.

    Reference: Thayer (1974), Radio Sci. 9, 803–807; Bevis et al. (1994), JAM 33, 379–386.
    """
    t = _f64(temperature_k)
    e = _f64(vapour_pressure_hpa)
    return k2p * e / t + k3 * e / (t * t)


def _layer_integrals(z, f):
    """Integral of f over each layer [z_i, z_{i+1}] of sorted heights, shape (..., L-1).

    Uses exponential (log-linear) interpolation where both ends are positive and differ,
    which is exact for the near-exponential decay of humidity, and the trapezoid rule
    otherwise.
    """
    dz = z[..., 1:] - z[..., :-1]
    f0, f1 = f[..., :-1], f[..., 1:]
    trap = 0.5 * (f0 + f1) * dz
    pos = (f0 > 0) & (f1 > 0)
    # the "double where" keeps log() and the division away from bad values, so that
    # gradients stay finite in the branch that is not used
    ratio = jnp.where(pos, f0 / jnp.where(pos, f1, 1.0), 2.0)
    log_ratio = jnp.log(ratio)
    use_exp = pos & (jnp.abs(log_ratio) > 1e-6)
    safe_log = jnp.where(use_exp, log_ratio, 1.0)
    expo = (f0 - f1) * dz / safe_log
    return jnp.where(use_exp, expo, trap)


@partial(jax.jit, static_argnames=("axis",))
def integrate_above(height_m, integrand, *, axis=-1):
    """Integral of ``integrand`` from each level to the top of the profile.

    Levels may come in any order along ``axis``; NaN levels are not allowed.

    Args:
        height_m: heights of the levels, m, shape (..., L).
        integrand: values at the levels, same shape.

    Returns:
        ``∫_{h_i}^{h_top} f dh`` at each level, same shape and order as the input.
    """
    z = jnp.moveaxis(_f64(height_m), axis, -1)
    f = jnp.moveaxis(_f64(integrand), axis, -1)
    z, f = jnp.broadcast_arrays(z, f)
    order = jnp.argsort(z, axis=-1)
    zs = jnp.take_along_axis(z, order, axis=-1)
    fs = jnp.take_along_axis(f, order, axis=-1)
    layers = _layer_integrals(zs, fs)
    # cumulative sum from the top down, zero at the top level
    above = jnp.flip(jnp.cumsum(jnp.flip(layers, -1), axis=-1), -1)
    above = jnp.concatenate([above, jnp.zeros_like(above[..., :1])], axis=-1)
    inverse = jnp.argsort(order, axis=-1)
    out = jnp.take_along_axis(above, inverse, axis=-1)
    return jnp.moveaxis(out, -1, axis)


@jax.jit
def zwd_profile(height_m, temperature_k, vapour_pressure_hpa, *, k2p=THAYER_1974.k2p,
                k3=THAYER_1974.k3):
    """Zenith wet delay above each level of a profile, m.

    ``ZWD(h_i) = 1e-6 ∫_{h_i}^{h_top} N_w(h) dh``, integrated layer by layer with an
    exponential interpolation of N_w (exact for exponential profiles). Levels may be in
    any order; the top level gets zero.

    Args:
        height_m: level heights, m, shape (..., L).
        temperature_k: temperature, K, shape (..., L).
        vapour_pressure_hpa: vapour pressure, hPa, shape (..., L).
        k2p, k3: refractivity constants, K/hPa and K²/hPa (default Thayer 1974).

    Returns:
        ZWD in m, shape (..., L).

    Reference: Davis et al. (1985), Radio Sci. 20, 1593–1607, eq. A11 (wet part).
    """
    n_w = wet_refractivity(temperature_k, vapour_pressure_hpa, k2p=k2p, k3=k3)
    return 1e-6 * integrate_above(height_m, n_w)


@jax.jit
def weighted_mean_temperature(height_m, temperature_k, vapour_pressure_hpa):
    """Water-vapour weighted mean temperature above each level, K.

    ``Tm = ∫ e/T dh / ∫ e/T² dh`` from the level to the top of the profile. The top
    level (an empty integral) gets its own temperature.

    Args:
        height_m, temperature_k, vapour_pressure_hpa: shape (..., L), m, K, hPa.

    Reference: Davis et al. (1985), eq. 18; Bevis et al. (1992), JGR 97, 15787.
    """
    t = _f64(temperature_k)
    e = _f64(vapour_pressure_hpa)
    num = integrate_above(height_m, e / t)
    den = integrate_above(height_m, e / (t * t))
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), t)


def pwv_from_zwd(zwd_m, tm_k, *, k2p=BEVIS_1994.k2p, k3=BEVIS_1994.k3):
    """Precipitable water vapour from zenith wet delay, m (of liquid water).

    ``PWV = Π · ZWD`` with ``Π = 1e6 / (ρ_w R_v (k3/Tm + k2'))`` (≈ 0.15).

    Args:
        zwd_m: zenith wet delay, m, any shape.
        tm_k: weighted mean temperature, K, broadcastable.
        k2p, k3: K/hPa and K²/hPa (default Bevis et al. 1994).

    Reference: Bevis et al. (1994), J. Appl. Meteor. 33, 379–386, eq. 4–5.
    """
    # k in K/hPa → K/Pa: divide by 100
    pi = 1e6 / (RHO_WATER_KG_M3 * R_VAPOUR_J_KG_K * (k3 / 100.0 / _f64(tm_k) + k2p / 100.0))
    return pi * _f64(zwd_m)


def bevis_tm(surface_temperature_k):
    """Bevis et al. (1992) Tm ≈ 70.2 + 0.72 Ts, K (a peer for surface-only data).

    Args:
        surface_temperature_k: surface temperature, K.

    Reference: Bevis et al. (1992), JGR 97(D14), 15787–15801.
    """
    return 70.2 + 0.72 * _f64(surface_temperature_k)


def geopotential_to_height(geopotential_m2s2, lat_deg):
    """Geometric height above mean sea level from geopotential, m.

    Geopotential height ``H = Φ / g0`` is turned into geometric height with the
    latitude-dependent normal gravity and effective radius of Mahoney (2008).

    Args:
        geopotential_m2s2: geopotential Φ, m²/s², any shape.
        lat_deg: latitude, degrees, broadcastable.

    Reference: Mahoney, "A discussion of various measures of altitude" (2008), eqs. 2–4.
    """
    g0 = G0_M_S2
    phi = jnp.deg2rad(_f64(lat_deg))
    s2 = jnp.sin(phi) ** 2
    g = 9.780356 * (1 + 0.0052885 * s2 - 0.0000059 * jnp.sin(2 * phi) ** 2)
    a, b = WGS84_A_M, WGS84_B_M
    r = jnp.sqrt(((a * a * jnp.cos(phi)) ** 2 + (b * b * jnp.sin(phi)) ** 2)
                 / ((a * jnp.cos(phi)) ** 2 + (b * jnp.sin(phi)) ** 2))
    h_geo = _f64(geopotential_m2s2) / g0
    k = g0 / g
    return k * r * h_geo / (r - k * h_geo)
