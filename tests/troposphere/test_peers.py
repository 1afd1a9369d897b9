"""Peer models: published check values, closed forms, GPT3 golden values."""

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from support.troposphere_oracles import time_of_doy

import jaxgeo.time
from jaxgeo import troposphere as tr

_t = time_of_doy
T_58849 = np.datetime64("2020-01-01T00:00")  # MJD 58849
T_58851 = np.datetime64("2020-01-03T00:00")  # MJD 58851



@contextlib.contextmanager
def _retired(word):
    # every DeprecationWarning of the call is caught; one of them must name ``word``
    with pytest.warns(DeprecationWarning) as record:
        yield
    assert any(word in str(w.message) for w in record), [str(w.message) for w in record]


def test_askne_nordius_published_example():
    # TU Wien asknewet example: e 10.9621 hPa, Tm 273.872 K, lambda 2.8071 -> 0.1176 m
    assert float(tr.askne_nordius_zwd(10.9621, 273.872, 2.8071)) == pytest.approx(0.1176,
                                                                                 abs=5e-5)


def test_saastamoinen_closed_form():
    t, e = np.array([280.0, 300.0]), np.array([10.0, 25.0])
    np.testing.assert_allclose(tr.saastamoinen_zwd(t, e), 0.002277 * (1255 / t + 0.05) * e,
                               rtol=1e-14)


def test_unb3m_sea_level_table_values():
    # at lat 15° (no seasonal amplitude), h = 0: T = 299.65, P = 1013.25, RH 75 %
    r = tr.unb3m(15.0, 0.0, _t(100.0))
    assert float(r.T) == pytest.approx(299.65, abs=1e-12)
    assert float(r.p) == pytest.approx(1013.25, abs=1e-12)
    t0 = 299.65
    es = 0.01 * np.exp(1.2378847e-5 * t0**2 - 1.9121316e-2 * t0 + 33.93711047 - 6.3431645e3 / t0)
    fw = 1.00062 + 3.14e-6 * 1013.25 + 5.6e-7 * (t0 - 273.15) ** 2
    assert float(r.e) == pytest.approx(0.75 * es * fw, rel=1e-12)
    # tropical sea-level ZWD of UNB3m is ~0.25-0.30 m
    assert 0.22 < float(r.zwd) < 0.32
    # symmetric hemispheres half a year apart
    assert float(tr.unb3m_zwd(-45.0, 100.0, _t(200.0))) == pytest.approx(
        float(tr.unb3m_zwd(45.0, 100.0, _t(200.0 - 182.625))), rel=1e-12)


def test_unb3m_height_decay_and_grad():
    z = tr.unb3m_zwd(40.0, jnp.array([0.0, 1000.0, 3000.0]), _t(180.0))
    assert np.all(np.diff(np.asarray(z)) < 0)
    check_grads(lambda h: tr.unb3m_zwd(40.0, h, _t(180.0)), (jnp.array([500.0]),), order=1,
                modes=["rev"], rtol=1e-5)
    with _retired("height_m"):
        old = tr.unb3m_zwd(40.0, height_m=1000.0, doy=180.0)
    assert float(old) == pytest.approx(float(z[1]), rel=1e-14)


def test_doy_from_mjd():
    # MJD 58849 = 2020-01-01, 59215 = 2021-01-01, 51544.5 = 2000-01-01 12h; 2020 is leap
    mjd = jnp.array([58849.0, 58851.0, 59215.0, 51544.5, 59214.0])
    out = np.asarray(jaxgeo.time.doy_from_mjd(mjd))
    np.testing.assert_allclose(out, [1.0, 3.0, 1.0, 1.5, 366.0])


@pytest.fixture(scope="module")
def gpt3(request):
    from conftest import SHARED_DATA

    path = SHARED_DATA / "troposphere/gpt3_5.grd"
    if not path.is_file():
        pytest.skip("shared data not found")
    return tr.GPT3.from_file(path)


