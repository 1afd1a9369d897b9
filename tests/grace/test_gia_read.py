"""GIA Stokes-rate files (ICE-6G_D and Caron et al. 2018 layouts): reading, refusals with
one line naming the file and line, and the correction rate × (t − t_ref) in closed form;
against gravity-toolkit's read_GIA_model and harmonics.drift (recorded, and live)."""

import json
from pathlib import Path

import numpy as np
import pytest
from support.gia_files import caron_lines, gia_rates, ice6g_d_lines, write_lines

from jaxgeo.grace import GIA_T_REF, gia_correction, read_gia
from jaxgeo.time import decimal_year

ORACLE = Path(__file__).resolve().parents[1] / "data" / "grace_corrections_gtk.json"


@pytest.fixture
def rates():
    return gia_rates()


def _ice(tmp_path, clm, slm, name="ICE-6G_High_Res_Stokes_trend.txt", edit=None):
    lines = ice6g_d_lines(clm, slm)
    if edit:
        lines = edit(lines)
    return write_lines(tmp_path / name, lines)


def _caron(tmp_path, clm, slm, name="GIA_stokes_trend.txt", edit=None):
    lines = caron_lines(clm, slm)
    if edit:
        lines = edit(lines)
    return write_lines(tmp_path / name, lines)


def test_both_layouts_read_exactly(tmp_path, rates):
    clm, slm = rates
    for path, layout in ((_ice(tmp_path, clm, slm), "ICE6G-D"),
                         (_caron(tmp_path, clm, slm), "Caron")):
        g = read_gia(path)
        assert g.layout == layout and g.lmax == clm.shape[0] - 1
        assert ("ICE-6G_D" if layout == "ICE6G-D" else "Caron et al. (2018)") in g.model
        np.testing.assert_allclose(g.clm, clm, rtol=1e-12, atol=0)
        np.testing.assert_allclose(g.slm, slm, rtol=1e-12, atol=0)
        assert read_gia(path, layout=layout).layout == layout


def test_ice6g_d_ignores_the_absolute_sea_level_block(tmp_path, rates):
    g = read_gia(_ice(tmp_path, *rates))
    assert abs(g.clm[0, 0] - rates[0][0, 0]) < 1e-21  # not the 99e-11 of the other block


def test_ice6g_d_text_after_the_last_row_is_a_footer(tmp_path, rates):
    g = read_gia(_ice(tmp_path, *rates, edit=lambda lines: lines + ["", "End of file."]))
    np.testing.assert_allclose(g.clm, rates[0], rtol=1e-12)


def test_correction_is_rate_times_elapsed_years(tmp_path, rates):
    g = read_gia(_caron(tmp_path, *rates))
    times = np.array(["2002-04-16", "2003-04-21", "2016-12-31T12"], dtype="datetime64[s]")
    dc, ds = gia_correction(g, times, t_ref=2003.3)
    # closed form: days since 2000-01-01 / 365.25 + 2000
    years = 2000 + (times - np.datetime64("2000-01-01", "s")) / np.timedelta64(86400, "s") \
        / 365.25
    np.testing.assert_allclose(decimal_year(times), years, rtol=0, atol=1e-12)
    for i, y in enumerate(years):
        np.testing.assert_allclose(dc[i], rates[0] * (y - 2003.3), rtol=1e-12, atol=1e-30)
        np.testing.assert_allclose(ds[i], rates[1] * (y - 2003.3), rtol=1e-12, atol=1e-30)
    assert GIA_T_REF == 2003.3
    dc0, _ = gia_correction(g, np.array([2003.3]))
    assert np.all(dc0 == 0)
    dc2, _ = gia_correction(g, [2005.3], t_ref=2004.3, lmax=3)
    np.testing.assert_allclose(dc2[0], rates[0][:4, :4], rtol=1e-12)


def test_against_recorded_gravity_toolkit(tmp_path, rates):
    ref = json.loads(ORACLE.read_text())["gia"]
    for layout, path in (("ICE6G-D", _ice(tmp_path, *rates)),
                         ("Caron", _caron(tmp_path, *rates))):
        g = read_gia(path)
        np.testing.assert_allclose(g.clm, ref[layout]["clm"], rtol=1e-12, atol=0)
        np.testing.assert_allclose(g.slm, ref[layout]["slm"], rtol=1e-12, atol=0)
    d = ref["drift"]
    dc, ds = gia_correction(read_gia(_ice(tmp_path, *rates)), np.array(d["times"]),
                            t_ref=d["epoch"])
    np.testing.assert_allclose(dc, d["clm"], rtol=1e-12, atol=1e-30)
    np.testing.assert_allclose(ds, d["slm"], rtol=1e-12, atol=1e-30)


