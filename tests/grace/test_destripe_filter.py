"""Properties of :func:`jaxgeo.grace.destripe` (independent of gravity-toolkit): orders
below ``start_order`` untouched, linearity, exact removal of same-parity quadratics,
gradients, jit/vmap, the Level-2 chain option and the errors (one line each)."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from jax.test_util import check_grads
from support.cli import run_subcommand
from support.grace_files import random_coeffs, shm_name, write_shm

from jaxgeo import Grid, cli
from jaxgeo.grace import (
    destripe,
    destripe_weights,
    ewh_grid,
    grace_l2_tws,
    read_l2_series,
    remove_mean,
)
from jaxgeo.grace._destripe import destripe_float64


def _rand(lmax=60, seed=0, batch=()):
    rng = np.random.default_rng(seed)
    c, s = (np.tril(rng.standard_normal((*batch, lmax + 1, lmax + 1))) * 1e-10
            for _ in range(2))
    return c, s


def test_low_orders_untouched_and_linear():
    c, s = _rand()
    for start in (5, 2, 10):
        oc, os_ = (np.asarray(a) for a in destripe(c, s, start_order=start))
        np.testing.assert_array_equal(oc[:, :start], c[:, :start])
        np.testing.assert_array_equal(os_[:, :start], s[:, :start])
        assert np.abs(oc[:, start] - c[:, start]).max() > 1e-11  # order start is filtered
    oc, _ = destripe(c, s, end_order=20)  # orders above end_order untouched too
    np.testing.assert_array_equal(np.asarray(oc)[:, 21:], c[:, 21:])
    c2, s2 = _rand(seed=1)
    a, b = 2.5, -0.75
    lc, ls = destripe(a * c + b * c2, a * s + b * s2)
    ec, es = destripe(c, s)
    fc, fs = destripe(c2, s2)
    np.testing.assert_allclose(np.asarray(lc), a * np.asarray(ec) + b * np.asarray(fc),
                               rtol=0, atol=1e-24)
    np.testing.assert_allclose(np.asarray(ls), a * np.asarray(es) + b * np.asarray(fs),
                               rtol=0, atol=1e-24)


def test_same_parity_quadratics_removed_exactly():
    """A quadratic in l within each parity is its own fit (edges included): output 0
    wherever the window fits; the parities too short for it are removed (too_few='zero')
    or kept ('keep')."""
    lmax = 60
    ell = np.arange(lmax + 1, dtype=np.float64)[:, None] * np.ones((1, lmax + 1))
    even = (ell % 2 == 0)
    c = np.tril(np.where(even, 1e-9 + 2e-11 * ell - 3e-13 * ell ** 2,
                         -4e-10 + 1e-12 * ell ** 2)) * np.ones((lmax + 1, lmax + 1))
    oc, _ = destripe(c, np.zeros_like(c))
    np.testing.assert_allclose(np.asarray(oc)[:, 5:], 0.0, atol=1e-22)
    kc, _ = destripe(c, np.zeros_like(c), too_few="keep")
    kc = np.asarray(kc)
    _, w = destripe_weights(lmax, too_few="keep")
    short = (np.abs(w).sum(axis=-1) == 0) & np.tril(np.ones_like(c, bool))
    short[:, :5] = False
    assert short[60, 60] and short.sum() > 0
    np.testing.assert_array_equal(kc[short], c[short])
    np.testing.assert_allclose(kc[~short & (np.arange(lmax + 1) >= 5)], 0.0, atol=1e-22)


@pytest.mark.parametrize("deg", [2, 3])
def test_window_fit_equals_numpy_polyfit(deg):
    """Interior and edge degrees against numpy.polyfit over the same window: order 8,
    half-width round(15 e^-0.8) = 7 (15 degrees of one parity)."""
    c, s = _rand()
    out = np.asarray(destripe(c, s, poly_degree=deg)[0])
    m, n = 8, 7
    even = np.arange(8, 61, 2)  # the even degrees of order 8: 27 of them
    for i in (n + 3, 0, 2, len(even) - 1):  # an interior one, two at the start, the last
        centre = min(max(i, n), len(even) - 1 - n)
        win = even[centre - n:centre + n + 1]
        p = np.polyfit(win - even[centre], c[win, m], deg)
        want = c[even[i], m] - np.polyval(p, even[i] - even[centre])
        assert abs(out[even[i], m] - want) < 1e-13 * np.abs(c).max(), (deg, i)
    cubic = np.tril(np.ones_like(c)) * (np.arange(61.0) ** 3 * 1e-14)[:, None]
    kept = np.asarray(destripe(cubic, np.zeros_like(c), poly_degree=deg)[0])[20:40, 5:15]
    assert (np.abs(kept).max() < 1e-22) == (deg == 3)


def test_gradients_jit_vmap_batch_dtype():
    c, s = _rand(lmax=45, batch=(3,))
    f = jax.jit(lambda a, b: destripe(a, b))
    jc, js = f(c, s)
    vc, vs = jax.vmap(destripe)(jnp.asarray(c), jnp.asarray(s))
    for i in range(3):
        oc, os_ = destripe(c[i], s[i])
        np.testing.assert_allclose(np.asarray(jc[i]), np.asarray(oc), rtol=0, atol=1e-24)
        np.testing.assert_allclose(np.asarray(vs[i]), np.asarray(os_), rtol=0, atol=1e-24)
    np.testing.assert_allclose(np.asarray(js), np.asarray(vs), rtol=0, atol=1e-24)
    c1, s1 = _rand(lmax=39, seed=2)  # start_order 6: window 17, lmax 39 is enough
    check_grads(lambda a, b: destripe(a, b, start_order=6), (c1 * 1e10, s1 * 1e10),
                order=1, modes=("fwd", "rev"))
    f32 = destripe(c.astype(np.float32), s.astype(np.float32))
    assert f32[0].dtype == jnp.float32 and f32[1].shape == (3, 46, 46)
    n64 = destripe_float64(c, s)
    np.testing.assert_allclose(n64[0], np.asarray(jc), rtol=0, atol=1e-24)


BAD = [
    (dict(start_order=-1), r"start_order must be an integer >= 0, got -1"),
    (dict(start_order=61), r"lmax 60 is too small for the window at order 61 \(5 degrees "
                           r"of each parity needed, 0 available\)"),
    (dict(start_order=5.0), r"start_order must be an integer >= 0, got 5.0"),
    (dict(start_order=True), r"start_order must be an integer .*got True"),
    (dict(end_order=4), r"end_order must be an integer in \[5, 60\], got 4"),
    (dict(end_order=99), r"end_order must be an integer in \[5, 60\], got 99"),
    (dict(poly_degree=-1), r"poly_degree must be an integer >= 0, got -1"),
    (dict(poly_degree=5), r"min_window must be odd and > poly_degree \(5\).*got 5"),
    (dict(min_window=6), r"min_window must be odd .*got 6"),
    (dict(min_window=1), r"min_window must be an integer >= 3, got 1"),
    (dict(window_amplitude=0.0), r"window_amplitude must be a finite number > 0, got 0.0"),
    (dict(window_amplitude=float("nan")), r"window_amplitude must be a finite .*got nan"),
    (dict(window_decay=-10), r"window_decay must be a finite number > 0, got -10"),
    (dict(window_decay="10"), r"window_decay must be a finite number > 0, got '10'"),
    (dict(rounding="ceil"), r"rounding must be 'round' or 'floor', got 'ceil'"),
    (dict(too_few=False), r"too_few must be 'zero' or 'keep', got False"),
]


@pytest.mark.parametrize(("kw", "msg"), BAD)
def test_bad_parameters(kw, msg):
    c, s = _rand()
    with pytest.raises(ValueError, match="^destripe: " + msg) as e:
        destripe(c, s, **kw)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(("shapes", "msg"), [
    (((61, 61), (60, 60)), r"got \(61, 61\) and \(60, 60\)"),
    (((61, 60), (61, 60)), r"got \(61, 60\) and \(61, 60\)"),
    (((61,), (61,)), r"got \(61,\) and \(61,\)"),
])
def test_bad_shapes(shapes, msg):
    a, b = (np.zeros(sh) for sh in shapes)
    with pytest.raises(ValueError, match=r"^destripe: clm and slm must both have shape "
                                         r"\(\.\.\., lmax\+1, lmax\+1\), " + msg):
        destripe(a, b)
    with pytest.raises(ValueError, match=msg):
        destripe_float64(a, b)


def test_complex_and_small_lmax_refused():
    c, s = _rand(lmax=41)
    with pytest.raises(ValueError, match=r"^destripe: clm and slm must be real"):
        destripe(c + 0j, s)
    # the window at order 5 is 19 degrees of each parity: lmax 42 at least
    with pytest.raises(ValueError, match=r"^destripe: lmax 41 is too small for the window "
                       r"at order 5 \(19 degrees of each parity needed, 18 available\); "
                       r"use lmax >= 42 or another start_order$"):
        destripe(c, s)
    destripe(*_rand(lmax=42))
    destripe(c, s, start_order=6)  # window 17 at order 6: lmax 39 is enough
    with pytest.raises(ValueError, match=r"lmax 10 is too small .*order 5"):
        destripe(*_rand(lmax=10))


def _csr_dir(shared_data, tmp_path, n=3):
    d = tmp_path / "l2"
    d.mkdir()
    src = sorted((shared_data / "grace-l2" / "csr-rl06").iterdir())
    for p in (src[30], src[150], src[200])[:n]:
        (d / p.name).symlink_to(p)
    return d


def test_l2_chain_option(shared_data, tmp_path):
    d = _csr_dir(shared_data, tmp_path)
    grid = Grid.regular(10.0)
    kw = dict(grid=grid, lmax=60, mean_period=None, quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = grace_l2_tws(d, **kw)
        da = grace_l2_tws(d, destripe=True, **kw)
        s, _ = remove_mean(read_l2_series(d, lmax=60, quiet=True), period=None)
    c, sl = destripe(s.clm, s.slm)
    ref = ewh_grid(s.replace(clm=np.asarray(c), slm=np.asarray(sl)), grid,
                   half_width_km=300.0)
    np.testing.assert_allclose(da.values, ref.values, rtol=0, atol=1e-3)
    assert da.attrs["destripe"] == 1 and plain.attrs["destripe"] == 0
    assert "destriped (Swenson & Wahr 2006" in da.attrs["history"]
    assert np.abs(da.values - plain.values).max() > 1.0  # mm: the stripes went
    with pytest.raises(ValueError, match="^grace_l2_tws: destripe must be True or False"):
        grace_l2_tws(d, grid=grid, destripe="yes")


def test_cli_destripe(tmp_path, shared_data):
    d = _csr_dir(shared_data, tmp_path, n=2)
    out = tmp_path / "x.nc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_subcommand(["grace", "l2", str(d), "--destripe", "--res", "10", "--lmax", "60",
                        "--mean-period", "2002-01-01", "2030-01-01", "--out", str(out),
                        "--quiet"])
    with xr.open_dataset(out) as ds:
        assert ds["lwe_thickness"].attrs["destripe"] == 1


def test_cli_destripe_lmax_too_small_before_reading(tmp_path, capsys):
    d = tmp_path / "l2"
    d.mkdir()
    write_shm(d / shm_name(2004, 1, 2004, 31), *random_coeffs(4), "20040101", "20040131")
    out = tmp_path / "x.nc"
    code = cli.main(["grace", "l2", str(d), "--destripe", "--lmax", "30", "--out", str(out),
                     "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.strip() == ("jaxgeo grace l2: error: destripe: lmax 30 is too small for the "
                           "window at order 5 (19 degrees of each parity needed, 13 "
                           "available); use lmax >= 42 or another start_order")
    # files of lmax 4 without --lmax: the same error, after reading
    code = cli.main(["grace", "l2", str(d), "--destripe", "--out", str(out), "--quiet"])
    assert code == 2 and not out.exists()
    assert "destripe: lmax 4 is too small" in capsys.readouterr().err


@pytest.mark.parametrize("axis_type", ["Explicit", "Auto"])
def test_month_sharded(axis_type):
    """Months sharded over 8 simulated devices, explicit or auto mesh axes (issue 11)."""
    from jax.sharding import AxisType, NamedSharding
    from jax.sharding import PartitionSpec as P

    c, s = _rand(lmax=42, batch=(8,))
    ref = destripe(c, s)
    mesh = jax.make_mesh((8,), ("months",), axis_types=(getattr(AxisType, axis_type),))
    with jax.set_mesh(mesh):
        put = [jax.device_put(a, NamedSharding(mesh, P("months"))) for a in (c, s)]
        out = jax.jit(destripe)(*put)
    for a, b in zip(out, ref, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=1e-24)
