"""Larger-than-memory stacks: read lazily batch by batch, apply on devices, write incrementally.

The input is a lazily opened (dask-backed) DataArray; a background thread loads the next
``prefetch`` batches while the devices work on the current one, and each result batch is
written to its own slice of the output (a Zarr region, or the next records of a NetCDF
unlimited time dimension). At no point is the whole input or output held in memory: the
resident set is a few batches plus the operator's tables.
"""

from __future__ import annotations

import queue
import threading
import warnings
from pathlib import Path

import jax
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from .._deprecation import reject_unknown, renamed
from .._io import atomic_dir, atomic_path, check_replaceable
from .._sharding import MONTHS, axis_size, make_mesh, shard_months, to_host
from .._xarray import coord_names, to_grid_order
from ..sphere import IsotropicOperator
from ._apply import _call, _check_nan_host, month_parallel

__all__ = ["BatchLoader", "stream_apply"]


def _is_zarr(path: Path) -> bool:
    return path.suffix == ".zarr"


class BatchLoader:
    """Loads batches ``[a, b)`` in a background thread, at most ``prefetch`` ahead.

    Iterating yields ``(a, b, read(a, b))`` in the order of ``bounds``; an exception in the
    reader is raised in the consumer. :meth:`close` stops the thread. This is the prefetch
    of :func:`stream_apply`, usable for any batch-by-batch consumer.

    Args:
        read: ``read(a, b)`` returns the batch of months ``[a, b)``.
        bounds: the ``(a, b)`` batches, in order.
        prefetch: batches loaded ahead of the consumer (at least 1).
    """

    _DONE = object()

    def __init__(self, read, bounds, prefetch: int):
        self._q: queue.Queue = queue.Queue(maxsize=max(1, prefetch))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(read, bounds),
                                        daemon=True, name="jaxgeo-stream-loader")
        self._thread.start()

    def _run(self, read, bounds):
        try:
            for a, b in bounds:
                if self._stop.is_set():
                    return
                self._put((a, b, read(a, b)))
        except BaseException as exc:  # surfaced in the consumer thread
            self._put(exc)
        self._put(self._DONE)

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self):
        while True:
            item = self._q.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self):
        self._stop.set()
        self._thread.join(timeout=10)


def _out_coords(source, lat_name, lon_name, time_dim, out_shape, op):
    """(time values, lat, lon, attrs of each) of the output."""
    lat_attrs = dict(source[lat_name].attrs) if lat_name in source.coords else {}
    lon_attrs = dict(source[lon_name].attrs) if lon_name in source.coords else {}
    if tuple(out_shape) == tuple(source.shape[-2:]):
        lat, lon = np.asarray(source[lat_name].values), np.asarray(source[lon_name].values)
    elif isinstance(op, IsotropicOperator) and op.targets is not None:
        lat, lon = op.targets.lat, op.targets.lon
    else:
        lat, lon = np.arange(out_shape[0]), np.arange(out_shape[1])
        lat_attrs, lon_attrs = {}, {}
    return lat, lon, lat_attrs, lon_attrs


class _ZarrWriter:
    def __init__(self, tmp: Path, name, source, time_dim, lat_name, lon_name, lat, lon, attrs,
                 out_shape, dtype, batch):
        import dask.array as dsa
        import xarray as xr

        nt = source.sizes[time_dim]
        coords = {lat_name: xr.Variable(lat_name, lat, attrs[0]),
                  lon_name: xr.Variable(lon_name, lon, attrs[1])}
        if time_dim in source.coords:
            coords[time_dim] = source[time_dim].variable.to_base_variable().load()
        # a lazy template: metadata and coordinates are written now, data batch by batch
        template = dsa.zeros((nt,) + tuple(out_shape), dtype=dtype,
                             chunks=(batch,) + tuple(out_shape))
        ds = xr.Dataset({name: ((time_dim, lat_name, lon_name), template, attrs[2])},
                        coords=coords)
        with warnings.catch_warnings():
            # zarr 3 notes that consolidated metadata is not in its spec; xarray reads it
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            ds.to_zarr(tmp, mode="w", compute=False)
        self._tmp, self._name, self._dims = tmp, name, (time_dim, lat_name, lon_name)

    def write(self, a, b, y):
        import xarray as xr

        ds = xr.Dataset({self._name: (self._dims, y)})
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            ds.to_zarr(self._tmp, region={self._dims[0]: slice(a, b)})

    def close(self):
        pass


