"""The measurements of the bounds comparison (experiments/bounds/README.md), from the kept
replicates of the aid_freeze scenario and of the history without one.

    python experiments/bounds/measure.py [OVERRIDES...]     # e.g. model.bounds=clip

Runs `python -m sim +scenario=aid_freeze` to 2019-12 and to 2023-12 and `python -m sim
end=2023-12`, each keeping all of its 1000 replicates (seed 0), and prints one JSON object:

- the share of replicates whose PAK->USA effect is exactly 0 at 2019-01;
- the freeze's effect at 12 months (2019-01) on PAK->USA, PAK->RUS and PAK->CHN: mean,
  median and the share of replicates moved the way of the mean by more than
  output.effect_threshold, as the console gives them;
- on the pairs the scenario edits, the least and greatest per-replicate effect at any date,
  and the replicates with an effect beyond +-1 at some date, to 2019-12 and to 2023-12;
- the share of values with |A| > 0.99 (every replicate, ordered pair and month): of the
  history to 2023-12 (by year too) and of the freeze run's history variant to 2019-12 and
  2023-12;
- the values of A at exactly +-1, which a bounded form never reaches from inside.

The facts met are the console's (`python -m sim +scenario=aid_freeze`).
"""

import json
import sys
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir

from sim.config.schema import register
from sim.data.dates import parse_month
from sim.run.effects import sample_mean, share_moved, touched_pairs
from sim.run.run import prepare, simulate_setup

ROOT = Path(__file__).resolve().parents[2]
SATURATED = 0.99
REPLICATES = 1000
AT = "2019-01"  # the lever (2018-01) + 12 months
PAIRS = (("PAK", "USA"), ("PAK", "RUS"), ("PAK", "CHN"))


def configure(overrides):
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def kept(overrides):
    cfg = configure([*overrides, f"output.keep_replicates={REPLICATES}",
                     f"replicates={REPLICATES}", "seed=0"])
    setup = prepare(cfg)
    ens, _ = simulate_setup(setup, cfg, progress=False, quantile_bins=0)
    return cfg, setup, ens.raw  # float64[R, V, T + 1, N, N]


def off_diagonal(values: np.ndarray) -> np.ndarray:
    """The off-diagonal values of float64[..., N, N], flattened over the last two axes."""
    n = values.shape[-1]
    return values[..., ~np.eye(n, dtype=bool)]


def saturation(values: np.ndarray) -> float:
    """Share of the off-diagonal values of float64[..., N, N] with |A| > SATURATED."""
    return float((np.abs(off_diagonal(values)) > SATURATED).mean())


def at_bounds(values: np.ndarray) -> int:
    return int((np.abs(off_diagonal(values)) == 1.0).sum())


def freeze(overrides, end):
    """The freeze run to `end`: (cfg, setup, effect float64[R, T + 1, N, N], history values)."""
    cfg, setup, raw = kept([*overrides, "+scenario=aid_freeze", f"end={end}"])
    names = setup.schedules.names
    effect = raw[:, names.index("scenario")] - raw[:, names.index("reference")]
    return cfg, setup, effect, raw[:, names.index(setup.schedules.history)]


def touched_extremes(setup, effect) -> dict:
    """Least and greatest effect at any date on the pairs the scenario edits, and the
    replicates beyond +-1 at some date."""
    index = setup.actors.index
    cells = np.stack([effect[:, :, i, j] for i, j in sorted(touched_pairs(setup.schedules.events,
                                                                          index))], axis=1)
    beyond = (np.abs(cells) > 1.0).any(axis=(1, 2))
    return {"min": float(cells.min()), "max": float(cells.max()),
            "replicates_beyond_1": int(beyond.sum())}


def main(overrides):
    register()
    out = {"overrides": list(overrides)}
    cfg, setup, effect, history = freeze(overrides, "2019-12")
    index = setup.actors.index
    step = parse_month(AT, "measure", "date") - setup.start
    threshold = float(cfg.output.effect_threshold)
    pak_usa = effect[:, step, index["PAK"], index["USA"]]
    out["pak_usa_zero_share_2019_01"] = float((pak_usa == 0.0).mean())
    entries = {}
    for source, target in PAIRS:
        values = effect[:, step, index[source], index[target]]
        mean = sample_mean(values)
        entries[f"{source}->{target}"] = {"mean": float(mean), "median": float(np.median(values)),
                                          "moved": float(share_moved(values, mean, threshold))}
    out[f"effect_{AT}"] = entries
    out["effect_threshold"] = threshold
    out["touched_effect_to_2019_12"] = touched_extremes(setup, effect)
    out["saturation_scenario_history_to_2019_12"] = saturation(history)
    out["at_bounds_scenario_history_to_2019_12"] = at_bounds(history)
    _, setup, effect, history = freeze(overrides, "2023-12")
    out["touched_effect_to_2023_12"] = touched_extremes(setup, effect)
    out["saturation_scenario_history_to_2023_12"] = saturation(history)
    out["at_bounds_scenario_history_to_2023_12"] = at_bounds(history)
    del effect, history
    _, _, plain = kept([*overrides, "end=2023-12"])
    out["saturation_history_to_2023_12"] = saturation(plain[:, 0])
    out["at_bounds_history_to_2023_12"] = at_bounds(plain[:, 0])
    years = {}
    for year in (2010, 2018, 2019, 2023):
        first = (year - 2010) * 12
        years[str(year)] = saturation(plain[:, 0, first:first + 12])
    out["saturation_history_by_year"] = years
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
