"""``jaxgeo zwd``: fit, evaluate and validate the HZWD zenith wet delay model."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "troposphere"


def register(subparsers) -> None:
    """Add the ``zwd`` command and its ``fit``/``eval``/``validate`` subcommands."""
    zwd = subparsers.add_parser("zwd", help="zenith wet delay: HZWD fit/eval/validate",
                                description=__doc__.splitlines()[0])
    sub = zwd.add_subparsers(dest="zwd_command", metavar="SUBCOMMAND")
    sub.required = True

    fit = sub.add_parser("fit", help="fit HZWD coefficients to ERA5 pressure-level files")
    fit.add_argument("era5_files", nargs="+", help="ERA5 pressure-level NetCDF files")
    fit.add_argument("--out", required=True, help="output coefficient NetCDF")
    fit.add_argument("--resolution", type=float, default=5.0, help="node spacing, degrees")
    fit.add_argument("--family", choices=("exp", "poly"), default="exp")
    fit.add_argument("--steps", type=int, default=300, help="Adam refinement steps")
    fit.add_argument("--report", help="also write the fit report as JSON here")
    fit.set_defaults(func=_cmd_fit)

    ev = sub.add_parser("eval", help="evaluate HZWD coefficients at a point")
    ev.add_argument("coeffs", help="coefficient NetCDF from 'jaxgeo zwd fit'")
    ev.add_argument("--lat", type=float, required=True, help="latitude, degrees")
    ev.add_argument("--lon", type=float, required=True, help="longitude, degrees")
    ev.add_argument("--height", type=float, nargs="+", required=True,
                    help="height(s) above mean sea level, m (-500 to 10000)")
    ev.add_argument("--date", required=True, help="UTC date/time, ISO 8601 (2020-01-01T12)")
    ev.add_argument("--json", action="store_true", help="print JSON instead of text")
    ev.set_defaults(func=_cmd_eval)

    va = sub.add_parser("validate", help="per-interval RMS/bias of ZWD models on real data")
    va.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                    help="folder with the ERA5 file, the sounding and gpt3_5.grd")
    va.add_argument("--era5", nargs="*", help="ERA5 files (default: *.nc in --data-dir)")
    va.add_argument("--sounding", help="Wyoming sounding (default: may4_sounding.txt)")
    va.add_argument("--sounding-lat", type=float, default=35.18)
    va.add_argument("--sounding-lon", type=float, default=-97.44)
    va.add_argument("--sounding-time", default="1999-05-04T00:00")
    va.add_argument("--gpt3", help="GPT3 grid (default: gpt3_5.grd in --data-dir)")
    va.add_argument("--steps", type=int, default=300, help="Adam steps of per-column fits")
    va.add_argument("--out", default="troposphere_validation.json", help="JSON output")
    va.set_defaults(func=_cmd_validate)


def _cmd_fit(args) -> int:
    import numpy as np

    from .._grid import Grid
    from ._fit import ProfileChunk, fit_hzwd, profiles_from_dataset
    from ._readers import read_era5_profiles
    from ._validate import write_json_atomic

    lats, lons, doys, hs, zs = [], [], [], [], []
    n_lev = None
    for path in args.era5_files:
        lat, lon, chunk = profiles_from_dataset(read_era5_profiles(path))
        if n_lev is not None and chunk.height_m.shape[-1] != n_lev:
            raise ValueError(f"{path}: {chunk.height_m.shape[-1]} levels, expected {n_lev}")
        n_lev = chunk.height_m.shape[-1]
        lats.append(lat)
        lons.append(lon)
        doys.append(chunk.doy[0])
        hs.append(chunk.height_m[0])
        zs.append(chunk.zwd_m[0])
    chunk = ProfileChunk(np.concatenate(doys)[None], np.concatenate(hs)[None],
                         np.concatenate(zs)[None])
    grid = Grid.regular(args.resolution, lon_start=0.0)
    model, report = fit_hzwd(np.concatenate(lats), np.concatenate(lons), chunk, grid=grid,
                             family=args.family, refine_steps=args.steps)
    model.to_netcdf(args.out)
    print(report.table())
    print(f"wrote {args.out}")
    if args.report:
        write_json_atomic(report.as_dict(), args.report)
    return 0


def _cmd_eval(args) -> int:
    import numpy as np

    from ._fit import _doy_of_times
    from ._hzwd import HZWD

    model = HZWD.from_netcdf(args.coeffs)
    try:
        t = np.datetime64(args.date, "ns")
    except ValueError as exc:
        raise ValueError(f"--date {args.date!r} is not an ISO 8601 date/time") from exc
    doy = float(_doy_of_times(np.array([t]))[0])
    h = np.asarray(args.height, dtype=np.float64)
    zwd = np.asarray(model(args.lat, args.lon, h, doy))
    if np.any(np.isnan(zwd)):
        raise ValueError(f"no HZWD coefficients near lat {args.lat}, lon {args.lon} (the "
                         "coefficient file does not cover this point)")
    if args.json:
        print(json.dumps({"lat": args.lat, "lon": args.lon, "date": args.date, "doy": doy,
                          "height_m": h.tolist(), "zwd_m": zwd.tolist()}))
    else:
        for hi, zi in zip(h, zwd, strict=True):
            print(f"lat {args.lat:.4f} lon {args.lon:.4f} h {hi:8.1f} m  doy {doy:7.3f}  "
                  f"ZWD {1e3 * zi:8.2f} mm")
    return 0


def _cmd_validate(args) -> int:
    from ._validate import format_table, run_validation, write_json_atomic

    data = Path(args.data_dir)
    era5 = args.era5 if args.era5 is not None else sorted(str(p) for p in data.glob("*.nc"))
    sounding = args.sounding or (str(data / "may4_sounding.txt")
                                 if (data / "may4_sounding.txt").is_file() else None)
    gpt3 = args.gpt3 or (str(data / "gpt3_5.grd") if (data / "gpt3_5.grd").is_file() else None)
    if not era5 and not sounding:
        raise FileNotFoundError(f"no ERA5 file or sounding found (looked in {data})")
    result = run_validation(era5=era5, sounding=sounding, sounding_lat=args.sounding_lat,
                            sounding_lon=args.sounding_lon, sounding_time=args.sounding_time,
                            gpt3_path=gpt3, steps=args.steps)
    print(format_table(result))
    write_json_atomic(result, args.out)
    print(f"wrote {args.out}")
    return 0
