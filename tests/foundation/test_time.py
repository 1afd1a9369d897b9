"""jaxgeo.time against closed forms and Python's datetime (independent calendar code)."""

import datetime as dt

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import time as jt


def test_decimal_year_is_julian_years_from_j2000():
    t = np.array(["2000-01-01", "2000-07-02T12:00", "2010-01-01"], dtype="datetime64[ns]")
    days = np.array([0.0, 183.5, 3653.0])  # 2000 is a leap year; 2000..2009 hold 3 leap days
    np.testing.assert_allclose(jt.decimal_year(t), 2000.0 + days / 365.25, rtol=0, atol=1e-12)
    # numbers are decimal years already
    np.testing.assert_array_equal(jt.decimal_year([2003.5, 2004.0]), [2003.5, 2004.0])


def test_day_of_year_matches_datetime():
    rng = np.random.default_rng(0)
    secs = rng.integers(0, 60 * 365 * 86400, 200)
    t = np.datetime64("1970-01-01T00:00", "ns") + secs.astype("timedelta64[s]")
    ref = []
    for s in secs:
        d = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(s))
        ref.append(d.timetuple().tm_yday + (d.hour * 3600 + d.minute * 60 + d.second) / 86400)
    np.testing.assert_allclose(jt.day_of_year(t), ref, rtol=0, atol=1e-9)
    # the traceable kernel form agrees on the same instants
    np.testing.assert_allclose(np.asarray(jt.doy_from_mjd(jnp.asarray(jt.mjd(t)))), ref,
                               rtol=0, atol=1e-6)


def test_mjd_of_j2000_and_round_trip():
    t = np.array(["2000-01-01T12:00", "1858-11-17", "2024-02-29T06:00"], "datetime64[ns]")
    m = jt.mjd(t)
    assert m[0] == 51544.5 and m[1] == 0.0  # JD 2451545.0 − 2400000.5
    np.testing.assert_array_equal(jt.datetime64_from_mjd(m), t)


def test_grace_month_numbering():
    # gravity-toolkit: month = 12 (year − 2002) + calendar month
    t = np.array(["2002-04-17", "2017-06-30T23:59", "2018-06-01"], "datetime64[ns]")
    np.testing.assert_array_equal(jt.grace_month(t), [4, 186, 198])
    np.testing.assert_array_equal(jt.grace_month_start([4, 198]),
                                  np.array(["2002-04-01", "2018-06-01"], "datetime64[ns]"))


@pytest.mark.parametrize("bad, match", [([1.5, 2.0], "numpy.datetime64"),
                                        (["2002-13-40"], "ISO 8601"),
                                        (np.array(["NaT"], "datetime64[ns]"), "NaT")])
def test_bad_times_are_named(bad, match):
    with pytest.raises(ValueError, match=match):
        jt.as_datetime64(bad, name="time")
