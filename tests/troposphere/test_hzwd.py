"""HZWD model and fit: independent NumPy oracle, gradients, bad input, NetCDF, recovery."""

import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from support.troposphere_oracles import time_of_doy

from jaxgeo import Grid
from jaxgeo import troposphere as tr

GRID = Grid.regular(30.0, lon_start=0.0)  # 6 x 12 nodes: small and fast
_t = time_of_doy


def _random_coefficients(rng, grid, family="exp"):
    c = np.zeros((*grid.shape, 7, 5))
    if family == "exp":
        c[..., 0, 0] = np.log(rng.uniform(0.05, 0.3, grid.shape))
        c[..., 1, 0] = rng.uniform(0.2, 0.6, grid.shape)
        c[..., 2, 0] = rng.uniform(-0.05, 0.05, grid.shape)
        c[..., 3, 0] = rng.uniform(0.2, 0.6, grid.shape)
        c[..., 4, 0] = rng.uniform(-0.02, 0.02, grid.shape)
        c[..., 5, 0] = rng.uniform(0.3, 0.8, grid.shape)
        c[..., 6, 0] = rng.uniform(-0.02, 0.02, grid.shape)
        c[..., :, 1:] = rng.normal(0, 0.02, (*grid.shape, 7, 4))
    else:
        # positive everywhere: ZWD(0) >= 0.3 m, total decrease <= 0.28 m
        c[..., 0, 0] = rng.uniform(0.3, 0.4, grid.shape)
        c[..., 1::2, 0] = rng.uniform(0.0, 0.02, (*grid.shape, 3))
        c[..., 2::2, 0] = rng.normal(0, 0.0005, (*grid.shape, 3))
        c[..., 1:, 1:] = rng.normal(0, 0.0002, (*grid.shape, 6, 4))
        c[..., 0, 1:] = rng.normal(0, 0.01, (*grid.shape, 4))
    return c


def _oracle_node(c, h, doy, family):
    # written directly from the formula, interval by interval
    w = 2 * np.pi * doy / 365.25
    harm = np.array([1, np.cos(w), np.sin(w), np.cos(2 * w), np.sin(2 * w)])
    c0, b1, g1, b2, g2, b3, g3 = c @ harm
    hk = h / 1000.0
    if family == "exp":
        z0 = np.exp(c0)
        z2 = z0 * np.exp(-b1 * 2 - g1 * 4)
        z5 = z2 * np.exp(-b2 * 3 - g2 * 9)
        if hk <= 2:
            return z0 * np.exp(-b1 * hk - g1 * hk**2)
        if hk <= 5:
            return z2 * np.exp(-b2 * (hk - 2) - g2 * (hk - 2) ** 2)
        return z5 * np.exp(-b3 * (hk - 5) - g3 * (hk - 5) ** 2)
    s1 = min(hk, 2.0)
    s2 = np.clip(hk - 2, 0, 3)
    s3 = max(hk - 5, 0.0)
    return c0 - b1 * s1 - g1 * s1**2 - b2 * s2 - g2 * s2**2 - b3 * s3 - g3 * s3**2


def _oracle(c, grid, lat, lon, h, doy, family):
    # bilinear between the nodes bracketing the point, longitude wrapped
    fi = np.clip((lat - grid.lat[0]) / grid.resolution_deg, 0, grid.nlat - 1)
    i0 = int(min(np.floor(fi), grid.nlat - 2))
    wi = fi - i0
    fj = ((lon - grid.lon_start) / grid.resolution_deg - 0.5) % grid.nlon
    j0 = int(np.floor(fj))
    wj = fj - j0
    j1 = (j0 + 1) % grid.nlon
    v = [[_oracle_node(c[i, j], h, doy, family) for j in (j0, j1)] for i in (i0, i0 + 1)]
    return (1 - wi) * ((1 - wj) * v[0][0] + wj * v[0][1]) + wi * ((1 - wj) * v[1][0]
                                                                  + wj * v[1][1])


@pytest.mark.parametrize("family", ["exp", "poly"])
def test_model_matches_numpy_oracle(family):
    rng = np.random.default_rng(0)
    c = _random_coefficients(rng, GRID, family)
    model = tr.HZWD(jnp.asarray(c), GRID, family)
    lat = rng.uniform(-90, 90, 25)
    lon = rng.uniform(-180, 360, 25)
    h = rng.uniform(-500, 10000, 25)
    doy = rng.uniform(1, 366, 25)
    out = np.asarray(model(lat, lon, h, _t(doy)))
    ref = np.array([_oracle(c, GRID, *a, family) for a in zip(lat, lon, h, doy, strict=True)])
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-15)



@contextlib.contextmanager
def _retired(word):
    # every DeprecationWarning of the call is caught; one of them must name ``word``
    with pytest.warns(DeprecationWarning) as record:
        yield
    assert any(word in str(w.message) for w in record), [str(w.message) for w in record]


