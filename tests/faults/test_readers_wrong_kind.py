"""Every public reader handed another reader's real file (the shared CSR, TN-13/14, ERA5,
GPT3 and sounding files; a jaxgeo output; random bytes; an empty file) refuses it in one line
naming the file: none returns data read from the wrong kind of file."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from jaxgeo import Grid
from jaxgeo import grace as gr
from jaxgeo import troposphere as tr

READERS = {
    "read_shm": (gr.read_shm, "gsm"),
    "read_gfc": (gr.read_gfc, None),
    "read_tn13": (gr.read_tn13, "tn13"),
    "read_tn14": (gr.read_tn14, "tn14"),
    "open_mascon": (gr.open_mascon, None),
    "read_era5_profiles": (tr.read_era5_profiles, "era5"),
    "GPT3.from_file": (tr.GPT3.from_file, "gpt3"),
    "read_wyoming_sounding": (tr.read_wyoming_sounding, "sounding"),
    "HZWD.from_netcdf": (tr.HZWD.from_netcdf, None),
}
KINDS = ["gsm", "tn13", "tn14", "era5", "gpt3", "sounding", "field", "random", "empty"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    d = tmp_path_factory.mktemp("kinds")
    g = Grid.regular(10.0)
    xr.DataArray(np.ones((2, *g.shape)), dims=("time", "lat", "lon"),
                 coords={"time": np.array(["2004-01-16", "2004-02-15"], "datetime64[ns]"),
                         "lat": g.lat, "lon": g.lon}, name="tws",
                 attrs={"units": "mm"}).to_netcdf(d / "field.nc")
    (d / "random.dat").write_bytes(np.random.default_rng(0).bytes(5000))
    (d / "empty.txt").write_bytes(b"")
    l2 = SHARED_DATA / "grace-l2"
    return {
        "gsm": sorted((l2 / "csr-rl06").glob("GSM-2_*"))[0],
        "tn13": l2 / "TN-13_GEOC_CSR_RL0602.txt",
        "tn14": l2 / "TN-14_C30_C20_GSFC_SLR.txt",
        "era5": SHARED_DATA / "troposphere" / "ERA-5_2018_03_27_T13_00_00.nc",
        "gpt3": SHARED_DATA / "troposphere" / "gpt3_5.grd",
        "sounding": SHARED_DATA / "troposphere" / "may4_sounding.txt",
        "field": d / "field.nc", "random": d / "random.dat", "empty": d / "empty.txt",
    }


@pytest.mark.parametrize(("reader", "kind"), [(r, k) for r, (_, native) in READERS.items()
                                               for k in KINDS if k != native])
def test_wrong_kind_of_file_is_one_line_naming_it(files, reader, kind):
    read, _ = READERS[reader]
    path = Path(files[kind])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as info:
            read(path)
    text = str(info.value)
    assert path.name in text and "\n" not in text, text
