"""Ensembles of downscaling networks trained in one compiled program, with an uncertainty.

Every member is the network :func:`~jaxgeo.downscale.fit` would train with that member's
seed: the same initial weights (:meth:`DownscaleNet.create` with the seed), the same month
order (:func:`~jaxgeo.downscale._train.epoch_order` of the seed: each member has its own
batches), the same loss, Adam and learning-rate schedule. The members' weights and optimizer
states are stacked along a leading *member* axis and one jitted step, ``jax.vmap`` of the
single-network step over that axis, updates all of them; the inputs are put on the device
once and each member's batch is gathered inside the step. On a mesh the member axis is
split over all its devices (weights, optimizer state and batch indices; the inputs are
replicated), so members train in parallel with no communication.

:meth:`EnsembleDownscaler.predict` reports the ensemble mean, the member spread and a
calibrated total uncertainty (:mod:`jaxgeo.downscale._calibration`).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .._dtype import standard_promotion
from ._api import Downscaler
from ._calibration import data_sigma
from ._data import prepare
from ._fitargs import retired_fit_keywords
from ._loss import LossConfig, composite_loss
from ._model import DownscaleNet, NetConfig
from ._run import training_run
from ._train import TrainConfig, TrainingDivergedError, _batch, epoch_order, make_transform
from ._units import to_training_units

__all__ = ["EnsembleDownscaler", "fit_ensemble"]

MEMBERS = "members"


def _member_seeds(members: int, seeds, base: int) -> tuple[int, ...]:
    if seeds is None:
        if isinstance(members, bool) or int(members) != members or members < 2:
            raise ValueError(f"members must be an integer ≥ 2 (an ensemble), got {members!r}")
        return tuple(base + k for k in range(int(members)))
    seeds = tuple(seeds)
    if len(seeds) < 2:
        raise ValueError(f"seeds must name at least 2 members, got {list(seeds)}")
    for s in seeds:
        TrainConfig(seed=s)  # the seed's own check, one line naming it
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must differ (identical members add no spread), got {list(seeds)}")
    return tuple(int(s) for s in seeds)


def _member_mesh(mesh, n_members: int):
    """A 1-D mesh ``("members",)`` over all devices of ``mesh`` (Auto axes), or None."""
    if mesh is None:
        return None
    if not isinstance(mesh, jax.sharding.Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    devices = np.asarray(mesh.devices).reshape(-1)
    if n_members % devices.size:
        raise ValueError(f"{n_members} members cannot be split evenly over the {devices.size} "
                         f"devices of the mesh; choose a number of members that is a multiple "
                         f"of {devices.size}")
    return jax.sharding.Mesh(devices, (MEMBERS,),
                             axis_types=(jax.sharding.AxisType.Auto,))


#: how one step runs the members: ``vmap`` (one batched program; its convolutions become
#: grouped convolutions over the members) or ``unroll`` (the members' steps written out one
#: after the other in the same program; plain convolutions)
STRATEGIES = ("vmap", "unroll")


def _resolve_strategy(strategy: str) -> str:
    """``auto``: ``unroll`` on CPU, where XLA's grouped convolutions run ~2.3× slower per
    member than plain ones (2 members at 2.5° on 2 cores: 3.0 s a step against 2 × 0.65 s
    unrolled or apart), ``vmap`` elsewhere."""
    if strategy == "auto":
        return "unroll" if jax.default_backend() == "cpu" else "vmap"
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be 'auto', 'vmap' or 'unroll', got {strategy!r}")
    return strategy


def _unrolled(one, n: int):
    """``vmap(one)`` over ``n`` members written out as ``n`` calls in one program."""

    def step(params, opt_state, x_all, m_all, caps_all, idx, constants):
        outs = [one(*jax.tree.map(lambda a, k=k: a[k], (params, opt_state)), x_all, m_all,
                    caps_all, idx[k], constants) for k in range(n)]
        return jax.tree.map(lambda *a: jnp.stack(a), *outs)

    return step


def _make_step(graphdef, tx, loss_cfg: LossConfig, mesh=None, strategy: str = "vmap",
               n_local: int = 1):
    """One jitted step of all members: ``(params, opt_state, x, m, caps, idx, constants)``.

    ``params``/``opt_state``/``idx`` carry the member axis; ``idx`` ``(N, B)`` are the
    months of each member's batch, gathered from the shared arrays inside the step. With a
    ``("members",)`` mesh each device runs the step on its own ``n_local`` members
    (``shard_map``: XLA's automatic partitioning cannot split the grouped convolutions that
    ``vmap`` makes of per-member weights).
    """

    def one(params, opt_state, x_all, m_all, caps_all, idx, constants):
        x, m, caps = x_all[idx], m_all[idx], caps_all[idx]

        def loss_fn(p):
            return composite_loss(nnx.merge(graphdef, p)(x), m, caps, constants, loss_cfg)

        (_, terms), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        # optax's Adam raises Python-float decay rates to its int32 step count (see _train)
        with standard_promotion():
            updates, opt_state = tx.update(grads, opt_state, params)
            params = jax.tree.map(lambda p, u: p + u, params, updates)
        return params, opt_state, terms

    step = (jax.vmap(one, in_axes=(0, 0, None, None, None, 0, None)) if strategy == "vmap"
            else _unrolled(one, n_local))
    if mesh is not None:
        from jax.sharding import PartitionSpec as P

        split, whole = P(MEMBERS), P()
        step = jax.shard_map(step, mesh=mesh, in_specs=(split, split, whole, whole, whole,
                                                        split, whole),
                             out_specs=(split, split, split), check_vma=False)
    return jax.jit(step)


def _diverged(step: int, epoch: int, seed: int, k: int, what: str) -> TrainingDivergedError:
    return TrainingDivergedError(f"ensemble training diverged: {what} of member {k} (seed "
                                 f"{seed}) at step {step} (epoch {epoch + 1}); likely cause: a "
                                 "learning_rate too large or extreme input values")


def fit_ensemble(coarse, model, *, mask, members: int = 5, seeds=None, features=None,
                 radius_deg: float = 3.0, model_tendency: bool = False,
                 noise2self: bool | None = None, start: str = "matched",
                 coarse_filter=None,
                 net: NetConfig = NetConfig(),  # noqa: B008 (frozen: immutable default)
                 loss: LossConfig | None = None,
                 train: TrainConfig = TrainConfig(),  # noqa: B008
                 mesh=None, strategy: str = "auto", quiet: bool = False, callback=None,
                 **retired) -> EnsembleDownscaler:
    """Train an ensemble of downscaling networks that differ by their seed, in one program.

    Member ``k`` is the network ``fit(..., train=replace(train, seed=seeds[k]))`` would
    train (same initial weights, its own month order, same steps; equal up to float32
    rounding of the batched convolutions), but all members advance together in one jitted,
    ``vmap``-ed step.

    Args:
        coarse, model, mask, features, radius_deg, model_tendency, noise2self, start,
            coarse_filter, net, loss, train, quiet: as for :func:`~jaxgeo.downscale.fit`
            (its retired keywords too). Every member's output is its network's (with the
            matched start, no member falls back to the start: the spread is the networks').
        members: number of members (≥ 2) when ``seeds`` is None; their seeds are
            ``train.seed, train.seed + 1, …``.
        seeds: the members' seeds (distinct non-negative integers), instead of ``members``.
        mesh: a :class:`jax.sharding.Mesh`: the members are split over all its devices
            (their number must divide by the device count); None: one device.
        strategy: how the one jitted step runs the members: ``"vmap"`` (batched over
            the member axis), ``"unroll"`` (the members' steps one after the other in the
            same program), ``"auto"`` (default): ``unroll`` on CPU, where batched (grouped)
            convolutions are slower than plain ones, ``vmap`` on accelerators. Both give
            the same members up to float32 rounding.
        callback: ``callback(step, terms)`` after every step; ``terms`` maps each loss
            term to a list of the members' values.

    Checkpoints are not written (train members with :func:`fit` for resumable runs).

    Returns:
        :class:`EnsembleDownscaler`.

    Raises:
        ValueError: fewer than 2 members, repeated or invalid seeds, members that do not
            divide over the mesh, among :func:`fit`'s checks of the inputs.
        TrainingDivergedError: a member's loss or weights became non-finite (naming it).
    """
    net, loss, train, quiet = retired_fit_keywords(retired, net, loss, train, quiet)
    seeds = _member_seeds(members, seeds, train.seed)
    strategy = _resolve_strategy(strategy)
    n = len(seeds)
    member_mesh = _member_mesh(mesh, n)
    fields, inputs, target_caps, constants, settings = training_run(
        coarse, model, mask, features, radius_deg, model_tendency, noise2self, net, loss,
        train, start=start, coarse_filter=coarse_filter, use_network=True)[:5]
    loss = settings.loss  # resolved: None means the loss of the start
    n_months = inputs.x.shape[0]
    batch = _batch(train, n_months, None)
    steps_per_epoch = n_months // batch
    total = steps_per_epoch * train.epochs
    tx = make_transform(train, total)
    nets = [DownscaleNet.create(inputs.x.shape[-1], net, residual_channel=inputs.residual_channel,
                                seed=s) for s in seeds]
    graphdef = nnx.graphdef(nets[0])
    params = jax.tree.map(lambda *a: jnp.stack(a), *[nnx.state(m, nnx.Param) for m in nets])
    opt_state = jax.vmap(tx.init)(params)
    data = (inputs.x, inputs.model, target_caps)
    if member_mesh is None:
        data = tuple(jnp.asarray(a) for a in data)

        def put_members(tree):
            return tree
    else:
        from .._sharding import replicate

        split = jax.sharding.NamedSharding(member_mesh, jax.sharding.PartitionSpec(MEMBERS))
        data = replicate(data, member_mesh)
        constants = replicate(constants, member_mesh)

        def put_members(tree):
            return jax.tree.map(lambda a: jax.device_put(a, split), tree)

        params, opt_state = put_members(params), put_members(opt_state)
    n_local = n if member_mesh is None else n // member_mesh.devices.size
    step_fn = _make_step(graphdef, tx, loss, member_mesh, strategy, n_local)
    history: list[dict] = []
    bar = None
    if not quiet and total:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"downscale ensemble ({n})", unit="step", leave=True)
    try:
        for s in range(total):
            epoch, k = divmod(s, steps_per_epoch)
            idx = np.stack([np.sort(epoch_order(seed, epoch, n_months)[k * batch:(k + 1) * batch])
                            for seed in seeds]).astype(np.int32)
            params, opt_state, terms = step_fn(params, opt_state, *data, put_members(idx),
                                               constants)
            terms = {key: np.asarray(v, np.float64) for key, v in terms.items()}
            for key, v in terms.items():
                bad = np.flatnonzero(~np.isfinite(v))
                if bad.size:
                    raise _diverged(s + 1, epoch, seeds[bad[0]], int(bad[0]),
                                    f"the loss term {key}={v[bad[0]]:.3g}")
            history.append(terms)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({key: f"{v.mean():.3g}" for key, v in terms.items()},
                                refresh=False)
            if callback is not None:
                callback(s + 1, {key: v.tolist() for key, v in terms.items()})
    finally:
        if bar is not None:
            bar.close()
    for k, m in enumerate(nets):
        state = jax.tree.map(lambda a, k=k: np.asarray(a[k]), params)
        if not all(np.all(np.isfinite(a)) for a in jax.tree.leaves(state)):
            raise _diverged(total, train.epochs - 1, seeds[k], k, "the weights became "
                            "non-finite")
        nnx.update(m, jax.tree.map(jnp.asarray, state))
    return EnsembleDownscaler(nets, settings, seeds, fields.mask, history, units=fields.units)


class EnsembleDownscaler:
    """Networks that differ by their seed, trained together by :func:`fit_ensemble`.

    Attributes:
        nets: the members' :class:`DownscaleNet`.
        settings: the :class:`RunSettings` of the run (``seed``: the first member's).
        seeds: the members' seeds.
        mask: ``(nlat, nlon)`` boolean mask of the data grid.
        history: per step, each loss term as an ``(N,)`` array over the members.
        units: the unit of the training fields.
    """

    def __init__(self, nets, settings, seeds, mask, history=None, units=None):
        self.nets = list(nets)
        self.settings = settings
        self.seeds = tuple(seeds)
        self.mask = mask
        self.history = list(history or [])
        self.units = units

    def __len__(self) -> int:
        return len(self.nets)

    @property
    def grid(self):
        return self.settings.grid

    def member(self, k: int) -> Downscaler:
        """Member ``k`` as a :class:`Downscaler` (its seed in its settings, its history)."""
        if not -len(self) <= k < len(self):
            raise IndexError(f"member {k} out of range: the ensemble has {len(self)} members")
        k = k % len(self)
        settings = dataclasses.replace(self.settings, seed=self.seeds[k])
        history = [{key: float(v[k]) for key, v in h.items()} for h in self.history]
        return Downscaler(self.nets[k], settings, self.mask, history, units=self.units)

    def predict(self, coarse, model, features=None, *, batch_months: int = 8, mesh=None):
        """Downscale with every member; the ensemble mean, its spread and its uncertainty.

        Each member predicts as :meth:`Downscaler.predict` does (same checks of the
        inputs); the members' fields are then combined per cell and month.

        Returns:
            ``xarray.Dataset`` with, for the name ``<name>`` that
            :meth:`Downscaler.predict` gives its output (``downscaled``):

            - ``<name>``: the ensemble mean (attributes as :meth:`Downscaler.predict`'s);
            - ``<name>_spread``: the standard deviation over the members (``ddof=1``);
            - ``<name>_data_sigma``: the error of the coarse field's constraint as seen by
              the product (:func:`~jaxgeo.downscale._calibration.data_sigma`; truth-free);
            - ``<name>_uncertainty``: the calibrated total standard uncertainty
              ``sqrt(spread² + data_sigma²)``, the σ of ``mean ± 2σ``;

            all in the training unit, NaN outside the mask, with ``units`` and
            ``long_name``.
        """
        import xarray as xr

        outs = [self.member(k).predict(coarse, model, features, batch_months=batch_months,
                                       mesh=mesh) for k in range(len(self))]
        stack = np.stack([o.values for o in outs])
        mean = stack.mean(axis=0)
        spread = stack.std(axis=0, ddof=1)
        first = outs[0]
        name = first.name or "downscaled"
        units = first.attrs.get("units", "1")
        what = first.attrs.get("long_name", name)
        s = self.settings
        # coarse and model as the members saw them (checked, in the training unit)
        fields = to_training_units(prepare(coarse, model, self.mask, features, s.features),
                                   self.units, s.features, s.feature_units)
        sigma_d = data_sigma(mean, fields.coarse, fields.model, grid=self.grid,
                             mask=self.mask, time=fields.time, radius_deg=s.radius_deg,
                             noise2self=s.noise2self,
                             observation_half_width_km=s.loss.observation_half_width_km)
        sigma_d = np.broadcast_to(sigma_d, mean.shape)
        total = np.sqrt(spread**2 + sigma_d**2)
        n = len(self)
        dims, coords = first.dims, first.coords

        def var(values, long_name, comment):
            return xr.DataArray(np.where(self.mask, values, np.nan), dims=dims, coords=coords,
                                attrs={"units": units, "long_name": long_name,
                                       "comment": comment})

        mean_da = first.copy(data=np.where(self.mask, mean, np.nan))
        mean_da.attrs["comment"] = (f"mean of an ensemble of {n} networks (seeds "
                                    f"{list(self.seeds)}); " + first.attrs.get("comment", ""))
        ds = xr.Dataset({
            name: mean_da,
            f"{name}_spread": var(spread, f"ensemble spread of {what}",
                                  f"standard deviation (ddof=1) over {n} members that differ "
                                  "by their seed"),
            f"{name}_data_sigma": var(sigma_d, f"coarse-field uncertainty of {what}",
                                      "RMS over the months of the held-out cap-mean misfit "
                                      "with the coarse field (jaxgeo.downscale, truth-free)"),
            f"{name}_uncertainty": var(total, f"calibrated standard uncertainty of {what}",
                                       f"sqrt({name}_spread**2 + {name}_data_sigma**2)"),
        })
        ds.attrs.update({"ensemble_members": n, "ensemble_seeds": list(self.seeds)})
        return ds

