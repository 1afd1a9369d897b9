"""jaxgeo.seasonal: exact recovery of known series and brute-force leave-one-out refits."""

import numpy as np
import pytest

from jaxgeo import seasonal
from jaxgeo.time import decimal_year

TIMES = (np.datetime64("2003-01-16", "D") + 30 * np.arange(40)).astype("datetime64[ns]")


def _series(t, mean=3.0, trend=-2.0, a1=(4.0, 1.0), a2=(0.5, -0.25)):
    w = 2 * np.pi * t
    return (mean + trend * (t - t.mean()) + a1[0] * np.cos(w) + a1[1] * np.sin(w)
            + a2[0] * np.cos(2 * w) + a2[1] * np.sin(2 * w))


def test_fit_series_recovers_known_terms():
    t = decimal_year(TIMES)
    fit = seasonal.fit_series(TIMES, _series(t))
    assert fit.mean == pytest.approx(3.0, abs=1e-10)
    assert fit.trend_per_year == pytest.approx(-2.0, abs=1e-10)
    assert fit.annual_amplitude == pytest.approx(np.hypot(4.0, 1.0), abs=1e-10)
    # peak of 4 cos w + sin w at w = atan2(1, 4): month 1 + 12·atan2(1, 4)/2π
    assert fit.annual_peak_month == pytest.approx(1 + 12 * np.arctan2(1, 4) / (2 * np.pi))
    assert fit.semiannual_amplitude == pytest.approx(np.hypot(0.5, 0.25), abs=1e-10)


def test_seasonal_trend_fit_and_leave_one_out_against_refits():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(TIMES.size, 3, 4))
    t = decimal_year(TIMES)
    design = seasonal.seasonal_design(t, 2)
    coef, *_ = np.linalg.lstsq(design, x.reshape(TIMES.size, -1), rcond=None)
    np.testing.assert_allclose(seasonal.seasonal_trend_fit(x, TIMES),
                               (design @ coef).reshape(x.shape), rtol=0, atol=1e-12)
    loo = seasonal.seasonal_trend_fit(x, TIMES, leave_out=True)
    for k in (0, 17, TIMES.size - 1):
        keep = np.arange(TIMES.size) != k
        c, *_ = np.linalg.lstsq(design[keep], x[keep].reshape(keep.sum(), -1), rcond=None)
        np.testing.assert_allclose(loo[k], (design[k] @ c).reshape(3, 4), rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="at least 12"):
        seasonal.seasonal_trend_fit(x[:8], TIMES[:8])


def test_trend_annual_maps():
    t = decimal_year(TIMES)
    x = np.stack([_series(t, trend=1.5), _series(t, trend=-0.5, a1=(0.0, 2.0))], axis=1)
    x = np.concatenate([x, np.full((TIMES.size, 1), np.nan)], axis=1)
    x[:, 2][3] = np.nan
    # annual + trend only: fit to series without a semi-annual term
    x[:, :2] -= (0.5 * np.cos(4 * np.pi * t) - 0.25 * np.sin(4 * np.pi * t))[:, None]
    trend, amp = seasonal.trend_annual(x, TIMES)
    np.testing.assert_allclose(trend[:2], [1.5, -0.5], atol=1e-10)
    np.testing.assert_allclose(amp[:2], [np.hypot(4, 1), 2.0], atol=1e-10)
    assert np.isnan(trend[2]) and np.isnan(amp[2])
