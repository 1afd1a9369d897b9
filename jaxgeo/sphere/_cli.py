"""``jaxgeo cap-demo`` (the cap-averaging demonstration) and ``jaxgeo cap``."""

from __future__ import annotations

from pathlib import Path

from .._io import pick_variable


def register(sub) -> None:
    p = sub.add_parser("cap-demo", help="cap averages and a gradient on a synthetic field "
                       "(writes PNG, NetCDF, JSON)")
    p.add_argument("--out", default="jaxgeo-cap-demo",
                   help="output folder (default: jaxgeo-cap-demo)")
    p.add_argument("--res", type=float, default=0.5, help="grid resolution, degrees")
    p.add_argument("--radius-deg", type=float, default=3.0, help="cap radius, degrees")
    p.set_defaults(func=_demo)

    p = sub.add_parser("cap", help="spherical-cap (or Gaussian) average of a NetCDF variable")
    p.add_argument("input", help="NetCDF file with a (..., lat, lon) variable on a global grid")
    p.add_argument("--var", help="variable name (default: the only/first data variable)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--radius-deg", type=float, help="cap radius, degrees")
    group.add_argument("--gaussian-km", type=float, help="Gaussian half-width, km")
    p.add_argument("--mask", help="NetCDF file holding a (lat, lon) 0/1 mask variable")
    p.add_argument("--out", required=True, help="output NetCDF path")
    p.set_defaults(func=_cap)


def _demo(args) -> int:
    from .demo import run_demo

    run_demo(args.out, resolution_deg=args.res, radius_deg=args.radius_deg)
    return 0


def _cap(args) -> int:
    import xarray as xr

    from .. import sphere  # noqa: F401  (accessor)
    from .._io import write_netcdf

    path = Path(args.input)
    if not path.exists():
        raise FileNotFoundError(f"input file not found: {path}")
    with xr.open_dataset(path) as ds:
        da = pick_variable(ds, args.var, path).load()
    mask = None
    if args.mask:
        with xr.open_dataset(args.mask) as mds:
            mask = pick_variable(mds, None, args.mask).load() > 0
    if args.radius_deg is not None:
        out = da.jaxgeo.cap_average(args.radius_deg, mask=mask)
        out.attrs["cell_methods"] = f"area: mean (spherical cap radius {args.radius_deg:g} deg)"
    else:
        out = da.jaxgeo.gaussian_smooth(args.gaussian_km, mask=mask)
        out.attrs["cell_methods"] = f"area: mean (Gaussian half-width {args.gaussian_km:g} km)"
    write_netcdf(out.to_dataset(name=da.name or "field"), args.out)
    print(f"wrote {args.out}")
    return 0
