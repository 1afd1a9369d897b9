"""fit_ensemble: members trained in one program against separate ``fit`` runs (the oracle).

Member ``k`` with seed ``s_k`` must be the network ``fit`` trains with ``seed=s_k``: same
initial weights, same month order, same steps. The ensemble's step is ``vmap``-ed, which
turns each convolution into one grouped convolution over the members, so float32 rounding
differs; the weights agree to ``WEIGHT_ATOL`` = 1e-5 (one Adam step moves a weight by up to
the learning rate, 3e-3 = 300 × that) and the loss terms to 1e-5 relative. The predicted
spread and uncertainty are checked against the members' own ``predict`` and a brute-force
cap mean (``support.downscale_oracle``).
"""

import dataclasses

import jax
import numpy as np
import pytest
from flax import nnx
from support.downscale_data import tiny_experiment
from support.downscale_oracle import cap_mean

from jaxgeo.downscale import LossConfig, NetConfig, TrainConfig, fit, fit_ensemble

RES, RADIUS = 10.0, 25.0
NET = NetConfig(width=4, depth=0, blocks=1)
# 12 months in batches of 4, one epoch: 3 steps; the raw cap means (no smoothing) so that
# the brute-force oracle computes the data sigma
TRAIN = TrainConfig(epochs=1, batch_months=4, learning_rate=3e-3, seed=5)
LOSS = LossConfig(observation_half_width_km=None)
WEIGHT_ATOL, LOSS_RTOL = 1e-5, 1e-5


@pytest.fixture(scope="module")
def data():
    return tiny_experiment(12, res_deg=RES, seed=2)


def _kw(**kw):
    # the classical start with noise2self, whose held-out cap misfit is the data sigma
    return {"radius_deg": RADIUS, "net": NET, "loss": LOSS, "train": TRAIN, "quiet": True,
            "start": "cap", **kw}


@pytest.fixture(scope="module")
def ensemble(data):
    # batched over the members (the accelerators' default; CPU's is "unroll")
    return fit_ensemble(data["coarse"], data["model"], mask=data["mask"], members=2,
                        strategy="vmap", **_kw())


def _params(net):
    return [np.asarray(p) for p in jax.tree.leaves(nnx.state(net, nnx.Param))]


def _assert_same(net_a, net_b):
    for a, b in zip(_params(net_a), _params(net_b), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=WEIGHT_ATOL)


def test_member_equals_a_separate_fit_with_its_seed(data, ensemble):
    assert ensemble.seeds == (5, 6)
    ref = fit(data["coarse"], data["model"], mask=data["mask"],
              **_kw(train=dataclasses.replace(TRAIN, seed=6)))
    member = ensemble.member(1)
    _assert_same(member.net, ref.net)
    assert member.settings == ref.settings
    assert len(member.history) == len(ref.history) == 3
    for key in ref.history[0]:
        np.testing.assert_allclose([h[key] for h in member.history],
                                   [h[key] for h in ref.history], rtol=LOSS_RTOL, err_msg=key)
    # the members did train apart: their weights differ by far more than the tolerance
    assert max(float(np.max(np.abs(a - b))) for a, b in
               zip(_params(ensemble.nets[0]), _params(ensemble.nets[1]), strict=True)) \
        > 100 * WEIGHT_ATOL


@pytest.mark.slow  # a third compilation (shard_map over 2 devices); the suite's budget
def test_members_split_over_devices_equal_one_device(data, ensemble):
    # one member per device, unrolled (CPU's default): the same members as vmap on one
    mesh = jax.make_mesh((2,), ("months",), (jax.sharding.AxisType.Auto,),
                         devices=jax.devices()[:2])
    sharded = fit_ensemble(data["coarse"], data["model"], mask=data["mask"], seeds=(5, 6),
                           mesh=mesh, strategy="unroll", **_kw())
    assert sharded.nets[1] is not ensemble.nets[1]
    for k in range(2):
        _assert_same(sharded.nets[k], ensemble.nets[k])


