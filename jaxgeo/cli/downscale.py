"""``jaxgeo downscale``: downscale a coarse (GRACE) field with a model field.

``fit`` trains a network (the best measured settings by default; ``--published`` for the
set-up of Gou & Soja 2024 with our network; ``--method patch`` for their patch method with
its published settings) and writes the downscaled field; ``predict`` writes it with a
network saved by ``fit --checkpoint-dir``, without training. ``predict`` is its own action,
not ``fit`` without training, because ``fit --checkpoint-dir`` resumes and trains on: an
action that never trains takes no training flags and cannot change the network.
"""

from __future__ import annotations

from . import _args


def _inputs(p, *, action: str) -> None:
    """The input, mask, time and output flags of ``fit`` and ``predict``."""
    p.add_argument("--coarse", required=True, help="NetCDF with the coarse (time, lat, lon) field")
    p.add_argument("--model", required=True,
                   help="NetCDF with the model (time, lat, lon) field: on the coarse grid and "
                        "time stamps, or raw output (any regular lat-lon grid, daily or "
                        "monthly steps) when --coarse is a 'jaxgeo grace l2' output: it is "
                        "then averaged over the GRACE spans, conservatively regridded and "
                        "referred to the GRACE base period (jaxgeo.grace.model_on_grace)")
    p.add_argument("--features", help="NetCDF whose (time, lat, lon) variables are extra inputs"
                   + (" (those of the training)" if action == "predict" else ""))
    p.add_argument("--mask", metavar="MASK",
                   help="where to downscale: 'land' (cells >= 50%% land, ice sheets "
                        "excluded), 'ocean' (< 50%% land), 'finite' (cells where both fields "
                        "have values), or a NetCDF file with a (lat, lon) boolean or 0/1 "
                        "mask (its 'mask' variable if it has one, e.g. a fit output); land "
                        "and ocean leave out cells without values. Default: land for a "
                        "coarse field with values everywhere (e.g. 'grace l2' output), else "
                        "finite" + ("; it must be the training's mask (give the fit's output "
                                    "file to be sure)" if action == "predict" else ""))
    p.add_argument("--time", nargs=2, metavar=("START", "END"),
                   help="only the months whose midpoint (of the GRACE span, or of the "
                        "calendar month) lies in [START, END), ISO dates, end exclusive")
    p.add_argument("--min-coverage", type=_args.number(float, low=0, high=1, low_open=True),
                   default=1.0, metavar="F",
                   help="raw model files: fraction of each GRACE span its time steps must "
                        "cover, else the month is left out (default 1)")
    _args.add_out(p, help="output NetCDF path (variable <coarse variable>_downscaled)")
    _args.add_var(p, "--coarse-var", of="--coarse")
    _args.add_var(p, "--model-var", of="--model")


