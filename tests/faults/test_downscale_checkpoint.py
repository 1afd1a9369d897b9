"""Downscaling checkpoints under faults: damaged array files, a SIGKILL during the first
save, a checkpoint path that is a file, a loss that becomes non-finite."""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.downscale_data import tiny_experiment
from support.processes import worker_env

from jaxgeo.downscale import (
    CheckpointError,
    Downscaler,
    NetConfig,
    TrainConfig,
    TrainingDivergedError,
    fit,
)

NET = NetConfig(width=4, depth=1, blocks=1)
WORKER = Path(__file__).parents[1] / "support" / "downscale_faults_worker.py"


def _fit(d, ckpt, epochs=2, **train):
    return fit(d["coarse"], d["model"], mask=d["mask"], radius_deg=15.0, net=NET, quiet=True,
               train=TrainConfig(epochs=epochs, batch_months=2, checkpoint_every=2, **train),
               checkpoint_dir=ckpt)


@pytest.fixture(scope="module")
def data():
    return tiny_experiment(8)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """A checkpoint folder of 8 steps (steps 6 and 8 kept) and the network's prediction."""
    ckpt = tmp_path_factory.mktemp("ckpt") / "run"
    fitted = _fit(data, ckpt)
    return ckpt, fitted.predict(data["coarse"], data["model"]).values


