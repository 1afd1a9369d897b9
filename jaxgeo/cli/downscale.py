"""``jaxgeo downscale fit``: downscale a coarse (GRACE) field with a model field."""

from __future__ import annotations

from . import _args


def register(sub) -> None:
    """Add ``downscale fit``."""
    g = sub.add_parser("downscale", help="self-supervised downscaling of coarse (GRACE) fields",
                       description=__doc__.splitlines()[0].replace("``", "'"))
    actions = g.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    p = actions.add_parser("fit", help="train on a coarse and a model field, write the "
                                       "downscaled field")
    p.add_argument("--coarse", required=True, help="NetCDF with the coarse (time, lat, lon) field")
    p.add_argument("--model", required=True,
                   help="NetCDF with the model (time, lat, lon) field: on the coarse grid and "
                        "time stamps, or raw output (any regular lat-lon grid, daily or "
                        "monthly steps) when --coarse is a 'jaxgeo grace l2' output: it is "
                        "then averaged over the GRACE spans, conservatively regridded and "
                        "referred to the GRACE base period (jaxgeo.grace.model_on_grace)")
    p.add_argument("--features", help="NetCDF whose (time, lat, lon) variables are extra inputs")
    p.add_argument("--mask", metavar="MASK",
                   help="where to downscale: 'land' (cells >= 50%% land, ice sheets "
                        "excluded), 'ocean' (< 50%% land), 'finite' (cells where both fields "
                        "have values), or a NetCDF file with a (lat, lon) boolean or 0/1 "
                        "mask; land and ocean leave out cells without values. Default: land "
                        "for a coarse field with values everywhere (e.g. 'grace l2' output), "
                        "else finite")
    p.add_argument("--min-coverage", type=_args.number(float, low=0, high=1, low_open=True),
                   default=1.0, metavar="F",
                   help="raw model files: fraction of each GRACE span its time steps must "
                        "cover, else the month is left out (default 1)")
    _args.add_out(p, help="output NetCDF path")
    _args.add_var(p, "--coarse-var", of="--coarse")
    _args.add_var(p, "--model-var", of="--model")
    p.add_argument("--radius-deg", type=_args.RADIUS_DEG, default=3.0, help="cap radius, degrees")
    p.add_argument("--epochs", type=_args.COUNT, default=10, help="training epochs (default 10)")
    _args.add_seed(p)
    p.add_argument("--checkpoint-dir", help="orbax checkpoints here; resumes if present")
    p.add_argument("--observation-half-width-km", type=_args.POSITIVE, metavar="KM",
                   help="Gaussian half-width (km) of the coarse product's own smoothing; the "
                        "prediction is smoothed by it before cap means are compared")
    _args.add_retired(p, "--observation-km", new="--observation-half-width-km",
                      dest="observation_half_width_km", type=float)
    p.add_argument("--cap-power", type=int, choices=(1, 2), default=1,
                   help="1: mean absolute cap misfit (published), 2: mean squared")
    p.add_argument("--noise2self", action="store_true",
                   help="train blind to each month's own coarse field (needs >= 12 months; "
                        "see jaxgeo.downscale.fit)")
    _args.add_quiet(p)
    p.set_defaults(func=_fit, command="downscale fit")


def _open(path):
    return _args.open_input(path)


def _fit(args) -> int:
    import numpy as np
    import xarray as xr

    from .._io import pick_variable, write_netcdf
    from ..downscale import LossConfig, TrainConfig, fit
    from ._downscale_inputs import (
        MASK_NAMES,
        common_months,
        default_mask_name,
        match_model,
        named_mask,
    )

    out_path = _args.output_file(args.out)  # checked before the training, not after
    coarse_ds = _open(args.coarse)
    coarse = pick_variable(coarse_ds, args.coarse_var, args.coarse)
    if args.mask and args.mask not in MASK_NAMES:
        mask = pick_variable(_open(args.mask), None, args.mask)  # a file: before the model
    model_path = _args.input_file(args.model)
    lazy = _args.open_input(model_path, load=False)  # raw model output is read span by span
    try:
        model = pick_variable(lazy, args.model_var, args.model)
        model, how = match_model(model, coarse, path=str(args.model),
                                 min_coverage=args.min_coverage, quiet=args.quiet)
    finally:
        lazy.close()
    coarse, model = common_months(coarse, model)
    features = _open(args.features) if args.features else None
    if features is not None and np.isin(coarse["time"].values, features["time"].values).all():
        features = features.sel(time=coarse["time"])  # the months kept (else fit says which)
    name = args.mask if args.mask in MASK_NAMES else None
    if not args.mask:
        name = default_mask_name(coarse)
    if name is not None:
        mask, mask_desc = named_mask(name, coarse, model)
    else:
        mask_desc = f"from {args.mask}"
    if not args.quiet:
        print(f"model: {how}\nmonths: {coarse.sizes['time']} "
              f"({str(coarse['time'].values[0])[:7]}..{str(coarse['time'].values[-1])[:7]})"
              f"\nmask: {mask_desc}")
    fitted = fit(coarse, model, mask=mask, features=features, radius_deg=args.radius_deg,
                 noise2self=args.noise2self,
                 loss=LossConfig(observation_half_width_km=args.observation_half_width_km,
                                 cap_power=args.cap_power),
                 train=TrainConfig(epochs=args.epochs, seed=args.seed),
                 checkpoint_dir=args.checkpoint_dir, quiet=args.quiet)
    out = fitted.predict(coarse, model, features)
    ds = out.to_dataset(name=str(model.name or "downscaled"))
    ds["mask"] = xr.DataArray(np.asarray(fitted.mask, np.int8), dims=("lat", "lon"),
                              coords=fitted.grid.to_xarray_coords(),  # aligned by label
                              attrs={"long_name": "cells downscaled (1)",
                                     "description": mask_desc})
    ds.attrs.update({"Conventions": "CF-1.8", "source": "jaxgeo downscale fit",
                     "model_processing": how, "mask": mask_desc,
                     "history": f"jaxgeo downscale fit --coarse {args.coarse} "
                                f"--model {args.model}"})
    write_netcdf(ds, out_path)
    if not args.quiet:
        print(f"wrote {args.out}")
    return 0
