"""Units of the features, one-sided unit labels and the spread guard of jaxgeo.downscale.

* each feature's ``units`` travels with the network; at predict time a contradicting label
  is converted (both water thicknesses: the prediction equals the one from the training
  unit, the oracle) or refused naming the feature and both units;
* one input labelled and its counterpart not: accepted, with a UserWarning naming it and
  the unit assumed;
* unlabelled or mislabelled data in another unit: refused by the spread guard
  (SPREAD_RATIO_LIMIT), naming the input and the ratio.
"""

import dataclasses
import re
import warnings

import numpy as np
import pytest
import xarray as xr
from support.downscale_data import tiny_experiment

from jaxgeo.cli import main
from jaxgeo.downscale import (
    SPREAD_RATIO_LIMIT,
    Downscaler,
    NetConfig,
    RunSettings,
    TrainConfig,
    baseline,
    fit,
)

NET = NetConfig(width=4, depth=1, blocks=1)
FEAT = "precipitation"


@pytest.fixture(scope="module")
def data():
    return tiny_experiment(8)


def _relabel(da, units, scale=1.0):
    out = da * scale
    out.attrs = {k: v for k, v in da.attrs.items() if k != "units"}
    if units is not None:
        out.attrs["units"] = units
    return out


def _feats(d, units, scale=1.0):
    return xr.Dataset({FEAT: _relabel(d["features"][FEAT], units, scale)})


def _fit(coarse, model, d, **kw):
    # the classical start: these tests are about the network's unit handling
    return fit(coarse, model, mask=d["mask"], radius_deg=15.0, net=NET, quiet=True,
               train=TrainConfig(epochs=1, batch_months=2), **{"start": "cap", **kw})


@pytest.fixture(scope="module")
def fitted(data, tmp_path_factory):
    """Trained with the feature in 'mm'; checkpointed."""
    ckpt = tmp_path_factory.mktemp("featunits") / "ckpt"
    return _fit(data["coarse"], data["model"], data, features=data["features"],
                checkpoint_dir=ckpt), ckpt


def _std(da, mask):
    """Oracle: area-weighted (cos latitude) std over the mask and all months."""
    w = np.broadcast_to(np.cos(np.deg2rad(da["lat"].values))[:, None], mask.shape)[mask]
    x = da.values[:, mask]
    return float(np.sqrt(np.cov(x.ravel(), aweights=np.tile(w, x.shape[0]), ddof=0)))


def _ratio_in(msg, prefix):
    """The ratio a message states after ``prefix`` ("1339x" or "1/1339 of") as a float."""
    m = re.match(re.escape(prefix) + r"(1/)?([0-9.e+]+)(x| of)", msg)
    assert m, msg
    return 1 / float(m.group(2)) if m.group(1) else float(m.group(2))


def _no_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        return call()


# --- 1. feature units recorded, converted or refused --------------------------------------

def test_feature_units_travel_with_the_settings_and_the_checkpoint(data, fitted):
    ds, ckpt = fitted
    assert ds.settings.feature_units == ("mm",)
    loaded = Downscaler.load(ckpt, mask=data["mask"])
    assert loaded.settings.feature_units == ("mm",)
    assert RunSettings.from_dict(ds.settings.to_dict()) == ds.settings
    # a checkpoint written before feature units were stored: unknown, not an error
    old = {k: v for k, v in ds.settings.to_dict().items() if k != "feature_units"}
    assert RunSettings.from_dict(old).feature_units == ()
    assert RunSettings.from_dict(old).difference(ds.settings) is None


