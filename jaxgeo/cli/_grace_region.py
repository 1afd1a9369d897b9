"""``jaxgeo grace region``: region mean (mm) and mass (Gt) of a gridded water series, with
trend, annual and semi-annual fits and their standard errors, optionally scaled by the
leakage gain of a model filtered as the GRACE field."""

from __future__ import annotations

from . import _args


def add_region(actions) -> None:
    """Add the ``region`` action to the ``grace`` group."""
    rg = actions.add_parser("region", help="region mean (mm) and mass (Gt) series of a grid "
                                           "with trend and seasonal fits")
    rg.add_argument("source", metavar="GRID.nc", help="NetCDF of (time, lat, lon) water "
                                                      "thickness (e.g. 'jaxgeo grace l2')")
    _args.add_var(rg, of="GRID.nc")
    where = rg.add_mutually_exclusive_group(required=True)
    where.add_argument("--polygon", metavar="F.geojson|F.txt",
                       help="GeoJSON file of Polygon/MultiPolygon features (holes honoured), "
                            "or a text file of 'lon lat' vertex rows (°E in [-180, 180], °N)")
    where.add_argument("--regionmask", metavar="REGIONS:KEY",
                       help="a region of the regionmask package (installed separately, or "
                            "with jaxgeo[regions]): its defined_regions set and the region's "
                            "abbreviation, number or name, e.g. srex:AMZ or ar6.land:NES")
    where.add_argument("--land", action="store_true",
                       help="land without Antarctica and Greenland (GLOBE land fraction >= 0.5)")
    where.add_argument("--ocean", action="store_true",
                       help="ocean cells farther than --coast-buffer-deg from land")
    rg.add_argument("--coast-buffer-deg", type=_args.NONNEGATIVE, default=3.0, metavar="DEG",
                    help="coast buffer of --ocean, degrees (default 3)")
    rg.add_argument("--scale-model", metavar="MODEL.nc",
                    help="model (time, lat, lon) water thickness on the same grid: scale the "
                         "series by its region gain (Landerer & Swenson 2012) under the "
                         "filter --lmax/--half-width-km/--destripe; cells missing (NaN) in "
                         "every month of the model count as 0")
    rg.add_argument("--lmax", type=_args.WHOLE, default=60,
                    help="truncation degree of the GRACE field (default 60)")
    rg.add_argument("--half-width-km", type=_args.NONNEGATIVE, default=300.0, metavar="KM",
                    help="Gaussian half-width of the GRACE field, km, 0 for none (default 300)")
    rg.add_argument("--destripe", action="store_true",
                    help="the GRACE field was destriped (Swenson & Wahr 2006)")
    _args.add_out(rg, metavar="OUT.json|OUT.nc", help="output JSON or NetCDF")
    _args.add_quiet(rg)
    rg.set_defaults(func=_run_region, command="grace region")


def _mm(da, path, grid, what):
    """Values of ``da`` in mm on ``grid`` (``(time, lat, lon)``), time, and the grid."""
    import warnings

    from .._xarray import on_grid
    from ..units import metres_per_unit

    units = da.attrs.get("units")
    if units is None:
        warnings.warn(f"{path}: variable {da.name!r} has no 'units'; assuming mm", stacklevel=2)
        scale = 1.0
    else:
        per = metres_per_unit(units)
        if per is None:
            raise ValueError(f"{path}: variable {da.name!r} has units {units!r}, not a water "
                             "thickness (mm, cm, m)")
        scale = per * 1000.0
    if "time" not in da.dims:
        raise ValueError(f"{path}: variable {da.name!r} has no time dimension")
    values, grid = on_grid(da, grid, name=f"{path} ({what})", leading=("time",))
    return values * scale, da["time"].values, grid


