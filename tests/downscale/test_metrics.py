"""Metrics against closed forms and numpy's own weighted statistics."""

import numpy as np
import pytest
from support.downscale_oracle import cell_area

from jaxgeo import Grid
from jaxgeo.downscale import metrics
from jaxgeo.seasonal import trend_annual
from jaxgeo.sphere import CapAverage

RES = 10.0


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    grid = Grid.regular(RES)
    mask = rng.random(grid.shape) < 0.5
    a = rng.standard_normal((4,) + grid.shape)
    b = a + rng.standard_normal((4,) + grid.shape)
    a[:, ~mask] = np.nan  # ignored
    return grid, mask, a, b


def test_rmse_is_area_weighted(data):
    grid, mask, a, b = data
    w = np.broadcast_to(np.where(mask, cell_area(RES), 0.0), a.shape)
    expected = np.sqrt(np.sum(w[:, mask] * (a - b)[:, mask] ** 2) / np.sum(w[:, mask]))
    assert metrics.rmse(a, b, grid, mask) == pytest.approx(expected, rel=1e-12)


def test_correlations_match_numpy_weighted_cov(data):
    grid, mask, a, b = data
    w = cell_area(RES)[mask]
    c = np.cov(np.stack([a[:, mask].ravel(), b[:, mask].ravel()]), aweights=np.tile(w, 4))
    assert metrics.correlation(a, b, grid, mask) == pytest.approx(
        c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]), rel=1e-12)
    for k in range(4):
        c = np.cov(np.stack([a[k, mask], b[k, mask]]), aweights=w)
        assert metrics.spatial_correlation(a, b, grid, mask)[k] == pytest.approx(
            c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]), rel=1e-12)


def test_trend_and_annual_amplitude_recovered_exactly():
    t = 2003 + (np.arange(48) + 0.5) / 12
    trend = np.array([[1.5, -2.0]])
    amp = np.array([[30.0, 5.0]])
    x = (7.0 + trend[None] * (t - 2000)[:, None, None]
         + amp[None] * np.cos(2 * np.pi * t[:, None, None] - 0.7))
    got_trend, got_amp = trend_annual(x, t)
    np.testing.assert_allclose(got_trend, trend, rtol=1e-10)
    np.testing.assert_allclose(got_amp, amp, rtol=1e-10)


def test_region_mean_rms_of_a_constant_offset(data):
    grid, mask, a, _ = data
    offsets = np.array([3.0, -4.0, 3.0, -4.0])  # RMS over time = sqrt((9+16)/2)
    b = np.nan_to_num(a) + offsets[:, None, None]
    labels = metrics.region_labels(grid, mask, 60.0)
    out = metrics.region_mean_rms(b, np.nan_to_num(a), grid, labels)
    assert out["max"] == pytest.approx(np.sqrt(12.5), rel=1e-12)
    assert out["median"] == pytest.approx(np.sqrt(12.5), rel=1e-12)
    assert out["n_regions"] == len(np.unique(labels[labels >= 0]))


def test_cap_residual_is_zero_for_identical_caps_and_scales(data):
    grid, mask, a, b = data
    op = CapAverage(grid, 15.0, mask=mask)
    assert metrics.cap_residual(a, a, op, mask) == pytest.approx(0.0, abs=1e-12)
    # caps are linear and preserve constants: a constant offset c gives residual |c|
    assert metrics.cap_residual(np.nan_to_num(a) + 2.5, np.nan_to_num(a), op, mask) == \
        pytest.approx(2.5, rel=1e-10)


def test_empty_mask_is_named(data):
    grid, mask, a, b = data
    with pytest.raises(ValueError, match="mask is empty"):
        metrics.rmse(a, b, grid, np.zeros_like(mask))
