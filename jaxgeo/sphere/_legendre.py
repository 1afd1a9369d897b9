"""Legendre weights of isotropic smoothing kernels: the references for the grid operators."""

from __future__ import annotations

import math

import numpy as np

from .._grid import EARTH_RADIUS_M


def _check_lmax(lmax) -> int:
    if int(lmax) != lmax or lmax < 0:
        raise ValueError(f"lmax must be a non-negative integer, got {lmax!r}")
    return int(lmax)


def cap_legendre_weights(radius_deg: float, lmax: int) -> np.ndarray:
    """Legendre coefficients of the normalised spherical-cap (box) kernel.

    ``W_l = [P_{l-1}(cos α) − P_{l+1}(cos α)] / ((2l+1)(1 − cos α))``, ``W_0 = 1``: the
    factor by which a degree-l spherical harmonic is multiplied when averaged over caps
    of angular radius α.

    Args:
        radius_deg: cap angular radius α in degrees, 0 < α ≤ 180.
        lmax: maximum degree.

    Returns:
        float64 array of shape ``(lmax + 1,)``.

    Reference: Wahr, Molenaar & Bryan (1998), J. Geophys. Res. 103(B12), eq. 33–34 (the
    Legendre expansion of a disc/cap kernel).
    """
    lmax = _check_lmax(lmax)
    if not (0.0 < radius_deg <= 180.0):
        raise ValueError(f"radius_deg must be in (0, 180], got {radius_deg!r}")
    x = math.cos(math.radians(radius_deg))
    # Legendre P_0..P_{lmax+1}(x) by the (stable for |x| ≤ 1) upward Bonnet recurrence.
    p = np.empty(lmax + 2)
    p[0] = 1.0
    if lmax + 2 > 1:
        p[1] = x
    for n in range(1, lmax + 1):
        p[n + 1] = ((2 * n + 1) * x * p[n] - n * p[n - 1]) / (n + 1)
    w = np.empty(lmax + 1)
    w[0] = 1.0
    one_minus_x = 2.0 * math.sin(math.radians(radius_deg) / 2) ** 2  # 1 - cos α, no cancellation
    ell = np.arange(1, lmax + 1)
    w[1:] = (p[ell - 1] - p[ell + 1]) / ((2 * ell + 1) * one_minus_x)
    return w


def gaussian_b(half_width_km: float, radius_km: float = EARTH_RADIUS_M / 1000.0) -> float:
    """Jekeli's ``b = ln 2 / (1 − cos(r/R))`` for a Gaussian of half-width ``r`` km."""
    if not (half_width_km > 0 and math.isfinite(half_width_km)):
        raise ValueError(f"half_width_km must be a positive number, got {half_width_km!r}")
    return math.log(2.0) / (2.0 * math.sin(half_width_km / radius_km / 2.0) ** 2)


def gaussian_legendre_weights(half_width_km: float, lmax: int, *,
                              radius_km: float = EARTH_RADIUS_M / 1000.0) -> np.ndarray:
    """Legendre coefficients of the normalised Jekeli/Wahr Gaussian averaging kernel.

    The kernel ``W(α) ∝ exp(−b (1 − cos α))`` with ``b = ln 2 / (1 − cos(r/R))`` falls to
    half its peak at distance ``r`` on a sphere of radius ``R``. Its coefficients are
    ratios of modified spherical Bessel functions, ``W_l = i_l(b) / i_0(b)``, computed here
    by the downward continued fraction ``W_l / W_{l-1} = 1 / ((2l+1)/b + W_{l+1}/W_l)``,
    which stays accurate at any degree (the classical upward recurrence of Jekeli 1981
    blows up once ``W_l`` is small).

    Args:
        half_width_km: half-width (distance at which the kernel halves) in km.
        lmax: maximum degree.
        radius_km: sphere radius, km (6371 by default).

    Returns:
        float64 array of shape ``(lmax + 1,)`` with ``W_0 = 1``.

    Reference: Jekeli (1981), Alternative methods to smooth the Earth's gravity field,
    OSU Rep. 327; Wahr, Molenaar & Bryan (1998), eq. 30–32.
    """
    lmax = _check_lmax(lmax)
    b = gaussian_b(half_width_km, radius_km)
    # Start the continued fraction far enough above lmax (and above b, where the ratio
    # becomes small) that the truncation error has decayed below double precision.
    top = int(max(lmax, 2 * b)) + 64 + int(4 * math.sqrt(lmax + b))
    ratio = 0.0
    ratios = np.empty(lmax + 1)
    for ell in range(top, 0, -1):
        ratio = 1.0 / ((2 * ell + 1) / b + ratio)
        if ell <= lmax:
            ratios[ell] = ratio
    w = np.empty(lmax + 1)
    w[0] = 1.0
    if lmax:
        w[1:] = np.cumprod(ratios[1:])
    return w
