"""metrics.coverage against the Gaussian closed form and a hand-counted case."""

import math

import numpy as np
import pytest
from support.downscale_oracle import cell_area

from jaxgeo import Grid
from jaxgeo.downscale import metrics

RES = 5.0


@pytest.fixture(scope="module")
def gaussian():
    rng = np.random.default_rng(11)
    grid = Grid.regular(RES)
    mask = rng.random(grid.shape) < 0.6
    sigma = rng.uniform(0.5, 3.0, grid.shape)
    mean = rng.standard_normal((40,) + grid.shape)
    truth = mean + sigma * rng.standard_normal(mean.shape)
    mean[:, ~mask] = np.nan  # ignored outside the mask
    return grid, mask, mean, np.broadcast_to(sigma, mean.shape), truth


def test_gaussian_draws_cover_as_erf(gaussian):
    grid, mask, mean, sigma, truth = gaussian
    n = 40 * int(mask.sum())  # ~62 000 draws: the fraction's sampling error is ~0.001
    for k in (1.0, 2.0):
        got = metrics.coverage(mean, sigma, truth, grid, mask, k=k)
        expected = math.erf(k / math.sqrt(2))  # 0.683, 0.954
        # 5 × the sampling error of the fraction (area weights: ≤ 2× the equal-weight one)
        assert got["overall"] == pytest.approx(expected, abs=5 * 2 * math.sqrt(
            expected * (1 - expected) / n))
        assert got["per_month"].shape == (40,)
        assert got["per_region"] == {}
    # a sigma half the truth's: the interval ±2σ/2 covers as ±1 does
    half = metrics.coverage(mean, sigma / 2, truth, grid, mask, k=2.0)["overall"]
    assert half == pytest.approx(math.erf(1 / math.sqrt(2)), abs=0.02)


def test_counts_cells_by_area_month_and_region():
    grid = Grid.regular(RES)
    mask = np.zeros(grid.shape, bool)
    mask[10:14, 0:4] = True                 # 16 cells in 4 latitude rows
    labels = metrics.region_labels(grid, mask, 2 * RES)  # four 2 × 2 blocks
    mean = np.zeros((2,) + grid.shape)
    sigma = np.ones_like(mean)
    truth = np.full_like(mean, 5.0)         # outside ±2 …
    truth[0, 10, 0:4] = 1.9                 # … except month 0, row 10 (inside)
    truth[1, 10:12, 0:2] = -2.0             # and month 1, the first block (edge: inside)
    got = metrics.coverage(mean, sigma, truth, grid, mask, k=2.0, by=labels)
    area = np.where(mask, cell_area(RES), 0.0)
    area = area / area.sum()
    month0 = area[10, 0:4].sum()
    month1 = area[10:12, 0:2].sum()
    np.testing.assert_allclose(got["per_month"], [month0, month1], rtol=1e-12)
    assert got["overall"] == pytest.approx((month0 + month1) / 2, rel=1e-12)
    first = labels[10, 0]
    a = cell_area(RES)[10:12, 0:2]
    # the first block: month 0 covers its row-10 cells, month 1 all four
    assert got["per_region"][int(first)] == pytest.approx(
        (a[0].sum() / a.sum() + 1.0) / 2, rel=1e-12)
    assert len(got["per_region"]) == 4
    assert got["per_region"][int(labels[12, 2])] == 0.0


def test_coverage_names_bad_inputs(gaussian):
    grid, mask, mean, sigma, truth = gaussian
    bad_sigma = np.array(sigma)
    i, j = np.argwhere(mask)[0]
    bad_sigma[3, i, j] = -1.0
    with pytest.raises(ValueError, match=rf"sigma is -1.0 inside the mask at month index 3, "
                                         rf"cell \(lat index {i}, lon index {j}\)"):
        metrics.coverage(mean, bad_sigma, truth, grid, mask)
    bad_truth = np.array(truth)
    bad_truth[5, i, j] = np.nan
    with pytest.raises(ValueError, match="truth is nan inside the mask at month index 5"):
        metrics.coverage(mean, sigma, bad_truth, grid, mask)
    with pytest.raises(ValueError, match=r"sigma has shape \(40, 36, 72\); truth has "
                                         r"\(39, 36, 72\)"):
        metrics.coverage(mean[1:], sigma, truth[1:], grid, mask)
    for k in (0.0, -2.0, float("nan")):
        with pytest.raises(ValueError, match="k must be a positive number of sigmas"):
            metrics.coverage(mean, sigma, truth, grid, mask, k=k)
    with pytest.raises(ValueError, match=r"by has shape \(3, 3\)"):
        metrics.coverage(mean, sigma, truth, grid, mask, by=np.zeros((3, 3), int))
