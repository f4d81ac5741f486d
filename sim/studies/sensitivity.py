"""`python -m sim.sensitivity`: global sensitivity of a scenario's effect to the kernel rates.

Sobol indices (SALib: Saltelli's sampling scheme on a scrambled Sobol sequence, and
its estimators) of the scenario's effect (scenario minus reference, as in
summary.json) on chosen pairs, 12 months after the scenario's lever date and at the
end, with respect to the kernel's rates (sim.model.params.PARAM_NAMES), each uniform within its
bounds: those given, else its documented range; with sensitivity.bounds_from=posterior, a
rate the posterior draws (params.draws) varies over their central 90%. Every parameter set
runs `replicates_each` paired replicates and its effect is their mean; all sets run in one
batched ensemble (one parameter row per replicate), with a progress bar over its chunks.

    python -m sim.sensitivity                        # the study in experiments/experiment/sobol.yaml
    python -m sim.sensitivity sensitivity.samples=256 replicates=200
    python -m sim.plot outputs/sensitivity/<day>/<run>

The run directory holds what `python -m sim` writes for the nominal parameters
(trajectories.parquet, effects.parquet, summary.json, with a `sensitivity` entry), and
- `sobol.parquet`: `output` (e.g. "PAK->USA end"), `param`, `S1`, `S1_conf`, `ST`,
  `ST_conf` (confidence half-widths at `conf_level`, from `resamples` bootstraps);
- `sobol_samples.parquet`: one row per parameter set: its rates and its effect on
  every output.
"""

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from sim.config.compose import exit_on_bad_overrides, with_experiments
from sim.config.schema import EFFECT_WHEN, SensitivityConfig, register
from sim.errors import InputError
from sim.model.ensemble import simulate
from sim.model.params import PARAM_NAMES, PARAM_RANGES
from sim.paths import CONFIG_DIR
from sim.run.inputs import parameter_rows
from sim.run.jobs import job_overrides, remove_if_only_hydra_files
from sim.run.parameters import read_draws
from sim.run.run import Setup, prepare, run
from sim.run.tables import write_json, write_parquet
from sim.studies.calibration.evidence import make_run

DEFAULT_EXPERIMENT = "sobol"
POSTERIOR_RANGE = (0.05, 0.95)  # the share of the posterior draws a rate varies over



@dataclass(frozen=True)
class Output:
    name: str
    step: int
    i: int
    j: int


def check_settings(settings, posterior=None) -> tuple[list[str], list[list[float]]]:
    """(varied rates, their bounds); raises InputError for a setting out of its range.
    posterior: the draws table of the params, when bounds_from=posterior."""
    where = "config"
    n = settings.samples
    if n < 2 or n & (n - 1):
        raise InputError(where, "sensitivity.samples", f"{n} must be a power of 2 (>= 2), as "
                         "the balance of Sobol sequences needs")
    for name, low in (("replicates_each", 1), ("sets_per_chunk", 1), ("resamples", 2)):
        if settings[name] < low:
            raise InputError(where, f"sensitivity.{name}", f"{settings[name]} must be >= {low}")
    if not 0 < settings.conf_level < 1:
        raise InputError(where, "sensitivity.conf_level", f"{settings.conf_level} must be in (0, 1)")
    unknown = sorted(set(settings.bounds) - set(PARAM_NAMES))
    if unknown:
        raise InputError(where, "sensitivity.bounds", f"unknown rate(s) {unknown}; the rates "
                         f"are {', '.join(PARAM_NAMES)}")
    if settings.bounds_from == "posterior" and posterior is None:
        raise InputError(where, "sensitivity.bounds_from", "posterior bounds need params with "
                         "draws (params=posterior)")
    bounds = []
    for name in PARAM_NAMES:
        low, high = PARAM_RANGES[name]
        pair = list(settings.bounds.get(name, (low, high)))
        if posterior is not None and settings.bounds_from == "posterior" and name in posterior:
            pair = [float(v) for v in np.quantile(posterior[name], POSTERIOR_RANGE)]
        if (len(pair) != 2 or not all(math.isfinite(x) for x in pair)
                or not low <= pair[0] < pair[1] <= high):
            raise InputError(where, f"sensitivity.bounds.{name}", f"{pair} must be [low, high] "
                             f"with {low} <= low < high <= {high} (the documented range)")
        bounds.append([float(x) for x in pair])
    bad = [w for w in settings.when if w not in EFFECT_WHEN]
    if bad or not settings.when:
        raise InputError(where, "sensitivity.when", f"{list(settings.when)} must be a non-empty "
                         f"list of {', '.join(EFFECT_WHEN)}")
    return list(PARAM_NAMES), bounds


