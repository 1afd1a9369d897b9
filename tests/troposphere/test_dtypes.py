"""The dtype rule (docs/architecture.md) for the troposphere's models and functions.

Models compute in their own dtype and return the input's floating dtype; functions
compute in the input's floating dtype.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.troposphere import HZWD, unb3m_zwd, zwd_profile

T = np.datetime64("2020-03-01T06:00")
G = Grid.regular(30.0, lon_start=0.0)


@pytest.mark.parametrize("model_dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_hzwd_returns_the_inputs_dtype(model_dtype, dtype):
    rng = np.random.default_rng(0)
    coef = jnp.asarray(rng.normal(scale=0.01, size=G.shape + (7, 5)), model_dtype)
    model = HZWD(coef, grid=G, family="poly")
    assert model.dtype == model_dtype
    h = jnp.asarray([100.0, 2500.0, 7000.0], dtype)
    got = model(jnp.asarray(12.0, dtype), jnp.asarray(40.0, dtype), h, T)
    assert got.dtype == dtype
    ref = HZWD(jnp.asarray(coef, jnp.float64), grid=G, family="poly")(12.0, 40.0,
                                                                       np.asarray(h, float), T)
    tol = 1e-5 if jnp.float32 in (model_dtype, dtype) else 1e-12
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(ref), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_functions_compute_in_the_inputs_dtype(dtype):
    h = jnp.asarray([0.0, 1000.0, 3000.0], dtype)
    assert unb3m_zwd(jnp.asarray(45.0, dtype), h, T).dtype == dtype
    hp = jnp.asarray([0.0, 1000.0, 5000.0, 12000.0], dtype)
    t = jnp.asarray([290.0, 283.0, 260.0, 215.0], dtype)
    e = jnp.asarray([15.0, 8.0, 2.0, 0.01], dtype)
    assert zwd_profile(hp, t, e).dtype == dtype