def _flip_middle(path: Path, n: int = 8) -> None:
    """Invert ``n`` bytes in the middle of ``path`` without changing its size."""
    b = bytearray(path.read_bytes())
    size = len(b)
    for i in range(size // 2, min(size // 2 + n, size)):
        b[i] ^= 0xFF
    path.write_bytes(bytes(b))
    assert path.stat().st_size == size


def _flip_spread(path: Path, n: int = 64) -> None:
    """Invert one byte at ``n`` evenly spaced places of ``path`` (after its first tenth,
    past any header), without changing its size: some of them fall on array data
    whatever the file's internal layout."""
    b = bytearray(path.read_bytes())
    size = len(b)
    for i in range(size // 10, size, max(1, (size - size // 10) // n)):
        b[i] ^= 0xFF
    path.write_bytes(bytes(b))
    assert path.stat().st_size == size


def _array_files(step_dir: Path) -> list[Path]:
    """orbax's data files of the ``state`` item, largest first."""
    files = [p for p in (step_dir / "state").rglob("*") if p.is_file() and p.parent.name == "d"]
    assert files, f"no orbax data files under {step_dir}"
    return sorted(files, key=lambda p: -p.stat().st_size)


def test_checkpoint_records_a_checksum_per_array(trained):
    ckpt, _ = trained
    meta = json.loads((ckpt / "8" / "meta" / "metadata").read_text())
    assert meta["checksum"] == "sha256"
    names = set(meta["checksums"])
    assert any(n.startswith("net/") for n in names) and any(n.startswith("opt/") for n in names)
    assert all(len(h) == 64 for h in meta["checksums"].values())


# orbax's tensorstore callback may fire after a failed restore closed its event loop
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_flipped_bytes_in_an_array_file_are_a_checkpoint_error(trained, data, tmp_path):
    ckpt, ref = trained
    detected = 0
    for k, _ in enumerate(_array_files(ckpt / "8")):
        copy = tmp_path / f"c{k}"
        shutil.copytree(ckpt, copy)
        _flip_middle(_array_files(copy / "8")[k])
        try:
            pred = Downscaler.load(copy, mask=data["mask"]).predict(data["coarse"],
                                                                     data["model"]).values
        except CheckpointError as exc:
            msg = str(exc)
            assert "step 8" in msg and "corrupted" in msg and "\n" not in msg, msg
            detected += 1
        else:  # bytes that orbax never reads (index padding): the network is untouched
            np.testing.assert_array_equal(pred, ref)
    assert detected >= 1
    # the largest file holds weights: damage spread over it is always caught
    copy = tmp_path / "largest"
    shutil.copytree(ckpt, copy)
    _flip_spread(_array_files(copy / "8")[0])
    with pytest.raises(CheckpointError, match=r"step 8 .*corrupted"):
        Downscaler.load(copy, mask=data["mask"])


def test_resuming_from_a_damaged_checkpoint_is_a_checkpoint_error(trained, data, tmp_path):
    ckpt, _ = trained
    copy = tmp_path / "resume"
    shutil.copytree(ckpt, copy)
    _flip_spread(_array_files(copy / "8")[0])
    with pytest.raises(CheckpointError, match="step 8 is corrupted") as err:
        _fit(data, copy, epochs=3)  # would resume from step 8
    assert not isinstance(err.value, FloatingPointError)
    # nothing was overwritten: step 8 is still there for the user to inspect or delete
    assert sorted(p.name for p in copy.iterdir() if p.name.isdigit()) == ["6", "8"]


def test_checkpoints_without_checksums_still_load(trained, data, tmp_path):
    """Checkpoints written before checksums existed are read as before."""
    ckpt, ref = trained
    copy = tmp_path / "old"
    shutil.copytree(ckpt, copy)
    meta_file = copy / "8" / "meta" / "metadata"
    meta = json.loads(meta_file.read_text())
    del meta["checksum"], meta["checksums"]
    meta_file.write_text(json.dumps(meta))
    pred = Downscaler.load(copy, mask=data["mask"]).predict(data["coarse"], data["model"])
    np.testing.assert_array_equal(pred.values, ref)


def test_a_checkpoint_path_that_is_a_file_is_refused(data, tmp_path):
    f = tmp_path / "ckpt"
    f.write_text("not a folder")
    with pytest.raises(CheckpointError, match=f"{f}.* is a file"):
        _fit(data, f)
    assert f.read_text() == "not a folder"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_during_the_first_checkpoint_save_does_not_block_the_rerun(tmp_path):
    ckpt, marker = tmp_path / "ckpt", tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(WORKER), str(ckpt), str(marker), "hang"],
                            env=worker_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert marker.read_text().startswith("saving")
    # the killed save left only orbax's temporary folder, no complete step
    assert ckpt.is_dir() and not any(p.name.isdigit() for p in ckpt.iterdir())
    assert any(".orbax-checkpoint-tmp" in p.name for p in ckpt.iterdir())

    rerun = subprocess.run([sys.executable, str(WORKER), str(ckpt), str(marker)],
                           env=worker_env(), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert marker.read_text().split() == ["done", "8"]  # trained from scratch, all 8 steps
    # the stale temporary is gone (selection.json: the finished run's choice of output)
    assert sorted(p.name for p in ckpt.iterdir()) == ["6", "8", "selection.json"]


def test_non_finite_loss_is_one_clear_error_and_keeps_the_checkpoint(data, tmp_path):
    ckpt = tmp_path / "ckpt"
    with pytest.raises(TrainingDivergedError) as err:
        fit(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0, net=NET,
            quiet=True, checkpoint_dir=ckpt,
            train=TrainConfig(epochs=3, batch_months=2, checkpoint_every=1,
                              learning_rate=1e38))
    msg = str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, FloatingPointError)
    assert "\n" not in msg and "non-finite" in msg and "learning_rate" in msg, msg
    assert "at step 2 (epoch 1)" in msg and f"step 1 in {ckpt}, is kept" in msg, msg
    assert sorted(p.name for p in ckpt.iterdir()) == ["1"]
    # without a checkpoint folder the message says so
    with pytest.raises(TrainingDivergedError, match="no checkpoint was written"):
        fit(data["coarse"], data["model"], mask=data["mask"], radius_deg=15.0, net=NET,
            quiet=True, train=TrainConfig(epochs=1, batch_months=2, learning_rate=1e38))


def test_library_errors_of_many_lines_become_one(trained, data, monkeypatch):
    """orbax/tensorstore report a damaged array with its whole spec (dozens of lines): the
    CheckpointError keeps one line (this surfaced when flipped bytes hit compressed data)."""
    import jaxgeo.downscale._checkpoint as cp

    ckpt, _ = trained

    class Broken:
        def restore(self, *args, **kwargs):
            raise ValueError("FAILED_PRECONDITION: Error reading\n  'spec': {\n    'zstd'\n}")

        def latest_step(self):
            return 8

        def all_steps(self):
            return [8]

    monkeypatch.setattr(cp, "manager", lambda directory: Broken())
    with pytest.raises(CheckpointError) as info:
        Downscaler.load(ckpt, mask=data["mask"])
    msg = str(info.value)
    assert "\n" not in msg and "FAILED_PRECONDITION: Error reading 'spec'" in msg, msg
