"""The simulator from Python: the command line's configuration and run code, called directly.

    from sim import Edit, NewEvent, Scenario, Simulation

    result = Simulation("aid_freeze", replicates=200).run()  # a shipped scenario
    result.entries()                                         # its effects, one row each
    result.plot()                                            # the figures, as files

    freeze = Scenario(name="big_freeze", lever_date="2017-06", edits=[
        Edit(action="add", event=NewEvent(date="2017-06", source="USA", target="PAK",
                                          type="aid_cut", magnitude=4e9))])
    Simulation(freeze, replicates=200, seed=1).run().effects  # scenario minus reference

    model = Simulation("aid_freeze").model()                 # one replicate as a Mesa model
    for _ in range(12):
        model.step()

`Simulation` composes the configuration exactly as `python -m sim` does (configs/config.yaml,
the calibrated parameters, the seed data) and its `run` calls the same `sim.run.run.run`, which
writes the same files into a run directory; they come back as tables. `Scenario`, `Edit`,
`Match` and `NewEvent` are the schema of a scenario file (configs/scenario/*.yaml), as
dataclasses. The functions `config`, `run` and `model` of this module do the same in one call.
"""

import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from sim.config.compose import job_config
from sim.config.schema import Edit, NewEvent, ScenarioConfig, register
from sim.config.schema import EventMatch as Match
from sim.errors import InputError
from sim.paths import CONFIG_DIR
from sim.run.jobs import claim_output_dir

Scenario = ScenarioConfig
SCENARIO_DIR = CONFIG_DIR / "scenario"

__all__ = ["Edit", "Match", "NewEvent", "Result", "Scenario", "Simulation", "config", "model",
           "run", "scenarios"]


def read_table(path: Path) -> pd.DataFrame:
    """A table of a run directory; InputError if it is not a Parquet file."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise InputError(path, "table", f"cannot be read ({str(err).splitlines()[0]}); run the "
                         "simulation again") from None


def scenarios() -> list[str]:
    """The names of the shipped scenarios (files in configs/scenario/)."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def _value(value) -> str:
    """A Python value as Hydra override text."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_value(v) for v in value) + "]"
    return str(value)


def _flat(prefix: str, values: Mapping) -> list[str]:
    """{'params': {'beta': 0.03}} -> ['params.beta=0.03']."""
    found = []
    for key, value in values.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        found += _flat(name, value) if isinstance(value, Mapping) else [f"{name}={_value(value)}"]
    return found


def config(scenario: "str | Scenario | Mapping | None" = None, overrides: Sequence[str] = (),
           **keys) -> DictConfig:
    """The run configuration `python -m sim` would compose.

    scenario: None (the history alone), the name of a shipped scenario ('aid_freeze'), or a
        scenario built in Python: a `Scenario` or a dict with its fields (name, description,
        lever_date, history, reference, edits, ...).
    overrides: command-line overrides as text, e.g. ['params.weights.aid_cut=-7'].
    keys: top-level keys of the configuration as Python values, e.g. replicates=200,
        seed=1, start='2016-01', end='2019-12', focus='PAK', params='goldstein' (a
        parameter set by name) or params={'beta': 0.03} (single values),
        data={'events': 'my_events.csv'}, output={'keep_replicates': 10}.
    Raises InputError (one line naming the key and the fix) for a misspelt key or a value of
    the wrong type.
    """
    register()
    if isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise InputError("config", "overrides", f"{overrides!r:.60} is not a list of key=value "
                         "texts; write e.g. overrides=['seed=1']")
    texts = []
    for key, value in keys.items():
        if key == "params" and isinstance(value, str):
            texts.append(f"params={value}")
        elif isinstance(value, Mapping):
            texts += _flat(key, value)
        else:
            texts.append(f"{key}={_value(value)}")
    if isinstance(scenario, str):
        if scenario not in scenarios():
            raise InputError("scenario", scenario, f"not a shipped scenario; use one of "
                             f"{', '.join(scenarios())}, or build a Scenario")
        texts.insert(0, f"+scenario={scenario}")
    cfg = job_config([*texts, *overrides])  # the command line's composition and checks
    with open_dict(cfg):
        del cfg["hydra"]
    if scenario is not None and not isinstance(scenario, str):
        try:
            cfg.scenario = OmegaConf.merge(OmegaConf.structured(ScenarioConfig), scenario)
        except (OmegaConfBaseException, ValueError, TypeError) as err:
            raise InputError("config", "overrides", f"{str(err).splitlines()[0]}; check the "
                             "key names and values against configs/config.yaml") from None
    return cfg


@dataclass(frozen=True)
class Result:
    """What one run wrote, as tables. run_dir holds the files of the command line's run."""

    summary: dict
    run_dir: Path

    @property
    def trajectories(self) -> pd.DataFrame:
        """variant, stat (mean, p05 .. p95), step, date, source, target, value."""
        path = self.run_dir / "trajectories.parquet"
        if not path.is_file():
            raise InputError(self.run_dir, "trajectories.parquet", "no such table; give the "
                             "directory a run wrote (Simulation(...).run(out_dir=...))")
        return read_table(path)

    @property
    def effects(self) -> pd.DataFrame | None:
        """Scenario minus reference per date and pair (None without a scenario): step, date,
        source, target, mean, p05 .. p95, exact, entry."""
        path = self.run_dir / "effects.parquet"
        return read_table(path) if path.is_file() else None

    def entries(self) -> pd.DataFrame:
        """The summary's effect entries, one row each: source, target, when (12m, peak, end,
        cumulative), date, date_to, months, mean, p05, p95."""
        return pd.DataFrame(self.summary.get("effects") or [])

    def facts(self) -> pd.DataFrame:
        """Each stylized fact the run checks: id, text, met, fraction of replicates, ..."""
        return pd.DataFrame(self.summary.get("facts") or [])

    def plot(self, fmt: str = "png", focus: str | None = None,
             dates: Sequence[str] | None = None, progress: bool = True) -> list[Path]:
        """The figures into run_dir/figures (see sim.report.plot.plot_run); returns their paths.
        progress: a line on stderr while they are drawn."""
        from sim.report.plot import plot_run

        return plot_run(self.run_dir, fmt, focus=focus, dates=dates, progress=progress)