def outputs_of(setup: Setup, settings) -> list[Output]:
    """The probed cells, ordered by step as the kernel wants them."""
    steps = {"end": setup.n_steps}
    if setup.schedules.lever is not None:  # 12 months after the lever date, as in summary.json
        steps["12m"] = min(setup.n_steps, max(0, setup.schedules.lever - setup.start + 12))
    found = []
    for text in settings.pairs:
        source, _, target = str(text).partition("->")
        source, target = source.strip(), target.strip()
        if (source not in setup.actors.index or target not in setup.actors.index
                or source == target):
            raise InputError("config", "sensitivity.pairs", f"'{text}' must be SOURCE->TARGET, two "
                             f"different states of {', '.join(setup.actors.codes)}")
        for when in settings.when:
            if when in steps:
                found.append(Output(f"{source}->{target} {when}", steps[when],
                                    setup.actors.index[source], setup.actors.index[target]))
    return sorted(found, key=lambda o: o.step)


def effects_by_set(setup: Setup, sets: list[dict], outputs: list[Output], settings, seed: int,
                   progress: bool, balance: str = "local", bounds: str = "tanh"
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance of the mean): float64[sets, outputs] each, over a set's paired
    replicates."""
    each = settings.replicates_each
    rates, weights = parameter_rows(sets, each)
    inputs = make_run("scenario", setup, (0, 0))
    ens = simulate(setup.actors.alignment, setup.actors.capability, inputs.schedule, rates, weights,
                   seed, quantile_bins=0, probe_step=[o.step for o in outputs],
                   probe_i=[o.i for o in outputs], probe_j=[o.j for o in outputs],
                   chunk=settings.sets_per_chunk * each, progress=progress, balance=balance,
                   agency=inputs.agency, bounds=bounds)
    names = setup.schedules.names
    diff = ens.probes[:, names.index("scenario")] - ens.probes[:, names.index("reference")]
    diff = diff.reshape(len(sets), each, len(outputs))
    noise = diff.var(axis=1, ddof=1) / each if each > 1 else np.full(diff.shape[::2], np.nan)
    return diff.mean(axis=1), noise


def sobol_table(problem: dict, effects: np.ndarray, outputs: list[Output], settings,
                seed: int) -> pd.DataFrame:
    frames = []
    for p, output in enumerate(outputs):
        y = effects[:, p]
        if np.ptp(y) == 0:  # nothing to apportion: every index is 0
            zero = np.zeros(problem["num_vars"])
            indices = {"S1": zero, "S1_conf": zero, "ST": zero, "ST_conf": zero}
        else:  # SALib takes a seed of 0 for none, so 1 is added
            indices = sobol_analyze.analyze(problem, y, calc_second_order=settings.second_order,
                                            num_resamples=settings.resamples,
                                            conf_level=settings.conf_level, seed=seed + 1)
        frames.append(pd.DataFrame({"output": output.name, "param": problem["names"],
                                    **{k: np.asarray(indices[k], dtype=float)
                                       for k in ("S1", "S1_conf", "ST", "ST_conf")}}))
    return pd.concat(frames, ignore_index=True)


def sensitivity(cfg: DictConfig, out_dir: Path, overrides: list[str] | None = None,
                progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """The nominal run, then the study; writes everything into out_dir. Returns the
    indices and the summary's `sensitivity` entry."""
    settings = cfg.sensitivity or OmegaConf.structured(SensitivityConfig)
    setup = prepare(cfg)
    names, bounds = check_settings(settings, read_draws(setup.params))
    if len(setup.schedules.names) < 2:
        raise InputError("config", "scenario", "the study needs a scenario whose effect it "
                         "apportions: +experiment=sobol, or +scenario=NAME")
    outputs = outputs_of(setup, settings)
    summary = run(cfg, out_dir, overrides=overrides, progress=progress)

    clock = time.perf_counter()
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    samples = sobol_sample.sample(problem, settings.samples, calc_second_order=settings.second_order,
                                  seed=cfg.seed)
    sets = [{**setup.params, **dict(zip(names, map(float, row), strict=True))} for row in samples]
    effects, noise = effects_by_set(setup, sets, outputs, settings, cfg.seed, progress,
                                    str(cfg.model.balance), str(cfg.model.bounds))
    simulate_s = time.perf_counter() - clock
    table = sobol_table(problem, effects, outputs, settings, cfg.seed)

    write_parquet(pd.DataFrame({**{n: samples[:, k] for k, n in enumerate(names)},
                                **{o.name: effects[:, p] for p, o in enumerate(outputs)}}),
                  out_dir / "sobol_samples.parquet")
    write_parquet(table, out_dir / "sobol.parquet")
    summary["sensitivity"] = {
        "method": "Sobol indices, Saltelli sampling (SALib)",
        "samples": int(settings.samples), "parameter_sets": len(sets),
        "replicates_each": int(settings.replicates_each), "bounds": dict(zip(names, bounds, strict=True)),
        "outputs": [o.name for o in outputs], "simulate_s": simulate_s,
        # share of each output's variance across sets that is Monte Carlo noise of the
        # sets' means (should be small; else raise replicates_each)
        "noise_share": {o.name: _share(noise[:, p], effects[:, p]) for p, o in enumerate(outputs)},
    }
    write_json(summary, out_dir / "summary.json")
    return table, summary["sensitivity"]


