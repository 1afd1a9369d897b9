"""jaxgeo: differentiable geodesy in JAX.

Public surface: :class:`Grid` (shared by every pillar) and the pillars as subpackages,
``jaxgeo.sphere`` (spherical-cap and Gaussian averaging operators), ``jaxgeo.troposphere``
(zenith wet delay) and ``jaxgeo.downscale`` (self-supervised GRACE downscaling).
"""

from ._grid import EARTH_RADIUS_M, Grid, to_grid_order

__all__ = ["EARTH_RADIUS_M", "Grid", "to_grid_order"]
__version__ = "0.1.0"
