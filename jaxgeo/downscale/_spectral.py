"""The spectral consistency term: the output's spherical-harmonic coefficients, seen through
the coarse product's filter, against the coarse field's, weighted by the product's errors.

Convention (the one the suite's coarse fields are made with,
:mod:`jaxgeo.downscale.experiments`): the coarse product is the *whole* signal, zero
outside the mask, put through the GRACE filter (truncation at degree ``L`` and a Gaussian),
and it is known only over the mask. So both sides are compared as fields that are known
over the mask and extended by zero:

* prediction: ``y = mask · filter(mask · pred)``;
* coarse field: ``g = mask · coarse`` (its values outside the mask are unknown);
* misfit: the coefficients up to ``L`` of ``y − g`` (:func:`jaxgeo.grace.analyze`),
  ``ΔC_lm, ΔS_lm``, summed with per-degree weights ``w_l``:
  ``Σ_lm w_l (ΔC_lm² + ΔS_lm²) / a``, with ``a`` the mask's fraction of the sphere.

A prediction equal to the truth whose filtered field is the coarse field gives zero
exactly (the filter, the masking and the analysis are the same linear operators on both
sides); comparing ``filter(pred)``'s coefficients with those of the zero-extended coarse
field directly would not be, since the filter moves signal across the mask's edge.

Weights: ``w_l ∝ 1 / v_l``, where ``v_l`` is the variance of one coefficient of degree
``l`` of the product's *noise seen the same way* (global noise with per-coefficient
standard deviation ``σ_l`` of the unfiltered solution, put through the filter, masked,
analysed), estimated once by Monte Carlo (fixed seed, :data:`NOISE_DRAWS` draws): masking
moves the steep high-degree noise into low degrees, which ``σ_l`` alone does not say. The
weights are then scaled so that the term's expected value for the noise alone equals the
noise's mean square over the mask (what an unweighted misfit would give): the weighting
moves trust between degrees without changing the term's scale. Only the shape of
``σ_l`` matters. Default ``σ_l``: :func:`default_degree_sigma`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._grid import Grid
from .._pytree import pytree_dataclass, static_field

__all__ = ["NOISE_DRAWS", "SpectralConsistency", "default_degree_sigma"]

#: Monte Carlo draws of the product's noise for the per-degree variances (fixed seed 0)
NOISE_DRAWS = 32


def default_degree_sigma(lmax: int) -> np.ndarray:
    """The default degree-error model: per-coefficient standard deviation
    ``σ_l = e^{l/12} / √(2l + 1)`` of the unfiltered solution (degree amplitude
    ``e^{l/12}``), relative.

    An exponential rise with degree is the shape of GRACE's calibrated degree errors
    between degrees ~10 and 60 (they rise by 2–3 orders of magnitude over that band); it is
    also the noise model of :mod:`jaxgeo.downscale.experiments`, so on the suite this
    default is the right one by construction, which a real product's calibrated errors
    would have to earn. Pass a product's own curve as ``LossConfig.spectral_sigma``.
    """
    deg = np.arange(int(lmax) + 1, dtype=np.float64)
    return np.exp(deg / 12.0) / np.sqrt(2.0 * deg + 1.0)


@pytree_dataclass
class SpectralConsistency:
    """The spectral consistency operator of one grid and mask (see the module docstring).

    Built by :meth:`create`; called as ``op(pred, clm, slm)`` with ``(clm, slm)`` from
    :meth:`targets`. Pure, linear before the square, differentiable, jit-able.

    Attributes:
        analysis: :class:`~jaxgeo.grace.AnalysisTable` of degree ``lmax``.
        synthesis: :class:`~jaxgeo.grace.SynthesisTable` of degree ``lmax``.
        filter_weights: ``(lmax+1,)`` the product's degree weights (Gaussian; 1 without).
        weight_c, weight_s: ``(lmax+1, lmax+1)`` ``[l, m]`` weights of ``ΔC``/``ΔS``,
            divided by the mask's area fraction (zero for m > l and for ``S_l0``).
        mask: ``(nlat, nlon)`` 1 on the mask, 0 elsewhere.
        shift: the normalised value of a zero field (``offset / scale`` of the run's
            normalisation), added before masking so that zero outside the mask is zero.
        lmax: the product's degree (static).
    """

    analysis: object
    synthesis: object
    filter_weights: jax.Array
    weight_c: jax.Array
    weight_s: jax.Array
    mask: jax.Array
    shift: jax.Array
    lmax: int = static_field()

    @classmethod
    def create(cls, grid: Grid, mask, lmax: int, *, half_width_km: float | None,
               sigma=None, shift: float = 0.0, dtype=jnp.float32) -> SpectralConsistency:
        """The operator on ``grid`` over ``mask`` for a product of degree ``lmax``
        smoothed by a ``half_width_km`` Gaussian (None: truncation only), with
        per-coefficient errors ``sigma`` (``(≥ lmax+1,)``; None: :func:`default_degree_sigma`).

        Raises:
            ValueError: ``lmax`` above what the grid resolves (``nlat − 1``), ``sigma``
                shorter than ``lmax + 1`` or not finite and > 0, or an empty mask.
        """
        from ..grace import AnalysisTable, SynthesisTable, max_analysis_degree
        from ..sphere import gaussian_legendre_weights

        top = max_analysis_degree(grid)
        if lmax > top:
            raise ValueError(f"LossConfig.spectral_lmax={lmax} exceeds the largest degree "
                             f"the {grid.resolution_deg:g}° grid resolves ({top} = nlat - 1)")
        sigma = default_degree_sigma(lmax) if sigma is None else np.asarray(sigma, np.float64)
        if sigma.ndim != 1 or sigma.size < lmax + 1:
            raise ValueError(f"LossConfig.spectral_sigma has {sigma.size} values; degree "
                             f"{lmax} needs {lmax + 1} (degrees 0..{lmax})")
        sigma = sigma[: lmax + 1]
        if not np.all(np.isfinite(sigma) & (sigma > 0)):
            ell = int(np.flatnonzero(~(np.isfinite(sigma) & (sigma > 0)))[0])
            raise ValueError(f"LossConfig.spectral_sigma is {sigma[ell]!r} at degree {ell}; "
                             "every per-degree error must be finite and > 0")
        mask = np.asarray(mask, bool)
        if not mask.any():
            raise ValueError("the spectral consistency term needs a mask with at least one "
                             "cell")
        wf = (np.ones(lmax + 1) if half_width_km is None
              else gaussian_legendre_weights(float(half_width_km), lmax))
        ana = AnalysisTable.create(grid, lmax, dtype)
        syn = SynthesisTable.create(grid, lmax, dtype)
        op = cls(ana, syn, jnp.asarray(wf, dtype), jnp.ones((lmax + 1, lmax + 1), dtype),
                 jnp.ones((lmax + 1, lmax + 1), dtype), jnp.asarray(mask, dtype),
                 jnp.asarray(shift, dtype), lmax)
        # the product's noise seen as the misfit sees it: filtered, masked, analysed
        rng = np.random.default_rng(0)
        n = lmax + 1
        lower = np.tri(n)
        sd = sigma[:, None] * lower
        c = rng.standard_normal((NOISE_DRAWS, n, n)) * sd
        s = rng.standard_normal((NOISE_DRAWS, n, n)) * sd
        s[..., 0] = 0.0
        nc, ns = _noise(op, jnp.asarray(c, dtype), jnp.asarray(s, dtype))
        power = (np.sum(np.asarray(nc, np.float64) ** 2, axis=(0, 2))
                 + np.sum(np.asarray(ns, np.float64) ** 2, axis=(0, 2)))
        v = power / (NOISE_DRAWS * (2.0 * np.arange(n) + 1.0))   # per coefficient
        v = np.maximum(v, 1e-12 * v.max())
        area = np.where(mask, grid.cell_area, 0.0).sum() / grid.cell_area.sum()
        # w_l = v̄ / v_l: the expected term for the noise alone is Σ v̄ / a (its mean square
        # over the mask up to degree lmax), as with unit weights
        w = (power.sum() / (NOISE_DRAWS * n * n)) / v / area
        wc = w[:, None] * lower
        ws = wc.copy()
        ws[:, 0] = 0.0
        return cls(ana, syn, op.filter_weights, jnp.asarray(wc, dtype), jnp.asarray(ws, dtype),
                   op.mask, op.shift, lmax)

    def targets(self, coarse):
        """``(clm, slm)`` ``(..., lmax+1, lmax+1)`` of the coarse field ``(..., nlat,
        nlon)`` (normalised like the prediction) over the mask, zero elsewhere; NaN
        outside the mask is ignored."""
        return _targets(self, jnp.asarray(coarse, self.mask.dtype))

    def month_targets(self, coarse: np.ndarray, chunk: int = 16):
        """:meth:`targets` of ``(T, nlat, nlon)`` months, ``chunk`` at a time, as float32
        NumPy arrays (what :func:`~jaxgeo.downscale.fit` hands to the training loop)."""
        parts = [self.targets(coarse[i:i + chunk]) for i in range(0, len(coarse), chunk)]
        return tuple(np.concatenate([np.asarray(p[k]) for p in parts]).astype(np.float32)
                     for k in (0, 1))

    def __call__(self, pred, clm, slm):
        """Mean over leading axes of ``Σ_lm w_l (ΔC_lm² + ΔS_lm²) / a`` (see the module)."""
        return _term(self, pred, clm, slm)


def _masked(op: SpectralConsistency, field):
    x = field + op.shift.astype(field.dtype)
    return jnp.where(jnp.broadcast_to(op.mask, x.shape) > 0, x, jnp.zeros((), x.dtype))


def _filtered(op: SpectralConsistency, field):
    """``mask · filter(field)`` for a global field ``(..., nlat, nlon)``."""
    from ..grace import analyze, synthesize

    c, s = analyze(op.analysis, field)
    wb = jnp.broadcast_to(op.filter_weights[:, None], c.shape).astype(c.dtype)
    y = synthesize(op.synthesis, c * wb, s * wb)
    return jnp.where(jnp.broadcast_to(op.mask, y.shape) > 0, y, jnp.zeros((), y.dtype))


@jax.jit
def _noise(op: SpectralConsistency, clm, slm):
    """The analysed ``mask · filter(noise)`` of noise coefficients ``clm, slm``."""
    from ..grace import analyze, synthesize

    return analyze(op.analysis, _filtered(op, synthesize(op.synthesis, clm, slm)))


@jax.jit
def _targets(op: SpectralConsistency, coarse):
    from ..grace import analyze

    return analyze(op.analysis, _masked(op, coarse))


@jax.jit
def _term(op: SpectralConsistency, pred, clm, slm):
    from ..grace import analyze

    c, s = analyze(op.analysis, _filtered(op, _masked(op, pred)))
    dc, ds = c - clm.astype(c.dtype), s - slm.astype(s.dtype)
    wc = jnp.broadcast_to(op.weight_c, dc.shape).astype(dc.dtype)
    ws = jnp.broadcast_to(op.weight_s, ds.shape).astype(ds.dtype)
    return jnp.mean(jnp.sum(wc * dc**2 + ws * ds**2, axis=(-2, -1)))
