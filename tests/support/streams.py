"""Month stacks for the streaming tests: a (time, lat, lon) DataArray of random values."""

import numpy as np
import pandas as pd
import xarray as xr

from jaxgeo import Grid


def month_stack(g: Grid, months: int, *, descending=False, seed=0) -> xr.DataArray:
    x = np.random.default_rng(seed).normal(size=(months,) + g.shape)
    lat = g.lat
    if descending:
        x, lat = x[:, ::-1], lat[::-1]
    t = pd.date_range("2002-04-01", periods=months, freq="MS")
    return xr.DataArray(x, dims=("time", "lat", "lon"),
                        coords={"time": t, "lat": lat, "lon": g.lon},
                        name="tws", attrs={"units": "mm"})
