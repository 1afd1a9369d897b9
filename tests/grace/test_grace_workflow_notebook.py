"""Execute notebooks/grace_workflow.ipynb, the worked example of issue 12, on three years of
the real CSR files at a coarse grid (skipped without ../shared)."""

import pytest
from support.notebooks import run_notebook


@pytest.mark.shared_data
def test_grace_workflow_notebook_runs(shared_data, monkeypatch, tmp_path):
    text = run_notebook("grace_workflow.ipynb", monkeypatch, {
        "GRACE_WF_DATA": str(shared_data / "grace-l2"), "GRACE_WF_YEARS": "2008-2010",
        "GRACE_WF_RES": "2.5", "GRACE_WF_LMAX": "60", "GRACE_WF_MODEL_RES": "1.0",
        "GRACE_WF_MODEL_YEARS": "2008-2009", "GRACE_WF_EPOCHS": "1",
        "GRACE_WF_WORK": str(tmp_path)}, timeout=300)
    assert "data: " in text and "the cells below do nothing" not in text
    # the Amazon's seasonal mass cycle is several hundred Gt (basin-mean amplitude ~190-240
    # mm over ~6 M km², jaxgeo.validation.grace); 3 years at 2.5° need only a loose range
    amazon = next(ln for ln in text.splitlines() if ln.startswith("Amazon"))
    amp = float(amazon.split("annual amplitude ")[1].split(" ± ")[0])
    assert 500 < amp < 2500
    gain = float(amazon.split("gain ")[1].split(":")[0])
    assert 1.0 < gain < 3.0
    # Greenland loses mass over 2008-2010 (-200 to -400 Gt/yr in the literature)
    greenland = next(ln for ln in text.splitlines() if ln.startswith("Greenland "))
    trend = float(greenland.split("trend ")[1].split(" ± ")[0])
    assert -600 < trend < -100
    # the formal monthly errors are tens of Gt for basins of millions of km²
    err = float(amazon.split("(median) ")[1].split(" Gt")[0])
    assert 1 < err < 200
    assert (tmp_path / "downscaled.nc").is_file() and (tmp_path / "model_on_grace.nc").is_file()
    assert "exit 0:" in text and "mask: land" in text
    assert "averaged over the GRACE spans" in text and "regridded conservatively" in text
