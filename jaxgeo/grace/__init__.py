"""GRACE/GRACE-FO inputs: Level-2 spherical harmonics and mascon products to gridded
equivalent water height on a :class:`jaxgeo.Grid`."""

from ._analysis import AnalysisTable, analyze, analyze_ewh, fejer1_weights, max_analysis_degree
from ._aod import AOD_PRODUCTS, restore_aod
from ._destripe import DESTRIPE_START_ORDER, destripe, destripe_weights
from ._ewh import degree_weights, ewh_degree_factors, synthesize_ewh
from ._gaps import reindex_months
from ._gia import GIA_LAYOUTS, GIA_T_REF, GIARates, gia_correction, read_gia, remove_gia
from ._l2 import DEFAULT_MEAN_PERIOD, ewh_grid, grace_l2_tws, remove_mean
from ._leakage import filter_field, gaussian_weights, region_gain, scaling_factors
from ._love import K1_CF_TN13, REFERENCE_FRAMES, LoveNumbers, load_love_numbers, love_numbers
from ._mascon import open_mascon
from ._match import model_on_grace
from ._quantities import QUANTITIES, quantity_factors, quantity_units
from ._series import L2Series, grace_months, missing_months, read_l2_series
from ._shm import SHCoefficients, read_gfc, read_l2_file, read_shm
from ._sigma import (
    ewh_sigma_grid,
    ewh_variance_grid,
    region_harmonics,
    region_sigma,
    region_sigma_series,
)
from ._spans import anomaly, span_average
from ._synthesis import SynthesisTable, legendre_table, synthesize
from ._technotes import (
    C30_FROM,
    TechNote,
    match_spans,
    read_tn13,
    read_tn14,
    replace_c20_c30,
    replace_degree1,
)

__all__ = [
    "AOD_PRODUCTS",
    "AnalysisTable",
    "C30_FROM",
    "DEFAULT_MEAN_PERIOD",
    "DESTRIPE_START_ORDER",
    "GIARates",
    "GIA_LAYOUTS",
    "GIA_T_REF",
    "K1_CF_TN13",
    "L2Series",
    "LoveNumbers",
    "QUANTITIES",
    "REFERENCE_FRAMES",
    "SHCoefficients",
    "SynthesisTable",
    "TechNote",
    "analyze",
    "anomaly",
    "analyze_ewh",
    "degree_weights",
    "destripe",
    "destripe_weights",
    "ewh_degree_factors",
    "ewh_grid",
    "ewh_sigma_grid",
    "ewh_variance_grid",
    "fejer1_weights",
    "filter_field",
    "gaussian_weights",
    "gia_correction",
    "grace_l2_tws",
    "grace_months",
    "legendre_table",
    "load_love_numbers",
    "love_numbers",
    "match_spans",
    "max_analysis_degree",
    "missing_months",
    "model_on_grace",
    "open_mascon",
    "quantity_factors",
    "quantity_units",
    "read_gfc",
    "read_gia",
    "read_l2_file",
    "read_l2_series",
    "read_shm",
    "read_tn13",
    "read_tn14",
    "region_gain",
    "region_harmonics",
    "region_sigma",
    "region_sigma_series",
    "reindex_months",
    "remove_gia",
    "remove_mean",
    "replace_c20_c30",
    "replace_degree1",
    "restore_aod",
    "scaling_factors",
    "span_average",
    "synthesize",
    "synthesize_ewh",
]
