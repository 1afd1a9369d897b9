"""Writers of small synthetic Level-2 and mascon files laid out like the real ones."""

from __future__ import annotations

import gzip

import numpy as np
import xarray as xr

from jaxgeo import Grid

_YAML = """header:
  dimensions:
    degree                :  {lmax}
    order                 :  {lmax}

  non-standard_attributes:
    product_id            : GSM-2
    normalization         : fully normalized
    permanent_tide_flag   : inclusive
    earth_gravity_param   :
      long_name           : gravitational constant times mass of Earth
      units               : m3/s2
      value               : 3.9860044150E+14
    mean_equator_radius   :
      long_name           : mean equator radius
      units               : meters
      value               : 6.3781363000E+06

  global_attributes:
    institution           : {inst}
    product_version       : RL06

# End of YAML header
"""


def random_coeffs(lmax: int, seed: int = 0, scale: float = 1e-10):
    rng = np.random.default_rng(seed)
    clm = np.tril(rng.standard_normal((lmax + 1, lmax + 1))) * scale
    slm = np.tril(rng.standard_normal((lmax + 1, lmax + 1))) * scale
    slm[:, 0] = 0.0
    clm[:2] = 0.0
    slm[:2] = 0.0
    return clm, slm


def write_shm(path, clm, slm, t0: str, t1: str, *, inst="UT-AUSTIN/CSR", drop=None):
    """Write a gzipped (if path ends in .gz) SHM file; t0/t1 as YYYYMMDD; drop=(l, m)."""
    lmax = clm.shape[0] - 1
    lines = [_YAML.format(lmax=lmax, inst=inst)]
    for ell in range(lmax + 1):
        for m in range(ell + 1):
            if drop == (ell, m):
                continue
            lines.append(f"GRCOF2 {ell:4d} {m:4d} {clm[ell, m]: .12E} {slm[ell, m]: .12E} "
                         f"1.0E-12 1.0E-12 {t0}.0000 {t1}.0000 nnnn\n")
    text = "".join(lines).encode()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            fh.write(text)
    else:
        path.write_bytes(text)
    return path


def shm_name(y0, d0, y1, d1, centre="UTCSR", sat="GRAC"):
    return f"GSM-2_{y0}{d0:03d}-{y1}{d1:03d}_{sat}_{centre}_BB01_0600.gz"


def mascon_field(lat, lon, k):
    """A smooth analytic field in cm, so values at any (lat, lon) are known exactly."""
    lat, lon = np.meshgrid(np.deg2rad(lat), np.deg2rad(lon), indexing="ij")
    return (10.0 * np.cos(lat) * np.sin(lon) + k).astype(np.float32)


def write_mascon(path, res, months, *, descending=False, units="cm"):
    """JPL/CSR layout: lat (asc), lon 0..360 cell centres, time days since 2002-01-01."""
    g = Grid.regular(res, 0.0)
    lat = g.lat[::-1] if descending else g.lat
    days = np.array([(np.datetime64(m + "-16") - np.datetime64("2002-01-01")).astype(int)
                     for m in months], dtype=np.float64)
    data = np.stack([mascon_field(lat, g.lon, k) for k in range(len(months))])
    ds = xr.Dataset(
        {"lwe_thickness": (("time", "lat", "lon"), data,
                           {"units": units, "long_name": "Liquid_Water_Equivalent_Thickness"}),
         "time_bounds": (("time", "bounds"), np.stack([days - 15, days + 15], axis=1))},
        coords={"lat": ("lat", lat, {"units": "degrees_north"}),
                "lon": ("lon", g.lon, {"units": "degrees_east"}),
                "time": ("time", days, {"units": "days since 2002-01-01T00:00:00Z",
                                        "calendar": "gregorian"})},
        attrs={"institution": "NASA/JPL",
               "title": "JPL GRACE and GRACE-FO MASCON RL06.3Mv04 CRI"},
    )
    ds.to_netcdf(path)
    return g
