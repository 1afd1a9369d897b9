"""``jaxgeo regrid``: conservative regridding of a NetCDF field onto a global jaxgeo grid."""

from __future__ import annotations

from . import _args


def register(sub) -> None:
    """Add ``regrid`` (a single command, no action)."""
    p = sub.add_parser(
        "regrid", help="conservative regridding of a lat-lon field onto a global grid",
        description="Conservatively regrid a (..., lat, lon) variable from any regular lat-lon "
                    "grid (finer, coarser or not nested; either longitude convention and "
                    "latitude order; global or regional) onto the global grid of "
                    "--resolution-deg cells, with exact overlap areas on the sphere. NaN source "
                    "cells do not count; target cells less covered than --min-coverage are NaN.")
    p.add_argument("input", help="NetCDF file with a (..., lat, lon) variable on a regular "
                                 "lat-lon grid of cell centres")
    p.add_argument("--resolution-deg", type=_args.POSITIVE, required=True, metavar="DEG",
                   help="target grid cell size, degrees (180 and 360 must be multiples)")
    _args.add_lon_start(p)
    _args.add_var(p)
    p.add_argument("--min-coverage", type=_args.number(float, low=0, high=1), default=0.5,
                   metavar="F", help="fraction of a target cell that valid source cells must "
                                     "cover, else NaN (default 0.5; 0 keeps every touched cell)")
    p.add_argument("--coverage", action="store_true",
                   help="also write the covered fraction of each cell (<var>_coverage)")
    _args.add_out(p, help="output NetCDF path")
    _args.add_max_memory(p)
    _args.add_quiet(p)
    p.set_defaults(func=_regrid, command="regrid")


def _regrid(args) -> int:
    import jax
    import numpy as np

    from .. import Grid
    from .._io import pick_variable, write_netcdf
    from .._regrid import regrid
    from .._resources import check_memory

    grid = Grid(args.resolution_deg, args.lon_start)
    path = _args.input_file(args.input)
    lazy = _args.open_input(path, load=False)
    try:
        da = pick_variable(lazy, args.var, path)
        n_out = da.size // max(1, int(np.prod(da.shape[-2:]))) * grid.nlat * grid.nlon
        # the field (float64 and weighted copies), the output, value and coverage: 8 bytes
        # each; overlap matrices are small beside them
        check_memory(8.0 * (4 * da.size + 4 * n_out) + (256 << 20),
                     what=f"regridding {path} ({da.size:,} values onto {grid.nlat} × "
                          f"{grid.nlon})", max_memory_gb=args.max_memory_gb)
        out_path = _args.output_file(args.out, estimate_bytes=8.0 * n_out * (1 + args.coverage))
        da = da.load()
    finally:
        lazy.close()
    jax.config.update("jax_enable_x64", True)
    dtype = da.dtype if np.issubdtype(da.dtype, np.floating) else np.dtype(np.float64)
    src = da.astype(np.float64)
    name = da.name or "field"
    out, cover = regrid(src, grid, min_coverage=args.min_coverage, return_coverage=True,
                        name=f"{path}: {name}")
    out = out.astype(dtype)
    out.attrs["cell_methods"] = "area: mean (conservative regridding)"
    ds = out.to_dataset(name=name)
    if args.coverage:
        ds[f"{name}_coverage"] = cover.astype(dtype)
    write_netcdf(ds, out_path)
    if not args.quiet:
        print(f"wrote {args.out} ({grid.resolution_deg:g}° grid, "
              f"{int(np.isfinite(out.values).sum()):,} finite values)")
    return 0
