"""The band-kernel seam (``BandTables``, ``band_apply``) that jaxgeo.distributed builds on.

Oracle: the operator itself. Weighting the input rows, summing the band of kernel spectra
and normalising must reproduce ``op(field)`` to float64 round-off (1e-13 of max |field|).
"""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.sphere import CapAverage, GaussianSmooth, band_apply

G = Grid.regular(5.0)
OPS = {
    "cap": lambda: CapAverage(G, 12.0),
    "cap-targets": lambda: CapAverage(G, 12.0, targets=Grid.regular(10.0, lon_start=0.0)),
    "gaussian": lambda: GaussianSmooth(G, 700.0),
    "gaussian-targets": lambda: GaussianSmooth(G, 700.0, targets=Grid.regular(15.0)),
}


@pytest.mark.parametrize("make", OPS.values(), ids=OPS.keys())
def test_band_apply_reproduces_the_operator(make):
    op = make()
    t = op.tables
    f = np.random.default_rng(0).normal(size=(2,) + G.shape)
    spec = jnp.fft.rfft(jnp.asarray(f) * t.weight[None], axis=-1)
    out = band_apply(t, spec)
    assert out.shape == (2, t.nout, G.nlon // 2 + 1)
    y = jnp.fft.irfft(out, n=t.nlon, axis=-1)
    if t.out_cols is not None:
        y = y[..., jnp.asarray(t.out_cols)]
    y = y * t.inv_den[None]
    assert y.shape[1:] == op.out_shape
    np.testing.assert_allclose(np.asarray(y), np.asarray(op(f)), rtol=0,
                               atol=1e-13 * np.abs(f).max())
