"""Execute notebooks/cap_averaging.ipynb at 2° and check the numbers it prints."""

from support.notebooks import run_notebook


def test_cap_averaging_notebook(monkeypatch):
    text = run_notebook("cap_averaging.ipynb", monkeypatch, {"JAXGEO_NB_RES": "2.0"})
    diff = float(text.split("max |operator - brute force| = ")[1].split()[0])
    assert diff < 1e-9
    assert "vmap == batched call: True" in text
    assert "gradient zero outside the mask: True" in text
    assert "gradient check passed" in text
    # the Legendre weight W_20 of a 3° cap is 0.8628; a 2° grid staircases the cap (~Δ/ψ)
    legendre, grid_value = (float(v.strip(", ")) for v in
                            text.split("W_20: Legendre ")[1].split("grid"))
    assert abs(legendre - 0.8628) < 1e-4 and abs(grid_value - legendre) < 0.1
