"""Execute notebooks/troposphere.ipynb at small size and check what it computes."""

import json
import os
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "troposphere.ipynb"


@pytest.mark.shared_data
def test_troposphere_notebook_runs(shared_data, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("JAXGEO_NB_SMALL", "1")
    monkeypatch.setenv("JAXGEO_SHARED_DATA", str(shared_data))
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    text = "".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for out in cell.get("outputs", []))
    line = next(ln for ln in text.splitlines() if ln.startswith("SUMMARY "))
    summary = json.loads(line[len("SUMMARY "):])
    # the autodiff gradient agrees with a central finite difference (1 m step)
    assert summary["dzwd_dh_m_per_m"] == pytest.approx(summary["finite_difference"], rel=1e-5)
    assert summary["dzwd_dh_m_per_m"] < 0  # ZWD decreases with height
    # the prior-regularised estimate is closer to the truth than the raw observations
    assert summary["rms_est_m"] < summary["rms_obs_m"]
    assert os.environ["JAXGEO_NB_SMALL"] == "1"
