"""TEMPORARY stand-ins for foundation helpers not yet on main (deleted after the merge)."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

PRECISION = jax.lax.Precision.HIGHEST


def resolve_dtype(dtype=None):
    return jnp.dtype(jnp.result_type(float) if dtype is None else dtype)


def input_float_dtype(x):
    dt = jnp.asarray(x).dtype
    return dt if jnp.issubdtype(dt, jnp.floating) else None


def renamed(kwargs: dict, old: str, new: str, *, where: str):
    if old not in kwargs:
        return None
    warnings.warn(f"{where}: {old}= is deprecated, use {new}=", DeprecationWarning,
                  stacklevel=3)
    return kwargs.pop(old)


RHO_EARTH_KG_M3 = 5517.0
RHO_WATER_KG_M3 = 1000.0
GRACE_RADIUS_M = 6378136.3
