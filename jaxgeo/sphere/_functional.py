"""Functional forms: ``cap_average(field, grid, radius_deg)``, ``gaussian_smooth(...)``.

Each builds its operator in the input's floating dtype (the one dtype rule of
``docs/architecture.md``) and applies it once. Operators without a mask are cached per
(grid, kernel, dtype); build a :class:`~jaxgeo.sphere.CapAverage` once to reuse it inside
``jit``.
"""

from __future__ import annotations

import functools

from .._dtype import input_float_dtype
from .._grid import Grid
from ._operator import CapAverage, GaussianSmooth, check_radius

__all__ = ["cap_average", "gaussian_smooth"]


@functools.lru_cache(maxsize=16)
def _cached_cap(grid: Grid, radius_deg: float, dtype) -> CapAverage:
    return CapAverage(grid, radius_deg, dtype=dtype)


@functools.lru_cache(maxsize=16)
def _cached_gauss(grid: Grid, half_width_km: float, dtype) -> GaussianSmooth:
    return GaussianSmooth(grid, half_width_km, dtype=dtype)


def cap_average(field, grid: Grid, radius_deg: float, *, mask=None):
    """Area-weighted mean of ``field`` over a cap of ``radius_deg`` around every cell.

    Functional form of :class:`CapAverage` (see it for the definition and NaN rules). The
    operator is built from ``grid``, ``radius_deg`` and ``mask`` in ``field``'s floating
    dtype on each call (cached when there is no mask).

    Args:
        field: ``(..., nlat, nlon)`` array.
        grid: the field's :class:`~jaxgeo.Grid`.
        radius_deg: cap angular radius in degrees.
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights.

    Returns:
        ``(..., nlat, nlon)`` cap means in ``field``'s floating dtype.
    """
    dtype = input_float_dtype(field)
    op = (_cached_cap(grid, check_radius(radius_deg), dtype) if mask is None
          else CapAverage(grid, radius_deg, mask=mask, dtype=dtype))
    return op(field)


def gaussian_smooth(field, grid: Grid, half_width_km: float, *, mask=None):
    """Gaussian (Jekeli/Wahr) smoothing of ``field`` with half-width ``half_width_km``.

    Functional form of :class:`GaussianSmooth`; built per call in ``field``'s floating dtype
    (cached without a mask).

    Args:
        field: ``(..., nlat, nlon)`` array.
        grid: the field's :class:`~jaxgeo.Grid`.
        half_width_km: distance at which the kernel halves, km.
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights.

    Returns:
        ``(..., nlat, nlon)`` smoothed field in ``field``'s floating dtype.
    """
    dtype = input_float_dtype(field)
    op = (_cached_gauss(grid, float(half_width_km), dtype) if mask is None
          else GaussianSmooth(grid, half_width_km, mask=mask, dtype=dtype))
    return op(field)
