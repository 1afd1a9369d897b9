"""Level-2 processing chain: technical-note replacements, mean removal, gridded EWH."""

from __future__ import annotations

import warnings
from pathlib import Path

import jax
import numpy as np

from .._deprecation import renamed
from .._grid import Grid
from .._resources import check_memory
from ..sphere import gaussian_legendre_weights
from ..units import scale_from_metres
from ._aod import aod_files, restore_aod
from ._checks import check_lmax
from ._destripe import destripe_float64, destripe_half_widths
from ._ewh import degree_weights, retired_half_width, synthesize_ewh
from ._gaps import reindex_months
from ._gia import GIA_T_REF, GIARates, read_gia, remove_gia
from ._quantities import QUANTITIES, quantity_factors, quantity_units
from ._series import L2Series, _list_files, read_l2_series
from ._shm import SHCoefficients, read_gfc, read_shm
from ._sigma import DIAGONAL_NOTE, check_sigmas, ewh_sigma_grid
from ._synthesis import SynthesisTable
from ._technotes import (
    C30_FROM,
    c30_first_month,
    read_tn13,
    read_tn14,
    replace_c20_c30,
    replace_degree1,
)

DEFAULT_MEAN_PERIOD = ("2004-01-01", "2010-01-01")
"""The GRACE Tellus baseline (2004.0–2009.999) used by JPL/CSR gridded products."""



def remove_mean(series: L2Series, *, mean=None, period=DEFAULT_MEAN_PERIOD):
    """Subtract a static field from every month.

    Args:
        series: the coefficients.
        mean: a given mean field: a file (SHM, or ICGEM ``.gfc`` such as GGM05C), an
            :class:`SHCoefficients`, or a ``(clm, slm)`` pair of shape ``(L'+1, L'+1)``
            with L' ≥ lmax; or None to use the mean over ``period``.
        period: ``(start, end)`` dates (end exclusive) of the months (by span midpoint)
            averaged when ``mean`` is None; None averages all months.

    Returns:
        ``(anomalies, (clm_mean, slm_mean))``.

    Raises:
        ValueError: no month inside the period, or a mean of too low degree.

    Warns:
        UserWarning: the mean field's C20 tide system differs from the series'.
    """
    n = series.lmax + 1
    if isinstance(mean, (str, Path)):
        name = Path(mean).name.lower()
        mean = (read_gfc(mean, static=True) if name.endswith((".gfc", ".gfc.gz"))
                else read_shm(mean))
    if isinstance(mean, SHCoefficients):
        known = {mean.tide_system, series.tide_system} - {"unknown"}
        if len(known) > 1:
            warnings.warn(f"{mean.path}: tide system {mean.tide_system} differs from the "
                          f"series' {series.tide_system}; C20 anomalies will be biased",
                          UserWarning, stacklevel=2)
    if mean is not None:
        cm, sm = (mean.clm, mean.slm) if isinstance(mean, SHCoefficients) else mean
        cm, sm = np.asarray(cm, np.float64), np.asarray(sm, np.float64)
        if cm.shape[0] < n:
            raise ValueError(f"mean field has degree {cm.shape[0] - 1} < lmax {series.lmax}")
        cm, sm = cm[:n, :n], sm[:n, :n]
        bad = ~(np.isfinite(cm) & np.isfinite(sm))
        if bad.any():
            ell, m = (int(v) for v in np.argwhere(bad)[0])
            where = mean.path if isinstance(mean, SHCoefficients) else "given mean field"
            raise ValueError(f"{where}: non-finite coefficient at degree {ell}, order {m} "
                             f"({int(bad.sum())} in all); it would make every month NaN")
    else:
        sel = np.ones(series.mid.shape, bool)
        if period is not None:
            lo, hi = (np.datetime64(p, "s") for p in period)
            sel = (series.mid >= lo) & (series.mid < hi)
            if not sel.any():
                raise ValueError(f"no month between {period[0]} and {period[1]} to average "
                                 f"(series spans {series.months[0]}..{series.months[-1]})")
        cm, sm = series.clm[sel].mean(axis=0), series.slm[sel].mean(axis=0)
    return series.replace(clm=series.clm - cm, slm=series.slm - sm), (cm, sm)


