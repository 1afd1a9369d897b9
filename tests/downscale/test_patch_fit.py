"""The published patch method end to end on a tiny grid; its network at the published widths."""

import dataclasses

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.downscale import PatchConfig, fit_patches
from jaxgeo.downscale._patchnet import PatchNet, count_parameters

RES = 10.0
# one stage of one block: the pipeline of the published network, compiled in a few seconds
TINY = PatchConfig(patch_size=8, batch=16, epochs=1, seed=3, max_patches_per_epoch=16,
                   widths=(4,), blocks=1, predict_batch=64)


def test_parameter_count_at_the_published_widths():
    """9 inputs (GRACE, WGHM, 5 forcings, lat, lon): Keras reports 671,937 (~672 k)."""
    cfg = PatchConfig()
    assert (cfg.patch_size, cfg.batch, cfg.learning_rate, cfg.epochs, cfg.widths,
            cfg.blocks, cfg.centre, cfg.bn_momentum) == (32, 512, 1e-3, 150, (16, 32, 64), 3,
                                                         15, 0.99)
    trainable, stats = count_parameters(PatchNet.create(9, cfg.widths, cfg.blocks))
    assert (trainable, stats) == (669_249, 2_688)
    assert trainable + stats == 671_937


def _dataset(nt=3, seed=0):
    grid = Grid.regular(RES)
    rng = np.random.default_rng(seed)
    mask = np.zeros(grid.shape, bool)
    mask[4:15, 3:30] = rng.random((11, 27)) < 0.7
    coords = {"time": xr.date_range("2003-01-15", periods=nt, freq="MS"),
              **grid.to_xarray_coords()}
    dims = ("time", "lat", "lon")
    model = rng.standard_normal((nt,) + grid.shape) * 50.0
    coarse = model + 10.0 * rng.standard_normal(model.shape)

    def da(v, units):
        return xr.DataArray(np.where(mask, v, np.nan), dims=dims, coords=coords,
                            attrs={"units": units})

    feats = xr.Dataset({"precipitation": da(rng.random(model.shape) * 100, "mm/month")})
    return da(coarse, "mm"), da(model, "mm"), xr.DataArray(mask, dims=("lat", "lon"),
                                                           coords=grid.to_xarray_coords()), feats


@pytest.fixture(scope="module")
def trained():
    coarse, model, mask, feats = _dataset()
    seen = []
    ds = fit_patches(coarse, model, mask=mask, features=feats, config=TINY,
                     callback=lambda e, d: seen.append((e, d)))
    return ds, (coarse, model, mask, feats), seen


def test_fit_predict_shape_units_and_nan_outside_mask(trained):
    ds, (coarse, model, mask, feats), seen = trained
    out = ds.predict(coarse, model, feats)
    assert out.dims == ("time", "lat", "lon") and out.shape == coarse.shape
    m = mask.values
    assert np.isnan(out.values[:, ~m]).all()
    assert np.isfinite(out.values[:, m]).all()
    assert out.attrs["units"] == "mm"
    assert [e for e, _ in seen] == [1] and seen[0][1] is ds
    rec = ds.history[0]
    assert rec["epoch"] == 1 and rec["patches"] == 16 and np.isfinite(rec["loss"])
    # months are independent: predicting one month alone gives the same values
    one = ds.predict(coarse.isel(time=[1]), model.isel(time=[1]), feats.isel(time=[1]))
    np.testing.assert_allclose(one.values[0], out.values[1], rtol=1e-5, atol=1e-4)


def test_predict_refuses_other_grid_and_features(trained):
    ds, (coarse, model, mask, feats), _ = trained
    with pytest.raises(ValueError, match="features differ from training"):
        ds.predict(coarse, model)
    with pytest.raises(ValueError, match="features differ from training"):
        ds.predict(coarse, model, feats.rename(precipitation="rain"))
    coarser = [v.coarsen(lat=2, lon=2).mean() for v in (coarse, model, feats)]
    with pytest.raises(ValueError, match="grid"):
        ds.predict(*coarser)


