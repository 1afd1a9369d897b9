"""A GRACE-like output and a raw daily model file for the model_on_grace tests."""

import numpy as np
import xarray as xr

from jaxgeo import Grid

D = np.timedelta64(1, "D")
GRID = Grid(11.25)          # the GRACE grid (16 × 32)
SRC = 2.5                   # the model grid: 2.5° is not nested in 11.25°


def grace_like(units="cm", gap=3, period="2004-01-01..2005-01-01"):
    """A GRACE-like output: monthly spans 2004-01..2005-03 (one of them cut short, as the
    special months), one gap month (NaT span, observed False), a recorded mean period."""
    months = np.arange(np.datetime64("2004-01"), np.datetime64("2005-04"))
    s = months.astype("datetime64[D]").astype("datetime64[ns]")
    e = (months + 1).astype("datetime64[D]").astype("datetime64[ns]")
    s[5] += 4 * D   # a span of 2004-06-05..2004-07-01
    observed = np.ones(months.size, bool)
    observed[gap] = False
    nat = np.datetime64("NaT", "ns")
    mid = s + (e - s) // 2
    s, e = np.where(observed, s, nat), np.where(observed, e, nat)
    vals = np.zeros((months.size, GRID.nlat, GRID.nlon), np.float32)
    vals[~observed] = np.nan
    coords = {"time": mid, "time_start": ("time", s), "time_end": ("time", e),
              "observed": ("time", observed), **GRID.to_xarray_coords()}
    return xr.DataArray(vals, dims=("time", "lat", "lon"), coords=coords, name="lwe_thickness",
                        attrs={"units": units, "mean_period": period})


def _pattern(lat, lon):
    return np.cos(np.deg2rad(lat))[:, None] * (1 + 0.5 * np.sin(np.deg2rad(2 * lon))[None, :])


def raw_model(ocean_nan=True, start="2003-12-01", end="2005-05-01", units="kg m-2"):
    """Daily model output, 2.5° grid, longitudes 0..360, latitudes descending: value
    = pattern(lat, lon) × (day index + 0.5) + a pseudo-random field, NaN south of 60° S
    (a land model's missing cells)."""
    lat = np.arange(90 - SRC / 2, -90, -SRC)
    lon = np.arange(SRC / 2, 360, SRC)
    t = np.arange(np.datetime64(start), np.datetime64(end)).astype("datetime64[ns]")
    days = (t - t[0]) / D
    rng = np.random.default_rng(1)
    x = (_pattern(lat, lon)[None] * (days + 0.5)[:, None, None]
         + rng.standard_normal((t.size, lat.size, lon.size)))
    if ocean_nan:
        x[:, lat < -60, :] = np.nan
    return xr.DataArray(x, dims=("time", "lat", "lon"),
                        coords={"time": t, "lat": lat, "lon": lon}, name="tws",
                        attrs={"units": units})
