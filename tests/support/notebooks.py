"""Execute a notebook from notebooks/ with a Jupyter kernel and return its printed text."""

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run_notebook(name: str, monkeypatch, env: dict | None = None, timeout: int = 180) -> str:
    """Run ``notebooks/<name>`` top to bottom (raising on any cell error); return stdout text."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for key, value in {"JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg", **(env or {})}.items():
        monkeypatch.setenv(key, value)
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