def test_predict_mean_spread_and_uncertainty(data, ensemble):
    out = ensemble.predict(data["coarse"], data["model"])
    members = np.stack([ensemble.member(k).predict(data["coarse"], data["model"]).values
                        for k in range(2)])
    name = ensemble.member(0).predict(data["coarse"], data["model"]).name
    assert set(out.data_vars) == {name, f"{name}_spread", f"{name}_data_sigma",
                                  f"{name}_uncertainty"}
    mask = data["mask"].values
    np.testing.assert_allclose(out[name].values[:, mask], members.mean(0)[:, mask], rtol=1e-12)
    spread = np.abs(members[0] - members[1]) / np.sqrt(2)  # std, ddof=1, of two values
    np.testing.assert_allclose(out[f"{name}_spread"].values[:, mask], spread[:, mask],
                               rtol=1e-9, atol=1e-12)
    assert np.isnan(out[f"{name}_spread"].values[:, ~mask]).all()
    # data sigma (noise2self: blind inputs): RMS over the months of the held-out cap misfit
    mean = np.where(mask, members.mean(0), 0.0)
    coarse = np.where(mask, data["coarse"].values, 0.0)
    d = cap_mean(mean, RES, RADIUS, mask) - cap_mean(coarse, RES, RADIUS, mask)
    sigma = np.sqrt(np.mean(d**2, axis=0))
    np.testing.assert_allclose(out[f"{name}_data_sigma"].values[3][mask], sigma[mask],
                               rtol=1e-6)
    np.testing.assert_allclose(out[f"{name}_uncertainty"].values[:, mask], np.sqrt(
        spread**2 + sigma**2)[:, mask], rtol=1e-6)
    for v in out.data_vars:
        assert out[v].attrs["units"] == "mm" and out[v].attrs["long_name"]
    assert out.attrs["ensemble_seeds"] == [5, 6]


def test_bad_ensembles_are_named(data):
    c, m, mask = data["coarse"], data["model"], data["mask"]
    with pytest.raises(ValueError, match=r"members must be an integer ≥ 2 \(an ensemble\), "
                                         r"got 1"):
        fit_ensemble(c, m, mask=mask, members=1, **_kw())
    with pytest.raises(ValueError, match=r"seeds must differ .* got \[3, 3\]"):
        fit_ensemble(c, m, mask=mask, seeds=(3, 3), **_kw())
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        fit_ensemble(c, m, mask=mask, seeds=(0, -1), **_kw())
    with pytest.raises(ValueError, match=r"seeds must name at least 2 members, got \[4\]"):
        fit_ensemble(c, m, mask=mask, seeds=[4], **_kw())
    mesh = jax.make_mesh((8,), ("months",), (jax.sharding.AxisType.Auto,))
    with pytest.raises(ValueError, match="3 members cannot be split evenly over the 8 "
                                         "devices"):
        fit_ensemble(c, m, mask=mask, members=3, mesh=mesh, **_kw())
    with pytest.raises(TypeError, match="mesh must be a jax.sharding.Mesh, got int"):
        fit_ensemble(c, m, mask=mask, mesh=8, **_kw())
    with pytest.raises(ValueError, match="strategy must be 'auto', 'vmap' or 'unroll', got "
                                         "'pmap'"):
        fit_ensemble(c, m, mask=mask, strategy="pmap", **_kw())


def test_member_index_and_short_records_are_named(data, ensemble):
    with pytest.raises(IndexError, match="member 2 out of range: the ensemble has 2 members"):
        ensemble.member(2)
    # the data sigma needs a seasonal cycle: 11 months cannot be calibrated (noise2self
    # names it first: the blind inputs need 12 months too)
    with pytest.raises(ValueError, match="needs at least 12 months"):
        ensemble.predict(data["coarse"].isel(time=slice(0, 11)),
                         data["model"].isel(time=slice(0, 11)))
