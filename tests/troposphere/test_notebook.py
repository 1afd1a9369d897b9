"""Execute notebooks/troposphere.ipynb at small size and check what it computes."""

import json
import os

import pytest
from support.notebooks import run_notebook


@pytest.mark.shared_data
def test_troposphere_notebook_runs(shared_data, monkeypatch):
    text = run_notebook("troposphere.ipynb", monkeypatch,
                        env={"JAXGEO_NB_SMALL": "1", "JAXGEO_DATA_DIR": str(shared_data)})
    line = next(ln for ln in text.splitlines() if ln.startswith("SUMMARY "))
    summary = json.loads(line[len("SUMMARY "):])
    # the autodiff gradient agrees with a central finite difference (1 m step)
    assert summary["dzwd_dh_m_per_m"] == pytest.approx(summary["finite_difference"], rel=1e-5)
    assert summary["dzwd_dh_m_per_m"] < 0  # ZWD decreases with height
    # the prior-regularised estimate is closer to the truth than the raw observations
    assert summary["rms_est_m"] < summary["rms_obs_m"]
    assert os.environ["JAXGEO_NB_SMALL"] == "1"
