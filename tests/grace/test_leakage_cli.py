"""``jaxgeo grace region``: JSON/NetCDF region series (unit conversion, fits, leakage gain
from a model) against the library functions, and one-line errors leaving outputs untouched."""

import json

import numpy as np
import pytest
import xarray as xr
from support.cli import run_subcommand

from jaxgeo import Grid, cli
from jaxgeo.grace import region_gain
from jaxgeo.regions import geojson_mask

GRID = Grid.regular(5.0)
TIMES = (np.datetime64("2005-01-16", "D") + 30 * np.arange(36)).astype("datetime64[ns]")
BOX = {"type": "Polygon", "coordinates": [[[-20, -10], [20, -10], [20, 20], [-20, 20],
                                            [-20, -10]]]}


def _series():
    t = np.arange(TIMES.size) / 12.2
    return 3.0 + 2.0 * t + 8.0 * np.cos(2 * np.pi * t)


def _write(path, values, units="cm", name="lwe_thickness", times=TIMES, grid=GRID):
    da = xr.DataArray(values, dims=("time", "lat", "lon"),
                      coords={"time": times, "lat": grid.lat, "lon": grid.lon},
                      name=name, attrs={"units": units} if units else {})
    da.to_dataset().to_netcdf(path)
    return path


@pytest.fixture
def files(tmp_path):
    poly = tmp_path / "box.geojson"
    poly.write_text(json.dumps(BOX))
    region = geojson_mask(GRID, BOX)
    v = _series()
    grid_nc = _write(tmp_path / "g.nc", np.where(region, v[:, None, None], np.nan))
    model = np.where(region, np.random.default_rng(1).normal(size=(24, 1, 1)), 0.0)
    model_nc = _write(tmp_path / "m.nc", model, units="mm", times=TIMES[:24])
    return tmp_path, poly, grid_nc, model_nc, region, v, model


def test_json_series_and_gain(files):
    tmp, poly, grid_nc, model_nc, region, v, model = files
    out = tmp / "r.json"
    assert run_subcommand(["grace", "region", str(grid_nc), "--polygon", str(poly),
                           "--out", str(out), "--quiet"]) == 0
    doc = json.loads(out.read_text())
    np.testing.assert_allclose(doc["mean_mm"], 10 * v, rtol=1e-12)  # cm -> mm
    assert doc["gain"] == 1.0 and doc["n_cells"] == int(region.sum())
    assert doc["mean_fit_mm"]["trend_per_year"] == pytest.approx(20 * 12 / 12.2 * 1.0,
                                                                 rel=0.05)
    out2 = tmp / "r2.json"
    run_subcommand(["grace", "region", str(grid_nc), "--polygon", str(poly), "--scale-model",
                    str(model_nc), "--lmax", "30", "--half-width-km", "400", "--out",
                    str(out2), "--quiet"])
    doc2 = json.loads(out2.read_text())
    k = float(region_gain(model, GRID, region, lmax=30, half_width_km=400.0))
    assert doc2["gain"] == pytest.approx(k, rel=1e-12) and k > 1.05
    np.testing.assert_allclose(doc2["mass_gt"], k * np.asarray(doc["mass_gt"]), rtol=1e-12)


def test_netcdf_output(files):
    tmp, poly, grid_nc, *_ , v, _ = files
    out = tmp / "r.nc"
    run_subcommand(["grace", "region", str(grid_nc), "--polygon", str(poly), "--out",
                    str(out), "--quiet"])
    with xr.open_dataset(out) as ds:
        np.testing.assert_allclose(ds["mean_mm"].values, 10 * v, rtol=1e-12)
        assert ds["mass_gt"].attrs["units"] == "Gt" and "mass_trend_sigma" in ds.attrs


