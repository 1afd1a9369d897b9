"""Operators and their band tables are pytrees whose every public attribute survives
``jax.tree.map``, ``jit`` (as an argument and as a result) and ``replicate``."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.distributed import make_mesh, replicate
from jaxgeo.sphere import BandTables, CapAverage, GaussianSmooth

G = Grid.regular(6.0)
MASK = np.random.default_rng(0).random(G.shape) > 0.4

OPERATORS = {
    "cap": lambda: CapAverage(G, 9.0, dtype=jnp.float32),
    "cap-mask-targets": lambda: CapAverage(G, 9.0, mask=MASK, targets=Grid.regular(12.0)),
    "gaussian": lambda: GaussianSmooth(G, 500.0, truncation=1e-8),
    "gaussian-mask": lambda: GaussianSmooth(G, 500.0, mask=MASK, dtype=jnp.float32),
}
PUBLIC = ("grid", "targets", "dtype", "masked", "in_shape", "out_shape", "nband",
          "description")
KERNEL = {CapAverage: ("radius_deg",), GaussianSmooth: ("half_width_km", "truncation")}


def _assert_same(op, new):
    assert type(new) is type(op)
    for name in PUBLIC + KERNEL[type(op)]:
        assert getattr(new, name) == getattr(op, name), name
    assert repr(new) == repr(op)
    for f in dataclasses.fields(BandTables):
        a, b = getattr(op.tables, f.name), getattr(new.tables, f.name)
        if f.metadata.get("static"):
            assert a == b, f.name
        elif a is None:
            assert b is None, f.name
        else:
            np.testing.assert_array_equal(np.asarray(b), np.asarray(a), err_msg=f.name)


@pytest.mark.parametrize("make", OPERATORS.values(), ids=OPERATORS.keys())
def test_attributes_survive_tree_map_jit_and_replicate(make):
    op = make()
    assert isinstance(op.tables, BandTables)
    _assert_same(op, jax.tree.map(lambda x: x, op))
    _assert_same(op, jax.jit(lambda o: o)(op))
    _assert_same(op, replicate(op, make_mesh()))
    x = jnp.asarray(np.random.default_rng(1).normal(size=G.shape))
    scale = KERNEL[type(op)][0]
    got = jax.jit(lambda o, f: o(f) * getattr(o, scale))(op, x)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(op(x) * getattr(op, scale)))


def test_operators_are_immutable():
    op = CapAverage(G, 9.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.radius_deg = 3.0
    with pytest.raises(TypeError, match="no fields"):
        op.replace(radius=3.0)
