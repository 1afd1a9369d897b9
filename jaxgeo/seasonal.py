"""Seasonal and trend least squares: one design matrix for every fit in jaxgeo.

The model of a series is ``a + b (t − t̄) + Σₖ cₖ cos 2πkt + dₖ sin 2πkt`` with ``t`` in
decimal years (:func:`jaxgeo.time.decimal_year`), so ``b`` is the trend per year, ``k = 1``
the annual and ``k = 2`` the semi-annual cycle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .time import decimal_year

__all__ = ["SeriesFit", "fit_series", "seasonal_design", "seasonal_trend_fit", "trend_annual",
           "white_covariance"]


def seasonal_design(t_years, harmonics: int) -> np.ndarray:
    """Least-squares design ``[1, t − mean, cos 2πkt, sin 2πkt for k = 1..harmonics]``.

    Args:
        t_years: ``(T,)`` decimal years.
        harmonics: 1 (annual) or more (semi-annual, ...).

    Returns:
        ``(T, 2 + 2·harmonics)`` float64.
    """
    t = np.asarray(t_years, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D series, got shape {t.shape}")
    # phases from the first whole year: the same cosines as of t, without cancellation
    w = 2.0 * np.pi * (t - np.floor(t[0]))
    cols = [np.ones_like(t), t - t.mean()]
    for k in range(1, harmonics + 1):
        cols += [np.cos(k * w), np.sin(k * w)]
    return np.stack(cols, axis=1)


def seasonal_trend_fit(x, time, *, harmonics: int = 2, leave_out: bool = False) -> np.ndarray:
    """Per-cell least-squares fit of mean, trend and ``harmonics`` seasonal terms over time.

    Args:
        x: ``(T, ...)`` values (e.g. ``(T, nlat, nlon)``), finite.
        time: ``(T,)`` datetime64 or decimal years; gaps are fine.
        harmonics: seasonal harmonics (2: annual and semi-annual).
        leave_out: return, for each step, the fit to all *other* steps evaluated at it
            (exact leave-one-out via the hat matrix: ``(ŷ_t − h_tt x_t) / (1 − h_tt)``),
            so that the value at ``t`` does not depend on ``x[t]``.

    Returns:
        ``(T, ...)`` the fitted series, float64.

    Raises:
        ValueError: fewer than 12 time steps, too few to separate the terms from noise.
    """
    t = decimal_year(time)
    if t.size < 12:
        raise ValueError(f"the seasonal-trend fit needs at least 12 time steps, got {t.size}")
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] != t.size:
        raise ValueError(f"values have {x.shape[0]} time steps but time has {t.size}")
    basis = seasonal_design(t, harmonics)
    hat = basis @ np.linalg.solve(basis.T @ basis, basis.T)
    flat = x.reshape(t.size, -1)
    fitted = hat @ flat
    if leave_out:
        h = np.diag(hat)[:, None]
        fitted = (fitted - h * flat) / (1.0 - h)
    return fitted.reshape(x.shape)


def white_covariance(a, b, time, weights) -> float:
    """The part of the covariance of two gridded series that is white in time (the nugget).

    Both series lose their :func:`seasonal_trend_fit`; the lag-``k`` covariances
    ``c_k`` (symmetrised, weighted over cells, averaged over steps) of what remains are
    extrapolated to lag 0 by ``2 c_1 − c_2``, the part that is correlated from month to
    month. What ``c_0`` has beyond it is the covariance of the parts that are independent
    from step to step: for ``a = b = signal + noise`` with temporally white noise (GRACE's
    monthly errors) and a signal that varies smoothly in time, the noise variance.

    Args:
        a, b: ``(T, ...)`` series on the same cells, finite; consecutive steps (monthly).
        time: ``(T,)`` datetime64 or decimal years (at least 12 steps).
        weights: ``(...)`` cell weights summing to 1 (e.g. area weights over a mask).

    Returns:
        the white covariance, in the product of the series' units (may be slightly
        negative from sampling error).

    Reference: the nugget of a variogram (Matheron 1963); for the risk estimate it feeds,
    Stein (1981), Ann. Statist. 9, 1135–1151.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.shape[0] < 12:
        raise ValueError(f"white_covariance needs two series of one shape with at least 12 "
                         f"steps, got {a.shape} and {b.shape}")
    a = a - seasonal_trend_fit(a, time)
    b = b - seasonal_trend_fit(b, time)
    w = np.asarray(weights, dtype=np.float64)
    axes = tuple(range(1, a.ndim))

    def cov(k):
        n = a.shape[0] - k
        return 0.5 * (np.mean(np.sum(w * a[k:] * b[:n], axis=axes))
                      + np.mean(np.sum(w * b[k:] * a[:n], axis=axes)))

    return float(cov(0) - (2.0 * cov(1) - cov(2)))


