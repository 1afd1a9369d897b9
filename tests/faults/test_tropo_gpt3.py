"""Faults in GPT3 grid files: one-line ValueErrors naming the file and the line.

Line numbers count the ``%`` header as line 1, so ``rows[k]`` is on line ``k + 2``.

The grids are synthetic global 5° grids in the file's layout (a ``%`` header, latitude
descending, 44 columns), so the tests need no shared data.
"""

import numpy as np
import pytest

from jaxgeo import troposphere as tr

HEADER = "%  lat    lon   p:a0 ... Tm:B2\n"


def _rows():
    rows = []
    for lat in np.arange(87.5, -90.0, -5.0):
        for lon in np.arange(2.5, 360.0, 5.0):
            v = np.zeros(44)
            v[0], v[1] = lat, lon
            v[2], v[7], v[12], v[17] = 101000.0, 280.0 - abs(lat) / 2, 5.0, 6.5
            v[34], v[39] = 2.5, 270.0
            rows.append(" ".join(f"{x:.4f}" for x in v))
    return rows


def _write(tmp_path, rows, name="g.grd", end="\n"):
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + end)
    return path


def test_synthetic_grid_reads(tmp_path):
    g = tr.GPT3.from_file(_write(tmp_path, _rows()))
    assert g.grid.nlat == 36 and g.grid.nlon == 72
    assert float(g.T[0, 0, 0]) == pytest.approx(280.0 - 87.5 / 2)


def _expect(path, match, line=None):
    with pytest.raises(ValueError, match=match) as info:
        tr.GPT3.from_file(path)
    msg = str(info.value)
    assert "\n" not in msg and path.name in msg
    if line is not None:
        assert f"line {line}:" in msg
    return msg


def test_duplicated_row(tmp_path):
    rows = _rows()
    rows[101] = rows[100]  # same count, one cell twice, one missing
    _expect(_write(tmp_path, rows), r"cell \(.*\) repeats line 102", line=103)
    rows = _rows()
    rows.insert(11, rows[10])  # an extra copy
    _expect(_write(tmp_path, rows), r"repeats line 12", line=13)


def test_nan_row(tmp_path):
    rows = _rows()
    parts = rows[200].split()
    rows[200] = " ".join(parts[:2] + ["NaN"] * 42)
    _expect(_write(tmp_path, rows), r"non-finite value 'NaN' in column 3", line=202)


def test_binary_file(tmp_path):
    path = tmp_path / "g.grd"
    path.write_bytes(bytes(range(256)) * 40)
    _expect(path, r"binary file")
    path.write_bytes(b"% header\n1 2 3\n\xff\xfe garbage\n")
    _expect(path, r"not text", line=3)


def test_short_last_line(tmp_path):
    rows = _rows()
    rows[-1] = rows[-1][: len(rows[-1]) // 2]  # download cut mid-line
    _expect(_write(tmp_path, rows, end=""), r"columns, but the first data line has 44",
            line=len(rows) + 1)


def test_missing_last_rows_and_not_a_number(tmp_path):
    _expect(_write(tmp_path, _rows()[:-72]), r"rows do not form the global")
    rows = _rows()
    rows[5] = rows[5].replace("101000.0000", "1O1000.0000")
    _expect(_write(tmp_path, rows), r"'1O1000.0000' is not a number", line=7)


def test_swapped_rows_and_implausible_means(tmp_path):
    rows = _rows()
    rows[3], rows[4] = rows[4], rows[3]
    _expect(_write(tmp_path, rows), r"out of order", line=6)
    rows = _rows()
    rows[7] = rows[7].replace("101000.0000", "1010.0000")  # p in hPa, not Pa
    _expect(_write(tmp_path, rows), r"p mean 1010 Pa outside the plausible", line=9)
    rows = _rows()
    parts = rows[9].split()
    parts[7] = "7.0000"  # T in °C
    rows[9] = " ".join(parts)
    _expect(_write(tmp_path, rows), r"T mean 7 K outside the plausible 150-350 K", line=11)
