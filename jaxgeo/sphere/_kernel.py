"""The band kernel: functions of a :class:`BandTables` pytree (the seam `jaxgeo.distributed` uses).

An isotropic operator is applied as: rFFT along longitude → multiply each input row's
spectrum by its per-wavenumber kernel and sum over the band (:func:`band_apply`) → inverse
rFFT. :func:`apply_tables` is the whole area-weighted mean ``y = (C (w·f)) / den`` as a
linear map whose transpose ``w · Cᵀ(g / den)`` is supplied by hand through
:func:`jax.lax.custom_linear_solve`'s transpose hook. ``Cᵀ`` is the same band of
convolutions with conjugated spectra (for centred boxes, ``C`` itself). Unlike
:func:`jax.custom_vjp` the hook keeps forward-mode differentiation working, so ``jit``,
``vmap``, ``grad``, ``jvp``, ``vjp`` and higher orders all compose, and the backward pass
costs what the forward does.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from ._tables import BandTables

__all__ = ["apply_tables", "band_apply"]


def _lift(table, like):
    """``table`` with leading unit axes up to ``like``'s rank (explicit broadcasting)."""
    return jnp.reshape(table, (1,) * (jnp.ndim(like) - jnp.ndim(table)) + jnp.shape(table))


def _zeros(like, shape, trailing: int = 3):
    """Zeros of ``shape`` and ``like``'s dtype, sharded like ``like`` along the leading
    (batch) axes: under explicit mesh axes a fresh ``jnp.zeros`` is replicated, and
    mixing it with month-sharded data (scan carries, in-place updates) is a type error."""
    base = jnp.zeros_like(like[(Ellipsis,) + (slice(0, 1),) * trailing])
    return jnp.broadcast_to(base, shape)


