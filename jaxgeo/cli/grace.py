"""``jaxgeo grace``: Level-2 harmonics or mascons to a CF NetCDF of (time, lat, lon)
liquid-water-equivalent thickness, and the validation against published values."""

from __future__ import annotations

from . import _args


def register(sub) -> None:
    """Add ``grace l2``, ``mascon``, ``validate``, ``region`` and ``spans``."""
    g = sub.add_parser("grace", help="GRACE Level-2 / mascon products to gridded water storage",
                       description=" ".join(__doc__.split("\n")[:2]).replace("``", "'"))
    actions = g.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    l2 = actions.add_parser("l2", help="Level-2 spherical harmonics (GSM SHM, ICGEM .gfc) to "
                                       "liquid-water-equivalent thickness")
    l2.add_argument("source", metavar="DIR", help="directory of GSM-2_* or *.gfc files")
    l2.add_argument("--tn13", metavar="F", help="TN-13 degree-1 file (recommended)")
    l2.add_argument("--tn14", metavar="F", help="TN-14 C20/C30 file (recommended)")
    l2.add_argument("--half-width-km", type=_args.NONNEGATIVE, default=300.0, metavar="KM",
                    help="Gaussian smoothing half-width in km, 0 for none (default 300)")
    _args.add_retired(l2, "--gaussian", new="--half-width-km", dest="half_width_km",
                      type=_args.NONNEGATIVE)
    _args.add_resolution(l2, 0.5, help="output grid cell size, degrees")
    _args.add_lon_start(l2)
    l2.add_argument("--lmax", type=_args.WHOLE, default=None, help="truncation degree")
    l2.add_argument("--mean-period", nargs=2, default=["2004-01-01", "2010-01-01"],
                    metavar=("START", "END"),
                    help="months (by midpoint) averaged for the mean field, end exclusive "
                         "(default 2004-01-01 2010-01-01)")
    l2.add_argument("--mean-field", metavar="F", default=None,
                    help="static mean field to remove instead (SHM or ICGEM .gfc file)")
    l2.add_argument("--no-c30", action="store_true", help="keep the files' C30")
    l2.add_argument("--c30-from", metavar="YYYY-MM", default="2016-09",
                    help="first month whose C30 comes from TN-14 (default 2016-09: the "
                         "single-accelerometer GRACE months and GRACE-FO, as the TN-14 "
                         "guidance and gravity-toolkit); 'all' for every month TN-14 covers")
    l2.add_argument("--destripe", action="store_true",
                    help="Swenson & Wahr (2006) decorrelation filter of the anomalies (orders "
                         ">= 5, quadratic fits over same-parity degrees, as gravity-toolkit's "
                         "destripe_harmonics; needs lmax >= 42)")
    l2.add_argument("--gia", metavar="FILE", default=None,
                    help="GIA Stokes-rate file (ICE-6G_D 'Stokes_trend' text or Caron et al. "
                         "2018 'GIA_stokes_trend'); rate x (t - t_ref) is subtracted")
    l2.add_argument("--gia-t-ref", type=float, default=2003.3, metavar="YEAR",
                    help="reference epoch of the GIA correction, decimal year (default "
                         "2003.3; cancels when the mean comes from the same months)")
    l2.add_argument("--aod", metavar="DIR", default=None,
                    help="directory of GAC-2_* or GAD-2_* files: add the AOD1B background "
                         "back (GAD: ocean bottom pressure; GAC: atmosphere and ocean)")
    l2.add_argument("--quantity", default="ewh",
                    choices=["ewh", "geoid", "gravity_disturbance", "surface_pressure"],
                    help="output quantity (default ewh: equivalent water thickness; "
                         "geoid in mm, gravity_disturbance in uGal, surface_pressure in hPa)")
    l2.add_argument("--units", default=None,
                    help="output units (default per quantity: mm, mm, uGal, hPa; ewh also "
                         "cm or m)")
    l2.add_argument("--sigma", action="store_true",
                    help="also write lwe_thickness_sigma, the formal per-cell standard "
                         "deviation from the files' coefficient sigmas (diagonal "
                         "approximation: correlations ignored; not with --destripe)")
    _add_months(l2)
    _args.add_out(l2, metavar="OUT.nc", help="output NetCDF")
    _args.add_max_memory(l2)
    _args.add_quiet(l2)
    l2.set_defaults(func=_run_l2, command="grace l2")

    ms = actions.add_parser("mascon", help="JPL/CSR mascon NetCDF to the standard layout")
    ms.add_argument("source", metavar="FILE", help="mascon NetCDF file")
    ms.add_argument("--scale-factor", metavar="F", help="JPL CRI/CLM scale-factor file")
    ms.add_argument("--land-mask", metavar="F", help="land-mask file (ocean cells → NaN)")
    _args.add_lon_start(ms)
    _add_months(ms)
    ms.add_argument("--units", choices=["mm", "cm", "m"], default="mm")
    _args.add_out(ms, metavar="OUT.nc", help="output NetCDF")
    _args.add_quiet(ms)
    ms.set_defaults(func=_run_mascon, command="grace mascon")

    va = actions.add_parser("validate", help="the Level-2 chain on the real CSR RL06 files "
                                             "against published Greenland, ocean and Amazon "
                                             "values")
    _args.add_data_dir(va, what="the CSR RL06 files: grace-l2/ (csr-rl06/, TN-13, TN-14) or "
                                "a folder holding it")
    _args.add_resolution(va, 0.5, help="grid cell size, degrees")
    _args.add_out(va, required=False, metavar="F.json",
                  help="JSON output of the figures and comparisons (default: print only)")
    _args.add_quiet(va)
    va.set_defaults(func=_run_validate, command="grace validate")

    from ._grace_region import add_region
    from ._grace_spans import add_spans

    add_region(actions)
    add_spans(actions)


