"""Validation of jaxgeo against real data and published values.

Each validation needs a data folder: ``--data-dir`` or the environment variable
``JAXGEO_DATA_DIR`` (nothing points into a development checkout).
"""
