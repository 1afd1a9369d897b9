"""The training loss: its settings, its constants (operators and weights) and their sum."""

from __future__ import annotations

import dataclasses
import functools

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

    The retired keyword ``observation_km`` still works for one release (DeprecationWarning).
    """

    cap_weight: float = 1.0
    cap_power: int = 2
    similarity: tuple[str, ...] = ("mae_decorrelation",)
    similarity_weights: tuple[float, ...] = (1.0,)
    observation_half_width_km: float | None = 300.0
    targets_resolution_deg: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "similarity", tuple(self.similarity))
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
    """

    cap_op: object
    centre_weights: jnp.ndarray
    pixel_weights: jnp.ndarray
    observation_op: object = None


def loss_constants(grid: Grid, mask: np.ndarray, radius_deg: float,
                   cfg: LossConfig = LossConfig()) -> LossConstants:
    """The operators and weights of the loss on ``grid`` over ``mask`` (float32).

    Cell and centre weights are cell areas over the mask; a coarse cap centre
    (``cfg.targets_resolution_deg``) counts in proportion to the masked area of its cell.
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
    return LossConstants(cap_op=op,
                         centre_weights=jnp.asarray(centre_w / centre_w.max(), jnp.float32),
                         pixel_weights=jnp.asarray(area / area.max(), jnp.float32),
                         observation_op=observation)


def composite_loss(pred, model_field, target_caps, constants: LossConstants,
                   cfg: LossConfig):
    """Total loss and its terms ``(total, {"cap": .., name: ..})`` for one batch.

    Args:
        pred, model_field: ``(B, nlat, nlon)`` prediction and model field (normalised).
        target_caps: ``(B, tlat, tlon)`` cap means of the coarse field.
        constants: :class:`LossConstants` (from :func:`loss_constants`).
        cfg: :class:`LossConfig`.
    """
    observed = pred if constants.observation_op is None else constants.observation_op(pred)
    terms = {"cap": losses.cap_consistency(observed, target_caps, constants.cap_op,
                                           constants.centre_weights, power=cfg.cap_power)}
    total = cfg.cap_weight * terms["cap"]
    for name, w in zip(cfg.similarity, cfg.similarity_weights, strict=True):
        terms[name] = SIMILARITY[name](pred, model_field, constants.pixel_weights)
        total = total + w * terms[name]
    return total, terms
