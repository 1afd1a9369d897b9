"""Spherical averaging operators on regular lat-lon grids: exact caps, Gaussian kernels.

* :class:`CapAverage`, :class:`GaussianSmooth` (operators, JAX pytrees) and their
  functional forms :func:`cap_average`, :func:`gaussian_smooth`.
* The band-kernel seam: :class:`BandTables` (an operator's ``tables``) and
  :func:`band_apply`, the sum over the band of kernel spectra × row spectra; used by
  :mod:`jaxgeo.distributed` to run the same kernel on shard-local tables.
* Legendre weights of the kernels: :func:`cap_legendre_weights`,
  :func:`gaussian_legendre_weights`, :func:`gaussian_b`.

Importing this package registers the ``.jaxgeo`` xarray DataArray accessor.
"""

from . import _accessor  # noqa: F401  (registers the xarray accessor)
from ._functional import cap_average, gaussian_smooth
from ._kernel import band_apply
from ._legendre import cap_legendre_weights, gaussian_b, gaussian_legendre_weights
from ._operator import CapAverage, GaussianSmooth, IsotropicOperator
from ._tables import BandTables

__all__ = [
    "BandTables",
    "CapAverage",
    "GaussianSmooth",
    "IsotropicOperator",
    "band_apply",
    "cap_average",
    "cap_legendre_weights",
    "gaussian_b",
    "gaussian_legendre_weights",
    "gaussian_smooth",
]
