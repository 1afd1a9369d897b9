"""Leakage scaling factors (Landerer & Swenson 2012): closed form where the filter is known
(single-degree fields are eigenfunctions of the Gaussian filter), gains ≈ 1 for smooth
large-scale signals, > 1 for a small region, descent on the gain recovers the closed
form, and the errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.grace import (
    SynthesisTable,
    filter_field,
    region_gain,
    scaling_factors,
    synthesize,
)
from jaxgeo.regions import area_weights
from jaxgeo.sphere import gaussian_legendre_weights

GRID = Grid.regular(10.0)
T = np.arange(24)
A, B = np.cos(2 * np.pi * T / 12), np.sin(2 * np.pi * T / 12)  # zero mean, orthogonal


def _harmonic(l, m, lmax=17):
    c = np.zeros((lmax + 1, lmax + 1))
    c[l, m] = 1.0
    return np.asarray(synthesize(SynthesisTable.create(GRID, lmax), c, np.zeros_like(c)))


def _two_degree_model(l1, l2):
    y1, y2 = _harmonic(l1, 1), _harmonic(l2, 2)
    return y1, y2, A[:, None, None] * y1 + B[:, None, None] * y2


@pytest.mark.parametrize("l2", [7, 15])  # 15 > lmax: removed by the truncation
def test_cell_gains_closed_form_where_the_filter_is_known(l2):
    lmax, hw = 12, 900.0
    y1, y2, model = _two_degree_model(3, l2)
    w = gaussian_legendre_weights(hw, 17)
    w1, w2 = w[3], (w[l2] if l2 <= lmax else 0.0)
    aa, bb = A @ A, B @ B
    num = aa * w1 * y1**2 + bb * w2 * y2**2
    den = aa * w1**2 * y1**2 + bb * w2**2 * y2**2
    k = np.asarray(scaling_factors(model, GRID, lmax=lmax, half_width_km=hw))
    ok = den > 1e-8 * den.max()
    np.testing.assert_allclose(k[ok], (num / den)[ok], rtol=1e-8)
    if l2 > lmax:
        np.testing.assert_allclose(k[ok], 1.0 / w1, rtol=1e-8)
    # the gain restores a GRACE-like (filtered) field of the same signal where it is
    # one degree: exact, cell by cell
    grace = filter_field(model, GRID, lmax=lmax, half_width_km=hw)
    if l2 > lmax:
        truth = A[:, None, None] * y1
        np.testing.assert_allclose((np.asarray(grace) * k)[:, ok], truth[:, ok], atol=1e-8)


def test_region_gain_closed_form():
    lmax, hw = 12, 900.0
    y1, y2, model = _two_degree_model(2, 9)
    region = (GRID.lat[:, None] > 10) & (GRID.lat[:, None] < 60) & (GRID.lon[None, :] > 20) \
        & (GRID.lon[None, :] < 120)
    wa = area_weights(GRID, region)
    r1, r2 = (wa * y1).sum(), (wa * y2).sum()
    w = gaussian_legendre_weights(hw, 17)
    m = A * r1 + B * r2
    f = A * w[2] * r1 + B * w[9] * r2
    k = region_gain(model, GRID, region, lmax=lmax, half_width_km=hw)
    assert float(k) == pytest.approx((m @ f) / (f @ f), rel=1e-9)


def test_smooth_large_scale_signal_has_gains_near_one():
    rng = np.random.default_rng(5)
    c = np.tril(rng.normal(size=(24, 4, 4)))
    s = np.tril(rng.normal(size=(24, 4, 4)))
    s[..., 0] = 0.0
    model = synthesize(SynthesisTable.create(GRID, 3), c, s)
    k = np.asarray(scaling_factors(model, GRID, lmax=17, half_width_km=300.0))
    assert np.isfinite(k).all()
    assert np.abs(k - 1).max() < 0.015
    region = (GRID.lat[:, None] > -30) & (GRID.lat[:, None] < 30) & (GRID.lon[None, :] < 90)
    assert float(region_gain(model, GRID, region, lmax=17, half_width_km=300.0)) \
        == pytest.approx(1.0, abs=0.015)


def _small_region_model():
    grid = Grid.regular(5.0)
    region = np.zeros(grid.shape, bool)
    region[22:25, 40:43] = True  # 15° x 15° box
    rng = np.random.default_rng(6)
    series = rng.normal(size=(18, 1, 1)) * 100.0
    return grid, region, np.where(region, series, 0.0)


def test_small_region_gain_exceeds_one_and_descent_recovers_it():
    grid, region, model = _small_region_model()
    kw = {"lmax": 35, "half_width_km": 500.0}
    k = float(region_gain(model, grid, region, **kw))
    assert k > 1.3
    cells = np.asarray(scaling_factors(model, grid, mask=region, **kw))
    assert np.all(cells[region] > 1.0) and np.isnan(cells[~region]).all()

    wa = jnp.asarray(area_weights(grid, region))
    m = jnp.tensordot(model - model.mean(0, keepdims=True), wa, axes=2)
    f = jnp.tensordot(filter_field(model - model.mean(0, keepdims=True), grid, **kw), wa, axes=2)

    def loss(g):
        return jnp.sum((m - g * f) ** 2)

    g, step = 0.0, 0.4 / float(f @ f)
    for _ in range(60):
        g = g - step * jax.grad(loss)(g)
    assert float(g) == pytest.approx(k, rel=1e-10)


@pytest.mark.parametrize("case,needle", [
    ("empty region", "empty"),
    ("region shape", "shape"),
    ("2-D model", "(months, 18, 36)"),
    ("one month", "at least 2 months"),
    ("flat model", "does not vary in time"),
])
def test_region_gain_errors(case, needle):
    model = np.random.default_rng(0).normal(size=(6, 18, 36))
    region = np.ones((18, 36), bool)
    if case == "empty region":
        region = np.zeros((18, 36), bool)
    elif case == "region shape":
        region = np.ones((18, 35), bool)
    elif case == "2-D model":
        model = model[0]
    elif case == "one month":
        model = model[:1]
    elif case == "flat model":
        model = np.ones((6, 18, 36))
    with pytest.raises(ValueError) as err:
        region_gain(model, GRID, region, lmax=8, half_width_km=500.0)
    assert needle in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("mask", [np.ones((18, 36)), np.ones((18, 35), bool)])
def test_scaling_factor_mask_errors(mask):
    model = np.random.default_rng(0).normal(size=(6, 18, 36))
    with pytest.raises(ValueError, match="mask must be"):
        scaling_factors(model, GRID, lmax=8, mask=mask)


def test_gain_is_differentiable_in_half_width_and_model():
    grid, region, model = _small_region_model()
    grid, region, model = Grid.regular(10.0), region[::2, ::2], model[:, ::2, ::2]

    def gain(hw, m=model):
        return region_gain(m, grid, region, lmax=17, half_width_km=hw)

    d = float(jax.grad(gain)(600.0))
    fd = (float(gain(600.5)) - float(gain(599.5))) / 1.0
    assert d == pytest.approx(fd, rel=1e-5) and d > 0  # wider smoothing, more leakage
    cells = jax.jit(lambda m: scaling_factors(m, grid, lmax=17, half_width_km=600.0,
                                              mask=region))(model)
    np.testing.assert_allclose(cells, scaling_factors(model, grid, lmax=17,
                                                      half_width_km=600.0, mask=region),
                               rtol=1e-12)
