"""The house rules of docs/architecture.md, checked on the source tree.

* no module imports another pillar's private names (``from ..sphere._x import``);
* modules stay under about 400 lines;
* retired names (docs/glossary.md) appear in no public signature.
"""

import ast
import inspect
from pathlib import Path

import pytest
from support.public import public_names

ROOT = Path(__file__).resolve().parents[1]
PILLARS = ("sphere", "grace", "downscale", "troposphere", "distributed")
MAX_LINES = 420
RETIRED = {"gaussian_km", "observation_km", "batch_size", "centres_res_deg", "res", "progress",
           "verbose", "smoothing_km", "h_ell_m",
           "net_config", "n_months_per_batch"}


def _py_files(*folders):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.level, node.module, [a.name for a in node.names]


def test_no_pillar_imports_another_pillars_private_names():
    bad = []
    for path in _py_files("jaxgeo", "benchmarks"):
        rel = path.relative_to(ROOT)
        own = rel.parts[1] if rel.parts[0] == "jaxgeo" and len(rel.parts) > 2 else None
        for level, module, names in _imports(path):
            parts = module.split(".")
            if level == 0 and parts[0] == "jaxgeo":
                parts = parts[1:]
            elif level == 0:
                continue
            elif level == 1 and own is not None:
                continue  # inside its own pillar
            if parts and parts[0] in PILLARS and parts[0] != own:
                private = [p for p in parts[1:] if p.startswith("_")]
                private += [n for n in names if n.startswith("_")]
                if private:
                    bad.append(f"{rel}: from {'.' * level}{module} import {names}")
    assert not bad, "\n".join(bad)


def test_modules_are_short():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _py_files("jaxgeo")
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)


def _public_callables():
    seen = set()
    for module, name, obj in public_names():
        if id(obj) in seen or not callable(obj):
            continue
        seen.add(id(obj))
        yield f"{module}.{name}", obj
        if inspect.isclass(obj):
            for meth_name, meth in vars(obj).items():
                if not meth_name.startswith("_") or meth_name == "__init__":
                    if callable(meth) or isinstance(meth, classmethod | staticmethod):
                        yield f"{module}.{name}.{meth_name}", getattr(obj, meth_name)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_retired_names_are_not_in_public_signatures():
    bad = []
    for qual, obj in _public_callables():
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        bad += [f"{qual}({p})" for p in params if p in RETIRED]
    assert not bad, "\n".join(bad)
