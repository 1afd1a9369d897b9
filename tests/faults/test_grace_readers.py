"""GRACE readers refuse bad inputs with one line naming the file, the line and the
coefficient: non-finite or implausible values, duplicated rows, a TN-13 file given as a
model, broken ICGEM headers, an empty list of files, a bad lmax (issue 11)."""

import re
import warnings

import numpy as np
import pytest
from support.grace_files import random_coeffs, write_shm

from jaxgeo import Grid
from jaxgeo.grace import (
    grace_l2_tws,
    read_gfc,
    read_l2_file,
    read_l2_series,
    read_shm,
    read_tn13,
    read_tn14,
)

GSM = "GSM-2_2004001-2004031_GRAC_UTCSR_BB01_0600"  # plain text: easy to edit


def _gsm(tmp_path, name=GSM, lmax=6):
    c, s = random_coeffs(lmax, seed=1)
    c[2, 0] = -4.8416e-4
    d = tmp_path / "l2"
    d.mkdir(exist_ok=True)
    return write_shm(d / name, c, s, "20040101", "20040201")


def _line_of(path, pattern):
    """1-based number of the first line matching ``pattern``."""
    lines = path.read_text().splitlines()
    return next(i + 1 for i, ln in enumerate(lines) if re.match(pattern, ln))


def _set_row(path, ell, m, c=None, s=None, append=False):
    """Change (or, with ``append``, add a second copy of) row (l, m); returns its line."""
    lines = path.read_text().splitlines()
    n = _line_of(path, rf"GRCOF2\s+{ell}\s+{m}\s")
    parts = lines[n - 1].split()
    if c is not None:
        parts[3] = c
    if s is not None:
        parts[4] = s
    if append:
        lines.append(" ".join(parts))
        path.write_text("\n".join(lines) + "\n")
        return len(lines)
    lines[n - 1] = " ".join(parts)
    path.write_text("\n".join(lines) + "\n")
    return n


@pytest.mark.parametrize("value", ["NaN", "inf", "-Infinity"])
def test_gsm_non_finite_coefficient_names_file_line_degree(tmp_path, value):
    p = _gsm(tmp_path)
    n = _set_row(p, 4, 2, c=value)
    with pytest.raises(ValueError, match=rf"{GSM}: line {n}: non-finite coefficient at "
                                         r"degree 4, order 2"):
        read_shm(p)


@pytest.mark.parametrize("c,s", [("0.5", None), (None, "-2.0E-03"), ("1.0E+30", None)])
def test_gsm_implausible_coefficient_names_file_line_degree(tmp_path, c, s):
    p = _gsm(tmp_path)
    n = _set_row(p, 5, 3, c=c, s=s)
    with pytest.raises(ValueError, match=rf"{GSM}: line {n}: implausible coefficient at "
                                         r"degree 5, order 3"):
        read_shm(p)


def test_gsm_duplicated_row_names_both_lines(tmp_path):
    p = _gsm(tmp_path)
    first = _line_of(p, r"GRCOF2\s+3\s+1\s")
    second = _set_row(p, 3, 1, c="1.0E-09", append=True)
    with pytest.raises(ValueError, match=rf"{GSM}: degree 3, order 1 is given twice "
                                         rf"\(lines {first} and {second}\)"):
        read_shm(p)
    # through the folder reader too (the file is named)
    with pytest.raises(ValueError, match=rf"{GSM}: degree 3, order 1 is given twice"):
        read_l2_series(p.parent, quiet=True)


def _tn13(path, rows=None):
    rows = rows or [("20040101", "20040201", "+5.1e-10", "+1.2e-10", "-3.0e-10")]
    out = ["GRACE Technical Note 13", "end of header ==="]
    for t0, t1, c10, c11, s11 in rows:
        out.append(f"GRCOF2    1   0 {c10} +0.0e+00 1e-11 0 {t0}.0000 {t1}.0000")
        out.append(f"GRCOF2    1   1 {c11} {s11} 1e-11 1e-11 {t0}.0000 {t1}.0000")
    path.write_text("\n".join(out) + "\n")
    return path


def test_read_shm_refuses_a_tn13_file(tmp_path):
    p = _tn13(tmp_path / "TN-13_GEOC_CSR_RL0602.txt")
    with pytest.raises(ValueError, match=r"TN-13_GEOC_CSR_RL0602.txt: only degree-0/1 rows "
                                         r"\(a TN-13 degree-1 file\?\); not a Level-2 GSM"):
        read_shm(p)


