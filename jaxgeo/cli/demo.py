"""``jaxgeo demo``: the demos on synthetic data (``jaxgeo demo`` alone runs the main job)."""

from __future__ import annotations

from . import _args


def register(sub) -> None:
    """Add ``demo downscale`` (the main job) and ``demo cap``."""
    g = sub.add_parser("demo", help="end-to-end demos on synthetic data ('jaxgeo demo' runs "
                                    "the downscaling experiment)",
                       description=__doc__.splitlines()[0].replace("``", "'"))
    actions = g.add_subparsers(dest="action", metavar="DEMO")
    actions.required = True

    d = actions.add_parser("downscale", help="the synthetic GRACE downscaling experiment end "
                                             "to end (NetCDF, PNG maps, metrics.json)")
    _args.add_out(d, required=False, default="jaxgeo-demo",
                  help="output folder (default: jaxgeo-demo)")
    _args.add_resolution(d, 1.0)
    d.add_argument("--n-months", type=_args.COUNT, default=120,
                   help="number of months (default 120)")
    _args.add_retired(d, "--months", new="--n-months", dest="n_months", type=_args.COUNT)
    d.add_argument("--epochs", type=_args.COUNT, default=4, help="training epochs (default 4)")
    d.add_argument("--radius-deg", type=_args.RADIUS_DEG, default=3.0, help="cap radius, degrees")
    _args.add_seed(d)
    d.add_argument("--no-noise2self", action="store_true",
                   help="let the network see each month's own coarse field (the published "
                        "inputs) instead of training blind to it")
    d.add_argument("--ocean", action="store_true",
                   help="the ocean bottom-pressure experiment instead (two reanalyses as "
                        "inputs, global ocean-mass constraint, synthetic tide gauges and "
                        "bottom-pressure recorders; quick: --resolution-deg 2.5 --n-months 48)")
    _args.add_max_memory(d)
    _args.add_quiet(d)
    d.set_defaults(func=_downscale, command="demo downscale")

    c = actions.add_parser("cap", help="cap averages and a gradient on a synthetic field "
                                       "(writes PNG, NetCDF, JSON)")
    _args.add_out(c, required=False, default="jaxgeo-cap-demo",
                  help="output folder (default: jaxgeo-cap-demo)")
    _args.add_resolution(c, 0.5)
    c.add_argument("--radius-deg", type=_args.RADIUS_DEG, default=3.0, help="cap radius, degrees")
    _args.add_max_memory(c)
    _args.add_quiet(c)
    c.set_defaults(func=_cap, command="demo cap")


def _cells(resolution_deg: float) -> float:
    from .. import Grid

    g = Grid.regular(resolution_deg)  # also refuses a resolution that does not divide 180°
    return float(g.nlat * g.nlon)


def _downscale(args) -> int:
    from .._resources import check_memory
    from ..demos.downscale import run_demo

    # measured: 4.1 GB peak at 1° and 120 months (README), i.e. ~1.5 GB + ~330 B per
    # cell-month of fields, inputs and network activations
    check_memory(1.5e9 + 330.0 * args.n_months * _cells(args.resolution_deg),
                 what=f"the downscaling demo at {args.resolution_deg:g}° for {args.n_months} "
                      "months", max_memory_gb=args.max_memory_gb)
    # run_demo checks --out itself (it refuses folders it did not write) before any work
    if args.ocean:
        from ..demos.ocean import run_ocean_demo

        run_ocean_demo(args.out, resolution_deg=args.resolution_deg, n_months=args.n_months,
                       epochs=args.epochs, radius_deg=args.radius_deg, seed=args.seed,
                       noise2self=False if args.no_noise2self else None, quiet=args.quiet)
        return 0
    run_demo(args.out, resolution_deg=args.resolution_deg, n_months=args.n_months,
             epochs=args.epochs, radius_deg=args.radius_deg, seed=args.seed,
             noise2self=False if args.no_noise2self else None, quiet=args.quiet)
    return 0


def _cap(args) -> int:
    from .._resources import check_memory
    from ..demos.cap import run_demo

    # measured peaks 437/514/830 MB at 1°/0.5°/0.25°: ~0.4 GB + ~400 B per cell
    check_memory(0.5e9 + 400.0 * _cells(args.resolution_deg),
                 what=f"the cap demo at {args.resolution_deg:g}°",
                 max_memory_gb=args.max_memory_gb)
    _args.output_dir(args.out)

    run_demo(args.out, resolution_deg=args.resolution_deg, radius_deg=args.radius_deg,
             quiet=args.quiet)
    return 0
