"""Saving and loading a trained patch network (the published method's peer)."""

import json

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo.downscale import CheckpointError, PatchConfig, PatchDownscaler, fit_patches

RES = 15.0
# one stage of one block, 4 × 4 patches: the pipeline of the published network, tiny
TINY = PatchConfig(patch_size=4, batch=8, epochs=1, seed=5, max_patches_per_epoch=8,
                   widths=(2,), blocks=1, predict_batch=32)


@pytest.fixture(scope="module")
def trained():
    grid = Grid.regular(RES)
    rng = np.random.default_rng(1)
    mask = np.zeros(grid.shape, bool)
    mask[3:9, 2:20] = rng.random((6, 18)) < 0.7
    coords = {"time": xr.date_range("2004-01-15", periods=2, freq="MS"),
              **grid.to_xarray_coords()}
    model = rng.standard_normal((2,) + grid.shape) * 40.0
    coarse = model + 8.0 * rng.standard_normal(model.shape)

    def da(v, units):
        return xr.DataArray(np.where(mask, v, np.nan), dims=("time", "lat", "lon"),
                            coords=coords, attrs={"units": units})

    feats = xr.Dataset({"precipitation": da(rng.random(model.shape) * 90, "mm/month")})
    data = (da(coarse, "mm"), da(model, "mm"), feats)
    mask_da = xr.DataArray(mask, dims=("lat", "lon"), coords=grid.to_xarray_coords())
    return fit_patches(data[0], data[1], mask=mask_da, features=feats, config=TINY), data, mask


def test_loaded_network_predicts_as_the_trained_one(trained, tmp_path):
    down, data, mask = trained
    path = down.save(tmp_path / "net")
    back = PatchDownscaler.load(path, mask=mask)
    np.testing.assert_array_equal(back.predict(*data).values, down.predict(*data).values)
    assert back.config == down.config and back.scalers == down.scalers
    assert back.grid == down.grid and np.array_equal(back.mask, down.mask)
    assert (back.units, back.feature_units) == ("mm", ("mm/month",))
    assert back.history == down.history and back.parameters == down.parameters
    # the settings are readable JSON, as RunSettings' are
    meta = json.loads(next(path.rglob("meta/metadata")).read_text())
    assert meta["format"] == "jaxgeo.downscale.patch/1" and meta["config"]["patch_size"] == 4


def test_save_is_atomic_and_never_replaces_foreign_folders(trained, tmp_path):
    down, _, _ = trained
    path = down.save(tmp_path / "net")
    before = sorted(p.name for p in path.rglob("*"))
    with pytest.raises(FileExistsError):
        down.save(path, overwrite=False)
    assert sorted(p.name for p in path.rglob("*")) == before
    down.save(path)  # a folder jaxgeo wrote is replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        down.save(foreign)
    assert (foreign / "notes.txt").read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir() if "jaxgeo-tmp" in p.name] == []


def _one_line(exc_info, *words):
    msg = str(exc_info.value)
    assert "\n" not in msg and len(msg) < 400, msg
    for w in words:
        assert w in msg, msg


def test_corrupted_and_foreign_folders_are_one_clear_error(trained, tmp_path):
    down, _, mask = trained
    path = down.save(tmp_path / "net")
    # damaged array files
    bad = tmp_path / "bad"
    down.save(bad)
    for f in (bad / "0" / "state").rglob("*"):
        if f.is_file() and f.parent.name == "d":
            f.write_bytes(b"garbage")
    with pytest.raises(CheckpointError) as e:
        PatchDownscaler.load(bad)
    _one_line(e, str(bad), "corrupted")
    # unreadable settings
    meta = next(path.rglob("meta/metadata"))
    text = meta.read_text()
    meta.write_text(text[: len(text) // 2])
    with pytest.raises(CheckpointError) as e:
        PatchDownscaler.load(path)
    _one_line(e, str(path), "settings unreadable")
    # a network of fit (another format), an unknown format, settings that are invalid
    for change, words in ((dict(format="jaxgeo.downscale/2"), ("Downscaler.load",)),
                          (dict(format="other/9"), ("unknown", "'other/9'")),
                          (dict(config={"patch_size": 5}), ("invalid", "patch_size"))):
        meta.write_text(json.dumps({**json.loads(text), **change}))
        with pytest.raises(CheckpointError) as e:
            PatchDownscaler.load(path)
        _one_line(e, str(path), *words)
    meta.write_text(text)
    # a mask that is not the training's
    other = mask.copy()
    other[0, 0] = ~other[0, 0]
    with pytest.raises(ValueError, match="mask differs.*trained on") as e:
        PatchDownscaler.load(path, mask=other)
    _one_line(e, str(path))
    # not there, a file, an empty folder, a folder of something else
    with pytest.raises(FileNotFoundError, match="no saved patch network"):
        PatchDownscaler.load(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="is a file"):
        PatchDownscaler.load(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no complete saved network.*empty"):
        PatchDownscaler.load(tmp_path / "empty")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not a network")
    with pytest.raises(CheckpointError, match="no complete saved network"):
        PatchDownscaler.load(tmp_path / "other")
    # the intact copy still loads
    assert PatchDownscaler.load(path).config == down.config
