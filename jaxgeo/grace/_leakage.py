"""The GRACE filter applied to a model field, and leakage scaling factors (gains).

A GRACE field is a truncated, (optionally) destriped and Gaussian-smoothed expansion; a
model field put through the same chain shows how much signal the filter moves or damps.
The scaling factor ``k`` minimises ``Σ_t (model − k · filtered(model))²`` (closed form
``k = Σ m f / Σ f²``), per cell or for a region mean; multiplying the GRACE field (or its
region series) by ``k`` restores the amplitude the filter took away.

Reference: Landerer & Swenson (2012), Water Resour. Res. 48, W04531.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._dtype import resolve_dtype
from .._grid import Grid
from ..constants import EARTH_RADIUS_M
from ..regions import area_weights
from ._analysis import AnalysisTable, analyze
from ._checks import check_lmax
from ._destripe import destripe as _destripe
from ._ewh import ewh_degree_factors
from ._synthesis import SynthesisTable, synthesize

_RADIUS_KM = EARTH_RADIUS_M / 1000.0


def _weights_np(half_width_km: np.ndarray, lmax: int) -> np.ndarray:
    # the host side of gaussian_weights (a value that came through a callback)
    from ..sphere import gaussian_legendre_weights

    return gaussian_legendre_weights(float(half_width_km), lmax)


def gaussian_weights(half_width_km, lmax: int) -> jax.Array:
    """Gaussian smoothing weights ``W_l`` (Jekeli/Wahr, ``W_0 = 1``) as a JAX function of
    ``half_width_km``, differentiable (also under ``jit`` and ``vmap``).

    The values are :func:`jaxgeo.sphere.gaussian_legendre_weights` (on the 6371 km sphere);
    the derivative uses ``d(i_l/i_0)/db = W_{l+1} + (l/b) W_l − W_1 W_l`` with Jekeli's
    ``b = ln 2 / (1 − cos(r/R))`` (in float32 without x64 it is good to about 1e-4).

    Args:
        half_width_km: positive scalar, km.
        lmax: maximum degree (static).

    Returns:
        ``(lmax + 1,)`` weights in JAX's default float (float64 with x64 enabled).

    Raises:
        ValueError: a bad ``lmax``, or (eager) a ``half_width_km`` not finite and > 0.
    """
    lmax = check_lmax(lmax, where="gaussian_weights", optional=False)
    if not isinstance(half_width_km, jax.core.Tracer):
        value = np.asarray(half_width_km, dtype=np.float64)
        if value.shape != () or not np.isfinite(value) or value <= 0:
            raise ValueError(f"gaussian_weights: half_width_km must be a finite number > 0, "
                             f"got {half_width_km!r}")
    return _weights(half_width_km, lmax)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _weights(half_width_km, lmax: int):
    dtype = resolve_dtype(None)
    shape = jax.ShapeDtypeStruct((lmax + 1,), dtype)

    def host(r):
        return _weights_np(r, lmax).astype(dtype)

    return jax.pure_callback(host, shape, jnp.asarray(half_width_km, dtype),
                             vmap_method="sequential")


@_weights.defjvp
def _gaussian_weights_jvp(lmax, primals, tangents):
    (r,), (dr,) = primals, tangents
    dtype = resolve_dtype(None)
    r = jnp.asarray(r, dtype)
    w = _weights(r, lmax + 1)
    x = r / _RADIUS_KM
    one_minus_cos = 2.0 * jnp.sin(x / 2.0) ** 2  # 1 − cos x without cancellation
    b = math.log(2.0) / one_minus_cos
    db_dr = -math.log(2.0) * jnp.sin(x) / _RADIUS_KM / one_minus_cos**2
    ell = jnp.arange(lmax + 1, dtype=dtype)
    dw_db = w[1:] + ell / b * w[:-1] - w[1] * w[:-1]
    return w[:-1], dw_db * db_dr * jnp.asarray(dr, dtype)


@functools.lru_cache(maxsize=2)  # a 0.25° table of degree 180 is ~0.2 GB
def _tables(grid: Grid, lmax: int, dtype):
    # concrete arrays even when first asked for inside jit (the cache outlives the trace)
    with jax.ensure_compile_time_eval():
        return (AnalysisTable.create(grid, lmax, dtype),
                SynthesisTable.create(grid, lmax, dtype))


def _check_half_width(half_width_km):
    if half_width_km is None or isinstance(half_width_km, jax.core.Tracer):
        return half_width_km
    value = np.asarray(half_width_km, dtype=np.float64)
    if value.shape != () or not np.isfinite(value) or value < 0:
        raise ValueError(f"filter_field: half_width_km must be a finite number >= 0 (0 or "
                         f"None: no smoothing), got {half_width_km!r}")
    return None if value == 0 else half_width_km


def filter_field(field, grid: Grid, *, lmax: int, half_width_km=None,
                 destripe: bool | dict = False) -> jax.Array:
    """The GRACE filter applied to a gridded field (e.g. a model's water storage).

    Analysis (:func:`analyze`) → truncation to ``lmax`` → optional Swenson & Wahr
    destriping (applied to the Stokes coefficients, i.e. after dividing by the EWH degree
    factors, as on a GRACE field) → Gaussian smoothing → synthesis. Linear in ``field``,
    pure and differentiable (in ``field`` and in ``half_width_km``); leading axes (months)
    are batched.

    Args:
        field: ``(..., nlat, nlon)`` values on ``grid`` (any unit; e.g. mm of water).
        grid: the grid.
        lmax: truncation degree, at most ``grid.nlat − 1``.
        half_width_km: Gaussian half-width, km; None or 0: no smoothing.
        destripe: apply :func:`jaxgeo.grace.destripe`: True with its default parameters,
            or a dict of its keyword parameters.

    Returns:
        the filtered field, same shape, float64 (x64) or the field's floating dtype.

    Raises:
        ValueError: ``lmax`` above ``nlat − 1``, a field not on the grid, a negative or
            non-finite ``half_width_km``, or (eager) a non-finite cell, named.
    """
    lmax = check_lmax(lmax, where="filter_field", optional=False)
    if not isinstance(grid, Grid):
        raise TypeError(f"filter_field: grid must be a jaxgeo.Grid, got {type(grid).__name__}")
    half_width_km = _check_half_width(half_width_km)
    field = jnp.asarray(field)
    if field.ndim < 2 or field.shape[-2:] != grid.shape:
        raise ValueError(f"filter_field: field must have shape (..., {grid.nlat}, "
                         f"{grid.nlon}) for the {grid.resolution_deg:g}° grid, got "
                         f"{field.shape}")
    if lmax > grid.nlat - 1:
        analyze(grid, field, lmax)  # raises the analysis' one-line error
    ana, syn = _tables(grid, lmax, np.dtype(resolve_dtype(None)))
    clm, slm = analyze(ana, field)
    w = jnp.ones(lmax + 1, clm.dtype)
    if destripe:
        f = jnp.asarray(ewh_degree_factors(lmax, radius_m=grid.radius_m), clm.dtype)
        params = destripe if isinstance(destripe, dict) else {}
        fb = jnp.broadcast_to(f[:, None], clm.shape)
        clm, slm = _destripe(clm / fb, slm / fb, **params)
        w = w * f
    if half_width_km is not None:
        w = w * gaussian_weights(half_width_km, lmax).astype(clm.dtype)
    wb = jnp.broadcast_to(w[:, None], clm.shape)
    return synthesize(syn, clm * wb, slm * wb)


def _model_and_filtered(model, grid, lmax, half_width_km, destripe):
    model = jnp.asarray(model)
    if model.ndim != 3:
        raise ValueError(f"scaling factors need a model series of shape (months, "
                         f"{grid.nlat}, {grid.nlon}), got {model.shape}")
    if model.shape[0] < 2:
        raise ValueError(f"scaling factors need at least 2 months of the model, got "
                         f"{model.shape[0]}")
    model = model - model.mean(axis=0, keepdims=True)
    return model, filter_field(model, grid, lmax=lmax, half_width_km=half_width_km,
                               destripe=destripe)


def scaling_factors(model, grid: Grid, *, lmax: int, half_width_km=None,
                    destripe: bool = False, mask=None) -> jax.Array:
    """Per-cell gain ``k = Σ_t m f / Σ_t f²`` of a model series ``m`` and its filtered
    ``f = filter_field(m)`` (both with their time mean removed): the ``k`` that minimises
    ``Σ_t (m − k f)²`` (Landerer & Swenson 2012). Multiply a GRACE field filtered the same
    way by it.

    Args:
        model: ``(months, nlat, nlon)`` model series on ``grid`` (e.g. mm of water),
            finite: fill the cells a land model leaves out (the ocean) with 0 first.
        grid, lmax, half_width_km, destripe: the filter, as :func:`filter_field`.
        mask: optional ``(nlat, nlon)`` booleans; cells outside are NaN.

    Returns:
        ``(nlat, nlon)`` gains, dimensionless; NaN where the filtered series is identically
        zero (no gain is defined) or outside ``mask``.
    """
    m, f = _model_and_filtered(model, grid, lmax, half_width_km, destripe)
    num = jnp.sum(m * f, axis=0)
    den = jnp.sum(f * f, axis=0)
    tiny = jnp.finfo(den.dtype).tiny
    k = jnp.where(den > tiny, num / jnp.where(den > tiny, den, 1.0), jnp.nan)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != grid.shape or mask.dtype != bool:
            raise ValueError(f"scaling_factors: mask must be ({grid.nlat}, {grid.nlon}) "
                             f"booleans, got {mask.dtype} {mask.shape}")
        k = jnp.where(mask, k, jnp.nan)
    return k


def region_gain(model, grid: Grid, region, *, lmax: int, half_width_km=None,
                destripe: bool = False) -> jax.Array:
    """Scalar gain for a region mean: ``k = Σ_t m̄ f̄ / Σ_t f̄²`` with ``m̄`` and ``f̄`` the
    area-weighted region means of the model and of the filtered model (time mean removed).
    Multiply a GRACE region series (filtered the same way) by it.

    Args:
        model: ``(months, nlat, nlon)`` model series on ``grid``.
        grid, lmax, half_width_km, destripe: the filter, as :func:`filter_field`.
        region: ``(nlat, nlon)`` booleans (e.g. :func:`jaxgeo.regions.polygon_mask`).

    Raises:
        ValueError: empty or misshapen region, or a model whose filtered region mean is
            identically zero (no gain is defined).
    """
    wts = jnp.asarray(area_weights(grid, region))
    m, f = _model_and_filtered(model, grid, lmax, half_width_km, destripe)
    mr = jnp.tensordot(m, wts, axes=2)
    fr = jnp.tensordot(f, wts, axes=2)
    den = jnp.sum(fr * fr)
    if not isinstance(den, jax.core.Tracer) and not float(den) > 0:
        raise ValueError("region_gain: the filtered model's region mean does not vary in "
                         "time; no gain is defined for this region")
    return jnp.sum(mr * fr) / den
