"""``jaxgeo zwd``: fit, evaluate and validate the HZWD zenith wet delay model."""

from __future__ import annotations

from . import _args


def register(sub) -> None:
    """Add ``zwd fit``, ``zwd eval`` and ``zwd validate``."""
    g = sub.add_parser("zwd", help="zenith wet delay: HZWD fit/eval/validate",
                       description=__doc__.splitlines()[0].replace("``", "'"))
    actions = g.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    fit = actions.add_parser("fit", help="fit HZWD coefficients to ERA5 pressure-level files")
    fit.add_argument("era5_files", nargs="+", help="ERA5 pressure-level NetCDF files")
    _args.add_out(fit, help="output coefficient NetCDF")
    _args.add_resolution(fit, 5.0, help="node spacing, degrees")
    fit.add_argument("--family", choices=("exp", "poly"), default="exp")
    fit.add_argument("--steps", type=_args.WHOLE, default=300,
                     help="Adam refinement steps (0: closed-form fit only; default 300)")
    fit.add_argument("--report", metavar="F.json", help="also write the fit report as JSON")
    _args.add_max_memory(fit)
    _args.add_quiet(fit)
    fit.set_defaults(func=_cmd_fit, command="zwd fit")

    ev = actions.add_parser("eval", help="evaluate HZWD coefficients at a point")
    ev.add_argument("coeffs", help="coefficient NetCDF from 'jaxgeo zwd fit'")
    ev.add_argument("--lat-deg", type=_args.LAT_DEG, required=True, help="latitude, degrees north")
    ev.add_argument("--lon-deg", type=_args.FINITE, required=True, help="longitude, degrees east")
    ev.add_argument("--height-msl-m", type=_args.FINITE, nargs="+", required=True,
                    help="height(s) above mean sea level, m (-500 to 10000)")
    ev.add_argument("--time", required=True, help="UTC date/time, ISO 8601 (2020-01-01T12)")
    _args.add_retired(ev, "--lat", new="--lat-deg", dest="lat_deg", type=_args.LAT_DEG)
    _args.add_retired(ev, "--lon", new="--lon-deg", dest="lon_deg", type=_args.FINITE)
    _args.add_retired(ev, "--height", new="--height-msl-m", dest="height_msl_m",
                      type=_args.FINITE,
                      nargs="+")
    _args.add_retired(ev, "--date", new="--time", dest="time")
    ev.add_argument("--json", action="store_true", help="print JSON instead of text")
    ev.set_defaults(func=_cmd_eval, command="zwd eval")

    va = actions.add_parser("validate", help="per-interval RMS/bias of ZWD models on real data")
    _args.add_data_dir(va, what="the ERA5 file(s), the sounding and gpt3_5.grd (or a "
                                "'troposphere' subfolder holding them)")
    va.add_argument("--era5", nargs="*", help="ERA5 files (default: *.nc in the data folder)")
    va.add_argument("--sounding", help="Wyoming sounding (default: may4_sounding.txt)")
    va.add_argument("--sounding-lat-deg", type=_args.LAT_DEG, default=35.18)
    va.add_argument("--sounding-lon-deg", type=_args.FINITE, default=-97.44)
    va.add_argument("--sounding-time", default="1999-05-04T00:00")
    va.add_argument("--gpt3", help="GPT3 grid (default: gpt3_5.grd in the data folder)")
    va.add_argument("--steps", type=_args.WHOLE, default=300,
                    help="Levenberg-Marquardt iterations of the per-column fits "
                         "(0: closed form only; default 300)")
    _args.add_out(va, required=False, default="troposphere_validation.json",
                  help="JSON output (default troposphere_validation.json)")
    va.set_defaults(func=_cmd_validate, command="zwd validate")


def _cmd_fit(args) -> int:
    import numpy as np

    from .. import Grid
    from .._io import write_json
    from .._resources import check_memory
    from ..troposphere import (
        ProfileChunk,
        fit_hzwd,
        fit_memory_bytes,
        profiles_from_dataset,
        read_era5_profiles,
    )

    grid = Grid.regular(args.resolution_deg, lon_start=0.0)  # refuse a bad grid before reading
    out_path = _args.output_file(args.out)  # and an output that cannot be written
    check_memory(fit_memory_bytes(0, grid), max_memory_gb=args.max_memory_gb,
                 what=f"zwd fit: a {grid.nlat} x {grid.nlon} node grid",
                 hint="use a coarser --resolution-deg or raise --max-memory-gb")
    lats, lons, times, hs, zs = [], [], [], [], []
    n_lev = None
    for path in args.era5_files:
        lat, lon, chunk = profiles_from_dataset(read_era5_profiles(_args.input_file(path)))
        if n_lev is not None and chunk.height_msl_m.shape[-1] != n_lev:
            raise ValueError(f"{path}: {chunk.height_msl_m.shape[-1]} levels, expected "
                             f"{n_lev}")
        n_lev = chunk.height_msl_m.shape[-1]
        lats.append(lat)
        lons.append(lon)
        times.append(chunk.time[0])
        hs.append(chunk.height_msl_m[0])
        zs.append(chunk.zwd_m[0])
    chunk = ProfileChunk(np.concatenate(times)[None], np.concatenate(hs)[None],
                         np.concatenate(zs)[None])
    model, report = fit_hzwd(np.concatenate(lats), np.concatenate(lons), chunk, grid=grid,
                             family=args.family, refine_steps=args.steps,
                             max_memory_gb=args.max_memory_gb)
    model.to_netcdf(out_path)
    if not args.quiet:
        print(report.table())
        print(f"wrote {args.out}")
    if args.report:
        write_json(report.as_dict(), args.report)
    return 0


def _cmd_eval(args) -> int:
    import json

    import numpy as np

    from ..time import as_datetime64
    from ..troposphere import HZWD

    model = HZWD.from_netcdf(_args.input_file(args.coeffs))
    t = as_datetime64(np.array([args.time]), name=f"--time {args.time!r}")
    h = np.asarray(args.height_msl_m, dtype=np.float64)
    zwd = np.asarray(model(args.lat_deg, args.lon_deg, h, t))
    if np.any(np.isnan(zwd)):
        raise ValueError(f"no HZWD coefficients near lat {args.lat_deg}, lon {args.lon_deg} "
                         "(the coefficient file does not cover this point)")
    if args.json:
        print(json.dumps({"lat_deg": args.lat_deg, "lon_deg": args.lon_deg, "time": args.time,
                          "height_msl_m": h.tolist(), "zwd_m": zwd.tolist()}))
    else:
        for hi, zi in zip(h, zwd, strict=True):
            print(f"lat {args.lat_deg:.4f} lon {args.lon_deg:.4f} h {hi:8.1f} m  "
                  f"{args.time}  ZWD {1e3 * zi:8.2f} mm")
    return 0


def _cmd_validate(args) -> int:
    from .._io import write_json
    from ..validation.troposphere import format_table, run_validation

    result = run_validation(_args.data_dir(args, sub="troposphere"), era5=args.era5,
                            sounding=args.sounding, sounding_lat_deg=args.sounding_lat_deg,
                            sounding_lon_deg=args.sounding_lon_deg,
                            sounding_time=args.sounding_time, gpt3=args.gpt3, steps=args.steps)
    print(format_table(result))
    write_json(result, args.out)
    print(f"wrote {args.out}")
    return 0