def trend_annual(x, time) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares linear trend and annual amplitude of each cell.

    Fits ``a + b t + c cos 2πt + d sin 2πt`` to each cell's series.

    Args:
        x: ``(T, ...)`` values (cells with a NaN give NaN).
        time: ``(T,)`` datetime64 or decimal years.

    Returns:
        ``(trend, amplitude)``: arrays of shape ``x.shape[1:]`` in unit/year and unit.
    """
    design = seasonal_design(decimal_year(time), 1)
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(x.shape[0], -1)
    coef, *_ = np.linalg.lstsq(design, np.nan_to_num(flat), rcond=None)
    bad = np.isnan(flat).any(axis=0)
    coef[:, bad] = np.nan
    trend = coef[1].reshape(x.shape[1:])
    amp = np.hypot(coef[2], coef[3]).reshape(x.shape[1:])
    return trend, amp


class SeriesFit(NamedTuple):
    """Mean, trend and seasonal terms of one series (units of the series), with their
    standard errors (``*_sigma``, NaN when the fit has no residual degree of freedom)."""

    mean: float
    trend_per_year: float
    annual_amplitude: float
    annual_peak_month: float
    """Month of the annual maximum, 1.0 = 1 January, 10.0 = 1 October (fractional)."""
    semiannual_amplitude: float
    semiannual_peak_month: float = float("nan")
    """Month of the first semi-annual maximum, in [1, 7) (the second is 6 months later)."""
    mean_sigma: float = float("nan")
    trend_sigma: float = float("nan")
    annual_amplitude_sigma: float = float("nan")
    annual_peak_month_sigma: float = float("nan")
    semiannual_amplitude_sigma: float = float("nan")
    semiannual_peak_month_sigma: float = float("nan")


def _amp_phase_sigma(c: float, d: float, cov: np.ndarray) -> tuple[float, float]:
    """First-order standard errors of ``hypot(c, d)`` and ``atan2(d, c)`` (radians) from the
    2 × 2 covariance of ``(c, d)``."""
    amp2 = c * c + d * d
    if amp2 == 0.0:
        return float("nan"), float("nan")
    j_amp = np.array([c, d]) / np.sqrt(amp2)
    j_phase = np.array([-d, c]) / amp2
    return (float(np.sqrt(max(j_amp @ cov @ j_amp, 0.0))),
            float(np.sqrt(max(j_phase @ cov @ j_phase, 0.0))))


def fit_series(time, y, *, harmonics: int = 2) -> SeriesFit:
    """Least-squares mean + trend + annual (+ semi-annual) fit of one series.

    Standard errors come from the least-squares covariance ``s² (XᵀX)⁻¹`` with
    ``s² = RSS / (T − p)`` (white residuals assumed; GRACE residuals are correlated in time,
    so these are lower bounds), propagated to amplitudes and peak months to first order.

    Args:
        time: ``(T,)`` datetime64 or decimal years.
        y: ``(T,)`` values, finite.
        harmonics: 1 (annual) or 2 (annual and semi-annual).
    """
    y = np.asarray(y, dtype=np.float64)
    t = decimal_year(time)
    if y.shape != t.shape:
        raise ValueError(f"series has shape {y.shape} but time has {t.shape}")
    if not np.all(np.isfinite(y)):
        k = int(np.flatnonzero(~np.isfinite(y))[0])
        raise ValueError(f"series has a non-finite value at index {k}")
    design = seasonal_design(t, harmonics)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    dof = y.size - design.shape[1]
    if dof > 0 and np.linalg.matrix_rank(design) == design.shape[1]:
        s2 = float(np.sum((y - design @ coef) ** 2)) / dof
        cov = s2 * np.linalg.inv(design.T @ design)
    else:
        cov = np.full((design.shape[1],) * 2, np.nan)
    sig = np.sqrt(np.abs(np.diag(cov)))
    peak = float((np.arctan2(coef[3], coef[2]) / (2 * np.pi) * 12) % 12 + 1)
    a1_sig, p1_sig = _amp_phase_sigma(coef[2], coef[3], cov[2:4, 2:4])
    semi = semi_peak = a2_sig = p2_sig = float("nan")
    if harmonics >= 2:
        semi = float(np.hypot(coef[4], coef[5]))
        semi_peak = float((np.arctan2(coef[5], coef[4]) / (2 * np.pi) * 6) % 6 + 1)
        a2_sig, p2 = _amp_phase_sigma(coef[4], coef[5], cov[4:6, 4:6])
        p2_sig = p2 * 6 / (2 * np.pi)
    return SeriesFit(float(coef[0]), float(coef[1]), float(np.hypot(coef[2], coef[3])), peak,
                     semi, semi_peak, float(sig[0]), float(sig[1]), a1_sig,
                     p1_sig * 12 / (2 * np.pi), a2_sig, p2_sig)
