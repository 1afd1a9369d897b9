"""Explicit and auto mesh axes: every public sphere operator and jaxgeo.distributed function.

``jax.make_mesh`` creates *explicit* axes by default in current JAX; a month-sharded field
must go through the operators (and their gradients) exactly as with auto axes. Oracle: the
operator on one device, unsharded.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

from jaxgeo import Grid
from jaxgeo.distributed import (
    band_sharded_apply,
    replicate,
    shard_months,
    sharded_apply,
    to_host,
)
from jaxgeo.sphere import CapAverage, GaussianSmooth, cap_average, gaussian_smooth

KINDS = {"explicit": AxisType.Explicit, "auto": AxisType.Auto}
G = Grid.regular(5.0)
MASK = np.random.default_rng(3).random(G.shape) > 0.4


def _mesh(kind, months=8, lat=1):
    return jax.make_mesh((months, lat), ("months", "lat"), (KINDS[kind],) * 2)


def _ops():
    return [CapAverage(G, 12.0), CapAverage(G, 12.0, mask=MASK),
            GaussianSmooth(G, 900.0), CapAverage(G, 10.0, targets=Grid.regular(10.0))]


def _field(n=8):
    return np.random.default_rng(0).normal(size=(n,) + G.shape)


def test_default_make_mesh_is_explicit():
    # the situation of the report: jax.make_mesh's default axes
    assert jax.make_mesh((8,), ("months",)).axis_types == (AxisType.Explicit,)


@pytest.mark.parametrize("kind", KINDS)
def test_operators_on_month_sharded_fields(kind):
    mesh = _mesh(kind)
    x = _field()
    xs = jax.device_put(x, NamedSharding(mesh, P("months")))
    for op in _ops():
        want = np.asarray(op(x))
        y = op(xs)
        np.testing.assert_allclose(np.asarray(y), want, rtol=1e-12, atol=1e-12, err_msg=repr(op))
        with jax.set_mesh(mesh):
            gy = jax.jit(jax.grad(lambda f, op=op: jnp.nansum(op(f) ** 2)))(xs)
            ty = jax.jvp(op, (xs,), (xs,))[1]
        gref = jax.grad(lambda f, op=op: jnp.nansum(op(f) ** 2))(jnp.asarray(x))
        np.testing.assert_allclose(np.asarray(gy), np.asarray(gref), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.asarray(ty), want, rtol=1e-12, atol=1e-12)
    # functional forms and a replicated operator
    np.testing.assert_allclose(np.asarray(cap_average(xs, G, 12.0)),
                               np.asarray(cap_average(x, G, 12.0)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(gaussian_smooth(xs, G, 900.0, mask=MASK)),
                               np.asarray(gaussian_smooth(x, G, 900.0, mask=MASK)),
                               rtol=1e-12, atol=1e-12)
    rop = replicate(CapAverage(G, 12.0), mesh)
    np.testing.assert_allclose(np.asarray(rop(xs)), np.asarray(CapAverage(G, 12.0)(x)),
                               rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_distributed_functions(kind):
    x = _field(13)
    mesh = _mesh(kind)
    shards = shard_months(x, mesh)
    np.testing.assert_array_equal(to_host(shards.unpad(shards.array)), x)
    for op in _ops():
        np.testing.assert_allclose(to_host(sharded_apply(op, x, mesh)), np.asarray(op(x)),
                                   rtol=1e-12, atol=1e-12, err_msg=repr(op))
    y = sharded_apply(lambda f: f * 2.0, x, mesh)
    np.testing.assert_allclose(to_host(y), 2 * x)
    # latitude bands, and a 2-D mesh
    for months, lat in ((1, 8), (2, 4)):
        mesh2 = _mesh(kind, months, lat)
        for op in _ops()[:3]:
            ref = np.asarray(op(x))
            np.testing.assert_allclose(to_host(band_sharded_apply(op, x, mesh2)), ref,
                                       rtol=1e-12, atol=1e-12, err_msg=repr(op))
            np.testing.assert_allclose(to_host(sharded_apply(op, x, mesh2)), ref,
                                       rtol=1e-12, atol=1e-12, err_msg=repr(op))


@pytest.mark.parametrize("kind", KINDS)
def test_stream_apply_on_either_mesh(kind, tmp_path):
    import xarray as xr

    from jaxgeo.distributed import stream_apply

    x = _field(11)
    da = xr.DataArray(x, dims=("time", "lat", "lon"), coords={"lat": G.lat, "lon": G.lon},
                      name="tws")
    op = CapAverage(G, 12.0, mask=MASK)
    out = stream_apply(op, da, tmp_path / "out.nc", batch_months=8, mesh=_mesh(kind),
                       quiet=True)
    with xr.open_dataset(out) as res:
        np.testing.assert_allclose(res.tws.values, np.asarray(op(x)), rtol=1e-12, atol=1e-12)
