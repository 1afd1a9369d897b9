"""jaxgeo: differentiable geodesy in JAX.

The foundation every pillar shares: :class:`Grid` and the one xarray adapter
(:func:`on_grid`, :func:`check_mask`, :func:`grid_of`, :func:`to_grid_order`,
:func:`to_dataarray`), conservative regridding onto a grid (:func:`regrid`), and the
modules :mod:`jaxgeo.constants`, :mod:`jaxgeo.time`, :mod:`jaxgeo.seasonal` and
:mod:`jaxgeo.regions`. The pillars are subpackages:
``jaxgeo.sphere`` (spherical-cap and Gaussian averaging operators), ``jaxgeo.grace``
(GRACE Level-2 and mascon inputs), ``jaxgeo.downscale`` (self-supervised GRACE
downscaling), ``jaxgeo.troposphere`` (zenith wet delay) and ``jaxgeo.distributed``
(scaling out). See docs/architecture.md and docs/glossary.md.

Importing jaxgeo loads numpy only; everything else is imported on first use.
"""

from __future__ import annotations

import importlib

from ._grid import Grid
from .constants import EARTH_RADIUS_M

__all__ = [
    "EARTH_RADIUS_M",
    "Grid",
    "check_mask",
    "constants",
    "grid_of",
    "on_grid",
    "regions",
    "regrid",
    "seasonal",
    "time",
    "to_dataarray",
    "to_grid_order",
    "units",
]
__version__ = "0.1.0"

_LAZY = {"check_mask": "._xarray", "grid_of": "._xarray", "on_grid": "._xarray",
         "to_dataarray": "._xarray", "to_grid_order": "._xarray", "regrid": "._regrid"}
_SUBMODULES = {"constants", "time", "seasonal", "regions", "units", "sphere", "grace", "downscale",
               "troposphere", "distributed", "demos", "validation", "cli"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'jaxgeo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
