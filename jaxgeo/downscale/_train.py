"""Training loop: jit-compiled optax steps over batches of months, checkpoints, resume.

Determinism: the network is initialised from ``seed``; epoch ``e`` visits the months in
the order ``default_rng([seed, e]).permutation``; a step depends only on the state and the
batch. Restarting from a checkpoint written after step ``s`` therefore replays steps
``s+1…`` exactly as an uninterrupted run would.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .._deprecation import renamed
from .._dtype import standard_promotion
from .._sharding import (
    MONTHS,
    as_auto,
    auto_axes,
    auto_context,
    months_axis_size,
    replicate,
    shard_months,
    tree_as_auto,
)
from ._checkpoint import (
    CheckpointError,
    check_compatible,
    manager,
    read_settings,
    restore_checkpoint,
    save_checkpoint,
)
from ._loss import LossConfig, LossConstants, composite_loss
from ._settings import RunSettings

__all__ = ["TrainConfig", "TrainingDivergedError", "epoch_order",
           "make_optimizer", "make_train_step", "train"]


class TrainingDivergedError(ValueError, FloatingPointError):
    """The loss became non-finite during training (one line: step, epoch, likely cause)."""


def _diverged(step: int, epoch: int, terms: dict | None, cfg: TrainConfig, saved,
              checkpoint_dir) -> TrainingDivergedError:
    what = ("the weights became non-finite" if terms is None else
            "the loss became non-finite (" + ", ".join(
                f"{k}={v:.3g}" for k, v in terms.items() if not math.isfinite(v)) + ")")
    kept = ("no checkpoint was written" if checkpoint_dir is None
            else f"no checkpoint in {checkpoint_dir} was written yet" if saved is None
            else f"the last checkpoint, step {saved} in {checkpoint_dir}, is kept")
    return TrainingDivergedError(
        f"training diverged: {what} at step {step} (epoch "
        f"{epoch + 1}); likely cause: a learning_rate too large ({cfg.learning_rate:g}) or "
        f"extreme input values; {kept}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes:
        epochs: passes over all months.
        batch_months: months per step (the last incomplete batch of an epoch is dropped;
            which months are dropped changes every epoch).
        learning_rate: Adam learning rate (cosine-decayed to 10 % over the run).
        seed: seed of the weights and of the month order.
        checkpoint_every: steps between checkpoints (a final one is always written).

    The retired keyword ``batch_size`` still works for one release (DeprecationWarning).
    """

    epochs: int = 10
    batch_months: int = 4
    learning_rate: float = 1e-3
    seed: int = 0
    checkpoint_every: int = 50

    def __post_init__(self):
        for name in ("epochs", "batch_months", "checkpoint_every"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not (self.learning_rate > 0) or not math.isfinite(self.learning_rate):
            raise ValueError(f"learning_rate must be a positive number, got "
                             f"{self.learning_rate!r}")
        if isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")


_train_config_init = TrainConfig.__init__


@functools.wraps(_train_config_init)
def _init_with_retired(self, *args, **kwargs):
    if "batch_size" in kwargs:
        kwargs["batch_months"] = renamed(kwargs, "batch_size", "batch_months",
                                         where="TrainConfig", current=kwargs.get("batch_months"))
    _train_config_init(self, *args, **kwargs)


TrainConfig.__init__ = _init_with_retired


def make_transform(cfg: TrainConfig, total_steps: int) -> optax.GradientTransformation:
    """The optax transform of a run: Adam, learning rate cosine-decayed to 10 % over
    ``total_steps`` (what :func:`make_optimizer` applies to a network's Params)."""
    schedule = optax.cosine_decay_schedule(cfg.learning_rate, max(total_steps, 1), alpha=0.1)
    return optax.adam(schedule)


def make_optimizer(net, cfg: TrainConfig, total_steps: int):
    """Adam with a cosine-decayed learning rate over ``total_steps``, on ``net``'s Params."""
    return nnx.Optimizer(net, make_transform(cfg, total_steps), wrt=nnx.Param)


@functools.lru_cache(maxsize=8)
def make_train_step(loss_cfg: LossConfig):
    """A jit-compiled step ``(net, optimizer, x, model_field, target_caps, constants) → terms``.

    ``constants``: the :class:`LossConstants` of the run. Updates ``net`` and ``optimizer``
    in place and returns the loss terms of the batch before the update.

    The arrays may be laid out on a mesh with Explicit or Auto axes (e.g. the batch split
    over ``jax.make_mesh((8,), ("months",))``); the step runs on the Auto view of the same
    devices, and the updated weights stay there.
    """

    @nnx.jit
    def jitted(net, optimizer, x, model_field, target_caps, constants):
        def loss_fn(net):
            pred = net(x)
            return composite_loss(pred, model_field, target_caps, constants, loss_cfg)

        (_, terms), grads = nnx.value_and_grad(loss_fn, has_aux=True)(net)
        # optax's Adam raises Python-float decay rates to its int32 step count, which
        # jax_numpy_dtype_promotion="strict" refuses; allow it for the update only.
        with standard_promotion():
            optimizer.update(net, grads)
        return terms

    @functools.wraps(jitted)
    def step(net, optimizer, x, model_field, target_caps, constants):
        # Explicit axes would need sharding annotations inside the network (reshapes,
        # convolutions of replicated weights with split batches): view them as Auto
        for obj in (net, optimizer):
            state = nnx.state(obj)
            if any(as_auto(a) is not a for a in jax.tree.leaves(state)):
                nnx.update(obj, tree_as_auto(state))
        args = tree_as_auto((x, model_field, target_caps, constants))
        with auto_context():
            return jitted(net, optimizer, *args)

    return step


def _scalar(v) -> float:
    # a replicated loss of a multi-process mesh is not fully addressable; any copy will do
    if isinstance(v, jax.Array) and not v.is_fully_addressable:
        v = v.addressable_data(0)
    return float(v)


def epoch_order(seed: int, epoch: int, n_months: int) -> np.ndarray:
    """The order in which epoch ``epoch`` visits the months."""
    return np.random.default_rng([seed, epoch]).permutation(n_months)


def _batch(train_cfg: TrainConfig, n_months: int, mesh) -> int:
    batch = min(train_cfg.batch_months, n_months)
    if mesh is not None:
        k = months_axis_size(mesh)
        if batch % k:
            # padding months would enter the batch means of the loss and change the step
            raise ValueError(f"a batch of {batch} months cannot be split evenly over the {k} "
                             f"devices of the mesh's {MONTHS!r} axis; choose a batch_months "
                             f"that is a multiple of {k}"
                             + (f" (the data have only {n_months} months)"
                                if batch < train_cfg.batch_months else ""))
    return batch


def train(net, inputs: np.ndarray, model_field: np.ndarray, target_caps: np.ndarray,
          constants: LossConstants, *, train_cfg: TrainConfig, loss_cfg: LossConfig,
          settings: RunSettings, checkpoint_dir: Path | None = None, quiet: bool = False,
          callback: Callable[[int, dict], None] | None = None, mesh=None,
          units: str | None = None) -> list[dict]:
    """Optimise ``net`` in place; returns the per-step loss terms (floats).

    Args:
        net: the :class:`~jaxgeo.downscale.DownscaleNet`.
        inputs: ``(T, nlat, nlon, C)`` float32 network inputs.
        model_field: ``(T, nlat, nlon)`` float32 normalised model field (similarity target).
        target_caps: ``(T, tlat, tlon)`` float32 cap means of the normalised coarse field;
            with the spectral term the tuple ``(cap_means, clm, slm)`` (each month-first).
        constants: the :class:`LossConstants` of the run.
        train_cfg, loss_cfg: settings.
        settings: the :class:`RunSettings` stored with each checkpoint; on resume they must
            equal the stored ones (except ``epochs``).
        checkpoint_dir: where to write (and resume from) orbax checkpoints.
        quiet: no tqdm progress bar.
        callback: called as ``callback(step, terms)`` after every step (tests use it to
            interrupt a run).
        mesh: data parallelism: a :class:`jax.sharding.Mesh` with a ``"months"`` axis
            (:func:`jaxgeo.distributed.make_mesh`; Explicit or Auto axes, see
            :func:`auto_axes`). Each batch is split over that axis,
            weights, optimizer state and loss constants are replicated, and the same jitted
            step runs on the sharded arrays (XLA inserts the gradient all-reduce). The batch
            must divide evenly over the axis. None: one device.
        units: the unit of the fields, stored with each checkpoint.

    Raises:
        ValueError: the mesh has no ``"months"`` axis, or the batch does not divide over it.
        TrainingDivergedError: (a ValueError and FloatingPointError) the loss became
            non-finite; names the step and epoch; the last good checkpoint is kept.
    """
    mesh = auto_axes(mesh)
    n_months = inputs.shape[0]
    batch = _batch(train_cfg, n_months, mesh)
    steps_per_epoch = n_months // batch
    total = steps_per_epoch * train_cfg.epochs
    optimizer = make_optimizer(net, train_cfg, total)
    if mesh is not None:
        for obj in (net, optimizer):
            nnx.update(obj, replicate(nnx.state(obj), mesh))
        constants = replicate(constants, mesh)

        def put(a):
            return shard_months(a, mesh).array
    else:
        put = jnp.asarray
    start = 0
    mgr = None
    saved = None  # the last checkpoint step of this directory
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        found = read_settings(checkpoint_dir)
        if found is not None:
            start, saved = found
            check_compatible(saved, settings, checkpoint_dir)
            if start > total:
                raise CheckpointError(f"checkpoint in {checkpoint_dir} is at step {start}, "
                                      f"beyond this run's {total} steps")
            restore_checkpoint(checkpoint_dir, start, net, optimizer)
            saved = start
        mgr = manager(checkpoint_dir, cleanup=True)

    step_fn = make_train_step(loss_cfg)
    history: list[dict] = []
    bar = None
    if not quiet and start < total:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=start, desc="downscale", unit="step", leave=True)
    try:
        for s in range(start, total):
            epoch, k = divmod(s, steps_per_epoch)
            idx = np.sort(epoch_order(train_cfg.seed, epoch, n_months)[k * batch:(k + 1) * batch])
            try:
                terms = step_fn(net, optimizer, put(inputs[idx]), put(model_field[idx]),
                                jax.tree.map(lambda a, i=idx: put(a[i]), target_caps), constants)
            except FloatingPointError:  # jax_debug_nans, or non-finite weights
                raise _diverged(s + 1, epoch, None, train_cfg, saved, checkpoint_dir) from None
            terms = {key: _scalar(v) for key, v in terms.items()}
            if not all(math.isfinite(v) for v in terms.values()):
                raise _diverged(s + 1, epoch, terms, train_cfg, saved, checkpoint_dir)
            history.append(terms)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({key: f"{v:.3g}" for key, v in terms.items()}, refresh=False)
            if mgr is not None and ((s + 1) % train_cfg.checkpoint_every == 0 or s + 1 == total):
                if not all(_scalar(jnp.all(jnp.isfinite(a))) for a in
                           jax.tree.leaves(nnx.state(net, nnx.Param))):
                    raise _diverged(s + 1, epoch, None, train_cfg, saved, checkpoint_dir)
                save_checkpoint(mgr, s + 1, net, optimizer, settings, units)
                saved = s + 1
            if callback is not None:
                callback(s + 1, terms)
    finally:
        if bar is not None:
            bar.close()
        if mgr is not None:
            mgr.close()
    return history
