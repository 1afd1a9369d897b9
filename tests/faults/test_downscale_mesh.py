"""Data-parallel training and prediction on meshes with Explicit and with Auto axes
(`jax.make_mesh` makes Explicit axes by default in current JAX) on 8 simulated devices."""

import jax
import numpy as np
import pytest
from jax.sharding import AxisType
from support.downscale_data import tiny_experiment

from jaxgeo.downscale import LossConfig, NetConfig, TrainConfig, fit

NET = NetConfig(width=4, depth=1, blocks=1)


@pytest.fixture(scope="module")
def data():
    return tiny_experiment(8)


def _fit(d, mesh):
    return fit(d["coarse"], d["model"], mask=d["mask"], radius_deg=15.0, net=NET, quiet=True,
               train=TrainConfig(epochs=2, batch_months=8), mesh=mesh, noise2self=False,
               start="cap", loss=LossConfig.published())


@pytest.fixture(scope="module")
def one_device(data):
    fitted = _fit(data, None)
    return fitted, fitted.predict(data["coarse"], data["model"]).values


@pytest.mark.parametrize("axis_type", ["default", AxisType.Explicit, AxisType.Auto])
def test_training_and_prediction_on_explicit_and_auto_meshes(data, one_device, axis_type):
    if len(jax.devices()) < 8:
        pytest.skip("needs 8 (simulated) devices")
    mesh = (jax.make_mesh((8,), ("months",)) if axis_type == "default"
            else jax.make_mesh((8,), ("months",), (axis_type,)))
    ref, ref_pred = one_device
    fitted = _fit(data, mesh)
    # the oracle: the one-device run, up to float32 summation order
    for a, b in zip(fitted.history, ref.history, strict=True):
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-6)
    pred = fitted.predict(data["coarse"], data["model"], mesh=mesh, batch_months=3)
    np.testing.assert_allclose(pred.values, ref_pred, rtol=1e-3, atol=1e-3)
    # the one-device network predicts the same on the mesh
    pred = ref.predict(data["coarse"], data["model"], mesh=mesh)
    np.testing.assert_allclose(pred.values, ref_pred, rtol=1e-5, atol=1e-5)
