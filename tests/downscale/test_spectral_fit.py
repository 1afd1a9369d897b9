"""``fit`` and ``jaxgeo downscale fit`` with the spectral consistency term."""

import json

import numpy as np
import pytest
import xarray as xr
from support.downscale_data import tiny_experiment

import jaxgeo.downscale
from jaxgeo.cli import main
from jaxgeo.downscale import LossConfig, NetConfig, RunSettings, TrainConfig, fit


@pytest.mark.slow  # ~5 s (a network compile); bench_downscale_spectral.py runs this path
def test_fit_trains_with_the_spectral_term_and_stores_it():
    d = tiny_experiment(8)
    loss = LossConfig(cap_weight=0.0, spectral_weight=1.0, spectral_lmax=10,
                      observation_half_width_km=None)
    fitted = fit(d["coarse"], d["model"], mask=d["mask"], radius_deg=15.0, noise2self=False,
                 net=NetConfig(width=4, depth=1, blocks=1), loss=loss,
                 train=TrainConfig(epochs=1, batch_months=4), quiet=True)
    assert [set(h) for h in fitted.history] == [{"cap", "mae_decorrelation", "spectral"}] * 2
    assert all(np.isfinite(h["spectral"]) and h["spectral"] > 0 for h in fitted.history)
    back = RunSettings.from_dict(json.loads(json.dumps(fitted.settings.to_dict())))
    assert back.loss == loss and back.difference(fitted.settings) is None


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("spectral_cli")
    data = tiny_experiment(8)
    xr.Dataset({"tws": data["coarse"]}).to_netcdf(d / "grace.nc")
    xr.Dataset({"tws": data["model"]}).to_netcdf(d / "model.nc")
    return d


class _Stop(Exception):
    pass


def test_cli_flags_reach_the_loss(files, monkeypatch):
    seen = {}

    def fake_fit(*args, loss, **kwargs):
        seen["loss"] = loss
        raise _Stop

    monkeypatch.setattr(jaxgeo.downscale, "fit", fake_fit)
    with pytest.raises(_Stop):
        main(["downscale", "fit", "--coarse", str(files / "grace.nc"), "--model",
              str(files / "model.nc"), "--out", str(files / "out.nc"),
              "--spectral-weight", "0.5", "--cap-weight", "0"])
    assert (seen["loss"].spectral_weight, seen["loss"].cap_weight) == (0.5, 0.0)
    assert seen["loss"].cap_power == 2  # the rest stays fit's default
    assert not (files / "out.nc").exists()


@pytest.mark.parametrize(("flag", "value"), [("--spectral-weight", "-1"),
                                             ("--spectral-weight", "nan"),
                                             ("--cap-weight", "x")])
def test_cli_bad_weight_is_a_one_line_usage_error(files, capsys, flag, value):
    with pytest.raises(SystemExit) as err:
        main(["downscale", "fit", "--coarse", str(files / "grace.nc"), "--model",
              str(files / "model.nc"), "--out", str(files / "bad.nc"), flag, value])
    assert err.value.code == 2
    msg = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"argument {flag}" in msg and value in msg
    assert not (files / "bad.nc").exists()