@pytest.mark.parametrize("field,value,what", [
    (2, "NaN", "non-finite"), (3, "nan", "non-finite"), (4, "inf", "non-finite"),
    (2, "+3.0e-04", "implausible")])
def test_tn13_bad_value_names_file_and_line(tmp_path, field, value, what):
    row = ["20040201", "20040301", "+5.1e-10", "+1.2e-10", "-3.0e-10"]
    row[field] = value
    p = _tn13(tmp_path / "tn13.txt", [("20040101", "20040201", "+5.1e-10", "+1.2e-10",
                                       "-3.0e-10"), tuple(row)])
    line = 5 if field == 2 else 6
    with pytest.raises(ValueError, match=rf"tn13.txt: line {line}: {what} degree-1"):
        read_tn13(p)


def test_tn13_nan_refused_in_the_whole_chain(tmp_path):
    """Before issue 11 one NaN here entered the mean field and made every month NaN."""
    p = _gsm(tmp_path)
    tn13 = _tn13(tmp_path / "tn13.txt", [("20040101", "20040201", "NaN", "+1e-10",
                                          "+1e-10")])
    with pytest.raises(ValueError, match=r"tn13.txt: line 3: non-finite"):
        grace_l2_tws(p.parent, grid=Grid.regular(30.0), tn13=tn13, mean_period=None,
                     quiet=True)


def test_tn13_duplicated_row_names_both_lines(tmp_path):
    p = _tn13(tmp_path / "tn13.txt")
    text = p.read_text().splitlines()
    p.write_text("\n".join([*text, text[2].replace("+5.1e-10", "+7.0e-10")]) + "\n")
    with pytest.raises(ValueError, match=r"tn13.txt: span 2004-01-01\.\.2004-02-01: l=1, "
                                         r"m=0 is given twice \(lines 3 and 5\)"):
        read_tn13(p)


def _tn14(path, rows):
    out = ["Title: NASA GSFC SLR C20 and C30 solutions", "Product:"]
    for m0, m1, c20, c30 in rows:
        out.append(f"{m0:.1f} 2004.0 {c20} 0.0 0.1 {c30} 0.0 0.1 {m1:.1f} 2004.1")
    path.write_text("\n".join(out) + "\n")
    return path


@pytest.mark.parametrize("c20,c30,what", [
    ("NaN", "9.57E-07", "C20"), ("inf", "9.57E-07", "C20"),
    ("-4.8416E-02", "9.57E-07", "C20"), ("-4.8416E-04", "9.57E-05", "C30"),
    ("-4.8416E-04", "-inf", "C30")])
def test_tn14_bad_value_names_file_and_line(tmp_path, c20, c30, what):
    p = _tn14(tmp_path / "tn14.txt", [(53005, 53036, "-4.8416E-04", "9.57E-07"),
                                      (53036, 53065, c20, c30)])
    with pytest.raises(ValueError, match=rf"tn14.txt: line 4: implausible {what}"):
        read_tn14(p)


def _gfc(path, header=(), lmax=4, extra_rows=()):
    c, s = random_coeffs(lmax, seed=2)
    lines = ["generating_institute ITSG", "modelname ITSG-Grace2018_n96_2008-03",
             "earth_gravity_constant 3.986004415e+14", "radius 6.378136300e+06",
             f"max_degree {lmax}", "norm fully_normalized", *header,
             "end_of_head =========="]
    for ell in range(lmax + 1):
        for m in range(ell + 1):
            lines.append(f"gfc {ell} {m} {c[ell, m]:.15e} {s[ell, m]:.15e} 1e-12 1e-12")
    lines += list(extra_rows)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("key,value,what", [
    ("max_degree", "abc", "a positive integer"), ("max_degree", "4.5", "a positive integer"),
    ("max_degree", "-4", "a positive integer"), ("radius", "6.37.8", "a positive number"),
    ("earth_gravity_constant", "nan", "a positive number"),
    ("earth_gravity_constant", "0", "a positive number")])
