"""Level-2 readers, technical notes, mean removal and bad input (synthetic and real files)."""

import gzip
import warnings

import numpy as np
import pytest
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid
from jaxgeo.grace import (
    grace_l2_tws,
    read_gfc,
    read_l2_series,
    read_shm,
    read_tn13,
    read_tn14,
    remove_mean,
    replace_c20_c30,
    replace_degree1,
)


def _series_dir(tmp_path, months=((2004, 1, 31), (2004, 32, 60), (2004, 61, 91)), lmax=6):
    d = tmp_path / "l2"
    d.mkdir()
    for k, (y, d0, d1) in enumerate(months):
        c, s = random_coeffs(lmax, seed=k)
        t0 = (np.datetime64(f"{y}-01-01") + np.timedelta64(d0 - 1, "D")).astype(str)
        t1 = (np.datetime64(f"{y}-01-01") + np.timedelta64(d1, "D")).astype(str)
        write_shm(d / shm_name(y, d0, y, d1), c, s, t0.replace("-", ""), t1.replace("-", ""))
    return d


def test_read_shm_roundtrip(tmp_path):
    c, s = random_coeffs(8, seed=3)
    c[2, 0] = -4.84169354622e-04
    p = write_shm(tmp_path / shm_name(2004, 1, 2004, 31), c, s, "20040101", "20040201")
    sol = read_shm(p)
    # written with 13 significant digits → relative 5e-13
    np.testing.assert_allclose(sol.clm, c, rtol=5e-13, atol=0)
    np.testing.assert_allclose(sol.slm, s, rtol=5e-13, atol=0)
    assert sol.lmax == 8 and sol.centre == "UTCSR"
    assert sol.gm_m3_s2 == 3.986004415e14 and sol.radius_m == 6378136.3
    assert sol.start == np.datetime64("2004-01-01") and sol.end == np.datetime64("2004-02-01")
    assert sol.month == "2004-01"
    low = read_shm(p, lmax=4)
    np.testing.assert_array_equal(low.clm, sol.clm[:5, :5])


def test_read_gfc(tmp_path):
    c, s = random_coeffs(5, seed=4)
    lines = ["generating_institute ITSG", "modelname ITSG-Grace2018_n96_2008-03",
             "earth_gravity_constant 3.986004415e+14", "radius 6.378136300e+06",
             "max_degree 5", "norm fully_normalized", "errors formal",
             "key L M C S sigma_C sigma_S", "end_of_head =========="]
    for ell in range(6):
        for m in range(ell + 1):
            lines.append(f"gfc {ell} {m} {c[ell, m]:.15e} {s[ell, m]:.15e} 1e-12 1e-12")
    p = tmp_path / "ITSG-Grace2018_n96_2008-03.gfc"
    p.write_text("\n".join(lines) + "\n")
    sol = read_gfc(p)
    np.testing.assert_allclose(sol.clm, c, rtol=1e-15, atol=0)
    assert sol.month == "2008-03" and sol.centre == "ITSG"
    assert sol.start == np.datetime64("2008-03-01") and sol.end == np.datetime64("2008-04-01")


def test_bad_files_name_file_and_line(tmp_path):
    c, s = random_coeffs(6)
    good = write_shm(tmp_path / shm_name(2004, 1, 2004, 31), c, s, "20040101", "20040201")
    raw = good.read_bytes()
    trunc = tmp_path / shm_name(2004, 32, 2004, 60)
    trunc.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=f"{trunc.name}.*truncated or corrupt"):
        read_shm(trunc)
    short = tmp_path / shm_name(2004, 61, 2004, 91)
    text = gzip.decompress(raw).decode().splitlines()
    with gzip.open(short, "wt") as fh:
        fh.write("\n".join(text[:-5]) + "\n")
    with pytest.raises(ValueError, match=f"{short.name}.*5 of 25 coefficients missing"):
        read_shm(short)
    dropped = write_shm(tmp_path / "GSM-2_2004092-2004121_GRAC_UTCSR_BB01_0600.gz", c, s,
                        "20040401", "20040501", drop=(3, 2))
    with pytest.raises(ValueError, match=r"first l=3, m=2"):
        read_shm(dropped)
    bad = tmp_path / "bad.txt"
    lines = gzip.decompress(raw).decode().splitlines()
    lines[-3] = lines[-3].replace("E", "X", 1)
    bad.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=f"bad.txt: line {len(lines) - 2}: cannot parse"):
        read_shm(bad)
    cut = tmp_path / "cut.txt"  # a download cut in the middle of the last row
    text = gzip.decompress(raw).decode()
    cut.write_text(text[: len(text.rstrip()) - 80])
    with pytest.raises(ValueError, match=f"cut.txt: line {len(lines)}: too few columns"):
        read_shm(cut)


