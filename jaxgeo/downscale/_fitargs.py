"""``fit``'s arguments: its retired keywords and the noise2self default."""

from __future__ import annotations

import dataclasses
import warnings

from .._deprecation import reject_unknown
from ._features import NOISE2SELF_MIN_MONTHS
from ._loss import LossConfig
from ._model import NetConfig
from ._train import TrainConfig

__all__ = ["resolve_noise2self", "retired_fit_keywords"]


# fit's retired flat keywords → the TrainConfig field they set
_TRAIN_KEYWORDS = {"epochs": "epochs", "seed": "seed", "batch_size": "batch_months",
                   "batch_months": "batch_months", "learning_rate": "learning_rate",
                   "checkpoint_every": "checkpoint_every"}
# → the LossConfig field they set
_LOSS_KEYWORDS = {"centres_res_deg": "targets_resolution_deg",
                  "observation_km": "observation_half_width_km",
                  "observation_half_width_km": "observation_half_width_km"}


def retired_fit_keywords(kwargs: dict, net, loss, train, quiet):
    """Fold fit's retired keywords into ``(net, loss, train, quiet)``, with warnings."""

    def warn(old, new):
        warnings.warn(f"fit: {old}= is deprecated, use {new}", DeprecationWarning, stacklevel=4)

    if "net_config" in kwargs:
        if net != NetConfig():
            raise TypeError("fit: pass net= only (net_config= is its retired name)")
        warn("net_config", "net=NetConfig(...)")
        net = kwargs.pop("net_config") or NetConfig()
    if isinstance(loss, dict):
        warn("loss as a dict", "loss=LossConfig(...)")
        loss = LossConfig(**loss)
    # loss None stays None: fit chooses the loss of its start (see _run.start_loss)
    if "progress" in kwargs:
        warn("progress", "quiet=")
        quiet = not kwargs.pop("progress")
    given = [old for old in _TRAIN_KEYWORDS if old in kwargs]
    if given and train != TrainConfig():
        raise TypeError(f"fit: pass train=TrainConfig(...) only, not also its retired flat "
                        f"keywords {given}")
    changes = {}
    for old in given:
        warn(old, f"train=TrainConfig({_TRAIN_KEYWORDS[old]}=...)")
        changes[_TRAIN_KEYWORDS[old]] = kwargs.pop(old)
    train = dataclasses.replace(train, **changes) if changes else train
    # the old fit took loss= and centres_res_deg= together: these merge into loss
    changes = {}
    for old, new in _LOSS_KEYWORDS.items():
        if old in kwargs:
            warn(old, f"loss=LossConfig({new}=...)")
            changes[new] = kwargs.pop(old)
    loss = dataclasses.replace(loss or LossConfig(), **changes) if changes else loss
    reject_unknown(kwargs, where="fit")
    return net, loss, train, quiet


def resolve_noise2self(noise2self: bool | None, n_months: int, stacklevel: int = 3) -> bool:
    """``fit``'s ``noise2self``: None → True with enough months, else False with a warning."""
    if noise2self is not None:
        return bool(noise2self)
    if n_months >= NOISE2SELF_MIN_MONTHS:
        return True
    warnings.warn(f"fit: {n_months} months are too few for noise2self (needs "
                  f"{NOISE2SELF_MIN_MONTHS}); training with the published inputs "
                  "(noise2self=False)", UserWarning, stacklevel=stacklevel)
    return False
