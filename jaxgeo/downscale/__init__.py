"""Self-supervised downscaling of GRACE fields with spherical-cap mass constraints.

A fully convolutional Flax NNX encoder–decoder (:class:`DownscaleNet`) sees the coarse
(GRACE) field, a high-resolution model field and forcings on the whole global grid; it is
trained so that area-weighted spherical-cap means of its output over the mask match the
coarse field while its pattern follows the model (:mod:`jaxgeo.downscale.losses`).

Entry points: :func:`fit` → :class:`Downscaler` (``.predict``), :func:`baseline` (the
classical reference), :func:`matched_baseline` (the start ``fit`` corrects), an ensemble
trained in one program :func:`fit_ensemble` → :class:`EnsembleDownscaler` (mean, spread,
calibrated uncertainty), the synthetic experiment
:func:`jaxgeo.downscale.synthetic.make_experiment`, and
:mod:`jaxgeo.downscale.metrics` (the experiment end to end: :mod:`jaxgeo.demos.downscale`,
``jaxgeo demo``). The published patch method as a peer: :func:`fit_patches` →
:class:`PatchDownscaler` (settings :class:`PatchConfig`; ``.save`` / ``.load``).
Settings: :class:`NetConfig` (architecture), :class:`LossConfig` (loss),
:class:`TrainConfig` (optimisation); a trained network carries its :class:`RunSettings`.
Seams for notebooks and benchmarks:
:func:`network_inputs`, :func:`loss_constants`, :func:`composite_loss`, :func:`make_optimizer`,
:func:`make_train_step`.

Layout: ``_data`` (checking and gridding the inputs), ``_features`` (normalisation and input
channels), ``_loss`` (loss settings, constants, sum), ``_model`` (the network),
``_units`` (unit labels of the inputs, the spread guard),
``_settings`` / ``_checkpoint`` (run settings, orbax checkpoints), ``_train`` (the loop),
``_start`` (the filter-matched start, its truth-free radius choice and the network's
selection), ``_api`` (``fit``, ``Downscaler``, ``baseline``), ``_patchdata`` /
``_patchnet`` / ``_patch`` / ``_patchsave`` (the published patch method).

Reference: Gou & Soja (2024), Nature Water 2, 139–150; Gou et al. (2025), J. Geodesy.
"""

from . import experiments, losses, metrics, ocean, synthetic
from ._api import Downscaler, baseline, fit
from ._checkpoint import CheckpointError
from ._ensemble import EnsembleDownscaler, fit_ensemble
from ._features import NetworkInputs, NormStats, network_inputs
from ._loss import LossConfig, LossConstants, composite_loss, loss_constants
from ._model import DownscaleNet, NetConfig, sphere_pad
from ._patch import PatchDownscaler, fit_patches
from ._patchdata import PatchConfig
from ._settings import RunSettings
from ._start import CoarseFilter, Selection, filtered_risk, matched_baseline
from ._train import TrainConfig, TrainingDivergedError, make_optimizer, make_train_step
from ._units import SPREAD_RATIO_LIMIT

__all__ = [
    "CheckpointError",
    "CoarseFilter",
    "DownscaleNet",
    "Downscaler",
    "EnsembleDownscaler",
    "LossConfig",
    "LossConstants",
    "NetConfig",
    "NetworkInputs",
    "NormStats",
    "PatchConfig",
    "PatchDownscaler",
    "RunSettings",
    "SPREAD_RATIO_LIMIT",
    "Selection",
    "TrainConfig",
    "TrainingDivergedError",
    "baseline",
    "composite_loss",
    "experiments",
    "filtered_risk",
    "fit",
    "fit_ensemble",
    "fit_patches",
    "loss_constants",
    "losses",
    "make_optimizer",
    "make_train_step",
    "matched_baseline",
    "metrics",
    "network_inputs",
    "ocean",
    "sphere_pad",
    "synthetic",
]