def test_resuming_with_relabelled_features(data, tmp_path):
    """Same values under an equivalent label resume; values in another unit are refused."""
    from jaxgeo.downscale import CheckpointError

    ckpt = tmp_path / "ckpt"
    _fit(data["coarse"], data["model"], data, features=data["features"], checkpoint_dir=ckpt)
    again = fit(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0, net=NET,
                quiet=True, train=TrainConfig(epochs=2, batch_months=2),
                features=_feats(data, "kg m-2"), checkpoint_dir=ckpt, start="cap")
    assert again.settings.feature_units == ("kg m-2",)
    with pytest.raises(CheckpointError, match="'norm' differs"):
        _fit(data["coarse"], data["model"], data, features=_feats(data, "m", 1e-3),
             checkpoint_dir=ckpt)


@pytest.mark.parametrize(("units", "scale"), [
    ("m", 1e-3), ("cm", 0.1), ("kg m-2", 1.0), ("millimetres of water equivalent", 1.0)])
def test_a_feature_in_another_thickness_unit_is_converted(data, fitted, units, scale):
    ds, _ = fitted
    ref = ds.predict(data["coarse"], data["model"], data["features"])
    got = _no_warning(lambda: ds.predict(data["coarse"], data["model"],
                                         _feats(data, units, scale)))
    np.testing.assert_allclose(got.values, ref.values, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("units", ["K", "mm/day", "kg", "1"])
def test_a_feature_in_a_contradicting_unit_is_refused_naming_it(data, fitted, units):
    ds, ckpt = fitted
    for net in (ds, Downscaler.load(ckpt, mask=data["mask"])):
        with pytest.raises(ValueError) as err:
            net.predict(data["coarse"], data["model"], _feats(data, units))
        msg = str(err.value)
        assert f"feature {FEAT!r}" in msg and "'mm'" in msg and repr(units) in msg
        assert "\n" not in msg


def test_non_thickness_feature_units_must_match(data):
    """'mm/month' (a rate) is not converted to 'm/month': refused; equal labels pass."""
    ds = _fit(data["coarse"], data["model"], data, features=_feats(data, "mm/month"))
    assert ds.settings.feature_units == ("mm/month",)
    _no_warning(lambda: ds.predict(data["coarse"], data["model"], _feats(data, "mm/month")))
    with pytest.raises(ValueError, match=r"feature 'precipitation': units differ: the network "
                                         r"was trained on 'mm/month', it is now in 'm/month'"):
        ds.predict(data["coarse"], data["model"], _feats(data, "m/month", 1e-3))


# --- 2. one side labelled: accepted with a warning naming the input and the unit -----------

def test_one_sided_labels_warn_and_keep_the_result(data, fitted):
    ds, _ = fitted
    ref = ds.predict(data["coarse"], data["model"], data["features"])
    with pytest.warns(UserWarning, match=r"no 'units' attribute on feature 'precipitation': "
                                         r"taken to be in 'mm'"):
        got = ds.predict(data["coarse"], data["model"], _feats(data, None))
    np.testing.assert_array_equal(got.values, ref.values)
    with pytest.warns(UserWarning, match=r"no 'units' attribute on coarse and model: taken "
                                         r"to be in 'mm'"):
        got = ds.predict(_relabel(data["coarse"], None), _relabel(data["model"], None),
                         data["features"])
    np.testing.assert_array_equal(got.values, ref.values)
    # an old checkpoint (training labels unknown) and labelled features
    old = Downscaler(ds.net, dataclasses.replace(ds.settings, feature_units=()), ds.mask,
                     units=ds.units)
    with pytest.warns(UserWarning, match=r"on the training's feature 'precipitation': taken "
                                         r"to be in 'mm'"):
        got = old.predict(data["coarse"], data["model"], data["features"])
    np.testing.assert_array_equal(got.values, ref.values)


@pytest.mark.parametrize(("coarse_units", "model_units", "missing", "assumed"), [
    ("mm", None, "model", "'mm' like coarse"), (None, "mm", "coarse", "'mm' like model")])
def test_coarse_or_model_unlabelled_warns(data, coarse_units, model_units, missing, assumed):
    c, m = _relabel(data["coarse"], coarse_units), _relabel(data["model"], model_units)
    ref = baseline(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0)
    with pytest.warns(UserWarning, match=f"no 'units' attribute on {missing}: taken to be in "
                                         f"{assumed}"):
        got = baseline(c, m, mask=data["mask"], radius_deg=15.0)
    np.testing.assert_array_equal(got.values, ref.values)
    assert got.attrs["units"] == "mm"
    with pytest.warns(UserWarning, match=f"on {missing}"):
        assert _fit(c, m, data).units == "mm"


def test_no_warning_when_both_or_neither_are_labelled(data):
    _no_warning(lambda: baseline(data["coarse"], data["model"], mask=data["mask"]))
    _no_warning(lambda: baseline(_relabel(data["coarse"], None), _relabel(data["model"], None),
                                 mask=data["mask"]))


# --- 3. the spread guard: unlabelled or mislabelled data in another unit ------------------

def test_the_limit_is_a_documented_constant():
    import jaxgeo.downscale as dsmod

    assert SPREAD_RATIO_LIMIT == 30.0
    assert "SPREAD_RATIO_LIMIT" in dsmod.__all__


@pytest.mark.parametrize(("cu", "cs", "mu", "ms"), [
    (None, 1.0, None, 1e-3),   # model in m, nobody labelled
    (None, 1e-3, None, 1.0),   # coarse in m, nobody labelled
    ("mm", 1.0, "mm", 1e-3),   # model in m, labelled mm
    ("m", 1.0, "m", 1e-2),     # model in cm, labelled m
    ("mm", 1.0, None, 1e-3)])  # model in m, unlabelled (warned, then refused)
def test_fit_and_baseline_refuse_coarse_and_model_of_different_spread(data, cu, cs, mu, ms):
    c, m = _relabel(data["coarse"], cu, cs), _relabel(data["model"], mu, ms)
    mask = data["mask"].values
    oracle = _std(c, mask) / _std(m, mask)
    assert not 1 / 30 <= oracle <= 30
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for call in (lambda: _fit(c, m, data), lambda: baseline(c, m, mask=data["mask"])):
            with pytest.raises(ValueError) as err:
                call()
            msg = str(err.value)
            got = _ratio_in(msg, "coarse and model differ in spread: the coarse field's is ")
            assert got == pytest.approx(oracle, rel=5e-3) and "the model's" in msg
            assert "a different unit?" in msg and "\n" not in msg


@pytest.mark.parametrize(("units", "scale", "ratio"), [
    (None, 1e3, "1000x"),         # unlabelled, in micrometres
    (None, 1e-3, "1/1000 of"),    # unlabelled, in metres
    ("mm", 1e-3, "1/1000 of"),    # mislabelled: metres called mm
    ("m", 1.0, "1000x")])         # mislabelled: mm called m (converted ×1000, then refused)
def test_predict_refuses_a_feature_of_implausible_spread(data, fitted, units, scale, ratio):
    ds, _ = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError) as err:
            ds.predict(data["coarse"], data["model"], _feats(data, units, scale))
    msg = str(err.value)
    assert msg.startswith(f"feature 'precipitation': spread {ratio} the training's"), msg
    assert "a different unit?" in msg and "\n" not in msg


