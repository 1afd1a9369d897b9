"""`jaxgeo demo --ocean`: the refusal before any work, the table; end to end (slow)."""

import json

import pytest

from jaxgeo.cli import main
from jaxgeo.demos.ocean import FIELDS, format_ocean_table


def test_ocean_demo_refuses_a_foreign_folder_before_any_work(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me")
    rc = main(["demo", "--ocean", "--out", str(tmp_path), "--resolution-deg", "5",
               "--n-months", "12", "--epochs", "1", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "jaxgeo demo downscale: error:" in err and "mine.txt" in err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_ocean_table_has_a_row_per_field():
    m = {f"rmse_{k}": 10.0 + i for i, k in enumerate(FIELDS)}
    m.update({f"mass_residual_max_abs_{k}": 0.5 for k in FIELDS})
    m.update(downscaled_over_best_input=0.9, downscaled_over_baseline=0.95)
    text = format_ocean_table(m)
    for k in FIELDS:
        assert any(line.startswith(k) for line in text.splitlines())
    assert "downscaled / baseline = 0.95" in text and "—" in text  # missing figures shown


@pytest.mark.slow
def test_ocean_demo_end_to_end(tmp_path, capsys):
    rc = main(["demo", "--ocean", "--out", str(tmp_path), "--resolution-deg", "5",
               "--n-months", "12", "--epochs", "1"])
    assert rc == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    for k in FIELDS:
        assert m[f"rmse_{k}"] > 0
    assert m["mass_residual_max_abs_downscaled"] < 1e-6  # conserve_mass=True
    assert m["mass_residual_max_abs_model_a"] > 1.0  # the reanalyses lack the global mass
    assert "gauge_rmse_tide_gauge_downscaled" in m
    assert "TG RMSE" in capsys.readouterr().out
