"""Several model fields at once: a Dataset of models in fit, predict and baseline."""

import numpy as np
import pytest
import xarray as xr
from support.downscale_data import tiny_experiment

from jaxgeo.downscale import LossConfig, NetConfig, TrainConfig, baseline, fit
from jaxgeo.downscale._models import split_models


@pytest.fixture(scope="module")
def data():
    d = tiny_experiment(8)
    m = d["model"]
    rng = np.random.default_rng(5)
    a = (m + 3.0 * rng.standard_normal(m.shape)).assign_attrs(units="mm")
    b = ((m - 2.0) / 10.0).assign_attrs(units="cm")  # another unit: converted to mm
    return d, xr.Dataset({"a": a, "b": b})


def test_the_mean_is_the_target_and_each_member_a_channel(data):
    d, models = data
    mean, feats = split_models(models, d["features"])
    want = (models.a.values + 10.0 * models.b.values) / 2.0
    np.testing.assert_allclose(mean.values, want, rtol=1e-12)
    assert mean.attrs["units"] == "mm"
    assert list(feats.data_vars) == ["model:a", "model:b", "precipitation"]
    np.testing.assert_allclose(feats["model:b"].values, 10.0 * models.b.values, rtol=1e-12)
    # a DataArray passes through untouched
    assert split_models(d["model"], None) == (d["model"], None)
    # baseline takes the Dataset as its mean
    xr.testing.assert_allclose(baseline(d["coarse"], models, mask=d["mask"], radius_deg=15.0),
                               baseline(d["coarse"], mean, mask=d["mask"], radius_deg=15.0))


def test_fit_and_predict_with_two_models(data, monkeypatch):
    import jaxgeo.downscale._api as api

    monkeypatch.setattr(api, "run_training", lambda *args, **kwargs: [])  # wiring only
    d, models = data
    ds = fit(d["coarse"], models, mask=d["mask"], features=d["features"], radius_deg=15.0,
             noise2self=False, start="cap", net=NetConfig(width=4, depth=1, blocks=1),
             loss=LossConfig.published(), train=TrainConfig(epochs=1, batch_months=2),
             quiet=True)
    assert ds.settings.features == ("model:a", "model:b", "precipitation")
    assert ds.settings.in_channels == 3 + 3 + 5
    out = ds.predict(d["coarse"], models, d["features"])
    assert out.shape == d["coarse"].shape
    assert np.isfinite(out.values[:, d["mask"].values]).all()
    with pytest.raises(ValueError, match="features differ from training"):
        ds.predict(d["coarse"], models[["a"]], d["features"])


def test_bad_model_datasets_are_named(data):
    d, models = data
    cases = [
        (xr.Dataset(), None, ValueError, "has no variable"),
        (xr.Dataset({"a": models.a, "c": models.b.isel(time=0)}), None, ValueError,
         "model members 'a' and 'c' are not on the same grid"),
        (xr.Dataset({"a": models.a, "k": models.a.assign_attrs(units="K")}), None, ValueError,
         "units differ"),
        (models, xr.Dataset({"model:a": d["features"].precipitation}), ValueError,
         "feature 'model:a' clashes"),
        ([models.a], None, TypeError, "model must be an xarray.DataArray or a Dataset"),
        (models, d["features"].precipitation, TypeError, "features must be an xarray.Dataset"),
    ]
    for model, feats, err, words in cases:
        with pytest.raises(err, match=words):
            split_models(model, feats)