def register(sub) -> None:
    """Add ``downscale fit`` and ``downscale predict``."""
    g = sub.add_parser("downscale", help="self-supervised downscaling of coarse (GRACE) fields",
                       description=__doc__.splitlines()[0].replace("``", "'"))
    actions = g.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    p = actions.add_parser("fit", help="train on a coarse and a model field, write the "
                                       "downscaled field")
    _inputs(p, action="fit")
    p.add_argument("--method", choices=("caps", "patch"), default="caps",
                   help="caps: jaxgeo's network, trained on spherical-cap means over the "
                        "whole grid (default); patch: the published patch method of Gou & "
                        "Soja (2024) with its published settings (32 x 32 patches, one per "
                        "month and mask cell, batch 512, Adam 1e-3, 150 epochs): slow on a "
                        "CPU; the cap and loss flags below do not apply to it")
    p.add_argument("--radius-deg", type=_args.RADIUS_DEG, default=None,
                   help="cap radius, degrees (default 3)")
    p.add_argument("--epochs", type=_args.COUNT, default=None,
                   help="training epochs (default 10; --method patch: 150)")
    _args.add_seed(p)
    p.add_argument("--members", type=_args.COUNT, default=1, metavar="N",
                   help="train an ensemble of N networks (seeds SEED..SEED+N-1) in one "
                        "program and write its mean, with <variable>_downscaled_spread, "
                        "_data_sigma and _uncertainty (the calibrated total sigma); needs "
                        ">= 12 months, no --checkpoint-dir (default 1: one network)")
    p.add_argument("--checkpoint-dir", help="orbax checkpoints here; resumes if present "
                                            "('downscale predict' reuses the network); "
                                            "--method patch: the trained network is saved "
                                            "there (a folder jaxgeo wrote is replaced)")
    p.add_argument("--patch-size", type=_args.COUNT, metavar="CELLS",
                   help="--method patch: cells per patch side, a multiple of 8 (default 32, "
                        "the published 16 degrees at 0.5 degrees)")
    p.add_argument("--patches-per-epoch", type=_args.COUNT, metavar="N",
                   help="--method patch: patches drawn per epoch (default: one per month and "
                        "mask cell, as published)")
    p.add_argument("--published", action="store_true",
                   help="the published set-up of Gou & Soja (2024): the classical start "
                        "(--start cap), the month's own coarse field as input "
                        "(--no-noise2self), absolute misfit of raw cap means; the flags "
                        "below, when given, change it")
    p.add_argument("--start", choices=("matched", "cap"), default=None,
                   help="what the network corrects: matched (default): the model corrected "
                        "by cap means of coarse minus the model seen through the coarse "
                        "product's filter, radius chosen from the data; cap: the classical "
                        "model + cap(coarse - model) (default with --published or "
                        "--noise2self)")
    p.add_argument("--coarse-lmax", type=_args.number(int, low=2), metavar="N",
                   help="truncation degree of the coarse product (default: its 'lmax' "
                        "attribute, as 'grace l2' writes it, else 60)")
    p.add_argument("--coarse-half-width-km", type=_args.number(float, low=0), metavar="KM",
                   help="Gaussian half-width of the coarse product, km (default: its "
                        "'half_width_km' attribute, else 300)")
    p.add_argument("--use-network", choices=("auto", "yes", "no"), default=None,
                   help="matched start: auto (default) keeps the network's output only if "
                        "its estimated risk is lower than the start's; yes/no: always/never")
    p.add_argument("--observation-half-width-km", type=_args.POSITIVE, metavar="KM",
                   help="Gaussian half-width (km) of the coarse product's own smoothing; the "
                        "prediction is smoothed by it before cap means are compared "
                        "(default 300; none with --published)")
    _args.add_retired(p, "--observation-km", new="--observation-half-width-km",
                      dest="observation_half_width_km", type=float)
    p.add_argument("--cap-power", type=int, choices=(1, 2), default=None,
                   help="2: mean squared cap misfit (default), 1: mean absolute (published)")
    p.add_argument("--cap-weight", type=_args.NONNEGATIVE, metavar="W",
                   help="weight of the cap term (default 1; 0 with --spectral-weight: the "
                        "spectral term instead)")
    p.add_argument("--spectral-weight", type=_args.NONNEGATIVE, metavar="W",
                   help="weight of the spectral consistency term: the output's coefficients "
                        "up to the product's degree (min(60, nlat - 1)), seen through its 300 "
                        "km Gaussian over the mask, against the coarse field's, weighted by a "
                        "GRACE-like degree-error model (default 0: off)")
    p.add_argument("--noise2self", action="store_true", default=None,
                   help="train blind to each month's own coarse field (default with >= 12 "
                        "months; fewer: the published inputs, with a warning)")
    p.add_argument("--no-noise2self", dest="noise2self", action="store_false",
                   help="let the network see each month's own coarse field (published)")
    _args.add_quiet(p)
    p.set_defaults(func=_fit, command="downscale fit")

    q = actions.add_parser("predict", help="write the downscaled field with a network saved "
                                           "by 'fit --checkpoint-dir' (no training)")
    _inputs(q, action="predict")
    q.add_argument("--checkpoint-dir", required=True,
                   help="the checkpoints of a 'downscale fit --checkpoint-dir' run (its "
                        "latest is used), or the network saved by 'fit --method patch'")
    _args.add_quiet(q)
    q.set_defaults(func=_predict, command="downscale predict")


