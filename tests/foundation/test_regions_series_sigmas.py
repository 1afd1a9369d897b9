"""fit_series standard errors: against numpy least-squares covariance (via QR, independent
of the normal equations) and, for amplitudes and peak months, a Monte-Carlo spread."""

import numpy as np
import pytest

from jaxgeo import seasonal
from jaxgeo.time import decimal_year

TIMES = (np.datetime64("2003-01-16", "D") + 30 * np.arange(60)).astype("datetime64[ns]")


def _signal(t):
    w = 2 * np.pi * (t - np.floor(t[0]))
    return 3.0 - 2.0 * (t - t.mean()) + 4 * np.cos(w) + np.sin(w) + 1.5 * np.cos(2 * w) \
        - 0.8 * np.sin(2 * w)


def test_sigmas_match_numpy_least_squares_covariance():
    t = decimal_year(TIMES)
    rng = np.random.default_rng(3)
    y = _signal(t) + rng.normal(scale=0.7, size=t.size)
    fit = seasonal.fit_series(TIMES, y)
    x = seasonal.seasonal_design(t, 2)
    q, r = np.linalg.qr(x)
    coef = np.linalg.solve(r, q.T @ y)
    s2 = np.sum((y - x @ coef) ** 2) / (t.size - x.shape[1])
    rinv = np.linalg.inv(r)
    cov = s2 * rinv @ rinv.T
    assert fit.mean_sigma == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-10)
    assert fit.trend_sigma == pytest.approx(np.sqrt(cov[1, 1]), rel=1e-10)
    # amplitude: gradient (c, d)/A of hypot
    g = np.array([coef[2], coef[3]]) / np.hypot(coef[2], coef[3])
    assert fit.annual_amplitude_sigma == pytest.approx(np.sqrt(g @ cov[2:4, 2:4] @ g),
                                                       rel=1e-10)
    assert fit.semiannual_peak_month == pytest.approx(
        1 + 6 * (np.arctan2(coef[5], coef[4]) / (2 * np.pi) % 1), abs=1e-10)


def test_amplitude_and_phase_sigmas_match_monte_carlo_spread():
    t = decimal_year(TIMES)
    rng = np.random.default_rng(4)
    noise = rng.normal(scale=0.5, size=(4000, t.size))
    x = seasonal.seasonal_design(t, 2)
    coefs = np.linalg.lstsq(x, (_signal(t) + noise).T, rcond=None)[0]
    amp1 = np.hypot(coefs[2], coefs[3])
    month1 = np.arctan2(coefs[3], coefs[2]) / (2 * np.pi) * 12
    amp2 = np.hypot(coefs[4], coefs[5])
    month2 = np.arctan2(coefs[5], coefs[4]) / (2 * np.pi) * 6
    fits = [seasonal.fit_series(TIMES, _signal(t) + noise[i]) for i in range(200)]
    mean_sig = {k: np.mean([getattr(f, k) for f in fits]) for k in (
        "annual_amplitude_sigma", "annual_peak_month_sigma", "semiannual_amplitude_sigma",
        "semiannual_peak_month_sigma", "trend_sigma")}
    assert mean_sig["annual_amplitude_sigma"] == pytest.approx(amp1.std(), rel=0.08)
    assert mean_sig["annual_peak_month_sigma"] == pytest.approx(month1.std(), rel=0.08)
    assert mean_sig["semiannual_amplitude_sigma"] == pytest.approx(amp2.std(), rel=0.08)
    assert mean_sig["semiannual_peak_month_sigma"] == pytest.approx(month2.std(), rel=0.08)
    assert mean_sig["trend_sigma"] == pytest.approx(coefs[1].std(), rel=0.08)


def test_exact_fit_has_nan_sigmas_not_zero():
    # as many unknowns as samples: no residual degree of freedom, the sigmas are unknown
    times = TIMES[:6]
    fit = seasonal.fit_series(times, np.arange(6.0))
    assert np.isnan(fit.trend_sigma) and np.isnan(fit.annual_amplitude_sigma)
