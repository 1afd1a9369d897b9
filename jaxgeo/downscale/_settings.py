"""Run settings: the typed, versioned description of a training run stored with checkpoints.

A resumed run must have the same settings as the run that wrote the checkpoint (except the
number of epochs), and :meth:`Downscaler.load` rebuilds the network from them. Checkpoints of
every earlier version stay readable: :meth:`RunSettings.from_dict` upgrades their JSON, and
:data:`HISTORICAL_DEFAULTS` is the one place that says what a key missing from an old
checkpoint meant.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from .._grid import Grid
from ._features import NormStats
from ._loss import LossConfig
from ._model import NetConfig

__all__ = ["FORMATS", "HISTORICAL_DEFAULTS", "HISTORICAL_LOSS_DEFAULTS", "RunSettings",
           "SETTINGS_VERSION", "fingerprint"]

SETTINGS_VERSION = 2
#: checkpoint format string → settings version
FORMATS = {"jaxgeo.downscale/1": 1, "jaxgeo.downscale/2": 2}
_FORMAT = {v: k for k, v in FORMATS.items()}

#: Keys that version-1 checkpoints may lack (written before the option existed), with the
#: value those runs had. Loss keys missing from any version mean the value of
#: :data:`HISTORICAL_LOSS_DEFAULTS` (the defaults changed since; see there).
HISTORICAL_DEFAULTS = {
    "centres_res_deg": None,
    "model_tendency": False,
    "noise2self": False,
    "residual_channel": 2,  # the baseline channel, before noise2self existed
    "features": [],
    "train_epochs": 0,
}
#: What a :class:`LossConfig` key missing from a stored run meant: the published loss
#: (:meth:`LossConfig.published`), the default of every release before the best measured
#: settings became the defaults (``cap_power`` 1, no observation smoothing). Versions 1
#: and 2 are read with it; every key this code writes is stored explicitly, so the defaults
#: of :class:`LossConfig` never decide what a stored run meant.
HISTORICAL_LOSS_DEFAULTS = {
    **dataclasses.asdict(LossConfig.published()),
    # no spectral term existed before these keys were stored (pinned, not the defaults)
    "spectral_weight": 0.0, "spectral_lmax": None, "spectral_half_width_km": 300.0,
    "spectral_sigma": None,
}
#: loss keys renamed since version 1 (old → new)
_LOSS_RENAMED = {"observation_km": "observation_half_width_km"}


def fingerprint(*arrays) -> str:
    """A short SHA-256 hex digest of the arrays' bytes (identifies a run's data)."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Everything that defines a trained network and its run, except the weights.

    Attributes:
        resolution_deg, lon_start: the data grid.
        in_channels: input channels of the network.
        features: names of the feature variables, in order.
        norm: :class:`NormStats` of the inputs and output.
        radius_deg: cap radius of the low-pass correction and the loss, degrees.
        model_tendency, noise2self: input options (see :func:`jaxgeo.downscale.fit`).
        residual_channel: input channel the network corrects.
        net, loss: the :class:`NetConfig` and :class:`LossConfig`.
        batch_months, learning_rate, seed, epochs: optimisation (:class:`TrainConfig`).
        n_months: months of training data.
        data: :func:`fingerprint` of the inputs and the mask.
        version: settings version (:data:`SETTINGS_VERSION` when written by this code).
        feature_units: the ``units`` attribute of each feature in training, in the
            features' order (None: unlabelled); empty for checkpoints written before they
            were stored (all unknown). :meth:`Downscaler.predict` converts or refuses
            features against them.
        mask_fingerprint, mask_cells: :func:`fingerprint` of the boolean mask of the
            training and its number of cells (``""`` and 0 for checkpoints written before
            they were stored: unknown); :meth:`Downscaler.load` refuses another mask.
        start: what the network corrects: ``"matched"`` (the filter-matched start,
            :func:`jaxgeo.downscale.matched_baseline`) or ``"cap"`` (the classical
            ``model + cap(coarse − model)``, or its noise2self form; every checkpoint
            written before the start existed).
        start_radius_deg: the matched start's cap radius, degrees (0 with ``"cap"``).
        start_model: the model field the matched start corrects: ``""`` the model (the
            members' mean), or one member's feature name ``model:<name>``.
        coarse_lmax, coarse_half_width_km, coarse_leakage: the coarse product's filter the
            matched start uses (:class:`~jaxgeo.downscale.CoarseFilter`; 0, None and True
            with ``"cap"``).
        conserve_mass: :meth:`Downscaler.predict` shifts each month to the coarse field's
            area-weighted mean over the mask (False for checkpoints written before it
            existed: they never did).
    """

    resolution_deg: float
    lon_start: float
    in_channels: int
    features: tuple[str, ...]
    norm: NormStats
    radius_deg: float
    model_tendency: bool
    noise2self: bool
    residual_channel: int
    net: NetConfig
    loss: LossConfig
    batch_months: int
    learning_rate: float
    seed: int
    epochs: int
    n_months: int
    data: str
    version: int = SETTINGS_VERSION
    feature_units: tuple[str | None, ...] = ()
    mask_fingerprint: str = ""
    mask_cells: int = 0
    start: str = "cap"
    start_radius_deg: float = 0.0
    coarse_lmax: int = 0
    coarse_half_width_km: float | None = None
    start_model: str = ""
    coarse_leakage: bool = True
    conserve_mass: bool = False

    @property
    def grid(self) -> Grid:
        return Grid.regular(self.resolution_deg, self.lon_start)

    def to_dict(self) -> dict:
        """JSON-able dict of the current format (``format`` names it)."""
        loss = dataclasses.asdict(self.loss)
        loss["similarity"] = list(self.loss.similarity)
        loss["similarity_weights"] = list(self.loss.similarity_weights)
        return {
            "format": _FORMAT[SETTINGS_VERSION],
            "grid": {"resolution_deg": self.resolution_deg, "lon_start": self.lon_start},
            "in_channels": self.in_channels,
            "features": list(self.features),
            "feature_units": list(self.feature_units),
            "norm": self.norm.to_dict(),
            "radius_deg": self.radius_deg,
            "model_tendency": self.model_tendency,
            "noise2self": self.noise2self,
            "residual_channel": self.residual_channel,
            "net": dataclasses.asdict(self.net),
            "loss": loss,
            "train": {"batch_months": self.batch_months, "learning_rate": self.learning_rate,
                      "seed": self.seed, "epochs": self.epochs},
            "n_months": self.n_months,
            "data": self.data,
            "mask_fingerprint": self.mask_fingerprint,
            "mask_cells": self.mask_cells,
            "start": {"kind": self.start, "radius_deg": self.start_radius_deg,
                      "coarse_lmax": self.coarse_lmax,
                      "coarse_half_width_km": self.coarse_half_width_km,
                      "model": self.start_model, "coarse_leakage": self.coarse_leakage},
            "conserve_mass": self.conserve_mass,
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunSettings:
        """Settings from the JSON of any checkpoint format (older ones are upgraded).

        Raises:
            ValueError: an unknown ``format``.
        """
        version = FORMATS.get(d.get("format"))
        if version is None:
            raise ValueError(f"unknown run-settings format {d.get('format')!r}, expected one "
                             f"of {sorted(FORMATS)}")
        if version == 1:
            d = _upgrade_v1(d)
        loss = {**HISTORICAL_LOSS_DEFAULTS,
                **{_LOSS_RENAMED.get(k, k): v for k, v in d["loss"].items()}}
        train = d["train"]
        start = d.get("start") or {}
        return cls(
            resolution_deg=float(d["grid"]["resolution_deg"]),
            lon_start=float(d["grid"]["lon_start"]),
            in_channels=int(d["in_channels"]),
            features=tuple(d["features"]),
            norm=NormStats.from_dict(d["norm"]),
            radius_deg=float(d["radius_deg"]),
            model_tendency=bool(d["model_tendency"]),
            noise2self=bool(d["noise2self"]),
            residual_channel=int(d["residual_channel"]),
            net=NetConfig(**d["net"]),
            loss=LossConfig(**loss),
            batch_months=int(train["batch_months"]),
            learning_rate=float(train["learning_rate"]),
            seed=int(train["seed"]),
            epochs=int(train["epochs"]),
            n_months=int(d["n_months"]),
            data=str(d["data"]),
            version=version,
            # absent from checkpoints written before feature units were stored: unknown
            feature_units=tuple(None if u is None else str(u)
                                for u in d.get("feature_units") or ()),
            # absent from checkpoints written before the mask was identified: unknown
            mask_fingerprint=str(d.get("mask_fingerprint") or ""),
            mask_cells=int(d.get("mask_cells") or 0),
            # absent from checkpoints written before the matched start: the classical one
            start=str(start.get("kind", "cap")),
            start_radius_deg=float(start.get("radius_deg", 0.0)),
            coarse_lmax=int(start.get("coarse_lmax", 0)),
            coarse_half_width_km=start.get("coarse_half_width_km"),
            start_model=str(start.get("model", "")),
            coarse_leakage=bool(start.get("coarse_leakage", True)),
            # absent from checkpoints written before the mass constraint existed: off
            conserve_mass=bool(d.get("conserve_mass", False)),
        )

    def difference(self, other: RunSettings) -> tuple[str, object, object] | None:
        """``(name, self's value, other's value)`` of the first setting that differs, ignoring
        ``epochs`` (a run may be resumed to train longer), ``version``, the
        ``feature_units`` labels (equal data have equal ``data`` fingerprints and ``norm``,
        whatever their labels), the mask's identity (``data`` covers the mask, and
        older checkpoints lack it) and ``conserve_mass`` (applied after the network, it
        does not change training); None if none."""
        for f in dataclasses.fields(self):
            if f.name in ("epochs", "version", "feature_units", "mask_fingerprint",
                          "mask_cells", "conserve_mass"):
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a != b:
                return f.name, a, b
        return None


def _upgrade_v1(d: dict) -> dict:
    """The JSON of a version-1 checkpoint (flat ``meta`` dict) in the version-2 layout."""
    d = {**HISTORICAL_DEFAULTS, **d}
    loss = dict(d["loss"])
    loss.setdefault("targets_resolution_deg", d["centres_res_deg"])
    train = d["train"]
    return {
        **d,
        "grid": {"resolution_deg": d["grid"][0], "lon_start": d["grid"][1]},
        "loss": loss,
        "train": {"batch_months": train["batch_size"], "learning_rate": train["learning_rate"],
                  "seed": train["seed"], "epochs": d["train_epochs"]},
    }
