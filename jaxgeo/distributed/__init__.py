"""Scaling out on JAX's own SPMD engine: meshes, month and latitude-band sharding, streaming.

* :func:`make_mesh`, :func:`shard_months`, :func:`sharded_apply`, :func:`band_sharded_apply`:
  operators over the devices of a :class:`jax.sharding.Mesh` (``jax.shard_map``), equal to
  the single-device result.
* :func:`stream_apply`: larger-than-memory stacks, read lazily (xarray + dask) batch by batch
  with prefetch (:class:`BatchLoader`) and written incrementally to Zarr or NetCDF.
* :func:`initialize_from_env`: the multi-host entry point (``jax.distributed.initialize``).
* :func:`replicate`: pytrees (network state, operators) replicated over a mesh.
* Meshes with Explicit axes (``jax.make_mesh``'s default) and with Auto axes both work: the
  operators run on the Auto view of the same devices, differentiably.
* Elsewhere, a ``mesh=`` argument: data-parallel downscaling
  (:func:`jaxgeo.downscale.fit`, :meth:`~jaxgeo.downscale.Downscaler.predict`) and the HZWD
  fit with its nodes split over the devices (:func:`jaxgeo.troposphere.fit_hzwd`).
"""

from .._sharding import LAT, MONTHS, MonthShards, make_mesh, replicate, shard_months, to_host
from ._apply import BandPlan, band_plan, band_sharded_apply, month_parallel, sharded_apply
from ._multihost import ProcessInfo, initialize_from_env
from ._stream import BatchLoader, stream_apply

__all__ = [
    "BandPlan",
    "BatchLoader",
    "LAT",
    "MONTHS",
    "MonthShards",
    "ProcessInfo",
    "band_plan",
    "band_sharded_apply",
    "initialize_from_env",
    "make_mesh",
    "month_parallel",
    "replicate",
    "shard_months",
    "sharded_apply",
    "stream_apply",
    "to_host",
]
