"""Operators applied over a device mesh: months in parallel, latitude bands with halos.

Data parallel: every device applies the whole operator to its own months
(:func:`jax.shard_map`, the operator's tables replicated). Nothing is exchanged, and each
month's arithmetic is the single-device arithmetic, so the result is the same bit for bit
(XLA may round a batch of one month differently by an ulp, as it does on one device).

Latitude bands: output row ``i`` of a cap (or Gaussian) average reads input rows
``rows[:, i]``, all within ``H = max |rows[d, i] − i|`` rows of ``i`` (``H = ⌈ψ/Δφ⌉`` for a cap
of radius ψ on a grid of step Δφ). Each device holds ``L`` consecutive rows and receives the
``H`` rows on either side from its neighbours by :func:`jax.lax.ppermute` (over several hops
when ``H > L``), then runs the sphere's band kernel (:func:`jaxgeo.sphere.band_apply`) on
its block with shard-local :class:`~jaxgeo.sphere.BandTables`. Gradients flow through
``ppermute`` (its transpose is the reverse permutation).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import weakref

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from .._sharding import (
    LAT,
    MONTHS,
    as_auto,
    axis_size,
    on_auto_view,
    padded_put,
    put_padded_as,
    shard_months,
)
from ..sphere import BandTables, IsotropicOperator, band_apply


def _call(op, x):
    return op(x)


@functools.lru_cache(maxsize=64)
def month_parallel(fn, mesh: Mesh, ndim: int, axis: str = MONTHS, operator_arg: bool = True):
    """A jitted ``f(op, x)`` (or ``f(x)``) that maps ``fn`` over months sharded on ``axis``.

    Args:
        fn: ``fn(op, x_block)`` when ``operator_arg`` (the operator travels as a replicated
            pytree argument, so its tables are not baked into the program), else ``fn(x)``.
        mesh: the device mesh.
        ndim: rank of ``x`` (months first).
        axis: the mesh axis splitting the months.
    """
    spec = P(axis, *([None] * (ndim - 1)))
    # check_vma=False: operators (and user callables) build scan carries from fresh zeros,
    # which the varying-axis type check would reject; nothing here is reduced over devices.
    in_specs = (P(), spec) if operator_arg else (spec,)
    mapped = jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=spec, check_vma=False)
    return jax.jit(mapped)


def _check_nan_host(op: IsotropicOperator, x) -> None:
    """The operator's eager checks (complex input; NaN, ±inf and dynamic range inside the
    mask), the latter on host numpy data only (no device copy of the stack)."""
    if np.issubdtype(np.dtype(getattr(x, "dtype", np.float64)), np.complexfloating):
        raise ValueError(f"field is complex ({x.dtype}); {type(op).__name__} averages real "
                         "fields: apply it to the real and imaginary parts separately")
    if isinstance(x, np.ndarray):
        op.check_nan(x)


# Explicit mesh axes cannot hold padded or uneven month and row counts: both functions run
# on the Auto view of the same devices (on_auto_view: a field laid out on Explicit axes is
# viewed, not copied; inside a jax.set_mesh of Explicit axes the result is typed back).
@on_auto_view
def sharded_apply(op, x, mesh: Mesh, *, month_axis: str | None = MONTHS,
                  lat_axis: str | None = LAT) -> jax.Array:
    """Apply ``op`` to ``x`` over the devices of ``mesh``; equal to ``op(x)`` on one device.

    Months (the leading axis) are split over ``month_axis`` (padded to a whole number per
    device and stripped again). When ``lat_axis`` has more than one device, latitude rows
    are split too and each device exchanges a halo of ``⌈ψ/Δφ⌉`` rows with its neighbours
    (cap and Gaussian operators only, without ``targets``).

    Args:
        op: a :class:`~jaxgeo.sphere.CapAverage` / :class:`~jaxgeo.sphere.GaussianSmooth`,
            or any callable mapping ``(m, ..., nlat, nlon)`` to ``(m, ...)`` month by month.
        x: ``(months, ..., nlat, nlon)`` array-like (numpy, jax, or a lazy array that is read
            slice by slice); ``(nlat, nlon)`` also works for band sharding alone.
        mesh: from :func:`make_mesh`.
        month_axis, lat_axis: mesh axis names (None: do not shard along it).

    Returns:
        The global result as a :class:`jax.Array` sharded over ``mesh`` (use
        :func:`to_host` to gather it), in ``x``'s dtype for jaxgeo operators.
    """
    is_op = isinstance(op, IsotropicOperator)
    if is_op:
        _check_nan_host(op, x)
    if axis_size(mesh, lat_axis) > 1:
        if not is_op:
            raise ValueError("latitude-band sharding needs a jaxgeo IsotropicOperator "
                             "(CapAverage/GaussianSmooth); shard other callables by months")
        return band_sharded_apply(op, x, mesh, lat_axis=lat_axis, month_axis=month_axis)
    if x.ndim < 3:
        # a single field and no band axis: nothing to split
        return op(jnp.asarray(x))
    shards = shard_months(x, mesh, axis=month_axis)
    if is_op:
        y = month_parallel(_call, mesh, x.ndim, month_axis, True)(op, shards.array)
    else:
        y = month_parallel(op, mesh, x.ndim, month_axis, False)(shards.array)
    return shards.unpad(y)


# --- latitude bands --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BandPlan:
    """Shard-local band tables of an operator for ``n`` latitude blocks (numpy, built once).

    Attributes:
        block_rows: ``L``, output rows per shard (the last block padded).
        halo_rows: ``H``, rows each shard receives from either side.
        hops: ``K = ⌈H/L⌉``, ppermute hops that deliver the halo.
        centred: the operator reads row ``i − B + d`` at band step ``d``; the tables then
            cover every row of the extended block, ``(n, nband, L + 2H)``: the band loop runs
            its contiguous-slice path over the whole block and only the middle ``L`` output
            rows are kept.
        rows, kernel_index: ``(n, nband, L)`` (``(n, nband, L + 2H)`` when centred) indices
            into the shard's extended block of ``L + 2H`` rows, and into the kernel spectra.
        weight: ``(n, L + 2H, 1 or nlon)`` the operator's weights of the extended block.
        inv_den, valid: ``(n, L, 1 or nlon)`` of the shard's own rows.
    """

    block_rows: int
    halo_rows: int
    hops: int
    centred: bool
    rows: np.ndarray
    kernel_index: np.ndarray
    weight: np.ndarray
    inv_den: np.ndarray
    valid: np.ndarray


def band_plan(op: IsotropicOperator, n_shards: int) -> BandPlan:
    """Shard-local tables of ``op`` for ``n_shards`` latitude blocks (see :class:`BandPlan`)."""
    if op.targets is not None:
        raise ValueError("latitude-band sharding supports operators without targets only")
    t = op.tables
    nlat = op.grid.nlat
    rows = np.asarray(t.rows, np.int64)
    kidx = np.asarray(t.kernel_index, np.int64)
    weight = np.asarray(t.weight)
    inv_den = np.asarray(t.inv_den)
    valid = np.asarray(t.valid)
    L = math.ceil(nlat / n_shards)
    # Pairs with an all-zero kernel (band padding near the poles) read nothing: they set
    # no halo, and their row index is clipped into the shard's extended block below.
    spectra = np.stack([np.asarray(k) for k in (t.kernel_re, t.kernel_im) if k is not None])
    active = np.any(spectra != 0, axis=(0, 2))[kidx]
    dist = np.where(active, np.abs(rows - np.arange(nlat)[None, :]), 0)
    H = int(dist.max())
    K = math.ceil(H / L) if H else 0
    nband = rows.shape[0]
    half = (nband - 1) // 2
    own = np.arange(nlat)[None, :]
    centred = bool(t.symmetric and nband % 2 == 1 and np.array_equal(
        rows, np.clip(own - half + np.arange(nband)[:, None], 0, nlat - 1)))
    ncols = L + 2 * H if centred else L
    rows_l = np.zeros((n_shards, nband, ncols), np.int32)
    kidx_l = np.zeros((n_shards, nband, ncols), np.int32)
    w_l = np.zeros((n_shards, L + 2 * H, weight.shape[1]), weight.dtype)
    inv_l = np.zeros((n_shards, L, inv_den.shape[1]), inv_den.dtype)
    val_l = np.zeros((n_shards, L, valid.shape[1]), bool)
    for s in range(n_shards):
        start = s * L
        n_real = max(0, min(L, nlat - start))
        first = start - H  # global row of the extended block's row 0
        g = np.arange(first, first + L + 2 * H)
        inside = (g >= 0) & (g < nlat)
        if centred:
            # output rows of the halo and of the padding are computed and dropped
            kidx_l[s][:, inside] = kidx[:, g[inside]]
            rows_l[s] = np.arange(ncols)[None, :] - half + np.arange(nband)[:, None]
        else:
            rows_l[s, :, :n_real] = np.clip(rows[:, start:start + n_real] - first, 0,
                                            L + 2 * H - 1)
            rows_l[s, :, n_real:] = H  # padding rows read themselves; output dropped
            kidx_l[s, :, :n_real] = kidx[:, start:start + n_real]
        w_l[s, inside] = weight[g[inside]]
        inv_l[s, :n_real] = inv_den[start:start + n_real]
        val_l[s, :n_real] = valid[start:start + n_real]
    return BandPlan(block_rows=L, halo_rows=H, hops=K, centred=centred, rows=rows_l,
                    kernel_index=kidx_l, weight=w_l, inv_den=inv_l, valid=val_l)


def _lift(table, like):
    """``table`` with leading unit axes up to ``like``'s rank (explicit broadcasting)."""
    return jnp.reshape(table, (1,) * (like.ndim - table.ndim) + table.shape)


