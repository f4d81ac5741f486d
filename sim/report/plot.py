"""Figures from the tables of a run, a sweep or an event catalogue.

    python -m sim.plot RUN_DIR   [--format png|svg|pdf] [--focus PAK] [--dates 2015-01,2018-06]
    python -m sim.plot SWEEP_DIR [--format png|svg|pdf] [--focus PAK]
    python -m sim.plot seeds/events.csv [--out DIR]
    python -m sim.plot catalogue [CSV]  [--out DIR]      (default seeds/events.csv)

`plot_run`, `plot_sweep` and `plot_catalogue` read a directory or a file, check every input
before the first figure is drawn, and write the figures of the report's modules
(trajectories, effects, matrices, sobol, sweep, timeline). Nothing here runs the model.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.data.files import check_file, output_file
from sim.errors import InputError, OneLineParser
from sim.report.captions import run_captions
from sim.report.effects import run_effects_figure
from sim.report.matrices import heatmaps_figure, network_figure
from sim.report.sobol import sobol_figure
from sim.report.style import (
    check_format,
    save,
    slug,
)
from sim.report.sweep import (
    first_summary,
    response_figure,
    split_key,
    sweep_axis,
    sweep_states,
)
from sim.report.tables import (
    EFFECT_COLUMNS,
    SOBOL_COLUMNS,
    SWEEP_COLUMNS,
    SWEEP_FIXED,
    TRAJECTORY_COLUMNS,
    drawn_states,
    effect_window,
    events_used,
    focus_pairs,
    peak_date,
    pick_focus,
    read_json,
    read_parquet,
    run_states,
    snap_dates,
    sobol_samples,
    summary_month,
)
from sim.report.timeline import read_catalogue, timeline_figure
from sim.report.trajectories import run_trajectories_figure

DEFAULT_CATALOGUE = Path("seeds/events.csv")
DEFAULT_CATALOGUE_OUT = Path("outputs/catalogue")


def run_figures(run_dir: Path, focus: str) -> list[Path]:
    """The figures a run draws with plot=true (sim.run.run.run's `figures`)."""
    return plot_run(run_dir, focus=focus)


def drawing(count: int, folder: Path) -> None:
    """The progress line of a few seconds' drawing, on stderr (stdout lists the files)."""
    print(f"drawing {count} figure{'s' if count > 1 else ''} into {folder} (a few seconds)",
          file=sys.stderr, flush=True)


def plot_run(run_dir: Path, fmt: str = "png", focus: str | None = None,
             dates: Sequence[str] | None = None, progress: bool = False) -> list[Path]:
    """All figures of one run directory into `run_dir/figures/`; returns the files written.

    focus: the state whose pairs are drawn (default PAK if present, else the first
    actor). dates: heatmap dates as 'YYYY-MM', each moved to the nearest step (default:
    with a scenario, its lever date, the peak of its effect and the end; else the start
    and the end). progress: a line on stderr once the inputs are checked.
    """
    run_dir = Path(run_dir)
    fmt = check_format(fmt, run_dir)
    # Every input is read and checked before the first figure is drawn.
    traj_path = run_dir / "trajectories.parquet"
    traj = read_parquet(traj_path, TRAJECTORY_COLUMNS)
    if not (traj["stat"] == "mean").any():
        raise InputError(traj_path, "stat", "no rows with stat 'mean'; rewrite the run's tables")
    summary_path = run_dir / "summary.json"
    summary = read_json(summary_path)
    states = run_states(summary, traj, summary_path)
    focus = pick_focus(states, focus, run_dir)
    states = drawn_states(states, focus, summary)
    if states.of:
        traj = traj[traj["source"].isin(states.codes) & traj["target"].isin(states.codes)]
    events_used(summary, summary_path)  # checked before the first figure
    effect_window(summary, summary_path)
    lever = (summary_month(summary, "lever_date", summary_path)
             or summary_month(summary, "first_change", summary_path))
    available = pd.DatetimeIndex(sorted(traj["date"].unique()))
    effects_path, sobol_path = run_dir / "effects.parquet", run_dir / "sobol.parquet"
    effects = read_parquet(effects_path, EFFECT_COLUMNS) if effects_path.is_file() else None
    sobol = read_parquet(sobol_path, SOBOL_COLUMNS) if sobol_path.is_file() else None
    samples = sobol_samples(run_dir) if sobol is not None else None
    peak = peak_date(effects)
    if dates is None:
        named = {"start": available[0], "end": available[-1]}
        if lever is not None and peak is not None:
            named = {"lever": lever, "peak": peak, "end": available[-1]}
        snapped = [snap_dates(available, [date], run_dir)[0] for date in named.values()]
        dates = list(dict.fromkeys(snapped))  # two named dates may fall on one step
        titles = [" = ".join(name for name, d in zip(named, snapped, strict=True) if d == date)
                  + f" {date:%Y-%m}" for date in dates]
    else:
        dates, titles = snap_dates(available, dates, run_dir), None

    figures = run_dir / "figures"
    if progress:
        drawing(3 + (effects is not None) + (sobol is not None), figures)
    written = [save(run_trajectories_figure(traj, summary, focus, summary_path),
                     output_file(figures, f"trajectories_{focus}.{fmt}"))]
    if effects is not None:
        written.append(save(run_effects_figure(effects, summary, focus, summary_path),
                             output_file(figures, f"effects_{focus}.{fmt}")))
    history, title = run_captions(summary, summary_path)
    written.append(save(heatmaps_figure(traj, states, dates, titles, history=history,
                                        scenario=title),
                        output_file(figures, f"heatmaps.{fmt}")))
    network_date = snap_dates(available, [peak], run_dir)[0] if peak is not None else None
    label = "at the peak of the effect" if peak is not None else ""
    written.append(save(network_figure(traj, states, network_date, label, history=history,
                                       scenario=title),
                        output_file(figures, f"network.{fmt}")))
    if sobol is not None:
        noise = (summary.get("sensitivity") or {}).get("noise_share")
        written.append(save(sobol_figure(sobol, samples, noise), output_file(figures, f"sobol.{fmt}")))
    return written


def plot_sweep(sweep_dir: Path, fmt: str = "png", focus: str | None = None,
               progress: bool = False) -> list[Path]:
    """Figures of a collected sweep into `sweep_dir/figures/`; returns the files written.

    One response figure per swept key that is numeric or a date ('seed' and
    categorical keys are skipped), with one panel per pair involving `focus`
    (default PAK) and one colour per value of another swept key (sim.report.sweep.split_key):
    each point averages the finished jobs sharing those two values, so over the remaining
    swept keys and seeds. Also Sobol bars when sobol.parquet is there.
    progress: a line on stderr once the inputs are checked.
    """
    sweep_dir = Path(sweep_dir)
    fmt = check_format(fmt, sweep_dir)
    path = sweep_dir / "sweep.parquet"
    if not path.is_file():
        raise InputError(sweep_dir, "sweep.parquet",
                         f"not found; run python -m sim.collect {sweep_dir} first")
    table = read_parquet(path, SWEEP_COLUMNS)
    done = table[table["status"] == "done"]
    if done.empty:
        raise InputError(path, "status", "no job is done; finish the sweep and collect it again")
    states = sweep_states(sweep_dir, done)
    scenario = (first_summary(sweep_dir, done)[0].get("scenario") or {}).get("name")
    focus = pick_focus(states, focus, sweep_dir)
    present = set(zip(done["source"], done["target"], strict=True))
    pairs = [p for p in focus_pairs(states.codes, focus) if p in present] or sorted(present)
    keys = [c for c in table.columns if c not in SWEEP_FIXED]
    jobs = table.drop_duplicates("job")["status"].value_counts()
    status = ", ".join(f"{count} {name}" for name, count in jobs.items())
    sobol_path = sweep_dir / "sobol.parquet"
    sobol = read_parquet(sobol_path, SOBOL_COLUMNS) if sobol_path.is_file() else None

    figures = sweep_dir / "figures"
    axes = {key: axis for key in keys if key != "seed"
            and (axis := sweep_axis(done[key])) is not None and axis.nunique() >= 2}
    if progress and (axes or sobol is not None):
        drawing(len(axes) + (sobol is not None), figures)
    written = []
    for key, axis in axes.items():
        others = [k for k in keys if k != key]
        by = split_key(done, key, others)
        rest = [k for k in others if k != by]
        note = (f"each point: mean over the jobs with those values (over {', '.join(rest)})"
                if rest else "each point: one job") + f"; jobs: {status}"
        written.append(save(response_figure(done.assign(**{key: axis}), key, pairs, states, note,
                                            by, scenario=f"'{scenario}'" if scenario else ""),
                            output_file(figures, f"response_{slug(key)}.{fmt}")))
    if sobol is not None:
        written.append(save(sobol_figure(sobol, sobol_samples(sweep_dir)),
                            output_file(figures, f"sobol.{fmt}")))
    return written


def plot_catalogue(events_csv: Path, out_dir: Path, fmt: str = "png",
                   progress: bool = False) -> list[Path]:
    """A timeline of an event catalogue into `out_dir`; returns the files written."""
    events_csv = Path(events_csv)
    fmt = check_format(fmt, events_csv)
    events = read_catalogue(events_csv)
    if progress:
        drawing(1, Path(out_dir))
    return [save(timeline_figure(events, events_csv.name),
                 output_file(Path(out_dir), f"event_timeline.{fmt}"))]


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m sim.plot",
                     description="Figures from a run directory, a sweep directory or an "
                                 "event catalogue CSV ('catalogue [CSV]' for seeds/events.csv).")
    parser.add_argument("path", help="run directory, sweep directory, catalogue CSV or "
                                     "'catalogue'")
    parser.add_argument("csv", nargs="?", help="catalogue CSV after 'catalogue'")
    parser.add_argument("--format", default="png", help="png (default), svg or pdf")
    parser.add_argument("--focus", help="state whose pairs are drawn (default PAK)")
    parser.add_argument("--dates", help="heatmap dates of a run, e.g. 2015-01,2018-06")
    parser.add_argument("--out", help=f"figure folder for a catalogue "
                                      f"(default {DEFAULT_CATALOGUE_OUT}/)")
    return parser


