"""Validation of jaxgeo against real data and published values (needs a data folder: ``--data-dir`` or ``JAXGEO_DATA_DIR``)."""