def test_errors_one_line_and_output_untouched(files, tmp_path, capsys):
    tmp, poly, grid_nc, model_nc, region, v, model = files
    out = tmp / "keep.json"
    out.write_text("precious")
    empty = tmp / "empty.geojson"
    empty.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2], [0.1, 0.1]]]}))
    kelvin = _write(tmp / "k.nc", np.zeros((36, *GRID.shape)), units="K")
    coarse = _write(tmp / "c.nc", np.zeros((24, *Grid.regular(10.0).shape)),
                    times=TIMES[:24], grid=Grid.regular(10.0))
    holed = np.where(region, v[:, None, None], np.nan)
    i, j = np.argwhere(region)[0]
    holed[5, i, j] = np.nan
    hole_nc = _write(tmp / "h.nc", holed)
    gappy = model.copy()
    gappy[3, 10, 20] = np.nan
    gappy_nc = _write(tmp / "gappy.nc", gappy, units="mm", times=TIMES[:24])
    flat_nc = _write(tmp / "flat.nc", np.ones_like(model), units="mm", times=TIMES[:24])
    cases = [
        ([str(grid_nc), "--polygon", str(poly), "--scale-model", str(gappy_nc),
          "--lmax", "30"],
         "gappy.nc (model): analyze: field is nan in cell (row 10, column 20)"),
        ([str(grid_nc), "--polygon", str(poly), "--scale-model", str(flat_nc),
          "--lmax", "30"],
         "flat.nc (model): region_gain: the filtered model's region mean does not vary"),
        ([str(grid_nc), "--polygon", str(poly), "--out", str(tmp / "r.csv")], ".json or .nc"),
        ([str(tmp / "nope.nc"), "--polygon", str(poly)], "nope.nc"),
        ([str(grid_nc), "--polygon", str(tmp / "nope.geojson")], "nope.geojson"),
        ([str(grid_nc), "--polygon", str(empty)], "no cell centre"),
        ([str(kelvin), "--polygon", str(poly)], "units 'K'"),
        ([str(grid_nc), "--polygon", str(poly), "--scale-model", str(coarse)], "c.nc"),
        ([str(hole_nc), "--polygon", str(poly)], "month 2005-06-15"),
        ([str(grid_nc), "--polygon", str(poly), "--scale-model", str(model_nc), "--lmax",
          "80"], "lmax=80"),
    ]
    for argv, needle in cases:
        if "--out" not in argv:
            argv = [*argv, "--out", str(out)]
        code = cli.main(["grace", "region", *argv, "--quiet"])
        err = capsys.readouterr().err.strip()
        assert code == 2, argv
        assert err.startswith("jaxgeo grace region: error:") and needle in err, err
        assert "\n" not in err
        assert out.read_text() == "precious"


def test_land_and_ocean_regions(files):
    from jaxgeo.regions import land_mask, ocean_mask

    tmp, _, _, _, _, _, _ = files
    x = np.random.default_rng(2).normal(size=(36, *GRID.shape))
    src = _write(tmp / "x.nc", x, units="mm")
    expect = {"--land": land_mask(GRID),
              "--ocean": ocean_mask(GRID, land_mask(GRID, hydrology_only=False),
                                    coast_buffer_deg=3.0)}
    for flag, mask in expect.items():
        out = tmp / f"{flag[2:]}.json"
        run_subcommand(["grace", "region", str(src), flag, "--out", str(out), "--quiet"])
        doc = json.loads(out.read_text())
        area = np.asarray(GRID.cell_area)[mask]
        assert doc["n_cells"] == int(mask.sum())
        np.testing.assert_allclose(doc["mean_mm"], x[:, mask] @ area / area.sum(), rtol=1e-12)


def test_vertex_list_polygon(files):
    tmp, _, grid_nc, _, region, v, _ = files
    ring = BOX["coordinates"][0]
    for name, text in (("box.txt", "\n".join(f"{x} {y}" for x, y in ring)),
                       ("box.csv", "\n".join(f"{x},{y}" for x, y in ring))):
        (tmp / name).write_text(text)
        out = tmp / f"{name}.json"
        run_subcommand(["grace", "region", str(grid_nc), "--polygon", str(tmp / name),
                        "--out", str(out), "--quiet"])
        doc = json.loads(out.read_text())
        assert doc["n_cells"] == int(region.sum())
        np.testing.assert_allclose(doc["mean_mm"], 10 * v, rtol=1e-12)


@pytest.mark.parametrize("text,needle", [
    ("0 0\n1 1\n", "at least 3 rows"),
    ("0 0 0\n1 1 1\n2 2 2\n", "at least 3 rows"),
    ("190 0\n200 0\n200 10\n", "longitude outside"),
    ("a b\nc d\ne f\n", "not a text file"),
    ("0.1 0.1\n0.2 0.1\n0.2 0.2\n", "no cell centre"),
])
def test_vertex_list_errors(files, text, needle):
    tmp, _, grid_nc, *_ = files
    poly = tmp / "bad.txt"
    poly.write_text(text)
    with pytest.raises(ValueError) as err:
        run_subcommand(["grace", "region", str(grid_nc), "--polygon", str(poly), "--out",
                        str(tmp / "o.json"), "--quiet"])
    assert needle in str(err.value) and "bad.txt" in str(err.value)
    assert "\n" not in str(err.value) and not (tmp / "o.json").exists()