def test_exp_family_continuous_and_positive():
    rng = np.random.default_rng(1)
    model = tr.HZWD(jnp.asarray(_random_coefficients(rng, GRID)), GRID)
    for hb in (2000.0, 5000.0):
        z = np.asarray(model(40.0, 10.0, jnp.array([hb - 1e-6, hb, hb + 1e-6]), _t(100.0)))
        np.testing.assert_allclose(z, z[1], rtol=1e-8)
    z = model(jnp.linspace(-90, 90, 50), 33.0, jnp.linspace(-500, 10000, 50), _t(200.0))
    assert np.all(np.asarray(z) > 0)


def test_dateline_pole_vectorised_and_jit():
    rng = np.random.default_rng(2)
    model = tr.HZWD(jnp.asarray(_random_coefficients(rng, GRID)), GRID)
    a = model(10.0, 180.0 - 1e-9, 1000.0, _t(50.0))
    b = model(10.0, -180.0 + 1e-9, 1000.0, _t(50.0))
    assert float(a) == pytest.approx(float(b), rel=1e-9)
    # poleward of the last node row the row itself is used (constant in latitude)
    assert float(model(89.0, 20.0, 0.0, _t(1.0))) == pytest.approx(
        float(model(75.0, 20.0, 0.0, _t(1.0))), rel=1e-12)
    lat = jnp.linspace(-80, 80, 24).reshape(2, 3, 4)
    out = jax.jit(lambda a, b, c: model(a, b, c, _t(10.0)))(lat, lat, 500.0 + 0 * lat)
    assert out.shape == (2, 3, 4)
    np.testing.assert_allclose(out, model(lat, lat, 500.0, _t(10.0)), rtol=1e-14)
    # the kernel takes a traced day of year
    out = jax.jit(model.at_doy)(lat, lat, 500.0 + 0 * lat, 10.0)
    np.testing.assert_allclose(out, model(lat, lat, 500.0, _t(10.0)), rtol=1e-14)


def test_gradients_inputs_and_coefficients():
    rng = np.random.default_rng(3)
    model = tr.HZWD(jnp.asarray(_random_coefficients(rng, GRID)), GRID)
    lat, lon, h = jnp.array([12.3, -40.0]), jnp.array([100.7, 300.2]), jnp.array([800.0, 6100.0])
    check_grads(lambda a, b, c: model(a, b, c, _t(77.0)), (lat, lon, h), order=1,
                modes=["rev"], rtol=1e-5, atol=1e-8)

    def of_coef(c):
        return tr.HZWD(c, GRID)(lat, lon, h, _t(77.0))

    check_grads(of_coef, (model.coefficients,), order=1, modes=["rev"], rtol=1e-5, atol=1e-8)
    # dZWD/dh at a node equals the analytic -β(h) ZWD for the exp family (γ included)
    c = np.asarray(model.coefficients)[2, 3]
    p = c @ np.array([1, 1, 0, 1, 0])  # doy = 0 -> cos 1, sin 0
    lat0, lon0 = float(GRID.lat[2]), float(GRID.lon[3])
    hk = 0.5
    dz = jax.grad(lambda hh: model.at_doy(lat0, lon0, hh, 0.0))(500.0)
    z = float(model.at_doy(lat0, lon0, 500.0, 0.0))
    assert float(dz) == pytest.approx(-(p[1] + 2 * p[2] * hk) * z / 1000.0, rel=1e-9)


def test_bad_input_errors_and_jit_nan():
    model = tr.HZWD(jnp.asarray(_random_coefficients(np.random.default_rng(4), GRID)), GRID)
    t = _t(1.0)
    with pytest.raises(ValueError, match="height outside"):
        model(10.0, 10.0, 12000.0, t)
    with pytest.raises(ValueError, match="height outside"):
        model(10.0, 10.0, -600.0, t)
    with pytest.raises(ValueError, match="latitude outside"):
        model(95.0, 10.0, 100.0, t)
    out = jax.jit(lambda a, h: model(a, 10.0, h, t))(jnp.array([95.0, 10.0, 10.0]),
                                                     jnp.array([100.0, 12000.0, 100.0]))
    assert np.isnan(out[0]) and np.isnan(out[1]) and np.isfinite(out[2])
    assert np.isfinite(model(10.0, 10.0, 12000.0, t, extrapolate=True))
    with pytest.raises(ValueError, match="family"):
        tr.HZWD(model.coefficients, GRID, "cubic")
    with pytest.raises(ValueError, match="shape"):
        tr.HZWD(jnp.zeros((3, 7, 5)), GRID)


