"""The figures' common look: colours, the type style of a journal column, panel grids,
date axes and legends, and the one way a figure is written to disk.

Figures are `matplotlib.figure.Figure` objects rendered by Agg (no pyplot), so importing the
report leaves the user's backend alone; each file is written under a temporary name and then
renamed, so an interrupted call never leaves a half-written figure.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure

from sim.data.eventtypes import DEFAULT_WEIGHTS
from sim.data.files import atomic_write
from sim.errors import InputError

FORMATS = ("png", "svg", "pdf")
DPI = 150
ALIGNMENT = Normalize(vmin=-1.0, vmax=1.0)
CMAP = matplotlib.colormaps["RdBu"].with_extremes(bad="#e6e6e6")  # red hostile, blue aligned
VARIANT_COLOURS = {"reference": "#333333", "scenario": "#c51b7d"}
WHEN_COLOURS = {"12m": "#1b9e77", "peak": "#d95f02", "end": "#7570b3"}
OTHER_COLOUR = "#999999"
WINDOW_COLOUR = "#e4ecf4"  # the cumulative window: a pale blue, apart from the effect's pink band
DIFFERENCE_CMAP = matplotlib.colormaps["PuOr"].with_extremes(bad="#e6e6e6")
# One distinct hue per event type; cooperative types are drawn as upward triangles, hostile
# ones as downward triangles, so colour and shape both tell them apart.
TYPE_COLOURS = {
    "aid": "#1f77b4",
    "agreement": "#2ca02c",
    "arms_sale": "#17becf",
    "exercise": "#9467bd",
    "investment": "#bcbd22",
    "support": "#8c564b",
    "visit": "#e377c2",
    "hostile_statement": "#ff7f0e",
    "downgrade": "#7f7f7f",
    "aid_cut": "#d62728",
    "sanctions": "#000000",
    "incident": "#e6ab02",
}
PAGE_WIDTH = 7.0  # inches: the full width of such a page
STYLE = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7,
         "ytick.labelsize": 7, "legend.fontsize": 7, "figure.titlesize": 9,
         "axes.spines.top": False, "axes.spines.right": False}
SAVE_METADATA = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def check_format(fmt: str, where: str | Path) -> str:
    fmt = str(fmt).lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(where, "format", f"'{fmt}' is not supported; use one of "
                         + ", ".join(FORMATS))
    return fmt


def save(fig: Figure, path: Path) -> Path:
    """Write the figure to `path` atomically, with the umask's mode; its suffix gives the
    format."""
    fmt = path.suffix.lstrip(".")

    def write(temp: Path) -> None:
        with matplotlib.rc_context({"svg.hashsalt": path.name}):  # stable ids in svg
            fig.savefig(temp, format=fmt, dpi=DPI, bbox_inches="tight",
                        metadata=SAVE_METADATA[fmt])

    atomic_write(path, write)
    return path


def styled(draw):
    """Draw under the project's figure style (small type for a journal column)."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return wrapper


def panels(n: int, ncols: int, size: tuple[float, float], **share):
    """A figure with n panels on a grid of ncols columns; unused cells removed."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **share).ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    for k in range(n):
        if k + ncols >= n:  # nothing drawn below this panel: keep its x tick labels
            axes[k].tick_params(labelbottom=True)
    return fig, axes[:n]


def date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def legend_below(fig: Figure, handles: list, ncols: int = 6) -> None:
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), ncols),
               fontsize="small", frameon=False)


def alignment_colorbar(fig: Figure, axes, label: str) -> None:
    fig.colorbar(ScalarMappable(ALIGNMENT, CMAP), ax=axes, shrink=0.8, label=label)


def tint(colour: str, share: float) -> tuple[float, float, float]:
    """`colour` at `share` of its strength on white, as an opaque colour."""
    return tuple(share * c + (1 - share) for c in to_rgb(colour))


def signed(value: float) -> str:
    """'+0.25', '-0.40', and '0.00' rather than '-0.00'."""
    rounded = round(float(value), 2) + 0.0
    return "0.00" if rounded == 0 else f"{rounded:+.2f}"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")


def type_colour(kind: str) -> str:
    return TYPE_COLOURS.get(kind, OTHER_COLOUR)


def type_order(kinds) -> list[str]:
    """Event types from most cooperative to most hostile; unknown types last."""
    present = set(kinds)
    known = sorted((k for k in present if k in DEFAULT_WEIGHTS), key=lambda k: -DEFAULT_WEIGHTS[k])
    return known + sorted(present - set(known))


def cooperative(kind: str) -> bool:
    return DEFAULT_WEIGHTS.get(kind, 0.0) >= 0