def _add_months(p) -> None:
    p.add_argument("--complete-months", action="store_true",
                   help="every month from the first to the last solution; months without "
                        "one are NaN, flagged by the coordinate 'observed'")
    p.add_argument("--interpolate-gaps", action="store_true",
                   help="as --complete-months, and fill the missing months by linear "
                        "interpolation in time (attribute 'interpolated_months')")


def write_netcdf(da, out) -> None:
    """Write ``da`` (a DataArray, or a Dataset) as CF NetCDF (float32, time in days since
    2002-01-01), atomically."""
    from .._io import netcdf_encoding
    from .._io import write_netcdf as _atomic_write

    ds = da.copy() if hasattr(da, "data_vars") else da.to_dataset()
    ds.attrs["Conventions"] = "CF-1.8"
    _atomic_write(ds, out, encoding=netcdf_encoding(ds))


def _summary(out, da) -> str:
    what = da.attrs.get("long_name", "liquid-water-equivalent thickness")
    if what == "equivalent water thickness anomaly" or "quantity" not in da.attrs:
        what = "liquid-water-equivalent thickness"
    return (f"wrote {out}: {da.sizes['time']} months × {da.sizes['lat']} × {da.sizes['lon']}, "
            f"{da.attrs['units']} of {what}")


def _run_l2(args) -> int:
    from pathlib import Path

    from .. import Grid
    from ..grace import grace_l2_tws

    source = Path(args.source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such directory")
    grid = Grid.regular(args.resolution_deg, args.lon_start)
    n_months = (sum(1 for _ in source.glob("GSM-2_*")) + sum(1 for _ in source.glob("*.gfc"))
                if source.is_dir() else 1)
    # the float32 output, uncompressed: an upper bound for the free-space check (the
    # memory check is grace_l2_tws's own, before it reads the files)
    out = _args.output_file(args.out, estimate_bytes=4.0 * max(n_months, 1) * grid.nlat
                            * grid.nlon)
    da = grace_l2_tws(source, grid=grid,
                      tn13=args.tn13, tn14=args.tn14, half_width_km=args.half_width_km or None,
                      lmax=args.lmax, mean=args.mean_field, mean_period=tuple(args.mean_period),
                      c30=not args.no_c30,
                      c30_from=None if args.c30_from == "all" else args.c30_from,
                      units=args.units, quiet=args.quiet, max_memory_gb=args.max_memory_gb,
                      destripe=args.destripe, gia=args.gia, gia_t_ref=args.gia_t_ref,
                      quantity=args.quantity, aod=args.aod, sigma=args.sigma,
                      complete_months=args.complete_months,
                      interpolate_gaps=args.interpolate_gaps)
    write_netcdf(da, out)
    if not args.quiet:
        print(_summary(out, da))
    return 0


def _run_mascon(args) -> int:
    from ..grace import open_mascon

    out = _args.output_file(args.out)
    da = open_mascon(args.source, scale_factor=args.scale_factor, land_mask=args.land_mask,
                     units=args.units, lon_start=args.lon_start,
                     complete_months=args.complete_months,
                     interpolate_gaps=args.interpolate_gaps)
    write_netcdf(da, out)
    if not args.quiet:
        print(_summary(out, da))
    return 0


def _run_validate(args) -> int:
    from ..validation import grace

    data = _args.data_dir(args, sub="grace-l2")
    out = None if args.out is None else _args.output_file(args.out)
    grace.run(data, out=out, resolution_deg=args.resolution_deg, quiet=args.quiet)
    return 0
