"""The one dtype rule (docs/architecture.md), in the style of optax's dtype tests.

An operator computes in its own dtype (fixed when built) and returns the input's floating
dtype (integer input: the operator's dtype); the functional forms and the accessor build
their operator in the input's floating dtype. Every public sphere form and the sharded
applications follow it, for float32 and float64 inputs alike.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

import jaxgeo.sphere  # noqa: F401  (registers the accessor)
from jaxgeo import Grid
from jaxgeo.distributed import band_sharded_apply, make_mesh, sharded_apply, to_host
from jaxgeo.sphere import CapAverage, GaussianSmooth, cap_average, gaussian_smooth

G = Grid.regular(6.0)
MASK = np.random.default_rng(2).random(G.shape) > 0.3
DTYPES = [jnp.float32, jnp.float64]
BUILDERS = {
    "cap": lambda dtype: CapAverage(G, 10.0, dtype=dtype),
    "cap-mask": lambda dtype: CapAverage(G, 10.0, mask=MASK, dtype=dtype),
    "gaussian": lambda dtype: GaussianSmooth(G, 600.0, dtype=dtype),
}
FUNCTIONAL = {
    "cap_average": (lambda x: cap_average(x, G, 10.0),
                    lambda dtype: CapAverage(G, 10.0, dtype=dtype)),
    "cap_average-mask": (lambda x: cap_average(x, G, 10.0, mask=MASK),
                         lambda dtype: CapAverage(G, 10.0, mask=MASK, dtype=dtype)),
    "gaussian_smooth": (lambda x: gaussian_smooth(x, G, 600.0),
                        lambda dtype: GaussianSmooth(G, 600.0, dtype=dtype)),
}


def _field(dtype, *lead):
    return np.random.default_rng(0).normal(size=lead + G.shape).astype(dtype)


@pytest.mark.parametrize("op_dtype", DTYPES)
@pytest.mark.parametrize("in_dtype", DTYPES)
@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_operator_returns_input_dtype_computes_in_its_own(build, in_dtype, op_dtype):
    op = build(op_dtype)
    assert op.dtype == op_dtype
    x = jnp.asarray(_field(in_dtype, 2))
    y = op(x)
    assert y.dtype == in_dtype
    # computed in the operator's dtype: the same as casting the input to it first
    ref = op(x.astype(op_dtype)).astype(in_dtype)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(ref))
    assert jax.jit(lambda o, f: o(f))(op, x).dtype == in_dtype
    assert jax.grad(lambda f: jnp.nansum(op(f)))(x).dtype == in_dtype


@pytest.mark.parametrize("op_dtype", DTYPES)
def test_integer_input_gives_operator_dtype(op_dtype):
    op = CapAverage(G, 10.0, dtype=op_dtype)
    x = np.rint(_field(np.float64) * 10).astype(np.int32)
    y = op(x)
    assert y.dtype == op_dtype
    np.testing.assert_array_equal(np.asarray(y), np.asarray(op(x.astype(op_dtype))))


@pytest.mark.parametrize("in_dtype", DTYPES)
@pytest.mark.parametrize("case", FUNCTIONAL.values(), ids=FUNCTIONAL.keys())
def test_functional_forms_build_in_input_dtype(case, in_dtype):
    fn, build = case
    x = jnp.asarray(_field(in_dtype, 2))
    y = fn(x)
    assert y.dtype == in_dtype
    np.testing.assert_array_equal(np.asarray(y), np.asarray(build(in_dtype)(x)))


@pytest.mark.parametrize("in_dtype", DTYPES)
def test_accessor_builds_in_input_dtype(in_dtype):
    da = xr.DataArray(_field(in_dtype, 2), dims=("time", "lat", "lon"),
                      coords={"lat": G.lat, "lon": G.lon})
    for out, build in [(da.jaxgeo.cap_average(10.0), BUILDERS["cap"]),
                       (da.jaxgeo.gaussian_smooth(600.0), BUILDERS["gaussian"])]:
        assert out.dtype == in_dtype
        np.testing.assert_array_equal(out.values, np.asarray(build(in_dtype)(da.values)))


@pytest.mark.parametrize("op_dtype", DTYPES)
@pytest.mark.parametrize("in_dtype", DTYPES)
def test_sharded_applications_follow_the_rule(in_dtype, op_dtype):
    op = CapAverage(G, 10.0, dtype=op_dtype)
    x = _field(in_dtype, 5)
    ref = np.asarray(op(x))
    months = sharded_apply(op, x, make_mesh())
    assert months.dtype == in_dtype
    np.testing.assert_array_equal(to_host(months), ref)
    rtol = 1e-5 if jnp.float32 in (in_dtype, op_dtype) else 1e-13
    for y in (sharded_apply(op, x, make_mesh(lat=4)),
              band_sharded_apply(op, jnp.asarray(x), make_mesh(lat=8))):
        assert y.dtype == in_dtype
        np.testing.assert_allclose(to_host(y), ref, rtol=rtol, atol=rtol * np.abs(ref).max())
