"""The configuration schema (structured configs), registered with Hydra's ConfigStore."""

import uuid
from dataclasses import dataclass, field, make_dataclass
from enum import StrEnum
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from sim.data.eventtypes import DEFAULT_WEIGHTS
from sim.model.params import MONEY_REF_USD, PARAMETERS, TIV_REF

EFFECT_WHEN = ("12m", "end")  # where summaries report a scenario's effect
RUN_ID = uuid.uuid4().hex[:6]  # names this process's run directory (configs/hydra/default.yaml)


# The closed choices, checked by OmegaConf as it composes (a wrong value stops there, in
# one line); each member is its own text, so comparisons and summaries read "local".
class Action(StrEnum):
    remove = "remove"
    scale = "scale"
    add = "add"


class History(StrEnum):
    reference = "reference"
    scenario = "scenario"


class Balance(StrEnum):
    local = "local"
    canonical = "canonical"  # Marvel, Kleinberg & Strogatz 2011


class Bounds(StrEnum):
    """How A stays inside [-1, 1] (sim.model.bounds)."""

    tanh = "tanh"  # a latent x = atanh(A) takes the change
    heider = "heider"  # the change damped by 1 - A^2 (Kulakowski, Gawronski & Gronek 2005)
    clip = "clip"  # A + dA clipped, as before


class Unit(StrEnum):
    usd = "usd"
    level = "level"
    count = "count"
    tiv = "tiv"  # SIPRI trend-indicator value (arms deliveries)


class BoundsFrom(StrEnum):
    range = "range"
    posterior = "posterior"


class DensityEstimator(StrEnum):
    maf = "maf"
    nsf = "nsf"
    mdn = "mdn"


@dataclass
class DataConfig:
    actors: str = "seeds/actors.yaml"
    events: str = "seeds/events.csv"
    # the default background: applies to the states of the actors file it names, the rest
    # skipped with a notice; `data.background=[]` leaves it out
    background: list[str] = field(default_factory=lambda: ["seeds/background.csv"])
    extra_events: list[str] = field(default_factory=list)  # a user's catalogues, added
    # measured inputs (data/events/us_aid.csv by default, sipri.csv on request): to
    # measured_until they replace the background's rows of their types and sources, after it
    # they are left out (held out of every fit); sim.data.events.measured
    measured: list[str] = field(default_factory=lambda: ["data/events/us_aid.csv"])
    measured_until: str = "2015-12"
    facts: str = "seeds/facts.yaml"


ParamsConfig = make_dataclass("ParamsConfig", [
    *((p.name, float, p.default) for p in PARAMETERS),
    # an action rate is per month and ordered pair, for the types the states choose
    ("action_rates", dict[str, float], field(default_factory=dict)),
    ("money_ref_usd", float, MONEY_REF_USD),
    ("tiv_ref", float, TIV_REF),
    ("weights", dict[str, float], field(default_factory=lambda: dict(DEFAULT_WEIGHTS))),
    ("draws", str | None, None),  # a table of posterior draws: replicate r takes draw r mod D
    ("provenance", dict[str, Any], field(default_factory=dict)),
])
ParamsConfig.__module__ = __name__
ParamsConfig.__doc__ = "The params group: the rates of sim.model.params.PARAMETERS and the rest."


@dataclass
class EventMatch:
    id: str | None = None
    source: str | None = None
    target: str | None = None
    type: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    both_directions: bool = False


@dataclass
class NewEvent:
    date: str = MISSING
    source: str = MISSING
    target: str = MISSING
    type: str = MISSING
    magnitude: float = MISSING
    unit: Unit = Unit.usd
    cameo: str = ""
    note: str = ""


@dataclass
class Edit:
    action: Action = MISSING
    match: EventMatch = field(default_factory=EventMatch)
    factor: float = 1.0
    event: NewEvent | None = None


@dataclass
class ScenarioConfig:
    name: str = MISSING
    description: str = ""
    history: History = History.reference  # the variant that replays the catalogue; facts are checked on it
    lever_date: str | None = None  # YYYY-MM of the change the effect is reported from
    amount_usd: float | None = None
    date: str | None = None
    factor: float | None = None
    reference: list[Edit] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)


