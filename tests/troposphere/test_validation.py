"""Troposphere validation entry point: the data folder must be given, and files must exist."""

import pytest

from jaxgeo.validation import troposphere as val


def test_no_data_folder_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv("JAXGEO_DATA_DIR", raising=False)
    with pytest.raises(ValueError, match="JAXGEO_DATA_DIR") as err:
        val.run_validation()
    assert "\n" not in str(err.value)


def test_missing_folder_and_files(tmp_path, monkeypatch):
    monkeypatch.delenv("JAXGEO_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="data folder not found"):
        val.run_validation(tmp_path / "nowhere")
    monkeypatch.setenv("JAXGEO_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no ERA5 file"):
        val.run_validation()
    with pytest.raises(FileNotFoundError, match="missing.nc"):
        val.run_validation(era5=[str(tmp_path / "missing.nc")])


@pytest.mark.shared_data
def test_data_folder_finds_the_troposphere_subfolder(shared_data):
    assert val.data_folder(shared_data) == shared_data / "troposphere"
    assert val.data_folder(shared_data / "troposphere") == shared_data / "troposphere"


def test_retired_keywords_warn(tmp_path):
    with pytest.warns(DeprecationWarning), \
            pytest.raises(FileNotFoundError, match="missing.txt"):
        val.run_validation(sounding=str(tmp_path / "missing.txt"), sounding_lat=10.0,
                           gpt3_path=str(tmp_path / "g.grd"))
