"""Foundation: the one map-panel figure of jaxgeo (matplotlib, imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ._grid import Grid

__all__ = ["Panel", "map_panels"]


class Panel(NamedTuple):
    """One map: ``values`` ``(nlat, nlon)`` in grid order, its title and colour scale.

    ``vmax``: symmetric limits ±vmax (None: matplotlib's own); ``cmap``: None uses the
    figure's; ``contours``: boolean ``(nlat, nlon)`` outlines drawn as (mask, colour) pairs.
    """

    title: str
    values: np.ndarray
    vmax: float | None = None
    cmap: str | None = None
    contours: tuple = ()


def map_panels(path, grid: Grid, panels: Sequence[Panel], *, ncols: int = 2,
               cmap: str = "RdBu", unit: str = "", lat_range_deg=None, figsize=None,
               dpi: int = 90, finish=None):
    """Draw one lat-lon map per panel in a grid of ``ncols`` columns and save it atomically.

    Args:
        path: PNG path (written through :func:`jaxgeo._io.save_figure`).
        grid: the maps' grid.
        panels: the maps (:class:`Panel` or ``(title, values, vmax)`` tuples).
        ncols: panels per row.
        cmap: default colour map; ``unit``: colour-bar label.
        lat_range_deg: ``(south, north)`` latitude limits of every map (None: the globe).
        figsize: inches (default 6 × 3.25 per panel).
        finish: optional ``finish(fig, axes)`` called before saving (zooms, overlays).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._io import save_figure

    panels = [p if isinstance(p, Panel) else Panel(*p) for p in panels]
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, constrained_layout=True,
                             figsize=figsize or (6.0 * ncols, 3.25 * nrows))
    extent = (float(grid.lon[0]), float(grid.lon[-1]), float(grid.lat[0]), float(grid.lat[-1]))
    for ax, p in zip(axes.ravel(), panels, strict=False):
        kw = {} if p.vmax is None else {"vmin": -p.vmax, "vmax": p.vmax}
        im = ax.imshow(np.asarray(p.values), origin="lower", extent=extent,
                       cmap=p.cmap or cmap, aspect="auto", interpolation="nearest", **kw)
        for outline, colour in p.contours:
            ax.contour(grid.lon, grid.lat, np.asarray(outline, dtype=float), levels=[0.5],
                       colors=colour, linewidths=0.5)
        ax.set_title(p.title)
        if lat_range_deg is not None:
            ax.set_ylim(*lat_range_deg)
        fig.colorbar(im, ax=ax, label=unit, shrink=0.85)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if finish is not None:
        finish(fig, axes)
    save_figure(fig, path, dpi=dpi)
    plt.close(fig)
    return path
