"""What :func:`fit` (and :func:`fit_ensemble`) train on, built from the user's inputs."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ._data import prepare
from ._features import NOISE2SELF_MIN_MONTHS, apply_chunked, build_inputs, norm_stats
from ._fitargs import resolve_noise2self
from ._loss import LossConfig, loss_constants
from ._models import split_models
from ._settings import RunSettings, fingerprint
from ._start import CoarseFilter, choose_start

__all__ = ["TrainingRun", "start_loss", "training_run"]


def start_loss(start: str, coarse_filter: CoarseFilter | None) -> LossConfig:
    """The default loss of a start: for the matched start of a product with leakage
    (GRACE), the spectral consistency term through the product's own filter instead of the
    cap term (measured better: the README's suite); else :class:`LossConfig` ``()`` (cap
    means of the prediction through the product's Gaussian over the mask, which is that
    filter when it has no leakage)."""
    if start == "matched" and coarse_filter is not None and coarse_filter.leakage:
        return LossConfig(cap_weight=0.0, spectral_weight=1.0,
                          spectral_lmax=coarse_filter.lmax,
                          spectral_half_width_km=coarse_filter.half_width_km)
    if start == "matched" and coarse_filter is not None:
        return LossConfig(observation_half_width_km=coarse_filter.half_width_km)
    return LossConfig()


class TrainingRun(NamedTuple):
    """The checked fields, the network inputs, the loss targets and constants, the run
    settings, and the matched start (None with ``start="cap"``) with its filter."""

    fields: object
    inputs: object
    target_caps: np.ndarray
    constants: object
    settings: RunSettings
    start: np.ndarray | None = None
    coarse_filter: CoarseFilter | None = None


def training_run(coarse, model, mask, features, radius_deg, model_tendency, noise2self, net,
                 loss, train, *, start: str = "matched", coarse_filter=None,
                 use_network: bool | None = None, conserve_mass: bool = False,
                 stacklevel: int = 3) -> TrainingRun:
    """Check and normalise the inputs, choose the start, build the loss constants and the
    run settings (arguments as :func:`~jaxgeo.downscale.fit`'s)."""
    if start not in ("matched", "cap"):
        raise ValueError(f"fit: start must be 'matched' or 'cap', got {start!r}")
    if start == "matched" and noise2self:
        raise ValueError("fit: noise2self applies to start='cap' (the matched start uses the "
                         "month's own coarse field through the product's filter)")
    model, features = split_models(model, features)
    fields = prepare(coarse, model, mask, features)
    net.check_grid(fields.grid.shape)
    start_field = None
    if start == "matched":
        coarse_filter = coarse_filter or CoarseFilter.of(
            coarse, fields.grid, (loss or LossConfig()).observation_half_width_km or 300.0)
        start_field, choice = choose_start(fields, coarse_filter,
                                           fallback_radius_deg=radius_deg)
        noise2self = False
        if not choice.risk:
            warnings.warn(
                f"fit: {fields.coarse.shape[0]} months are too few (or not consecutive) to "
                f"tell the coarse field's noise from its signal (needs "
                f"{NOISE2SELF_MIN_MONTHS} consecutive); the start uses radius_deg="
                f"{radius_deg:g}" + (" and is the output (use_network=True to use the "
                                     "network's)" if use_network is None else ""),
                UserWarning, stacklevel=stacklevel)
    else:
        noise2self = resolve_noise2self(noise2self, fields.coarse.shape[0], stacklevel + 1)
    if loss is None:
        loss = start_loss(start, coarse_filter)
    norm = norm_stats(fields)
    constants = loss_constants(fields.grid, fields.mask, radius_deg, loss,
                               field_shift=norm.offset / norm.scale)
    # with caps at every cell the loss operator is the low-pass operator too: build it once
    inputs = build_inputs(fields, norm, radius_deg, tendency_channel=model_tendency,
                          noise2self=noise2self,
                          cap_op=constants.cap_op if loss.targets_resolution_deg is None
                          else None, start=start_field)
    target_caps = np.nan_to_num(apply_chunked(constants.cap_op, inputs.coarse)).astype(
        np.float32)
    if start_field is not None:
        # the network corrects the start: stay close to it (the raw model still carries
        # the large-scale error the start removed)
        inputs = inputs._replace(model=np.ascontiguousarray(
            inputs.x[..., inputs.residual_channel]))
    if constants.spectral_op is not None:  # the coarse field's coefficients, once
        target_caps = (target_caps, *constants.spectral_op.month_targets(inputs.coarse))
    settings = RunSettings(
        resolution_deg=fields.grid.resolution_deg, lon_start=fields.grid.lon_start,
        in_channels=int(inputs.x.shape[-1]), features=tuple(fields.features), norm=norm,
        radius_deg=float(radius_deg), model_tendency=bool(model_tendency),
        noise2self=bool(noise2self), residual_channel=inputs.residual_channel, net=net,
        loss=loss, batch_months=train.batch_months, learning_rate=train.learning_rate,
        seed=train.seed, epochs=train.epochs, n_months=int(inputs.x.shape[0]),
        data=fingerprint(inputs.x, fields.mask),
        feature_units=tuple(fields.feature_units[n] for n in fields.features),
        mask_fingerprint=fingerprint(np.asarray(fields.mask, bool)),
        mask_cells=int(np.sum(fields.mask)), start=start, conserve_mass=bool(conserve_mass),
        **({} if start_field is None else {
            "start_radius_deg": choice.radius_deg, "coarse_lmax": coarse_filter.lmax,
            "coarse_half_width_km": coarse_filter.half_width_km,
            "start_model": choice.model, "coarse_leakage": coarse_filter.leakage}))
    return TrainingRun(fields, inputs, target_caps, constants, settings, start_field,
                       coarse_filter)
