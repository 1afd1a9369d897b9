"""GeoJSON regions (Polygon, MultiPolygon, holes, FeatureCollection) against polygon_mask,
region_series (mean mm, mass Gt, fits with standard errors, gain) against hand-computed
values, and the one-line errors."""

import json

import numpy as np
import pytest

from jaxgeo import Grid
from jaxgeo.constants import RHO_WATER_KG_M3
from jaxgeo.regions import geojson_mask, polygon_mask, region_series
from jaxgeo.time import decimal_year

GRID = Grid.regular(2.0)
BOX = [[-10, 0], [30, 0], [30, 40], [-10, 40], [-10, 0]]
HOLE = [[0, 10], [10, 10], [10, 20], [0, 20], [0, 10]]
BOX2 = [[100, -40], [140, -40], [140, -10], [100, -10], [100, -40]]
TIMES = (np.datetime64("2004-01-16", "D") + 30 * np.arange(48)).astype("datetime64[ns]")


def test_polygon_multipolygon_holes_and_files(tmp_path):
    poly = {"type": "Polygon", "coordinates": [BOX]}
    np.testing.assert_array_equal(geojson_mask(GRID, poly), polygon_mask(GRID, BOX))
    holed = geojson_mask(GRID, {"type": "Polygon", "coordinates": [BOX, HOLE]})
    np.testing.assert_array_equal(holed, polygon_mask(GRID, BOX) & ~polygon_mask(GRID, HOLE))
    multi = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {
            "type": "MultiPolygon", "coordinates": [[BOX], [BOX2]]}}]}
    path = tmp_path / "r.geojson"
    path.write_text(json.dumps(multi))
    np.testing.assert_array_equal(geojson_mask(GRID, path),
                                  polygon_mask(GRID, BOX) | polygon_mask(GRID, BOX2))


def test_region_series_values_fits_and_gain():
    region = polygon_mask(GRID, BOX)
    t = decimal_year(TIMES)
    w = 2 * np.pi * (t - np.floor(t[0]))
    v = 20.0 + 5.0 * (t - t.mean()) + 30 * np.cos(w - 1.0) + 4 * np.cos(2 * w)
    x = np.where(region, v[:, None, None], np.nan)  # NaN outside the region is fine
    x[:, 0, 0] = np.nan
    rs = region_series(x, TIMES, GRID, region)
    area_m2 = np.asarray(GRID.cell_area)[region].sum()
    np.testing.assert_allclose(rs.mean_mm, v, rtol=1e-12)
    np.testing.assert_allclose(rs.mass_gt, v * 1e-3 * area_m2 * RHO_WATER_KG_M3 / 1e12,
                               rtol=1e-12)
    assert rs.area_km2 == pytest.approx(area_m2 / 1e6)
    assert rs.mean_fit.trend_per_year == pytest.approx(5.0, abs=1e-9)
    assert rs.mean_fit.annual_amplitude == pytest.approx(30.0, abs=1e-9)
    assert rs.mean_fit.annual_peak_month == pytest.approx(1 + 12 / (2 * np.pi), abs=1e-9)
    assert rs.mean_fit.semiannual_amplitude == pytest.approx(4.0, abs=1e-9)
    assert rs.mean_fit.trend_sigma < 1e-9
    assert rs.mass_fit.trend_per_year == pytest.approx(
        5.0 * 1e-3 * area_m2 * RHO_WATER_KG_M3 / 1e12, rel=1e-9)
    scaled = region_series(x, TIMES, GRID, region, gain=1.5)
    np.testing.assert_allclose(scaled.mass_gt, 1.5 * rs.mass_gt, rtol=1e-14)
    assert scaled.mean_fit.annual_amplitude == pytest.approx(45.0, abs=1e-9)


@pytest.mark.parametrize("doc,needle", [
    ({"type": "Point", "coordinates": [0, 0]}, "'Point' is not supported"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "at least 3"),
    ({"type": "Polygon", "coordinates": [[[170, 0], [200, 0], [200, 10]]]}, "[-180, 180]"),
    ({"type": "Polygon", "coordinates": [[[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]]},
     "no cell centre"),
    ({"type": "Polygon", "coordinates": [["ab", "cd", "ef"]]}, "[lon, lat]"),
    ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [BOX]}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}}]},
     "feature 1"),
])
def test_geojson_errors(doc, needle):
    with pytest.raises(ValueError) as err:
        geojson_mask(GRID, doc)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_geojson_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.geojson"):
        geojson_mask(GRID, tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.geojson: not a JSON file"):
        geojson_mask(GRID, bad)


def test_region_series_errors():
    region = polygon_mask(GRID, BOX)
    x = np.zeros((TIMES.size,) + GRID.shape)
    i, j = np.argwhere(region)[3]
    x[7, i, j] = np.nan
    with pytest.raises(ValueError, match=r"month 2004-08-13 in cell \(lat 1°, lon -3°\) inside"):
        region_series(x, TIMES, GRID, region)
    with pytest.raises(ValueError, match=r"must have shape \(48, 90, 180\)"):
        region_series(x[:, :-1], TIMES, GRID, region)
    with pytest.raises(ValueError, match="region is empty"):
        region_series(np.zeros_like(x), TIMES, GRID, np.zeros(GRID.shape, bool))
    with pytest.raises(ValueError, match="gain must be finite"):
        region_series(np.zeros_like(x), TIMES, GRID, region, gain=float("nan"))