@pytest.mark.shared_data
def test_gpt3_golden_values(gpt3):
    # issue #3 golden values from the 5° grid (TU Wien gpt3_5_fast)
    abmf = gpt3(16.2623, -61.5275, -25.6, T_58849)
    assert float(abmf.zwd) * 1e3 == pytest.approx(194.3, abs=0.06)
    abpo = gpt3(-19.0183, 47.2292, 1553.0, T_58851)
    assert float(abpo.zwd) * 1e3 == pytest.approx(170.6, abs=0.06)
    # GPT3 zwd equals Askne & Nordius of its own e, Tm, lambda
    assert float(abpo.zwd) == pytest.approx(
        float(tr.askne_nordius_zwd(abpo.e, abpo.Tm, abpo.lam)), rel=1e-14)


@pytest.mark.shared_data
def test_gpt3_node_value_and_vectorised(gpt3):
    # exactly at a node, at its own surface height, no time variation: table values
    i, j = 20, 10  # lat 12.5, lon 52.5 in ascending order
    lat, lon = float(gpt3.grid.lat[i]), float(gpt3.grid.lon[j])
    h = float(gpt3.Hs[i, j] + gpt3.undu[i, j])
    r = gpt3(lat, lon, h, T_58849, time_variation=False)
    assert float(r.p) == pytest.approx(float(gpt3.p[i, j, 0]) / 100, rel=1e-12)
    assert float(r.T) == pytest.approx(float(gpt3.T[i, j, 0]), rel=1e-12)
    lats = jnp.linspace(-89.9, 89.9, 12).reshape(3, 4)
    out = jax.jit(lambda a, b: gpt3(a, b, 100.0, T_58849))(lats, lats * 2.0)
    assert out.zwd.shape == (3, 4) and np.all(np.isfinite(out.zwd))
    # dateline continuity
    a = gpt3(10.0, 179.999999, 0.0, T_58849).zwd
    b = gpt3(10.0, -179.999999, 0.0, T_58849).zwd
    assert float(a) == pytest.approx(float(b), abs=1e-8)


@pytest.mark.shared_data
def test_gpt3_bad_input(gpt3, tmp_path):
    with pytest.raises(ValueError, match="latitude outside"):
        gpt3(91.0, 0.0, 0.0, T_58849)
    out = jax.jit(lambda a: gpt3(a, 0.0, 0.0, T_58849).zwd)(jnp.array([91.0, 10.0]))
    assert np.isnan(out[0]) and np.isfinite(out[1])
    (tmp_path / "bad.grd").write_text("% header\n1 2 3\n")
    with pytest.raises(ValueError, match="columns"):
        tr.GPT3.from_file(tmp_path / "bad.grd")
    with pytest.raises(FileNotFoundError):
        tr.GPT3.from_file(tmp_path / "missing.grd")


@pytest.mark.shared_data
def test_gpt3_retired_mjd_and_kernel(gpt3):
    ref = float(gpt3(16.2623, -61.5275, -25.6, T_58849).zwd)
    with _retired("h_ell_m"):
        old = float(gpt3(16.2623, -61.5275, h_ell_m=-25.6, mjd=58849.0).zwd)
    assert old == pytest.approx(ref, rel=1e-14)
    assert float(gpt3.at_doy(16.2623, -61.5275, -25.6, 1.0).zwd) == pytest.approx(ref, rel=1e-14)


def test_gpt3_pytree_round_trip_keeps_attributes():
    from jaxgeo import Grid

    grid = Grid.regular(30.0, lon_start=0.0)
    per = jnp.arange(6 * 12 * 5, dtype=float).reshape(6, 12, 5)
    flat = jnp.ones((6, 12))
    g = tr.GPT3(p=per, T=per + 1, Q=per + 2, dT=per + 3, undu=flat, Hs=flat + 1, lam=per + 4,
                Tm=per + 5, grid=grid)
    for obj in (jax.tree.map(lambda x: x, g), jax.jit(lambda m: m)(g)):
        assert type(obj) is tr.GPT3 and obj.grid == grid
        for name in ("p", "T", "Q", "dT", "undu", "Hs", "lam", "Tm"):
            np.testing.assert_array_equal(getattr(obj, name), getattr(g, name))
    assert len(jax.tree.leaves(g)) == 8
