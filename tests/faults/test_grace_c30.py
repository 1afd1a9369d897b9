"""The C30 replacement window (issue 11): TN-14's C30 replaces the files' only from
2016-09 by default (single-accelerometer GRACE months and GRACE-FO, as the TN-14
guidance and gravity-toolkit's ``grace_input_months``: months > 176); the window is an
explicit option (``c30_from=``, ``--c30-from``), and a month inside it that TN-14 gives no
C30 for is an error naming the note's line and the month."""

import warnings

import numpy as np
import pytest
import xarray as xr
from support.cli import run_subcommand
from support.grace_files import random_coeffs, shm_name, write_shm
from support.grace_oracle import gtk_csr

from jaxgeo import Grid, cli
from jaxgeo.grace import (
    C30_FROM,
    SynthesisTable,
    degree_weights,
    grace_l2_tws,
    read_l2_series,
    read_tn14,
    replace_c20_c30,
    synthesize_ewh,
)
from jaxgeo.time import mjd

MONTHS = ["2016-07", "2016-08", "2016-11", "2018-06"]


def _series(tmp_path):
    d = tmp_path / "l2"
    d.mkdir()
    for k, mo in enumerate(MONTHS):
        a = np.datetime64(mo, "D")
        b = (np.datetime64(mo, "M") + 1).astype("datetime64[D]")
        y = int(mo[:4])
        d0 = int((a - np.datetime64(f"{y}-01-01")).astype(int)) + 1
        c, s = random_coeffs(4, seed=k)
        c[3, 0] = 9.50e-7
        write_shm(d / shm_name(y, d0, y, d0 + int((b - a).astype(int)) - 1), c, s,
                  str(a).replace("-", ""), str(b).replace("-", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return d, read_l2_series(d, quiet=True)


def _tn14(path, c30=("9.571E-07", "9.572E-07", "9.573E-07", "9.574E-07")):
    rows = ["Title: NASA GSFC SLR C20 and C30 solutions", "Product:"]
    for mo, v in zip(MONTHS, c30, strict=True):
        m0 = mjd(np.datetime64(mo, "D"))
        m1 = mjd((np.datetime64(mo, "M") + 1).astype("datetime64[D]"))
        rows.append(f"{m0:.1f} 2016.0 -4.8416E-04 0.0 0.1 {v} 0.0 0.1 {m1:.1f} 2016.1")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_default_window_and_option(tmp_path):
    _, s = _series(tmp_path)
    note = read_tn14(_tn14(tmp_path / "tn14.txt"))
    tn = np.array([9.571e-7, 9.572e-7, 9.573e-7, 9.574e-7])
    assert C30_FROM == "2016-09"
    out = replace_c20_c30(s, note)
    np.testing.assert_array_equal(out.clm[:, 3, 0], [9.50e-7, 9.50e-7, tn[2], tn[3]])
    np.testing.assert_array_equal(out.clm[:, 2, 0], -4.8416e-4)  # C20 in every month
    out = replace_c20_c30(s, note, c30_from="2016-08")
    np.testing.assert_array_equal(out.clm[:, 3, 0], [9.50e-7, tn[1], tn[2], tn[3]])
    np.testing.assert_array_equal(replace_c20_c30(s, note, c30_from=None).clm[:, 3, 0], tn)
    np.testing.assert_array_equal(replace_c20_c30(s, note, c30=False).clm[:, 3, 0], 9.50e-7)


def test_missing_c30_inside_the_window_is_an_error(tmp_path):
    _, s = _series(tmp_path)
    # NaN before the window: fine (TN-14 has no C30 before 2012)
    ok = read_tn14(_tn14(tmp_path / "a.txt", ("NaN", "NaN", "9.573E-07", "9.574E-07")))
    assert np.isfinite(replace_c20_c30(s, ok).clm).all()
    bad = read_tn14(_tn14(tmp_path / "b.txt", ("NaN", "NaN", "NaN", "9.574E-07")))
    with pytest.raises(ValueError, match=r"b.txt: line 5: no C30 for month 2016-11 "
                                         r"\(.*GSM-2_2016306-2016335.*c30_from='2016-09'"):
        replace_c20_c30(s, bad)


@pytest.mark.parametrize("value", ["2016-13", "soon", "2016-09-01", 201609])
def test_bad_c30_from_refused_before_reading(tmp_path, value):
    _, s = _series(tmp_path)
    note = read_tn14(_tn14(tmp_path / "tn14.txt"))
    msg = rf"c30_from must be a month YYYY-MM, got {value!r}"
    with pytest.raises(ValueError, match=msg):
        replace_c20_c30(s, note, c30_from=value)
    with pytest.raises(ValueError, match=msg):  # before the (missing) files are read
        grace_l2_tws(tmp_path / "no-such-dir", grid=Grid.regular(30.0), c30_from=value)


def test_cli_c30_from(tmp_path, capsys):
    d, _ = _series(tmp_path)
    tn14 = _tn14(tmp_path / "tn14.txt")
    out = tmp_path / "x.nc"
    code = cli.main(["grace", "l2", str(d), "--tn14", str(tn14), "--c30-from", "2016-13",
                     "--mean-period", "2016-01-01", "2019-01-01", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.strip() == ("jaxgeo grace l2: error: c30_from must be a month YYYY-MM, "
                           "got '2016-13'")
    for flag, note in ((["--c30-from", "2016-08"], "C20/C30 (from 2016-08)"),
                       ([], "C20/C30 (from 2016-09)"), (["--c30-from", "all"], "C20/C30 from")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_subcommand(["grace", "l2", str(d), "--tn14", str(tn14), *flag, "--res",
                            "30", "--mean-period", "2016-01-01", "2019-01-01", "--out",
                            str(out), "--quiet"])
        with xr.open_dataset(out) as ds:
            assert note in ds["lwe_thickness"].attrs["history"]
            assert ds["grace_month"].values.tolist() == [175, 176, 179, 198]
        out.unlink()


@pytest.mark.filterwarnings("ignore:.*calendar months")
def test_csr_c30_window_as_gravity_toolkit_recorded(shared_data):
    """gravity-toolkit 1.2.8 replaces C30 in the months > 176 (recorded rule); here the
    files' own C30 before, TN-14's from 2016-11 (CSR has no 2016-09/10)."""
    g = shared_data / "grace-l2"
    s = read_l2_series(g / "csr-rl06", lmax=4, quiet=True)
    note = read_tn14(g / "TN-14_C30_C20_GSFC_SLR.txt")
    out = replace_c20_c30(s, note)
    late = s.grace_month > 176
    assert s.months[int(np.argmax(late))] == "2016-11"
    np.testing.assert_array_equal(out.clm[~late, 3, 0], s.clm[~late, 3, 0])
    assert np.all(out.clm[late, 3, 0] != s.clm[late, 3, 0])
    assert np.all((out.clm[late, 3, 0] > 9.5e-7) & (out.clm[late, 3, 0] < 9.7e-7))


@pytest.mark.filterwarnings("ignore:.*calendar months")
def test_csr_c20_c30_equal_live_gravity_toolkit(shared_data, tmp_path):
    """Max EWH difference per month (lmax 60, no smoothing, 2° grid) from C20/C30: 0 mm."""
    by_file, gtk = gtk_csr(shared_data, tmp_path)
    g = shared_data / "grace-l2"
    s = read_l2_series(g / "csr-rl06", lmax=60, quiet=True)
    out = replace_c20_c30(s, read_tn14(g / "TN-14_C30_C20_GSFC_SLR.txt"))
    col = {int(m): i for i, m in enumerate(gtk["month"])}
    k = [col[int(m)] for m in out.grace_month]
    d = np.zeros_like(out.clm)
    d[:, 2, 0] = out.clm[:, 2, 0] - gtk["clm"][2, 0, k]
    d[:, 3, 0] = out.clm[:, 3, 0] - gtk["clm"][3, 0, k]
    table = SynthesisTable.create(Grid.regular(2.0), 60)
    w = degree_weights(60, radius_m=s.radius_m) * 1000.0
    ewh = np.asarray(synthesize_ewh(table, d, np.zeros_like(d), w))
    assert np.abs(ewh).max() <= 1e-9  # mm
