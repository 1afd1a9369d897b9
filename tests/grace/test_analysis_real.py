"""Analysis of a real GRACE EWH change (shared CSR RL06 files) recovers its coefficients."""

import math

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.grace import (
    AnalysisTable,
    SynthesisTable,
    analyze,
    analyze_ewh,
    degree_weights,
    read_shm,
    synthesize_ewh,
)

ducc0 = pytest.importorskip("ducc0")


@pytest.mark.shared_data
def test_real_month_ewh_round_trip_and_ducc0(shared_data):
    files = sorted((shared_data / "grace-l2" / "csr-rl06").glob("GSM-2_*.gz"))
    a, b = read_shm(files[50]), read_shm(files[60])
    dc, ds = b.clm[:97, :97] - a.clm[:97, :97], b.slm[:97, :97] - a.slm[:97, :97]
    w = degree_weights(96, radius_m=a.radius_m, half_width_km=300.0)
    grid = Grid.regular(1.0)
    ewh = synthesize_ewh(SynthesisTable.create(grid, 96), dc, ds, w)
    table = AnalysisTable.create(grid, 96)
    dc2, ds2 = analyze_ewh(table, ewh, w)
    scale = np.abs(dc).max()
    np.testing.assert_allclose(dc2, dc, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(ds2, ds, rtol=0, atol=1e-10 * scale)
    # the EWH coefficients themselves against ducc0's F1 analysis (healpy, orthonormal, CS)
    e_c, e_s = (np.asarray(x) for x in analyze(table, ewh))
    alm = ducc0.sht.experimental.analysis_2d(
        map=np.ascontiguousarray(np.asarray(ewh)[::-1])[None], spin=0, lmax=96,
        geometry="F1", phi0=math.radians(grid.lon[0]))[0]
    i = 0
    for m in range(97):
        ref = alm[i: i + 97 - m]
        i += 97 - m
        if m == 0:
            np.testing.assert_allclose(e_c[:, 0], ref.real / math.sqrt(4 * math.pi), rtol=0,
                                       atol=1e-12)
        else:
            sgn = (-1) ** m / math.sqrt(2 * math.pi)
            np.testing.assert_allclose(e_c[m:, m], sgn * ref.real, rtol=0, atol=1e-12)
            np.testing.assert_allclose(e_s[m:, m], -sgn * ref.imag, rtol=0, atol=1e-12)
