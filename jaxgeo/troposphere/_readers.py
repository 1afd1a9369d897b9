"""Readers that turn ERA5 pressure-level files and radiosonde text into profile Datasets.

Both return the same layout: an :class:`xarray.Dataset` with dimensions ``(profile,
level)``, data variables ``height`` (m above mean sea level), ``temperature`` (K),
``vapour_pressure`` (hPa) and ``pressure`` (hPa), and per-profile coordinates ``lat``,
``lon`` (degrees) and ``time``. Levels are ordered as in the source (any order is
accepted downstream). I/O happens here, with NumPy; the physics is shared with the JAX
functions of :mod:`jaxgeo.troposphere._physics`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._xarray import open_dataset
from . import _plausible as plaus
from ._physics import (
    geopotential_to_height,
    vapour_pressure_from_relative_humidity,
    vapour_pressure_from_specific_humidity,
)

_UNITS = {
    "z": ("m**2 s**-2", "m2 s-2", "m^2/s^2", "m2/s2", "m**2/s**2"),
    "t": ("K", "k", "kelvin"),
    "q": ("kg kg**-1", "kg/kg", "kg kg-1", "1"),
    "r": ("%", "percent"),
}


def _np(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _check_units(name: str, var: xr.DataArray) -> None:
    units = var.attrs.get("units")
    if units is None:
        raise ValueError(f"ERA5 variable {name!r} has no 'units' attribute; expected one of "
                         f"{_UNITS[name]}")
    if str(units).strip() not in _UNITS[name]:
        raise ValueError(f"ERA5 variable {name!r} has units {units!r}; expected one of "
                         f"{_UNITS[name]}")


def _clip_negative(name: str, values: np.ndarray) -> np.ndarray:
    bad = values < 0
    if np.any(bad):
        warnings.warn(f"{int(bad.sum())} negative {name} values (min {values[bad].min():.3g}) "
                      "clipped to 0", RuntimeWarning, stacklevel=3)
        values = np.where(bad, 0.0, values)
    return values


def _profile_dataset(height, temperature, vapour, pressure, lat, lon, time, level,
                     attrs) -> xr.Dataset:
    ds = xr.Dataset(
        {
            "height": (("profile", "level"), height,
                       {"units": "m", "long_name": "geometric height above mean sea level",
                        "height_kind": "geometric"}),
            "temperature": (("profile", "level"), temperature,
                            {"units": "K", "standard_name": "air_temperature"}),
            "vapour_pressure": (("profile", "level"), vapour,
                                {"units": "hPa",
                                 "standard_name": "water_vapor_partial_pressure_in_air"}),
            "pressure": (("profile", "level"), pressure,
                         {"units": "hPa", "standard_name": "air_pressure"}),
        },
        coords={
            "lat": ("profile", lat, {"units": "degrees_north", "standard_name": "latitude"}),
            "lon": ("profile", lon, {"units": "degrees_east", "standard_name": "longitude"}),
            "time": ("profile", time),
            "level": ("level", level),
        },
        attrs=attrs,
    )
    return ds


def read_era5_profiles(path, *, humidity: str = "auto") -> xr.Dataset:
    """Read ERA5 pressure-level NetCDF (as the Copernicus data store writes it) into profiles.

    Every (time, latitude, longitude) column becomes one profile; heights are geometric
    heights above mean sea level from the geopotential ``z``; vapour pressure comes from
    specific humidity ``q`` (preferred) or relative humidity ``r``. Packed int16 variables
    are unpacked by xarray (``scale_factor``/``add_offset``); descending latitude is fine.
    Negative humidity (a packing artefact) is clipped to zero with a warning.

    Args:
        path: NetCDF file with ``z`` (m²/s²), ``t`` (K), ``q`` (kg/kg) and/or ``r`` (%)
            on a ``level`` or ``pressure_level`` axis (hPa).
        humidity: ``"q"``, ``"r"`` or ``"auto"`` (``q`` when present).

    Returns:
        Profile Dataset (see module docstring), ``level`` = pressure in hPa.

    Raises:
        FileNotFoundError: no such file. ValueError: missing variable, axis or units; a
        classic NetCDF file shorter than its header declares (truncated download); values
        a units label contradicts or outside physical bounds: temperature 150-350 K,
        q in [0, 0.05] kg/kg, r in [0, 150] %, levels in (0, 1100] hPa (levels above 1100
        without units are taken for Pa and refused), geopotential increasing upwards with
        layer thicknesses within 0.7-1.4 of the hypsometric ones, vapour pressure below
        the total pressure and at most 10 % above saturation over water (50 % from ``r``).
    """
    path = Path(path)
    ds = open_dataset(path, what="ERA5", mask_and_scale=True)
    level_name = next((n for n in ("level", "pressure_level", "isobaricInhPa") if n in ds.dims),
                      None)
    if level_name is None:
        raise ValueError(f"{path.name}: no pressure-level dimension ('level' or "
                         f"'pressure_level'); dims are {dict(ds.sizes)}")
    lat_name = next((n for n in ("latitude", "lat") if n in ds.dims), None)
    lon_name = next((n for n in ("longitude", "lon") if n in ds.dims), None)
    time_name = next((n for n in ("time", "valid_time") if n in ds.dims), None)
    if lat_name is None or lon_name is None:
        raise ValueError(f"{path.name}: no latitude/longitude dimensions; dims are "
                         f"{dict(ds.sizes)}")
    for name in ("z", "t"):
        if name not in ds:
            raise ValueError(f"{path.name}: missing ERA5 variable {name!r} "
                             f"({'geopotential' if name == 'z' else 'temperature'}); "
                             f"variables are {list(ds.data_vars)}")
        _check_units(name, ds[name])
    if humidity == "auto":
        humidity = "q" if "q" in ds else "r"
    if humidity not in ("q", "r"):
        raise ValueError(f"humidity must be 'q', 'r' or 'auto', got {humidity!r}")
    if humidity not in ds:
        raise ValueError(f"{path.name}: missing ERA5 humidity variable {humidity!r} "
                         "(need specific humidity 'q' or relative humidity 'r')")
    _check_units(humidity, ds[humidity])
    if time_name is None:
        ds = ds.expand_dims(time=[np.datetime64("NaT", "ns")])
        time_name = "time"
    lev_units = str(ds[level_name].attrs.get("units", "hPa")).lower()
    level_hpa = _np(ds[level_name].values)
    if "units" not in ds[level_name].attrs and np.max(level_hpa) > 1100.0:
        raise ValueError(f"{path.name}: pressure levels {level_name!r} have no units and reach "
                         f"{np.max(level_hpa):g}: Pa without units? (label them 'Pa' or 'hPa')")
    if lev_units in ("pa",):
        level_hpa = level_hpa / 100.0
    elif lev_units not in ("hpa", "millibars", "mbar", "mb"):
        raise ValueError(f"{path.name}: pressure level units {lev_units!r} not understood "
                         "(expected hPa, millibars or Pa)")
    order = (time_name, lat_name, lon_name, level_name)
    z = _np(ds["z"].transpose(*order).values)
    t = _np(ds["t"].transpose(*order).values)
    hum = _np(ds[humidity].transpose(*order).values)
    for name, arr in (("z", z), ("t", t), (humidity, hum)):
        if np.any(~np.isfinite(arr)):
            raise ValueError(f"{path.name}: ERA5 variable {name!r} has missing values")
    where = f"{path.name}"
    plaus.check_levels(where, level_name, level_hpa)
    plaus.check_temperature(where, "t", t)
    if humidity == "q":
        plaus.check_specific_humidity(where, "q", hum)
    else:
        plaus.check_relative_humidity(where, "r", hum)
    plaus.check_geopotential(where, "z", z, level_hpa, t, units=str(ds["z"].attrs["units"]))
    lat = _np(ds[lat_name].values)
    lon = _np(ds[lon_name].values)
    time = ds[time_name].values
    nt, ny, nx, nl = z.shape
    lat3 = np.broadcast_to(lat[None, :, None], (nt, ny, nx))
    lon3 = np.broadcast_to(lon[None, None, :], (nt, ny, nx))
    time3 = np.broadcast_to(time[:, None, None], (nt, ny, nx))
    height = np.asarray(geopotential_to_height(jnp.asarray(z), jnp.asarray(lat3[..., None])))
    p = np.broadcast_to(level_hpa, z.shape)
    if humidity == "q":
        hum = _clip_negative("specific humidity", hum)
        e = np.asarray(vapour_pressure_from_specific_humidity(jnp.asarray(hum), jnp.asarray(p)))
    else:
        hum = _clip_negative("relative humidity", hum)
        e = np.asarray(vapour_pressure_from_relative_humidity(jnp.asarray(hum), jnp.asarray(t)))
    plaus.check_vapour_pressure(where, e, p, t, margin=0.1 if humidity == "q" else 0.5)
    n = nt * ny * nx
    out = _profile_dataset(
        height.reshape(n, nl), t.reshape(n, nl), e.reshape(n, nl), np.array(p).reshape(n, nl),
        lat3.reshape(n), lon3.reshape(n), time3.reshape(n), level_hpa,
        {"source": str(path.name), "reader": "jaxgeo.troposphere.read_era5_profiles",
         "humidity_from": humidity, "grid_shape": [nt, ny, nx]},
    )
    out["level"].attrs.update(units="hPa", long_name="pressure level")
    return out
