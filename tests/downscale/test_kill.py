"""A training process killed with SIGKILL resumes from its last checkpoint and ends where an
uninterrupted run ends (the process-level version of the in-process resume test)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.processes import worker_env

WORKER = Path(__file__).parents[1] / "support" / "downscale_kill_worker.py"
TOTAL_STEPS = 10 * (8 // 2)  # EPOCHS × steps per epoch in the worker


def _run(ckpt: Path, steps: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(WORKER), str(ckpt), str(steps), str(out)],
                          env=worker_env(), capture_output=True, text=True, timeout=300)


def _steps(path: Path) -> list[int]:
    return [int(s) for s in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkilled_training_resumes_to_the_uninterrupted_result(tmp_path):
    ref = _run(tmp_path / "ref", tmp_path / "ref.steps", tmp_path / "ref.npz")
    assert ref.returncode == 0, ref.stderr[-2000:]

    steps = tmp_path / "killed.steps"
    proc = subprocess.Popen([sys.executable, str(WORKER), str(tmp_path / "ckpt"), str(steps),
                             str(tmp_path / "never.npz")], env=worker_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while len(_steps(steps)) < 17 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = max(_steps(steps))
    assert proc.returncode == -signal.SIGKILL and killed_at < TOTAL_STEPS
    assert not (tmp_path / "never.npz").exists()

    resumed_steps = tmp_path / "resumed.steps"
    res = _run(tmp_path / "ckpt", resumed_steps, tmp_path / "resumed.npz")
    assert res.returncode == 0, res.stderr[-2000:]
    first = min(_steps(resumed_steps))
    # It restarts right after the last checkpoint (every 3 steps) at or before the kill,
    # never from scratch.
    assert 1 < first <= killed_at + 1 and (first - 1) % 3 == 0, (first, killed_at)
    a, b = np.load(tmp_path / "ref.npz"), np.load(tmp_path / "resumed.npz")
    assert int(a["steps"]) == TOTAL_STEPS and int(b["steps"]) == TOTAL_STEPS - (first - 1)
    weights = [k for k in a.files if k.startswith("arr_")]
    assert weights
    for k in weights:
        np.testing.assert_array_equal(a[k], b[k])
