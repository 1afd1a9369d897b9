"""API rules of the GRACE pillar: the pytree round trip, the dtype rule, retired names."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.grace import SynthesisTable, degree_weights, synthesize, synthesize_ewh


def _coeffs(lmax, dtype, seed=0):
    rng = np.random.default_rng(seed)
    c = np.tril(rng.standard_normal((2, lmax + 1, lmax + 1))) * 1e-10
    s = np.tril(rng.standard_normal((2, lmax + 1, lmax + 1))) * 1e-10
    s[..., 0] = 0.0
    return c.astype(dtype), s.astype(dtype)


def test_synthesis_table_round_trips_as_pytree():
    table = SynthesisTable.create(Grid.regular(10.0), 6)
    public = ("plm", "trig", "grid", "lmax", "dtype")
    for obj in (jax.tree.map(lambda x: x, table), jax.jit(lambda t: t)(table)):
        assert isinstance(obj, SynthesisTable)
        for name in public:
            a, b = getattr(obj, name), getattr(table, name)
            if isinstance(a, jax.Array):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b, name
    # jitted code sees the static fields
    out = jax.jit(lambda t: jnp.zeros(t.grid.shape) + t.lmax)(table)
    assert out.shape == (18, 36) and float(out[0, 0]) == 6.0


@pytest.mark.parametrize("table_dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("in_dtype", [np.float32, np.float64])
def test_synthesis_dtype_rule(table_dtype, in_dtype):
    # computed in the table's dtype, returned in the coefficients' floating dtype
    grid, lmax = Grid.regular(15.0), 8
    table = SynthesisTable.create(grid, lmax, dtype=table_dtype)
    assert table.plm.dtype == table_dtype and table.dtype == table_dtype
    c, s = _coeffs(lmax, in_dtype)
    w = degree_weights(lmax, radius_m=6378136.3, half_width_km=500.0)
    ref = np.asarray(synthesize(SynthesisTable.create(grid, lmax, dtype=jnp.float64),
                                c.astype(np.float64), s.astype(np.float64)))
    f = synthesize(table, c, s)
    assert f.dtype == in_dtype and f.shape == (2, *grid.shape)
    tol = 1e-5 if np.float32 in (table_dtype, in_dtype) else 1e-12
    np.testing.assert_allclose(f, ref, rtol=0, atol=tol * np.abs(ref).max())
    e = synthesize_ewh(table, c, s, w)
    assert e.dtype == in_dtype and e.shape == (2, *grid.shape)
    # integer coefficients: the table's dtype
    zero = np.zeros((lmax + 1, lmax + 1), np.int32)
    assert synthesize(table, zero, zero).dtype == table_dtype


def test_retired_gaussian_km_keyword_warns():
    new = degree_weights(20, radius_m=6378136.3, half_width_km=300.0)
    with pytest.warns(DeprecationWarning, match="gaussian_km"):
        old = degree_weights(20, radius_m=6378136.3, gaussian_km=300.0)
    np.testing.assert_array_equal(old, new)
    with pytest.raises(TypeError, match="unexpected keyword argument.*gausian_km"):
        degree_weights(20, radius_m=6378136.3, gausian_km=300.0)
    with pytest.raises(TypeError, match="pass half_width_km= only"):
        degree_weights(20, radius_m=6378136.3, half_width_km=200.0, gaussian_km=300.0)


def test_series_months_follow_grace_month_numbering():
    from jaxgeo.grace import L2Series, missing_months

    start = np.array(["2002-04-01", "2002-05-01", "2002-08-01"], "datetime64[s]")
    end = np.array(["2002-05-01", "2002-06-01", "2002-09-01"], "datetime64[s]")
    z = np.zeros((3, 3, 3))
    s = L2Series(clm=z, slm=z, start=start, end=end, lmax=2, gm_m3_s2=3.986004415e14,
                 radius_m=6378136.3, centre="UTCSR", paths=("a", "b", "c"))
    np.testing.assert_array_equal(s.grace_month, [4, 5, 8])  # 1 = January 2002
    assert s.months == ["2002-04", "2002-05", "2002-08"]
    assert missing_months(s.mid) == ["2002-06", "2002-07"] and missing_months(start[:0]) == []


def test_ewh_grid_output_names_and_retired_keyword():
    from jaxgeo.grace import L2Series, ewh_grid

    start = np.array(["2005-01-01", "2005-02-01"], "datetime64[s]")
    end = np.array(["2005-02-01", "2005-03-01"], "datetime64[s]")
    c, s = _coeffs(4, np.float64)
    series = L2Series(clm=c, slm=s, start=start, end=end, lmax=4, gm_m3_s2=3.986004415e14,
                      radius_m=6378136.3, centre="UTCSR", paths=("a", "b"))
    da = ewh_grid(series, Grid.regular(30.0), half_width_km=300.0)
    assert da.name == "lwe_thickness" and da.attrs["units"] == "mm"
    assert da.attrs["half_width_km"] == 300.0 and da.dtype == np.float32
    with pytest.warns(DeprecationWarning, match="gaussian_km"):
        old = ewh_grid(series, Grid.regular(30.0), gaussian_km=300.0)
    np.testing.assert_array_equal(old.values, da.values)


def test_read_l2_series_quiet_and_retired_progress(tmp_path, capsys):
    from support.grace_files import random_coeffs, shm_name, write_shm

    from jaxgeo.grace import read_l2_series

    for k, (d0, d1, t0, t1) in enumerate([(1, 31, "20050101", "20050131"),
                                          (32, 59, "20050201", "20050228")]):
        c, s = random_coeffs(4, seed=k)
        write_shm(tmp_path / shm_name(2005, d0, 2005, d1), c, s, t0, t1)
    quiet = read_l2_series(tmp_path, quiet=True)
    assert "reading Level-2" not in capsys.readouterr().err
    with pytest.warns(DeprecationWarning, match="progress= is deprecated"):
        old = read_l2_series(tmp_path, progress=False)
    np.testing.assert_array_equal(old.clm, quiet.clm)
    with pytest.raises(TypeError, match="unexpected keyword"):
        read_l2_series(tmp_path, verbose=True)
