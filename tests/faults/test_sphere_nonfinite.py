"""Non-finite, huge and complex fields: refused by the operators' eager check, one clear line.

Oracle for the documented dynamic range: the float64 operator on the same field.
"""

import re

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.distributed import make_mesh, sharded_apply, stream_apply
from jaxgeo.sphere import (
    CapAverage,
    GaussianSmooth,
    cap_average,
    gaussian_smooth,
)
from jaxgeo.sphere._operator import DYNAMIC_RANGE

G = Grid.regular(5.0)
MASK = np.zeros(G.shape, bool)
MASK[:, : G.nlon // 2] = True


def _ops(dtype=None):
    return [CapAverage(G, 10.0, dtype=dtype), GaussianSmooth(G, 800.0, dtype=dtype),
            CapAverage(G, 10.0, mask=MASK, dtype=dtype),
            CapAverage(G, 10.0, targets=Grid.regular(10.0), dtype=dtype)]


@pytest.mark.parametrize("value,kind", [(np.inf, r"infinite \(±inf\)"),
                                        (-np.inf, r"infinite \(±inf\)"), (np.nan, "NaN")])
def test_non_finite_inside_the_mask_is_refused(value, kind):
    f = np.ones((2,) + G.shape)
    f[1, 7, 3] = value
    lat, lon = G.lat[7], G.lon[3]
    for op in _ops():
        for x in (f, jnp.asarray(f)):
            with pytest.raises(ValueError, match=rf"1 {kind} value\(s\) .*first at index "
                               rf"\(1, 7, 3\), lat {lat:g}, lon {lon:g}"):
                op(x)
    with pytest.raises(ValueError, match=kind):
        cap_average(f, G, 10.0)
    with pytest.raises(ValueError, match=kind):
        gaussian_smooth(f.astype(np.float32), G, 800.0)
    with pytest.raises(ValueError, match=kind):
        sharded_apply(CapAverage(G, 10.0), f, make_mesh())


def test_mixed_non_finite_and_outside_mask_ignored():
    f = np.ones(G.shape)
    f[2, 2], f[3, 3] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"2 non-finite \(NaN or ±inf\) value\(s\)"):
        CapAverage(G, 10.0)(f)
    # outside the mask: ignored, the result is the mean of the ones
    g = np.ones(G.shape)
    g[:, -1] = np.inf
    g[:, -2] = -np.inf
    g[:, -3] = np.nan
    y = CapAverage(G, 10.0, mask=MASK)(g)
    assert np.allclose(np.asarray(y)[np.isfinite(np.asarray(y))], 1.0)


def test_complex_is_refused():
    f = np.ones(G.shape) * (1 + 1j)
    for op in _ops():
        with pytest.raises(ValueError, match=r"field is complex \(complex128\).*real and "
                                             "imaginary parts separately"):
            op(f)
    with pytest.raises(ValueError, match="field is complex"):
        cap_average(jnp.asarray(f), G, 10.0)
    with pytest.raises(ValueError, match="field is complex"):
        sharded_apply(CapAverage(G, 10.0), np.stack([f, f]), make_mesh())


def test_complex_stream_source_is_refused(tmp_path):
    da = xr.DataArray(np.ones((3,) + G.shape, complex), dims=("time", "lat", "lon"),
                      coords={"lat": G.lat, "lon": G.lon}, name="tws")
    out = tmp_path / "out.nc"
    with pytest.raises(ValueError, match=r"source tws is complex"):
        stream_apply(CapAverage(G, 10.0), da, out, batch_months=2, quiet=True)
    assert not out.exists()


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_huge_values_beyond_the_dynamic_range_are_refused(dtype):
    eps = float(np.finfo(np.dtype(dtype)).eps)
    limit = DYNAMIC_RANGE / eps
    f = 1.0 + 0.1 * np.random.default_rng(0).normal(size=G.shape)
    f[9, 10] = 1e21 if dtype == jnp.float32 else 1e300
    for op in _ops(dtype):
        with pytest.raises(ValueError, match=rf"largest magnitude .*\(first at index \(9, 10\), "
                           rf"lat {G.lat[9]:g}, lon {G.lon[10]:g}\) .* beyond the "
                           rf"{re.escape(f'{limit:.2g}')} .* use dtype=float64"):
            op(f.astype(dtype))


def test_dynamic_range_documented_holds_float32():
    """Just inside the accepted range, the float32 spread round-off stays below a percent of
    the typical values everywhere, 180° away included (oracle: the float64 operator)."""
    limit = DYNAMIC_RANGE / float(np.finfo(np.float32).eps)
    rng = np.random.default_rng(1)
    f = 1.0 + 0.1 * rng.normal(size=G.shape)
    typical = np.median(np.abs(f))
    f[9, 10] = 0.9 * limit * typical
    for op32, op64 in zip(_ops(jnp.float32), _ops(jnp.float64), strict=True):
        y32 = np.asarray(op32(f.astype(np.float32)), np.float64)
        y64 = np.asarray(op64(f))
        err = np.abs(y32 - y64)
        # cells whose kernel does not reach the outlier: only the spread round-off
        far = np.abs(y64 - 1.0) < 1.0
        assert np.nanmax(err[far]) < 1e-2 * typical, repr(op32)
