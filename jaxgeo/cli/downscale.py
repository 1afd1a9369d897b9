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
    p.add_argument("--model", required=True, help="NetCDF with the model (time, lat, lon) field")
    p.add_argument("--features", help="NetCDF whose (time, lat, lon) variables are extra inputs")
    _args.add_mask(p, help="NetCDF with a (lat, lon) boolean or 0/1 mask (default: the cells "
                           "where the coarse field is finite in every month)")
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

    from .._io import pick_variable, write_netcdf
    from ..downscale import LossConfig, TrainConfig, fit

    out_path = _args.output_file(args.out)  # checked before the training, not after
    coarse = pick_variable(_open(args.coarse), args.coarse_var, args.coarse)
    model = pick_variable(_open(args.model), args.model_var, args.model)
    features = _open(args.features) if args.features else None
    if args.mask:
        mask = pick_variable(_open(args.mask), None, args.mask)  # the mask rule applies in fit
    else:
        mask = np.isfinite(coarse).all("time")
        if bool(mask.all()):
            raise ValueError("no --mask given and the coarse field has no NaN cells to infer "
                             "one from; pass --mask with a (lat, lon) 0/1 variable")
    fitted = fit(coarse, model, mask=mask, features=features, radius_deg=args.radius_deg,
                 noise2self=args.noise2self,
                 loss=LossConfig(observation_half_width_km=args.observation_half_width_km,
                                 cap_power=args.cap_power),
                 train=TrainConfig(epochs=args.epochs, seed=args.seed),
                 checkpoint_dir=args.checkpoint_dir, quiet=args.quiet)
    out = fitted.predict(coarse, model, features)
    ds = out.to_dataset(name=str(model.name or "downscaled"))
    ds.attrs.update({"Conventions": "CF-1.8", "source": "jaxgeo downscale fit",
                     "history": f"jaxgeo downscale fit --coarse {args.coarse} "
                                f"--model {args.model}"})
    write_netcdf(ds, out_path)
    if not args.quiet:
        print(f"wrote {args.out}")
    return 0
