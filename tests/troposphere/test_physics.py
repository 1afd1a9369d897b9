"""Physics of jaxgeo.troposphere against closed forms and brute-force integration."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.integrate import quad

from jaxgeo import troposphere as tr


def test_thayer_k2p_value():
    # k2' = k2 - k1 * Mw/Md (Thayer 1974) ≈ 16.522 K/hPa
    assert tr.THAYER_1974.k2p == pytest.approx(64.79 - 77.604 * 18.0152 / 28.9644, abs=1e-12)
    assert tr.THAYER_1974.k2p == pytest.approx(16.522, abs=1e-3)


def test_vapour_pressure_from_q_closed_form():
    # closed form: mixing ratio w = q/(1-q), e = w p / (eps + w)
    q = np.array([0.0, 0.005, 0.02])
    p = np.array([1000.0, 850.0, 700.0])
    eps = 18.0152 / 28.9644
    w = q / (1 - q)
    ref = w * p / (eps + w)
    np.testing.assert_allclose(tr.vapour_pressure_from_specific_humidity(q, p), ref, rtol=1e-13)


def test_saturation_and_dewpoint_bolton():
    # Bolton (1980): 6.112 hPa at 0 °C; ≈ 23.37 hPa at 20 °C (tables: 23.39)
    assert float(tr.saturation_vapour_pressure(273.15)) == pytest.approx(6.112, abs=1e-12)
    assert float(tr.vapour_pressure_from_dewpoint(293.15)) == pytest.approx(23.39, abs=0.05)
    e_rh = tr.vapour_pressure_from_relative_humidity(50.0, 293.15)
    assert float(e_rh) == pytest.approx(0.5 * float(tr.saturation_vapour_pressure(293.15)),
                                        rel=1e-14)


def test_wet_refractivity_constants():
    t, e = 290.0, 15.0
    nw = tr.wet_refractivity(t, e)
    assert float(nw) == pytest.approx(tr.THAYER_1974.k2p * e / t + 3.776e5 * e / t**2, rel=1e-14)
    nb = tr.wet_refractivity(t, e, k2p=tr.BEVIS_1994.k2p, k3=tr.BEVIS_1994.k3)
    assert float(nb) == pytest.approx(22.1 * e / t + 3.739e5 * e / t**2, rel=1e-14)


def test_zwd_profile_exponential_closed_form_any_order():
    # isothermal atmosphere with e = e0 exp(-h/H): ZWD(h) = 1e-6 N_w(h) H (1 - exp(-(top-h)/H))
    h = np.linspace(0.0, 20000.0, 41)
    t = np.full_like(h, 280.0)
    e0, hs = 20.0, 2000.0
    e = e0 * np.exp(-h / hs)
    nw = tr.THAYER_1974.k2p * e / t + tr.THAYER_1974.k3 * e / t**2
    ref = 1e-6 * nw * hs * (1 - np.exp(-(h[-1] - h) / hs))
    perm = np.random.default_rng(0).permutation(h.size)
    out = tr.zwd_profile(h[perm], t[perm], e[perm])
    np.testing.assert_allclose(np.asarray(out), ref[perm], rtol=1e-10, atol=1e-14)


def test_zwd_profile_against_quad_non_exponential():
    # temperature lapse + humidity that is not exponential; scipy quad on the analytic N_w
    def t_of(h):
        return 300.0 - 0.0065 * h

    def e_of(h):
        return 25.0 / (1 + (h / 1500.0) ** 2)

    def nw(h):
        return 1e-6 * (16.522 * e_of(h) / t_of(h) + 3.776e5 * e_of(h) / t_of(h) ** 2)

    h = np.linspace(0.0, 12000.0, 241)  # 50 m levels
    out = tr.zwd_profile(h, t_of(h), e_of(h), k2p=16.522, k3=3.776e5)
    ref = np.array([quad(nw, hi, h[-1], limit=200)[0] for hi in h[::40]])
    np.testing.assert_allclose(np.asarray(out)[::40], ref, rtol=2e-4, atol=1e-7)


def test_zwd_profile_batched_and_grads():
    rng = np.random.default_rng(1)
    h = np.sort(rng.uniform(0, 12000, (3, 8)), axis=-1)
    t = 290.0 - 0.006 * h
    e = 15.0 * np.exp(-h / 2500.0)
    out = tr.zwd_profile(h, t, e)
    assert out.shape == (3, 8)
    for k in range(3):
        np.testing.assert_allclose(out[k], tr.zwd_profile(h[k], t[k], e[k]), rtol=1e-13)
    check_grads(lambda ee: tr.zwd_profile(h[0], t[0], ee), (jnp.asarray(e[0]),), order=1,
                modes=["rev"], atol=1e-6, rtol=1e-5)


def test_weighted_mean_temperature_isothermal_and_closed_form():
    h = np.linspace(0.0, 15000.0, 61)
    e = 20.0 * np.exp(-h / 2000.0)
    tm = tr.weighted_mean_temperature(h, np.full_like(h, 270.0), e)
    np.testing.assert_allclose(np.asarray(tm), 270.0, rtol=1e-12)
    # linear T: Tm bounded by the column temperatures and below the surface value
    t = 300.0 - 0.0065 * h
    tm = np.asarray(tr.weighted_mean_temperature(h, t, e))
    num = np.array(quad(lambda z: 20 * np.exp(-z / 2000) / (300 - 0.0065 * z), 0, 15000)[0])
    den = quad(lambda z: 20 * np.exp(-z / 2000) / (300 - 0.0065 * z) ** 2, 0, 15000)[0]
    assert tm[0] == pytest.approx(num / den, rel=2e-4)


def test_pwv_from_zwd_bevis_factor():
    # Bevis (1994): Π ≈ 0.15–0.16 for Tm ≈ 270–290 K; closed form 1e6/(ρ Rv (k3/Tm + k2'))
    pwv = float(tr.pwv_from_zwd(0.2, 280.0))
    pi_ref = 1e6 / (1000.0 * 461.5 * (3739.0 / 280.0 + 0.221))
    assert pwv == pytest.approx(0.2 * pi_ref, rel=1e-13)
    assert 0.15 < pi_ref < 0.165


def test_geopotential_height_small_at_low_altitude():
    # geometric ≈ geopotential height below a few km (difference < 0.3 % at 10 km)
    z = np.array([0.0, 9.80665 * 1000.0, 9.80665 * 10000.0])
    h = np.asarray(tr.geopotential_to_height(z, 45.0))
    assert h[0] == 0.0
    np.testing.assert_allclose(h[1:], [1000.0, 10000.0], rtol=3e-3)


def test_jit_under_strict_promotion():
    f = jax.jit(tr.zwd_profile)
    h = jnp.linspace(0.0, 5000.0, 6)
    assert f(h, 280.0 - 0.0 * h, 10.0 + 0.0 * h).shape == (6,)