def _read_inputs(args):
    """``(coarse, model, features, mask, provenance)`` from the common flags."""
    import numpy as np

    from .._io import pick_variable
    from ._downscale_inputs import (
        MASK_NAMES,
        common_months,
        default_mask_name,
        mask_variable,
        match_model,
        named_mask,
        select_months,
    )

    if args.time:  # the range is checked before any file is read
        from ._downscale_inputs import time_range

        time_range(args.time)
    coarse = pick_variable(_args.open_input(args.coarse), args.coarse_var, args.coarse)
    if args.mask and args.mask not in MASK_NAMES:  # a file: before the model
        mask = mask_variable(_args.open_input(args.mask), args.mask)
    model_path = _args.input_file(args.model)
    lazy = _args.open_input(model_path, load=False)  # raw model output is read span by span
    try:
        model = pick_variable(lazy, args.model_var, args.model)
        if args.time:
            coarse, model = select_months(coarse, model, args.time, path=str(args.coarse))
        model, how = match_model(model, coarse, path=str(args.model),
                                 min_coverage=args.min_coverage, quiet=args.quiet)
    finally:
        lazy.close()
    coarse, model = common_months(coarse, model)
    features = _args.open_input(args.features) if args.features else None
    if features is not None and np.isin(coarse["time"].values, features["time"].values).all():
        features = features.sel(time=coarse["time"])  # the months kept (else fit says which)
    name = args.mask if args.mask in MASK_NAMES else None
    if not args.mask:
        name = default_mask_name(coarse)
    if name is not None:
        mask, mask_desc = named_mask(name, coarse, model)
    else:
        mask_desc = f"from {args.mask}"
    times = coarse["time"].values
    if not args.quiet:
        print(f"model: {how}\nmonths: {coarse.sizes['time']} "
              f"({str(times[0])[:7]}..{str(times[-1])[:7]})\nmask: {mask_desc}")
    provenance = {
        "coarse_file": str(args.coarse), "coarse_variable": str(coarse.name),
        "model_file": str(args.model), "model_variable": str(model.name),
        "features_file": str(args.features) if args.features else None,
        "features": ", ".join(map(str, features.data_vars)) if features is not None else None,
        "model_processing": how, "mask": mask_desc,
        "time_range": f"{args.time[0]}..{args.time[1]} (months by midpoint, end exclusive)"
        if args.time else None,
        "months": f"{str(times[0])[:7]}..{str(times[-1])[:7]} ({len(times)})",
    }
    return coarse, model, features, mask, provenance


def _history(args, action: str) -> str:
    extra = f" --time {args.time[0]} {args.time[1]}" if args.time else ""
    ckpt = f" --checkpoint-dir {args.checkpoint_dir}" if args.checkpoint_dir else ""
    return (f"jaxgeo downscale {action} --coarse {args.coarse} --model {args.model}"
            f"{extra}{ckpt}")


def _write(args, fitted, coarse, model, features, provenance, out_path, action: str) -> int:
    import xarray as xr

    from .._io import write_netcdf
    from ._downscale_inputs import product

    out = fitted.predict(coarse, model, features)
    extra = {}
    if isinstance(out, xr.Dataset):  # an ensemble: its mean, with its spread and sigmas
        name = next(iter(out.data_vars))
        extra = {k[len(name):]: v for k, v in out.data_vars.items() if k != name}
        provenance.update(ensemble_members=out.attrs["ensemble_members"],
                          ensemble_seeds=", ".join(map(str, out.attrs["ensemble_seeds"])))
        out = out[name]
    if action == "predict":
        provenance["checkpoint_dir"] = str(args.checkpoint_dir)
    ds = product(out, fitted, coarse, action=action,
                 provenance={**provenance, "history": _history(args, action)})
    name = next(iter(ds.data_vars))
    for suffix, v in extra.items():  # <variable>_downscaled_spread, …
        ds[name + suffix] = v
    write_netcdf(ds, out_path)
    if not args.quiet:
        print(f"wrote {args.out} (variable {next(iter(ds.data_vars))})")
    return 0


#: flags of the cap network that do not apply to ``--method patch`` (given: an error)
_CAP_ONLY = ("radius_deg", "published", "observation_half_width_km", "cap_power",
             "noise2self", "start", "coarse_lmax", "coarse_half_width_km", "use_network",
             "cap_weight", "spectral_weight")
_PATCH_ONLY = ("patch_size", "patches_per_epoch")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _patch_base():
    """The published settings (:class:`PatchConfig` defaults); tests shrink the network."""
    from ..downscale import PatchConfig

    return PatchConfig()


