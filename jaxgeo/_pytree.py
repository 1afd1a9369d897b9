"""Foundation: the one pytree idiom of jaxgeo (frozen dataclasses with declared fields).

Every operator, model and table is a frozen dataclass whose attributes are all declared
fields: array fields are pytree leaves, fields made with :func:`static_field` are hashable
metadata (part of the tree structure, so they survive ``jax.tree.map``, ``jit`` and
``replicate``). Rebuilding a node from its leaves bypasses ``__init__``, so a class may give
itself a convenient constructor (``CapAverage(grid, radius_deg)``) that computes its fields.
"""

from __future__ import annotations

import dataclasses

import jax

__all__ = ["pytree_dataclass", "static_field"]


def static_field(**kwargs):
    """A dataclass field that is pytree metadata (hashable, not traced)."""
    metadata = {**kwargs.pop("metadata", {}), "static": True}
    return dataclasses.field(metadata=metadata, **kwargs)


def _split(cls) -> tuple[tuple[str, ...], tuple[str, ...]]:
    data, meta = [], []
    for f in dataclasses.fields(cls):
        (meta if f.metadata.get("static", False) else data).append(f.name)
    return tuple(data), tuple(meta)


def pytree_dataclass(cls=None, *, init: bool = True):
    """Make ``cls`` a frozen dataclass registered as a JAX pytree.

    Fields are leaves unless declared with :func:`static_field`. ``init=False`` keeps a
    hand-written ``__init__`` (it must set every field with ``object.__setattr__``);
    unflattening never calls ``__init__``.
    """

    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True, init=init, eq=False)(cls)
        data, meta = _split(cls)

        def flatten_with_keys(obj):
            children = [(jax.tree_util.GetAttrKey(k), getattr(obj, k)) for k in data]
            return children, tuple(getattr(obj, k) for k in meta)

        def unflatten(aux, children):
            obj = object.__new__(cls)
            for k, v in zip(data, children, strict=True):
                object.__setattr__(obj, k, v)
            for k, v in zip(meta, aux, strict=True):
                object.__setattr__(obj, k, v)
            return obj

        cls.__jaxgeo_pytree__ = True  # lets the round-trip test find every public pytree
        jax.tree_util.register_pytree_with_keys(
            cls, flatten_with_keys, unflatten,
            flatten_func=lambda obj: ([getattr(obj, k) for k in data],
                                      tuple(getattr(obj, k) for k in meta)))
        return cls

    return wrap if cls is None else wrap(cls)
