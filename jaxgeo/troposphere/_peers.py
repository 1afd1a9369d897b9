"""Peer zenith-wet-delay models in JAX: Askne & Nordius, Saastamoinen, UNB3m."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._dtype import input_float_dtype
from ..constants import G0_M_S2, JULIAN_YEAR_DAYS, M_DRY_KG_MOL, R_UNIVERSAL_GPT_J_MOL_K
from ._physics import THAYER_1974, _f64
from ._times import point_inputs

_RD_GPT = R_UNIVERSAL_GPT_J_MOL_K / M_DRY_KG_MOL  # as in the TU Wien GPT codes


def askne_nordius_zwd(e_hpa, tm_k, lam, *, k2p=THAYER_1974.k2p, k3=THAYER_1974.k3):
    """Zenith wet delay from surface vapour pressure, Tm and the vapour decrease factor, m.

    ``ZWD = 1e-6 (k2' + k3/Tm) Rd / (g (λ + 1)) · e`` — a single exponential-type profile
    ``e ∝ p^(λ+1)``.

    Args:
        e_hpa: vapour pressure at the site, hPa, any shape.
        tm_k: weighted mean temperature, K, broadcastable.
        lam: water vapour decrease factor λ (dimensionless), broadcastable.
        k2p, k3: K/hPa, K²/hPa (default Thayer 1974 as in the TU Wien ``asknewet``).

    Reference: Askne & Nordius (1987), Radio Sci. 22, 379–386, eq. 22.
    """
    return 1e-6 * (k2p + k3 / _f64(tm_k)) * _RD_GPT / ((_f64(lam) + 1.0) * G0_M_S2) * _f64(e_hpa)


def saastamoinen_zwd(t_k, e_hpa):
    """Saastamoinen zenith wet delay ``0.002277 (1255/T + 0.05) e``, m.

    Args:
        t_k: surface temperature, K, any shape.
        e_hpa: surface vapour pressure, hPa, broadcastable.

    Reference: Saastamoinen (1972), Geophys. Monogr. 15, 247–251.
    """
    return 0.002277 * (1255.0 / _f64(t_k) + 0.05) * _f64(e_hpa)


# UNB3m look-up table (Leandro, Santos & Langley 2006): lat, P hPa, T K, RH %, beta mK/m, lambda
_UNB3M_AVG = jnp.array([
    [15.0, 1013.25, 299.65, 75.00, 6.30, 2.77],
    [30.0, 1017.25, 294.15, 80.00, 6.05, 3.15],
    [45.0, 1015.75, 283.15, 76.00, 5.58, 2.57],
    [60.0, 1011.75, 272.15, 77.50, 5.39, 1.81],
    [75.0, 1013.00, 263.65, 82.50, 4.53, 1.55],
])
_UNB3M_AMP = jnp.array([
    [15.0, 0.00, 0.00, 0.00, 0.00, 0.00],
    [30.0, -3.75, 7.00, 0.00, 0.25, 0.33],
    [45.0, -2.25, 11.00, -1.00, 0.32, 0.46],
    [60.0, -1.75, 15.00, -2.50, 0.81, 0.74],
    [75.0, -0.50, 14.50, 2.50, 0.62, 0.30],
])


class UNB3mResult(NamedTuple):
    """UNB3m output: p hPa, T K, e hPa, Tm K, λ, β K/m, zhd m, zwd m."""

    p: jnp.ndarray
    T: jnp.ndarray
    e: jnp.ndarray
    Tm: jnp.ndarray
    lam: jnp.ndarray
    beta: jnp.ndarray
    zhd: jnp.ndarray
    zwd: jnp.ndarray


def unb3m(lat_deg, height_msl_m=None, time=None, **kwargs) -> UNB3mResult:
    """UNB3m: latitude/season table of surface met, reduced to the height, and its delays.

    Args:
        lat_deg: latitude, degrees, any shape.
        height_msl_m: height above mean sea level (orthometric), m, broadcastable.
        time: ``numpy.datetime64`` (UTC), broadcastable.

    Returns:
        :class:`UNB3mResult` of arrays of the broadcast shape (jit-able and differentiable
        in latitude and height; the times are converted on the host).

    Reference: Leandro, Santos & Langley (2006), "UNB neutral atmosphere models:
    development and performance", ION NTM 2006; UNB3m_pack Fortran (2008).
    """
    height_msl_m, doy = point_inputs(kwargs, height_msl_m, time, where="unb3m")
    return _unb3m_kernel(lat_deg, height_msl_m, doy)


@jax.jit
def _unb3m_kernel(lat_deg, height_m, doy):
    # the kernel of unb3m: doy is the day of year
    # a function: it computes in the heights' floating dtype (the dtype rule)
    dtype = input_float_dtype(height_m)
    lat = jnp.asarray(lat_deg, dtype)
    h = jnp.asarray(height_m, dtype)
    doy = jnp.asarray(doy, dtype)
    lat, h, doy = jnp.broadcast_arrays(lat, h, doy)
    td = jnp.where(lat < 0, doy + 182.625, doy)
    cosphs = jnp.cos((td - 28.0) * 2.0 * jnp.pi / JULIAN_YEAR_DAYS)
    alat = jnp.clip(jnp.abs(lat), 15.0, 75.0)
    lats = _UNB3M_AVG[:, 0].astype(dtype)

    def interp(col, table):
        return jnp.interp(alat, lats, table[:, col].astype(dtype))

    p0 = interp(1, _UNB3M_AVG) - interp(1, _UNB3M_AMP) * cosphs
    t0 = interp(2, _UNB3M_AVG) - interp(2, _UNB3M_AMP) * cosphs
    rh = interp(3, _UNB3M_AVG) - interp(3, _UNB3M_AMP) * cosphs
    beta = (interp(4, _UNB3M_AVG) - interp(4, _UNB3M_AMP) * cosphs) / 1000.0
    lam = interp(5, _UNB3M_AVG) - interp(5, _UNB3M_AMP) * cosphs
    # relative humidity to vapour pressure with the IERS 2003 formula and enhancement factor
    es = 0.01 * jnp.exp(1.2378847e-5 * t0**2 - 1.9121316e-2 * t0 + 33.93711047 - 6.3431645e3 / t0)
    fw = 1.00062 + 3.14e-6 * p0 + 5.6e-7 * (t0 - 273.15) ** 2
    e0 = rh / 100.0 * es * fw
    ep = G0_M_S2 / 287.054 / beta
    t = t0 - beta * h
    p = p0 * (t / t0) ** ep
    e = e0 * (t / t0) ** (ep * (lam + 1.0))
    geolat = jnp.arctan((1.0 - 6.6943799901413e-3) * jnp.tan(jnp.deg2rad(lat)))
    dgref = 1.0 - 2.66e-3 * jnp.cos(2.0 * geolat) - 2.8e-7 * h
    gm = 9.784 * dgref
    den = (lam + 1.0) * gm
    md, mw = 28.9644, 18.0152
    k1, k2, k3 = 77.604, 64.79, 3.776e5
    rd = 8314.34 / md
    k2p = k2 - k1 * mw / md
    tm = t * (1.0 - beta * rd / den)
    zhd = 2.2768e-3 / dgref * p
    zwd = 1e-6 * (k2p + k3 / tm) * rd * e / den
    return UNB3mResult(p, t, e, tm, lam, beta, zhd, zwd)


def unb3m_zwd(lat_deg, height_msl_m=None, time=None, **kwargs):
    """UNB3m zenith wet delay, m (see :func:`unb3m`)."""
    return unb3m(lat_deg, height_msl_m, time, **kwargs).zwd