class _NetCDFWriter:
    def __init__(self, tmp: Path, name, source, time_dim, lat_name, lon_name, lat, lon, attrs,
                 out_shape, dtype, batch):
        import netCDF4
        import xarray as xr

        # HDF5 is not thread-safe: the prefetch thread reads the input through xarray while
        # this thread writes, so every netCDF4 call takes xarray's own HDF5/netCDF-C locks.
        self._lock = _hdf5_lock()
        with self._lock:
            nc = netCDF4.Dataset(tmp, "w", format="NETCDF4")
            nc.createDimension(time_dim, None)  # unlimited: records are appended batch by batch
            nc.createDimension(lat_name, out_shape[0])
            nc.createDimension(lon_name, out_shape[1])
            for cname, values, cattrs in ((lat_name, lat, attrs[0]), (lon_name, lon, attrs[1])):
                values = _native(values)
                v = nc.createVariable(cname, values.dtype, (cname,))
                v.setncatts({k: val for k, val in cattrs.items() if not k.startswith("_")})
                v[:] = values
            self._time = None
            if time_dim in source.coords:
                enc = xr.conventions.encode_cf_variable(source[time_dim].variable)
                self._time_values = _native(enc.values)
                self._time = nc.createVariable(time_dim, self._time_values.dtype, (time_dim,))
                self._time.setncatts({k: v for k, v in enc.attrs.items() if not k.startswith("_")})
            fill = np.array(np.nan, dtype) if np.issubdtype(dtype, np.floating) else None
            self._var = nc.createVariable(name, dtype, (time_dim, lat_name, lon_name),
                                          fill_value=fill,
                                          chunksizes=(1,) + tuple(int(n) for n in out_shape))
            self._var.setncatts({k: v for k, v in attrs[2].items() if not k.startswith("_")})
            self._nc = nc

    def write(self, a, b, y):
        with self._lock:
            if self._time is not None:
                self._time[a:b] = self._time_values[a:b]
            self._var[a:b] = y
            self._nc.sync()

    def close(self):
        with self._lock:
            self._nc.close()


def _hdf5_lock():
    """The lock xarray's netCDF4 backend holds around HDF5 calls (same order, no deadlock)."""
    from xarray.backends.locks import HDF5_LOCK, NETCDFC_LOCK, combine_locks

    return combine_locks([NETCDFC_LOCK, HDF5_LOCK])


