"""``jaxgeo cap-stream``: cap/Gaussian averages of a larger-than-memory stack, streamed."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "cap-stream",
        help="cap (or Gaussian) average of a (time, lat, lon) stack read and written batch by "
             "batch over all devices (Zarr or NetCDF, larger than memory)")
    p.add_argument("input", help="NetCDF file or Zarr store (.zarr) with a (time, lat, lon) "
                                 "variable on a global grid; opened lazily with dask")
    p.add_argument("--var", help="variable name (default: the only/first data variable)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--radius-deg", type=float, help="cap radius, degrees")
    group.add_argument("--gaussian-km", type=float, help="Gaussian half-width, km")
    p.add_argument("--mask", help="NetCDF file holding a (lat, lon) 0/1 mask variable")
    p.add_argument("--out", required=True,
                   help="output path: .zarr (Zarr regions) or anything else (NetCDF-4)")
    p.add_argument("--batch", type=int, default=12, help="months per batch (default 12)")
    p.add_argument("--prefetch", type=int, default=2, help="batches read ahead (default 2)")
    p.add_argument("--time-dim", default="time", help="the month dimension (default: time)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="device and output precision (default float32)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cap_stream)


def _open_lazy(path: Path):
    import xarray as xr

    if path.suffix == ".zarr" or path.is_dir():
        return xr.open_zarr(path)
    return xr.open_dataset(path, chunks={})


def _cap_stream(args) -> int:
    import jax
    import numpy as np
    import xarray as xr

    from .. import Grid
    from .._io import pick_variable
    from ..sphere import CapAverage, GaussianSmooth
    from ._stream import stream_apply

    path = Path(args.input)
    if not path.exists():
        raise FileNotFoundError(f"input file not found: {path}")
    if args.batch < 1:
        raise ValueError(f"--batch must be positive, got {args.batch}")
    dtype = np.dtype(args.dtype)
    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    ds = _open_lazy(path)
    try:
        da = pick_variable(ds, args.var, path)
        grid = Grid.from_xarray(da)
        mask = None
        if args.mask:
            with xr.open_dataset(args.mask) as mds:
                mask = pick_variable(mds, None, args.mask).load() > 0
        if args.radius_deg is not None:
            op = CapAverage(grid, args.radius_deg, mask=mask, dtype=dtype)
            method = f"area: mean (spherical cap radius {args.radius_deg:g} deg)"
        else:
            op = GaussianSmooth(grid, args.gaussian_km, mask=mask, dtype=dtype)
            method = f"area: mean (Gaussian half-width {args.gaussian_km:g} km)"
        attrs = dict(da.attrs, cell_methods=method)
        stream_apply(op, da, args.out, batch_months=args.batch, prefetch=args.prefetch,
                     name=da.name or "field", attrs=attrs, time_dim=args.time_dim, dtype=dtype,
                     progress=not args.no_progress)
    finally:
        ds.close()
    print(f"wrote {args.out} ({jax.device_count()} device(s))")
    return 0
