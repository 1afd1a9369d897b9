"""``jaxgeo sphere``: spherical-cap or Gaussian averages of NetCDF/Zarr fields."""

from __future__ import annotations

from . import _args


def register(sub) -> None:
    """Add ``sphere average`` and ``sphere stream``."""
    g = sub.add_parser("sphere", help="spherical-cap and Gaussian averages of gridded fields",
                       description=__doc__.splitlines()[0].replace("``", "'"))
    actions = g.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    p = actions.add_parser("average", help="cap (or Gaussian) average of a NetCDF variable")
    p.add_argument("input", help="NetCDF file with a (..., lat, lon) variable on a global grid")
    _args.add_var(p)
    _args.add_kernel(p)
    _args.add_mask(p)
    _args.add_out(p, help="output NetCDF path")
    _args.add_max_memory(p)
    _args.add_quiet(p)
    p.set_defaults(func=_average, command="sphere average")

    p = actions.add_parser(
        "stream", help="cap (or Gaussian) average of a (time, lat, lon) stack read and "
                       "written batch by batch over all devices (larger than memory)")
    p.add_argument("input", help="NetCDF file or Zarr store (.zarr) with a (time, lat, lon) "
                                 "variable on a global grid; opened lazily with dask")
    _args.add_var(p)
    _args.add_kernel(p)
    _args.add_mask(p)
    _args.add_out(p, help="output path: .zarr (Zarr regions) or anything else (NetCDF-4)")
    _args.add_batch_months(p, 12)
    p.add_argument("--prefetch", type=_args.WHOLE, default=2, help="batches read ahead (default 2)")
    p.add_argument("--time-dim", default="time", help="the month dimension (default: time)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="device and output precision (default float32)")
    _args.add_quiet(p, retired_no_progress=True)
    p.set_defaults(func=_stream, command="sphere stream")


def _mask(path):
    """The mask variable of ``path`` as a DataArray (the operator applies the mask rule)."""
    from .._io import pick_variable

    return pick_variable(_args.open_input(path), None, path)


def _method(args) -> str:
    if args.radius_deg is not None:
        return f"area: mean (spherical cap radius {args.radius_deg:g} deg)"
    return f"area: mean (Gaussian half-width {args.half_width_km:g} km)"


def _average(args) -> int:
    from .. import sphere  # noqa: F401  (registers the .jaxgeo accessor)
    from .._io import pick_variable, write_netcdf
    from .._resources import check_memory

    path = _args.input_file(args.input)
    lazy = _args.open_input(path, load=False)
    try:
        da = pick_variable(lazy, args.var, path)
        # the field, its float64 copy, spectra and the output: about 8 float64 copies
        check_memory(8.0 * 8 * da.size + (256 << 20), what=f"averaging {path} "
                     f"({da.size:,} values)", max_memory_gb=args.max_memory_gb)
        out_path = _args.output_file(args.out, estimate_bytes=8.0 * da.size)
        da = da.load()
    finally:
        lazy.close()
    mask = _mask(args.mask) if args.mask else None
    if args.radius_deg is not None:
        out = da.jaxgeo.cap_average(args.radius_deg, mask=mask)
    else:
        out = da.jaxgeo.gaussian_smooth(args.half_width_km, mask=mask)
    out.attrs["cell_methods"] = _method(args)
    write_netcdf(out.to_dataset(name=da.name or "field"), out_path)
    if not args.quiet:
        print(f"wrote {args.out}")
    return 0


def _stream(args) -> int:
    import jax
    import numpy as np

    from .. import grid_of
    from .._io import pick_variable
    from ..distributed import stream_apply
    from ..sphere import CapAverage, GaussianSmooth

    path = _args.input_file(args.input)
    if args.batch_months < 1:
        raise ValueError(f"--batch-months must be positive, got {args.batch_months}")
    dtype = np.dtype(args.dtype)
    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    ds = _args.open_input(path, load=False, chunks={})
    try:
        da = pick_variable(ds, args.var, path)
        grid = grid_of(da, name=f"{path}")
        mask = _mask(args.mask) if args.mask else None
        if args.radius_deg is not None:
            op = CapAverage(grid, args.radius_deg, mask=mask, dtype=dtype)
        else:
            op = GaussianSmooth(grid, args.half_width_km, mask=mask, dtype=dtype)
        attrs = dict(da.attrs, cell_methods=_method(args))
        stream_apply(op, da, args.out, batch_months=args.batch_months, prefetch=args.prefetch,
                     name=da.name or "field", attrs=attrs, time_dim=args.time_dim, dtype=dtype,
                     quiet=args.quiet)
    finally:
        ds.close()
    if not args.quiet:
        print(f"wrote {args.out} ({jax.device_count()} device(s))")
    return 0