def _halo_extend(block, L: int, H: int, K: int, n: int, axis: str):
    """Rows ``[start − H, start + L + H)`` of the global field on the shard owning ``start``."""
    if H == 0:
        return block
    below, above = [], []
    for k in range(K, 0, -1):
        # shard s receives the block of shard s − k (zeros where there is none)
        below.append(jax.lax.ppermute(block, axis, [(s, s + k) for s in range(n - k)]))
    for k in range(1, K + 1):
        above.append(jax.lax.ppermute(block, axis, [(s + k, s) for s in range(n - k)]))
    ext = jnp.concatenate(below + [block] + above, axis=-2)
    return ext[..., K * L - H: K * L + L + H, :]


@functools.lru_cache(maxsize=32)
def _band_fn(mesh: Mesh, lat_axis: str, month_axis: str | None, ndim: int, L: int, H: int,
             K: int, nlon: int, masked: bool, centred: bool):
    n = axis_size(mesh, lat_axis)
    lead = [month_axis] + [None] * (ndim - 3) if ndim >= 3 else []
    x_spec = P(*lead, lat_axis, None)
    t_spec = P(lat_axis)

    def local(kernel_re, kernel_im, rows, kidx, weight, inv_den, valid, x):
        ext = _halo_extend(x, L, H, K, n, lat_axis)
        w = _lift(weight[0], ext)
        f = ext * w
        if masked:
            f = jnp.where(w > 0, f, 0.0)
        # The operator's own band kernel on shard-local tables. Centred: its contiguous-slice
        # path over the whole extended block (it zero-pads beyond the block, so only the
        # middle L rows, whose reads stay inside the block, are right and kept). Otherwise:
        # its gather path with row indices into the extended block.
        tables = BandTables(kernel_re=kernel_re, kernel_im=kernel_im, kernel_index=kidx[0],
                            rows=rows[0], weight=weight[0], inv_den=inv_den[0],
                            valid=valid[0], nlon=nlon, out_cols=None, symmetric=centred,
                            masked=masked, all_valid=False)
        out = band_apply(tables, jnp.fft.rfft(f, axis=-1), transpose=False)
        if centred:
            out = out[..., H:H + L, :]
        y = jnp.fft.irfft(out, n=nlon, axis=-1)
        return jnp.where(_lift(valid[0], y), y * _lift(inv_den[0], y), jnp.nan)

    # check_vma=False: the band loop's scan carries start as unvarying zeros (see above)
    return jax.jit(jax.shard_map(local, mesh=mesh,
                                 in_specs=(P(), P()) + (t_spec,) * 5 + (x_spec,),
                                 out_specs=x_spec, check_vma=False))