def test_gfc_bad_header_names_file_and_line(tmp_path, key, value, what):
    p = _gfc(tmp_path / "m_2008-03.gfc")
    lines = p.read_text().splitlines()
    n = next(i + 1 for i, ln in enumerate(lines) if ln.startswith(key + " "))
    lines[n - 1] = f"{key} {value}"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"m_2008-03.gfc: line {n}: header {key} "
                                         rf"'{re.escape(value)}' is not {what}"):
        read_gfc(p)


def test_gfc_duplicated_and_non_finite_rows(tmp_path):
    p = _gfc(tmp_path / "d_2008-03.gfc", extra_rows=["gfc 2 1 1.0e-10 2.0e-10 0 0"])
    lines = p.read_text().splitlines()
    first = next(i + 1 for i, ln in enumerate(lines) if ln.startswith("gfc 2 1 "))
    with pytest.raises(ValueError, match=rf"d_2008-03.gfc: degree 2, order 1 is given twice "
                                         rf"\(lines {first} and {len(lines)}\)"):
        read_gfc(p)
    p = _gfc(tmp_path / "n_2008-03.gfc")
    lines = p.read_text().splitlines()
    lines[first - 1] = "gfc 2 1 NaN 0.0 0 0"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"n_2008-03.gfc: line {first}: non-finite "
                                         r"coefficient at degree 2, order 1"):
        read_gfc(p)


def test_empty_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="read_l2_series: the list of Level-2 files is empty"):
        read_l2_series([])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: no Level-2 files"):
        read_l2_series(tmp_path / "empty")


@pytest.mark.parametrize("lmax", [-1, 2.5, True, "4", np.float64(4.0)])
def test_bad_lmax_refused_at_once_everywhere(tmp_path, lmax):
    p = _gsm(tmp_path)
    g = _gfc(tmp_path / "m_2008-03.gfc")
    msg = rf"lmax must be an integer >= 0, got {re.escape(repr(lmax))}"
    for call in (lambda: read_shm(p, lmax=lmax), lambda: read_gfc(g, lmax=lmax),
                 lambda: read_l2_file(p, lmax=lmax),
                 lambda: read_l2_series(p.parent, lmax=lmax, quiet=True),
                 lambda: grace_l2_tws(p.parent, grid=Grid.regular(30.0), lmax=lmax,
                                      quiet=True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(ValueError, match=msg):
                call()
    # a numpy integer is a valid degree
    assert read_shm(p, lmax=np.int64(3)).lmax == 3


@pytest.mark.parametrize("lmax", [-1, 2.5, True, None, "8"])
def test_bad_lmax_refused_by_the_degree_functions(lmax):
    from jaxgeo.grace import (
        SynthesisTable,
        degree_weights,
        ewh_degree_factors,
        legendre_table,
        load_love_numbers,
    )

    msg = rf"lmax must be an integer >= 0, got {re.escape(repr(lmax))}"
    for where, call in (
            ("SynthesisTable.create", lambda: SynthesisTable.create(Grid.regular(30.0), lmax)),
            ("legendre_table", lambda: legendre_table([0.0, 10.0], lmax)),
            ("load_love_numbers", lambda: load_love_numbers(lmax)),
            ("ewh_degree_factors", lambda: ewh_degree_factors(lmax, radius_m=6.4e6)),
            ("degree_weights", lambda: degree_weights(lmax, radius_m=6.4e6))):
        with pytest.raises(ValueError, match=f"{where}: {msg}"):
            call()


def test_non_finite_given_mean_field_refused(tmp_path):
    from jaxgeo.grace import remove_mean

    p = _gsm(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_l2_series(p.parent, quiet=True)
    cm, sm = s.clm[0].copy(), s.slm[0].copy()
    sm[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"given mean field: non-finite coefficient at "
                                         r"degree 5, order 2 \(1 in all\)"):
        remove_mean(s, mean=(cm, sm))


def test_cli_bad_lmax_one_line(tmp_path, capsys):
    from jaxgeo import cli

    p = _gsm(tmp_path)
    out = tmp_path / "x.nc"
    with pytest.raises(SystemExit) as info:  # the parser refuses it, before any reading
        cli.main(["grace", "l2", str(p.parent), "--lmax", "-1", "--out", str(out), "--quiet"])
    assert info.value.code == 2 and not out.exists()
    assert capsys.readouterr().err.strip() == (
        "jaxgeo grace l2: error: argument --lmax: must be in [0, inf), got -1 "
        "(see 'jaxgeo grace l2 --help')")