def _kind(path: Path) -> str | None:
    """'run', 'sweep' or None for a directory."""
    if (path / "trajectories.parquet").is_file():
        return "run"
    if ((path / "sweep.parquet").is_file() or (path / "multirun.yaml").is_file()
            or any(p.is_dir() and p.name.isdigit() for p in path.iterdir())):
        return "sweep"
    return None


def _only_for(args, kind: str) -> None:
    allowed = {"run": {"focus", "dates"}, "sweep": {"focus"}, "catalogue": {"out"}}[kind]
    for option in ("focus", "dates", "out"):
        if getattr(args, option) is not None and option not in allowed:
            raise InputError(args.path, f"--{option}", f"does not apply to a {kind}; drop it")


def _dispatch(args) -> list[Path]:
    fmt = check_format(args.format, "--format")
    path = Path(args.path)
    if args.path == "catalogue" and not path.exists():
        _only_for(args, "catalogue")
        return plot_catalogue(Path(args.csv or DEFAULT_CATALOGUE),
                              Path(args.out or DEFAULT_CATALOGUE_OUT), fmt, progress=True)
    if args.csv is not None:
        raise InputError(args.csv, "PATH", "a second path is only taken after 'catalogue'")
    if not path.exists():
        raise InputError(path, "PATH", "no such file or directory; give a run directory, "
                                       "a sweep directory or an event catalogue CSV")
    if not path.is_dir():
        check_file(path, "PATH")  # a FIFO or a device is named as such
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise InputError(path, "PATH", "a file must be an event catalogue CSV; give a "
                                           "run or sweep directory otherwise")
        _only_for(args, "catalogue")
        return plot_catalogue(path, Path(args.out or DEFAULT_CATALOGUE_OUT), fmt, progress=True)
    kind = _kind(path)
    if kind is None:
        raise InputError(path, "PATH", "neither a run directory (trajectories.parquet) nor a "
                                       "sweep directory (sweep.parquet, multirun.yaml or job "
                                       "folders 0/, 1/, ...); give one of those")
    _only_for(args, kind)
    if kind == "run":
        dates = None if args.dates is None else [d for d in args.dates.split(",") if d.strip()]
        return plot_run(path, fmt, focus=args.focus, dates=dates, progress=True)
    return plot_sweep(path, fmt, focus=args.focus, progress=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        written = _dispatch(_parser().parse_args(argv))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    if not written:
        print("no figures: nothing to draw in this directory", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
