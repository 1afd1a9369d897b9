"""Synthesis and EWH conversion vs ducc0, closed forms and published Love numbers."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.special import eval_legendre, gammaln, lpmv

from jaxgeo import Grid
from jaxgeo.grace import (
    SynthesisTable,
    degree_weights,
    ewh_degree_factors,
    legendre_table,
    load_love_numbers,
    synthesize,
    synthesize_ewh,
)
from jaxgeo.sphere import gaussian_legendre_weights

ducc0 = pytest.importorskip("ducc0")


def _ducc0_synthesis(clm, slm, grid):
    """Oracle: ducc0 (healpy convention, orthonormal with Condon–Shortley phase)."""
    lmax = clm.shape[0] - 1
    alm = []
    for m in range(lmax + 1):
        ell = np.arange(m, lmax + 1)
        if m == 0:
            alm.append(math.sqrt(4 * math.pi) * clm[ell, 0] + 0j)
        else:
            alm.append((-1) ** m * math.sqrt(2 * math.pi) * (clm[ell, m] - 1j * slm[ell, m]))
    alm = np.concatenate(alm)[None]
    # F1 = Fejér-1 rings, i.e. cell centres, north to south; flip to ascending latitude
    out = ducc0.sht.synthesis_2d(alm=alm, spin=0, lmax=lmax, geometry="F1",
                                 ntheta=grid.nlat, nphi=grid.nlon,
                                 phi0=math.radians(grid.lon[0]))
    return out[0, ::-1]


def _rand(lmax, seed):
    rng = np.random.default_rng(seed)
    c = np.tril(rng.standard_normal((lmax + 1, lmax + 1)))
    s = np.tril(rng.standard_normal((lmax + 1, lmax + 1)))
    s[:, 0] = 0
    return c, s


def test_legendre_closed_forms_and_scipy():
    lat = np.linspace(-89.9, 89.9, 37)
    t, u = np.sin(np.deg2rad(lat)), np.cos(np.deg2rad(lat))
    p = legendre_table(lat, 40)
    np.testing.assert_allclose(p[0, 0], 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p[0, 1], math.sqrt(3) * t, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(p[1, 1], math.sqrt(3) * u, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(p[0, 2], math.sqrt(5) * (3 * t**2 - 1) / 2, rtol=0, atol=1e-14)
    np.testing.assert_allclose(p[2, 2], math.sqrt(15) / 2 * u**2, rtol=0, atol=1e-14)
    # scipy lpmv carries the Condon–Shortley phase (-1)^m; geodesy normalisation
    # sqrt((2-δ_m0)(2l+1)(l-m)!/(l+m)!)
    for ell, m in [(10, 3), (25, 25), (40, 17), (40, 0)]:
        norm = math.exp(0.5 * (math.log((2 - (m == 0)) * (2 * ell + 1))
                               + gammaln(ell - m + 1) - gammaln(ell + m + 1)))
        ref = (-1) ** m * norm * lpmv(m, ell, t)
        np.testing.assert_allclose(p[m, ell], ref, rtol=0, atol=1e-11)
    assert np.all(p[5, :5] == 0)


@pytest.mark.parametrize("res, lon_start", [(0.5, -180.0), (1.0, 0.0)])
def test_synthesis_matches_ducc0_lmax96(res, lon_start):
    grid = Grid.regular(res, lon_start)
    c, s = _rand(96, seed=1)
    f = np.asarray(synthesize(SynthesisTable.create(grid, 96), c, s))
    ref = _ducc0_synthesis(c, s, grid)
    assert f.shape == grid.shape
    # 1e-10 relative to the field's magnitude (values are O(100) for N(0,1) coefficients)
    np.testing.assert_allclose(f, ref, rtol=0, atol=1e-10 * np.abs(ref).max())


def test_synthesis_batched_jit_and_gradient():
    grid = Grid.regular(6.0)
    table = SynthesisTable.create(grid, 12)
    c = np.stack([_rand(12, seed=k)[0] for k in range(3)])
    s = np.stack([_rand(12, seed=k)[1] for k in range(3)])
    batched = jax.jit(synthesize)(table, c, s)
    for k in range(3):
        np.testing.assert_allclose(batched[k], _ducc0_synthesis(c[k], s[k], grid),
                                   rtol=0, atol=1e-12)
    w = jnp.asarray(degree_weights(12, radius_m=6378136.3, half_width_km=500.0))
    check_grads(lambda cc, ss: synthesize_ewh(table, cc, ss, w)[..., ::7, ::9],
                (jnp.asarray(c[0]) * 1e-9, jnp.asarray(s[0]) * 1e-9), order=1,
                modes=["fwd", "rev"], eps=1e-10)


def test_love_numbers_match_wahr1998_table1():
    # Wahr, Molenaar & Bryan (1998) Table 1 (PREM, Han & Wahr 1995), 3 decimals
    table1 = {2: -0.303, 3: -0.194, 4: -0.132, 5: -0.104, 6: -0.089, 7: -0.081, 8: -0.076,
              10: -0.069, 12: -0.064, 15: -0.058, 20: -0.051, 30: -0.040, 40: -0.033,
              50: -0.027, 70: -0.020, 100: -0.014, 150: -0.010, 200: -0.007}
    k = load_love_numbers(200)
    for ell, ref in table1.items():
        assert abs(k[ell] - ref) <= 6e-4, (ell, k[ell], ref)
    assert k[0] == 0.0 and k[1] == 0.021  # mass conservation; TN-13 k1
    with pytest.raises(ValueError, match="stop at degree 200"):
        load_love_numbers(201)


def test_love_numbers_match_gravity_toolkit_file():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("gravity_toolkit")
    if spec is None:
        pytest.skip("gravity-toolkit not installed")
    path = Path(spec.origin).parent / "data" / "love_numbers"
    rows = [ln.split() for ln in path.read_text().splitlines()[2:]]
    kfile = np.array([float(r[2].replace("D", "E")) for r in rows[:201]])
    k = load_love_numbers(200, k1=0.0)
    np.testing.assert_allclose(k, kfile, rtol=1e-13, atol=0)


def test_ewh_single_zonal_matches_closed_form():
    # EWH of ΔC_l0 alone: a ρ_e (2l+1)/(3 ρ_w (1+k_l)) · sqrt(2l+1) P_l(sin φ) · W_l
    grid = Grid.regular(5.0)
    lmax, a = 20, 6378136.3
    w = degree_weights(lmax, radius_m=a, half_width_km=300.0)
    table = SynthesisTable.create(grid, lmax)
    t = np.sin(np.deg2rad(grid.lat))
    for ell, k_pub in [(2, -0.303), (10, -0.069), (20, -0.051)]:
        c = np.zeros((lmax + 1, lmax + 1))
        c[ell, 0] = 1e-10
        f = np.asarray(synthesize_ewh(table, c, np.zeros_like(c), w))
        wl = gaussian_legendre_weights(300.0, lmax)[ell]
        ref = (a * 5517.0 * (2 * ell + 1) / (3 * 1000.0 * (1 + k_pub)) * 1e-10 * wl
               * math.sqrt(2 * ell + 1) * eval_legendre(ell, t))
        # published k_l are rounded to 1e-3 → relative error ≤ 1e-3
        np.testing.assert_allclose(f, np.broadcast_to(ref[:, None], f.shape), rtol=0,
                                   atol=1e-3 * np.abs(ref).max())
    f_l = ewh_degree_factors(2, radius_m=a)
    assert f_l[0] == pytest.approx(a * 5517.0 / 3000.0, rel=1e-15)


@pytest.mark.shared_data
def test_real_month_ewh_matches_ducc0(shared_data):
    from jaxgeo.grace import read_shm

    files = sorted((shared_data / "grace-l2" / "csr-rl06").glob("GSM-2_*.gz"))
    a, b = read_shm(files[50]), read_shm(files[60])
    dc, ds = b.clm - a.clm, b.slm - a.slm
    w = degree_weights(96, radius_m=a.radius_m, half_width_km=300.0)
    grid = Grid.regular(0.5)
    f = np.asarray(synthesize_ewh(SynthesisTable.create(grid, 96), dc, ds, w))
    ref = _ducc0_synthesis(dc * w[:, None], ds * w[:, None], grid)
    assert 0.05 < np.abs(ref).max() < 5.0  # metres: a 10-month change with 300 km smoothing
    np.testing.assert_allclose(f, ref, rtol=0, atol=1e-10 * np.abs(ref).max())