def test_live_gravity_toolkit(tmp_path, rates):
    pytest.importorskip("gravity_toolkit")
    from gravity_toolkit.read_GIA_model import read_GIA_model

    for layout, path in (("ICE6G-D", _ice(tmp_path, *rates)),
                         ("Caron", _caron(tmp_path, *rates))):
        y = read_GIA_model(path, GIA=layout, LMAX=6)
        g = read_gia(path)
        np.testing.assert_allclose(g.clm, y["clm"], rtol=1e-12, atol=0)
        np.testing.assert_allclose(g.slm, y["slm"], rtol=1e-12, atol=0)


def _replace(i, new):
    def edit(lines):
        lines = list(lines)
        lines[i] = new
        return lines
    return edit


def _drop(i):
    def edit(lines):
        j = i % len(lines)
        return lines[:j] + lines[j + 1:]
    return edit


def _dup(i):
    def edit(lines):
        j = i % len(lines)
        return lines[:j + 1] + [lines[j]] + lines[j + 1:]
    return edit


# (writer, edit, message) — each a distinct bad input
ICE_FAULTS = [
    (_replace(13, "    1    0  abc  0.0"), r"line 14: bad row '1    0  abc  0.0'"),
    (_replace(-1, "    6    6  1.0D-11"), r"line \d+: bad row .*expected 4 columns"),
    (_dup(-1), r"line \d+: duplicate C\(6,6\), first on line \d+"),
    (_replace(-1, "    6    6  NaN  0.0"), r"line \d+: non-finite rate nan at degree 6, order 6"),
    (_replace(-1, "    6    6  0.73  0.0"), r"implausible GIA rate 0.73/yr .*units"),
    (_drop(-3), r"missing C\(6,4\)"),
    (_replace(-1, "    6    7  1.0D-11  0.0"), r"line \d+: order 7 outside degree 6"),
    (_replace(13, "    3    0  1.0D-11  0.0"), r"line 14: degree 3 in the 'degrees 0 to 2' block"),
    (_replace(-1, "    2    2  1.0D-11  0.0"), r"line \d+: degree 2 in the 'degrees > 2' block"),
    (_replace(-3, "    6    x  1.0D-11  0.0"),
     r"line \d+: coefficient row after the text on line \d+ \('6    x  1.0D-11  0.0'\)"),
    (lambda lines: [t for t in lines if not t.startswith("GRACE Approximation/")],
     r"0 header lines 'GRACE Approximation/Absolute"),
]
CARON_FAULTS = [
    (_replace(6, "   1   0  1.0e-11 2.0e-11"), r"line 7: bad row .*expected 3 columns"),
    (lambda lines: lines + ["end of file"], r"line \d+: bad row 'end of file'"),
    (_dup(7), r"line 9: duplicate C\(1,1\), first on line 8"),
    (_replace(7, "   1   1  inf"), r"line 8: non-finite rate inf at degree 1, order 1"),
    (_replace(7, "   1   1  -2.5e-6"), r"line 8: implausible GIA rate -2.5e-06/yr"),
    (_drop(5), r"missing S\(1,1\)"),
]


@pytest.mark.parametrize("edit,message", ICE_FAULTS)
def test_ice6g_d_faults_name_file_and_line(tmp_path, rates, edit, message):
    path = _ice(tmp_path, *rates, edit=edit)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"ICE-6G_High_Res_Stokes_trend.txt: .*" + message):
        read_gia(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("edit,message", CARON_FAULTS)
def test_caron_faults_name_file_and_line(tmp_path, rates, edit, message):
    path = _caron(tmp_path, *rates, edit=edit)
    with pytest.raises(ValueError, match=r"GIA_stokes_trend.txt: .*" + message):
        read_gia(path)


def test_other_refusals(tmp_path, rates):
    with pytest.raises(FileNotFoundError, match=r"nope.txt: no such GIA file"):
        read_gia(tmp_path / "nope.txt")
    junk = write_lines(tmp_path / "junk.txt", ["hello", "1 2", "world"])
    with pytest.raises(ValueError, match=r"junk.txt: not a GIA Stokes-rate file in a known "
                                         r"layout"):
        read_gia(junk)
    path = _caron(tmp_path, *rates)
    with pytest.raises(ValueError, match=r"GIA_stokes_trend.txt: unknown GIA layout 'IJ05'"):
        read_gia(path, layout="IJ05")
    g = read_gia(path)
    with pytest.raises(ValueError, match=r"GIA_stokes_trend.txt: the GIA model stops at "
                                         r"degree 6 < lmax 10"):
        gia_correction(g, [2005.0], lmax=10)
    with pytest.raises(ValueError, match=r"t_ref must be a finite decimal year, got nan"):
        gia_correction(g, [2005.0], t_ref=float("nan"))
    empty = write_lines(tmp_path / "empty_Stokes_trend.txt", ice6g_d_lines(*rates)[:13])
    with pytest.raises(ValueError, match=r"empty_Stokes_trend.txt: 0 header lines"):
        read_gia(empty)
