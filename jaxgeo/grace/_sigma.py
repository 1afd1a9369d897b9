"""Formal errors of gridded and region-mean equivalent water height from the calibrated
coefficient sigmas of Level-2 files, in the diagonal approximation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._dtype import PRECISION
from .._grid import Grid
from ..regions import area_weights
from ..units import scale_from_metres
from ._ewh import degree_weights
from ._synthesis import SynthesisTable

DIAGONAL_NOTE = ("diagonal approximation: coefficient errors taken as independent; "
                 "correlations ignored, so striped solutions are underestimated")


def _weighted_variances(table: SynthesisTable, sigma_clm, sigma_slm, weights_m):
    sc, ss = jnp.asarray(sigma_clm, table.dtype), jnp.asarray(sigma_slm, table.dtype)
    n = table.lmax + 1
    if sc.shape != ss.shape or sc.shape[-2:] != (n, n):
        raise ValueError(f"sigma_clm/sigma_slm must have shape (..., {n}, {n}), got "
                         f"{sc.shape} and {ss.shape}")
    w = jnp.asarray(weights_m, table.dtype)
    if w.shape != (n,):
        raise ValueError(f"weights_m must have shape ({n},), got {w.shape}")
    # entries with m > l are ignored, as in synthesize
    lower = jnp.tril(jnp.ones((n, n), table.dtype))
    # broadcast explicitly over leading batch axes (jax_numpy_rank_promotion="raise")
    w2 = jnp.broadcast_to((w ** 2)[:, None] * lower, sc.shape)
    return sc ** 2 * w2, ss ** 2 * w2


def ewh_variance_grid(table: SynthesisTable, sigma_clm, sigma_slm, weights_m) -> jax.Array:
    """Variance of the synthesised EWH in each cell, squared units of ``weights_m``.

    ``var f(φ, λ) = Σ_lm w_l² (σC_lm² cos² mλ + σS_lm² sin² mλ) P̄_lm(sin φ)²``.
    Differentiable.

    Diagonal approximation: the coefficients are treated as independent (the files give
    no covariances), so correlated errors are ignored; for striped (unfiltered,
    correlated) solutions this underestimates the real error.

    Args:
        table: :class:`SynthesisTable` of degree ``L``.
        sigma_clm, sigma_slm: coefficient standard deviations ``[..., l, m]``, shape
            ``(..., L+1, L+1)``.
        weights_m: per-degree weights (:func:`degree_weights`, Gaussian smoothing
            included), shape ``(L+1,)``.

    Returns:
        array ``(..., nlat, nlon)`` in the table's dtype.
    """
    vc, vs = _weighted_variances(table, sigma_clm, sigma_slm, weights_m)
    n = table.lmax + 1
    p2 = table.plm ** 2
    a = jnp.einsum("mlj,...lm->...mj", p2, vc, precision=PRECISION)
    b = jnp.einsum("mlj,...lm->...mj", p2, vs, precision=PRECISION)
    return (jnp.einsum("...mj,mk->...jk", a, table.trig[:n] ** 2, precision=PRECISION)
            + jnp.einsum("...mj,mk->...jk", b, table.trig[n:] ** 2, precision=PRECISION))


def ewh_sigma_grid(table: SynthesisTable, sigma_clm, sigma_slm, weights_m) -> jax.Array:
    """Standard deviation of the synthesised EWH in each cell (units of ``weights_m``):
    the square root of :func:`ewh_variance_grid` (its gradient is infinite where the
    variance is 0).

    Diagonal approximation: the coefficients are treated as independent (the files give
    no covariances), so correlated errors are ignored; for striped (unfiltered,
    correlated) solutions this underestimates the real error.

    Reference: the standard propagation of uncorrelated coefficient errors, e.g.
    Wahr, Swenson & Velicogna (2006), GRL 33, L06401, and Swenson & Wahr (2002).
    """
    return jnp.sqrt(ewh_variance_grid(table, sigma_clm, sigma_slm, weights_m))


def region_harmonics(table: SynthesisTable, region) -> tuple[jax.Array, jax.Array]:
    """Area-weighted region means ``A_lm``, ``B_lm`` of ``P̄_lm(sin φ) cos mλ`` and
    ``P̄_lm(sin φ) sin mλ`` over the cells of ``region`` (a boolean mask on the table's
    grid, weights of :func:`jaxgeo.regions.area_weights`), each ``(L+1, L+1)`` ``[l, m]``:
    the region mean of a synthesised field is ``Σ (C_lm A_lm + S_lm B_lm)``."""
    grid: Grid = table.grid
    wgt = jnp.asarray(area_weights(grid, region), table.dtype)
    n = table.lmax + 1
    wt = jnp.einsum("jk,mk->jm", wgt, table.trig, precision=PRECISION)  # (nlat, 2n)
    a = jnp.einsum("mlj,jm->lm", table.plm, wt[:, :n], precision=PRECISION)
    b = jnp.einsum("mlj,jm->lm", table.plm, wt[:, n:], precision=PRECISION)
    lower = jnp.tril(jnp.ones((n, n), table.dtype))
    return a * lower, b * lower


def region_sigma(table: SynthesisTable, sigma_clm, sigma_slm, weights_m,
                 region) -> jax.Array:
    """Standard deviation of the area-weighted region mean of the synthesised EWH
    (units of ``weights_m``), shape ``(...)``.

    ``var = Σ_lm w_l² (σC_lm² A_lm² + σS_lm² B_lm²)`` with ``A_lm``, ``B_lm`` from
    :func:`region_harmonics`.

    Diagonal approximation: the coefficients are treated as independent (the files give
    no covariances), so correlated errors are ignored; for striped (unfiltered,
    correlated) solutions this underestimates the real error.

    Args:
        table, sigma_clm, sigma_slm, weights_m: as in :func:`ewh_variance_grid`.
        region: boolean mask ``(nlat, nlon)`` on ``table.grid``.
    """
    vc, vs = _weighted_variances(table, sigma_clm, sigma_slm, weights_m)
    a, b = region_harmonics(table, region)
    a2, b2 = jnp.broadcast_to(a ** 2, vc.shape), jnp.broadcast_to(b ** 2, vs.shape)
    return jnp.sqrt(jnp.sum(vc * a2 + vs * b2, axis=(-2, -1)))


def check_sigmas(series) -> None:
    """Refuse a series without sigmas, or with negative or non-finite ones; the message
    names the file, the degree and the order."""
    missing = (range(len(series.paths)) if series.sigma_clm is None else
               [t for t in range(len(series.paths)) if np.isnan(series.sigma_clm[t]).all()])
    for t in missing:
        raise ValueError(f"{series.paths[t]}: no coefficient sigmas (no sigma_C/sigma_S "
                         "columns in its rows); cannot compute lwe_thickness_sigma")
    n = series.lmax + 1
    lower = np.tril(np.ones((n, n), bool))
    for name, s in (("sigma_C", series.sigma_clm), ("sigma_S", series.sigma_slm)):
        bad = ~(np.isfinite(s) & (s >= 0)) & lower
        if bad.any():
            t, ell, m = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(f"{series.paths[t]}: {name} at degree {ell}, order {m} is "
                             f"{float(s[t, ell, m])!r}; a standard deviation must be finite and "
                             f">= 0 ({int(bad.sum())} bad in all)")


def region_sigma_series(series, grid: Grid, region, *, half_width_km: float | None = None,
                        units: str = "mm") -> np.ndarray:
    """Formal standard deviation of the region-mean EWH of every month of a Level-2 series,
    from its calibrated coefficient sigmas (:func:`region_sigma` with the degree weights of
    :func:`~jaxgeo.grace.ewh_grid`: load Love numbers and Gaussian smoothing).

    Diagonal approximation (see :func:`region_sigma`); the mean field's error is ignored and
    destriping is not propagated (give the sigma of the undestriped, smoothed field).
    Multiply by the region's area in km² and 1e-6 for Gt (1 mm over 1 km² is 1e-6 Gt).

    Args:
        series: :class:`~jaxgeo.grace.L2Series` with ``sigma_clm``/``sigma_slm`` (read
            from the files; TN-13/TN-14 replacements carry the notes' sigmas).
        grid: the grid of the region mask.
        region: boolean ``(nlat, nlon)`` mask on ``grid``.
        half_width_km: Gaussian smoothing half-width, km, or None.
        units: ``"mm"``, ``"cm"`` or ``"m"``.

    Returns:
        float64 array ``(months,)`` in ``units``.

    Raises:
        ValueError: a series without sigmas, or a bad region (as :func:`region_sigma`).
    """
    check_sigmas(series)
    table = SynthesisTable.create(grid, series.lmax)
    w = degree_weights(series.lmax, radius_m=series.radius_m,
                       half_width_km=half_width_km) * scale_from_metres(units)
    return np.asarray(region_sigma(table, series.sigma_clm, series.sigma_slm, w,
                                   np.asarray(region, bool)), np.float64)
