"""The measurements of the bounds comparison (experiments/bounds/README.md), from the kept
replicates of the default run and of the aid_freeze scenario.

    python experiments/bounds/measure.py [OVERRIDES...]     # e.g. model.bounds=clip

Prints one JSON object: the share of replicates whose PAK->USA effect is exactly 0 at
2019-01, the least and greatest per-replicate effect at any date on the pairs the scenario
edits, the share of values with |A| > 0.99 (every replicate, pair and month of the history
to 2023-12, and of the scenario's history variant to 2019-12), the effect on PAK->RUS and
PAK->CHN at 12 months, and the facts met.
"""

import json
import sys
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir

from sim.config.schema import register
from sim.data.dates import parse_month
from sim.run.effects import touched_pairs
from sim.run.run import prepare, simulate_setup

ROOT = Path(__file__).resolve().parents[2]
SATURATED = 0.99


def configure(overrides):
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def kept(overrides):
    cfg = configure([*overrides, f"output.keep_replicates={1000}", "replicates=1000", "seed=0"])
    setup = prepare(cfg)
    ens, _ = simulate_setup(setup, cfg, progress=False, quantile_bins=0)
    return cfg, setup, ens.raw  # float64[R, V, T + 1, N, N]


def saturation(values: np.ndarray) -> float:
    """Share of the off-diagonal values of float64[..., N, N] with |A| > SATURATED."""
    n = values.shape[-1]
    off = ~np.eye(n, dtype=bool)
    return float((np.abs(values[..., off]) > SATURATED).mean())


def main(overrides):
    register()
    out = {"overrides": list(overrides)}
    cfg, setup, raw = kept([*overrides, "+scenario=aid_freeze"])
    index, names = setup.actors.index, setup.schedules.names
    effect = raw[:, names.index("scenario")] - raw[:, names.index("reference")]
    step = parse_month("2019-01", "measure", "date") - setup.start
    pak_usa = effect[:, step, index["PAK"], index["USA"]]
    out["pak_usa_zero_share_2019_01"] = float((pak_usa == 0.0).mean())
    touched = sorted(touched_pairs(setup.schedules.events, index))
    cells = np.stack([effect[:, :, i, j] for i, j in touched])
    out["touched_effect_min"], out["touched_effect_max"] = float(cells.min()), float(cells.max())
    history = names.index(setup.schedules.history)
    out["saturation_scenario_history_to_2019_12"] = saturation(raw[:, history])
    _, _, plain = kept([*overrides, "end=2023-12"])
    out["saturation_history_to_2023_12"] = saturation(plain[:, 0])
    years = {}
    for year in (2010, 2018, 2019, 2023):
        first = (year - 2010) * 12
        years[str(year)] = saturation(plain[:, 0, first:first + 12])
    out["saturation_history_by_year"] = years
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
