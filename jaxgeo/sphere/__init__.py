"""Spherical averaging operators on regular lat-lon grids: exact caps, Gaussian kernels.

Importing this package registers the ``.jaxgeo`` xarray DataArray accessor.
"""

from . import _accessor  # noqa: F401  (registers the xarray accessor)
from ._legendre import cap_legendre_weights, gaussian_b, gaussian_legendre_weights
from ._operator import CapAverage, GaussianSmooth, IsotropicOperator, cap_average, gaussian_smooth

__all__ = [
    "CapAverage",
    "GaussianSmooth",
    "IsotropicOperator",
    "cap_average",
    "cap_legendre_weights",
    "gaussian_b",
    "gaussian_legendre_weights",
    "gaussian_smooth",
]
