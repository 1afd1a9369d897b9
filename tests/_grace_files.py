"""Writers of small synthetic Level-2 / technical-note files laid out like the real ones."""

from __future__ import annotations

import gzip

import numpy as np

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
