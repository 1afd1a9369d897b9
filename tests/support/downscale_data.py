"""A tiny deterministic downscaling data set (10° grid), shared by tests and their workers."""

import numpy as np
import pandas as pd
import xarray as xr

from support.downscale_oracle import cap_mean, centres

TINY_RES = 10.0


def _da(values, lat, lon, time=None, name=None):
    if time is None:
        return xr.DataArray(values, dims=("lat", "lon"), coords={"lat": lat, "lon": lon},
                            name=name)
    return xr.DataArray(values, dims=("time", "lat", "lon"),
                        coords={"time": time, "lat": lat, "lon": lon}, name=name,
                        attrs={"units": "mm", "long_name": name})


def tiny_experiment(n_months: int = 8, *, res_deg: float = TINY_RES, seed: int = 0,
                    start: str = "2003-01-01") -> dict:
    """Coarse, model, mask and one feature on a coarse grid; same values on every call."""
    lat, lon = centres(res_deg)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    mask = (np.sin(np.deg2rad(2 * lo)) * np.cos(np.deg2rad(la)) > 0.1) & (abs(la) < 75)
    rng = np.random.default_rng(seed)
    time = pd.date_range(start, periods=n_months, freq="MS")
    truth = 50 * np.cos(2 * np.pi * np.arange(n_months) / 12)[:, None, None] * np.cos(
        np.deg2rad(la)) + 10 * rng.standard_normal((n_months,) + la.shape)
    model = 0.7 * truth + 5 * rng.standard_normal(truth.shape)
    coarse = cap_mean(truth, res_deg, 20.0, mask) + 3 * rng.standard_normal(truth.shape)
    nanout = np.where(mask, 1.0, np.nan)
    precip = np.abs(truth) * nanout
    return {
        "coarse": _da(coarse * nanout, lat, lon, time, "coarse"),
        "model": _da(model * nanout, lat, lon, time, "model"),
        "mask": _da(mask, lat, lon),
        "features": xr.Dataset({"precipitation": _da(precip, lat, lon, time, "precipitation")}),
    }
