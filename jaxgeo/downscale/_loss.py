"""The training loss: its settings, its constants (operators and weights) and their sum."""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .._deprecation import renamed
from .._grid import Grid
from .._pytree import pytree_dataclass
from . import losses

__all__ = ["LossConfig", "LossConstants", "composite_loss", "loss_constants"]

SIMILARITY = {
    "mae_decorrelation": losses.mae_decorrelation,
    "mse": losses.mse,
    "gradient": losses.gradient_matching,
}


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Terms and weights of the loss.

    The defaults are the best measured settings (squared misfit of cap means of the
    prediction seen through the coarse product's 300 km smoothing; see the README);
    :meth:`published` is the loss of Gou & Soja (2024).

    Attributes:
        cap_weight: weight of :func:`~jaxgeo.downscale.losses.cap_consistency`.
        cap_power: 2 (squared, the default) or 1 (absolute, as published) cap misfit.
        similarity: model-similarity terms, a tuple of names among ``mae_decorrelation``,
            ``mse`` and ``gradient``.
        similarity_weights: one weight per similarity term.
        observation_half_width_km: half-width (km) of a Gaussian that models the coarse
            product's own smoothing; when set, the prediction is smoothed by it (over the
            mask) before its cap means are compared with the coarse field's, so like is
            compared with like (default 300 km, GRACE's effective smoothing). None compares
            raw cap means, as published.
        targets_resolution_deg: evaluate the caps only at the cell centres of this coarser
            grid (a multiple of the data grid's resolution); None: at every cell.
        spectral_weight: weight of the spectral consistency term
            (:class:`~jaxgeo.downscale._spectral.SpectralConsistency`): the output's
            spherical-harmonic coefficients up to ``spectral_lmax``, seen through the
            coarse product's filter over the mask, against the coarse field's, weighted by
            the product's per-degree errors. 0 (default): off. An alternative to the cap
            term (``cap_weight=0``) or a complement to it.
        spectral_lmax: the coarse product's truncation degree; None: ``min(60, nlat − 1)``
            (:func:`jaxgeo.downscale.experiments.grace_lmax`).
        spectral_half_width_km: half-width (km) of the product's Gaussian smoothing (default
            300); None: truncation only.
        spectral_sigma: per-degree standard deviation of one coefficient of the product's
            unfiltered solution (degrees 0..``spectral_lmax``; e.g. the RMS over orders of
            a Level-2 file's calibrated ``sigma_C``/``sigma_S``), relative: only its shape
            matters. None: :func:`~jaxgeo.downscale._spectral.default_degree_sigma`
            (``e^{l/12}/√(2l+1)``).

    The retired keyword ``observation_km`` still works for one release (DeprecationWarning).
    """

    cap_weight: float = 1.0
    cap_power: int = 2
    similarity: tuple[str, ...] = ("mae_decorrelation",)
    similarity_weights: tuple[float, ...] = (1.0,)
    observation_half_width_km: float | None = 300.0
    targets_resolution_deg: float | None = None
    spectral_weight: float = 0.0
    spectral_lmax: int | None = None
    spectral_half_width_km: float | None = 300.0
    spectral_sigma: tuple[float, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "similarity", tuple(self.similarity))
        _check_spectral(self)
        object.__setattr__(self, "similarity_weights",
                           tuple(float(w) for w in self.similarity_weights))
        unknown = [s for s in self.similarity if s not in SIMILARITY]
        if unknown:
            raise ValueError(f"unknown similarity term(s) {unknown}; choose from "
                             f"{sorted(SIMILARITY)}")
        if len(self.similarity) != len(self.similarity_weights):
            raise ValueError("LossConfig.similarity and similarity_weights differ in length")
        if self.cap_power not in (1, 2):
            raise ValueError(f"cap_power must be 1 or 2, got {self.cap_power!r}")
        for name in ("observation_half_width_km", "targets_resolution_deg", "cap_weight"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float, np.floating, np.integer))
                                      and np.isfinite(v) and (v > 0 or name == "cap_weight"
                                                              and v == 0)):
                raise ValueError(f"{name} must be a positive number (or None), got {v!r}")

    @classmethod
    def published(cls, **changes) -> LossConfig:
        """The published loss of Gou & Soja (2024): L1 misfit of raw cap means
        (``cap_power=1``, ``observation_half_width_km=None``) + ``MAE·(1 − ρ)``.

        ``changes``: other fields to set on it. With ``fit(..., noise2self=False)`` (the
        published inputs) it reproduces the published set-up.
        """
        return cls(**{"cap_power": 1, "observation_half_width_km": None, **changes})


_loss_config_init = LossConfig.__init__


@functools.wraps(_loss_config_init)
def _init_with_retired(self, *args, **kwargs):
    if "observation_km" in kwargs:
        kwargs["observation_half_width_km"] = renamed(
            kwargs, "observation_km", "observation_half_width_km", where="LossConfig",
            current=kwargs.get("observation_half_width_km"))
    _loss_config_init(self, *args, **kwargs)


LossConfig.__init__ = _init_with_retired


def _number(v) -> bool:
    return (isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
            and bool(np.isfinite(v)))


def _check_spectral(cfg: LossConfig) -> None:
    """The spectral fields of ``cfg`` (one-line ValueErrors naming the field)."""
    w = cfg.spectral_weight
    if not (_number(w) and w >= 0):
        raise ValueError(f"LossConfig.spectral_weight must be a finite number >= 0, got {w!r}")
    lmax = cfg.spectral_lmax
    if lmax is not None and not (isinstance(lmax, (int, np.integer))
                                 and not isinstance(lmax, bool) and lmax >= 1):
        raise ValueError(f"LossConfig.spectral_lmax must be an integer >= 1 (or None), got "
                         f"{lmax!r}")
    hw = cfg.spectral_half_width_km
    if hw is not None and not (_number(hw) and hw > 0):
        raise ValueError(f"LossConfig.spectral_half_width_km must be a positive number (or "
                         f"None: no smoothing), got {hw!r}")
    sigma = cfg.spectral_sigma
    if sigma is None:
        return
    if isinstance(sigma, (str, bytes)) or np.ndim(sigma) != 1:
        raise ValueError(f"LossConfig.spectral_sigma must be a sequence of per-degree "
                         f"errors, got {sigma!r}")
    sigma = tuple(sigma)
    for ell, v in enumerate(sigma):
        if not (_number(v) and v > 0):
            raise ValueError(f"LossConfig.spectral_sigma is {v!r} at degree {ell}; every "
                             "per-degree error must be finite and > 0")
    if lmax is not None and len(sigma) != lmax + 1:
        raise ValueError(f"LossConfig.spectral_sigma has {len(sigma)} values; "
                         f"spectral_lmax={lmax} needs {lmax + 1} (degrees 0..{lmax})")
    object.__setattr__(cfg, "spectral_sigma", tuple(float(v) for v in sigma))


@pytree_dataclass
class LossConstants:
    """What the loss needs besides the batch, built once per run by :func:`loss_constants`.

    Attributes:
        cap_op: the masked float32 :class:`~jaxgeo.sphere.CapAverage` (targets optional).
        centre_weights: ``(tlat, tlon)`` float32 weights of the cap centres (max 1), zero
            where a cap has no mask weight.
        pixel_weights: ``(nlat, nlon)`` float32 cell areas over the mask (max 1).
        observation_op: the :class:`~jaxgeo.sphere.GaussianSmooth` of the coarse
            product's smoothing, or None.
        spectral_op: the :class:`~jaxgeo.downscale._spectral.SpectralConsistency` of the
            spectral term (None when ``spectral_weight`` is 0).
    """

    cap_op: object
    centre_weights: jnp.ndarray
    pixel_weights: jnp.ndarray
    observation_op: object = None
    spectral_op: object = None


def loss_constants(grid: Grid, mask: np.ndarray, radius_deg: float,
                   cfg: LossConfig = LossConfig(), *,  # noqa: B008 (frozen)
                   field_shift: float = 0.0) -> LossConstants:
    """The operators and weights of the loss on ``grid`` over ``mask`` (float32).

    Cell and centre weights are cell areas over the mask; a coarse cap centre
    (``cfg.targets_resolution_deg``) counts in proportion to the masked area of its cell.
    ``field_shift``: ``offset / scale`` of the run's :class:`NormStats` (the normalised
    fields plus it are zero where the field is zero), used by the spectral term only.

    Raises:
        ValueError: a ``spectral_lmax`` the grid does not resolve, or a ``spectral_sigma``
            too short for it.
    """
    from ..sphere import CapAverage, GaussianSmooth

    targets = (None if cfg.targets_resolution_deg is None
               else Grid.regular(cfg.targets_resolution_deg, grid.lon_start))
    op = CapAverage(grid, radius_deg, mask=mask, targets=targets, dtype=jnp.float32)
    area = np.where(mask, grid.cell_area, 0.0)
    if targets is None:
        centre_w = area
    else:
        f = int(round(targets.resolution_deg / grid.resolution_deg))
        shifted = np.roll(area, -int(round((targets.lon_start - grid.lon_start)
                                           / grid.resolution_deg)), axis=1)
        centre_w = shifted.reshape(targets.nlat, f, targets.nlon, f).sum(axis=(1, 3))
    centre_w = np.where(np.broadcast_to(np.asarray(op.valid), op.out_shape), centre_w, 0.0)
    observation = (None if cfg.observation_half_width_km is None
                   else GaussianSmooth(grid, cfg.observation_half_width_km, mask=mask,
                                       dtype=jnp.float32))
    spectral = None
    if cfg.spectral_weight > 0:
        from ._spectral import SpectralConsistency
        from .experiments import grace_lmax

        spectral = SpectralConsistency.create(
            grid, mask, grace_lmax(grid) if cfg.spectral_lmax is None else cfg.spectral_lmax,
            half_width_km=cfg.spectral_half_width_km, sigma=cfg.spectral_sigma,
            shift=field_shift, dtype=jnp.float32)
    return LossConstants(cap_op=op,
                         centre_weights=jnp.asarray(centre_w / centre_w.max(), jnp.float32),
                         pixel_weights=jnp.asarray(area / area.max(), jnp.float32),
                         observation_op=observation, spectral_op=spectral)


def composite_loss(pred, model_field, target_caps, constants: LossConstants,
                   cfg: LossConfig):
    """Total loss and its terms ``(total, {"cap": .., name: .., "spectral": ..})`` for one
    batch.

    Args:
        pred, model_field: ``(B, nlat, nlon)`` prediction and model field (normalised).
        target_caps: ``(B, tlat, tlon)`` cap means of the coarse field; with the spectral
            term, the tuple ``(cap_means, clm, slm)`` with the coarse field's coefficients
            ``(B, L+1, L+1)`` (:meth:`SpectralConsistency.targets`).
        constants: :class:`LossConstants` (from :func:`loss_constants`).
        cfg: :class:`LossConfig`.

    With ``cap_weight`` 0 the cap term is still reported, without a gradient.
    """
    spectral_targets = None
    if isinstance(target_caps, tuple):
        target_caps, *spectral_targets = target_caps
    if cfg.spectral_weight > 0 and (constants.spectral_op is None or spectral_targets is None):
        raise ValueError("LossConfig.spectral_weight > 0 needs loss_constants built with "
                         "that LossConfig and targets (cap_means, clm, slm)")
    observed = pred if constants.observation_op is None else constants.observation_op(pred)
    if cfg.cap_weight == 0:
        observed = jax.lax.stop_gradient(observed)
    terms = {"cap": losses.cap_consistency(observed, target_caps, constants.cap_op,
                                           constants.centre_weights, power=cfg.cap_power)}
    total = cfg.cap_weight * terms["cap"]
    if cfg.spectral_weight > 0:
        terms["spectral"] = constants.spectral_op(pred, *spectral_targets)
        total = total + cfg.spectral_weight * terms["spectral"]
    for name, w in zip(cfg.similarity, cfg.similarity_weights, strict=True):
        terms[name] = SIMILARITY[name](pred, model_field, constants.pixel_weights)
        total = total + w * terms[name]
    return total, terms
