"""Execute notebooks/grace_l2.ipynb on a few real months at a coarse grid."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "grace_l2.ipynb"


@pytest.mark.shared_data
def test_grace_notebook_runs(shared_data, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("GRACE_NB_MONTHS", "14")
    monkeypatch.setenv("GRACE_NB_RES", "2.0")
    monkeypatch.setenv("GRACE_NB_DATA", str(shared_data / "grace-l2"))
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "not found" not in text
    # oracle: the Amazon seasonal cycle is large (published basin-average 200–300 mm);
    # 14 months at 2° only need to land in a loose range
    amp = float(text.split("annual amplitude ")[1].split(" mm")[0])
    assert 100.0 < amp < 500.0
    # cap averaging (nearly) preserves the global mean: the discrete caps' varying
    # normalisation changes it by far less than 0.01 mm for fields of hundreds of mm
    line = next(ln for ln in text.splitlines() if ln.startswith("global mean before"))
    before, after = (float(x) for x in line.split(":")[1].split())
    assert abs(before - after) < 1e-2
