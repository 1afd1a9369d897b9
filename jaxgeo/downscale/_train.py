"""Training loop: jit-compiled optax steps over batches of months, orbax checkpoints, resume.

Determinism: the network is initialised from ``seed``; epoch ``e`` visits the months in
the order ``default_rng([seed, e]).permutation``; a step depends only on the state and the
batch. Restarting from a checkpoint written after step ``s`` therefore replays steps
``s+1…`` exactly as an uninterrupted run would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .._sharding import MONTHS, months_axis_size, replicate, shard_months
from . import losses

__all__ = ["CHECKPOINT_FORMAT", "LossConfig", "TrainConfig", "composite_loss", "train"]

CHECKPOINT_FORMAT = "jaxgeo.downscale/1"

_SIMILARITY = {
    "mae_decorrelation": losses.mae_decorrelation,
    "mse": losses.mse,
    "gradient": losses.gradient_matching,
}


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Weights of the loss terms.

    Attributes:
        cap_weight: weight of :func:`~jaxgeo.downscale.losses.cap_consistency`.
        cap_power: 1 (absolute, as published) or 2 (squared) cap misfit.
        similarity: model-similarity terms, a tuple of names among ``mae_decorrelation``,
            ``mse`` and ``gradient``.
        similarity_weights: one weight per similarity term.
        observation_km: half-width (km) of a Gaussian that models the coarse product's
            own smoothing; when set, the prediction is smoothed by it (over the mask)
            before its cap means are compared with the coarse field's, so like is compared
            with like. None compares raw cap means, as published.
    """

    cap_weight: float = 1.0
    cap_power: int = 1
    similarity: tuple[str, ...] = ("mae_decorrelation",)
    similarity_weights: tuple[float, ...] = (1.0,)
    observation_km: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "similarity", tuple(self.similarity))
        object.__setattr__(self, "similarity_weights",
                           tuple(float(w) for w in self.similarity_weights))
        unknown = [s for s in self.similarity if s not in _SIMILARITY]
        if unknown:
            raise ValueError(f"unknown similarity term(s) {unknown}; choose from "
                             f"{sorted(_SIMILARITY)}")
        if len(self.similarity) != len(self.similarity_weights):
            raise ValueError("LossConfig.similarity and similarity_weights differ in length")
        if self.cap_power not in (1, 2):
            raise ValueError(f"cap_power must be 1 or 2, got {self.cap_power!r}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes:
        epochs: passes over all months.
        batch_size: months per step (the last incomplete batch of an epoch is dropped;
            which months are dropped changes every epoch).
        learning_rate: Adam learning rate (cosine-decayed to 10 % over the run).
        seed: seed of the weights and of the month order.
        checkpoint_every: steps between checkpoints (a final one is always written).
    """

    epochs: int = 10
    batch_size: int = 4
    learning_rate: float = 1e-3
    seed: int = 0
    checkpoint_every: int = 50

    def __post_init__(self):
        for name in ("epochs", "batch_size", "checkpoint_every"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not (self.learning_rate > 0):
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}")


def composite_loss(pred, model_field, target_caps, aux, cfg: LossConfig):
    """Total loss and its terms ``(total, {"cap": .., name: ..})`` for one batch.

    Args:
        pred, model_field: ``(B, nlat, nlon)`` prediction and model field (normalised).
        target_caps: ``(B, tlat, tlon)`` cap means of the coarse field.
        aux: dict with ``cap_op``, ``centre_weights`` ``(tlat, tlon)``,
            ``pixel_weights`` ``(nlat, nlon)`` and, with ``cfg.observation_km``,
            ``observation_op`` (a :class:`jaxgeo.sphere.GaussianSmooth`).
        cfg: :class:`LossConfig`.
    """
    observed = pred if aux.get("observation_op") is None else aux["observation_op"](pred)
    terms = {"cap": losses.cap_consistency(observed, target_caps, aux["cap_op"],
                                           aux["centre_weights"], power=cfg.cap_power)}
    total = cfg.cap_weight * terms["cap"]
    for name, w in zip(cfg.similarity, cfg.similarity_weights, strict=True):
        terms[name] = _SIMILARITY[name](pred, model_field, aux["pixel_weights"])
        total = total + w * terms[name]
    return total, terms


def make_optimizer(net, cfg: TrainConfig, total_steps: int):
    schedule = optax.cosine_decay_schedule(cfg.learning_rate, max(total_steps, 1), alpha=0.1)
    return nnx.Optimizer(net, optax.adam(schedule), wrt=nnx.Param)


@functools.lru_cache(maxsize=8)
def make_train_step(loss_cfg: LossConfig):
    """A jit-compiled step ``(net, optimizer, x, model_field, target_caps, aux) → terms``."""

    @nnx.jit
    def step(net, optimizer, x, model_field, target_caps, aux):
        def loss_fn(net):
            pred = net(x)
            return composite_loss(pred, model_field, target_caps, aux, loss_cfg)

        (_, terms), grads = nnx.value_and_grad(loss_fn, has_aux=True)(net)
        # optax's Adam raises Python-float decay rates to its int32 step count, which
        # jax_numpy_dtype_promotion="strict" refuses; allow it for the update only.
        with jax.numpy_dtype_promotion("standard"):
            optimizer.update(net, grads)
        return terms

    return step


# -- checkpoints ------------------------------------------------------------------------------
class CheckpointError(ValueError):
    """A checkpoint directory that cannot be resumed from."""


def _manager(directory: Path):
    import orbax.checkpoint as ocp

    options = ocp.CheckpointManagerOptions(max_to_keep=2, create=True,
                                           enable_async_checkpointing=False)
    return ocp.CheckpointManager(directory.absolute(), options=options,
                                 item_names=("state", "meta"))


def _state_tree(net, optimizer) -> dict:
    return {"net": nnx.to_pure_dict(nnx.state(net)),
            "opt": nnx.to_pure_dict(nnx.state(optimizer))}


def save_checkpoint(manager, step: int, net, optimizer, meta: dict) -> None:
    import orbax.checkpoint as ocp

    manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(_state_tree(net, optimizer)),
        meta=ocp.args.JsonSave(dict(meta, step=step))), force=True)
    manager.wait_until_finished()


def read_meta(directory: Path) -> tuple[int, dict] | None:
    """``(step, meta)`` of the latest checkpoint in ``directory``; None if there is none.

    Raises:
        CheckpointError: the directory holds files but no readable checkpoint.
    """
    import orbax.checkpoint as ocp

    directory = Path(directory)
    if not directory.exists() or not any(directory.iterdir()):
        return None
    try:
        manager = _manager(directory)
        step = manager.latest_step()
    except Exception as exc:  # orbax raises various types for damaged trees
        raise CheckpointError(f"checkpoint directory {directory} is not readable: {exc}") from exc
    if step is None:
        raise CheckpointError(f"checkpoint directory {directory} is not empty but holds no "
                              "complete checkpoint; remove it or pass another directory")
    try:
        restored = manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        meta = dict(restored["meta"])
    except Exception as exc:
        raise CheckpointError(f"checkpoint {directory} step {step} is corrupted: metadata "
                              f"unreadable ({type(exc).__name__}: {exc})") from exc
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint {directory} has format {meta.get('format')!r}, "
                              f"expected {CHECKPOINT_FORMAT!r}")
    return step, meta


def _abstract(a) -> jax.ShapeDtypeStruct:
    # Restore onto the sharding the live array has now (one device, or replicated over this
    # run's mesh), never onto the one recorded at save time: the checkpoint may come from
    # a run with another number of devices, which this process may not even have.
    sharding = (a.sharding if isinstance(a, jax.Array)
                else jax.sharding.SingleDeviceSharding(jax.devices()[0]))
    return jax.ShapeDtypeStruct(np.shape(a), np.dtype(a.dtype), sharding=sharding)


def restore_checkpoint(directory: Path, step: int, net, optimizer=None) -> None:
    """Load the state of checkpoint ``step`` into ``net`` (and ``optimizer``) in place.

    Each array is restored onto the sharding of the corresponding live array of ``net`` /
    ``optimizer`` (replicate them over a mesh first for a sharded run), whatever the device
    count of the run that wrote the checkpoint.
    """
    import orbax.checkpoint as ocp

    if optimizer is None:  # same state layout as in training; its values are discarded
        optimizer = make_optimizer(net, TrainConfig(), 1)
    target = _state_tree(net, optimizer)
    abstract = jax.tree.map(_abstract, target)
    try:
        restored = _manager(Path(directory)).restore(
            step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract)))["state"]
    except Exception as exc:
        raise CheckpointError(f"checkpoint {directory} step {step} is corrupted or does not "
                              f"match the network ({type(exc).__name__}: {exc})") from exc
    bad = [jax.tree_util.keystr(k) for k, a in jax.tree_util.tree_leaves_with_path(
        jax.tree.map(lambda r, t: np.shape(r) != np.shape(t), restored, target)) if a]
    if bad:
        raise CheckpointError(f"checkpoint {directory} does not match the network: shapes "
                              f"differ at {bad[:3]}")
    for obj, key in ((net, "net"), (optimizer, "opt")):
        state = nnx.state(obj)
        nnx.replace_by_pure_dict(state, restored[key])
        nnx.update(obj, state)


def check_compatible(saved: dict, current: dict, directory) -> None:
    """Raise :class:`CheckpointError` naming the first setting that differs."""
    for key in current:
        if key in ("train_epochs", "step"):
            continue
        if saved.get(key) != current[key]:
            a, b = json.dumps(saved.get(key))[:120], json.dumps(current[key])[:120]
            raise CheckpointError(f"checkpoint in {directory} is incompatible with this run: "
                                  f"'{key}' differs (checkpoint {a}, now {b}); use another "
                                  "checkpoint_dir or the original settings")


# -- the loop ---------------------------------------------------------------------------------
def _scalar(v) -> float:
    # a replicated loss of a multi-process mesh is not fully addressable; any copy will do
    if isinstance(v, jax.Array) and not v.is_fully_addressable:
        v = v.addressable_data(0)
    return float(v)


def epoch_order(seed: int, epoch: int, n_months: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n_months)


def train(net, inputs: np.ndarray, model_field: np.ndarray, target_caps: np.ndarray, aux: dict,
          *, train_cfg: TrainConfig, loss_cfg: LossConfig, meta: dict,
          checkpoint_dir: Path | None = None, progress: bool = True,
          callback: Callable[[int, dict], None] | None = None, mesh=None) -> list[dict]:
    """Optimise ``net`` in place; returns the per-step loss terms (floats).

    Args:
        net: the :class:`~jaxgeo.downscale.DownscaleNet`.
        inputs: ``(T, nlat, nlon, C)`` float32 network inputs.
        model_field: ``(T, nlat, nlon)`` float32 normalised model field (similarity target).
        target_caps: ``(T, tlat, tlon)`` float32 cap means of the normalised coarse field.
        aux: loss constants (see :func:`composite_loss`).
        train_cfg, loss_cfg: settings.
        meta: JSON-able description of the run stored with each checkpoint; on resume it
            must equal the stored one (except ``train_epochs``).
        checkpoint_dir: where to write (and resume from) orbax checkpoints.
        progress: show a tqdm progress bar with the loss terms.
        callback: called as ``callback(step, terms)`` after every step (tests use it to
            interrupt a run).
        mesh: data parallelism: a :class:`jax.sharding.Mesh` with a ``"months"`` axis
            (:func:`jaxgeo.distributed.make_mesh`). Each batch is split over that axis,
            weights, optimizer state and loss constants are replicated, and the same jitted
            step runs on the sharded arrays (XLA inserts the gradient all-reduce). The batch
            must divide evenly over the axis. None: one device.

    Raises:
        ValueError: the mesh has no ``"months"`` axis, or the batch does not divide over it.
    """
    n_months = inputs.shape[0]
    batch = min(train_cfg.batch_size, n_months)
    if mesh is not None:
        k = months_axis_size(mesh)
        if batch % k:
            # padding months would enter the batch means of the loss and change the step
            raise ValueError(f"a batch of {batch} months cannot be split evenly over the {k} "
                             f"devices of the mesh's {MONTHS!r} axis; choose a batch_size that "
                             f"is a multiple of {k}"
                             + (f" (the data have only {n_months} months)"
                                if batch < train_cfg.batch_size else ""))
    steps_per_epoch = n_months // batch
    total = steps_per_epoch * train_cfg.epochs
    optimizer = make_optimizer(net, train_cfg, total)
    meta = dict(meta, format=CHECKPOINT_FORMAT, train_epochs=train_cfg.epochs)
    if mesh is not None:
        for obj in (net, optimizer):
            nnx.update(obj, replicate(nnx.state(obj), mesh))
        aux = replicate(aux, mesh)

        def put(a):
            return shard_months(a, mesh).array
    else:
        put = jnp.asarray
    start = 0
    manager = None
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        found = read_meta(checkpoint_dir)
        if found is not None:
            start, saved = found
            check_compatible(saved, meta, checkpoint_dir)
            if start > total:
                raise CheckpointError(f"checkpoint in {checkpoint_dir} is at step {start}, "
                                      f"beyond this run's {total} steps")
            restore_checkpoint(checkpoint_dir, start, net, optimizer)
        manager = _manager(checkpoint_dir)

    step_fn = make_train_step(loss_cfg)
    history: list[dict] = []
    bar = None
    if progress and start < total:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=start, desc="downscale", unit="step", leave=True)
    try:
        for s in range(start, total):
            epoch, k = divmod(s, steps_per_epoch)
            idx = np.sort(epoch_order(train_cfg.seed, epoch, n_months)[k * batch:(k + 1) * batch])
            terms = step_fn(net, optimizer, put(inputs[idx]), put(model_field[idx]),
                            put(target_caps[idx]), aux)
            terms = {key: _scalar(v) for key, v in terms.items()}
            if not all(math.isfinite(v) for v in terms.values()):
                raise FloatingPointError(f"loss became non-finite at step {s + 1}: {terms}")
            history.append(terms)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({key: f"{v:.3g}" for key, v in terms.items()}, refresh=False)
            if manager is not None and ((s + 1) % train_cfg.checkpoint_every == 0
                                        or s + 1 == total):
                save_checkpoint(manager, s + 1, net, optimizer, meta)
            if callback is not None:
                callback(s + 1, terms)
    finally:
        if bar is not None:
            bar.close()
        if manager is not None:
            manager.close()
    return history
