"""The public surface of jaxgeo: every public module and the names in its ``__all__``."""

import importlib
import pkgutil

import jaxgeo


def public_names():
    """``(module_name, name, object)`` for every name exported by a public jaxgeo module.

    Public modules have no ``_``-prefixed part; the command line is not an API.
    """
    for mod in pkgutil.walk_packages(jaxgeo.__path__, "jaxgeo."):
        if any(p.startswith("_") for p in mod.name.split(".")[1:]) or ".cli" in mod.name:
            continue
        module = importlib.import_module(mod.name)
        for name in getattr(module, "__all__", []):
            yield mod.name, name, getattr(module, name)
