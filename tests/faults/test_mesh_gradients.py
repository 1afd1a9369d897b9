"""Gradients through the sharded cap and Gaussian operators on Explicit and Auto mesh axes.

``jax.make_mesh`` makes Explicit axes by default in current JAX; ``jaxgeo.distributed``
pads months and latitude rows, which Explicit axes cannot hold, so the gradient of a loss of
``sharded_apply`` / ``band_sharded_apply`` failed there (``with_sharding_constraint can only
refer to Auto axes``, then ``slicing on sharded dims ... not divisible``). Oracle: the
gradient of the same loss of the unsharded operator on one device, float64.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P
from jax.test_util import check_grads

from jaxgeo import Grid
from jaxgeo.distributed import band_sharded_apply, shard_months, sharded_apply
from jaxgeo.sphere import CapAverage, GaussianSmooth

KINDS = {"explicit": AxisType.Explicit, "auto": AxisType.Auto}
G = Grid.regular(10.0)
MASK = np.random.default_rng(3).random(G.shape) > 0.3
RTOL, ATOL = 1e-10, 1e-12  # float64; the sharded arithmetic is the one-device arithmetic

OPS = {"cap": CapAverage(G, 20.0), "cap_mask": CapAverage(G, 20.0, mask=MASK),
       "gauss": GaussianSmooth(G, 1000.0), "gauss_mask": GaussianSmooth(G, 1000.0, mask=MASK),
       "cap_targets": CapAverage(G, 20.0, targets=Grid.regular(20.0))}


def _mesh(kind, months=8, lat=1):
    return jax.make_mesh((months, lat), ("months", "lat"), (KINDS[kind],) * 2)


def _field(n):
    return jnp.asarray(np.random.default_rng(0).normal(size=(n,) + G.shape))


def _loss(apply, op, n):
    # a weighted sum, NaN outputs (caps without mask weight) left out
    w = jnp.asarray(np.random.default_rng(1).normal(size=(n,) + tuple(op.out_shape)))

    def loss(f):
        y = apply(f)
        return jnp.sum(jnp.where(jnp.isnan(y), 0.0, y) * w)

    return loss


def _check(got, want, what):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL,
                               err_msg=what)


# meshes × functions: month sharding (8 months even, 5 uneven) and latitude bands
LAYOUTS = [((8, 1), "months", 8), ((8, 1), "months", 5), ((1, 8), "bands", 5),
           ((2, 4), "bands", 5), ((2, 4), "months", 3)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda v: f"{v[0][0]}x{v[0][1]}-{v[1]}-{v[2]}")
def test_gradient_equals_unsharded(kind, layout):
    shape, how, n = layout
    mesh = _mesh(kind, *shape)
    x = _field(n)
    for name in ("cap_mask", "gauss_mask", "cap_targets"):  # unmasked ones: below
        op = OPS[name]
        if name == "cap_targets" and shape[1] > 1:
            continue  # latitude bands: operators without targets (a clear error, below)
        fn = sharded_apply if how == "months" else band_sharded_apply
        want = jax.grad(_loss(op, op, n))(x)
        loss = _loss(lambda f, op=op, fn=fn: fn(op, f, mesh), op, n)
        _check(jax.grad(loss)(x), want, f"{name} grad")
        _check(jax.jit(jax.grad(loss))(x), want, f"{name} jit(grad)")


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_of_a_field_laid_out_on_the_mesh(kind):
    # the input itself split over the (Explicit) month axis, eagerly and under the
    # jax.set_mesh that jit needs with Explicit axes
    mesh = _mesh(kind)
    x = _field(8)
    xs = jax.device_put(x, NamedSharding(mesh, P("months")))
    for name, op in OPS.items():
        want = jax.grad(_loss(op, op, 8))(x)
        loss = _loss(lambda f, op=op: sharded_apply(op, f, mesh), op, 8)
        _check(jax.grad(loss)(xs), want, f"{name} grad")
        with jax.set_mesh(mesh):
            g = jax.jit(jax.grad(loss))(xs)
            y = jax.jit(lambda f, op=op: sharded_apply(op, f, mesh))(xs)
        _check(g, want, f"{name} jit(grad) under set_mesh")
        _check(y, op(x), f"{name} value under set_mesh")
        if name != "cap_targets":
            mesh2 = _mesh(kind, 2, 4)
            loss2 = _loss(lambda f, op=op, m=mesh2: band_sharded_apply(op, f, m), op, 8)
            x2 = jax.device_put(x, NamedSharding(mesh2, P("months")))  # 18 rows: not on 4
            _check(jax.grad(loss2)(x2), want, f"{name} band grad")
            with jax.set_mesh(mesh2):
                _check(jax.jit(jax.grad(loss2))(x2), want, f"{name} band jit(grad)")


@pytest.mark.parametrize("kind", KINDS)
def test_shard_months_of_a_traced_field(kind):
    # shard_months + unpad of a jax array (uneven: 5 months on 8 devices) is differentiable
    mesh = _mesh(kind)
    x = _field(5)

    def loss(f):
        s = shard_months(f, mesh)
        return jnp.sum(s.unpad(s.array) ** 2)

    _check(jax.grad(loss)(x), 2 * x, "grad")
    _check(jax.jit(jax.grad(loss))(x), 2 * x, "jit(grad)")
    s = shard_months(x, mesh)
    _check(s.unpad(s.array), x, "value")


@pytest.mark.parametrize("kind", KINDS)
def test_check_grads_against_finite_differences(kind):
    # an oracle independent of JAX's autodiff: central differences in float64
    x = _field(3)
    for shape, fn in (((8, 1), sharded_apply), ((2, 4), band_sharded_apply)):
        mesh = _mesh(kind, *shape)
        for op in (OPS["cap_mask"], OPS["gauss"]):
            check_grads(_loss(lambda f, op=op, fn=fn, m=mesh: fn(op, f, m), op, 3), (x,), order=1,
                        modes=("fwd", "rev"), eps=1e-6, atol=1e-6, rtol=1e-6)


def test_band_sharding_of_an_operator_with_targets_is_a_clear_error():
    mesh = _mesh("explicit", 2, 4)
    with pytest.raises(ValueError, match="without targets"):
        jax.grad(_loss(lambda f: sharded_apply(OPS["cap_targets"], f, mesh),
                       OPS["cap_targets"], 3))(_field(3))


@pytest.mark.parametrize("kind", KINDS)
def test_eager_calls_inside_set_mesh(kind):
    # the user's jax.set_mesh around plain calls (5 months: uneven over 8 and over 2)
    x = _field(5)
    op = OPS["cap_mask"]
    want = np.asarray(op(x))
    m1, m2 = _mesh(kind), _mesh(kind, 2, 4)
    with jax.set_mesh(m1):
        _check(sharded_apply(op, np.asarray(x), m1), want, "sharded_apply numpy")
        _check(sharded_apply(op, x, mesh=m1), want, "sharded_apply jax")
        s = shard_months(x, m1)
        _check(s.unpad(s.array), x, "shard_months")
    with jax.set_mesh(m2):
        _check(band_sharded_apply(op, x, m2), want, "band_sharded_apply")
