"""The band tables of an isotropic operator, built once in float64 numpy.

Within one latitude row, the cells that an isotropic kernel centred at (φ, λ) touches depend
on longitude only through ``|λ' − λ|``, so the operator is a set of circular convolutions
along longitude, one per (output row, input row) pair, restricted to the band of rows the
kernel reaches. :class:`BandTables` holds, per pair, the kernel's spectrum over longitude
wavenumbers, plus the cell weights and the exact normalisation of every output.

For a cap each row pair's kernel is a box (a window of contiguous cells) whose spectrum is a
Dirichlet kernel that depends only on the window, so only the distinct windows are stored
(≈ nlon/2 of them) with an index table; a Gaussian stores one spectrum per row pair. Sums
that normalise the means (``den``) and count the cells under each kernel are exact float64
sums (prefix sums over windows), never FFT round-off.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .._grid import Grid
from .._pytree import pytree_dataclass, static_field
from ._windows import RowWindows, band_rows, cap_windows, dirichlet_kernels, window_sums

__all__ = ["BandTables", "cap_tables", "gaussian_tables"]


@pytree_dataclass
class BandTables:
    """Everything the band kernel needs: kernel spectra per row pair, weights, normalisers.

    Leaves (arrays in the operator's dtype unless said):

    * ``kernel_re``, ``kernel_im``: ``(nkernel, nlon // 2 + 1)`` real and imaginary parts of
      the distinct kernel spectra; ``kernel_im`` is None for real (centred, symmetric) kernels.
    * ``kernel_index``: ``(nband, nout)`` int32, the spectrum of each (band step, output row).
    * ``rows``: ``(nband, nout)`` int32, the input row read at each band step.
    * ``weight``: ``(nlat, 1)`` relative row areas, or ``(nlat, nlon)`` area × mask.
    * ``inv_den``: ``(nout, 1 or ncol)`` one over the kernel-weighted sum of weights.
    * ``valid``: ``(nout, 1 or ncol)`` bool, False where a kernel covers no weighted cell.

    Static: ``nlon`` (input columns), ``out_cols`` (the input column of every output column
    with targets, else None), ``symmetric`` (real kernels on a centred band: ``C = Cᵀ`` and
    band step ``d`` of output row ``i`` reads input row ``i − B + d``), ``masked`` (weights
    vary along longitude), ``all_valid``.
    """

    kernel_re: jnp.ndarray
    kernel_im: jnp.ndarray | None
    kernel_index: jnp.ndarray
    rows: jnp.ndarray
    weight: jnp.ndarray
    inv_den: jnp.ndarray
    valid: jnp.ndarray
    nlon: int = static_field()
    out_cols: tuple[int, ...] | None = static_field()
    symmetric: bool = static_field()
    masked: bool = static_field()
    all_valid: bool = static_field()

    @property
    def dtype(self):
        return self.weight.dtype

    @property
    def nband(self) -> int:
        """Number of input rows each output row reaches."""
        return int(self.rows.shape[0])

    @property
    def nout(self) -> int:
        """Number of output rows."""
        return int(self.rows.shape[1])

    @property
    def ncol(self) -> int:
        """Number of output columns."""
        return self.nlon if self.out_cols is None else len(self.out_cols)


def target_columns(grid: Grid, targets: Grid | None):
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


def _out_lat(grid: Grid, targets: Grid | None) -> np.ndarray:
    return grid.lat if targets is None else targets.lat


MIN_SHARE = 100.0
"""Outputs whose kernel holds less than ``MIN_SHARE × eps`` (eps of the operator's dtype) of
its weight inside the mask are NaN: the transform's round-off, relative to the unmasked
weight, would dominate them (a Gaussian's far tail touching the mask: 1e4 × off in float32)."""


def _make_tables(grid: Grid, targets: Grid | None, mask, dtype, *, spectra, kernel_index,
                 rows, den, count, symmetric: bool, den_full=None) -> BandTables:
    """Cast the float64 tables to ``dtype``. ``den``/``count``: (nout, ncol or 1) exact sums;
    ``den_full``: ``den`` without the mask (masked tables only)."""
    out_cols, _ = target_columns(grid, targets)
    area = grid.row_area / grid.row_area.max()  # relative areas keep float32 well scaled
    weight = area[:, None] if mask is None else area[:, None] * mask
    valid = count > 0
    if mask is not None and den_full is not None:
        valid &= den >= MIN_SHARE * float(np.finfo(np.dtype(dtype)).eps) * den_full
    with np.errstate(divide="ignore"):
        inv_den = np.where(valid, 1.0 / np.where(valid, den, 1.0), 0.0)
    return BandTables(
        kernel_re=jnp.asarray(spectra.real, dtype),
        kernel_im=None if symmetric else jnp.asarray(spectra.imag, dtype),
        kernel_index=jnp.asarray(kernel_index, jnp.int32),
        rows=jnp.asarray(rows, jnp.int32),
        weight=jnp.asarray(weight, dtype),
        inv_den=jnp.asarray(inv_den, dtype),
        valid=jnp.asarray(valid),
        nlon=grid.nlon,
        out_cols=None if targets is None else tuple(int(c) for c in out_cols),
        symmetric=symmetric,
        masked=mask is not None,
        all_valid=bool(np.all(valid)),
    )


def counts_and_den(grid: Grid, windows: RowWindows, mask, out_cols):
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


def cap_tables(grid: Grid, radius_deg: float, mask, targets: Grid | None, dtype) -> BandTables:
    """Tables of the area-weighted mean over caps of ``radius_deg`` (validated inputs).

    Args:
        mask: None or ``(nlat, nlon)`` float64 weights in [0, 1].
        dtype: float32 or float64, the dtype of the floating tables.
    """
    out_cols, delta = target_columns(grid, targets)
    win = cap_windows(_out_lat(grid, targets), grid.lat, radius_deg, grid.resolution_deg,
                      grid.nlon, delta, centered=targets is None)
    # Deduplicate windows: row pairs that share (lo, hi, length) share a spectrum.
    lo = np.where(win.length > 0, win.lo, 0)
    hi = np.where(win.length > 0, win.hi, -1)
    keys = np.stack([lo.ravel(), hi.ravel(), win.length.ravel()], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    spectra = dirichlet_kernels(uniq[:, 0], uniq[:, 1], uniq[:, 2], grid.nlon)
    den, count = counts_and_den(grid, win, mask, out_cols)
    den_full = None if mask is None else counts_and_den(grid, win, None, out_cols)[0]
    return _make_tables(grid, targets, mask, dtype, spectra=spectra,
                        kernel_index=inverse.reshape(win.rows.shape), rows=win.rows,
                        den=den, count=count, symmetric=targets is None, den_full=den_full)


def gaussian_tables(grid: Grid, b: float, truncation: float, mask, targets: Grid | None,
                    dtype) -> BandTables:
    """Tables of the area-weighted mean under ``exp(−b (1 − cos α))``, truncated.

    Args:
        b: the kernel's shape parameter (:func:`~jaxgeo.sphere.gaussian_b`).
        truncation: relative kernel value below which it is zero, in (0, 1).
        mask: None or ``(nlat, nlon)`` float64 weights in [0, 1].
    """
    # exp(-b (1 - cos α)) = truncation  →  α_max
    one_minus_cos = math.log(1.0 / truncation) / b
    reach = 180.0 if one_minus_cos >= 2.0 else math.degrees(math.acos(1.0 - one_minus_cos))
    out_cols, delta = target_columns(grid, targets)
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
    den_full = np.sum(row_w * spectra[..., 0].real, axis=0)[:, None]
    if mask is None:
        den = den_full
    else:
        den = dense_band_sum(grid.row_area[:, None] / grid.row_area.max() * mask, rows,
                             spectra, out_cols)
    # Outputs whose truncated kernel touches no masked cell are empty: count exactly
    # with the cap of the truncation radius.
    win = cap_windows(out_lat, grid.lat, reach, grid.resolution_deg, nlon, delta)
    _, count = counts_and_den(grid, win, mask, out_cols)
    spectra_flat = spectra.reshape(-1, spectra.shape[-1])
    if symmetric:
        spectra_flat = spectra_flat.real
    return _make_tables(grid, targets, mask, dtype, spectra=spectra_flat,
                        kernel_index=np.arange(rows.size).reshape(rows.shape), rows=rows,
                        den=den, count=count, symmetric=symmetric, den_full=den_full)


def dense_band_sum(values, rows, spectra, out_cols):
    """float64 numpy band convolution of ``values`` (nlat, nlon) with per-pair spectra."""
    nlon = values.shape[1]
    spec = np.fft.rfft(values, axis=-1)
    acc = np.zeros((rows.shape[1], spec.shape[-1]), np.complex128)
    for d in range(rows.shape[0]):
        acc += spectra[d] * spec[rows[d]]
    out = np.fft.irfft(acc, n=nlon, axis=-1)
    return out[:, out_cols]
