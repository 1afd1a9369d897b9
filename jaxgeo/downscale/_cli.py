"""``jaxgeo downscale`` and ``jaxgeo demo`` (the synthetic downscaling experiment)."""

from __future__ import annotations

from pathlib import Path

from .._io import pick_variable


def register(sub) -> None:
    p = sub.add_parser("downscale", help="downscale a coarse (GRACE) field with a model field")
    p.add_argument("--coarse", required=True, help="NetCDF with the coarse (time, lat, lon) field")
    p.add_argument("--model", required=True, help="NetCDF with the model (time, lat, lon) field")
    p.add_argument("--features", help="NetCDF whose (time, lat, lon) variables are extra inputs")
    p.add_argument("--mask", help="NetCDF with a (lat, lon) 0/1 mask (default: the cells where "
                                  "the coarse field is finite in every month)")
    p.add_argument("--out", required=True, help="output NetCDF path")
    p.add_argument("--coarse-var", help="variable in --coarse (default: the only/first one)")
    p.add_argument("--model-var", help="variable in --model (default: the only/first one)")
    p.add_argument("--radius-deg", type=float, default=3.0, help="cap radius, degrees")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--checkpoint-dir", help="orbax checkpoints here; resumes if present")
    p.add_argument("--observation-km", type=float,
                   help="Gaussian half-width (km) of the coarse product's own smoothing; the "
                        "prediction is smoothed by it before cap means are compared")
    p.add_argument("--cap-power", type=int, choices=(1, 2), default=1,
                   help="1: mean absolute cap misfit (published), 2: mean squared")
    p.add_argument("--noise2self", action="store_true",
                   help="train blind to each month's own coarse field (needs >= 12 months; "
                        "see jaxgeo.downscale.fit)")
    p.set_defaults(func=_downscale)

    # ``jaxgeo demo`` is the project's main job: the synthetic downscaling experiment.
    d = sub.add_parser("demo", help="run the synthetic GRACE downscaling experiment end to end "
                                    "(NetCDF, PNG maps, metrics.json)")
    d.add_argument("--out", default="jaxgeo-demo", help="output folder (default: jaxgeo-demo)")
    d.add_argument("--res", type=float, default=1.0, help="grid resolution, degrees (default 1)")
    d.add_argument("--months", type=int, default=120, help="number of months (default 120)")
    d.add_argument("--epochs", type=int, default=4, help="training epochs (default 4)")
    d.add_argument("--radius-deg", type=float, default=3.0, help="cap radius, degrees")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--no-noise2self", action="store_true",
                   help="let the network see each month's own coarse field (the published "
                        "inputs) instead of training blind to it")
    d.set_defaults(func=_demo)


def _open(path):
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file not found: {path}")
    with xr.open_dataset(path) as ds:
        return ds.load()


def _downscale(args) -> int:
    import numpy as np

    from .._io import write_netcdf
    from ._api import fit

    coarse = pick_variable(_open(args.coarse), args.coarse_var, args.coarse)
    model = pick_variable(_open(args.model), args.model_var, args.model)
    features = _open(args.features) if args.features else None
    if args.mask:
        mask = pick_variable(_open(args.mask), None, args.mask)
        if not np.all(np.isfinite(mask.values)):
            raise ValueError(f"{args.mask}: mask has NaN values; use 0/1")
        mask = mask > 0
    else:
        mask = np.isfinite(coarse).all("time")
        if bool(mask.all()):
            raise ValueError("no --mask given and the coarse field has no NaN cells to infer "
                             "one from; pass --mask with a (lat, lon) 0/1 variable")
    from ._loss import LossConfig
    from ._train import TrainConfig

    fitted = fit(coarse, model, mask=mask, features=features, radius_deg=args.radius_deg,
                 train=TrainConfig(epochs=args.epochs, seed=args.seed),
                 checkpoint_dir=args.checkpoint_dir,
                 loss=LossConfig(observation_half_width_km=args.observation_km,
                                 cap_power=args.cap_power), noise2self=args.noise2self)
    out = fitted.predict(coarse, model, features)
    ds = out.to_dataset(name=str(model.name or "downscaled"))
    ds.attrs.update({"Conventions": "CF-1.8", "source": "jaxgeo downscale",
                     "history": f"jaxgeo downscale --coarse {args.coarse} --model {args.model}"})
    write_netcdf(ds, args.out)
    print(f"wrote {args.out}")
    return 0


def _demo(args) -> int:
    from ._demo import run_demo

    run_demo(args.out, resolution_deg=args.res, n_months=args.months, epochs=args.epochs,
             radius_deg=args.radius_deg, seed=args.seed, noise2self=not args.no_noise2self)
    return 0
