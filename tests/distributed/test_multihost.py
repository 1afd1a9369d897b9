"""Multi-host path: two processes on localhost, joined by initialize_from_env, 2 CPU devices each.

Oracle: the same cap average computed here on one device. Tolerance 1e-13 relative: the
other processes compile the same program separately, so the last bit may differ.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from support.processes import free_port, run_peers, worker_env

from jaxgeo import Grid
from jaxgeo.distributed import initialize_from_env
from jaxgeo.sphere import CapAverage

WORKER = Path(__file__).parents[1] / "support" / "distributed_worker.py"
TIMEOUT_S = 120


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
    port = free_port()
    out = tmp_path / "result.npz"
    envs = [worker_env(JAX_NUM_CPU_DEVICES="2", JAXGEO_COORDINATOR=f"127.0.0.1:{port}",
                       JAXGEO_NUM_PROCESSES="2", JAXGEO_PROCESS_ID=str(pid))
            for pid in range(2)]
    logs = run_peers([sys.executable, str(WORKER), str(out)], envs, TIMEOUT_S)
    assert "process 0/2: 2 local of 4 devices, ok" in logs[0]
    assert "process 1/2: 2 local of 4 devices, ok" in logs[1]
    res = np.load(out)
    assert int(res["devices"]) == 4 and int(res["processes"]) == 2
    ref = np.asarray(CapAverage(Grid.regular(4.0), 12.0)(res["x"]))
    for key in ("months", "months_lat", "lat"):
        np.testing.assert_allclose(res[key], ref, rtol=1e-13, atol=1e-13, err_msg=key)
