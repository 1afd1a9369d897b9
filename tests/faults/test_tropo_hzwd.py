"""HZWD outside its domain: extrapolation above 10 km decays, and one rule for points the
model cannot answer (raise eagerly, NaN under jit or with ``outside="nan"``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo import troposphere as tr
from jaxgeo.troposphere._hzwd import TOP_DECAY_PER_KM, node_zwd

GRID = Grid.regular(30.0, lon_start=0.0)
T = np.datetime64("2020-01-01T00:00", "ns")
C0 = float(np.log(0.2))


def _model(beta3, gamma3, family="exp", c0=C0):
    c = np.zeros((*GRID.shape, 7, 5))
    if family == "exp":
        c[..., :, 0] = [c0, 0.4, 0.0, 0.4, 0.0, beta3, gamma3]
    else:  # ZWD in m: 0.2 at 0 m, falling by 0.02 m/km in the lower intervals
        c[..., :, 0] = [0.2, 0.02, 0.0, 0.02, 0.0, beta3, gamma3]
    return tr.HZWD(jnp.asarray(c), GRID, family)


def _exp_oracle(h_m, beta3, gamma3, c0=C0):
    """The closed form: the fitted function to 10 km, then exp decay at rate k."""
    hk = np.minimum(h_m, 10000.0) / 1000.0
    s1, s2, s3 = np.minimum(hk, 2.0), np.clip(hk - 2, 0, 3), np.clip(hk - 5, 0, 5)
    eta = c0 - 0.4 * s1 - 0.4 * s2 - beta3 * s3 - gamma3 * s3 ** 2
    k = max(beta3 + 2 * gamma3 * 5.0, TOP_DECAY_PER_KM)
    return np.exp(eta - k * np.maximum(h_m - 10000.0, 0.0) / 1000.0)


@pytest.mark.parametrize("beta3, gamma3", [(-0.1, -0.05),   # the fit grows above 5 km
                                           (0.3, 0.0),      # decays slower than 0.5 /km
                                           (0.9, 0.05)])    # decays faster: keeps its slope
def test_exp_extrapolation_decays_to_zero(beta3, gamma3):
    model = _model(beta3, gamma3)
    h = np.concatenate([np.linspace(9000.0, 9900.0, 10), np.linspace(10000.0, 60000.0, 501)])
    z = np.asarray(model(15.0, 15.0, h, T, extrapolate=True))
    np.testing.assert_allclose(z, _exp_oracle(h, beta3, gamma3), rtol=1e-12)
    above = z[h >= 10000.0]
    assert np.all(np.diff(above) < 0) and above[-1] < 1e-9
    # continuous at 10 km with the unextrapolated model
    z10 = float(model(15.0, 15.0, 10000.0, T))
    assert float(model(15.0, 15.0, 10000.001, T, extrapolate=True)) == pytest.approx(z10,
                                                                                     rel=1e-5)
    # the case: 20 km no longer gives kilometres of delay
    assert float(model(15.0, 15.0, 20000.0, T, extrapolate=True)) < z10


def test_slope_continuous_when_the_fit_decays_fast():
    model = _model(0.9, 0.05)  # rate at 10 km: 0.9 + 0.5 = 1.4 /km > 0.5 /km
    f = lambda hh: jnp.log(model.at_doy(15.0, 15.0, hh, 1.0, extrapolate=True))  # noqa: E731
    below, above = jax.grad(f)(9999.999), jax.grad(f)(10000.001)
    assert float(below) == pytest.approx(float(above), rel=1e-5)
    assert float(above) == pytest.approx(-1.4e-3, rel=1e-5)


def test_poly_extrapolation_decays_monotonically():
    model = _model(-0.01, -0.002, "poly")  # the quadratic turns upwards above 5 km
    h = np.linspace(10000.0, 40000.0, 301)
    z = np.asarray(model(15.0, 15.0, h, T, extrapolate=True))
    assert np.all(np.diff(z) < 0) and 0 < z[-1] < 1e-6
    z10 = float(model(15.0, 15.0, 10000.0, T))
    assert z[0] == pytest.approx(z10, rel=1e-12)


def test_node_zwd_agrees_with_the_model():
    model = _model(-0.1, -0.05)
    h = np.array([3000.0, 10000.0, 15000.0, 25000.0])
    doy = 1.0
    got = node_zwd(model.coefficients[1, 1], h, doy, "exp", extrapolate=True)
    ref = model.at_doy(float(GRID.lat[1]), float(GRID.lon[1]), h, doy, extrapolate=True)
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-12)


def _partial_model():
    c = np.array(_model(0.3, 0.0).coefficients)
    c[:, 6:] = np.nan  # fitted only in the eastern half (lon 0..180)
    return tr.HZWD(jnp.asarray(c), GRID, "exp")


def test_one_rule_outside_the_fitted_area_and_height_range():
    model = _partial_model()
    # eager, concrete: both kinds raise one line naming the points
    with pytest.raises(ValueError, match=r"no fitted coefficients near 1 point\(s\) \(lat, lon\) "
                                         r"\(10, 250\): the model does not cover"):
        model(np.array([10.0, 10.0]), np.array([100.0, 250.0]), 1000.0, T)
    with pytest.raises(ValueError, match="height outside the HZWD range"):
        model(10.0, 100.0, 12000.0, T)
    # outside="nan": NaN for both kinds, the others evaluated
    out = np.asarray(model(np.array([10.0, 10.0, 10.0]), np.array([100.0, 250.0, 100.0]),
                           np.array([1000.0, 1000.0, 12000.0]), T, outside="nan"))
    assert np.isfinite(out[0]) and np.isnan(out[1]) and np.isnan(out[2])
    # under jit: the same NaN pattern
    f = jax.jit(lambda lon, h: model.at_doy(10.0, lon, h, 1.0))
    out_jit = np.asarray(f(jnp.array([100.0, 250.0, 100.0]), jnp.array([1000.0, 1000.0,
                                                                         12000.0])))
    assert np.isfinite(out_jit[0]) and np.isnan(out_jit[1]) and np.isnan(out_jit[2])
    with pytest.raises(ValueError, match="outside must be one of"):
        model(10.0, 100.0, 1000.0, T, outside="clip")