def grid_memory_bytes(n_months: int, grid: Grid, lmax: int, chunk: int = 64) -> int:
    """Estimated peak memory of :func:`ewh_grid`, bytes: the float32 output, two float64
    fields per month of a chunk, and the float64 Legendre/trigonometric tables (twice)."""
    nlat, nlon = grid.shape
    cells = nlat * nlon
    return int(4 * n_months * cells + 16 * min(chunk, max(n_months, 1)) * cells
               + 16 * (lmax + 1) ** 2 * nlat + 32 * (lmax + 1) * nlon)


def _check_memory(n_months, grid, lmax, chunk, max_memory_gb, what):
    check_memory(grid_memory_bytes(n_months, grid, lmax, chunk),
                 what=f"{what}: {n_months} months on a {grid.shape[0]} x {grid.shape[1]} grid",
                 max_memory_gb=max_memory_gb,
                 hint="use a coarser resolution or fewer months, or raise max_memory_gb "
                      "(--max-memory-gb) to try anyway")


def ewh_grid(series: L2Series, grid: Grid, *, half_width_km: float | None = None,
             love_k=None, units: str | None = None, chunk: int = 64,
             max_memory_gb: float | None = None, quantity: str = "ewh", **kwargs):
    """Grid coefficient anomalies to equivalent water height (or another ``quantity``)
    as an xarray DataArray.

    Args:
        series: coefficient anomalies (after :func:`remove_mean`).
        grid: target :class:`jaxgeo.Grid` (cell centres).
        half_width_km: Gaussian smoothing half-width, km (None: no smoothing).
        love_k: load Love numbers ``(lmax+1,)``; default PREM with k_1 = 0.021.
        units: ``"mm"``, ``"cm"`` or ``"m"`` of equivalent water thickness (default mm);
            for the other quantities see :data:`QUANTITIES` (defaults mm, uGal, hPa).
        chunk: months per jitted call (bounds memory).
        max_memory_gb: refuse (``ResourceError``, a ValueError) before allocating when the
            estimate (:func:`grid_memory_bytes`) exceeds this many GiB; default the memory
            available now.
        quantity: ``"ewh"`` (default), ``"geoid"``, ``"gravity_disturbance"`` or
            ``"surface_pressure"`` (:func:`quantity_factors`); the DataArray is named
            after it (``lwe_thickness``, ``geoid_height``, ...).

    Returns:
        float32 DataArray ``lwe_thickness`` ``(time, lat, lon)`` (attribute ``units``),
        time = span midpoints, lat ascending.
        Mean removal happens before, in float64 numpy; the synthesis runs in JAX's default
        float (float32 unless ``jax_enable_x64``), which changes the 231-month CSR result
        by at most ~1e-3 mm (measured), well below the float32 output's resolution.

    Reference: Wahr, Molenaar & Bryan (1998), eq. 14 and 30–34.
    """
    import xarray as xr

    half_width_km = retired_half_width(kwargs, half_width_km, where="jaxgeo.grace.ewh_grid")
    units, _ = quantity_units(quantity, units)
    _check_memory(series.clm.shape[0], grid, series.lmax, chunk, max_memory_gb, "ewh_grid")
    table = SynthesisTable.create(grid, series.lmax)
    w = quantity_factors(series.lmax, quantity, radius_m=series.radius_m, units=units,
                         love_k=love_k)
    if half_width_km:
        w = w * gaussian_legendre_weights(half_width_km, series.lmax)
    fn = jax.jit(synthesize_ewh)
    out = np.empty((series.clm.shape[0], *grid.shape), np.float32)
    for i in range(0, out.shape[0], chunk):
        out[i:i + chunk] = np.asarray(fn(table, series.clm[i:i + chunk],
                                         series.slm[i:i + chunk], w), dtype=np.float32)
    coords = grid.to_xarray_coords()
    coords["time"] = xr.Variable("time", series.mid.astype("datetime64[ns]"),
                                 {"long_name": "midpoint of the solution data span"})
    coords["time_start"] = ("time", series.start.astype("datetime64[ns]"))
    coords["time_end"] = ("time", series.end.astype("datetime64[ns]"))
    coords["grace_month"] = xr.Variable(
        "time", series.grace_month.astype(np.int32),
        {"long_name": "GRACE month number (1 = January 2002; special months keep theirs)"})
    name, long_name = QUANTITIES[quantity][2:]
    attrs = {
        "units": units,
        "long_name": long_name,
        "comment": ("liquid water equivalent thickness (density 1000 kg/m3) from GRACE "
                    "Level-2 spherical harmonics, Wahr et al. (1998) eq. 14"
                    if quantity == "ewh" else
                    f"{long_name} from GRACE Level-2 spherical harmonics "
                    "(jaxgeo.grace.quantity_factors)"),
        "quantity": quantity,
        "centre": series.centre,
        "lmax": series.lmax,
        "half_width_km": float(half_width_km) if half_width_km else 0.0,
    }
    return xr.DataArray(out, dims=("time", "lat", "lon"), coords=coords, attrs=attrs,
                        name=name)