def _polygon(grid, path):
    """Mask of a GeoJSON file (.geojson/.json) or a text file of ``lon lat`` rows."""
    from pathlib import Path

    import numpy as np

    from ..regions import geojson_mask, polygon_mask

    path = Path(path)
    if path.suffix.lower() in (".geojson", ".json"):
        return geojson_mask(grid, path)
    try:
        xy = np.loadtxt(path, delimiter=None if "," not in path.read_text() else ",",
                        ndmin=2, dtype=np.float64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a text file of 'lon lat' rows ({exc})") from None
    if xy.shape[1] != 2 or xy.shape[0] < 3 or not np.isfinite(xy).all():
        raise ValueError(f"{path}: needs at least 3 rows of 2 finite numbers (lon lat), got "
                         f"shape {xy.shape}")
    if np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90:
        raise ValueError(f"{path}: a longitude outside [-180, 180] or a latitude outside "
                         "[-90, 90]")
    mask = polygon_mask(grid, xy)
    if not mask.any():
        raise ValueError(f"{path}: no cell centre of the {grid.resolution_deg:g}° grid lies "
                         "inside the polygon")
    return mask


def _regionmask(grid, spec: str):
    """Mask of ``--regionmask SET:KEY`` (``regionmask.defined_regions.<SET>[KEY]``)."""
    from ..regions import regionmask_mask

    try:
        import regionmask
    except ImportError:
        raise ValueError("--regionmask needs the regionmask package: pip install regionmask "
                         "(or jaxgeo[regions])") from None
    name, sep, key = spec.partition(":")
    if not sep or not name or not key:
        raise ValueError(f"--regionmask: expected REGIONS:KEY (e.g. srex:AMZ), got {spec!r}")
    regions = regionmask.defined_regions
    for part in name.split("."):
        regions = getattr(regions, part, None)
        if regions is None:
            raise ValueError(f"--regionmask: regionmask.defined_regions has no {name!r} "
                             "(e.g. srex, giorgi, ar6.land, ar6.all)")
    return regionmask_mask(grid, regions, int(key) if key.isdigit() else key)


def _run_region(args) -> int:
    from pathlib import Path

    import numpy as np

    from .._io import pick_variable, write_json, write_netcdf
    from ..regions import land_mask, ocean_mask, region_series

    suffix = Path(args.out).suffix.lower()
    if suffix not in (".json", ".nc"):
        raise ValueError(f"{args.out}: --out must end in .json or .nc, got {suffix!r}")
    out = _args.output_file(args.out)
    src = _args.input_file(args.source)
    if args.polygon is not None:
        _args.input_file(args.polygon)
    if args.scale_model is not None:
        _args.input_file(args.scale_model)
    x, time, grid = _mm(pick_variable(_args.open_input(src), args.var, src), src, None, "grid")
    if not np.issubdtype(np.asarray(time).dtype, np.datetime64):
        raise ValueError(f"{src}: time is not a date (dtype {np.asarray(time).dtype})")
    if args.polygon is not None:
        region, label = _polygon(grid, args.polygon), f"polygon {args.polygon}"
    elif args.regionmask is not None:
        region, label = _regionmask(grid, args.regionmask), f"regionmask {args.regionmask}"
    elif args.land:
        region, label = land_mask(grid), "land (no Antarctica, Greenland)"
    else:
        region = ocean_mask(grid, land_mask(grid, hydrology_only=False),
                            coast_buffer_deg=args.coast_buffer_deg)
        label = f"ocean, {args.coast_buffer_deg:g}° from land"
    gain = 1.0
    if args.scale_model is not None:
        import jax

        jax.config.update("jax_enable_x64", True)  # small tables; gains in float64
        from ..grace import region_gain

        ds = _args.open_input(args.scale_model)
        m, _, _ = _mm(pick_variable(ds, None, args.scale_model), args.scale_model, grid,
                      "model")
        m = np.where(np.isnan(m).all(axis=0, keepdims=True), 0.0, m)
        try:
            gain = float(region_gain(m, grid, region, lmax=args.lmax,
                                     half_width_km=args.half_width_km or None,
                                     destripe=args.destripe))
        except ValueError as exc:
            raise ValueError(f"{args.scale_model} (model): {exc}") from None
    rs = region_series(x, time, grid, region, gain=gain)
    info = {"source": str(src), "region": label, "n_cells": int(region.sum()),
            "area_km2": rs.area_km2, "gain": gain}
    if args.scale_model is not None:
        info.update(scale_model=str(args.scale_model), lmax=args.lmax,
                    half_width_km=args.half_width_km, destripe=bool(args.destripe))
    if suffix == ".json":
        write_json({**info, "mean_fit_mm": rs.mean_fit._asdict(),
                    "mass_fit_gt": rs.mass_fit._asdict(),
                    "time": [str(t)[:10] for t in np.asarray(time, "datetime64[D]")],
                    "mean_mm": rs.mean_mm.tolist(), "mass_gt": rs.mass_gt.tolist()}, out)
    else:
        import xarray as xr

        attrs = {k: (int(v) if isinstance(v, bool) else v) for k, v in info.items()}
        attrs.update({f"mean_{k}": v for k, v in rs.mean_fit._asdict().items()})
        attrs.update({f"mass_{k}": v for k, v in rs.mass_fit._asdict().items()})
        ds = xr.Dataset({"mean_mm": ("time", rs.mean_mm, {"units": "mm"}),
                         "mass_gt": ("time", rs.mass_gt, {"units": "Gt"})},
                        coords={"time": np.asarray(time)}, attrs=attrs)
        write_netcdf(ds, out)
    if not args.quiet:
        f = rs.mass_fit
        print(f"wrote {out}: {label}, {info['n_cells']} cells, gain {gain:.3f}; trend "
              f"{f.trend_per_year:.2f} ± {f.trend_sigma:.2f} Gt/yr, annual amplitude "
              f"{f.annual_amplitude:.1f} ± {f.annual_amplitude_sigma:.1f} Gt")
    return 0
