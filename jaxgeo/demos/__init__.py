"""Demos: end-to-end runs on synthetic data (``jaxgeo demo`` and ``jaxgeo demo cap``)."""