@pytest.mark.parametrize(("units", "scale", "ratio"), [
    (None, 1e-3, "1/1000 of"), ("mm", 1e-3, "1/1000 of"), ("m", 1.0, "1000x")])
def test_predict_refuses_fields_of_implausible_spread(data, fitted, units, scale, ratio):
    """Coarse and model both off by the same factor: consistent with each other, not with
    the training."""
    ds, _ = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError) as err:
            ds.predict(_relabel(data["coarse"], units, scale),
                       _relabel(data["model"], units, scale), data["features"])
    msg = str(err.value)
    assert msg.startswith(f"model: spread {ratio} the training's"), msg


def test_plausible_inputs_pass_the_guard(data, fitted):
    """No false alarm: one month, a few months, the training months."""
    ds, _ = fitted
    for sl in (slice(3, 4), slice(0, 1), slice(2, 5), slice(None)):
        d = {k: (v.isel(time=sl) if "time" in v.dims else v) for k, v in data.items()}
        out = _no_warning(lambda d=d: ds.predict(d["coarse"], d["model"], d["features"]))
        assert np.isfinite(out.values[:, data["mask"].values]).all()


def test_a_uniform_feature_over_a_short_window_is_not_refused(data):
    """A broadcast index (uniform over the mask each month) spreads far less over two months
    than over the training's eight: accepted; the same in another unit (×1000) is refused."""
    index = data["features"][FEAT] * 0 + np.array([0, 100] * 4)[:, None, None]
    index.attrs = {}
    ds = _fit(data["coarse"], data["model"], data, features=xr.Dataset({"index": index}))
    two = {k: (v.isel(time=slice(2, 4)) if "time" in v.dims else v) for k, v in data.items()}
    short = index.isel(time=slice(2, 4)) * 0 + np.array([50.0, 50.5])[:, None, None]
    _no_warning(lambda: ds.predict(two["coarse"], two["model"], xr.Dataset({"index": short})))
    with pytest.raises(ValueError, match=r"feature 'index': spread 1000x the training's"):
        ds.predict(data["coarse"], data["model"], xr.Dataset({"index": index * 1e3}))


