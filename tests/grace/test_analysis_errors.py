"""Spherical-harmonic analysis refuses what it cannot analyse, with one line naming it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.grace import AnalysisTable, analyze, analyze_ewh, degree_weights

GRID = Grid.regular(5.0)  # nlat = 36: degrees up to 35


def _raises(match, fn, *args, exc=ValueError, **kwargs):
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.fixture(scope="module")
def table():
    return AnalysisTable.create(GRID, 10)


def _field(shape=GRID.shape):
    return np.random.default_rng(0).standard_normal(shape)


def test_lmax_above_grid_limit_refused():
    msg = _raises(r"lmax=36 exceeds .* 5° grid resolves \(35 = nlat - 1\)",
                  AnalysisTable.create, GRID, 36)
    assert "lmax <= 35" in msg
    _raises(r"analyze: lmax=100 exceeds", analyze, GRID, _field(), 100)
    _raises(r"lmax=180 exceeds .* 1° grid resolves \(179", AnalysisTable.create,
            Grid.regular(1.0), 180)
    AnalysisTable.create(GRID, 35)  # the limit itself is fine


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10"])
def test_bad_lmax_refused(bad):
    _raises(r"lmax must be an integer >= 0", AnalysisTable.create, GRID, bad)


def test_lmax_missing_or_mismatched(table):
    _raises(r"lmax is required when a Grid is given", analyze, GRID, _field())
    _raises(r"lmax=12 differs from the table's lmax=10", analyze, table, _field(), 12)
    analyze(table, _field(), 10)  # equal lmax is accepted


def test_wrong_type_refused():
    _raises(r"expected an AnalysisTable or a Grid, got ndarray", analyze, np.zeros(3),
            _field(), exc=TypeError)
    _raises(r"expected an AnalysisTable, got Grid", analyze_ewh, GRID, _field(), np.ones(11),
            exc=TypeError)


@pytest.mark.parametrize("shape", [(36, 71), (72, 36), (36,), (), (2, 37, 72)])
def test_wrong_field_shape_refused(table, shape):
    msg = _raises(r"field must have shape \(\.\.\., 36, 72\) for the 5° grid", analyze, table,
                  np.zeros(shape))
    assert f"got {shape}" in msg


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_cell_named(table, value):
    field = _field()
    field[7, 30] = value
    field[20, 3] = np.nan  # a later bad cell: the first one is named
    msg = _raises(r"analyze: field is .* in cell \(row 7, column 30\) at lat -52\.5°, "
                  r"lon -27\.5°", analyze, table, field)
    assert ("nan" if np.isnan(value) else "inf") in msg


def test_non_finite_names_month_in_batch(table):
    field = np.stack([_field(), _field()])
    field[1, 0, 0] = np.nan
    _raises(r"cell \(row 0, column 0\) at lat -87\.5°, lon -177\.5° at batch index \(1,\)",
            analyze, table, field)


def test_non_finite_under_jit_propagates(table):
    """Traced values cannot be inspected: NaN goes through to the coefficients (never a
    silently finite result)."""
    field = _field()
    field[7, 30] = np.nan
    clm, _ = jax.jit(analyze)(table, jnp.asarray(field))
    assert np.isnan(np.asarray(clm)).any()


def test_ewh_weights_refused(table):
    w = degree_weights(10, radius_m=6.3781363e6)
    _raises(r"weights_m must have shape \(11,\), got \(12,\)", analyze_ewh, table, _field(),
            np.ones(12))
    for bad in (0.0, np.nan, np.inf):
        ww = w.copy()
        ww[4] = bad
        _raises(r"weights_m is .* at degree 4; .* finite and non-zero", analyze_ewh, table,
                _field(), ww)
