"""Spherical averaging operators on regular lat-lon grids: exact caps, Gaussian kernels."""

from ._legendre import cap_legendre_weights, gaussian_b, gaussian_legendre_weights

__all__ = [
    "cap_legendre_weights",
    "gaussian_b",
    "gaussian_legendre_weights",
]
