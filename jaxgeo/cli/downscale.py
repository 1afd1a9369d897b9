"""``jaxgeo downscale``: downscale a coarse (GRACE) field with a model field.

``fit`` trains a network (the best measured settings by default; ``--published`` for the
set-up of Gou & Soja 2024) and writes the downscaled field; ``predict`` writes it with a
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
    p.add_argument("--radius-deg", type=_args.RADIUS_DEG, default=3.0, help="cap radius, degrees")
    p.add_argument("--epochs", type=_args.COUNT, default=10, help="training epochs (default 10)")
    _args.add_seed(p)
    p.add_argument("--checkpoint-dir", help="orbax checkpoints here; resumes if present "
                                            "('downscale predict' reuses the network)")
    p.add_argument("--published", action="store_true",
                   help="the published set-up of Gou & Soja (2024): the month's own coarse "
                        "field as input (--no-noise2self), absolute misfit of raw cap means; "
                        "the flags below, when given, change it")
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
                        "latest is used)")
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
    from .._io import write_netcdf
    from ._downscale_inputs import product

    out = fitted.predict(coarse, model, features)
    if action == "predict":
        provenance["checkpoint_dir"] = str(args.checkpoint_dir)
    ds = product(out, fitted, coarse, action=action,
                 provenance={**provenance, "history": _history(args, action)})
    write_netcdf(ds, out_path)
    if not args.quiet:
        print(f"wrote {args.out} (variable {next(iter(ds.data_vars))})")
    return 0


def _fit(args) -> int:
    import dataclasses

    from ..downscale import LossConfig, TrainConfig, fit

    out_path = _args.output_file(args.out)  # checked before the training, not after
    coarse, model, features, mask, provenance = _read_inputs(args)
    loss = LossConfig.published() if args.published else LossConfig()
    changes = {k: v for k in ("cap_power", "observation_half_width_km", "cap_weight",
                              "spectral_weight")
               if (v := getattr(args, k, None)) is not None}
    loss = dataclasses.replace(loss, **changes)
    noise2self = args.noise2self
    if noise2self is None and args.published:
        noise2self = False
    fitted = fit(coarse, model, mask=mask, features=features, radius_deg=args.radius_deg,
                 noise2self=noise2self, loss=loss,
                 train=TrainConfig(epochs=args.epochs, seed=args.seed),
                 checkpoint_dir=args.checkpoint_dir, quiet=args.quiet)
    return _write(args, fitted, coarse, model, features, provenance, out_path, "fit")


def _predict(args) -> int:
    from ..downscale import Downscaler

    out_path = _args.output_file(args.out)
    coarse, model, features, mask, provenance = _read_inputs(args)
    fitted = Downscaler.load(args.checkpoint_dir, mask=mask)
    return _write(args, fitted, coarse, model, features, provenance, out_path, "predict")