def _share(noise: np.ndarray, values: np.ndarray) -> float | None:
    total = float(np.var(values))
    return float(np.mean(noise)) / total if total > 0 and np.isfinite(noise).all() else None


def report_lines(table: pd.DataFrame, noise_share: dict, out_dir: Path) -> list[str]:
    lines = ["Sobol indices by total index ST (+- confidence half-width; S1 first order), and "
             "the share of each output's variance that is replicate noise:"]
    for output, rows in table.groupby("output", sort=False):
        ranked = rows.sort_values("ST", ascending=False)
        share = noise_share.get(output)
        lines.append(f"  {output} (noise {'-' if share is None else f'{share:.0%}'}): " + ", ".join(
            f"{r.param} {r.ST:.2f}+-{r.ST_conf:.2f} (S1 {r.S1:.2f})" for r in ranked.itertuples()))
    lines.append(f"Run directory: {out_dir}")
    return lines


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        table, study = sensitivity(cfg, out_dir, overrides=job_overrides(hydra_cfg))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        remove_if_only_hydra_files(out_dir, hydra_cfg.job.name)
        sys.exit(2)
    print("\n".join(report_lines(table, study["noise_share"], out_dir)))


def with_study(argv: list[str]) -> list[str]:
    """argv with the default study (experiments/experiment/sobol.yaml) unless it chooses an
    experiment or a scenario itself."""
    if any(a.lstrip("+").split("=", 1)[0] in ("experiment", "scenario") for a in argv):
        return list(argv)
    return [*argv, f"+experiment={DEFAULT_EXPERIMENT}"]


def entry() -> None:
    argv = with_study(sys.argv[1:])
    exit_on_bad_overrides(argv)
    sys.argv[1:] = with_experiments(argv)
    register()
    main()


if __name__ == "__main__":
    entry()
