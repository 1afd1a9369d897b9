"""Every public pytree keeps all its public attributes through tree_map, jit and replicate.

The classes are found by the marker that :func:`jaxgeo._pytree.pytree_dataclass` sets, so a
new public pytree without a factory here fails the completeness test.
"""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support.public import public_names

from jaxgeo import Grid
from jaxgeo.distributed import make_mesh, replicate


def _cap():
    from jaxgeo.sphere import CapAverage

    g = Grid.regular(10.0)
    mask = np.zeros(g.shape, bool)
    mask[5:12] = True
    return CapAverage(g, 15.0, mask=mask, targets=Grid.regular(30.0))


def _gaussian():
    from jaxgeo.sphere import GaussianSmooth

    return GaussianSmooth(Grid.regular(10.0), 900.0)


def _synthesis():
    from jaxgeo.grace import SynthesisTable

    return SynthesisTable.create(Grid.regular(10.0), 8)


def _analysis():
    from jaxgeo.grace import AnalysisTable

    return AnalysisTable.create(Grid.regular(10.0), 8)


def _hzwd():
    from jaxgeo.troposphere import HZWD

    g = Grid.regular(30.0, lon_start=0.0)
    return HZWD(jnp.full(g.shape + (7, 5), 0.01), grid=g, family="poly")


def _gpt3():
    from jaxgeo.troposphere import GPT3

    g = Grid.regular(30.0, lon_start=0.0)
    five = jnp.ones(g.shape + (5,))
    return GPT3(p=five, T=five, Q=five, dT=five, undu=jnp.ones(g.shape), Hs=jnp.ones(g.shape),
                lam=five, Tm=five, grid=g)


def _loss_constants():
    from jaxgeo.downscale import loss_constants

    g = Grid.regular(10.0)
    mask = np.zeros(g.shape, bool)
    mask[5:12] = True
    return loss_constants(g, mask, 15.0)


FACTORIES = {
    "CapAverage": _cap,
    "GaussianSmooth": _gaussian,
    "BandTables": lambda: _cap().tables,
    "SynthesisTable": _synthesis,
    "AnalysisTable": _analysis,
    "HZWD": _hzwd,
    "GPT3": _gpt3,
    "LossConstants": _loss_constants,
}
ABSTRACT = {"IsotropicOperator"}


def _public_pytree_classes():
    return {name: obj for _, name, obj in public_names()
            if inspect.isclass(obj) and obj.__dict__.get("__jaxgeo_pytree__")}


def test_every_public_pytree_has_a_factory():
    missing = set(_public_pytree_classes()) - set(FACTORIES) - ABSTRACT
    assert not missing, f"add factories for {sorted(missing)}"


def _public_attributes(obj) -> dict:
    out = {}
    for name in dir(obj):
        if name.startswith("_"):
            continue
        value = getattr(obj, name)
        if inspect.ismethod(value) or inspect.isfunction(value):
            continue
        out[name] = value
    return out


def _same(a, b) -> bool:
    if isinstance(a, jax.Array | np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if getattr(type(a), "__jaxgeo_pytree__", False):
        return type(a) is type(b) and jax.tree.structure(a) == jax.tree.structure(b)
    return a == b


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_public_attributes_survive_tree_map_jit_and_replicate(name):
    obj = FACTORIES[name]()
    before = _public_attributes(obj)
    assert before, name
    copies = {
        "tree_map": jax.tree.map(lambda x: x, obj),
        "jit": jax.jit(lambda o: o)(obj),
        "replicate": replicate(obj, make_mesh()),
    }
    for how, copy in copies.items():
        assert type(copy) is type(obj)
        after = _public_attributes(copy)
        assert set(after) == set(before), (how, set(before) ^ set(after))
        for attr, value in before.items():
            assert _same(value, after[attr]), (how, attr)
