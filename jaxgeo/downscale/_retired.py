"""Local stand-in for ``jaxgeo._deprecation.renamed`` until the foundation lands on main."""

from __future__ import annotations

import warnings

__all__ = ["renamed"]


def renamed(kwargs: dict, old: str, new: str, *, where: str, stacklevel: int = 3):
    """Pop retired keyword ``old`` from ``kwargs`` into ``new``, with a DeprecationWarning."""
    if old not in kwargs:
        return kwargs.get(new)
    value = kwargs.pop(old)
    warnings.warn(f"{where}: {old}= is deprecated, use {new}=", DeprecationWarning,
                  stacklevel=stacklevel)
    if new in kwargs:
        raise TypeError(f"{where}: got both {old}= (deprecated) and {new}=")
    kwargs[new] = value
    return value
