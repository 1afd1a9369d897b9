"""Times of the downscaling inputs (months unique, increasing, not NaT) and settings that
name themselves when invalid."""

import numpy as np
import pytest
from support.downscale_data import tiny_experiment

from jaxgeo.downscale import LossConfig, TrainConfig, baseline, network_inputs


@pytest.fixture(scope="module")
def data():
    return tiny_experiment(8)


def _with_times(d, times):
    return [d[k].assign_coords(time=np.asarray(times, "datetime64[ns]"))
            for k in ("coarse", "model")]


def _months(*labels):
    return np.array(labels, "datetime64[M]").astype("datetime64[ns]")


BASE = ["2003-01", "2003-02", "2003-03", "2003-04", "2003-05", "2003-06", "2003-07", "2003-08"]


@pytest.mark.parametrize(("times", "pattern"), [
    # the same timestamp twice
    (BASE[:3] + ["2003-03"] + BASE[4:], r"coarse has month 2003-03 2 times \(indices 2, 3\)"),
    # two different days of one month (e.g. a mid-month and a start-of-month label)
    (None, r"coarse has month 2003-02 2 times \(indices 1, 2\)"),
    # months out of order
    (BASE[:3] + ["2003-05", "2003-04"] + BASE[5:], r"month 2003-04 \(index 4\) follows "
                                                     r"2003-05"),
    # NaT
    (BASE[:5] + ["NaT"] + BASE[6:], r"coarse time contains NaT .*index 5"),
])
def test_bad_times_are_refused_naming_the_month(data, times, pattern):
    if times is None:
        t = _months(*BASE).copy()
        t[2] = np.datetime64("2003-02-15", "ns")
        t[3:] = _months(*BASE[2:7])
        times = t
    else:
        times = np.array(times, "datetime64[M]").astype("datetime64[ns]")
    coarse, model = _with_times(data, times)
    for call in (lambda: baseline(coarse, model, mask=data["mask"], radius_deg=15.0),
                 lambda: network_inputs(coarse, model, mask=data["mask"], radius_deg=15.0)):
        with pytest.raises(ValueError, match=pattern) as err:
            call()
        assert "\n" not in str(err.value)


def test_duplicated_month_in_a_feature_is_refused(data):
    feats = data["features"].assign_coords(
        time=_months(*(BASE[:7] + ["2003-07"])))
    coarse, model = data["coarse"], data["model"]
    with pytest.raises(ValueError, match=r"feature 'precipitation' has month 2003-07 2 times"):
        network_inputs(coarse, model, mask=data["mask"], features=feats, radius_deg=15.0)


def test_good_times_still_pass(data):
    out = baseline(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0)
    assert out.sizes["time"] == 8


@pytest.mark.parametrize(("make", "named"), [
    (lambda: TrainConfig(seed=-1), "seed"),
    (lambda: TrainConfig(seed=1.5), "seed"),
    (lambda: TrainConfig(learning_rate=float("inf")),
     "learning_rate"),
    (lambda: LossConfig(observation_half_width_km=-5.0), "observation_half_width_km"),
    (lambda: LossConfig(targets_resolution_deg=float("nan")), "targets_resolution_deg"),
    (lambda: LossConfig(cap_weight=-1.0),
     "cap_weight"),
])
def test_bad_settings_name_the_setting(make, named):
    with pytest.raises(ValueError, match=named):
        make()


def test_model_tendency_refuses_a_gap_in_the_months(data):
    times = _months(*(BASE[:4] + ["2003-06", "2003-07", "2003-08", "2003-09"]))
    coarse, model = _with_times(data, times)
    with pytest.raises(ValueError, match=r"consecutive months: 2003-06 \(index 4\) follows "
                                         r"2003-04"):
        network_inputs(coarse, model, mask=data["mask"], radius_deg=15.0, model_tendency=True)
    network_inputs(coarse, model, mask=data["mask"], radius_deg=15.0)  # no tendency: fine


def test_noise2self_with_too_few_months_names_noise2self(data):
    with pytest.raises(ValueError, match="noise2self needs at least 12 months.*got 8"):
        network_inputs(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0,
                       noise2self=True)
