"""Foundation: the one dtype and precision policy of jaxgeo.

* An operator or model computes in *its own* dtype, fixed when it is built
  (:func:`resolve_dtype`: ``None`` is JAX's default float, float64 under
  ``jax_enable_x64``); a call returns the input's floating dtype
  (:func:`input_float_dtype`; integer input gives the object's dtype).
* Functional forms build their operator in the input's floating dtype.
* Matrix products where accuracy matters pass ``precision=PRECISION`` (``HIGHEST``: no
  TF32/bf16 passes on GPUs and TPUs).
* Strict dtype promotion is relaxed only inside optax updates (:func:`standard_promotion`).
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp

__all__ = ["PRECISION", "input_float_dtype", "resolve_dtype", "standard_promotion"]

PRECISION = jax.lax.Precision.HIGHEST
"""Matmul precision wherever accuracy matters (full float32/float64 passes)."""


def resolve_dtype(dtype=None):
    """The compute dtype of an object built with ``dtype``: float32 or float64 only.

    Raises:
        ValueError: another dtype, or float64 without ``jax_enable_x64``.
    """
    if dtype is None:
        return jnp.zeros((), dtype=float).dtype  # float64 iff jax_enable_x64
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.float32, jnp.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    if dtype == jnp.float64 and not jax.config.jax_enable_x64:
        raise ValueError("dtype=float64 needs jax.config.update('jax_enable_x64', True)")
    return dtype


def input_float_dtype(x, default=None):
    """The floating dtype a call on ``x`` returns: ``x``'s if floating, else ``default``
    (resolved with :func:`resolve_dtype`)."""
    dt = getattr(x, "dtype", None)
    if dt is not None and jnp.issubdtype(dt, jnp.floating):
        dt = jnp.dtype(dt)
        if dt == jnp.float64 and not jax.config.jax_enable_x64:
            return resolve_dtype(None)
        return dt if dt in (jnp.float32, jnp.float64) else resolve_dtype(default)
    return resolve_dtype(default)


@contextlib.contextmanager
def standard_promotion():
    """Standard dtype promotion inside the block (optax mixes weak Python floats and
    arrays in ways ``jax_numpy_dtype_promotion="strict"`` refuses)."""
    with jax.numpy_dtype_promotion("standard"):
        yield
