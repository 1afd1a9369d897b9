"""``jaxgeo grace``: Level-2 harmonics or mascons to a CF NetCDF of (time, lat, lon) EWH."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``grace`` command with subcommands ``l2`` and ``mascon``."""
    p = subparsers.add_parser("grace", help="GRACE Level-2 / mascon products to gridded TWS",
                              description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="grace_command", metavar="SUBCOMMAND")
    sub.required = True

    l2 = sub.add_parser("l2", help="Level-2 spherical harmonics (GSM SHM, ICGEM .gfc) to EWH")
    l2.add_argument("source", metavar="DIR", help="directory of GSM-2_* or *.gfc files")
    l2.add_argument("--tn13", metavar="F", help="TN-13 degree-1 file (recommended)")
    l2.add_argument("--tn14", metavar="F", help="TN-14 C20/C30 file (recommended)")
    l2.add_argument("--gaussian", type=float, default=300.0, metavar="KM",
                    help="Gaussian smoothing half-width in km, 0 for none (default 300)")
    l2.add_argument("--res", type=float, default=0.5, metavar="DEG",
                    help="output grid cell size in degrees (default 0.5)")
    l2.add_argument("--lon-start", type=float, default=-180.0, metavar="DEG",
                    help="western edge of the first grid column (default -180)")
    l2.add_argument("--lmax", type=int, default=None, help="truncation degree")
    l2.add_argument("--mean-period", nargs=2, default=["2004-01-01", "2010-01-01"],
                    metavar=("START", "END"),
                    help="months (by midpoint) averaged for the mean field, end exclusive "
                         "(default 2004-01-01 2010-01-01)")
    l2.add_argument("--mean-field", metavar="F", default=None,
                    help="static mean field to remove instead (SHM or ICGEM .gfc file)")
    l2.add_argument("--no-c30", action="store_true", help="keep the files' C30")
    l2.add_argument("--units", choices=["mm", "cm", "m"], default="mm")
    _common(l2)
    l2.set_defaults(func=_run_l2)

    ms = sub.add_parser("mascon", help="JPL/CSR mascon NetCDF to the standard layout")
    ms.add_argument("source", metavar="FILE", help="mascon NetCDF file")
    ms.add_argument("--scale-factor", metavar="F", help="JPL CRI/CLM scale-factor file")
    ms.add_argument("--land-mask", metavar="F", help="land-mask file (ocean cells → NaN)")
    ms.add_argument("--lon-start", type=float, default=-180.0, metavar="DEG")
    ms.add_argument("--units", choices=["mm", "cm", "m"], default="mm")
    _common(ms)
    ms.set_defaults(func=_run_mascon)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="OUT.nc",
                   help="output NetCDF (replaced if it exists, only once complete)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _check_out(args) -> Path:
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"--out {out} is a directory; give a NetCDF file path")
    return out


def write_netcdf(da, out: Path) -> None:
    """Write ``da`` as CF NetCDF (float32, time in days since 2002-01-01), atomically."""
    from .._io import write_netcdf as _atomic_write

    encoding = {da.name: {"dtype": "float32", "zlib": True, "complevel": 4,
                          "_FillValue": float("nan")},
                "time": {"units": "days since 2002-01-01 00:00:00", "calendar": "standard",
                         "dtype": "float64"}}
    for c in ("time_start", "time_end"):
        if c in da.coords:
            encoding[c] = {"units": "days since 2002-01-01 00:00:00", "dtype": "float64"}
    ds = da.to_dataset()
    ds.attrs["Conventions"] = "CF-1.8"
    _atomic_write(ds, out, encoding=encoding)


def _run_l2(args) -> int:
    from .._grid import Grid
    from ._l2 import grace_l2_tws

    out = _check_out(args)
    source = Path(args.source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such directory")
    da = grace_l2_tws(source, grid=Grid.regular(args.res, args.lon_start), tn13=args.tn13,
                      tn14=args.tn14, half_width_km=args.gaussian or None, lmax=args.lmax,
                      mean=args.mean_field, mean_period=tuple(args.mean_period),
                      c30=not args.no_c30, units=args.units, progress=not args.quiet)
    write_netcdf(da, out)
    if not args.quiet:
        print(f"wrote {out}: {da.sizes['time']} months × {da.sizes['lat']} × "
              f"{da.sizes['lon']}, {da.attrs['units']} of equivalent water")
    return 0


def _run_mascon(args) -> int:
    from ._mascon import open_mascon

    out = _check_out(args)
    da = open_mascon(args.source, scale_factor=args.scale_factor, land_mask=args.land_mask,
                     units=args.units, lon_start=args.lon_start)
    write_netcdf(da, out)
    if not args.quiet:
        print(f"wrote {out}: {da.sizes['time']} months × {da.sizes['lat']} × "
              f"{da.sizes['lon']}, {da.attrs['units']} of equivalent water")
    return 0
