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
                   help="target grid cell size, degrees (must divide 180 and 360)")
    _args.add_lon_start(p)
    _args.add_var(p)
    p.add_argument("--min-coverage", type=_args.number(float, low=0, high=1), default=0.5,
                   metavar="F", help="fraction of a target cell that valid source cells must "
                                     "cover, else NaN (default 0.5; 0 keeps every touched cell)")
    _args.add_mask(p, help="NetCDF file with a (lat, lon) mask on the input's grid: booleans, "
                           "0/1 or weights in [0, 1] (0 excludes a cell); NaN is an error")
    p.add_argument("--coverage", action="store_true",
                   help="also write the covered fraction of each cell (<var>_coverage)")
    _args.add_out(p, help="output NetCDF path")
    _args.add_max_memory(p)
    _args.add_quiet(p)
    p.set_defaults(func=_regrid, command="regrid")


_BATCH_VALUES = 2e7  # source values per batch (≈ 160 MB in float64)


def _regrid(args) -> int:
    import jax
    import numpy as np
    import xarray as xr

    from .. import Grid
    from .._io import pick_variable, write_netcdf
    from .._regrid import _axis_dim, _regrid_xarray, check_result
    from .._resources import check_memory
    from .._xarray import coord_names

    grid = Grid(args.resolution_deg, args.lon_start)
    path = _args.input_file(args.input)
    mask = None
    if args.mask:
        mask_path = _args.input_file(args.mask)
        mask = pick_variable(_args.open_input(mask_path), None, mask_path)
    lazy = _args.open_input(path, load=False)
    try:
        da = pick_variable(lazy, args.var, path)
        name = str(da.name or "field")
        what = f"{path}: {name}"
        try:
            names = coord_names(da)
        except ValueError as exc:
            raise ValueError(f"{what}: {exc}") from None
        spatial = [_axis_dim(da, c, what) for c in names]
        lead = [d for d in da.dims if d not in spatial]
        n_lead = da.sizes[lead[0]] if lead else 1  # batches run along the first other dim
        per_index = da.size // max(1, n_lead)      # values per index of that dim
        step = max(1, int(_BATCH_VALUES // max(1, per_index)))
        batch = min(step, n_lead) * per_index
        per_slice = int(np.prod([da.sizes[d] for d in spatial]))
        n_out = da.size // max(1, per_slice) * grid.nlat * grid.nlon
        dtype = da.dtype if np.issubdtype(da.dtype, np.floating) else np.dtype(np.float64)
        # the output (and coverage) in full, plus about 10 float64 copies of one batch
        out_bytes = n_out * dtype.itemsize * (1 + args.coverage)
        check_memory(out_bytes + 80.0 * (batch + batch / per_slice * grid.nlat * grid.nlon)
                     + (256 << 20), what=f"regridding {path} ({da.size:,} values onto "
                     f"{grid.nlat} × {grid.nlon})", max_memory_gb=args.max_memory_gb)
        out_path = _args.output_file(args.out, estimate_bytes=out_bytes)
        jax.config.update("jax_enable_x64", True)
        parts, covers = [], []
        for a in range(0, n_lead, step):
            part = da.isel({lead[0]: slice(a, a + step)}) if lead else da
            out, cover = _regrid_xarray(part.load().astype(np.float64), grid, mask=mask,
                                        min_coverage=args.min_coverage, return_coverage=True,
                                        name=what, checks=False)
            parts.append(out.astype(dtype))
            covers.append(cover.astype(dtype))
    finally:
        lazy.close()
    out = xr.concat(parts, dim=lead[0]) if lead else parts[0]
    cover = xr.concat(covers, dim=lead[0]) if lead else covers[0]
    check_result(out.values, cover.values, grid, min_coverage=args.min_coverage, name=what)
    out.attrs["cell_methods"] = "area: mean (conservative regridding)"
    ds = out.to_dataset(name=name)
    if args.coverage:
        ds[f"{name}_coverage"] = cover
    write_netcdf(ds, out_path)
    if not args.quiet:
        print(f"wrote {args.out} ({grid.resolution_deg:g}° grid, "
              f"{int(np.isfinite(out.values).sum()):,} finite values)")
    return 0
