"""Self-supervised downscaling of GRACE fields with spherical-cap mass constraints.

A fully convolutional Flax NNX encoder–decoder (:class:`DownscaleNet`) sees the coarse
(GRACE) field, a high-resolution model field and forcings on the whole global grid; it is
trained so that area-weighted spherical-cap means of its output over the mask match the
coarse field while its pattern follows the model (:mod:`jaxgeo.downscale.losses`).

Entry points: :func:`fit` → :class:`Downscaler` (``.predict``), :func:`baseline`, the
synthetic experiment :func:`jaxgeo.downscale.synthetic.make_experiment`, and
:mod:`jaxgeo.downscale.metrics`.

Reference: Gou & Soja (2024), Nature Water 2, 139–150; Gou et al. (2025), J. Geodesy.
"""

from . import losses, metrics, synthetic
from ._api import Downscaler, baseline, fit, seasonal_trend_fit
from ._demo import run_demo
from ._model import DownscaleNet, NetConfig, sphere_pad
from ._train import LossConfig, TrainConfig, composite_loss

__all__ = [
    "DownscaleNet",
    "Downscaler",
    "LossConfig",
    "NetConfig",
    "TrainConfig",
    "baseline",
    "composite_loss",
    "fit",
    "losses",
    "metrics",
    "run_demo",
    "seasonal_trend_fit",
    "sphere_pad",
    "synthetic",
]