def test_netcdf_roundtrip(tmp_path):
    import xarray as xr

    c = _random_coefficients(np.random.default_rng(5), GRID, "poly")
    c[0, 0] = np.nan
    model = tr.HZWD(jnp.asarray(c), GRID, "poly")
    path = model.to_netcdf(tmp_path / "coef.nc")
    assert not list(tmp_path.glob("*.part"))
    back = tr.HZWD.from_netcdf(path)
    assert back.family == "poly" and back.grid == GRID
    np.testing.assert_array_equal(np.asarray(back.coefficients), c)
    with xr.open_dataset(path) as ds:
        assert ds.attrs["Conventions"] == "CF-1.8"
        assert ds["lat"].attrs["units"] == "degrees_north"
    xr.Dataset({"x": ("a", [1.0])}).to_netcdf(tmp_path / "other.nc")
    with pytest.raises(ValueError, match="coefficients"):
        tr.HZWD.from_netcdf(tmp_path / "other.nc")


def _synthetic(model, grid, n_times=12, jitter=0.0, seed=0):
    rng = np.random.default_rng(seed)
    lat2, lon2 = np.meshgrid(grid.lat, grid.lon, indexing="ij")
    lat, lon = lat2.ravel(), lon2.ravel()
    doy = np.linspace(1, 365, n_times)
    h = np.sort(rng.uniform(-400, 10500, (n_times, lat.size, 20)), axis=-1)
    z = np.asarray(model(lat[None, :, None], lon[None, :, None], np.clip(h, -500, 10000),
                         _t(doy)[:, None, None]))
    z = np.where((h >= -500) & (h <= 10000), z * np.exp(jitter * rng.normal(size=z.shape)),
                 np.nan)
    return lat, lon, doy, h, z


@pytest.mark.parametrize("family", ["exp", "poly"])
def test_fit_recovers_exact_coefficients_streamed(family):
    truth = tr.HZWD(jnp.asarray(_random_coefficients(np.random.default_rng(6), GRID, family)),
                    GRID, family)
    lat, lon, doy, h, z = _synthetic(truth, GRID)
    chunks = [tr.ProfileChunk(_t(doy[k:k + 4]), h[k:k + 4], z[k:k + 4])
              for k in range(0, 12, 4)]
    model, report = tr.fit_hzwd(lat, lon, chunks, grid=GRID, family=family, ridge=1e-12,
                                refine_steps=0)
    np.testing.assert_allclose(np.asarray(model.coefficients), np.asarray(truth.coefficients),
                               rtol=0, atol=1e-6)
    assert report.n_nodes_fitted == GRID.nlat * GRID.nlon
    assert max(report.closed_form.rms_m) < 1e-8


def test_fit_refinement_does_not_hurt_zwd_rms():
    truth = tr.HZWD(jnp.asarray(_random_coefficients(np.random.default_rng(7), GRID)), GRID)
    lat, lon, doy, h, z = _synthetic(truth, GRID, jitter=0.1, seed=1)
    _, report = tr.fit_hzwd(lat, lon, tr.ProfileChunk(_t(doy), h, z), grid=GRID,
                            refine_steps=100)
    cf = report.closed_form.rms_m
    rf = report.refined.rms_m
    total_cf = sum(cf[k] ** 2 * report.n_points_per_interval[k] for k in range(3))
    total_rf = sum(rf[k] ** 2 * report.n_points_per_interval[k] for k in range(3))
    assert total_rf <= total_cf * (1 + 1e-12)
    assert "0-2 km" in report.table()


def test_fit_bad_input():
    with pytest.raises(ValueError, match="latitude"):
        tr.fit_hzwd([100.0], [0.0], tr.ProfileChunk(_t(np.ones(1)), np.ones((1, 1, 3)),
                                                    np.ones((1, 1, 3))), grid=GRID)
    with pytest.raises(ValueError, match="negative ZWD"):
        tr.fit_hzwd([10.0], [0.0], tr.ProfileChunk(_t(np.ones(1)), np.ones((1, 1, 3)),
                                                   -np.ones((1, 1, 3))), grid=GRID)
    with pytest.raises(ValueError, match="family"):
        tr.fit_hzwd([10.0], [0.0], tr.ProfileChunk(_t(np.ones(1)), np.ones((1, 1, 3)),
                                                   np.ones((1, 1, 3))), family="spline")