def test_cli_prints_the_spread_error_and_the_unit_warning_as_one_line(tmp_path, capsys):
    ex = tiny_experiment(8, res_deg=11.25)
    _relabel(ex["coarse"], None).to_dataset(name="tws").to_netcdf(tmp_path / "grace.nc")
    _relabel(ex["model"], None, 1e-3).to_dataset(name="tws").to_netcdf(tmp_path / "model_m.nc")
    _relabel(ex["model"], None).to_dataset(name="tws").to_netcdf(tmp_path / "model.nc")
    ex["coarse"].to_dataset(name="tws").to_netcdf(tmp_path / "grace_mm.nc")
    out = tmp_path / "out.nc"

    def run(coarse, model):
        return main(["downscale", "fit", "--coarse", str(tmp_path / coarse), "--model",
                     str(tmp_path / model), "--out", str(out), "--epochs", "1",
                     "--radius-deg", "20", "--quiet", "--no-noise2self", "--start", "cap"])

    assert run("grace.nc", "model_m.nc") == 2
    err = capsys.readouterr().err
    prefix = "jaxgeo downscale fit: error: coarse and model differ in spread: the coarse "
    oracle = _std(ex["coarse"], ex["mask"].values) / _std(ex["model"] * 1e-3, ex["mask"].values)
    assert _ratio_in(err, prefix + "field's is ") == pytest.approx(oracle, rel=5e-3)
    assert err.count("\n") == 1
    assert not out.exists()
    assert run("grace_mm.nc", "model.nc") == 0
    err = capsys.readouterr().err
    assert err == ("jaxgeo downscale fit: warning: no 'units' attribute on model: taken to be "
                   "in 'mm' like coarse\n")
    with xr.open_dataset(out) as ds:
        assert ds["tws_downscaled"].attrs["units"] == "mm"


@pytest.mark.parametrize("which", ["model", "feature"])
@pytest.mark.parametrize("value", [0.0, 250.0])
def test_a_constant_input_is_refused_naming_it(data, which, value):
    """Normalising a constant input divided by round-off (scale floored at 1e-12)."""
    const = data["model"] * 0 + value
    const.attrs = dict(data["model"].attrs)
    model, feats = data["model"], _feats(data, "mm")
    if which == "model":
        model, named = const, "the model field"
    else:
        feats = feats.assign({FEAT: const})
        named = f"feature {FEAT!r}"
    with pytest.raises(ValueError, match=rf"{re.escape(named)} is constant over the mask and "
                                         r"all months"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fit(data["coarse"], model, data, features=feats)
