"""Coefficients replaced from TN-13 (degree 1) and TN-14 (C20, C30) take the notes'
calibrated sigmas (TN-14 gives them in units of 1e-10), so lwe_thickness_sigma covers
them; a note without sigma columns leaves the files' sigmas."""

import warnings

import numpy as np

from jaxgeo import Grid
from jaxgeo.grace import (
    grace_l2_tws,
    read_l2_series,
    read_tn13,
    read_tn14,
    replace_c20_c30,
    replace_degree1,
)


def _paths(shared_data):
    d = shared_data / "grace-l2"
    files = sorted((d / "csr-rl06").glob("GSM-2_*.gz"))
    return files, d / "TN-13_GEOC_CSR_RL0602.txt", d / "TN-14_C30_C20_GSFC_SLR.txt"


def _raw_tn14(path):
    lines = path.read_text(encoding="latin-1").splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip().startswith("Product:")) + 1
    return np.array([[float(x) for x in ln.split()[:10]] for ln in lines[first:]
                     if ln.split()])


def test_notes_sigmas_replace_the_files(shared_data):
    files, tn13_p, tn14_p = _paths(shared_data)
    tn13, tn14 = read_tn13(tn13_p), read_tn14(tn14_p)
    raw = _raw_tn14(tn14_p)
    np.testing.assert_array_equal(tn14.values["sigma_C20"], raw[:, 4] * 1e-10)
    assert tn13.values["sigma_C10"][0] == 4.4585e-11  # first GRCOF2 1 0 row
    assert tn13.values["sigma_S11"][0] == 5.0724e-11
    pick = [files[0], files[-1]]  # 2002-04 (GRACE C30 kept), 2024-04 (C30 from TN-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the months between are missing
        series = read_l2_series(pick, lmax=10, quiet=True)
    assert (series.sigma_clm[:, 1, :2] == 0).all()  # CSR GSM: no degree 1
    out = replace_degree1(replace_c20_c30(series, tn14), tn13)
    for t in range(len(pick)):
        i13 = np.flatnonzero((tn13.start <= out.mid[t]) & (out.mid[t] < tn13.end))[0]
        assert out.sigma_clm[t, 1, 0] == tn13.values["sigma_C10"][i13]
        assert out.sigma_clm[t, 1, 1] == tn13.values["sigma_C11"][i13]
        assert out.sigma_slm[t, 1, 1] == tn13.values["sigma_S11"][i13]
        i14 = np.flatnonzero((tn14.start <= out.mid[t]) & (out.mid[t] < tn14.end))[0]
        assert out.sigma_clm[t, 2, 0] == tn14.values["sigma_C20"][i14]
    assert out.sigma_clm[0, 3, 0] == series.sigma_clm[0, 3, 0]  # GRACE C30 kept
    assert out.sigma_clm[1, 3, 0] == tn14.values["sigma_C30"][
        np.flatnonzero((tn14.start <= out.mid[1]) & (out.mid[1] < tn14.end))[0]]
    # everything else untouched, and the input series unchanged
    same = np.ones((11, 11), bool)
    same[1, :2] = same[2, 0] = same[3, 0] = False
    np.testing.assert_array_equal(out.sigma_clm[:, same], series.sigma_clm[:, same])
    assert (series.sigma_clm[:, 1, :2] == 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kw = dict(grid=Grid.regular(10.0), lmax=10, quiet=True, mean_period=None,
                  sigma=True, tn14=tn14_p)
        without = grace_l2_tws(pick, **kw)["lwe_thickness_sigma"].values
        with13 = grace_l2_tws(pick, tn13=tn13_p, **kw)["lwe_thickness_sigma"].values
    assert (with13 >= without).all() and (with13 > without).any()  # degree-1 variance added


def test_tn13_without_sigma_columns_keeps_the_files(tmp_path, shared_data):
    files, tn13_p, _ = _paths(shared_data)
    text = tn13_p.read_text(encoding="latin-1").splitlines()
    cut = []
    for ln in text:
        p = ln.split()
        # drop the two sigma columns of the rows (t_start/t_end move to columns 5, 6)
        cut.append(" ".join(p[:5] + ["x", "x"] + p[7:]) if p[:1] == ["GRCOF2"] else ln)
    p = tmp_path / "tn13.txt"
    p.write_text("\n".join(cut) + "\n")
    note = read_tn13(p)
    assert "sigma_C10" not in note.values
    series = read_l2_series(files[:1], lmax=4, quiet=True)
    out = replace_degree1(series, note)
    np.testing.assert_array_equal(out.sigma_clm, series.sigma_clm)