@pytest.mark.parametrize("change, field", [
    ({"patch_size": 12}, "patch_size"),  # not a multiple of 2**3 (three stages)
    ({"patch_size": 0}, "patch_size"),
    ({"batch": 0}, "batch"),
    ({"epochs": 1.5}, "epochs"),
    ({"max_patches_per_epoch": 0}, "max_patches_per_epoch"),
    ({"learning_rate": -1e-3}, "learning_rate"),
    ({"learning_rate": float("nan")}, "learning_rate"),
    ({"seed": -1}, "seed"),
    ({"widths": ()}, "widths"),
    ({"bn_momentum": 1.0}, "bn_momentum"),
])
def test_config_refuses_bad_values(change, field):
    with pytest.raises(ValueError, match=rf"PatchConfig\.{field}"):
        dataclasses.replace(PatchConfig(), **change)


def test_fit_refuses_too_few_patches_and_constant_channels():
    coarse, model, mask, feats = _dataset(nt=2)
    with pytest.raises(ValueError, match=r"fewer than one batch of 4096"):
        fit_patches(coarse, model, mask=mask, config=dataclasses.replace(TINY, batch=4096,
                                                                         max_patches_per_epoch=None))
    flat = feats.assign(precipitation=feats.precipitation * 0 + 1.0)
    with pytest.raises(ValueError, match="precipitation is constant"):
        fit_patches(coarse, model, mask=mask, features=flat, config=TINY)


def test_predict_converts_thickness_units_and_refuses_others(trained):
    ds, (coarse, model, mask, feats), _ = trained
    in_mm = ds.predict(coarse, model, feats)
    metres = [v / 1000.0 for v in (coarse, model)]
    for v in metres:
        v.attrs["units"] = "m"
    np.testing.assert_allclose(ds.predict(*metres, feats).values, in_mm.values, rtol=1e-5,
                               atol=1e-3, equal_nan=True)
    kelvin = [v.assign_attrs(units="K") for v in (coarse, model)]
    with pytest.raises(ValueError, match="units differ.*'mm'.*'K'"):
        ds.predict(*kelvin, feats)


def test_first_step_loss_is_the_published_formula_on_raw_labels(trained):
    """The first step's loss: the patch formula on GRACE and model patches in mm (not scaled)."""
    import jax.numpy as jnp
    from flax import nnx

    from jaxgeo.downscale._data import prepare
    from jaxgeo.downscale._patchdata import extract_patches, patch_scalers, stack_fields

    ds, (coarse, model, mask, feats), _ = trained
    cfg = ds.config  # one step: the epoch's loss is the first step's, before the update
    assert cfg.max_patches_per_epoch == cfg.batch
    fields = prepare(coarse, model, mask, feats)
    stack, valid, n_in = stack_fields(fields, patch_scalers(fields))
    ii, jj = np.nonzero(fields.mask)
    idx = np.random.default_rng([cfg.seed, 0]).permutation(3 * ii.size)[:cfg.batch]
    t, i, j = idx // ii.size, ii[idx % ii.size], jj[idx % ii.size]
    patches = np.asarray(extract_patches(jnp.asarray(stack), jnp.asarray(valid),
                                         *(jnp.asarray(v, jnp.int32) for v in (t, i, j)),
                                         cfg.patch_size), np.float64)
    c = cfg.centre
    np.testing.assert_allclose(patches[:, c, c, n_in], coarse.values[t, i, j], rtol=1e-6)
    np.testing.assert_allclose(patches[:, c, c, n_in + 1], model.values[t, i, j], rtol=1e-6)
    net = PatchNet.create(n_in, cfg.widths, cfg.blocks, cfg.bn_momentum, seed=cfg.seed)
    forward = nnx.jit(lambda net, x: net(x, train=True))
    pred = np.asarray(forward(net, jnp.asarray(patches[..., :n_in], jnp.float32)), np.float64)
    g, m = patches[..., n_in], patches[..., n_in + 1]
    expected = np.mean([abs(gk.mean() - yk.mean()) + np.mean(np.abs(mk - yk))
                        * (1 - np.corrcoef(mk.ravel(), yk.ravel())[0, 1])
                        for yk, gk, mk in zip(pred, g, m, strict=True)])
    np.testing.assert_allclose(ds.history[0]["loss"], expected, rtol=1e-4)