def grace_l2_tws(source, *, grid: Grid, tn13=None, tn14=None,
                 half_width_km: float | None = 300.0, mean=None,
                 mean_period=DEFAULT_MEAN_PERIOD, lmax: int | None = None, c30: bool = True,
                 c30_from: str | None = C30_FROM, units: str | None = None,
                 quiet: bool = False, max_memory_gb: float | None = None,
                 destripe: bool = False, gia=None, gia_t_ref: float = GIA_T_REF,
                 quantity: str = "ewh", aod=None, sigma: bool = False,
                 complete_months: bool = False, interpolate_gaps: bool = False, **kwargs):
    """Level-2 files to a gridded TWS anomaly DataArray (the whole chain).

    Steps: read (:func:`read_l2_series`), C20/C30 from TN-14, degree 1 from TN-13,
    GIA rate × (t − gia_t_ref) subtracted (if ``gia``), remove the mean field, destriping
    (if asked), Gaussian smoothing, synthesis of ``quantity`` (EWH) on ``grid``.

    Args:
        source: directory or list of GSM/.gfc files.
        grid: target grid.
        tn13, tn14: paths of the technical notes, or None to keep the files' values
            (a warning is issued: CSR/JPL/GFZ GSM files carry no degree 1).
        half_width_km: Gaussian smoothing half-width, km, or None.
        mean, mean_period: see :func:`remove_mean`.
        lmax: truncation degree.
        c30: replace C30 from TN-14 at all.
        c30_from: first month whose C30 comes from TN-14 (default ``"2016-09"``, the
            single-accelerometer GRACE months and GRACE-FO); None: every month where
            TN-14 gives one. See :func:`replace_c20_c30`.
        units: "mm", "cm" or "m" for EWH (default mm); see :func:`ewh_grid` for the
            other quantities.
        quiet: no progress bar while reading (``progress=`` is its retired inverse).
        max_memory_gb: memory limit, GiB, checked before the files are read (one month
            per file) and again before gridding; default the memory available now.
        destripe: apply the Swenson & Wahr (2006) decorrelation filter to the anomalies
            (:func:`jaxgeo.grace.destripe` with its defaults, as gravity-toolkit's
            ``destripe_harmonics``: orders >= 5, quadratic fits, coefficients of a parity
            too short for the window removed); needs lmax >= 42.
        gia: GIA rate file (:func:`jaxgeo.grace.read_gia`) or :class:`GIARates`; its
            signal ``rate × (t − gia_t_ref)`` at each span midpoint is subtracted from all
            coefficients after the technical-note replacements, before the mean removal.
        gia_t_ref: reference epoch of the GIA correction, decimal year (default 2003.3,
            gravity-toolkit's); it cancels when the mean comes from the same series.
        quantity: output quantity (:func:`ewh_grid`), default ``"ewh"``.
        aod: directory (or list) of GAC-2_* or GAD-2_* files whose coefficients are added
            back after the technical-note replacements (:func:`restore_aod`); None: the
            AOD1B background stays removed, as in GSM.
        sigma: also return ``lwe_thickness_sigma`` (time, lat, lon), the formal standard
            deviation per cell propagated from the files' calibrated sigmas
            (:func:`ewh_sigma_grid`, smoothing included; diagonal approximation:
            correlations ignored, so striped solutions are underestimated). Coefficients
            replaced from TN-13/TN-14 take the note's sigma (a note without sigmas leaves
            the file's: zero for degree 1), and the mean field's error is ignored. Only for
            ``quantity="ewh"``, not with ``destripe``.
        complete_months: put the result on a complete monthly axis
            (:func:`reindex_months`): months without a solution are NaN with
            ``observed=False``.
        interpolate_gaps: as ``complete_months``, and fill the missing months by linear
            interpolation in time, cell by cell (still ``observed=False``; attribute
            ``interpolated_months``).

    Returns:
        float32 DataArray ``lwe_thickness`` ``(time, lat, lon)`` with attributes naming the
        processing (``destripe``: 1 or 0); with ``sigma=True`` a Dataset holding it and
        ``lwe_thickness_sigma``.
    """
    if "progress" in kwargs:
        quiet = not renamed(kwargs, "progress", "quiet (inverted)",
                            where="jaxgeo.grace.grace_l2_tws")
    half_width_km = retired_half_width(kwargs, half_width_km,
                                       where="jaxgeo.grace.grace_l2_tws", default=300.0)
    lmax = check_lmax(lmax, where="grace_l2_tws")
    if not isinstance(destripe, bool):
        raise ValueError(f"grace_l2_tws: destripe must be True or False, got {destripe!r}")
    if destripe and lmax is not None:
        destripe_half_widths(lmax)  # lmax too small for the window: before the files are read
    quantity_units(quantity, units)  # a bad quantity/units pair fails before reading
    aod_kind = "none" if aod is None else aod_files(aod)[1]  # bad names: before reading
    if isinstance(gia, (str, Path)):
        gia = read_gia(gia)  # a bad GIA file fails before the Level-2 files are read
    elif gia is not None and not isinstance(gia, GIARates):
        raise ValueError(f"grace_l2_tws: gia must be a file or GIARates, got {gia!r}")
    c30_first_month(c30_from)  # a bad month fails before the files are read
    for flag, value in (("sigma", sigma), ("complete_months", complete_months),
                        ("interpolate_gaps", interpolate_gaps)):
        if not isinstance(value, bool):
            raise ValueError(f"grace_l2_tws: {flag} must be True or False, got {value!r}")
    if sigma and destripe:
        raise ValueError("grace_l2_tws: sigma=True with destripe=True is not supported "
                         "(the destriping filter's error propagation is not implemented)")
    if sigma and quantity != "ewh":
        raise ValueError(f"grace_l2_tws: sigma=True is for quantity='ewh' only, got "
                         f"{quantity!r}")
    # sigma=True holds a second float32 (time, lat, lon) field: count its months twice
    _check_memory(len(_list_files(source)) * (2 if sigma else 1), grid, lmax or 0, 64,
                  max_memory_gb, "grace_l2_tws" + (" with sigma (two fields)" if sigma else ""))
    series = read_l2_series(source, lmax=lmax, quiet=quiet)
    if sigma:
        check_sigmas(series)
    notes = []
    if tn14 is not None:
        series = replace_c20_c30(series, read_tn14(tn14), c30=c30, c30_from=c30_from)
        c30_note = (f"/C30 (from {c30_from})" if c30 and c30_from else "/C30" if c30
                    else "")
        notes.append(f"C20{c30_note} from {Path(tn14).name}")
    if tn13 is not None:
        series = replace_degree1(series, read_tn13(tn13))
        notes.append(f"degree 1 from {Path(tn13).name}")
    else:
        warnings.warn("no TN-13 file: degree-1 terms are those of the files (zero for "
                      "CSR/JPL/GFZ GSM), so geocentre motion is missing", UserWarning,
                      stacklevel=2)
    if aod is not None:
        series, aod_kind = restore_aod(series, aod)
        notes.append(f"{aod_kind} (AOD1B) restored")
    if gia is not None:
        series, gia = remove_gia(series, gia, t_ref=gia_t_ref)
        notes.append(f"GIA removed: {gia.model} from {Path(gia.path).name}, "
                     f"t_ref {gia_t_ref:g}")
    series, _ = remove_mean(series, mean=mean, period=mean_period)
    if destripe:
        clm, slm = destripe_float64(series.clm, series.slm)
        series = series.replace(clm=clm, slm=slm)
        notes.append("destriped (Swenson & Wahr 2006, orders >= 5)")
    da = ewh_grid(series, grid, half_width_km=half_width_km, units=units,
                  max_memory_gb=max_memory_gb, quantity=quantity)
    da.attrs["history"] = "; ".join(
        ["jaxgeo.grace.grace_l2_tws", *notes,
         "mean removed: " + (f"field {Path(mean).name}" if isinstance(mean, (str, Path))
                             else "given field" if mean is not None else
                             f"{mean_period[0]}..{mean_period[1]}" if mean_period else
                             "all months")])
    if mean is None:  # the base period of the anomalies (read by jaxgeo.grace.anomaly)
        da.attrs["mean_period"] = (f"{mean_period[0]}..{mean_period[1]}" if mean_period
                                   else "all months")
    da.attrs["destripe"] = int(destripe)
    da.attrs["aod_restored"] = aod_kind
    da.attrs["gia"] = (f"{gia.model} ({Path(gia.path).name}), t_ref {gia_t_ref:g}"
                       if gia is not None else "none")
    out = da
    if sigma:
        out = da.to_dataset()
        out["lwe_thickness_sigma"] = _sigma_grid(series, grid, half_width_km,
                                                 quantity_units("ewh", units)[0], da)
        out.attrs = dict(da.attrs)
    if complete_months or interpolate_gaps:
        out = reindex_months(out, interpolate_gaps=interpolate_gaps)
    return out


def _sigma_grid(series: L2Series, grid: Grid, half_width_km, units: str, like, chunk=64):
    """The per-cell standard deviations, float32 DataArray shaped as ``like``."""
    table = SynthesisTable.create(grid, series.lmax)
    w = degree_weights(series.lmax, radius_m=series.radius_m,
                       half_width_km=half_width_km) * scale_from_metres(units)
    fn = jax.jit(ewh_sigma_grid)
    out = np.empty(like.shape, np.float32)
    for i in range(0, out.shape[0], chunk):
        out[i:i + chunk] = np.asarray(fn(table, series.sigma_clm[i:i + chunk],
                                         series.sigma_slm[i:i + chunk], w), np.float32)
    attrs = {"units": units, "long_name": "formal standard deviation of lwe_thickness",
             "comment": "propagated from the files' calibrated coefficient sigmas; "
                        + DIAGONAL_NOTE + "; coefficients replaced from TN-13/TN-14 "
                        "take the note's sigma; mean-field error ignored"}
    return like.copy(data=out).rename("lwe_thickness_sigma").assign_attrs(attrs)
