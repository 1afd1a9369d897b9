"""Units of the coarse and model fields: known thickness units are converted to the coarse
field's unit (the result equals that of fields given in one unit), others are refused."""

import numpy as np
import pytest
from support.downscale_data import tiny_experiment

from jaxgeo.downscale import NetConfig, TrainConfig, baseline, fit
from jaxgeo.units import common_units, metres_per_unit

NET = NetConfig(width=4, depth=1, blocks=1)


@pytest.fixture(scope="module")
def data():
    return tiny_experiment(8)


def _relabel(da, units, scale=1.0):
    out = da * scale
    out.attrs = dict(da.attrs, units=units)
    return out


def _fit(coarse, model, d, **kw):
    return fit(coarse, model, mask=d["mask"], radius_deg=15.0, net=NET, quiet=True,
               train=TrainConfig(epochs=1, batch_months=2), **kw)


@pytest.mark.parametrize(("label", "metres"), [
    ("m", 1.0), ("cm", 0.01), ("mm", 0.001), ("millimeters", 0.001), ("Millimetres", 0.001),
    ("mm of water equivalent", 0.001), ("m of water", 1.0), ("cm lwe", 0.01),
    ("kg m-2", 0.001), ("kg/m2", 0.001)])
def test_known_thickness_units(label, metres):
    assert metres_per_unit(label) == metres


@pytest.mark.parametrize("label", ["K", "mm/yr", "m s-1", "kg", "furlong", "mm w.e. per day"])
def test_other_units_are_unknown(label):
    assert metres_per_unit(label) is None


def test_baseline_converts_the_model_to_the_coarse_unit(data):
    """Coarse in m, model in mm: the result equals the all-metre result (oracle), in m."""
    coarse_m = _relabel(data["coarse"], "m", 1e-3)
    model_m = _relabel(data["model"], "m", 1e-3)
    ref = baseline(coarse_m, model_m, mask=data["mask"], radius_deg=15.0)
    got = baseline(coarse_m, data["model"], mask=data["mask"], radius_deg=15.0)  # model in mm
    assert got.attrs["units"] == "m"
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-12, atol=1e-15)
    # and the other way round: coarse in mm, model in cm → mm
    got = baseline(data["coarse"], _relabel(data["model"], "centimeters", 0.1),
                   mask=data["mask"], radius_deg=15.0)
    ref = baseline(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0)
    assert got.attrs["units"] == "mm"
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-12, atol=1e-12)


def test_fit_converts_the_model_and_predict_converts_to_the_training_unit(data):
    model_m = _relabel(data["model"], "m", 1e-3)
    ref = _fit(data["coarse"], data["model"], data)  # both in mm
    got = _fit(data["coarse"], model_m, data)  # model in m, converted to mm
    assert got.units == "mm"  # same normalisation (up to the round-off of ×1e-3 ×1e3)
    np.testing.assert_allclose([got.settings.norm.offset, got.settings.norm.scale],
                               [ref.settings.norm.offset, ref.settings.norm.scale], rtol=1e-12)
    pred_ref = ref.predict(data["coarse"], data["model"])
    pred = got.predict(data["coarse"], model_m)
    assert pred.attrs["units"] == "mm"
    np.testing.assert_allclose(pred.values, pred_ref.values, rtol=1e-5, atol=1e-4)
    # predicting from fields in metres gives the same field, in the training unit (mm)
    pred = got.predict(_relabel(data["coarse"], "m", 1e-3), model_m)
    assert pred.attrs["units"] == "mm"
    np.testing.assert_allclose(pred.values, pred_ref.values, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(("coarse_units", "model_units", "named"), [
    ("mm", "K", "model 'K'"), ("kelvin", "mm", "coarse 'kelvin'"),
    ("mm", "mm/yr", "model 'mm/yr'"), ("m3", "m", "coarse 'm3'")])
def test_contradicting_units_are_refused_naming_both(data, coarse_units, model_units, named):
    with pytest.raises(ValueError) as err:
        _fit(_relabel(data["coarse"], coarse_units), _relabel(data["model"], model_units), data)
    msg = str(err.value)
    assert f"coarse is in {coarse_units!r}" in msg and f"model in {model_units!r}" in msg
    assert named in msg and "\n" not in msg
    with pytest.raises(ValueError, match="units differ"):
        baseline(_relabel(data["coarse"], coarse_units), _relabel(data["model"], model_units),
                 mask=data["mask"])


def test_predict_refuses_fields_in_a_unit_foreign_to_training(data):
    fitted = _fit(data["coarse"], data["model"], data)
    with pytest.raises(ValueError, match="trained on fields in 'mm', coarse and model are in "
                                         "'K'"):
        fitted.predict(_relabel(data["coarse"], "K"), _relabel(data["model"], "K"))


def test_a_missing_label_is_taken_as_given():
    assert common_units(None, "mm") == (1.0, "mm")
    assert common_units("m", "") == (1.0, "m")
    assert common_units(None, None) == (1.0, None)


def test_the_training_unit_travels_with_the_checkpoint(data, tmp_path):
    from jaxgeo.downscale import Downscaler

    fitted = _fit(data["coarse"], data["model"], data, checkpoint_dir=tmp_path / "ckpt")
    loaded = Downscaler.load(tmp_path / "ckpt", mask=data["mask"])
    assert loaded.units == "mm"
    ref = fitted.predict(data["coarse"], data["model"])
    got = loaded.predict(_relabel(data["coarse"], "m", 1e-3), _relabel(data["model"], "cm", 0.1))
    assert got.attrs["units"] == "mm"
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="trained on fields in 'mm'"):
        loaded.predict(_relabel(data["coarse"], "K"), _relabel(data["model"], "K"))