def test_fit_columns_single_exponential_and_piecewise():
    h = np.linspace(0, 10000, 30)[None]
    z = 0.2 * np.exp(-h / 2300.0)
    pred, theta = tr.fit_columns(h, z, family="single-exp", steps=50)
    np.testing.assert_allclose(np.asarray(pred), z, rtol=1e-8)
    assert float(theta[0, 1]) == pytest.approx(1 / 2.3, rel=1e-8)
    # a profile with a sharp change of scale height at 2 km: piecewise fits, one exp cannot
    z2 = np.where(h < 2000, 0.25 * np.exp(-h / 1200.0),
                  0.25 * np.exp(-2000 / 1200.0) * np.exp(-(h - 2000) / 3000.0))
    p_exp, _ = tr.fit_columns(h, z2, family="hzwd-exp", steps=100)
    p_one, _ = tr.fit_columns(h, z2, family="single-exp", steps=100)
    assert np.max(np.abs(np.asarray(p_exp) - z2)) < 1e-6
    assert np.max(np.abs(np.asarray(p_one) - z2)) > 5e-3


@pytest.mark.parametrize("shared", [True, False])
def test_moment_normal_equations_match_direct_design(shared):
    # the fast moment route vs the plain Kronecker design (brute force oracle)
    from support.troposphere_oracles import normal_equations_direct

    rng = np.random.default_rng(8)
    h = np.sort(rng.uniform(-700, 11000, (6, 5, 9)), axis=-1)
    z = 0.2 * np.exp(-h / 2000.0)
    doy = (np.broadcast_to(rng.uniform(1, 365, (6, 1)), (6, 5)) if shared
           else rng.uniform(1, 365, (6, 5)))
    m, r, n = tr.normal_equations(doy, h, z, family="exp", min_zwd_m=1e-4)
    m2, r2, n2 = normal_equations_direct(doy, h, z, family="exp", min_zwd_m=1e-4)
    np.testing.assert_allclose(m, m2, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(r, r2, rtol=1e-12, atol=1e-10)
    np.testing.assert_array_equal(np.asarray(n), np.asarray(n2))


def test_fit_columns_refines_with_missing_levels():
    # a NaN level must not stop the ZWD-space refinement (it once silently did)
    h = np.concatenate([np.linspace(0, 10000, 30), [np.nan, 12000.0]])[None]
    z = np.where(h < 2000, 0.25 * np.exp(-h / 1200.0),
                 0.25 * np.exp(-2000 / 1200.0) * np.exp(-(h - 2000) / 3000.0))
    ok = np.isfinite(h) & (h <= 10000)

    def rms(pred):
        return float(np.sqrt(np.mean((np.asarray(pred)[ok] - z[ok]) ** 2)))

    closed, _ = tr.fit_columns(h, z, family="single-exp", steps=0)
    refined, _ = tr.fit_columns(h, z, family="single-exp", steps=100)
    assert rms(refined) < 0.8 * rms(closed)
    assert np.isnan(np.asarray(refined)[0, 30])


def test_pytree_round_trip_keeps_attributes():
    model = tr.HZWD(jnp.asarray(_random_coefficients(np.random.default_rng(9), GRID, "poly")),
                    GRID, "poly")
    for obj in (jax.tree.map(lambda x: x, model), jax.jit(lambda m: m)(model)):
        assert type(obj) is tr.HZWD and obj.grid == GRID and obj.family == "poly"
        np.testing.assert_array_equal(obj.coefficients, model.coefficients)
    # the static fields stay attributes inside jit
    out = jax.jit(lambda m: m.at_doy(10.0, 20.0, 300.0, 5.0) if m.family == "poly" else 0.0)(
        model)
    assert float(out) == float(model(10.0, 20.0, 300.0, _t(5.0)))
    assert len(jax.tree.leaves(model)) == 1


def test_retired_spellings_warn_and_agree():
    model = tr.HZWD(jnp.asarray(_random_coefficients(np.random.default_rng(10), GRID)), GRID)
    ref = float(model(10.0, 20.0, 500.0, _t(30.5)))
    with _retired("height_m"):
        assert float(model(10.0, 20.0, height_m=500.0, time=_t(30.5))) == ref
    with _retired("doy"):
        assert float(model(10.0, 20.0, 500.0, doy=30.5)) == pytest.approx(ref, rel=1e-14)
    with _retired("numeric time"):
        assert float(model(10.0, 20.0, 500.0, 30.5)) == pytest.approx(ref, rel=1e-14)
    with _retired("doy"):
        chunk = tr.ProfileChunk(doy=np.array([30.5]), height_m=np.ones((1, 1, 2)),
                                zwd_m=np.ones((1, 1, 2)))
    np.testing.assert_array_equal(chunk.doy, [30.5])
    with _retired("doy"):
        old = model.node_parameters(doy=30.5)
    np.testing.assert_allclose(old, model.node_parameters(_t(30.5)), rtol=1e-14)
    with pytest.raises(TypeError, match="unexpected"):
        model(10.0, 20.0, 500.0, _t(1.0), heigth_msl_m=3.0)
    with pytest.raises(ValueError, match="NaT"):
        _ = tr.ProfileChunk(np.array(["NaT"], "datetime64[ns]"), np.ones((1, 1, 2)),
                            np.ones((1, 1, 2))).doy
