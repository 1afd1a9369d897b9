"""Spherical-harmonic analysis vs ducc0 (oracle), round trips with synthesis, gradients, dtype."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxgeo import Grid
from jaxgeo.grace import (
    AnalysisTable,
    SynthesisTable,
    analyze,
    analyze_ewh,
    degree_weights,
    fejer1_weights,
    max_analysis_degree,
    synthesize,
    synthesize_ewh,
)

ducc0 = pytest.importorskip("ducc0")

RESOLUTIONS = (5.0, 2.0, 1.0)


def _alm_to_cs(alm, lmax):
    """ducc0 alm (healpy order, orthonormal, Condon–Shortley) -> 4π C_lm, S_lm (geodesy)."""
    c = np.zeros((lmax + 1, lmax + 1))
    s = np.zeros((lmax + 1, lmax + 1))
    i = 0
    for m in range(lmax + 1):
        a = alm[i: i + lmax + 1 - m]
        i += lmax + 1 - m
        if m == 0:
            c[:, 0] = a.real / math.sqrt(4 * math.pi)
        else:
            c[m:, m] = (-1) ** m * a.real / math.sqrt(2 * math.pi)
            s[m:, m] = -((-1) ** m) * a.imag / math.sqrt(2 * math.pi)
    return c, s


def _random_alm(lmax, seed):
    rng = np.random.default_rng(seed)
    n = (lmax + 1) * (lmax + 2) // 2
    alm = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    alm[: lmax + 1] = alm[: lmax + 1].real  # m = 0: real for a real field
    return alm


def _ducc0_map(alm, lmax, grid):
    """Band-limited field on the grid made by ducc0 alone (F1 rings north to south)."""
    out = ducc0.sht.synthesis_2d(alm=alm[None], spin=0, lmax=lmax, geometry="F1",
                                 ntheta=grid.nlat, nphi=grid.nlon,
                                 phi0=math.radians(grid.lon[0]))
    return np.ascontiguousarray(out[0, ::-1])


def _ducc0_analysis(field, lmax, grid):
    alm = ducc0.sht.experimental.analysis_2d(
        map=np.ascontiguousarray(field[::-1])[None], spin=0, lmax=lmax, geometry="F1",
        phi0=math.radians(grid.lon[0]))
    return _alm_to_cs(alm[0], lmax)


def _rand_cs(lmax, seed):
    rng = np.random.default_rng(seed)
    c = np.tril(rng.standard_normal((lmax + 1, lmax + 1)))
    s = np.tril(rng.standard_normal((lmax + 1, lmax + 1)))
    s[:, 0] = 0
    return c, s


def test_fejer_weights_match_ducc0():
    for n in (1, 2, 7, 36, 90):
        np.testing.assert_allclose(2 * math.pi * fejer1_weights(n),
                                   ducc0.sht.experimental.get_gridweights("F1", n),
                                   rtol=0, atol=1e-14)


@pytest.mark.parametrize("res", RESOLUTIONS)
@pytest.mark.parametrize("lon_start", [-180.0, 0.0])
def test_analysis_matches_ducc0_band_limited(res, lon_start):
    grid = Grid.regular(res, lon_start=lon_start)
    for lmax in sorted({max_analysis_degree(grid), 30}):
        alm = _random_alm(lmax, seed=int(res * 10) + lmax)
        field = _ducc0_map(alm, lmax, grid)
        clm, slm = analyze(grid, field, lmax)
        c_ref, s_ref = _ducc0_analysis(field, lmax, grid)
        c_true, s_true = _alm_to_cs(alm, lmax)
        for got, ref, true in ((clm, c_ref, c_true), (slm, s_ref, s_true)):
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
            np.testing.assert_allclose(got, true, rtol=0, atol=1e-10)


def test_analysis_matches_ducc0_on_any_field_at_full_degree():
    """At lmax = nlat - 1 the analysis of an arbitrary (white-noise) field is determined."""
    grid = Grid.regular(5.0)
    field = np.random.default_rng(3).standard_normal(grid.shape)
    lmax = max_analysis_degree(grid)
    clm, slm = analyze(grid, field, lmax)
    c_ref, s_ref = _ducc0_analysis(field, lmax, grid)
    np.testing.assert_allclose(clm, c_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(slm, s_ref, rtol=0, atol=1e-12)


def test_lower_degree_is_truncation_of_full_analysis():
    """Degrees up to nlat - 1 are not aliased into the lower ones: analysing to L gives the
    first L+1 rows of the full analysis (ducc0 instead low-passes the meridians first)."""
    grid = Grid.regular(5.0)
    field = np.random.default_rng(4).standard_normal(grid.shape)
    full_c, full_s = analyze(grid, field, max_analysis_degree(grid))
    clm, slm = analyze(grid, field, 12)
    np.testing.assert_allclose(clm, full_c[:13, :13], rtol=0, atol=1e-12)
    np.testing.assert_allclose(slm, full_s[:13, :13], rtol=0, atol=1e-12)


@pytest.mark.parametrize("res", RESOLUTIONS)
def test_round_trips(res):
    grid = Grid.regular(res)
    lmax = max_analysis_degree(grid) if res > 1 else 120
    c, s = _rand_cs(lmax, seed=7)
    syn = SynthesisTable.create(grid, lmax)
    ana = AnalysisTable.create(grid, lmax)
    field = synthesize(syn, c, s)
    c2, s2 = analyze(ana, field)
    np.testing.assert_allclose(c2, c, rtol=0, atol=1e-10)
    np.testing.assert_allclose(s2, s, rtol=0, atol=1e-10)
    np.testing.assert_allclose(synthesize(syn, c2, s2), field, rtol=0, atol=1e-10)
    assert np.all(np.triu(np.asarray(c2), 1) == 0) and np.all(np.asarray(s2)[:, 0] == 0)


def test_batched_jit_vmap_and_ewh_inverse():
    grid = Grid.regular(5.0)
    lmax = 20
    rng = np.random.default_rng(11)
    c = np.tril(rng.standard_normal((2, 3, lmax + 1, lmax + 1)))
    s = np.tril(rng.standard_normal((2, 3, lmax + 1, lmax + 1)))
    s[..., 0] = 0
    syn = SynthesisTable.create(grid, lmax)
    ana = AnalysisTable.create(grid, lmax)
    field = synthesize(syn, c, s)
    c2, s2 = analyze(ana, field)
    assert c2.shape == (2, 3, lmax + 1, lmax + 1)
    np.testing.assert_allclose(c2, c, rtol=0, atol=1e-12)
    cj, sj = jax.jit(analyze)(ana, field)
    np.testing.assert_allclose(cj, c2, rtol=0, atol=1e-13)
    cv, _ = jax.vmap(lambda f: analyze(ana, f))(field[0])
    np.testing.assert_allclose(cv, c2[0], rtol=0, atol=1e-13)
    # analyze_ewh inverts synthesize_ewh (Love numbers and Gaussian smoothing)
    w = degree_weights(lmax, radius_m=6.3781363e6, half_width_km=300.0)
    dc, ds = 1e-10 * c[0, 0], 1e-10 * s[0, 0]
    ewh = synthesize_ewh(syn, dc, ds, w)
    dc2, ds2 = analyze_ewh(ana, ewh, w)
    np.testing.assert_allclose(dc2, dc, rtol=0, atol=1e-20)
    np.testing.assert_allclose(ds2, ds, rtol=0, atol=1e-20)


def test_gradients():
    grid = Grid.regular(20.0)
    ana = AnalysisTable.create(grid, 6)
    field = jnp.asarray(np.random.default_rng(5).standard_normal(grid.shape))

    def loss(f):
        c, s = analyze(ana, f)
        return jnp.sum(c**3) + jnp.sum(jnp.sin(s))

    check_grads(loss, (field,), order=2, modes=("fwd", "rev"))
    # the adjoint of the (linear) analysis: <A f, x> = <f, Aᵀ x>
    x = jnp.asarray(np.random.default_rng(6).standard_normal((2, 7, 7)))
    _, vjp = jax.vjp(lambda f: analyze(ana, f), field)
    (back,) = vjp((x[0], x[1]))
    lhs = sum(jnp.vdot(a, b) for a, b in zip(analyze(ana, field), x, strict=True))
    np.testing.assert_allclose(lhs, jnp.vdot(field, back), rtol=1e-12)


def test_float32_keeps_dtype():
    grid = Grid.regular(5.0)
    lmax = 20
    c, s = _rand_cs(lmax, seed=9)
    field = synthesize(SynthesisTable.create(grid, lmax), c, s)
    c32, s32 = analyze(grid, field.astype(jnp.float32), lmax)
    assert c32.dtype == jnp.float32 and s32.dtype == jnp.float32
    np.testing.assert_allclose(c32, c, rtol=0, atol=2e-4)
    table32 = AnalysisTable.create(grid, lmax, dtype=jnp.float32)
    assert table32.dtype == jnp.float32
    c64, _ = analyze(table32, field)  # float64 field through a float32 table: float64 out
    assert c64.dtype == jnp.float64
    c_from_f32, _ = analyze(AnalysisTable.create(grid, lmax), field.astype(jnp.float32))
    assert c_from_f32.dtype == jnp.float32
