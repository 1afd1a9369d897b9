"""``jaxgeo grace spans``: a model file averaged over the solution spans of a GRACE output,
regridded onto its grid and referred to its base period (:func:`jaxgeo.grace.model_on_grace`),
ready to compare with it or to give to ``jaxgeo downscale fit``."""

from __future__ import annotations

from . import _args


def add_spans(actions) -> None:
    """Add the ``spans`` action to the ``grace`` group."""
    sp = actions.add_parser(
        "spans", help="a model file on the months (solution spans), grid and base period of "
                      "a GRACE output",
        description="Average a model's water-thickness output (daily, monthly or with "
                    "time_start/time_end bounds; any regular lat-lon grid) over each GRACE "
                    "solution span [time_start, time_end) of --like, regrid it conservatively "
                    "onto the GRACE grid, convert it to the GRACE units and remove its mean over "
                    "the GRACE base period (the months the GRACE mean used).")
    sp.add_argument("model", metavar="MODEL.nc", help="NetCDF of (time, lat, lon) water "
                                                      "thickness (units m, cm, mm or kg m-2)")
    sp.add_argument("--like", required=True, metavar="GRACE.nc",
                    help="'jaxgeo grace l2' output: its spans, grid, units and mean period")
    _args.add_var(sp, of="MODEL.nc")
    sp.add_argument("--min-coverage", type=_args.number(float, low=0, high=1, low_open=True),
                    default=1.0, metavar="F",
                    help="fraction of each span the model steps must cover, else NaN "
                         "(default 1)")
    sp.add_argument("--min-area-coverage", type=_args.number(float, low=0, high=1),
                    default=0.5, metavar="F",
                    help="fraction of a GRACE cell valid model cells must cover, else NaN "
                         "(default 0.5)")
    sp.add_argument("--keep-grid", action="store_true",
                    help="average in time only, on the model's own grid")
    sp.add_argument("--no-anomaly", action="store_true",
                    help="keep the span averages (do not remove the base-period mean)")
    _args.add_out(sp, help="output NetCDF path")
    _args.add_max_memory(sp)
    _args.add_quiet(sp)
    sp.set_defaults(func=_run_spans, command="grace spans")


def _run_spans(args) -> int:
    import numpy as np

    from .._io import pick_variable
    from .._resources import check_memory
    from .._xarray import coord_names, grid_of, steps_with_values
    from ..grace import model_on_grace
    from .grace import write_netcdf

    like_path = _args.input_file(args.like)
    like = _args.open_input(like_path)
    grid = grid_of(like, name=str(like_path))
    model_path = _args.input_file(args.model)
    lazy = _args.open_input(model_path, load=False)
    try:
        model = pick_variable(lazy, args.var, model_path)
        try:
            lat, lon = (model.sizes[model[c].dims[0]] for c in coord_names(model))
        except (ValueError, KeyError, IndexError):
            raise ValueError(f"{model_path}: {model.name}: no 1-D latitude/longitude "
                             "coordinates") from None
        cells = lat * lon if args.keep_grid else grid.nlat * grid.nlon
        n = like.sizes["time"]
        # the float64 result and two copies of it, plus a batch of 12 months on either grid
        check_memory(8.0 * (3 * n * cells + 12 * 3 * (lat * lon + grid.nlat * grid.nlon)),
                     what=f"{model_path} on {n} GRACE months", max_memory_gb=args.max_memory_gb)
        out_path = _args.output_file(args.out, estimate_bytes=4.0 * n * cells)
        try:
            out = model_on_grace(model, like, min_coverage=args.min_coverage,
                                 min_area_coverage=args.min_area_coverage,
                                 remove_base_mean=not args.no_anomaly,
                                 regrid=not args.keep_grid, quiet=args.quiet)
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(msg if msg.startswith(str(model_path)) else
                             f"{model_path}: {msg}") from None
    finally:
        lazy.close()
    write_netcdf(out.astype(np.float32).assign_attrs(out.attrs), out_path)
    if not args.quiet:
        got = int(steps_with_values(out).sum())
        print(f"wrote {args.out}: {got} of {n} GRACE months with model values, "
              f"{out.attrs['units']}")
    return 0