def stream_apply(fn_or_op, source, out_path, *, batch_months: int, prefetch: int = 2,
                 mesh=None, name: str | None = None, attrs: dict | None = None,
                 time_dim: str = "time", dtype=None, quiet: bool = False, **kwargs) -> Path:
    """Apply an operator to a lazily read stack, writing the result batch by batch.

    Batches of ``batch_months`` months are loaded by a background thread (``prefetch``
    batches ahead), padded to a whole number of months per device, applied data-parallel
    over ``mesh`` and written to ``out_path`` (``.zarr``: a Zarr store written by regions;
    anything else: NetCDF-4 appended along an unlimited time dimension). The output goes to
    a temporary sibling that is moved into place only when every batch is written. An
    existing ``.zarr`` output is replaced only if jaxgeo wrote it (anything else at
    ``out_path`` is refused with FileExistsError before any work).

    Args:
        fn_or_op: a jaxgeo operator, or a callable mapping ``(m, nlat, nlon)`` to
            ``(m, nlat', nlon')`` month by month.
        source: ``(time, lat, lon)`` :class:`xarray.DataArray`, ideally dask-backed
            (``xr.open_dataset(path, chunks={})`` or ``xr.open_zarr``); latitude may descend
            (it is put in ascending grid order, lazily).
        out_path: output path (``.zarr`` or NetCDF).
        batch_months: months per batch (rounded up to a multiple of the mesh's month axis).
        prefetch: batches loaded ahead of the devices.
        mesh: device mesh (default: :func:`make_mesh` over all devices).
        name, attrs: output variable name (default the source's, or ``"field"``) and attrs.
        time_dim: the month dimension of ``source``.
        dtype: dtype of the data sent to the devices and written (default ``source``'s).
        quiet: no tqdm progress bar (``progress=`` is its retired, inverted spelling).

    Returns:
        ``Path(out_path)``.
    """
    progress = renamed(kwargs, "progress", "quiet", where="jaxgeo.distributed.stream_apply")
    reject_unknown(kwargs, where="jaxgeo.distributed.stream_apply")
    if progress is not None:
        quiet = not progress
    if jax.process_count() > 1:
        raise NotImplementedError("stream_apply runs in a single controller process; "
                                  "use sharded_apply across hosts")
    if batch_months < 1:
        raise ValueError(f"batch_months must be positive, got {batch_months}")
    out_path = Path(out_path)
    check_replaceable(out_path, directory=_is_zarr(out_path))  # before the expensive work
    lat_name, lon_name = coord_names(source)
    if time_dim not in source.dims:
        raise ValueError(f"source has no {time_dim!r} dimension; dims are {source.dims}")
    if source.ndim != 3:
        raise ValueError(f"source must be (time, lat, lon); got dims {source.dims}")
    if isinstance(fn_or_op, IsotropicOperator):
        fn_or_op.grid.check_xarray(source)
    source = to_grid_order(source).transpose(time_dim, lat_name, lon_name)
    if np.issubdtype(source.dtype, np.complexfloating):
        raise ValueError(f"source {source.name or ''!s} is complex ({source.dtype}); "
                         "stream the real and imaginary parts separately")
    dtype = np.dtype(dtype or source.dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    mesh = make_mesh() if mesh is None else mesh
    k = axis_size(mesh, MONTHS)
    batch = -(-batch_months // k) * k
    nt = source.sizes[time_dim]
    if isinstance(fn_or_op, IsotropicOperator):
        apply = month_parallel(_call, mesh, 3, MONTHS, True)

        def run(x):
            return apply(fn_or_op, x)
    else:
        apply = month_parallel(fn_or_op, mesh, 3, MONTHS, False)
        run = apply
    spatial = tuple(source.shape[1:])
    # sharded as the batches will be (explicit mesh axes check it)
    in_sharding = NamedSharding(mesh, P(MONTHS, None, None))
    out_struct = jax.eval_shape(run, jax.ShapeDtypeStruct((batch,) + spatial, dtype,
                                                          sharding=in_sharding))
    out_shape = tuple(out_struct.shape[1:])
    out_dtype = np.dtype(out_struct.dtype)
    lat, lon, lat_attrs, lon_attrs = _out_coords(source, lat_name, lon_name, time_dim,
                                                 out_shape, fn_or_op)
    name = name or source.name or "field"
    var_attrs = dict(source.attrs if attrs is None else attrs)
    bounds = [(a, min(a + batch, nt)) for a in range(0, nt, batch)]

    def read(a, b):
        # .values of a slice: dask computes (or the backend reads) only these months
        return np.asarray(source.isel({time_dim: slice(a, b)}).values, dtype=dtype)

    writer_cls = _ZarrWriter if _is_zarr(out_path) else _NetCDFWriter
    atomic = atomic_dir if _is_zarr(out_path) else atomic_path

    from tqdm.auto import tqdm

    with atomic(out_path) as tmp:
        writer = writer_cls(tmp, name, source, time_dim, lat_name, lon_name, lat, lon,
                            (lat_attrs, lon_attrs, var_attrs), out_shape, out_dtype, batch)
        loader = BatchLoader(read, bounds, prefetch)
        bar = tqdm(total=nt, unit="month", desc=f"stream → {out_path.name}",
                   disable=quiet)
        pending = None
        try:
            for a, b, block in loader:
                if isinstance(fn_or_op, IsotropicOperator):
                    _check_nan_host(fn_or_op, block)
                y = run(shard_months(_pad_to(block, batch), mesh).array)  # async dispatch
                if pending is not None:  # write the previous batch while this one runs
                    _flush(writer, bar, *pending)
                pending = (a, b, y)
            if pending is not None:
                _flush(writer, bar, *pending)
        finally:
            loader.close()
            bar.close()
            writer.close()
    return out_path


def _native(values) -> np.ndarray:
    """``values`` in native byte order (Zarr stores may hand back big-endian coordinates)."""
    values = np.asarray(values)
    # a '<f8' from a store is not '=' to netCDF4 even on little-endian machines: rebuild it
    return values.astype(np.dtype(values.dtype.str.lstrip("<>=|")))


def _pad_to(block: np.ndarray, batch: int) -> np.ndarray:
    """Pad the last, short batch with zero months so every batch has one compiled shape."""
    if block.shape[0] == batch:
        return block
    out = np.zeros((batch,) + block.shape[1:], block.dtype)
    out[: block.shape[0]] = block
    return out


def _flush(writer, bar, a, b, y):
    writer.write(a, b, to_host(y)[: b - a])
    bar.update(b - a)
