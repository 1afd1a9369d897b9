"""GRACE month numbering (issue 11): solutions are labelled by the standard GRACE months,
so the "special months" (span starting in the previous calendar month) are neither
duplicated nor reported missing; the oracle is gravity-toolkit's ``grace_date`` /
``adjust_months`` (live when installed, and its result for the shared CSR files
recorded below from gravity-toolkit 1.2.8)."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from support.grace_files import random_coeffs, shm_name, write_shm
from support.grace_oracle import gtk_csr

from jaxgeo.grace import grace_months, read_l2_series

# gravity-toolkit 1.2.8 grace_date(...) months of the 231 shared CSR RL06 GSM files
GTK_CSR_MONTHS = [m for a, b in [
    (4, 5), (8, 17), (19, 108), (110, 113), (115, 122), (124, 124), (126, 129), (131, 134),
    (136, 139), (142, 145), (147, 150), (152, 155), (157, 161), (163, 165), (168, 171),
    (173, 176), (179, 181), (183, 186), (198, 199), (202, 268)] for m in range(a, b + 1)]


def _d(date):
    return np.datetime64(date, "s")


def _spans(pairs):
    return (np.array([_d(a) for a, _ in pairs]), np.array([_d(b) for _, b in pairs]))


@pytest.mark.parametrize("pairs,expected", [
    # CSR/GFZ: November 2011 (Oct 16..Nov 16) is centred in October
    ([("2011-10-01", "2011-11-01"), ("2011-10-16", "2011-11-16"),
      ("2012-01-01", "2012-02-01")], [118, 119, 121]),
    # all centres: May 2015 (Apr 12..May 12) is centred in April
    ([("2015-03-01", "2015-04-01"), ("2015-04-01", "2015-05-01"),
      ("2015-04-12", "2015-05-12")], [159, 160, 161]),
    # JPL: December 2011 (Dec 20..Jan 18) is centred in January
    ([("2011-11-01", "2011-12-01"), ("2011-12-20", "2012-01-18"),
      ("2012-01-01", "2012-02-01"), ("2012-02-01", "2012-03-01")], [119, 120, 121, 122]),
    # ordinary months, given out of order
    ([("2004-03-01", "2004-04-01"), ("2004-01-01", "2004-02-01")], [27, 25]),
])
def test_special_months_keep_their_number(pairs, expected):
    start, end = _spans(pairs)
    np.testing.assert_array_equal(grace_months(start, end), expected)


def test_months_that_cannot_be_told_apart_are_errors():
    # three solutions in one month
    start, end = _spans([("2004-01-01", "2004-02-01"), ("2004-01-05", "2004-01-25"),
                         ("2004-01-02", "2004-01-30")])
    with pytest.raises(ValueError, match=r"two solutions for month 2004-01: a.gz and c.gz"):
        grace_months(start, end, paths=["a.gz", "b.gz", "c.gz"])
    # two solutions inside January with December and February taken
    start, end = _spans([("2003-12-01", "2004-01-01"), ("2004-01-01", "2004-02-01"),
                         ("2004-01-03", "2004-01-29"), ("2004-02-01", "2004-03-01")])
    with pytest.raises(ValueError, match=r"two solutions for month 2004-01: b.gz and c.gz"):
        grace_months(start, end, paths=["a.gz", "b.gz", "c.gz", "d.gz"])


def _write(d, spans, lmax=4):
    d.mkdir()
    for k, (a, b) in enumerate(spans):
        a, b = np.datetime64(a), np.datetime64(b)
        y0, y1 = a.astype("datetime64[Y]").astype(int) + 1970, \
            (b - 1).astype("datetime64[Y]").astype(int) + 1970
        d0 = int((a - np.datetime64(f"{y0}-01-01")).astype(int)) + 1
        d1 = int(((b - 1) - np.datetime64(f"{y1}-01-01")).astype(int)) + 1
        c, s = random_coeffs(lmax, seed=k)
        write_shm(d / shm_name(y0, d0, y1, d1), c, s, str(a).replace("-", ""),
                  str(b).replace("-", ""))
    return d


def test_series_labels_and_warns_only_genuinely_missing_months(tmp_path):
    d = _write(tmp_path / "l2", [("2011-09-01", "2011-10-01"), ("2011-10-01", "2011-11-01"),
                                 ("2011-10-16", "2011-11-16"), ("2012-01-01", "2012-02-01")])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = read_l2_series(d, quiet=True)
    assert s.months == ["2011-09", "2011-10", "2011-11", "2012-01"]
    msgs = [str(w.message) for w in caught]
    assert len(msgs) == 1 and "1 calendar months" in msgs[0] and msgs[0].endswith("2011-12")


def test_csr_months_equal_gravity_toolkit(shared_data):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = read_l2_series(shared_data / "grace-l2" / "csr-rl06", lmax=4, quiet=True)
    assert s.grace_month.tolist() == GTK_CSR_MONTHS
    assert len(set(s.months)) == len(s.months) == 231
    gap_msg = next(str(w.message) for w in caught if "calendar months" in str(w.message))
    for month in ("2011-10", "2011-11", "2015-04", "2015-05"):
        assert s.months.count(month) == 1 and month not in gap_msg
    assert "2011-12" not in gap_msg and "2016-09" in gap_msg  # CSR has none for 2016-09
    # the special solutions keep their span as time bounds
    i = s.months.index("2011-11")
    assert Path(s.paths[i]).name.startswith("GSM-2_2011289-2011319")
    assert str(s.start[i].astype("datetime64[D]")) == "2011-10-16"


@pytest.mark.filterwarnings("ignore:.*calendar months")
def test_csr_months_equal_live_gravity_toolkit(shared_data, tmp_path):
    by_file, _ = gtk_csr(shared_data, tmp_path)
    s = read_l2_series(shared_data / "grace-l2" / "csr-rl06", lmax=4, quiet=True)
    assert [by_file[Path(p).name] for p in s.paths] == s.grace_month.tolist()