def band_apply(tables: BandTables, spec, *, transpose: bool = False):
    """Sum over the band of rows of kernel spectrum × input spectrum (or its transpose).

    Output row ``i`` gets ``Σ_d K[kernel_index[d, i]] · spec[rows[d, i]]``; the transpose
    scatters ``conj(K[kernel_index[d, i]]) · spec[i]`` back onto input row ``rows[d, i]``.
    Only the kernel leaves, ``rows``, ``kernel_index`` and ``symmetric`` are read, so
    shard-local tables (:func:`jaxgeo.distributed.band_sharded_apply`) use it as it is.

    Args:
        tables: the operator's :class:`BandTables` (or shard-local ones).
        spec: ``(..., nin, nlon // 2 + 1)`` complex spectra of the weighted input rows (of the
            output rows, ``(..., nout, nlon // 2 + 1)``, for the transpose).
        transpose: apply ``Cᵀ`` instead of ``C``.

    Returns:
        ``(..., nout, nlon // 2 + 1)`` complex (``(..., nin, …)`` for the transpose), where
        ``nin`` is the number of rows of ``tables.weight``.
    """
    if transpose:
        return _band_transpose(tables, spec)
    kre, kim = tables.kernel_re, tables.kernel_im
    nout = tables.rows.shape[1]
    batch = spec.shape[:-2]
    nfreq = spec.shape[-1]
    # Real and imaginary parts side by side, (..., rows, 2, nfreq): XLA:CPU vectorises
    # real arithmetic, while complex multiply-adds come out scalar.
    nband = tables.rows.shape[0]
    ri = jnp.stack([jnp.real(spec), jnp.imag(spec)], axis=-2)
    # Blocks of output rows whose accumulators stay in cache (≈ 1 MB) while the band
    # loop runs over them: one accumulator for all rows would make the loop memory-bound.
    block = int(min(nout, max(8, (1 << 20) // (8 * nfreq * max(1, math.prod(batch))))))
    nblocks = -(-nout // block)
    pad = nblocks * block - nout
    kidx_p = jnp.pad(tables.kernel_index, ((0, 0), (0, pad)))
    if tables.symmetric:
        # centred band (see band_rows): step d of the block starting at row s reads the
        # contiguous rows s − B + d …, so slice a zero-padded copy instead of gathering
        half = (nband - 1) // 2
        ri_p = jnp.pad(ri, [(0, 0)] * len(batch) + [(half, half + pad), (0, 0), (0, 0)])
    else:
        rows_p = jnp.pad(tables.rows, ((0, 0), (0, pad)))

    def block_step(b, out):
        start = b * block

        def step(acc, d):
            kidx = lax.dynamic_slice_in_dim(kidx_p[d], start, block)
            kr = _lift(jnp.take(kre, kidx, axis=0)[:, None, :], acc)
            if tables.symmetric:
                f = lax.dynamic_slice_in_dim(ri_p, start + d, block, axis=-3)
            else:
                f = jnp.take(ri, lax.dynamic_slice_in_dim(rows_p[d], start, block), -3)
            if kim is None:
                return acc + kr * f, None
            ki = _lift(jnp.take(kim, kidx, axis=0)[:, None, :], acc)
            i_times_f = jnp.concatenate([-f[..., 1:2, :], f[..., 0:1, :]], axis=-2)
            return acc + kr * f + ki * i_times_f, None

        zeros = _zeros(ri, batch + (block, 2, nfreq))
        acc, _ = lax.scan(step, zeros, jnp.arange(nband), unroll=2)
        # written in place into the result: stacking blocks would cost a transpose copy
        return lax.dynamic_update_slice_in_dim(out, acc, start, axis=-3)

    out = _zeros(ri, batch + (nblocks * block, 2, nfreq))
    out = lax.fori_loop(0, nblocks, block_step, out)[..., :nout, :, :]
    return lax.complex(out[..., 0, :], out[..., 1, :])


def _band_transpose(tables: BandTables, spec):
    """Cᵀ: conjugate kernels and scatter each output row back onto its input rows."""
    kre = tables.kernel_re
    kim = tables.kernel_im if tables.kernel_im is not None else jnp.zeros_like(kre)
    nin = tables.weight.shape[0]
    spec_re, spec_im = jnp.real(spec), jnp.imag(spec)

    def step(acc, xs):
        kidx, rows = xs
        ar, ai = acc
        kr = _lift(jnp.take(kre, kidx, axis=0), spec_re)
        ki = _lift(jnp.take(kim, kidx, axis=0), spec_re)
        ar = ar.at[..., rows, :].add(kr * spec_re + ki * spec_im)
        ai = ai.at[..., rows, :].add(kr * spec_im - ki * spec_re)
        return (ar, ai), None

    zeros = _zeros(spec_re, spec.shape[:-2] + (nin, spec.shape[-1]), trailing=2)
    (ar, ai), _ = lax.scan(step, (zeros, zeros), (tables.kernel_index, tables.rows))
    return lax.complex(ar, ai)


# The linear map and its transpose, on arrays already in the tables' dtype. Without a mask,
# weights and 1/den are per row, so they are applied to the row spectra where XLA fuses them
# into copies it makes anyway; with a mask they vary along longitude.
def _masked_offset(t: BandTables, field, inside):
    """Each field's weighted mean inside the mask, ``(..., 1, 1)``.

    A masked mean is ``C(w f) / den`` where ``den`` (exact, float64-built) can be a tiny part
    of the row the FFT transforms: the transform's round-off, relative to the whole row,
    is then amplified by up to ``row / den`` (1e4 near a coast). Subtracting ``c`` first and
    adding it back after the division, ``C(w (f − c)) / den + c`` (equal in exact arithmetic,
    since ``C(w) = den``), leaves round-off relative to ``f − c``: a constant field comes out
    exact, and ``1000 + f`` as accurate as ``f``. ``c`` is linear in ``f``, so the map (and
    its hand-written transpose) is unchanged: any ``c`` gives the same mean in exact
    arithmetic. The sum runs in a fixed pairwise order (:func:`_fixed_order_sum`), so the
    result's bits do not depend on the batch size (XLA may vectorise a reduction differently).
    """
    w = _lift(t.weight, field)
    masked = jnp.where(inside, field * w, 0.0)
    total = _fixed_order_sum(jnp.reshape(masked, masked.shape[:-2] + (-1,)))
    return jnp.reshape(total, total.shape[:-1] + (1, 1)) / jnp.sum(t.weight)


def _fixed_order_sum(x):
    """Sum over the last axis by pairwise halving (zero-padded to a power of two), ``(..., 1)``."""
    n = x.shape[-1]
    size = 1 << max(0, (n - 1).bit_length())
    x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, size - n)])
    while x.shape[-1] > 1:
        half = x.shape[-1] // 2
        x = x[..., :half] + x[..., half:]
    return x


def _forward(t: BandTables, field):
    if t.masked:
        w = _lift(t.weight, field)
        inside = w > 0
        offset = _masked_offset(t, field, inside)
        spec = jnp.fft.rfft(jnp.where(inside, (field - offset) * w, 0.0), axis=-1)
    else:
        spec = jnp.fft.rfft(field, axis=-1)
        spec = spec * _lift(t.weight, spec).astype(spec.dtype)
    out = band_apply(t, spec, transpose=False)
    if not t.masked:
        out = out * _lift(t.inv_den, out).astype(out.dtype)
    y = jnp.fft.irfft(out, n=t.nlon, axis=-1)
    if t.out_cols is not None:
        y = jnp.take(y, jnp.asarray(t.out_cols), axis=-1)
    if t.masked:
        y = y * _lift(t.inv_den, y) + offset
    return y if t.all_valid else jnp.where(_lift(t.valid, y), y, jnp.nan)


def _transpose(t: BandTables, cotangent):
    g = cotangent if t.all_valid else jnp.where(_lift(t.valid, cotangent), cotangent, 0.0)
    if t.masked:
        g = g * _lift(t.inv_den, g)
    if t.out_cols is not None:
        full = _zeros(g, g.shape[:-1] + (t.nlon,), trailing=2)
        g = full.at[..., jnp.asarray(t.out_cols)].set(g)
    spec = jnp.fft.rfft(g, axis=-1)
    if not t.masked:
        spec = spec * _lift(t.inv_den, spec).astype(spec.dtype)
    out = band_apply(t, spec, transpose=not t.symmetric)
    if not t.masked:
        out = out * _lift(t.weight, out).astype(out.dtype)
    y = jnp.fft.irfft(out, n=t.nlon, axis=-1)
    return y * _lift(t.weight, y) if t.masked else y


def _apply_linear(tables: BandTables, field):
    nout, ncol = tables.nout, tables.ncol
    same_shape = tables.out_cols is None

    def solve(_, b):
        y = _forward(tables, b)
        if same_shape:
            return y
        # custom_linear_solve needs an output shaped like its input: embed the coarse result
        return jnp.zeros_like(b).at[..., :nout, :ncol].set(y)

    def transpose_solve(_, ct):
        return _transpose(tables, ct if same_shape else ct[..., :nout, :ncol])

    out = lax.custom_linear_solve(lambda x: x, field, solve, transpose_solve,
                                  symmetric=False)
    return out if same_shape else out[..., :nout, :ncol]


# One compiled program per table structure and field shape: eager calls (the accessor, the
# functional forms) would otherwise dispatch the FFTs and loops one by one. Inside an outer
# jit, vmap or grad this is simply inlined.
_apply_jit = jax.jit(_apply_linear)


def apply_tables(tables: BandTables, field):
    """The area-weighted mean ``(C (w·f)) / den`` of ``field`` in the tables' dtype.

    Args:
        tables: an operator's :class:`BandTables`.
        field: ``(..., nlat, nlon)`` array already in ``tables.dtype``.

    Returns:
        ``(..., nout, ncol)``, NaN where ``tables.valid`` is False. Differentiable in
        forward and reverse mode (the transpose is the band of conjugated kernels).
    """
    return _apply_jit(tables, field)