@dataclass
class ModelConfig:
    """Which form of the model a run uses (README, "The model")."""

    balance: Balance = Balance.local
    bounds: Bounds = Bounds.tanh
    agents: bool = True  # the states choose their own actions once the record hands over
    # the month from which the states act in every variant (a counterfactual then thins the
    # record's later choices, sim/run/handover.py); null: a scenario's lever date (its first
    # change if it has none), else the month after the record
    agents_from: str | None = None


@dataclass
class OutputConfig:
    quantile_bins: int = 1000
    keep_replicates: int = 0
    fact_fraction: float = 0.8
    effect_threshold: float = 0.01  # an effect entry's `moved`: replicates moved by more
    histogram_budget_mb: int = 768
    measurements: bool = True  # measurements.parquet: the observation model beside the observed


@dataclass
class BlockConfig:
    """A run split across jobs: this job simulates block `index` of `count` blocks of the
    replicates and writes their exact sums (sim.run.blocks merges them)."""

    index: int = 0
    count: int = 1


@dataclass
class CalibrationConfig:
    """Settings of `python -m sim.calibrate` (documented in configs/calibrate.yaml)."""

    priors: str = "configs/priors.yaml"
    evidence: list[str] = field(default_factory=lambda: ["facts", "counts", "measured"])
    record: list[str] = field(default_factory=lambda: ["2010-01", "2018-12"])
    holdout: str | None = None
    without: list[str] = field(default_factory=list)
    simulations: int = 50000
    seed: int = 20240601
    density_estimator: DensityEstimator = DensityEstimator.maf
    hidden_features: int = 50
    transforms: int = 5
    batch_size: int = 400
    max_epochs: int = 200
    stop_after_epochs: int = 20
    threads: int = 1
    min_share: float = 0.005
    draws: int = 1000
    sbc_records: int = 300
    sbc_draws: int = 200
    output: str = "configs/params/posterior.yaml"
    point_output: str = "configs/params/point.yaml"
    report_dir: str | None = None
    progress: bool = True


@dataclass
class SensitivityConfig:
    samples: int = 64            # N, a power of 2: N * (D + 2) parameter sets (N * (2D + 2)
    second_order: bool = False   # with second-order indices, which sobol.parquet leaves out)
    replicates_each: int = 40    # paired replicates per parameter set
    sets_per_chunk: int = 128    # parameter sets per kernel chunk (a step of the progress bar)
    resamples: int = 100         # bootstrap resamples for the confidence intervals
    conf_level: float = 0.95
    pairs: list[str] = field(default_factory=lambda: ["PAK->USA", "PAK->RUS", "PAK->CHN"])
    when: list[str] = field(default_factory=lambda: list(EFFECT_WHEN))
    # rate -> [low, high]; a rate not given varies over its documented range, or with
    # bounds_from=posterior over the central 90% of the posterior draws (params.draws)
    bounds: dict[str, list[float]] = field(default_factory=dict)
    bounds_from: BoundsFrom = BoundsFrom.range


@dataclass
class Config:
    seed: int = 0
    replicates: int = 1000
    start: str = "2010-01"
    end: str = "2019-12"
    plot: bool = False
    focus: str | None = None  # PAK if among the actors, else the first actor
    data: DataConfig = field(default_factory=DataConfig)
    params: ParamsConfig = field(default_factory=ParamsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    scenario: ScenarioConfig | None = None
    output: OutputConfig = field(default_factory=OutputConfig)
    block: BlockConfig = field(default_factory=BlockConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    sensitivity: SensitivityConfig | None = None  # set by experiments/experiment/sobol.yaml


def register() -> None:
    """The schema in Hydra's ConfigStore and the `sim_run_id` resolver of the run directories."""
    ConfigStore.instance().store(name="schema", node=Config)
    OmegaConf.register_new_resolver("sim_run_id", lambda: RUN_ID, replace=True)