# Per-operator cache (keyed by its tables) of shard-local tables already on the devices:
# building them reads the tables back to the host, which is not free at 0.1°, nor possible
# under tracing.
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _band_tables(op: IsotropicOperator, mesh: Mesh, lat_axis: str):
    per_op = _TABLES.setdefault(op.tables, {})
    key = (mesh, lat_axis)
    if key not in per_op:
        plan = band_plan(op, axis_size(mesh, lat_axis))
        sharding = NamedSharding(mesh, P(lat_axis))
        tables = [padded_put(a, a.shape, sharding) for a in
                  (plan.rows, plan.kernel_index, plan.weight, plan.inv_den, plan.valid)]
        tables[2:4] = [t.astype(op.dtype) for t in tables[2:4]]
        per_op[key] = (plan, tables)
    return per_op[key]


@on_auto_view
def band_sharded_apply(op: IsotropicOperator, x, mesh: Mesh, *, lat_axis: str = LAT,
                       month_axis: str | None = MONTHS) -> jax.Array:
    """``op(x)`` with latitude rows split over ``lat_axis`` (and months over ``month_axis``).

    Each device holds ``⌈nlat/n⌉`` rows (the last block padded) and gets a halo of ``H``
    rows from its neighbours by ``ppermute``. Differentiable with respect to ``x``
    (``grad``, ``vjp``, ``jvp``, under ``jit`` too); ``op`` itself must be concrete (built
    outside the traced function), since its row tables are split on the host.

    Args:
        op: a cap or Gaussian operator without ``targets``.
        x: ``(..., nlat, nlon)`` array; a leading month axis is sharded over ``month_axis``
            when ``x`` has 3 or more dimensions.
        mesh: the device mesh; ``lat_axis`` must be one of its axes.

    Returns:
        ``(..., nlat, nlon)`` :class:`jax.Array`, equal to ``op(x)`` to float round-off.
    """
    n = axis_size(mesh, lat_axis)
    nlat, nlon = op.grid.shape
    if tuple(x.shape[-2:]) != (nlat, nlon):
        raise ValueError(f"field has shape {tuple(x.shape)}, expected (..., {nlat}, {nlon})")
    plan, tables = _band_tables(op, mesh, lat_axis)
    ndim = x.ndim
    use_months = ndim >= 3 and axis_size(mesh, month_axis) > 1
    m_axis = month_axis if use_months else None
    lead = ([m_axis] + [None] * (ndim - 3)) if ndim >= 3 else []
    n_months = int(x.shape[0]) if ndim >= 3 else 0
    n_m = axis_size(mesh, m_axis)
    padded = list(x.shape)
    padded[-2] = n * plan.block_rows
    if ndim >= 3:
        padded[0] = max(n_m, math.ceil(n_months / n_m) * n_m)
    x_sharding = NamedSharding(mesh, P(*lead, lat_axis, None))
    xx, in_dtype = put_padded_as(x, tuple(padded), x_sharding, op.dtype)
    fn = _band_fn(mesh, lat_axis, m_axis, ndim, plan.block_rows, plan.halo_rows, plan.hops,
                  nlon, op.masked, plan.centred)
    y = fn(op.tables.kernel_re, op.tables.kernel_im, *tables, xx)
    y = as_auto(y)[..., :nlat, :]
    if ndim >= 3:
        y = y[:n_months]
    if not jnp.issubdtype(in_dtype, jnp.floating):
        return y
    return y.astype(in_dtype)


__all__ = ["BandPlan", "band_plan", "band_sharded_apply", "month_parallel", "sharded_apply"]