def _fit_patch(args) -> int:
    """``fit --method patch``: the published patch method, the same product layout."""
    import dataclasses

    from ..downscale import fit_patches

    given = [n for n in _CAP_ONLY if getattr(args, n, None) not in (None, False)]
    if given:
        raise ValueError(f"{_flag(given[0])} does not apply to --method patch (the published "
                         "patch loss has no caps); leave it out or use --method caps")
    out_path = _args.output_file(args.out)
    changes = {"seed": args.seed, "epochs": args.epochs, "patch_size": args.patch_size,
               "max_patches_per_epoch": args.patches_per_epoch}
    try:
        config = dataclasses.replace(_patch_base(),
                                     **{k: v for k, v in changes.items() if v is not None})
    except ValueError as exc:  # name the flag, not the dataclass field
        raise ValueError(str(exc).replace("PatchConfig.max_patches_per_epoch",
                                          "--patches-per-epoch").replace(
            "PatchConfig.patch_size", "--patch-size")) from None
    coarse, model, features, mask, provenance = _read_inputs(args)
    fitted = fit_patches(coarse, model, mask=mask, features=features, config=config,
                         quiet=args.quiet)
    if args.checkpoint_dir:
        fitted.save(args.checkpoint_dir)
    provenance["method"] = ("patch: the published patch method of Gou & Soja (2024), "
                            f"{config.patch_size}x{config.patch_size} patches")
    return _write(args, fitted, coarse, model, features, provenance, out_path, "fit")


def _fit(args) -> int:
    import dataclasses

    from ..downscale import LossConfig, TrainConfig, fit

    if args.method == "patch":
        return _fit_patch(args)
    given = [n for n in _PATCH_ONLY if getattr(args, n, None) is not None]
    if given:
        raise ValueError(f"{_flag(given[0])} applies to --method patch only")
    out_path = _args.output_file(args.out)  # checked before the training, not after
    coarse, model, features, mask, provenance = _read_inputs(args)
    changes = {k: v for k in ("cap_power", "observation_half_width_km", "cap_weight",
                              "spectral_weight")
               if (v := getattr(args, k, None)) is not None}
    # nothing given: None, fit's loss of the start (spectral consistency for the matched one)
    loss = (LossConfig.published() if args.published else LossConfig() if changes else None)
    loss = dataclasses.replace(loss, **changes) if changes else loss
    noise2self = args.noise2self
    if noise2self is None and args.published:
        noise2self = False
    start = args.start or ("cap" if args.published or noise2self else "matched")
    coarse_filter = None
    if start == "matched" and (args.coarse_lmax or args.coarse_half_width_km is not None):
        from .._grid import Grid
        from ..downscale import CoarseFilter

        from_attrs = CoarseFilter.of(coarse, Grid.from_xarray(coarse))
        coarse_filter = CoarseFilter(
            args.coarse_lmax or from_attrs.lmax,
            from_attrs.half_width_km if args.coarse_half_width_km is None
            else args.coarse_half_width_km, from_attrs.leakage)
    kw = {"mask": mask, "features": features,
          "radius_deg": 3.0 if args.radius_deg is None else args.radius_deg,
          "noise2self": (noise2self or None) if start == "matched" else noise2self,
          "loss": loss, "start": start, "coarse_filter": coarse_filter,
          "train": TrainConfig(epochs=10 if args.epochs is None else args.epochs,
                               seed=args.seed), "quiet": args.quiet}
    if args.members > 1:
        from ..downscale import fit_ensemble

        if args.checkpoint_dir:  # checked before the training, not after
            raise ValueError("--members writes no checkpoints; drop --checkpoint-dir (or "
                             "train one network)")
        if coarse.sizes["time"] < 12:
            raise ValueError(f"--members {args.members}: the calibrated uncertainty needs at "
                             f"least 12 months, {args.coarse} has {coarse.sizes['time']}")
        fitted = fit_ensemble(coarse, model, members=args.members, **kw)
    else:
        fitted = fit(coarse, model, checkpoint_dir=args.checkpoint_dir,
                     use_network={"yes": True, "no": False}.get(args.use_network), **kw)
    return _write(args, fitted, coarse, model, features, provenance, out_path, "fit")


def _predict(args) -> int:
    from ..downscale import Downscaler, PatchDownscaler

    out_path = _args.output_file(args.out)
    coarse, model, features, mask, provenance = _read_inputs(args)
    # a network of 'fit --method patch' (saved by PatchDownscaler.save), else fit's checkpoints
    loader = PatchDownscaler if PatchDownscaler.is_saved(args.checkpoint_dir) else Downscaler
    fitted = loader.load(args.checkpoint_dir, mask=mask)
    return _write(args, fitted, coarse, model, features, provenance, out_path, "predict")
