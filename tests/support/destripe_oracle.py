"""gravity-toolkit's ``destripe_harmonics`` as a test-only oracle of :func:`jaxgeo.grace.destripe`
on the shared CSR RL06 files: the common inputs (anomalies of a few months) and summaries.

The recorded values (tests/data/destripe_gtk_csr.json) come from
tests/support/make_destripe_oracle.py; the live tests call gravity-toolkit when it imports.
"""

from __future__ import annotations

import warnings

import numpy as np

GTK_VERSION = "1.2.8"
LMAX = 60
MONTHS = ["2004-06", "2016-11", "2019-06", "2023-12"]  # GRACE, GRACE (1 ACC), GRACE-FO x2
RESOLUTION_DEG = 1.0
HALF_WIDTH_KM = 300.0
SAMPLES = [(2, 0), (4, 3), (5, 5), (6, 5), (30, 5), (59, 5), (60, 5), (12, 12), (41, 17),
           (60, 20), (37, 30), (58, 40), (55, 54), (60, 60)]
"""(l, m) recorded per month: orders below the start, window edges, interior, zeroed."""
CELLS = [(72.5, -40.5), (-3.5, -60.5), (60.5, -85.5), (0.5, -150.5), (28.5, 85.5),
         (-75.5, 110.5), (45.5, 10.5), (-20.5, 25.5)]
"""(lat, lon) cell centres of the recorded grid values: Greenland, Amazon, Hudson Bay,
Pacific, Himalaya, East Antarctica, Alps, southern Africa."""


def anomalies(shared_data):
    """The CSR RL06 files at lmax 60 less their 2004–2009 mean, for :data:`MONTHS`:
    ``(clm, slm, radius_m)``, clm/slm float64 ``(len(MONTHS), 61, 61)``."""
    from jaxgeo.grace import read_l2_series, remove_mean

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the special months' labels
        s = read_l2_series(shared_data / "grace-l2" / "csr-rl06", lmax=LMAX, quiet=True)
    s, _ = remove_mean(s)
    k = [s.months.index(m) for m in MONTHS]
    return s.clm[k], s.slm[k], float(s.radius_m)


def order_rms(x):
    """RMS over the degrees l >= m of each order m, ``(..., lmax+1)``."""
    x = np.asarray(x, np.float64)
    n = x.shape[-1]
    low = np.tril(np.ones((n, n), bool))
    return np.sqrt((x ** 2 * low).sum(axis=-2) / low.sum(axis=0))


def ewh_mm(clm, slm, radius_m):
    """Gaussian-smoothed (300 km) EWH, mm, float64, on the 1° grid, ``(..., 180, 360)``."""
    from jaxgeo import Grid
    from jaxgeo.grace import SynthesisTable, degree_weights, synthesize_ewh

    grid = Grid.regular(RESOLUTION_DEG)
    table = SynthesisTable.create(grid, LMAX)
    w = degree_weights(LMAX, radius_m=radius_m, half_width_km=HALF_WIDTH_KM) * 1000.0
    return np.asarray(synthesize_ewh(table, clm, slm, w), np.float64), grid


def cell_index(grid, lat, lon):
    """Row and column of the cell centred at (lat, lon)."""
    lats, lons = np.asarray(grid.lat), np.asarray(grid.lon)
    return int(np.argmin(np.abs(lats - lat))), int(np.argmin(np.abs(lons - lon)))


def gtk_destripe(clm, slm):
    """gravity-toolkit's destriped coefficients (defaults: LMAX=60, ROUND, not NARROW)
    per month; needs ``gravity_toolkit`` importable."""
    from gravity_toolkit.destripe_harmonics import destripe_harmonics

    out = [destripe_harmonics(c, s, LMAX=LMAX) for c, s in zip(clm, slm, strict=True)]
    return np.stack([o["clm"] for o in out]), np.stack([o["slm"] for o in out])
