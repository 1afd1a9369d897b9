"""Isotropic averaging operators on regular lat-lon grids: exact spherical caps, Gaussians.

Within one latitude row, the cells that an isotropic kernel centred at (φ, λ) touches depend
on longitude only through ``|λ' − λ|``, so the operator is a set of circular convolutions
along longitude, one per (output row, input row) pair, restricted to the band of rows the
kernel reaches. It is applied as: rFFT along longitude → multiply each input row's spectrum
by its per-wavenumber kernel and sum over the band → inverse rFFT. The kernel spectra are
tables built once, in float64, and held by the operator (a JAX pytree).

For a cap each row pair's kernel is a box (a window of contiguous cells) whose spectrum is a
Dirichlet kernel that depends only on the window, so only the distinct windows are stored
(≈ nlon/2 of them) with an index table; a Gaussian stores one spectrum per row pair.

The transpose of an area-weighted mean ``y = (C (w·f)) / den`` is ``w · Cᵀ(g / den)``, and
``Cᵀ`` is the same band of convolutions with conjugated spectra (for centred boxes, ``C``
itself). It is supplied by hand through :func:`jax.lax.custom_linear_solve`'s transpose hook,
which (unlike :func:`jax.custom_vjp`) keeps forward-mode differentiation working, so
``jit``, ``vmap``, ``grad``, ``jvp``, ``vjp`` and higher orders all compose, and the backward
pass costs what the forward does.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._grid import Grid
from ._legendre import gaussian_b
from ._windows import (
    RowWindows,
    band_rows,
    cap_windows,
    dirichlet_kernels,
    window_sums,
)

__all__ = ["CapAverage", "GaussianSmooth", "IsotropicOperator", "cap_average", "gaussian_smooth"]


def _default_dtype(dtype):
    if dtype is None:
        return jnp.zeros((), dtype=float).dtype  # float64 iff jax_enable_x64
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.float32, jnp.float64):
        raise ValueError(f"operator dtype must be float32 or float64, got {dtype}")
    if dtype == jnp.float64 and not jax.config.jax_enable_x64:
        raise ValueError("dtype=float64 needs jax.config.update('jax_enable_x64', True)")
    return dtype


def _check_mask(mask, grid: Grid) -> np.ndarray | None:
    """Validate a mask and return it as float64 weights in [0, 1], or None."""
    if mask is None:
        return None
    if hasattr(mask, "dims") and hasattr(mask, "values"):  # an xarray object
        from .._grid import to_grid_order

        grid.check_xarray(mask)
        mask = to_grid_order(mask).values
    m = np.asarray(mask)
    if m.shape != grid.shape:
        raise ValueError(f"mask has shape {m.shape}, expected the grid's (nlat, nlon) = "
                         f"{grid.shape}")
    if m.dtype == bool:
        return m.astype(np.float64)
    if not np.issubdtype(m.dtype, np.number):
        raise ValueError(f"mask must be boolean or numeric weights in [0, 1], got dtype "
                         f"{m.dtype}")
    m = m.astype(np.float64)
    if not np.all(np.isfinite(m)):
        raise ValueError("mask contains NaN or infinite values; use 0 for excluded cells")
    if m.min() < 0 or m.max() > 1:
        raise ValueError(f"mask weights must lie in [0, 1], got range [{m.min():g}, "
                         f"{m.max():g}]")
    return m


def _target_columns(grid: Grid, targets: Grid | None):
    """Reference input column of every output column, and the common offset from it."""
    if targets is None:
        return np.arange(grid.nlon), 0.0
    ratio = targets.resolution_deg / grid.resolution_deg
    if abs(ratio - round(ratio)) > 1e-9 * ratio or round(ratio) < 1:
        raise ValueError(
            f"targets resolution {targets.resolution_deg}° must be a whole multiple of the "
            f"grid resolution {grid.resolution_deg}°"
        )
    pos = grid.lon_index(targets.lon)
    ref = np.floor(pos + 1e-9)
    delta = pos - ref
    if np.ptp(delta) > 1e-6:
        raise ValueError("targets longitudes are not evenly offset from the grid's columns")
    return ref.astype(np.int64) % grid.nlon, float(np.round(delta[0], 12))


def _pack_kernels(spectra: np.ndarray, dtype, complex_kernels: bool):
    """Split a complex kernel table into the real arrays the band loop uses."""
    if complex_kernels:
        return (jnp.asarray(spectra.real, dtype), jnp.asarray(spectra.imag, dtype))
    return (jnp.asarray(spectra.real, dtype),)


class IsotropicOperator:
    """An area-weighted mean under an isotropic kernel on a regular grid; a JAX pytree.

    Not built directly: use :class:`CapAverage` or :class:`GaussianSmooth`. Calling the
    operator on ``field`` of shape ``(..., nlat, nlon)`` returns ``(..., nlat, nlon)`` (or
    ``(..., tlat, tlon)`` with targets). Where a kernel covers no cell of positive mask
    weight the result is NaN.

    NaN handling: values outside the mask (mask weight 0) are ignored, so land-only
    products with NaN over the ocean can be passed as they are. A NaN inside the mask would
    spread through the whole band of rows (the longitude transform mixes a row), so eager
    calls raise ``ValueError`` naming the first offending cell; under ``jit`` no check is
    possible and NaNs propagate.
    """

    # array leaves of the pytree, then static metadata
    _leaves = ("kernels", "kernel_index", "rows", "weight", "inv_den", "valid")
    _static = ("grid", "targets", "out_cols", "symmetric", "masked", "all_valid", "description")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        jax.tree_util.register_pytree_node(cls, cls._flatten, cls._unflatten)

    def _flatten(self):
        return ([getattr(self, k) for k in self._leaves],
                tuple(getattr(self, k) for k in self._static))

    @classmethod
    def _unflatten(cls, aux, leaves):
        obj = object.__new__(cls)
        for k, v in zip(cls._leaves, leaves, strict=True):
            object.__setattr__(obj, k, v)
        for k, v in zip(cls._static, aux, strict=True):
            object.__setattr__(obj, k, v)
        return obj

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)

    def _init_tables(self, grid: Grid, targets: Grid | None, mask, dtype, *, kernels,
                     kernel_index, rows, den, count, symmetric: bool, description: str):
        """Store the tables. ``den``/``count``: float64 (nout, ncol or 1) from exact sums."""
        dtype = _default_dtype(dtype)
        out_cols, _ = _target_columns(grid, targets)
        area = grid.row_area / grid.row_area.max()  # relative areas keep float32 well scaled
        weight = area[:, None] if mask is None else area[:, None] * mask
        valid = count > 0
        with np.errstate(divide="ignore"):
            inv_den = np.where(valid, 1.0 / np.where(valid, den, 1.0), 0.0)
        self._set(
            kernels=_pack_kernels(kernels, dtype, not symmetric),
            kernel_index=jnp.asarray(kernel_index, jnp.int32),
            rows=jnp.asarray(rows, jnp.int32),
            weight=jnp.asarray(weight, dtype),
            inv_den=jnp.asarray(inv_den, dtype),
            valid=jnp.asarray(valid),
            grid=grid,
            targets=targets,
            out_cols=None if targets is None else tuple(int(c) for c in out_cols),
            symmetric=symmetric,
            masked=mask is not None,
            all_valid=bool(np.all(valid)),
            description=description,
        )

    # -- shapes ------------------------------------------------------------------------------
    @property
    def dtype(self):
        return self.weight.dtype

    @property
    def in_shape(self) -> tuple[int, int]:
        return self.grid.shape

    @property
    def out_shape(self) -> tuple[int, int]:
        return self.grid.shape if self.targets is None else self.targets.shape

    @property
    def nband(self) -> int:
        """Number of input rows each output row reaches."""
        return self.rows.shape[0]

    def __repr__(self):
        tgt = "" if self.targets is None else f", targets={self.targets.resolution_deg}°"
        return (f"{type(self).__name__}({self.description}, grid={self.grid.resolution_deg}°"
                f"{tgt}, masked={self.masked}, band={self.nband} rows, dtype={self.dtype})")

    # -- application -------------------------------------------------------------------------
    def __call__(self, field):
        """Apply the operator to ``field`` of shape ``(..., nlat, nlon)``."""
        field = jnp.asarray(field) if not isinstance(field, jax.Array) else field
        if field.ndim < 2 or tuple(field.shape[-2:]) != self.in_shape:
            raise ValueError(f"field has shape {tuple(field.shape)}, expected (..., nlat, nlon) "
                             f"= (..., {self.in_shape[0]}, {self.in_shape[1]}) for {self!r}")
        if not jnp.issubdtype(field.dtype, jnp.floating):
            field = field.astype(self.dtype)
        if not isinstance(field, jax.core.Tracer) and not any(
            isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(self)
        ):
            self._check_no_nan(field)
        out_dtype = field.dtype
        y = _apply_jit(self, field.astype(self.dtype))
        return y.astype(out_dtype)

    def _check_no_nan(self, field):
        bad = jnp.isnan(field)
        if self.masked:
            bad = bad & (self.weight > 0)
        nbad = int(jnp.sum(bad))
        if nbad:
            idx = tuple(int(i) for i in np.unravel_index(int(jnp.argmax(bad.reshape(-1))),
                                                         field.shape))
            lat, lon = self.grid.lat[idx[-2]], self.grid.lon[idx[-1]]
            where = "inside the mask " if self.masked else ""
            raise ValueError(
                f"field has {nbad} NaN value(s) {where}(first at index {idx}, lat {lat:g}, "
                f"lon {lon:g}); NaNs would spread over whole latitude bands. Fill them, or pass "
                "a mask that excludes them"
            )

    # The linear map and its transpose, on arrays already in the operator dtype. Without a
    # mask, weights and 1/den are per row, so they are applied to the row spectra where XLA
    # fuses them into copies it makes anyway; with a mask they vary along longitude.
    def _forward(self, field):
        if self.masked:
            f = jnp.where(self.weight > 0, field * self.weight, 0.0)
            spec = jnp.fft.rfft(f, axis=-1)
        else:
            spec = jnp.fft.rfft(field, axis=-1)
            spec = spec * self.weight.astype(spec.dtype)
        out = _band(self, spec, transpose=False)
        if not self.masked:
            out = out * self.inv_den.astype(out.dtype)
        y = jnp.fft.irfft(out, n=self.grid.nlon, axis=-1)
        if self.out_cols is not None:
            y = jnp.take(y, jnp.asarray(self.out_cols), axis=-1)
        if self.masked:
            y = y * self.inv_den
        return y if self.all_valid else jnp.where(self.valid, y, jnp.nan)

    def _transpose(self, cotangent):
        g = cotangent if self.all_valid else jnp.where(self.valid, cotangent, 0.0)
        if self.masked:
            g = g * self.inv_den
        if self.out_cols is not None:
            full = jnp.zeros(g.shape[:-1] + (self.grid.nlon,), g.dtype)
            g = full.at[..., jnp.asarray(self.out_cols)].set(g)
        spec = jnp.fft.rfft(g, axis=-1)
        if not self.masked:
            spec = spec * self.inv_den.astype(spec.dtype)
        out = _band(self, spec, transpose=not self.symmetric)
        if not self.masked:
            out = out * self.weight.astype(out.dtype)
        return jnp.fft.irfft(out, n=self.grid.nlon, axis=-1) * (self.weight if self.masked else 1)


def _band(op: IsotropicOperator, spec, *, transpose: bool):
    """Sum over the band of rows of kernel spectrum × input spectrum (or its transpose).

    Args:
        spec: ``(..., nlat, nlon // 2 + 1)`` complex spectra of the weighted input rows
            (of the output rows for the transpose).
    """
    nin = op.grid.nlat
    nout = op.rows.shape[1]
    batch = spec.shape[:-2]
    nfreq = spec.shape[-1]
    kre = op.kernels[0]
    kim = op.kernels[1] if len(op.kernels) == 2 else None

    if not transpose:
        # Real and imaginary parts side by side, (..., rows, 2, nfreq): XLA:CPU vectorises
        # real arithmetic, while complex multiply-adds come out scalar.
        nband = op.rows.shape[0]
        ri = jnp.stack([jnp.real(spec), jnp.imag(spec)], axis=-2)
        # Blocks of output rows whose accumulators stay in cache (≈ 1 MB) while the band
        # loop runs over them: one accumulator for all rows would make the loop memory-bound.
        block = int(min(nout, max(8, (1 << 20) // (8 * nfreq * max(1, math.prod(batch))))))
        nblocks = -(-nout // block)
        pad = nblocks * block - nout
        kidx_p = jnp.pad(op.kernel_index, ((0, 0), (0, pad)))
        if op.symmetric:
            # centred band (see band_rows): step d of the block starting at row s reads the
            # contiguous rows s − B + d …, so slice a zero-padded copy instead of gathering
            half = (nband - 1) // 2
            ri_p = jnp.pad(ri, [(0, 0)] * len(batch) + [(half, half + pad), (0, 0), (0, 0)])
        else:
            rows_p = jnp.pad(op.rows, ((0, 0), (0, pad)))

        def block_step(b, out):
            start = b * block

            def step(acc, d):
                kidx = lax.dynamic_slice_in_dim(kidx_p[d], start, block)
                kr = jnp.take(kre, kidx, axis=0)[:, None, :]
                if op.symmetric:
                    f = lax.dynamic_slice_in_dim(ri_p, start + d, block, axis=-3)
                else:
                    f = jnp.take(ri, lax.dynamic_slice_in_dim(rows_p[d], start, block), -3)
                if kim is None:
                    return acc + kr * f, None
                ki = jnp.take(kim, kidx, axis=0)[:, None, :]
                i_times_f = jnp.concatenate([-f[..., 1:2, :], f[..., 0:1, :]], axis=-2)
                return acc + kr * f + ki * i_times_f, None

            zeros = jnp.zeros(batch + (block, 2, nfreq), ri.dtype)
            acc, _ = lax.scan(step, zeros, jnp.arange(nband), unroll=2)
            # written in place into the result: stacking blocks would cost a transpose copy
            return lax.dynamic_update_slice_in_dim(out, acc, start, axis=-3)

        out = jnp.zeros(batch + (nblocks * block, 2, nfreq), ri.dtype)
        out = lax.fori_loop(0, nblocks, block_step, out)[..., :nout, :, :]
        return lax.complex(out[..., 0, :], out[..., 1, :])
    else:
        # Cᵀ: conjugate kernels and scatter each output row back onto its input rows.
        spec_re, spec_im = jnp.real(spec), jnp.imag(spec)

        def step(acc, xs):
            kidx, rows = xs
            ar, ai = acc
            kr = jnp.take(kre, kidx, axis=0)
            ki = jnp.take(kim, kidx, axis=0)
            ar = ar.at[..., rows, :].add(kr * spec_re + ki * spec_im)
            ai = ai.at[..., rows, :].add(kr * spec_im - ki * spec_re)
            return (ar, ai), None

        zeros = jnp.zeros(batch + (nin, nfreq), spec_re.dtype)
        (ar, ai), _ = lax.scan(step, (zeros, zeros), (op.kernel_index, op.rows))
    return lax.complex(ar, ai)


def _apply_linear(op: IsotropicOperator, field):
    """``op`` as a linear map whose transpose is ``op._transpose`` (see module docstring)."""
    nout, ncol = op.out_shape
    same_shape = op.targets is None

    def solve(_, b):
        y = op._forward(b)
        if same_shape:
            return y
        # custom_linear_solve needs an output shaped like its input: embed the coarse result
        return jnp.zeros_like(b).at[..., :nout, :ncol].set(y)

    def transpose_solve(_, ct):
        return op._transpose(ct if same_shape else ct[..., :nout, :ncol])

    out = lax.custom_linear_solve(lambda x: x, field, solve, transpose_solve,
                                  symmetric=False)
    return out if same_shape else out[..., :nout, :ncol]


# One compiled program per operator structure and field shape: eager calls (the accessor,
# the functional forms) would otherwise dispatch the FFTs and loops one by one. Inside an
# outer jit, vmap or grad this is simply inlined.
_apply_jit = jax.jit(_apply_linear)


def _check_radius(radius_deg) -> float:
    try:
        r = float(radius_deg)
    except (TypeError, ValueError):
        raise ValueError(f"radius_deg must be a number of degrees, got {radius_deg!r}") from None
    if not (math.isfinite(r) and 0.0 < r <= 180.0):
        raise ValueError(f"radius_deg must be in (0, 180] degrees, got {radius_deg!r}")
    return r


def _out_lat(grid: Grid, targets: Grid | None) -> np.ndarray:
    return grid.lat if targets is None else targets.lat


def _counts_and_den(grid: Grid, windows: RowWindows, mask, out_cols):
    """Exact float64 cap weights and cell counts per output centre."""
    if mask is None:
        length = windows.length.astype(np.float64)
        den = np.sum(length * grid.row_area[windows.rows], axis=0) / grid.row_area.max()
        count = np.sum(windows.length, axis=0)
        return den[:, None], count[:, None]
    weight = grid.row_area[:, None] / grid.row_area.max() * mask
    den = window_sums(weight, windows, out_cols)
    count = np.rint(window_sums((mask > 0).astype(np.float64), windows, out_cols))
    return den, count


class CapAverage(IsotropicOperator):
    """Exact area-weighted mean over spherical caps of angular radius ``radius_deg``.

    A cell belongs to the cap around a centre when the great-circle distance between the
    two cell centres is at most ``radius_deg`` (cells exactly on the rim, to a relative
    tolerance of 1e-9, count). Weights are cell areas times the optional mask.

    Args:
        grid: the input grid.
        radius_deg: cap angular radius ψ in degrees, 0 < ψ ≤ 180.
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights (land-only or ocean-only
            means); cells of weight 0 are ignored, even if NaN.
        targets: optional coarser :class:`~jaxgeo.Grid` whose resolution is a whole multiple
            of ``grid``'s; the means are computed at its cell centres only.
        dtype: float32 or float64 tables (default: JAX's default float).

    Returns (when called on ``(..., nlat, nlon)``): the caps' means, same leading shape;
    NaN where a cap holds no cell of positive mask weight.
    """

    def __init__(self, grid: Grid, radius_deg: float, *, mask=None, targets: Grid | None = None,
                 dtype=None):
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a jaxgeo.Grid, got {type(grid).__name__}")
        if targets is not None and not isinstance(targets, Grid):
            raise TypeError(f"targets must be a jaxgeo.Grid or None, got {type(targets).__name__}")
        radius = _check_radius(radius_deg)
        mask = _check_mask(mask, grid)
        out_cols, delta = _target_columns(grid, targets)
        win = cap_windows(_out_lat(grid, targets), grid.lat, radius, grid.resolution_deg,
                          grid.nlon, delta, centered=targets is None)
        # Deduplicate windows: row pairs that share (lo, hi, length) share a spectrum.
        lo = np.where(win.length > 0, win.lo, 0)
        hi = np.where(win.length > 0, win.hi, -1)
        keys = np.stack([lo.ravel(), hi.ravel(), win.length.ravel()], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        spectra = dirichlet_kernels(uniq[:, 0], uniq[:, 1], uniq[:, 2], grid.nlon)
        symmetric = targets is None
        den, count = _counts_and_den(grid, win, mask, out_cols)
        self._init_tables(grid, targets, mask, dtype, kernels=spectra,
                          kernel_index=inverse.reshape(win.rows.shape), rows=win.rows,
                          den=den, count=count, symmetric=symmetric,
                          description=f"radius_deg={radius:g}")
        object.__setattr__(self, "radius_deg", radius)


class GaussianSmooth(IsotropicOperator):
    """Area-weighted mean under the Jekeli/Wahr Gaussian kernel of half-width ``half_width_km``.

    The kernel ``exp(−b (1 − cos α))``, ``b = ln 2 / (1 − cos(r/R))``, weights each cell by
    its area (times the optional mask) and is normalised by the discrete sum of weights, so
    a constant field is preserved. It is truncated where it falls below ``truncation`` of
    its peak (1e-10 by default; negligible even in float64 sums of a few thousand cells).

    Args:
        grid: the input grid.
        half_width_km: distance at which the kernel halves, km (e.g. 300 for GRACE).
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights.
        targets: optional coarser grid (whole multiple of the resolution).
        truncation: relative kernel value below which it is set to zero.
        dtype: float32 or float64 tables (default: JAX's default float).

    Reference: Jekeli (1981), OSU Rep. 327; Wahr, Molenaar & Bryan (1998), eq. 30–32.
    """

    def __init__(self, grid: Grid, half_width_km: float, *, mask=None,
                 targets: Grid | None = None, truncation: float = 1e-10, dtype=None):
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a jaxgeo.Grid, got {type(grid).__name__}")
        if not (0.0 < truncation < 1.0):
            raise ValueError(f"truncation must be in (0, 1), got {truncation!r}")
        b = gaussian_b(half_width_km, grid.radius_m / 1000.0)
        # exp(-b (1 - cos α)) = truncation  →  α_max
        one_minus_cos = math.log(1.0 / truncation) / b
        reach = 180.0 if one_minus_cos >= 2.0 else math.degrees(math.acos(1.0 - one_minus_cos))
        mask = _check_mask(mask, grid)
        out_cols, delta = _target_columns(grid, targets)
        out_lat = _out_lat(grid, targets)
        rows, valid = band_rows(out_lat, grid.lat, reach, centered=targets is None)
        nlon = grid.nlon
        phi = np.deg2rad(out_lat)[None, :, None]
        dlon = np.deg2rad(grid.resolution_deg) * (np.arange(nlon) - delta)
        spectra = np.empty(rows.shape + (nlon // 2 + 1,), np.complex128)
        chunk = max(1, int(2**24 // (rows.shape[1] * nlon)))
        for start in range(0, rows.shape[0], chunk):
            sl = slice(start, start + chunk)
            phi_in = np.deg2rad(grid.lat)[rows[sl]][:, :, None]
            cos_d = np.sin(phi) * np.sin(phi_in) + np.cos(phi) * np.cos(phi_in) * np.cos(dlon)
            kern = np.exp(-b * (1.0 - np.clip(cos_d, -1.0, 1.0)))
            kern = np.where((kern >= truncation) & valid[sl][:, :, None], kern, 0.0)
            # G(m) = Σ_k h_k exp(+2πi m k / n) = conj(rfft(h))
            spectra[sl] = np.conj(np.fft.rfft(kern, axis=-1))
        symmetric = targets is None
        row_w = grid.row_area[rows] / grid.row_area.max()
        if mask is None:
            den = np.sum(row_w * spectra[..., 0].real, axis=0)[:, None]
        else:
            den = _dense_band_sum(grid.row_area[:, None] / grid.row_area.max() * mask, rows,
                                  spectra, out_cols)
        # Outputs whose truncated kernel touches no masked cell are empty: count exactly
        # with the cap of the truncation radius.
        win = cap_windows(out_lat, grid.lat, reach, grid.resolution_deg, nlon, delta)
        _, count = _counts_and_den(grid, win, mask, out_cols)
        if not symmetric:
            spectra_flat = spectra.reshape(-1, spectra.shape[-1])
        else:
            spectra_flat = spectra.reshape(-1, spectra.shape[-1]).real
        self._init_tables(grid, targets, mask, dtype, kernels=spectra_flat,
                          kernel_index=np.arange(rows.size).reshape(rows.shape), rows=rows,
                          den=den, count=count, symmetric=symmetric,
                          description=f"half_width_km={half_width_km:g}")
        object.__setattr__(self, "half_width_km", float(half_width_km))


def _dense_band_sum(values, rows, spectra, out_cols):
    """float64 numpy band convolution of ``values`` (nlat, nlon) with per-pair spectra."""
    nlon = values.shape[1]
    spec = np.fft.rfft(values, axis=-1)
    acc = np.zeros((rows.shape[1], spec.shape[-1]), np.complex128)
    for d in range(rows.shape[0]):
        acc += spectra[d] * spec[rows[d]]
    out = np.fft.irfft(acc, n=nlon, axis=-1)
    return out[:, out_cols]


@functools.lru_cache(maxsize=16)
def _cached_cap(grid: Grid, radius_deg: float, dtype) -> CapAverage:
    return CapAverage(grid, radius_deg, dtype=dtype)


@functools.lru_cache(maxsize=16)
def _cached_gauss(grid: Grid, half_width_km: float, dtype) -> GaussianSmooth:
    return GaussianSmooth(grid, half_width_km, dtype=dtype)


def _op_dtype(field):
    dt = getattr(field, "dtype", None)
    if dt is not None and jnp.issubdtype(dt, jnp.floating) and jnp.dtype(dt) in (
            jnp.float32, jnp.float64):
        return _default_dtype(dt) if jnp.dtype(dt) == jnp.float32 or jax.config.jax_enable_x64 \
            else _default_dtype(None)
    return _default_dtype(None)


def cap_average(field, grid: Grid, radius_deg: float, *, mask=None):
    """Area-weighted mean of ``field`` over a cap of ``radius_deg`` around every cell.

    Functional form of :class:`CapAverage` (see it for the definition and NaN rules). The
    operator is built from ``grid``, ``radius_deg`` and ``mask`` on each call (cached when
    there is no mask); build a :class:`CapAverage` once to reuse it inside ``jit``.

    Args:
        field: ``(..., nlat, nlon)`` array.
        grid: the field's :class:`~jaxgeo.Grid`.
        radius_deg: cap angular radius in degrees.
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights.

    Returns:
        ``(..., nlat, nlon)`` cap means in ``field``'s dtype.
    """
    dtype = _op_dtype(field)
    op = (_cached_cap(grid, _check_radius(radius_deg), dtype) if mask is None
          else CapAverage(grid, radius_deg, mask=mask, dtype=dtype))
    return op(field)


def gaussian_smooth(field, grid: Grid, half_width_km: float, *, mask=None):
    """Gaussian (Jekeli/Wahr) smoothing of ``field`` with half-width ``half_width_km``.

    Functional form of :class:`GaussianSmooth`; built per call (cached without a mask).

    Args:
        field: ``(..., nlat, nlon)`` array.
        grid: the field's :class:`~jaxgeo.Grid`.
        half_width_km: distance at which the kernel halves, km.
        mask: optional ``(nlat, nlon)`` boolean or [0, 1] weights.
    """
    dtype = _op_dtype(field)
    op = (_cached_gauss(grid, float(half_width_km), dtype) if mask is None
          else GaussianSmooth(grid, half_width_km, mask=mask, dtype=dtype))
    return op(field)
