"""Foundation: retired spellings keep working for one release, with a warning."""

from __future__ import annotations

import warnings

__all__ = ["renamed"]

_MISSING = object()


def renamed(kwargs: dict, old: str, new: str, *, where: str, current=_MISSING):
    """Pop the retired keyword ``old`` from ``kwargs`` with a DeprecationWarning.

    Args:
        kwargs: the caller's ``**kwargs`` (modified: ``old`` is removed).
        old, new: retired and current keyword names.
        where: the function, for the message (``"jaxgeo.grace.ewh_grid"``).
        current: the value passed under ``new``, if the caller has one, to refuse both.

    Returns:
        The value given under ``old``, or ``current`` (None if not given) when absent.

    Raises:
        TypeError: both ``old`` and ``new`` were given.
    """
    if old not in kwargs:
        return None if current is _MISSING else current
    value = kwargs.pop(old)
    if current is not _MISSING and current is not None:
        raise TypeError(f"{where}: pass {new}= only ({old}= is its retired name)")
    warnings.warn(f"{where}: {old}= is deprecated and will be removed in the next release; "
                  f"use {new}=", DeprecationWarning, stacklevel=3)
    return value


def reject_unknown(kwargs: dict, *, where: str) -> None:
    """Raise TypeError for keywords left in ``kwargs`` after the retired ones were taken."""
    if kwargs:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {sorted(kwargs)}")
