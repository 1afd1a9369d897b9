"""Multi-host path: two processes on localhost, joined by initialize_from_env, 2 CPU devices each.

Oracle: the same cap average computed here on one device. Tolerance 1e-13 relative: the
other processes compile the same program separately, so the last bit may differ.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.distributed import initialize_from_env
from jaxgeo.sphere import CapAverage

WORKER = Path(__file__).with_name("_distributed_worker.py")
TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_initialize_from_env_single_process_and_errors():
    info = initialize_from_env({})
    assert info.num_processes == 1 and info.process_id == 0 and info.is_coordinator
    assert info.device_count == 8
    assert initialize_from_env({"JAXGEO_COORDINATOR": "h:1", "JAXGEO_NUM_PROCESSES": "1",
                                "JAXGEO_PROCESS_ID": "0"}).num_processes == 1
    with pytest.raises(ValueError, match="needs all of"):
        initialize_from_env({"JAXGEO_COORDINATOR": "127.0.0.1:1234"})
    with pytest.raises(ValueError, match="not in 0..1"):
        initialize_from_env({"JAXGEO_COORDINATOR": "h:1", "JAXGEO_NUM_PROCESSES": "2",
                             "JAXGEO_PROCESS_ID": "2"})
    with pytest.raises(ValueError, match="host:port"):
        initialize_from_env({"JAXGEO_COORDINATOR": "h", "JAXGEO_NUM_PROCESSES": "2",
                             "JAXGEO_PROCESS_ID": "0"})


def test_two_processes_on_localhost(tmp_path):
    port = _free_port()
    out = tmp_path / "result.npz"
    procs = []
    for pid in range(2):
        env = dict(os.environ, JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES="2",
                   JAXGEO_COORDINATOR=f"127.0.0.1:{port}", JAXGEO_NUM_PROCESSES="2",
                   JAXGEO_PROCESS_ID=str(pid))
        env.pop("XLA_FLAGS", None)
        procs.append(subprocess.Popen([sys.executable, str(WORKER), str(out)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=TIMEOUT_S)[0])
    finally:
        for p in procs:  # a hung peer must not outlive the test
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, log in zip(procs, logs, strict=True):
        assert p.returncode == 0, log[-3000:]
    assert "process 0/2: 2 local of 4 devices, ok" in logs[0]
    assert "process 1/2: 2 local of 4 devices, ok" in logs[1]
    res = np.load(out)
    assert int(res["devices"]) == 4 and int(res["processes"]) == 2
    ref = np.asarray(CapAverage(Grid.regular(4.0), 12.0)(res["x"]))
    for key in ("months", "months_lat", "lat"):
        np.testing.assert_allclose(res[key], ref, rtol=1e-13, atol=1e-13, err_msg=key)