def test_series_checks(tmp_path):
    d = _series_dir(tmp_path, months=((2004, 1, 31), (2004, 61, 91)))
    with pytest.warns(UserWarning, match="1 calendar months .*: 2004-02"):
        s = read_l2_series(d)
    assert s.months == ["2004-01", "2004-03"] and s.clm.shape == (2, 7, 7)
    c, sl = random_coeffs(6)
    write_shm(d / shm_name(2004, 92, 2004, 121, centre="JPLEM"), c, sl, "20040401",
              "20040501", inst="NASA/JPL")
    with pytest.raises(ValueError, match="mixed processing centres.*JPLEM"):
        read_l2_series(d)
    (d / shm_name(2004, 92, 2004, 121, centre="JPLEM")).unlink()
    c8, s8 = random_coeffs(8)
    odd = write_shm(d / shm_name(2004, 92, 2004, 121), c8, s8, "20040401", "20040501")
    with pytest.raises(ValueError, match=f"mixed degrees.*{odd.name}.*2004-04"):
        read_l2_series(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert read_l2_series(d, lmax=6).clm.shape == (3, 7, 7)


def _write_tn13(path, spans):
    rows = ["GRACE Technical Note 13", "end of header ==="]
    for k, (t0, t1) in enumerate(spans):
        rows.append(f"GRCOF2    1   0 {1e-10 * (k + 1):+.9e} +0.0e+00 1e-11 0 {t0}.0000 "
                    f"{t1}.0000")
        rows.append(f"GRCOF2    1   1 {2e-10 * (k + 1):+.9e} {3e-10 * (k + 1):+.9e} 1e-11 1e-11 "
                    f"{t0}.0000 {t1}.0000")
    path.write_text("\n".join(rows) + "\n")
    return path


def _write_tn14(path, mjd_spans, c30=True):
    rows = ["Title: NASA GSFC SLR C20 and C30 solutions", "Product:"]
    for k, (m0, m1) in enumerate(mjd_spans):
        c30v = f"{9.57e-07 + k * 1e-10:.13E}" if c30 else "NaN"
        rows.append(f"{m0:.1f} 2004.0 {-4.8416e-04 - k * 1e-10:.13E} 0.0 0.1 {c30v} 0.0 0.1 "
                    f"{m1:.1f} 2004.1")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_technotes_replace_and_coverage(tmp_path):
    d = _series_dir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_l2_series(d)
    tn13 = _write_tn13(tmp_path / "tn13.txt", [("20040101", "20040201"),
                                               ("20040201", "20040301"),
                                               ("20040301", "20040401")])
    out = replace_degree1(s, read_tn13(tn13))
    np.testing.assert_allclose(out.clm[:, 1, 0], [1e-10, 2e-10, 3e-10], rtol=1e-12)
    np.testing.assert_allclose(out.slm[:, 1, 1], [3e-10, 6e-10, 9e-10], rtol=1e-12)
    # MJD 53005 = 2004-01-01
    tn14 = _write_tn14(tmp_path / "tn14.txt", [(53005, 53036), (53036, 53065), (53065, 53096)])
    # 2004 is before the default C30 window (from 2016-09): C20 only, C30 kept
    np.testing.assert_array_equal(replace_c20_c30(s, read_tn14(tn14)).clm[:, 3, 0],
                                  s.clm[:, 3, 0])
    out = replace_c20_c30(s, read_tn14(tn14), c30_from=None)
    np.testing.assert_allclose(out.clm[:, 2, 0], -4.8416e-04 - np.arange(3) * 1e-10,
                               rtol=1e-14)
    np.testing.assert_allclose(out.clm[:, 3, 0], 9.57e-07 + np.arange(3) * 1e-10, rtol=1e-14)
    tn14_nan = _write_tn14(tmp_path / "tn14n.txt", [(53005, 53036), (53036, 53065),
                                                    (53065, 53096)], c30=False)
    out = replace_c20_c30(s, read_tn14(tn14_nan))
    np.testing.assert_array_equal(out.clm[:, 3, 0], s.clm[:, 3, 0])
    short = _write_tn13(tmp_path / "tn13s.txt", [("20040101", "20040201")])
    with pytest.raises(ValueError, match=r"tn13s.txt does not cover month 2004-02 "
                                         r"\(.*GSM-2_2004032-2004060"):
        replace_degree1(s, read_tn13(short))


def test_remove_mean(tmp_path):
    d = _series_dir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_l2_series(d)
    anom, (cm, _) = remove_mean(s, period=("2004-01-01", "2004-03-01"))
    np.testing.assert_allclose(cm, s.clm[:2].mean(0), rtol=1e-15, atol=1e-30)
    np.testing.assert_allclose(anom.clm[:2].sum(0), 0.0, rtol=0, atol=1e-25)
    anom, _ = remove_mean(s, mean=(s.clm[0], s.slm[0]))
    assert np.all(anom.clm[0] == 0)
    with pytest.raises(ValueError, match="no month between 2010-01-01"):
        remove_mean(s, period=("2010-01-01", "2011-01-01"))


def test_remove_static_gfc_mean_field(tmp_path):
    d = _series_dir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_l2_series(d)
    c, sl = s.clm[1], s.slm[1]
    rows = ["modelname GGM05C", "max_degree 6", "norm fully_normalized", "tide_system {tide}",
            "end_of_head"]
    rows += [f"gfc {ell} {m} {c[ell, m]:.18e} {sl[ell, m]:.18e}" for ell in range(7)
             for m in range(ell + 1)]
    p = tmp_path / "GGM05C.gfc"
    p.write_text("\n".join(rows).replace("{tide}", "zero_tide"))
    anom, _ = remove_mean(s, mean=p)
    np.testing.assert_allclose(anom.clm[1], 0.0, rtol=0, atol=1e-25)  # 18-digit round trip
    np.testing.assert_allclose(anom.clm[0], s.clm[0] - c, rtol=0, atol=1e-25)
    p.write_text("\n".join(rows).replace("{tide}", "tide_free"))
    with pytest.warns(UserWarning, match="GGM05C.gfc: tide system tide_free differs from the "
                                         "series' zero_tide"):
        remove_mean(s, mean=p)
    with pytest.raises(ValueError, match="GGM05C.gfc: no YYYY-MM month"):
        read_gfc(p)


@pytest.mark.shared_data
def test_real_csr_files_and_technotes(shared_data):
    gdir = shared_data / "grace-l2"
    files = sorted((gdir / "csr-rl06").glob("GSM-2_*.gz"))
    assert len(files) == 231
    first, last = read_shm(files[0]), read_shm(files[-1])
    assert first.lmax == 96 and first.centre == "UTCSR" and first.radius_m == 6378136.3
    # values as printed in the files themselves
    assert first.clm[2, 0] == -0.484169354622e-03 and first.clm[96, 96] == -0.224346249338e-08
    assert first.start == np.datetime64("2002-04-05") and last.month == "2024-04"
    with pytest.warns(UserWarning, match="calendar months"):
        s = read_l2_series([files[0], files[-1]])
    s = replace_c20_c30(s, read_tn14(gdir / "TN-14_C30_C20_GSFC_SLR.txt"))
    s = replace_degree1(s, read_tn13(gdir / "TN-13_GEOC_CSR_RL0602.txt"))
    # first month: TN-14 row 52368.0; last month: TN-13 rows 20240401-20240501
    assert s.clm[0, 2, 0] == -4.8416934147454e-04 and np.isnan(read_tn14(
        gdir / "TN-14_C30_C20_GSFC_SLR.txt").values["C30"][0])
    assert s.clm[0, 3, 0] == first.clm[3, 0]  # no SLR C30 in 2002: kept
    assert s.clm[1, 1, 0] == -7.267845609e-10 and s.slm[1, 1, 1] == 2.294860738e-10
    assert s.clm[1, 2, 0] == -4.8416969239427e-04  # TN-14 row 60401.0 (2024-04-01)


@pytest.mark.shared_data
def test_real_pipeline_few_months(shared_data):
    gdir = shared_data / "grace-l2"
    files = sorted((gdir / "csr-rl06").glob("GSM-2_2008*.gz"))[:3]
    with pytest.warns(UserWarning):
        da = grace_l2_tws(files, grid=Grid.regular(2.0), tn13=None,
                          tn14=gdir / "TN-14_C30_C20_GSFC_SLR.txt", half_width_km=300.0,
                          mean_period=None)
    assert da.dims == ("time", "lat", "lon") and da.dtype == np.float32
    assert da.attrs["units"] == "mm" and str(da.time.values[0])[:7] == "2008-01"
    # anomalies about their own mean sum to zero month by month
    np.testing.assert_allclose(da.sum("time"), 0.0, atol=1e-2)
    # seasonal land signals: tens to hundreds of mm, not metres or micrometres
    assert 30.0 < float(abs(da).max()) < 1000.0
