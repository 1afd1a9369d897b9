"""xarray in, xarray out: ``fit``, ``Downscaler.predict`` and the classical ``baseline``."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .._deprecation import reject_unknown, renamed
from .._sharding import auto_axes
from ._checkpoint import read_selection, read_settings, restore_checkpoint, write_selection
from ._constraints import conserve_mass as _conserve_mass
from ._data import check_mask, prepare
from ._features import build_inputs
from ._fitargs import retired_fit_keywords
from ._loss import LossConfig
from ._model import DownscaleNet, NetConfig
from ._models import split_models
from ._run import training_run
from ._settings import RunSettings, fingerprint
from ._start import CoarseFilter, Selection, matched_start, select_network
from ._train import TrainConfig
from ._train import train as run_training
from ._units import check_training_spread, to_training_units

__all__ = ["Downscaler", "baseline", "fit"]


@functools.lru_cache(maxsize=8)
def _forward(graphdef):
    """Jitted forward pass of one architecture (cached so predictions compile once)."""
    return jax.jit(lambda state, x: nnx.merge(graphdef, state)(x))


class Downscaler:
    """A trained downscaling network with its run settings; see :func:`fit`.

    Attributes:
        net: the :class:`DownscaleNet` (Flax NNX module).
        settings: the :class:`RunSettings` (grid, inputs, normalisation, configs) stored
            with checkpoints.
        mask: ``(nlat, nlon)`` boolean mask of the data grid.
        history: per-step loss terms of the training run (empty when loaded).
        units: the unit of the fields the network was trained on (the coarse field's
            ``units``; None if unlabelled); :meth:`predict` converts its inputs to it.
        selection: the :class:`Selection`: whether :meth:`predict` returns the network's
            output or the start it corrects, and why.
    """

    def __init__(self, net: DownscaleNet, settings: RunSettings, mask: np.ndarray,
                 history=None, units: str | None = None, selection: Selection | None = None):
        self.net = net
        self.settings = settings
        self.mask = mask
        self.history = list(history or [])
        self.units = units
        self.selection = selection or Selection(True, "no selection recorded: the network")

    @property
    def coarse_filter(self) -> CoarseFilter | None:
        """The coarse product's filter of the matched start (None with the classical one)."""
        s = self.settings
        return (CoarseFilter(s.coarse_lmax, s.coarse_half_width_km, s.coarse_leakage)
                if s.start == "matched" else None)

    @property
    def grid(self):
        """The data grid of the training run."""
        return self.settings.grid

    @property
    def meta(self) -> dict:
        """Deprecated: the settings as a dict; use :attr:`settings`."""
        warnings.warn("Downscaler.meta is deprecated, use Downscaler.settings (RunSettings)",
                      DeprecationWarning, stacklevel=2)
        return self.settings.to_dict()

    @classmethod
    def load(cls, checkpoint_dir, *, mask) -> Downscaler:
        """Rebuild the network of the latest checkpoint in ``checkpoint_dir``.

        ``mask``: the mask of the training run (checked against its stored fingerprint;
        checkpoints written before it was stored cannot be checked).

        Raises:
            FileNotFoundError: no checkpoint there.
            ValueError: ``mask`` is not the training's (naming the cell counts), or a
                :class:`CheckpointError`.
        """
        found = read_settings(Path(checkpoint_dir))
        if found is None:
            raise FileNotFoundError(f"no checkpoint in {checkpoint_dir}")
        step, settings = found
        mask = check_mask(mask, settings.grid)
        if settings.mask_fingerprint and fingerprint(np.asarray(mask, bool)) != \
                settings.mask_fingerprint:
            raise ValueError(f"checkpoint {checkpoint_dir}: the mask differs from the one the "
                             f"network was trained with ({int(np.sum(mask))} cells, trained "
                             f"on {settings.mask_cells}); pass the training mask")
        net = DownscaleNet.create(settings.in_channels, settings.net,
                                  residual_channel=settings.residual_channel)
        units = restore_checkpoint(Path(checkpoint_dir), step, net)
        return cls(net, settings, mask, units=units,
                   selection=read_selection(Path(checkpoint_dir), settings))

    def predict(self, coarse, model, features=None, *, batch_months: int = 8, mesh=None,
                conserve_mass: bool | None = None, **retired):
        """Downscale months of ``coarse`` and ``model`` (same grid as training).

        Args:
            coarse, model: (time, lat, lon) DataArrays on the training grid (``model``: or
                the Dataset of model fields of training, see :func:`fit`).
            features: the Dataset of extra inputs the network was trained with.
            batch_months: months per forward pass (with ``mesh``: rounded up to a multiple
                of the devices on its ``"months"`` axis). Retired spelling: ``batch_size``.
            mesh: a :class:`jax.sharding.Mesh` with a ``"months"`` axis: each batch is split
                over it (the last one padded with zero months, whose outputs are dropped;
                months do not interact in the network) and the weights are replicated.
                Explicit or Auto axes. None: one device.
            conserve_mass: shift each month so its area-weighted mean over the mask equals
                the coarse field's (:func:`fit`'s ``conserve_mass``); None: as trained
                (:attr:`RunSettings.conserve_mass`).

        Returns:
            ``xarray.DataArray`` (time, lat, lon) in the unit of the training fields
            (:attr:`units`; ``coarse`` and ``model`` are converted to it, see :func:`fit`),
            NaN outside the mask, with CF attributes.

        Raises:
            ValueError: an input that does not match training: grid, features, a unit
                label that contradicts the training's (each feature's label is converted
                when both are water thicknesses), or a spread of the model or a feature
                more than :data:`~jaxgeo.downscale.SPREAD_RATIO_LIMIT` times off the
                training's (a unit mix-up), naming the input.
        """
        if "batch_size" in retired:
            batch_months = renamed(retired, "batch_size", "batch_months",
                                   where="Downscaler.predict")
        reject_unknown(retired, where="Downscaler.predict")
        model, features = split_models(model, features)
        s = self.settings
        fields = prepare(coarse, model, self.mask, features, s.features)
        if fields.grid != self.grid:
            raise ValueError(f"grids differ: the network was trained on {self.grid}, the data "
                             f"are on {fields.grid}")
        fields = to_training_units(fields, self.units, s.features, s.feature_units)
        check_training_spread(fields, s.norm)
        start = (matched_start(fields, self.coarse_filter, s.start_radius_deg,
                               model=s.start_model) if s.start == "matched" else None)
        if start is not None and not self.selection.use_network:
            out = start
        else:
            out = self._network_output(fields, start, batch_months, mesh)
        return self._product(out, fields, model, conserve_mass)

    def _network_output(self, fields, start, batch_months: int = 8, mesh=None,
                        x=None) -> np.ndarray:
        """The network's output for prepared ``fields``, ``(T, nlat, nlon)`` in their unit.

        ``x``: the network inputs of ``fields`` when the caller has them (``fit``)."""
        s = self.settings
        if x is None:
            x = build_inputs(fields, s.norm, s.radius_deg, tendency_channel=s.model_tendency,
                             noise2self=s.noise2self, start=start).x
        graphdef, state = nnx.split(self.net)
        run = _forward(graphdef)
        if mesh is None:
            out = np.concatenate([np.asarray(run(state, jnp.asarray(x[i:i + batch_months])))
                                  for i in range(0, len(x), batch_months)])
        else:
            from .._sharding import months_axis_size, replicate, shard_months, to_host

            mesh = auto_axes(mesh)
            k = months_axis_size(mesh)
            step = -(-int(batch_months) // k) * k
            state = replicate(state, mesh)
            out = []
            for i in range(0, len(x), step):
                shards = shard_months(x[i:i + step], mesh)
                out.append(to_host(run(state, shards.array))[:shards.n_months])
            out = np.concatenate(out)
        return out.astype(np.float64) * s.norm.scale + s.norm.offset

    def _product(self, out: np.ndarray, fields, model, conserve_mass: bool | None = None):
        """The prediction ``out`` as the product's DataArray (NaN outside the mask)."""
        import xarray as xr

        s = self.settings
        pred = np.where(self.mask, out, np.nan)
        conserved = s.conserve_mass if conserve_mass is None else bool(conserve_mass)
        if conserved:
            from ..regions import area_weights

            pred = _conserve_mass(pred, fields.coarse, area_weights(self.grid, self.mask))
        attrs = {"long_name": "downscaled " + str(model.attrs.get("long_name", model.name or
                                                                  "field")),
                 "units": fields.units or "1",
                 "cell_methods": "area: mean where mask",
                 "comment": (f"jaxgeo.downscale network; spherical-cap consistency radius "
                             f"{s.radius_deg} deg with the coarse field"
                             + (f"; start: model + {s.start_radius_deg:g} deg cap means of "
                                f"coarse - model through the product's filter (lmax "
                                f"{s.coarse_lmax}, {s.coarse_half_width_km or 0:g} km); "
                                + ("network output" if self.selection.use_network else
                                   "the start (" + self.selection.reason + ")")
                                if s.start == "matched" else "")
                             + ("; each month shifted to the coarse field's area-weighted "
                                "mean over the mask (conserve_mass)" if conserved else "")),
                 "source": "jaxgeo.downscale"}
        coords = {"time": ("time", fields.time), **self.grid.to_xarray_coords()}
        return xr.DataArray(pred, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                            name="downscaled")


def fit(coarse, model, *, mask, features=None, radius_deg: float = 3.0,
        model_tendency: bool = False, noise2self: bool | None = None,
        start: str = "matched", coarse_filter: CoarseFilter | None = None,
        use_network: bool | None = None,
        conserve_mass: bool = False,
        net: NetConfig = NetConfig(),  # noqa: B008 (frozen: immutable default)
        loss: LossConfig | None = None,
        train: TrainConfig = TrainConfig(),  # noqa: B008
        mesh=None, checkpoint_dir=None, quiet: bool = False, callback=None,
        **retired) -> Downscaler:
    """Train a downscaling network self-supervised on one regular global grid.

    The loss makes area-weighted spherical-cap means (radius ``radius_deg``, over the mask)
    of the output equal those of ``coarse`` while the pattern follows ``model``.

    Settings are grouped by what they define: the *inputs* are keywords of ``fit`` (they
    travel with the network and are applied again by :meth:`Downscaler.predict`:
    ``features``, ``radius_deg``, ``model_tendency``, ``noise2self``); the architecture is
    ``net``, the loss ``loss``, the optimisation loop ``train``.

    The network corrects a *start*. The default, ``start="matched"``, is
    :func:`matched_baseline`: the model corrected by cap means of the coarse field minus the
    model seen through the coarse product's filter, its cap radius chosen without the truth
    by :func:`~jaxgeo.downscale.filtered_risk` (the measured best on every experiment of
    :mod:`jaxgeo.downscale.experiments`; see the README). After training the network's
    output is kept only if its estimated risk is lower than the start's
    (:attr:`Downscaler.selection`), so that it is never worse than the start by more than
    that estimate's noise. The published set-up of Gou & Soja (2024) is one call:
    ``fit(coarse, model, mask=mask, start="cap", noise2self=False,
    loss=LossConfig.published())``.

    Args:
        coarse: (time, lat, lon) DataArray of the coarse-resolution field (GRACE), on the
            high-resolution grid; NaN allowed outside the mask only.
        model: (time, lat, lon) DataArray of the high-resolution model field, same grid and
            times. Its ``units`` are converted to the coarse field's when both are known
            water thicknesses (m, cm, mm, kg m-2); other differing labels are an error,
            one missing label a UserWarning (the other unit is assumed), and spreads of
            coarse and model that differ more than
            :data:`~jaxgeo.downscale.SPREAD_RATIO_LIMIT` times (a unit mix-up) an error.
            Or an ``xarray.Dataset`` of several model fields (any number, e.g. two ocean
            reanalyses): their mean is the similarity target and the baseline's model, and
            each is an input channel ``model:<name>`` (``_models.split_models``).
        mask: (lat, lon) boolean DataArray (or array), True where fields are valid.
        features: optional Dataset of extra (time, lat, lon) inputs (forcings); each
            variable's ``units`` attribute is stored with the network
            (:attr:`RunSettings.feature_units`) and checked by :meth:`Downscaler.predict`.
        radius_deg: cap radius of the consistency constraint (and of the classical start),
            degrees.
        model_tendency: add the model's month-to-month tendency as an input channel (the
            months must then be consecutive, in training and in ``predict``).
        noise2self: train blind to the current month's coarse field (J-invariant
            inputs, after Batson & Royer 2019, Noise2Self): the network corrects ``model +
            L_t``, where ``L_t`` is the leave-one-out seasonal-trend fit
            (:func:`jaxgeo.seasonal.seasonal_trend_fit`) of ``cap(coarse − model)`` from the
            other months.
            The cap term then cannot be lowered by reproducing month ``t``'s noise, so it
            teaches the network the expected cap means, not the noisy ones. Needs at least
            12 months, in training and in ``predict`` (a month's prediction uses the
            others). None (default): True with at least 12 months; with fewer, False and a
            UserWarning. False: the published inputs (the month's own coarse field).
            Applies to ``start="cap"`` only.
        start: ``"matched"`` (default; see above) or ``"cap"`` (the classical ``model +
            cap(coarse − model)`` or its noise2self form, as in earlier releases).
        coarse_filter: the coarse product's :class:`CoarseFilter` for the matched start;
            None: :meth:`CoarseFilter.of` the coarse field (its ``lmax``/``half_width_km``
            attributes, as ``jaxgeo grace l2`` writes them; else degree min(60, nlat − 1)
            and ``loss.observation_half_width_km`` or 300 km).
        use_network: None (default): decided by the risk estimate (the start is kept with
            fewer than 12 consecutive months); True/False: always the network's output /
            always the start (the network is still trained).
        conserve_mass: :meth:`Downscaler.predict` shifts each month uniformly so that its
            area-weighted mean over the mask equals the coarse field's (the global
            ocean-mass constraint; a uniform shift keeps every pattern). Recommended for
            ocean bottom pressure, where the models lack the global ocean mass; off by
            default (land). Stored in :class:`RunSettings`.
        net: :class:`NetConfig` (default: width 16, depth 2, 1 block per level).
        loss: :class:`LossConfig`; None (default): the loss of the start
            (:func:`~jaxgeo.downscale._run.start_loss`): with the matched start of a
            product with leakage (GRACE), the spectral consistency term through the
            product's own filter (``LossConfig(cap_weight=0, spectral_weight=1,
            spectral_lmax=..., spectral_half_width_km=...)``), with the similarity term
            taken against the start; else ``LossConfig()`` (squared misfit of cap means
            of the prediction smoothed by 300 km, + MAE·(1−ρ) similarity);
            :meth:`LossConfig.published`: the published L1 misfit of raw cap means.
        train: :class:`TrainConfig` (epochs, batch_months, learning_rate, seed,
            checkpoint_every).
        mesh: data-parallel training over a :class:`jax.sharding.Mesh` with a ``"months"``
            axis (:func:`jaxgeo.distributed.make_mesh`): every batch is split over that
            axis, weights and optimizer state are replicated; ``train.batch_months`` must be
            a multiple of its device count. The loss and the weights are those of the
            one-device run up to float32 summation order. A checkpoint resumes with any
            device count. None (default): one device.
        checkpoint_dir: orbax checkpoints every ``train.checkpoint_every`` steps; an
            existing compatible checkpoint is resumed, an incompatible or corrupted one is
            an error.
        quiet: no progress bar.
        callback: ``callback(step, terms)`` after every step.
        **retired: the flat keywords of earlier releases (``epochs``, ``seed``,
            ``batch_size``, ``learning_rate``, ``checkpoint_every``, ``net_config``,
            ``centres_res_deg``, ``progress``, a ``loss`` dict) still work for one release
            with a DeprecationWarning.

    Returns:
        :class:`Downscaler`.

    Raises:
        ValueError: ``noise2self=True`` with fewer than 12 months (among the checks of
            the inputs); a ``loss.spectral_lmax`` the grid does not resolve.

    Reference: Gou & Soja (2024), Nature Water 2, 139–150 (method, patch-based).
    """
    net, loss, train, quiet = retired_fit_keywords(retired, net, loss, train, quiet)
    run = training_run(coarse, model, mask, features, radius_deg, model_tendency, noise2self,
                       net, loss, train, start=start, coarse_filter=coarse_filter,
                       use_network=use_network, conserve_mass=conserve_mass)
    fields, inputs, target_caps, constants, settings = run[:5]
    start_field, coarse_filter = run.start, run.coarse_filter
    loss = settings.loss  # resolved: None means the loss of the start
    network = DownscaleNet.create(inputs.x.shape[-1], net,
                                  residual_channel=inputs.residual_channel, seed=train.seed)
    history = run_training(network, inputs.x, inputs.model, target_caps, constants,
                           train_cfg=train, loss_cfg=loss, settings=settings,
                           checkpoint_dir=checkpoint_dir, quiet=quiet, callback=callback,
                           mesh=mesh, units=fields.units)
    out = Downscaler(network, settings, fields.mask, history, units=fields.units)
    if start_field is not None:
        net_out = (None if use_network is not None else
                   out._network_output(fields, start_field, train.batch_months,
                                       x=inputs.x))
        out.selection = select_network(net_out, start_field, fields, coarse_filter,
                                       use_network)
        if checkpoint_dir is not None:
            write_selection(Path(checkpoint_dir), out.selection)
    return out


def baseline(coarse, model, *, mask, radius_deg: float = 3.0):
    """The classical combination ``model + cap(coarse − model)``: low-pass correction.

    The model's large-scale error is replaced by the coarse field's cap means over the mask
    while its small-scale pattern is kept; any network must beat it.

    Args:
        coarse, model: (time, lat, lon) DataArrays on one grid (NaN outside the mask only);
            ``model`` may be a Dataset of model fields (their mean is used, as :func:`fit`).
        mask: (lat, lon) boolean.
        radius_deg: cap radius of the low-pass filter, degrees.

    Returns:
        (time, lat, lon) DataArray in the unit of ``coarse``, NaN outside the mask.
    """
    import xarray as xr

    from ..sphere import CapAverage

    fields = prepare(coarse, split_models(model, None)[0], mask, None)
    op = CapAverage(fields.grid, radius_deg, mask=fields.mask, dtype=jnp.float64
                    if jax.config.jax_enable_x64 else jnp.float32)
    diff = np.where(fields.mask, fields.coarse - fields.model, 0.0)
    corr = np.asarray(op(jnp.asarray(diff, op.dtype)), dtype=np.float64)
    out = np.where(fields.mask, fields.model + corr, np.nan)
    coords = {"time": ("time", fields.time), **fields.grid.to_xarray_coords()}
    attrs = {"long_name": "model + cap-mean correction toward the coarse field",
             "units": fields.units or "1",
             "comment": f"jaxgeo.downscale.baseline, cap radius {radius_deg} deg"}
    return xr.DataArray(out, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                        name="baseline")
