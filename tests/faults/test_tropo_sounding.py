"""Faults in Wyoming radiosonde text: every one names the file and the line.

The sounding below is the first rows of the shared sample (Norman, 4 May 1999), with a
title line as the Wyoming site writes it.
"""

import numpy as np
import pytest

from jaxgeo import troposphere as tr

TITLE = "72357 OUN Norman Observations at 00Z 04 May 1999"
HEAD = [
    "-----------------------------------------------------------------------------",
    "   PRES   HGHT   TEMP   DWPT   RELH   MIXR   DRCT   SKNT   THTA   THTE   THTV",
    "    hPa     m      C      C      %    g/kg    deg   knot     K      K      K ",
    "-----------------------------------------------------------------------------",
]
ROWS = [
    " 1000.0     -7                                                               ",
    "  959.0    345   22.2   19.0     82  14.64    160     18  298.9  341.8  301.5",
    "  925.0    671   19.8   17.1     84  13.44    165     38  299.6  339.0  302.0",
    "  850.0   1397   17.0   12.5     75  10.82    195     38  303.9  336.5  305.9",
    "  700.0   3028    7.0  -10.0     29   2.57    220     37  310.2  318.6  310.7",
    "  500.0   5670  -14.9  -18.9     72   1.73    225     36  314.8  320.7  315.1",
    "  300.0   9330  -43.5  -47.6     64   0.17    245     38  323.9  324.6  324.0",
    "  268.6  10058  -49.1  -53.2     62   0.10    250     70  326.2  326.6  326.2",
]
FIRST_ROW_LINE = 1 + len(HEAD) + 1  # 1-based line number of ROWS[0]


def _write(tmp_path, rows=ROWS, title=TITLE, end="\n", name="s.txt"):
    path = tmp_path / name
    path.write_text("\n".join([title, *HEAD, *rows]) + end)
    return path


def _read(path, **kw):
    return tr.read_wyoming_sounding(path, lat=35.18, lon=-97.44, **kw)


def test_good_sounding(tmp_path):
    ds = tr.read_wyoming_sounding(_write(tmp_path), lat=35.18, lon=-97.44)
    assert ds.sizes["level"] == len(ROWS) - 1
    assert str(ds["time"].values[0])[:16] == "1999-05-04T00:00"
    assert ds["height"].attrs["height_kind"] == "geopotential"


def _line(k):
    return FIRST_ROW_LINE + k


@pytest.mark.parametrize("k, bad, match", [
    (3, "  850.0   1397   17.a   12.5", r"column TEMP value '17.a' is not a number"),
    (3, "   850.0   1397   17.0   12.5", r"not a number|not right-aligned"),  # shifted row
    (3, "  850.0   1397   12.5   17.0", r"dewpoint 17.0 C above the temperature 12.5 C"),
    (3, "  850.0    600   17.0   12.5", r"HGHT 600 does not increase"),
    (3, "  950.0   1397   17.0   12.5", r"PRES 950 does not decrease"),
    (3, "  850.0   1397  290.1  285.6", r"'TEMP'.*outside the plausible 150-350 K"),  # K in C
    (3, "  850.0  13970   17.0   12.5",
     r"line 10: HGHT 3028 does not increase from line 9 \(13970\)"),
    (3, " 8500.0   1397   17.0   12.5", r"pressure 8500.0 hPa outside"),
])
def test_bad_row_names_file_and_line(tmp_path, k, bad, match):
    rows = list(ROWS)
    rows[k] = bad + rows[k][len(bad):] if len(bad) <= len(rows[k]) else bad
    with pytest.raises(ValueError, match=match) as info:
        _read(_write(tmp_path, rows))
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("s.txt")
    if "plausible" not in match:
        assert f"line {_line(k)}" in msg


def test_unknown_month_names_line(tmp_path):
    path = _write(tmp_path, title="72357 OUN Norman Observations at 00Z 04 Mai 1999")
    with pytest.raises(ValueError, match=r"s\.txt, line 1: unknown month 'Mai'"):
        tr.read_wyoming_sounding(path, lat=35.18, lon=-97.44)


@pytest.mark.parametrize("cut", [5, 17, 24, 40, 60])
def test_cut_mid_row_is_an_error_not_fewer_levels(tmp_path, cut):
    # the download stops inside row 5 (no newline at the end)
    rows = ROWS[:5] + [ROWS[5][:cut]]
    path = _write(tmp_path, rows, end="")
    with pytest.raises(ValueError, match=rf"s\.txt, line {_line(5)}: .*(ends in the middle|"
                                         r"right-aligned)"):
        _read(path)


def test_cut_mid_cell_with_newline(tmp_path):
    rows = ROWS[:5] + [ROWS[5][:24]]  # "  500.0   5670  -14.9  -" then a newline
    with pytest.raises(ValueError, match=rf"line {_line(5)}: column DWPT value '-' "):
        _read(_write(tmp_path, rows))


def test_geometric_height_against_closed_form(tmp_path):
    lat = 35.18
    geo = _read(_write(tmp_path))
    ds = _read(_write(tmp_path), height_kind="geometric")
    assert ds["height"].attrs["height_kind"] == "geometric"
    big_h = geo["height"].values[0]
    # oracle: Mahoney (2008) eqs. 2-4, written out here from WGS84 a, b
    a, b = 6378137.0, 6356752.314245
    phi = np.deg2rad(lat)
    g = 9.780356 * (1 + 0.0052885 * np.sin(phi) ** 2 - 0.0000059 * np.sin(2 * phi) ** 2)
    r = np.sqrt(((a * a * np.cos(phi)) ** 2 + (b * b * np.sin(phi)) ** 2)
                / ((a * np.cos(phi)) ** 2 + (b * np.sin(phi)) ** 2))
    k = 9.80665 / g
    np.testing.assert_allclose(ds["height"].values[0], k * r * big_h / (r - k * big_h),
                               rtol=1e-12)
    # and a spherical-Earth sanity check: h = R H / (R - H) within 15 m at 10 km
    sph = 6371000.0 * big_h / (6371000.0 - big_h)
    assert np.max(np.abs(ds["height"].values[0] - sph)) < 15.0
    assert 10.0 < ds["height"].values[0, -1] - big_h[-1] < 30.0
    with pytest.raises(ValueError, match="needs the station latitude"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tr.read_wyoming_sounding(_write(tmp_path), height_kind="geometric")
    with pytest.raises(ValueError, match="height_kind"):
        _read(_write(tmp_path), height_kind="ellipsoidal")


def test_heights_in_feet_labelled_metres(tmp_path):
    rows = [ROWS[0]] + [r[:7] + f"{round(float(r[7:14]) * 3.2808):7d}" + r[14:] for r in ROWS[1:]]
    with pytest.raises(ValueError, match=r"s\.txt: 'HGHT' .* times the hypsometric thickness"):
        _read(_write(tmp_path, rows))


def test_cut_between_rows_warns_naming_the_line(tmp_path):
    import warnings

    path = _write(tmp_path, ROWS[:5])  # ends at 700 hPa with a complete row and a newline
    with pytest.warns(RuntimeWarning, match=rf"s\.txt, line {_line(4)}: the table runs to "
                                            r"the end of the file and stops at 700 hPa"):
        ds = _read(path)
    assert ds.sizes["level"] == 4
    # a sounding followed by the station-information section, as downloaded, is quiet
    full = path.read_text() + "Station information and sounding indices\n   Station number: 72357\n"
    path.write_text(full)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _read(path).sizes["level"] == 4