def run(scenario: "str | Scenario | Mapping | None" = None, *, out_dir: str | Path | None = None,
        overrides: Sequence[str] = (), progress: bool = True, **keys) -> Result:
    """Run an ensemble (and a scenario) as `python -m sim` does; returns its tables.

    scenario, overrides, keys: as for `config`. out_dir: the run directory (default a new
    temporary directory); refused, as by the command line, if it holds files already.
    progress: as the command line, a line on stderr for a step that takes over 2 s (and a bar
    over chunks of replicates); False: silent but for the notice of a first compile.
    """
    from sim.run.run import run as run_configured

    cfg = config(scenario, overrides, **keys)
    out = Path(tempfile.mkdtemp(prefix="sim-run-")) if out_dir is None else Path(out_dir)
    claim_output_dir(out, "out_dir")
    summary = run_configured(cfg, out, overrides=list(overrides), progress=progress,
                             figures=_figures)
    return Result(summary, out)


def model(scenario: "str | Scenario | Mapping | None" = None, *, variant: str | None = None,
          replicate: int = 0, overrides: Sequence[str] = (), **keys):
    """One replicate of one variant as a Mesa model (sim.model.mesa.GeoModel), to step by hand.

    scenario, overrides, keys: as for `config` (the seed is keys' `seed`, default 0).
    variant: 'reference' or 'scenario' (default: the variant that replays the history).
    replicate: which replicate's random stream. The model of the history's variant agrees
    value for value with that replicate of the ensemble. The other variant, run alone, is its
    own history: in the ensemble its states' choices are thinned against the history's, which
    a model of one variant cannot see.
    """
    from sim.model.kernel import advance_one
    from sim.model.mesa import GeoModel
    from sim.run.run import cached, compile_notice, prepare

    if not cached(advance_one):
        print(compile_notice("the Mesa model's step at its first step()"), file=sys.stderr,
              flush=True)
    cfg = config(scenario, overrides, **keys)
    setup = prepare(cfg)
    variant = variant or setup.schedules.history
    if variant not in setup.schedules.names:
        raise InputError("model", "variant",
                         f"'{variant}' is not one of {', '.join(setup.schedules.names)}")
    return GeoModel(**model_arguments(setup, cfg, variant, replicate))


def model_arguments(setup, cfg, variant: str, replicate: int) -> dict:
    """GeoModel's arguments for replicate `replicate` of `variant` of a prepared run
    (sim.run.run.prepare): its events, the replicate's own parameter row (its posterior draw),
    its random streams and the states' agency for the variant run alone."""
    from sim.run.handover import variant_agency
    from sim.run.inputs import build_schedule
    from sim.run.parameters import replicate_rows

    events = setup.schedules.events[setup.schedules.names.index(variant)]
    schedule = build_schedule([events], setup.actors.index, setup.start, setup.n_steps,
                              setup.params["money_ref_usd"], setup.params["tiv_ref"])
    rates, weights = replicate_rows(setup.params, replicate + 1)
    return {"actors": setup.actors, "schedule": schedule, "rates": rates[replicate],
            "weights": weights[replicate], "seed": int(cfg.seed), "replicate": replicate,
            "agency": variant_agency(setup, variant), "balance": cfg.model.balance,
            "bounds": cfg.model.bounds}


class Simulation:
    """A configured simulation: the defaults of `python -m sim` with your changes.

    scenario: None (the history alone), the name of a shipped scenario ('aid_freeze'), or a
        `Scenario` (or dict) built in Python.
    overrides: command-line overrides as text, e.g. ['params.weights.aid_cut=-7'].
    keys: top-level keys as Python values: replicates, seed, start, end, focus, params (a
        name or a dict of single values), data, output (see `config`).
    The configuration is composed (and checked) at once: a misspelt key raises InputError.
    """

    def __init__(self, scenario: "str | Scenario | Mapping | None" = None,
                 overrides: Sequence[str] = (), **keys):
        self.scenario, self.overrides, self.keys = scenario, tuple(overrides), keys
        self.config = config(scenario, overrides, **keys)

    def run(self, out_dir: str | Path | None = None, progress: bool = True) -> Result:
        """The ensemble (and the scenario's effect), as `python -m sim` runs it."""
        return run(self.scenario, out_dir=out_dir, overrides=self.overrides, progress=progress,
                   **self.keys)

    def model(self, variant: str | None = None, replicate: int = 0):
        """One replicate of one variant as a Mesa GeoModel (see the module's `model`)."""
        return model(self.scenario, variant=variant, replicate=replicate,
                     overrides=self.overrides, **self.keys)


def _figures(run_dir, focus):
    """plot=true: matplotlib is loaded only when a run asks for figures."""
    from sim.report.plot import run_figures

    return run_figures(run_dir, focus)
