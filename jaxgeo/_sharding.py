"""Foundation: device meshes, month sharding with padding, replication.

The data-parallel layout shared by every pillar; :mod:`jaxgeo.distributed` re-exports the
public names, the pillars import them from here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

MONTHS = "months"
LAT = "lat"


def make_mesh(months: int | None = None, lat: int = 1, *, devices=None) -> Mesh:
    """A 2-D device mesh with axes ``("months", "lat")`` over the available devices.

    Args:
        months: devices along the month (data-parallel) axis; default: all devices / ``lat``.
        lat: devices along the latitude-band axis (1: no band sharding).
        devices: the devices to use (default ``jax.devices()``: every process's devices,
            so the same call builds the global mesh on every host after
            :func:`initialize_from_env`).

    Returns:
        A :class:`jax.sharding.Mesh` whose axes are of type ``Auto`` (the compiler places
        everything that is not inside :func:`jax.shard_map`).
    """
    devices = list(jax.devices() if devices is None else devices)
    if lat < 1:
        raise ValueError(f"lat must be a positive number of devices, got {lat}")
    if months is None:
        if len(devices) % lat:
            raise ValueError(f"{len(devices)} devices cannot be split into lat={lat} bands")
        months = len(devices) // lat
    if months < 1 or months * lat > len(devices):
        raise ValueError(f"a mesh of months={months} × lat={lat} needs {months * lat} devices; "
                         f"{len(devices)} available")
    return jax.make_mesh((months, lat), (MONTHS, LAT), (AxisType.Auto, AxisType.Auto),
                         devices=devices[: months * lat])


def axis_size(mesh: Mesh, name: str | None) -> int:
    """Number of devices along mesh axis ``name`` (1 if ``name`` is None or absent)."""
    if name is None:
        return 1
    return int(dict(mesh.shape).get(name, 1))


def padded_put(x, padded_shape, sharding: NamedSharding):
    """Build a global jax.Array of ``padded_shape`` from ``x``, zeros beyond ``x.shape``.

    Each process reads only the slices its own devices hold, so ``x`` may be a lazy
    (dask, xarray, memory-mapped) array that is never loaded whole.
    """
    dtype = np.dtype(x.dtype)

    def fetch(index):
        box = [s.indices(n) for s, n in zip(index, padded_shape, strict=True)]
        block = np.zeros([stop - start for start, stop, _ in box], dtype)
        src = tuple(slice(start, min(stop, n)) for (start, stop, _), n in
                    zip(box, x.shape, strict=True))
        if all(s.stop > s.start for s in src):
            part = np.asarray(x[src])
            block[tuple(slice(0, s.stop - s.start) for s in src)] = part
        return block

    return jax.make_array_from_callback(tuple(padded_shape), sharding, fetch)


def put_padded_as(x, padded_shape, sharding: NamedSharding, dtype):
    """``x`` zero-padded to ``padded_shape``, in ``dtype``, laid out by ``sharding``.

    jax arrays (also tracers, so the call stays differentiable) are padded on device;
    anything else is read slice by slice into the shards.
    """
    if isinstance(x, jax.Array):
        pad = [(0, p - s) for p, s in zip(padded_shape, x.shape, strict=True)]
        if has_explicit_axes(sharding.mesh):
            # Explicit axes cannot split the unpadded counts: pad a whole copy on the mesh
            # and split it then (so that the gradient's slice is of a whole array too)
            whole = NamedSharding(sharding.mesh, P())
            xx = jnp.pad(jax.device_put(x.astype(dtype), whole), pad)
            return jax.device_put(xx, sharding), x.dtype
        xx = jnp.pad(x.astype(dtype), pad)
        return jax.lax.with_sharding_constraint(xx, sharding), x.dtype
    return padded_put(_AsType(x, dtype), padded_shape, sharding), np.dtype(x.dtype)


class _AsType:
    """A lazy view of ``x`` whose slices come out in ``dtype``."""

    def __init__(self, x, dtype):
        self._x, self.dtype, self.shape = x, np.dtype(dtype), tuple(x.shape)

    def __getitem__(self, idx):
        return np.asarray(self._x[idx]).astype(self.dtype, copy=False)


@dataclasses.dataclass(frozen=True)
class MonthShards:
    """A month stack padded to a whole number of months per device, sharded over the mesh.

    Attributes:
        array: the global ``(n_padded, ...)`` :class:`jax.Array`; padded months are zeros.
        n_months: the number of real months (the first ``n_months`` entries).
        mesh: the mesh the months are split over.
    """

    array: jax.Array
    n_months: int
    mesh: Mesh | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def n_padded(self) -> int:
        return int(self.array.shape[0])

    @property
    def valid(self) -> np.ndarray:
        """Boolean ``(n_padded,)``: True for real months, False for padding."""
        return np.arange(self.n_padded) < self.n_months

    def unpad(self, y):
        """Drop the padded months from a result whose leading axis is the month axis.

        Explicit mesh axes cannot hold an uneven month count: such a result is first
        viewed (no copy) with the same layout on auto axes, as the compiler then places it;
        inside a ``jax.set_mesh`` of Explicit axes its months are gathered first.
        """
        if self.n_months == y.shape[0]:
            return y
        if _explicit_context() and has_explicit_axes(jax.typeof(y).sharding.mesh):
            # inside a jax.set_mesh of Explicit axes the result must stay on them: gather
            return jax.sharding.reshard(y, P())[: self.n_months]
        return as_auto(y, self.mesh)[: self.n_months]


def auto_axes(mesh):
    """``mesh`` with every axis of type Auto (same devices and names); None stays None.

    ``jax.make_mesh`` makes Explicit axes by default in current JAX, under which reshapes
    inside a model (and XLA's choice of collectives) would need sharding annotations;
    data parallelism over months needs none, so jaxgeo runs on the Auto view of the same
    devices.
    """
    types = getattr(mesh, "axis_types", None)
    if mesh is None or types is None or all(t == AxisType.Auto for t in types):
        return mesh
    return Mesh(mesh.devices, mesh.axis_names,
                axis_types=(AxisType.Auto,) * len(mesh.axis_names))


def has_explicit_axes(mesh) -> bool:
    """Whether any axis of ``mesh`` (a Mesh or AbstractMesh) is of type Explicit."""
    return any(t == AxisType.Explicit for t in getattr(mesh, "axis_types", ()))


def as_auto(y, mesh: Mesh | None = None):
    """``y`` with the same layout over the same devices on auto mesh axes (no copy).

    Anything that is not an array laid out over Explicit mesh axes is returned as it is.
    Under tracing (``grad``, ``jit``) the array's own mesh is abstract: pass the concrete
    ``mesh`` (Explicit or Auto) it lives on; the gradient flows back to ``y``'s layout.
    """
    if not isinstance(y, jax.Array):
        return y
    spec = jax.typeof(y).sharding
    if not isinstance(spec, NamedSharding) or not has_explicit_axes(spec.mesh):
        return y
    concrete = getattr(y, "sharding", None) if not isinstance(y, jax.core.Tracer) else None
    devices = concrete.mesh if isinstance(concrete, NamedSharding) else mesh
    if devices is None:
        raise ValueError("an array traced on Explicit mesh axes needs its mesh to be viewed "
                         "on Auto axes (as_auto(y, mesh))")
    return jax.device_put(y, NamedSharding(auto_axes(devices), spec.spec))


def _explicit_context() -> bool:
    """Whether a ``jax.set_mesh`` with Explicit axes is active."""
    context = jax.sharding.get_abstract_mesh()
    return not context.empty and has_explicit_axes(context)


def from_auto(y, spec=None):
    """A result computed on the Auto view, typed for the caller's context mesh.

    Unchanged unless a ``jax.set_mesh`` with Explicit axes is active; then resharded onto
    it: each dimension keeps ``spec``'s mesh axis where its length divides over that axis
    and is whole otherwise (Explicit axes cannot hold uneven blocks).
    """
    if not _explicit_context():
        return y
    context = jax.sharding.get_abstract_mesh()
    spec = tuple(spec or ())
    entries = []
    for i, n in enumerate(y.shape):
        names = spec[i] if i < len(spec) else None
        size = math.prod(dict(context.shape)[a] for a in
                         ((names,) if isinstance(names, str) else (names or ())))
        entries.append(names if names is not None and n % size == 0 else None)
    return jax.sharding.reshard(y, P(*entries))


def on_auto_view(fn):
    """Decorator of ``fn(op, x, mesh, **options)``: it runs on the Auto view of ``mesh``.

    ``x`` laid out on Explicit axes is viewed on Auto axes (no copy), the body traces under
    :func:`auto_context`, and the result comes back typed for the caller (:func:`from_auto`,
    with ``x``'s layout where the shapes allow).
    """

    @functools.wraps(fn)
    def wrapper(op, x, mesh, **options):
        spec = jax.typeof(x).sharding.spec if isinstance(x, jax.Array) else None
        with auto_context(mesh) as auto:
            y = fn(op, as_auto(x, mesh), auto, **options)
        return from_auto(y, spec)

    return wrapper


@contextlib.contextmanager
def auto_context(mesh: Mesh | None = None):
    """Trace on Auto axes, also inside a ``jax.set_mesh`` of Explicit axes.

    Under a context mesh with Explicit axes every traced operation must match it; the
    jaxgeo code inside this block runs on the Auto view of that context instead. Yields
    :func:`auto_axes` of ``mesh``.
    """
    auto = auto_axes(mesh)
    if not _explicit_context():
        yield auto
        return
    context = jax.sharding.get_abstract_mesh()
    view = context.update_axis_types({name: AxisType.Auto for name in context.axis_names})
    with jax.sharding.use_abstract_mesh(view):
        yield auto


def tree_as_auto(tree, mesh: Mesh | None = None):
    """:func:`as_auto` of every array leaf of ``tree``."""
    return jax.tree.map(lambda a: as_auto(a, mesh), tree)


def shard_months(x, mesh: Mesh, *, axis: str = MONTHS) -> MonthShards:
    """Shard the leading (month) axis of ``x`` over mesh axis ``axis``, padding with zeros.

    Uneven month counts are padded up to a multiple of the number of devices along
    ``axis`` (zeros, so every operator stays finite on them) rather than refused; strip them
    with :meth:`MonthShards.unpad` or weight them with :attr:`MonthShards.valid`.

    Args:
        x: ``(months, ...)`` array-like (numpy, jax, or lazy: dask / xarray ``.data``).
        mesh: a mesh with an axis named ``axis``.
        axis: the mesh axis that splits the months.
    """
    shape = tuple(int(n) for n in x.shape)
    if len(shape) < 1:
        raise ValueError("shard_months needs an array with a leading month axis")
    k = axis_size(mesh, axis)
    n_padded = max(k, math.ceil(shape[0] / k) * k)
    spec = P(axis, *([None] * (len(shape) - 1)))
    arr, _ = put_padded_as(x, (n_padded,) + shape[1:], NamedSharding(mesh, spec), x.dtype)
    return MonthShards(arr, shape[0], mesh)


def months_axis_size(mesh: Mesh, axis: str = MONTHS) -> int:
    """Devices along ``axis`` of ``mesh``; a ValueError naming the axes if it has none."""
    if not isinstance(mesh, Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh (see make_mesh), got "
                        f"{type(mesh).__name__}")
    if axis not in mesh.axis_names:
        raise ValueError(f"the mesh has axes {tuple(mesh.axis_names)} but no {axis!r} axis to "
                         f"split months over; build it with jaxgeo.distributed.make_mesh()")
    return axis_size(mesh, axis)


def replicate(tree, mesh: Mesh):
    """Every array leaf of ``tree`` as a global :class:`jax.Array` replicated over ``mesh``.

    Built with ``jax.make_array_from_callback``, so it also works when the mesh spans
    several processes (each must hold the same values, as after the same seeded
    initialisation). Leaves that are not arrays (Python scalars, None) are kept as they are.

    Args:
        tree: a pytree (an ``nnx.State``, an operator, a dict of arrays).
        mesh: the device mesh.
    """
    sharding = NamedSharding(mesh, P())

    def put(a):
        if not isinstance(a, jax.Array | np.ndarray):
            return a
        if isinstance(a, jax.Array) and a.sharding == sharding:
            return a
        host = np.asarray(a)
        return jax.make_array_from_callback(host.shape, sharding, lambda idx: host[idx])

    return jax.tree.map(put, tree)


def to_host(y) -> np.ndarray:
    """A (possibly multi-process) jax.Array gathered into one numpy array on every process."""
    if isinstance(y, jax.Array) and not y.is_fully_addressable:
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(y, tiled=True))
    return np.asarray(y)
