"""The page's figures as PNG bytes: the report's own (sim.report), drawn from the run's
tables and arrays, at the page's resolution and sizes.

PNG images need nothing from the browser but an <img>, so the page works offline, on a
cluster's login node, and looks the same in every browser.
"""

import functools
import io
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.dashboard.session import PageRun, effects, trajectories
from sim.data.dates import month_label
from sim.report import timeline
from sim.report.captions import run_captions
from sim.report.effects import run_effects_figure
from sim.report.matrices import heatmaps_figure, network_figure
from sim.report.replicate import replicate_figure
from sim.report.style import PAGE_WIDTH
from sim.report.tables import summary_states
from sim.report.trajectories import run_trajectories_figure

FIGURE_DPI = 140  # the command line's figures (7 in wide): about the page's width at 1400 px
SUMMARY = Path("summary.json")  # what a fault in the run's summary is reported against
REPLICATE_SIZE = (PAGE_WIDTH, 2.8)  # inches: the Mesa replicate at the page's width
# The report draws under matplotlib.rc_context (its type sizes), which sets matplotlib's global
# settings: figures drawn at once in two threads would take each other's, so one at a time.
_DRAWING = threading.Lock()


def png(fig: Figure) -> bytes:
    """The figure as the command line writes it: cut to what is drawn (bbox "tight"), so a
    title or a panel wider than the figure's box is not clipped."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


def one_at_a_time(draw):
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with _DRAWING:
            return draw(*args, **kwargs)
    return wrapper


def years(run: PageRun) -> np.ndarray:
    """The run's dates as decimal years (2018.0 is January 2018): a float axis draws its
    ticks in a fraction of a date axis's time."""
    return (run.setup.start + np.arange(run.setup.n_steps + 1)) / 12.0


@one_at_a_time
def trajectories_png(run: PageRun, focus: str) -> bytes:
    """The command line's trajectories figure of the focus state's pairs."""
    return png(run_trajectories_figure(trajectories(run), run.summary, focus))


@one_at_a_time
def effect_png(run: PageRun, focus: str) -> bytes:
    """The command line's effect figure: every reported pair on its own scale."""
    return png(run_effects_figure(effects(run), run.summary, focus))


@one_at_a_time
def matrix_png(run: PageRun, step: int) -> bytes:
    """The command line's mean alignment matrix (and the scenario's effect) at one date."""
    date = pd.Timestamp(f"{month_label(run.setup.start + step)}-01")
    history, title = run_captions(run.summary, SUMMARY)
    figure = heatmaps_figure(trajectories(run), summary_states(run.summary), [date],
                             history=history, scenario=title)
    return png(figure)


@one_at_a_time
def network_png(run: PageRun, step: int) -> bytes:
    """The command line's directed network of the states at one date."""
    date = pd.Timestamp(f"{month_label(run.setup.start + step)}-01")
    history, title = run_captions(run.summary, SUMMARY)
    figure = network_figure(trajectories(run), summary_states(run.summary), date,
                            history=history, scenario=title)
    return png(figure)


@one_at_a_time
def timeline_png(events: pd.DataFrame, run: PageRun) -> bytes:
    """The catalogue's timeline (sim.report.timeline), events switched off hollow, events the
    scenario already changed as grey crosses; the run's months shaded."""
    switch = np.where(~events["switchable"], "fixed", np.where(events["on"], "on", "off"))
    events = events.assign(date=pd.to_datetime([f"{month_label(m)}-01" for m in events["month"]]),
                           precision=events["date_precision"], switch=switch)
    dates = pd.to_datetime([f"{month_label(run.setup.start + s)}-01"
                            for s in (0, run.setup.n_steps)])
    return png(timeline.timeline_figure(events, "", span=tuple(dates), width=PAGE_WIDTH))


@one_at_a_time
def replicate_png(path: np.ndarray, run: PageRun, variant: str, replicate: int, focus: str) -> bytes:
    """The Mesa model's months so far of one replicate beside the ensemble's mean
    (sim.report.replicate)."""
    title = (f"Mesa model, {variant} replicate {replicate}, "
             f"{month_label(run.setup.start + len(path) - 1)}")
    mean = run.ens.mean[run.variants.index(variant)]
    return png(replicate_figure(years(run), path, mean, run.codes, focus, title, REPLICATE_SIZE))
