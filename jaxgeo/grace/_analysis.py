"""Spherical-harmonic analysis on a cell-centred :class:`jaxgeo.Grid`, in JAX: the inverse of
:func:`jaxgeo.grace.synthesize` for fields of degree ≤ ``nlat − 1``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._dtype import PRECISION, input_float_dtype, resolve_dtype
from .._grid import Grid
from .._pytree import pytree_dataclass, static_field
from ._checks import check_lmax
from ._synthesis import legendre_table


def max_analysis_degree(grid: Grid) -> int:
    """The largest degree :func:`analyze` recovers exactly on ``grid``: ``nlat − 1``
    (179 on a 1° grid, 35 on a 5° grid)."""
    return grid.nlat - 1


def fejer1_weights(n: int) -> np.ndarray:
    """Fejér's first quadrature rule on ``n`` cell-centred colatitudes ``θ_k = (k+½)π/n``.

    ``Σ_k w_k g(cos θ_k) = ∫_{-1}^{1} g(x) dx`` exactly for polynomials ``g`` of degree
    ``< n``; the weights sum to 2.

    Returns:
        float64 array of shape ``(n,)``, in the order of ``θ_k`` (symmetric, so also of the
        grid's ascending latitudes).

    Reference: Waldvogel (2006), BIT 46, 195–202, eq. 2.3 (Fejér 1933).
    """
    theta = (np.arange(n) + 0.5) * np.pi / n
    j = np.arange(1, n // 2 + 1, dtype=np.float64)[:, None]
    return 2.0 / n * (1.0 - 2.0 * np.sum(np.cos(2.0 * j * theta) / (4.0 * j**2 - 1.0), axis=0))


def _resampling(theta_src: np.ndarray, theta_dst: np.ndarray, odd: bool) -> np.ndarray:
    """Matrix interpolating samples at the ``n`` cell-centred colatitudes ``theta_src`` to
    ``theta_dst`` by the unique cosine (even orders m) or sine (odd m) series of ``n`` terms
    through them (inverse DCT-II / DST-II); exact for the latitude profiles of degree < n."""
    n = theta_src.size
    if odd:
        q = np.arange(1, n + 1, dtype=np.float64)
        coef = np.full(n, 2.0 / n)
        coef[-1] = 1.0 / n
        basis_src, basis_dst = np.sin(np.outer(theta_src, q)), np.sin(np.outer(theta_dst, q))
    else:
        q = np.arange(n, dtype=np.float64)
        coef = np.full(n, 2.0 / n)
        coef[0] = 1.0 / n
        basis_src, basis_dst = np.cos(np.outer(theta_src, q)), np.cos(np.outer(theta_dst, q))
    return (basis_dst * coef) @ basis_src.T


def analysis_weights(grid: Grid, lmax: int) -> np.ndarray:
    """``W[m, l, i]`` with ``C_lm = Σ_i W[m,l,i] Σ_k f_ik cos mλ_k`` (and S with sin) exact
    for fields of degree ≤ ``nlat − 1``, float64, shape ``(lmax+1, lmax+1, nlat)``.

    Each order's latitude profile is interpolated from the ``n = nlat`` rows to
    ``n + lmax + 1`` Fejér-1 colatitudes (its cosine/sine series on the full meridian circle
    has fewer than ``n`` terms, so the interpolation is exact), where Fejér's first rule
    integrates ``profile × P̄_lm`` exactly; the two steps are folded into one table.
    """
    n = grid.nlat
    theta_src = np.deg2rad(90.0 - np.asarray(grid.lat, np.float64))
    n_fine = n + lmax + 1
    theta_fine = (np.arange(n_fine) + 0.5) * np.pi / n_fine
    q = fejer1_weights(n_fine) * (np.deg2rad(grid.resolution_deg) / (4.0 * np.pi))
    resample = [_resampling(theta_src, theta_fine, odd=bool(parity)) for parity in (0, 1)]
    w = np.zeros((lmax + 1, lmax + 1, n))
    # in blocks of fine colatitudes: the Legendre block never exceeds the table's size
    for start in range(0, n_fine, n):
        block = slice(start, min(start + n, n_fine))
        p = legendre_table(90.0 - np.rad2deg(theta_fine[block]), lmax) * q[block]
        for parity in (0, 1):
            w[parity::2] += p[parity::2] @ resample[parity][block]
    return w


@pytree_dataclass
class AnalysisTable:
    """Precomputed tables for analysis of ``grid`` fields up to degree ``lmax``.

    Attributes:
        weights: latitude weights ``W[m, l, i]``, shape ``(lmax+1, lmax+1, nlat)``
            (:func:`analysis_weights`).
        phase_cos, phase_sin: ``cos(mλ_0)``, ``sin(mλ_0)`` of the first cell centre's
            longitude, shape ``(lmax+1,)`` (the FFT counts longitude from there).
        grid: the source grid (static).
        lmax: maximum degree (static), at most ``grid.nlat − 1``.
    """

    weights: jax.Array
    phase_cos: jax.Array
    phase_sin: jax.Array
    grid: Grid = static_field()
    lmax: int = static_field()

    @property
    def dtype(self):
        """The dtype the tables are stored and the analysis computed in."""
        return self.weights.dtype

    @classmethod
    def create(cls, grid: Grid, lmax: int, dtype=None) -> AnalysisTable:
        """Tables for ``grid`` up to degree ``lmax ≤ grid.nlat − 1`` (computed in float64,
        stored as ``dtype``, default JAX's default float)."""
        dtype = resolve_dtype(dtype)
        lmax = _check_degree(grid, lmax, where="AnalysisTable.create")
        m_lon0 = np.arange(lmax + 1) * np.deg2rad(grid.lon[0])
        return cls(jnp.asarray(analysis_weights(grid, lmax), dtype),
                   jnp.asarray(np.cos(m_lon0), dtype), jnp.asarray(np.sin(m_lon0), dtype),
                   grid, lmax)


def _check_degree(grid: Grid, lmax, *, where: str) -> int:
    lmax = check_lmax(lmax, where=where, optional=False)
    top = max_analysis_degree(grid)
    if lmax > top:
        raise ValueError(f"{where}: lmax={lmax} exceeds the largest degree a "
                         f"{grid.resolution_deg:g}° grid resolves ({top} = nlat - 1); use a "
                         f"finer grid or lmax <= {top}")
    return lmax


def analyze(table_or_grid: AnalysisTable | Grid, field: jax.Array, lmax: int | None = None
            ) -> tuple[jax.Array, jax.Array]:
    """Coefficients ``C_lm, S_lm`` of a gridded field: the inverse of
    :func:`~jaxgeo.grace.synthesize` (same normalisation: 4π fully normalised, no
    Condon–Shortley phase).

    ``C_lm = (1/4π) ∫ f P̄_lm cos mλ dΩ`` (``S_lm`` with ``sin mλ``), with the FFT in
    longitude and Fejér's first rule in latitude, after interpolating each order's latitude
    profile to a finer Fejér grid. Exact to round-off for fields of degree ≤ ``nlat − 1``
    (the most a grid of ``nlat`` rows resolves: 179 at 1°, 89 at 2°, 35 at 5°); the
    aliasing of higher degrees is not removed. Pure, linear and differentiable; leading
    batch axes (e.g. months) are mapped with ``vmap``.

    Args:
        table_or_grid: an :class:`AnalysisTable` (a pytree: pass it through ``jit``), or a
            :class:`jaxgeo.Grid` (the table is then built, on every call, in the field's
            floating dtype, and ``lmax`` is required).
        field: values at the cell centres, shape ``(..., nlat, nlon)`` (lat ascending).
        lmax: maximum degree, ``≤ nlat − 1``; with a table, None or the table's ``lmax``.

    Returns:
        ``(clm, slm)``, each ``[..., l, m]`` of shape ``(..., lmax+1, lmax+1)``, zero for
        m > l and ``slm[..., 0] = 0``; computed in the table's dtype, returned in the
        field's floating dtype (integers: the table's).

    Raises:
        ValueError: ``lmax`` above ``nlat − 1`` or not matching the table, a field not on
            the grid, or (in eager calls) a non-finite value, naming its cell.

    Reference: Driscoll & Healy (1994), Adv. Appl. Math. 15, 202–250 (sampling theorem);
    Reinecke, Belkner & Carron (2023), A&A 678, A165 (ducc0: upsampling along meridians).
    """
    field = jnp.asarray(field)
    if isinstance(table_or_grid, Grid):
        if lmax is None:
            raise ValueError("analyze: lmax is required when a Grid is given")
        lmax = _check_degree(table_or_grid, lmax, where="analyze")
        _check_shape(field, table_or_grid)
        table = AnalysisTable.create(table_or_grid, lmax,
                                     dtype=input_float_dtype(field, default=None))
    elif isinstance(table_or_grid, AnalysisTable):
        table = table_or_grid
        if lmax is not None:
            lmax = check_lmax(lmax, where="analyze", optional=False)
            if lmax != table.lmax:
                raise ValueError(f"analyze: lmax={lmax} differs from the table's "
                                 f"lmax={table.lmax}")
    else:
        raise TypeError(f"analyze: expected an AnalysisTable or a Grid, got "
                        f"{type(table_or_grid).__name__}")
    out_dtype = input_float_dtype(field, default=table.dtype)
    _check_shape(field, table.grid)
    check_finite_field(field, table.grid, where="analyze")
    f = _analyze_one
    for _ in field.shape[:-2]:
        f = jax.vmap(f, in_axes=(None, 0))
    clm, slm = f(table, field.astype(table.dtype))
    return clm.astype(out_dtype), slm.astype(out_dtype)


def _check_shape(field, grid: Grid) -> None:
    if field.ndim < 2 or field.shape[-2:] != grid.shape:
        raise ValueError(f"analyze: field must have shape (..., {grid.nlat}, {grid.nlon}) "
                         f"for the {grid.resolution_deg:g}° grid, got {field.shape}")


def check_finite_field(field: jax.Array, grid: Grid, *, where: str) -> None:
    """Refuse NaN/±inf in a concrete ``(..., nlat, nlon)`` field, naming the first such
    cell; traced values (inside ``jit``/``grad``) cannot be inspected and pass."""
    if isinstance(field, jax.core.Tracer) or bool(jnp.isfinite(field).all()):
        return
    idx = np.unravel_index(int(np.flatnonzero(~np.isfinite(np.asarray(field)))[0]),
                           field.shape)
    batch = f" at batch index {tuple(int(b) for b in idx[:-2])}" if idx[:-2] else ""
    i, j = int(idx[-2]), int(idx[-1])
    value = np.asarray(field)[idx]
    raise ValueError(f"{where}: field is {value} in cell (row {i}, column {j}) at lat "
                     f"{grid.lat[i]:g}°, lon {grid.lon[j]:g}°{batch}; fill or mask it first")


def _analyze_one(table: AnalysisTable, f):
    # FFT over longitude: Σ_k f_k e^{-imλ_k} = e^{-imλ_0} rfft(f)[m]; its real part is
    # Σ f cos mλ and minus its imaginary part Σ f sin mλ
    spec = jnp.fft.rfft(f, axis=-1)[:, : table.lmax + 1]
    re, im = jnp.real(spec), jnp.imag(spec)
    cos0, sin0 = table.phase_cos[None, :], table.phase_sin[None, :]
    a = re * cos0 + im * sin0
    b = re * sin0 - im * cos0
    # precision=HIGHEST: GPUs would otherwise round the operands to TF32 (10-bit mantissa)
    clm = jnp.einsum("mli,im->lm", table.weights, a, precision=PRECISION)
    slm = jnp.einsum("mli,im->lm", table.weights, b, precision=PRECISION)
    return clm, slm.at[:, 0].set(0.0)


def analyze_ewh(table: AnalysisTable, ewh: jax.Array, weights_m) -> tuple[jax.Array, jax.Array]:
    """Stokes coefficient anomalies from equivalent water height: the inverse of
    :func:`~jaxgeo.grace.synthesize_ewh` (``ΔC_lm = EWH_lm / w_l``).

    Args:
        table: :class:`AnalysisTable` of degree ``L``.
        ewh: equivalent water height in metres, shape ``(..., nlat, nlon)``.
        weights_m: the per-degree weights the EWH was synthesised with
            (:func:`~jaxgeo.grace.degree_weights`), shape ``(L+1,)``, m; all non-zero.

    Returns:
        ``(dclm, dslm)``, shape ``(..., L+1, L+1)``, dimensionless, dtype as :func:`analyze`.

    Reference: Wahr, Molenaar & Bryan (1998), J. Geophys. Res. 103(B12), 30205, eq. 14.
    """
    if not isinstance(table, AnalysisTable):
        raise TypeError(f"analyze_ewh: expected an AnalysisTable, got {type(table).__name__}")
    if not isinstance(weights_m, jax.core.Tracer):
        w = np.asarray(weights_m, dtype=np.float64)
        if w.shape != (table.lmax + 1,):
            raise ValueError(f"analyze_ewh: weights_m must have shape ({table.lmax + 1},), "
                             f"got {w.shape}")
        bad = ~np.isfinite(w) | (w == 0)
        if bad.any():
            ell = int(np.flatnonzero(bad)[0])
            raise ValueError(f"analyze_ewh: weights_m is {w[ell]} at degree {ell}; the EWH "
                             "weights must be finite and non-zero to be inverted")
    clm, slm = analyze(table, ewh)
    w = jnp.asarray(weights_m, table.dtype)
    inv = jnp.broadcast_to((1.0 / w)[:, None], clm.shape).astype(clm.dtype)
    return clm * inv, slm * inv

