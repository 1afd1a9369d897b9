"""Execute notebooks/grace_l2.ipynb on a few real months at a coarse grid."""

import pytest
from support.notebooks import run_notebook


@pytest.mark.shared_data
def test_grace_notebook_runs(shared_data, monkeypatch):
    text = run_notebook("grace_l2.ipynb", monkeypatch, {
        "GRACE_NB_MONTHS": "14", "GRACE_NB_RES": "2.0",
        "GRACE_NB_DATA": str(shared_data / "grace-l2")})
    assert "not found" not in text
    # the Amazon seasonal cycle is large (194 mm basin mean, ~300 mm in a central box, on
    # all 231 months: jaxgeo.validation.grace); 14 months at 2° only need a loose range
    amp = float(text.split("annual amplitude ")[1].split(" mm")[0])
    assert 100.0 < amp < 500.0
    # cap averaging (nearly) preserves the global mean: the discrete caps' varying
    # normalisation changes it by far less than 0.01 mm for fields of hundreds of mm
    line = next(ln for ln in text.splitlines() if ln.startswith("global mean before"))
    before, after = (float(x) for x in line.split(":")[1].split())
    assert abs(before - after) < 1e-2
