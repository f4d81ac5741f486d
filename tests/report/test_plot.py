"""Figures from small synthetic tables: files written, readable, not blank; CLI errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from checks import assert_one_line_error
from matplotlib.figure import Figure

import sim.report.plot
from sim.api import Result
from sim.errors import InputError
from sim.report.effects import run_effects_figure, scale
from sim.report.matrices import network_figure
from sim.report.plot import main, plot_catalogue, plot_run, plot_sweep
from sim.report.sobol import effect_sizes, sobol_figure
from sim.report.style import save
from sim.report.sweep import response_figure, sweep_states
from sim.report.tables import events_used, run_states
from sim.report.trajectories import run_trajectories_figure

ROOT = Path(__file__).resolve().parents[2]
ACTORS = [
    {"code": "USA", "name": "United States", "capability": 10.0},
    {"code": "PAK", "name": "Pakistan", "capability": 2.0},
    {"code": "CHN", "name": "China", "capability": 8.0},
]
CODES = [a["code"] for a in ACTORS]
DATES = pd.date_range("2015-01-01", periods=24, freq="MS")
QUANTILES = {"p05": -1.645, "p25": -0.674, "p50": 0.0, "p75": 0.674, "p95": 1.645}


def _trajectories(variants) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    starts = {(s, t): rng.uniform(-0.6, 0.6) for s in CODES for t in CODES if s != t}
    for variant in variants:
        for (source, target), start in starts.items():
            drift = -0.015 if variant == "scenario" and "PAK" in (source, target) else 0.0
            for step, date in enumerate(DATES):
                mean = start + drift * max(step - 12, 0) + 0.05 * np.sin(step / 3)
                spread = 0.02 + 0.004 * step
                stats = {"mean": mean, **{k: mean + z * spread for k, z in QUANTILES.items()}}
                for stat, value in stats.items():
                    rows.append((variant, stat, step, date, source, target,
                                 float(np.clip(value, -1, 1))))
    return pd.DataFrame(rows, columns=["variant", "stat", "step", "date", "source", "target",
                                       "value"])


def _effects() -> pd.DataFrame:
    rows = []
    for source in CODES:
        for target in CODES:
            if source == target:
                continue
            for step, date in enumerate(DATES):
                mean = -0.015 * max(step - 12, 0) if "PAK" in (source, target) else 0.0
                rows.append((step, date, source, target, mean, mean - 0.05, mean - 0.02,
                             mean, mean + 0.02, mean + 0.05))
    return pd.DataFrame(rows, columns=["step", "date", "source", "target", "mean", "p05",
                                       "p25", "p50", "p75", "p95"])


def _summary(scenario: bool) -> dict:
    return {
        "actors": ACTORS, "start": "2015-01", "end": "2016-12", "seed": 1, "replicates": 50,
        "scenario": ({"name": "aid_freeze", "description": "US freezes aid",
                      "first_change": "2016-01", "lever_date": "2016-01"} if scenario else None),
        "effect_pairs_touched": [["USA", "PAK"], ["PAK", "USA"]] if scenario else [],
        "effect_window": {"from": "2016-01", "to": "2016-12"} if scenario else None,
        "final_mean": {}, "effects": [], "facts": [], "facts_met": 1.0,
        "events_used": [
            {"date": "2015-03-10", "source": "USA", "target": "PAK", "type": "aid",
             "variant": "reference"},
            {"date": "2015-09-01", "source": "CHN", "target": "PAK", "type": "investment",
             "variant": "reference"},
            {"date": "2016-01-01", "source": "USA", "target": "PAK", "type": "aid_cut",
             "variant": "scenario"},
            {"date": "2016-01-01", "source": "USA", "target": "PAK", "type": "aid_cut",
             "variant": "scenario", "id": "second"},
            {"date": "2016-06-15", "source": "PAK", "target": "USA", "type": "hostile_statement",
             "variant": "reference"},
        ],
    }


def _write_run(run_dir: Path, scenario: bool = True) -> Path:
    run_dir.mkdir(parents=True)
    variants = ["reference", "scenario"] if scenario else ["reference"]
    _trajectories(variants).to_parquet(run_dir / "trajectories.parquet")
    if scenario:
        _effects().to_parquet(run_dir / "effects.parquet")
    (run_dir / "summary.json").write_text(json.dumps(_summary(scenario)))
    return run_dir


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return _write_run(tmp_path / "run")


@pytest.fixture
def sweep_dir(tmp_path) -> Path:
    """Four amounts x two betas x two seeds; job 3 failed."""
    sweep = tmp_path / "sweep"
    rows, job = [], 0
    for amount in (1e8, 5e8, 2e9, 1e10):
        for beta in (0.1, 0.3):
            for seed in (1, 2):
                status = "failed" if job == 3 else "done"
                for source, target in (("PAK", "USA"), ("USA", "PAK"), ("PAK", "CHN"),
                                       ("CHN", "PAK"), ("USA", "CHN")):
                    for when in ("12m", "end"):
                        effect = -0.02 * np.log10(amount / 1e7) * (1 + beta) * (
                            1.5 if when == "end" else 1.0) * ("USA" in (source, target))
                        rows.append({"job": job, "scenario.amount_usd": amount,
                                     "params.beta": beta, "seed": seed, "status": status,
                                     "source": source, "target": target, "when": when,
                                     "date": pd.Timestamp("2016-12-01"),
                                     "effect_mean": effect, "effect_p05": effect - 0.04,
                                     "effect_p95": effect + 0.04, "facts_met": 0.8})
                job += 1
    _write_run(sweep / "0")
    pd.DataFrame(rows).to_parquet(sweep / "sweep.parquet")
    pd.DataFrame([
        {"output": output, "param": param, "S1": s1, "S1_conf": 0.05, "ST": s1 + 0.1,
         "ST_conf": 0.06}
        for output in ("PAK->USA end", "PAK->CHN end")
        for param, s1 in (("beta", 0.5), ("lam", 0.2), ("rho", 0.05))
    ]).to_parquet(sweep / "sobol.parquet")
    return sweep


@pytest.fixture
def catalogue(tmp_path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(
        "id,date,date_precision,source,target,type,magnitude,unit,cameo,source_doc,note\n"
        "e1,2002,year,USA,PAK,aid,1000000000,usd,071,doc1.md,annual aid\n"
        "e2,2011-05,month,USA,PAK,downgrade,1,level,161,doc1.md,\n"
        "e3,2015-04-20,day,CHN,PAK,investment,46000000000,usd,061,doc2.md,CPEC\n"
        "e4,2016-03-01,day,RUS,PAK,exercise,1,level,062,doc3.md,\n"
        "e5,2018-01-04,day,USA,PAK,aid_cut,2000000000,usd,162,doc1.md,freeze\n"
        "e6,2019-02-27,day,IND,PAK,incident,1,level,190,doc4.md,\n"
    )
    return path


def assert_image(path: Path) -> None:
    """The file is a readable PNG with more than one colour and some contrast."""
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert pixels.std() > 0.02, f"{path.name} looks blank"
    colours = np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)
    assert len(colours) > 1, f"{path.name} has a single colour"


def test_blank_image_is_caught(tmp_path):
    path = tmp_path / "blank.png"
    matplotlib.image.imsave(path, np.ones((300, 300, 3)))
    with pytest.raises(AssertionError):
        assert_image(path)


def test_plot_run_writes_each_figure(run_dir):
    written = plot_run(run_dir)
    names = sorted(p.name for p in written)
    assert names == ["effects_PAK.png", "heatmaps.png", "network.png", "trajectories_PAK.png"]
    for path in written:
        assert path.parent == run_dir / "figures"
        assert_image(path)
    assert sorted(p.name for p in (run_dir / "figures").iterdir()) == names  # no temp files


def test_plot_run_without_scenario_has_no_effect_figure(tmp_path):
    run_dir = _write_run(tmp_path / "run", scenario=False)
    names = sorted(p.name for p in plot_run(run_dir))
    assert names == ["heatmaps.png", "network.png", "trajectories_PAK.png"]


def test_plot_run_without_summary_uses_codes(run_dir):
    (run_dir / "summary.json").unlink()
    assert len(plot_run(run_dir)) == 4


def test_plot_run_focus_and_dates(run_dir):
    written = plot_run(run_dir, focus="USA", dates=["2015-06", "2016-12"])
    assert {"trajectories_USA.png", "effects_USA.png"} <= {p.name for p in written}


def test_plot_run_draws_sobol_when_present(run_dir, sweep_dir):
    (sweep_dir / "sobol.parquet").rename(run_dir / "sobol.parquet")
    written = plot_run(run_dir)
    assert "sobol.png" in {p.name for p in written}


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_formats(run_dir, fmt):
    written = plot_run(run_dir, fmt=fmt)
    assert written and all(p.suffix == f".{fmt}" for p in written)
    head = written[0].read_bytes()[:2000]
    assert (b"%PDF" in head) if fmt == "pdf" else (b"<svg" in head)


def test_unknown_state_format_date_and_column(run_dir):
    with pytest.raises(InputError, match="focus"):
        plot_run(run_dir, focus="XXX")
    with pytest.raises(InputError, match="format"):
        plot_run(run_dir, fmt="jpg")
    with pytest.raises(InputError, match="outside the run"):
        plot_run(run_dir, dates=["2030-01"])
    assert not (run_dir / "figures").exists()  # checked before anything is drawn
    pd.read_parquet(run_dir / "trajectories.parquet").drop(columns="value").to_parquet(
        run_dir / "trajectories.parquet")
    with pytest.raises(InputError, match="value"):
        plot_run(run_dir)


def test_plot_sweep(sweep_dir):
    written = plot_sweep(sweep_dir)
    names = sorted(p.name for p in written)
    assert names == ["response_params_beta.png", "response_scenario_amount_usd.png",
                     "sobol.png"]
    for path in written:
        assert_image(path)


def test_plot_sweep_needs_collect(tmp_path):
    (tmp_path / "sweep" / "0").mkdir(parents=True)
    with pytest.raises(InputError, match="sim.collect"):
        plot_sweep(tmp_path / "sweep")


def test_plot_catalogue(catalogue, tmp_path):
    written = plot_catalogue(catalogue, tmp_path / "figs")
    assert [p.name for p in written] == ["event_timeline.png"]
    assert_image(written[0])
    assert plot_catalogue(catalogue, tmp_path / "figs", fmt="svg")[0].suffix == ".svg"


def test_catalogue_bad_date_names_the_line(tmp_path):
    path = tmp_path / "events.csv"
    header = "date,source,target,type,magnitude,unit,cameo,source_doc,note\n"
    path.write_text(header + "2015-01,USA,PAK,aid,1,level,,a.txt,x\n"
                    "15/03/2016,USA,PAK,aid,1,level,,a.txt,y\n")
    with pytest.raises(InputError, match=r"events\.csv:3: date"):
        plot_catalogue(path, tmp_path)


def test_main_prints_files(run_dir, capsys):
    """stdout lists the figures written; stderr says, before the wait, that it draws."""
    assert main([str(run_dir), "--format", "svg", "--dates", "2015-01,2016-01"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 4 and all(Path(line).suffix == ".svg" and Path(line).is_file()
                                   for line in lines)
    assert out.err == f"drawing 4 figures into {run_dir / 'figures'} (a few seconds)\n"


def test_a_sweep_and_a_catalogue_say_that_they_draw(sweep_dir, catalogue, tmp_path, capsys):
    assert main([str(sweep_dir)]) == 0
    out = capsys.readouterr()
    assert out.err == f"drawing 3 figures into {sweep_dir / 'figures'} (a few seconds)\n"
    assert len(out.out.splitlines()) == 3
    assert main(["catalogue", str(catalogue), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err.startswith("drawing 1 figure into ")
    plot_run(run_dir=_write_run(tmp_path / "quiet"))  # as a library: silent unless asked
    assert capsys.readouterr().err == ""


def test_a_python_result_says_that_it_draws(run_dir, capsys):
    result = Result(json.loads((run_dir / "summary.json").read_text()), run_dir)
    written = result.plot()
    assert capsys.readouterr().err.startswith(f"drawing {len(written)} figures into ")
    result.plot(progress=False)
    assert capsys.readouterr().err == ""


def test_the_response_is_ticked_at_the_swept_values_with_each_colour_apart(sweep_dir):
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    done = table[table["status"] == "done"]
    states = sweep_states(sweep_dir, done)
    fig = response_figure(done, "scenario.amount_usd", [("PAK", "USA")], states, "note",
                          by="params.beta")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["$0.1 bn", "$0.5 bn", "$2 bn",
                                                            "$10 bn"]
    whiskers = [c for c in ax.collections if c.get_segments()]
    assert len(whiskers) == 2  # one set per value of params.beta
    xs = [sorted(seg[0][0] for seg in c.get_segments()) for c in whiskers]
    assert all(a < b for a, b in zip(*xs, strict=True))  # side by side, never on one another
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"params.beta = 0.1", "params.beta = 0.3"} <= set(legend)


def test_the_effect_band_is_not_the_window_shade(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    fig = run_effects_figure(_effects(), summary, "PAK")
    ax = fig.axes[0]
    band = next(c for c in ax.collections if c.get_array() is None and len(c.get_paths()))
    window = next(p for p in ax.patches)
    assert band.get_alpha() is None and band.get_facecolor()[0][3] == 1.0  # opaque
    assert band.get_zorder() > window.get_zorder()
    assert tuple(band.get_facecolor()[0][:3]) != tuple(window.get_facecolor()[:3])


@pytest.mark.parametrize("history", ["reference", "scenario"])
def test_the_figures_say_which_variant_is_the_history(run_dir, history):
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["scenario"].update(history=history, settings={"amount_usd": 2e9})
    traj = pd.read_parquet(run_dir / "trajectories.parquet")
    legend = [t.get_text() for t in run_trajectories_figure(traj, summary, "PAK")
              .legends[0].get_texts()]
    assert f"{history}: the history (the record, with the lever)" in legend
    effects = run_effects_figure(_effects(), summary, "PAK")
    assert f"{history} (the history)" in effects._suptitle.get_text()
    assert "'aid_freeze' (amount_usd $2 bn): adds 2 aid cut events USA → PAK (2016-01)" in (
        effects._suptitle.get_text())
    states = run_states(summary, traj, run_dir)
    network = network_figure(traj, states, history=history)
    assert f"{history} (the history)" in [ax.get_title() for ax in network.axes][
        ["reference", "scenario"].index(history)]


def test_main_catalogue_word(catalogue, tmp_path, capsys):
    assert main(["catalogue", str(catalogue), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out" / "event_timeline.png")


@pytest.mark.parametrize("args", [
    ["nonexistent/run"],
    ["{tmp}"],                      # a directory that is neither a run nor a sweep
    ["{run}", "--format", "gif"],
    ["{run}", "--dates", "2015-13"],
    ["{sweep}", "--dates", "2015-01"],
    ["{fifo}"],                     # a FIFO (as a device) is named as such, never opened
    ["/dev/null"],
    [],
])
def test_cli_bad_input_one_line_exit_2(args, run_dir, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "sweep" / "0").mkdir(parents=True)
    os.mkfifo(tmp_path / "pipe")
    places = {"tmp": tmp_path / "empty", "run": run_dir, "sweep": tmp_path / "sweep",
              "fifo": tmp_path / "pipe"}
    args = [a.format(**places) for a in args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "sim.plot", *args], cwd=tmp_path,
                            capture_output=True, text=True, env=env)
    assert assert_one_line_error(result).startswith("error: ")
    assert result.stdout == ""


def test_figures_honour_the_umask(run_dir):
    mask = os.umask(0o022)
    try:
        written = plot_run(run_dir)
    finally:
        os.umask(mask)
    assert all(path.stat().st_mode & 0o777 == 0o644 for path in written)


def test_heatmaps_default_to_the_lever_the_peak_and_the_end(run_dir, monkeypatch):
    seen = {}

    def record(traj, states, dates, titles=None, **_):
        seen.update(dates=list(dates), titles=list(titles))
        return Figure()

    monkeypatch.setattr(sim.report.plot, "heatmaps_figure", record)
    plot_run(run_dir)
    assert [f"{d:%Y-%m}" for d in seen["dates"]] == ["2016-01", "2016-12"]
    assert seen["titles"] == ["lever 2016-01", "peak = end 2016-12"]


def test_events_are_one_row_each_with_the_variants_that_have_them(tmp_path):
    summary = {"events_used": [
        {"id": "a", "date": "2015-01-01", "source": "USA", "target": "PAK", "type": "aid",
         "variant": "reference"},
        {"id": "a", "date": "2015-01-01", "source": "USA", "target": "PAK", "type": "aid",
         "variant": "scenario"},
        {"id": "b", "date": "2015-02-01", "source": "USA", "target": "PAK", "type": "visit",
         "variant": "reference"},
        {"id": "c", "date": "2015-03-01", "source": "USA", "target": "PAK", "type": "aid_cut",
         "variant": "scenario"},
    ]}
    events = events_used(summary, tmp_path)
    assert events.set_index("id")["variant"].to_dict() == {"a": "both", "b": "reference",
                                                         "c": "scenario"}


@pytest.mark.parametrize("largest,factor", [(0.2, 1.0), (0.0036, 1e3), (3.6e-5, 1e5), (0.0, 1.0)])
def test_small_effects_get_their_own_scale(largest, factor):
    assert scale(np.array([0.0, -largest]))[0] == pytest.approx(factor)


def test_sobol_figure_bounds_the_indices(tmp_path, sweep_dir):
    table = pd.read_parquet(sweep_dir / "sobol.parquet")
    table.loc[0, ["ST", "ST_conf"]] = [1.8, 2.1]  # noise of a tiny effect
    samples = pd.DataFrame({"PAK->USA end": np.linspace(-0.1, 0.0, 16)})
    path = save(sobol_figure(table, samples, {"PAK->USA end": 0.02}), tmp_path / "sobol.png")
    assert_image(path)
    assert effect_sizes(samples, ["PAK->USA end"])["PAK->USA end"].startswith("effect")


@pytest.mark.parametrize("where", ["summary", "table"])
def test_run_directories_whose_state_codes_hold_paths_are_refused(tmp_path, where):
    """Figure names are built from state codes: a crafted run directory cannot make a
    figure land outside it."""
    run = _write_run(tmp_path / "run")
    if where == "summary":
        summary = json.loads((run / "summary.json").read_text())
        summary["actors"][0]["code"] = "/../../X"
        summary["focus"] = "/../../X"
        (run / "summary.json").write_text(json.dumps(summary))
    else:
        (run / "summary.json").unlink()
        table = pd.read_parquet(run / "trajectories.parquet")
        table.loc[table["source"] == "PAK", "source"] = "../X"
        table.to_parquet(run / "trajectories.parquet")
    with pytest.raises(InputError) as info:
        plot_run(run, focus="/../../X" if where == "summary" else None)
    assert "state code" in info.value.fix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert not (run / "figures").exists() or not any((run / "figures").iterdir())


@pytest.mark.parametrize("table,column,value", [
    ("trajectories", "value", float("nan")), ("trajectories", "value", "high"),
    ("effects", "mean", float("inf")), ("effects", "p05", float("-inf")),
])
def test_run_tables_holding_numbers_that_are_not_finite_are_refused(tmp_path, table, column,
                                                                    value):
    """A NaN in a crafted trajectories table once sized a figure past all memory, an
    infinity in the effects drew empty panels: each stops in one line naming the column
    and the row, and no figure is written."""
    run = _write_run(tmp_path / "run")
    path = run / f"{table}.parquet"
    frame = pd.read_parquet(path)
    if isinstance(value, str):  # a column of text (numbers written as words)
        frame[column] = frame[column].astype(str)
    frame.loc[3, column] = value
    frame.to_parquet(path)
    with pytest.raises(InputError) as info:
        plot_run(run)
    assert info.value.field == f"column '{column}'" and "row 3" in info.value.fix
    assert not (run / "figures").exists() or not any((run / "figures").iterdir())
