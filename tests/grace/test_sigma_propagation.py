"""Formal EWH errors from the coefficient sigmas (issue 12, item 6): per-cell and region-mean
standard deviations in the diagonal approximation, against closed forms for single
coefficients and against a brute-force Monte Carlo (draw coefficients with the given sigmas,
synthesise, take the sample variance; the tolerance is set by the sampling error)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxgeo import Grid
from jaxgeo.grace import (
    SynthesisTable,
    degree_weights,
    ewh_sigma_grid,
    ewh_variance_grid,
    region_harmonics,
    region_sigma,
    synthesize_ewh,
)
from jaxgeo.regions import region_mean

RADIUS = 6378136.3


def _table(res, lmax):
    return SynthesisTable.create(Grid.regular(res), lmax, dtype=jnp.float64)


def test_single_coefficient_cell_sigma_closed_form():
    lmax, s = 4, 2e-11
    table = _table(5.0, lmax)
    w = degree_weights(lmax, radius_m=RADIUS, half_width_km=400.0)
    lat, lon = np.meshgrid(np.deg2rad(table.grid.lat), np.deg2rad(table.grid.lon),
                           indexing="ij")
    sc, ss = np.zeros((lmax + 1,) * 2), np.zeros((lmax + 1,) * 2)
    sc[2, 1] = s  # P̄_21 = sqrt(15) sin φ cos φ
    got = np.asarray(ewh_sigma_grid(table, sc, ss, w))
    want = np.abs(w[2] * s * np.sqrt(15) * np.sin(lat) * np.cos(lat) * np.cos(lon))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * want.max())
    sc[2, 1], ss[3, 2] = 0.0, s  # P̄_32 = sqrt(105)/2 cos² φ sin φ
    got = np.asarray(ewh_sigma_grid(table, sc, ss, w))
    want = np.abs(w[3] * s * np.sqrt(105) / 2 * np.cos(lat) ** 2 * np.sin(lat)
                  * np.sin(2 * lon))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * want.max())


def test_single_coefficient_region_sigma_closed_form():
    # northern hemisphere, only sigma(C10): A_10 = mean of sqrt(3) sin φ = sqrt(3)/2
    lmax, s = 3, 3e-11
    table = _table(2.0, lmax)
    w = degree_weights(lmax, radius_m=RADIUS)
    north = np.broadcast_to(table.grid.lat[:, None] > 0, table.grid.shape)
    sc, ss = np.zeros((lmax + 1,) * 2), np.zeros((lmax + 1,) * 2)
    sc[1, 0] = s
    got = float(region_sigma(table, sc, ss, w, north))
    np.testing.assert_allclose(got, w[1] * s * np.sqrt(3) / 2, rtol=1e-3)
    a, b = region_harmonics(table, north)
    np.testing.assert_allclose(float(a[0, 0]), 1.0, rtol=1e-12)  # mean of P̄_00 = 1
    np.testing.assert_allclose(np.asarray(b[:, 0]), 0.0, atol=1e-15)  # sin(0 λ) = 0


def _monte_carlo(table, sc, ss, w, n, seed):
    key_c, key_s = jax.random.split(jax.random.PRNGKey(seed))
    shape = (n, *sc.shape)
    dc = jax.random.normal(key_c, shape, jnp.float64) * jnp.broadcast_to(sc, shape)
    ds = jax.random.normal(key_s, shape, jnp.float64) * jnp.broadcast_to(ss, shape)
    return np.asarray(jax.jit(synthesize_ewh)(table, dc, ds, jnp.asarray(w)))


def test_cell_and_region_variance_match_monte_carlo():
    lmax, n = 8, 20000
    table = _table(10.0, lmax)
    rng = np.random.default_rng(1)
    sc = np.tril(rng.lognormal(-27, 0.5, (lmax + 1,) * 2))
    ss = np.tril(rng.lognormal(-27, 0.5, (lmax + 1,) * 2))
    ss[:, 0] = 0.0
    w = degree_weights(lmax, radius_m=RADIUS, half_width_km=500.0) * 1e3  # mm
    fields = _monte_carlo(table, sc, ss, w, n, seed=2)
    # the sample variance of n Gaussian draws has relative standard error sqrt(2/(n-1))
    tol = 5 * np.sqrt(2 / (n - 1))
    mc = fields.var(axis=0, ddof=1)
    var = np.asarray(ewh_variance_grid(table, sc, ss, w))
    assert np.max(np.abs(mc / var - 1)) < tol
    np.testing.assert_allclose(np.asarray(ewh_sigma_grid(table, sc, ss, w)), np.sqrt(var))
    box = np.zeros(table.grid.shape, bool)
    box[(table.grid.lat > 20) & (table.grid.lat < 60)] = True
    box[:, table.grid.lon > 100] = False
    mc_region = region_mean(fields, table.grid, box).var(ddof=1)
    got = float(region_sigma(table, sc, ss, w, box)) ** 2
    assert abs(mc_region / got - 1) < tol


def test_batched_months_and_gradient():
    lmax = 4
    table = _table(15.0, lmax)
    rng = np.random.default_rng(3)
    sc = np.tril(rng.uniform(1e-12, 3e-12, (2, lmax + 1, lmax + 1)))
    ss = np.tril(rng.uniform(1e-12, 3e-12, (2, lmax + 1, lmax + 1)))
    w = degree_weights(lmax, radius_m=RADIUS)
    both = np.asarray(ewh_sigma_grid(table, sc, ss, w))
    for t in range(2):
        np.testing.assert_allclose(both[t], np.asarray(ewh_sigma_grid(table, sc[t], ss[t], w)))
    # entries with m > l are ignored, as in synthesize
    junk = sc[0] + np.triu(np.ones((lmax + 1,) * 2), 1)
    np.testing.assert_allclose(np.asarray(ewh_sigma_grid(table, junk, ss[0], w)), both[0])
    region = np.zeros(table.grid.shape, bool)
    region[3:6, 2:9] = True
    check_grads(lambda c: ewh_variance_grid(table, c, ss[0] * 1e11, w * 1e-3),
                (sc[0] * 1e11,), order=1, modes=("rev",))
    check_grads(lambda c: region_sigma(table, c, ss[0] * 1e11, w * 1e-3, region),
                (sc[0] * 1e11,), order=1, modes=("rev",))


@pytest.mark.parametrize("case,match", [
    ("sigma_shape", r"sigma_clm/sigma_slm must have shape \(\.\.\., 5, 5\)"),
    ("sigma_mismatch", r"sigma_clm/sigma_slm must have shape"),
    ("weights", r"weights_m must have shape \(5,\)"),
    ("empty_region", r"mask is empty"),
    ("region_shape", r"mask has shape \(3, 3\)"),
])
def test_bad_inputs_are_clear_errors(case, match):
    lmax = 4
    table = _table(15.0, lmax)
    z = np.ones((lmax + 1,) * 2) * 1e-12
    w = degree_weights(lmax, radius_m=RADIUS)
    region = np.ones(table.grid.shape, bool)
    with pytest.raises(ValueError, match=match):
        if case == "sigma_shape":
            ewh_sigma_grid(table, np.ones((4, 4)), np.ones((4, 4)), w)
        elif case == "sigma_mismatch":
            ewh_sigma_grid(table, z, np.ones((2, 5, 5)), w)
        elif case == "weights":
            region_sigma(table, z, z, w[:3], region)
        elif case == "empty_region":
            region_sigma(table, z, z, w, np.zeros_like(region))
        else:
            region_sigma(table, z, z, w, np.ones((3, 3), bool))
