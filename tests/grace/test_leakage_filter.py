"""jaxgeo.grace.filter_field (the GRACE filter on a model field) and gaussian_weights:
against synthesis of truncated, Gaussian-weighted (and destriped) coefficients, gradients
(field and half_width_km), batching and jit, and the one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxgeo import Grid
from jaxgeo.grace import (
    SynthesisTable,
    destripe,
    ewh_degree_factors,
    filter_field,
    gaussian_weights,
    synthesize,
)
from jaxgeo.sphere import gaussian_legendre_weights

GRID = Grid.regular(10.0)  # 18 x 36, analysis exact to degree 17


def _coeffs(lmax, seed=0, batch=()):
    rng = np.random.default_rng(seed)
    c, s = (np.tril(rng.standard_normal((*batch, lmax + 1, lmax + 1))) for _ in range(2))
    s[..., :, 0] = 0.0
    return c, s


def _field(lmax=17, seed=0, batch=()):
    c, s = _coeffs(lmax, seed, batch)
    return c, s, np.asarray(synthesize(SynthesisTable.create(GRID, lmax), c, s))


@pytest.mark.parametrize("lmax,half_width_km", [(12, 800.0), (17, None), (6, 0.0)])
def test_filter_is_truncation_and_gaussian_weighting(lmax, half_width_km):
    c, s, f = _field(batch=(3,))
    w = (gaussian_legendre_weights(half_width_km, lmax) if half_width_km
         else np.ones(lmax + 1))[:, None]
    expect = synthesize(SynthesisTable.create(GRID, lmax), c[..., :lmax + 1, :lmax + 1] * w,
                        s[..., :lmax + 1, :lmax + 1] * w)
    got = filter_field(f, GRID, lmax=lmax, half_width_km=half_width_km)
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-10 * np.abs(f).max())


def test_destriping_acts_on_stokes_coefficients():
    c, s, f = _field(seed=1, batch=(2,))
    params = {"start_order": 2, "window_amplitude": 4.0, "min_window": 5}
    fac = ewh_degree_factors(17, radius_m=GRID.radius_m)[:, None]
    dc, ds = destripe(c / fac, s / fac, **params)
    w = gaussian_legendre_weights(600.0, 17)[:, None] * fac
    expect = synthesize(SynthesisTable.create(GRID, 17), np.asarray(dc) * w,
                        np.asarray(ds) * w)
    got = filter_field(f, GRID, lmax=17, half_width_km=600.0, destripe=params)
    np.testing.assert_allclose(got, expect, rtol=0, atol=1e-9 * np.abs(f).max())


def test_batched_months_jit_and_per_month_agree():
    *_, f = _field(seed=2, batch=(4,))
    batched = filter_field(f, GRID, lmax=10, half_width_km=700.0)
    jitted = jax.jit(lambda x: filter_field(x, GRID, lmax=10, half_width_km=700.0))(f)
    np.testing.assert_allclose(jitted, batched, rtol=0, atol=1e-12)
    for k in range(4):
        one = filter_field(f[k], GRID, lmax=10, half_width_km=700.0)
        np.testing.assert_allclose(one, batched[k], rtol=0, atol=1e-12)


def test_gradient_in_field():
    grid = Grid.regular(20.0)
    f = np.random.default_rng(3).normal(size=grid.shape)
    check_grads(lambda x: filter_field(x, grid, lmax=6, half_width_km=900.0), (f,), order=1,
                modes=("fwd", "rev"))


def test_gradient_in_half_width():
    grid = Grid.regular(20.0)
    f = np.random.default_rng(4).normal(size=grid.shape)
    check_grads(lambda r: filter_field(f, grid, lmax=6, half_width_km=r), (900.0,), order=2,
                modes=("fwd", "rev"), eps=1e-2)


def test_gaussian_weights_values_and_derivative():
    for r in (150.0, 500.0, 2000.0):
        np.testing.assert_array_equal(gaussian_weights(r, 40), gaussian_legendre_weights(r, 40))
        d = jax.jacfwd(gaussian_weights)(r, 40)
        fd = (gaussian_legendre_weights(r + 1e-3, 40)
              - gaussian_legendre_weights(r - 1e-3, 40)) / 2e-3
        np.testing.assert_allclose(d, fd, rtol=1e-6, atol=1e-12)
        g = jax.jit(jax.grad(lambda x: jnp.sum(gaussian_weights(x, 40))))(r)
        assert g == pytest.approx(fd.sum(), rel=1e-6)


@pytest.mark.parametrize("kwargs,shape,needle", [
    ({"lmax": 18}, (18, 36), "lmax=18"),
    ({"lmax": -1}, (18, 36), "lmax"),
    ({"lmax": 8}, (17, 36), "(..., 18, 36)"),
    ({"lmax": 8}, (36,), "(..., 18, 36)"),
    ({"lmax": 8, "half_width_km": -300.0}, (18, 36), "half_width_km"),
    ({"lmax": 8, "half_width_km": float("nan")}, (18, 36), "half_width_km"),
    ({"lmax": 8, "destripe": True}, (18, 36), "lmax 8 is too small"),
])
def test_errors_are_one_line_and_name_the_problem(kwargs, shape, needle):
    with pytest.raises(ValueError) as err:
        filter_field(np.zeros(shape), GRID, **kwargs)
    msg = str(err.value)
    assert needle in msg and "\n" not in msg


def test_non_finite_cell_is_named():
    f = np.zeros((2, 18, 36))
    f[1, 4, 7] = np.nan
    with pytest.raises(ValueError, match=r"row 4, column 7.*batch index \(1,\)"):
        filter_field(f, GRID, lmax=8)


def test_float32_without_x64():
    # the CLI and many users run without x64: weights, derivative and filter in float32
    f64 = _field(seed=5)[2]
    ref = filter_field(f64, GRID, lmax=10, half_width_km=400.0)
    d64 = jax.jacfwd(gaussian_weights)(400.0, 30)
    with jax.enable_x64(False):
        w = gaussian_weights(400.0, 30)
        d = jax.jacfwd(gaussian_weights)(400.0, 30)
        got = filter_field(f64.astype(np.float32), GRID, lmax=10, half_width_km=400.0)
    assert w.dtype == d.dtype == got.dtype == np.float32
    np.testing.assert_allclose(w, gaussian_legendre_weights(400.0, 30), rtol=1e-6, atol=1e-7)
    assert np.abs(np.asarray(d, np.float64) - d64).max() < 1e-3 * np.abs(d64).max()
    assert np.abs(np.asarray(got, np.float64) - ref).max() < 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("half_width_km,lmax,needle", [
    (0.0, 10, "half_width_km"), (-5.0, 10, "half_width_km"), (float("inf"), 10, "half_width_km"),
    (300.0, -1, "lmax")])
def test_gaussian_weights_errors(half_width_km, lmax, needle):
    with pytest.raises(ValueError) as err:
        gaussian_weights(half_width_km, lmax)
    assert needle in str(err.value) and "\n" not in str(err.value)
