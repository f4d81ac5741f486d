"""`python -m sim.skill`: out-of-sample skill of the model's measurements against persistence
and climatology.

    python -m sim.skill                                   # the default configuration
    python -m sim.skill --variant clip model.bounds=clip  # one named variant, its overrides
    python -m sim.skill --compare experiments/calibration/skill_variants.yaml

The run covers FIT_FROM..FORECAST_TO (no measured series after 2015-12 is read). The
observation model's parameters (sim.model.observation) are fitted by least squares on the
ensemble mean over the training months (FIT_FROM..FIT_TO); the measurements of the forecast
months (FORECAST_FROM..FORECAST_TO) are then scored by the CRPS (scoringrules) of three
predictive distributions:

- the model: each replicate's measurement (its own posterior draw, its own noise and choices)
  plus the observation error;
- persistence: a random walk from the pair's last training value, N(last, sd_h), sd_h the sd of
  the pair's training changes times the square root of the horizon;
- climatology: the empirical distribution of the pair's training values.

The dynamics' parameters come from the posterior of the calibration whose measured evidence
ends at FIT_TO (SKILL_FIT: `python -m sim.calibrate calibration.record=[2010-01,2013-12]`, the
command in its provenance), so no measured value of the forecast months shaped them; a variant
that names its own `params=` keeps it. The default posterior (configs/params/posterior.yaml)
is fitted on the measured series to 2015-12 and would score its own training data.

skill = 1 - score / baseline (above 0: the model beats the baseline). Writes skill.csv, skill.md
and skill.png into --out and, for the default variant, the fitted observation parameters into
configs/observation.yaml, which every run's measurements.parquet uses.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from sim.data.dates import parse_month
from sim.data.files import atomic_write, read_yaml
from sim.data.measured.observed import MEASURES, check_not_scored, observed
from sim.errors import InputError, OneLineParser
from sim.model.observation import fit_linear, logit, predictive_samples
from sim.paths import CONFIG_DIR, PROJECT_ROOT
from sim.run import measurements
from sim.run.run import prepare, simulate_setup

FIT_FROM, FIT_TO = "2010-01", "2013-12"
FORECAST_FROM, FORECAST_TO = "2014-01", "2015-12"
RUN_END = "2016-01"  # the run's last date is the first day of this month: 2015-12 is simulated
SKILL_COLUMNS = ("measure", "source", "target", "period_from", "period_to", "n", "score",
                 "persistence", "climatology", "skill_persistence", "skill_climatology")
SEED = 20240601
# A config folder beside configs/ whose params/ holds the posterior fitted to FIT_TO
SKILL_FIT = PROJECT_ROOT / "experiments" / "calibration" / "skill_fit"
SKILL_PARAMS = "skill_posterior"


def skill_params(overrides: list[str]) -> list[str]:
    """The overrides that put SKILL_PARAMS in place of the default posterior (none if it is
    not written yet or the variant names its own search path, no params choice if it names
    its own params)."""
    if not (SKILL_FIT / "params" / f"{SKILL_PARAMS}.yaml").is_file() or any(
            o.startswith("hydra.searchpath=") for o in overrides):
        return []
    chosen = [] if any(o.startswith("params=") for o in overrides) else [f"params={SKILL_PARAMS}"]
    return [f"hydra.searchpath=[file://{SKILL_FIT}]", *chosen]


def compose_config(overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from sim.config.schema import register

    register()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"start={FIT_FROM}", f"end={RUN_END}",
                                                        f"seed={SEED}", *skill_params(overrides),
                                                        *overrides])


def simulate(cfg) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Per-replicate latent series of every measured pair: a long table (measure, source,
    target, period, replicate, latent)."""
    setup = prepare(cfg)
    check_not_scored(setup.catalogue)
    codes = setup.actors.codes
    where, probe_cells = measurements.cells(codes, setup.focus, setup.n_steps, 0)
    ens, facts = simulate_setup(setup, cfg, progress=False, cells=probe_cells)
    where = measurements.MeasurementCells(where.pairs, where.steps, len(facts.step))
    history = setup.schedules.names.index(setup.schedules.history)
    frames = []
    for measure in MEASURES:
        pairs, periods, latent = measurements.latent_series(ens.probes[:, history], where,
                                                            setup.start, measure)
        for k, (i, j) in enumerate(pairs):
            frames.append(pd.DataFrame({
                "measure": measure, "key": measurements.pair_key(codes, i, j, measure),
                "period": np.tile(periods, latent.shape[0]),
                "replicate": np.repeat(np.arange(latent.shape[0]), len(periods)),
                "latent": latent[:, k].ravel()}))
    return pd.concat(frames, ignore_index=True), codes


def observed_keyed(codes) -> pd.DataFrame:
    seen = observed(codes, FIT_FROM, FORECAST_TO)
    return seen.assign(key=seen["source"] + "-" + seen["target"])


def _training(period: pd.Series, measure: str) -> pd.Series:
    last = FIT_TO[:4] if measure == "unga_agreement" else FIT_TO
    return period <= last


def fit_observation(latent: pd.DataFrame, seen: pd.DataFrame) -> dict:
    """Per measure: intercepts per pair, common slope, error sd, fitted on the training periods
    (votes on the logit scale)."""
    fitted = {}
    mean = latent.groupby(["measure", "key", "period"], as_index=False)["latent"].mean()
    for measure in MEASURES:
        rows = seen.loc[seen["measure"] == measure].merge(
            mean.loc[mean["measure"] == measure], on=["measure", "key", "period"])
        rows = rows.loc[_training(rows["period"], measure)]
        if rows.empty:
            continue
        y = rows["value"].to_numpy()
        y = logit(y) if measure == "unga_agreement" else y
        intercepts, slope, sd = fit_linear(rows["latent"].to_numpy(), y, rows["key"].to_numpy())
        fitted[measure] = {"slope": slope, "sd": sd, "intercepts": intercepts,
                           "training": [FIT_FROM, FIT_TO], "observations": int(len(rows))}
    return fitted


def _horizon(period: str, last: str, measure: str) -> int:
    if measure == "unga_agreement":
        return int(period) - int(last)
    return parse_month(period, "skill", "period") - parse_month(last, "skill", "period")


def score(latent: pd.DataFrame, seen: pd.DataFrame, fitted: dict) -> pd.DataFrame:
    """CRPS of the model, persistence and climatology for every forecast observation."""
    import scoringrules as sr

    rng = np.random.default_rng(SEED)
    out = []
    for measure, params in fitted.items():
        obs = seen.loc[seen["measure"] == measure]
        train = obs.loc[_training(obs["period"], measure)]
        test = obs.loc[~_training(obs["period"], measure) & (obs["period"] <= FORECAST_TO)]
        lat = latent.loc[latent["measure"] == measure].set_index(["key", "period"]).sort_index()
        default = float(np.mean(list(params["intercepts"].values())))
        for key, rows in test.groupby("key"):
            history = train.loc[train["key"] == key].sort_values("period")
            if len(history) < 2:
                continue
            changes = np.diff(history["value"].to_numpy())
            step_sd = max(float(np.std(changes, ddof=1)) if len(changes) > 1 else 0.0, 1e-3)
            last_period, last_value = history["period"].iloc[-1], history["value"].iloc[-1]
            for period, value in zip(rows["period"], rows["value"], strict=True):
                if (key, period) not in lat.index:
                    continue
                members = lat.loc[(key, period), "latent"].to_numpy()
                samples = predictive_samples(measure, members, params["intercepts"].get(key, default),
                                             params["slope"], params["sd"], rng)
                h = _horizon(period, last_period, measure)
                out.append({
                    "measure": measure, "key": key, "period": period, "observed": value,
                    "model_mean": float(samples.mean()),
                    "score": float(sr.crps_ensemble(np.array([value]), samples[None, :])[0]),
                    "persistence": float(sr.crps_normal(np.array([value]), np.array([last_value]),
                                                        np.array([step_sd * np.sqrt(h)]))[0]),
                    "climatology": float(sr.crps_ensemble(np.array([value]),
                                                          history["value"].to_numpy()[None, :])[0]),
                })
    return pd.DataFrame(out)


def skill_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean CRPS per pair and per measure (source, target '*'), with the skill scores."""
    rows = []
    groups = [*scores.groupby(["measure", "key"]),
              *(((m, "*-*"), g) for m, g in scores.groupby("measure"))]
    for (measure, key), group in groups:
        source, target = key.split("-")
        means = group[["score", "persistence", "climatology"]].mean()
        rows.append({"measure": measure, "source": source, "target": target,
                     "period_from": group["period"].min(), "period_to": group["period"].max(),
                     "n": len(group), **means.to_dict(),
                     "skill_persistence": 1.0 - means["score"] / means["persistence"],
                     "skill_climatology": 1.0 - means["score"] / means["climatology"]})
    return pd.DataFrame(rows, columns=list(SKILL_COLUMNS))


def rank_agreement(scores: pd.DataFrame) -> dict:
    """Spearman correlation of the model's mean and the observed value across pairs, per
    forecast period, averaged (does the model order the pairs as measured?)."""
    found = {}
    for measure, group in scores.groupby("measure"):
        rhos = [g["model_mean"].corr(g["observed"], method="spearman")
                for _, g in group.groupby("period") if len(g) > 2]
        found[measure] = float(np.nanmean(rhos)) if rhos else float("nan")
    return found


def study(overrides: list[str]) -> tuple[pd.DataFrame, dict, dict, pd.DataFrame]:
    cfg = compose_config(overrides)
    latent, codes = simulate(cfg)
    seen = observed_keyed(codes)
    fitted = fit_observation(latent, seen)
    scores = score(latent, seen, fitted)
    return skill_table(scores), fitted, rank_agreement(scores), scores


def write_observation(fitted: dict, overrides: list[str], path: Path) -> None:
    text = ("# The observation model's parameters (sim.model.observation), fitted by\n"
            f"# `python -m sim.skill{''.join(' ' + o for o in overrides)}` on {FIT_FROM}..{FIT_TO}.\n"
            + yaml.safe_dump({"measures": fitted}, sort_keys=True))
    atomic_write(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def markdown(tables: dict[str, pd.DataFrame], ranks: dict[str, dict]) -> str:
    lines = ["# Out-of-sample skill of the measurements", "",
             f"Written by `python -m sim.skill` (sim/studies/skill.py). Observation model fitted "
             f"on {FIT_FROM}..{FIT_TO}, scored on {FORECAST_FROM}..{FORECAST_TO} by the mean CRPS "
             "(lower is better); skill = 1 - score / baseline, above 0 where the model beats it.", ""]
    lines += ["| variant | measure | n | CRPS | persistence | climatology | skill vs persistence | "
              "skill vs climatology | rank correlation with observed |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, table in tables.items():
        for row in table.loc[table["source"] == "*"].itertuples():
            lines.append(f"| {name} | {row.measure} | {row.n} | {row.score:.4f} | {row.persistence:.4f} "
                         f"| {row.climatology:.4f} | {row.skill_persistence:+.3f} | "
                         f"{row.skill_climatology:+.3f} | "
                         f"{ranks[name].get(row.measure, float('nan')):+.2f} |")
    return "\n".join(lines) + "\n"


MEASURE_TITLES = {"unga_agreement": "UN vote agreement, yearly",
                  "net_cooperation": "ICEWS net cooperation, monthly"}
SKILL_LIMITS = (-1.0, 1.0)  # bars beyond are cut at the axis and labelled with their value


def figure(table: pd.DataFrame, path: Path) -> None:
    """Per pair, the CRPS skill against each baseline over the forecast months."""
    from matplotlib.figure import Figure

    pairs = table.loc[table["source"] != "*"]
    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    axes = fig.subplots(1, len(MEASURES), squeeze=False)[0]
    bars = (("skill_persistence", "#1b9e77", "vs persistence", -0.2),
            ("skill_climatology", "#7570b3", "vs climatology", 0.2))
    for ax, measure in zip(axes, MEASURES, strict=True):
        rows = pairs.loc[pairs["measure"] == measure].sort_values("skill_climatology")
        y = np.arange(len(rows))
        for column, colour, label, shift in bars:
            values = rows[column].to_numpy()
            ax.barh(y + shift, np.clip(values, *SKILL_LIMITS), height=0.4, color=colour, label=label)
            for k, value in enumerate(values):
                if not SKILL_LIMITS[0] <= value <= SKILL_LIMITS[1]:
                    edge = SKILL_LIMITS[0] if value < 0 else SKILL_LIMITS[1]
                    ax.text(edge, y[k] + shift, f" {value:+.1f} ", va="center", fontsize=6,
                            ha="left" if value < 0 else "right", color="white")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, rows["source"] + "-" + rows["target"], fontsize=7)
        ax.set_xlim(*SKILL_LIMITS)
        ax.set_title(MEASURE_TITLES[measure], fontsize=8)
        ax.set_xlabel("CRPS skill, 1 - model / baseline (> 0: model better)", fontsize=7)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    fig.suptitle(f"Out-of-sample skill per pair, {FORECAST_FROM}..{FORECAST_TO} "
                 f"(observation model fitted on {FIT_FROM}..{FIT_TO})", fontsize=8)
    atomic_write(path, lambda temp: fig.savefig(temp, format="png", dpi=150))


def _variants(args) -> dict[str, list[str]]:
    if args.compare:
        path = Path(args.compare)
        table = read_yaml(path, "--compare")
        if not all(isinstance(v, list) for v in table.values()):
            raise InputError(path, "variants", "a mapping of variant name to a list of overrides")
        return {str(k): [str(o) for o in v] for k, v in table.items()}
    return {args.variant: list(args.overrides)}


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m sim.skill", description=__doc__.split("\n")[0])
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the run (key=value)")
    parser.add_argument("--variant", default="default", help="the variant's name in the tables")
    parser.add_argument("--compare", help="YAML: variant name -> list of overrides")
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "experiments" / "calibration"))
    tables, ranks = {}, {}
    try:
        args = parser.parse_args(argv)
        for name, overrides in _variants(args).items():
            print(f"skill: {name} ({' '.join(overrides) or 'the default'})", file=sys.stderr, flush=True)
            table, fitted, rank, _ = study([f"replicates={args.replicates}", *overrides])
            tables[name], ranks[name] = table.assign(variant=name), rank
            if name == "default":
                write_observation(fitted, overrides, CONFIG_DIR / "observation.yaml")
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (HydraException, OmegaConfBaseException) as err:  # an override Hydra refuses
        print(f"error: overrides: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    every = pd.concat(tables.values(), ignore_index=True)
    text = every.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    atomic_write(out / "skill.csv", lambda temp: temp.write_text(text, encoding="utf-8"))
    report = markdown(tables, ranks)
    atomic_write(out / "skill.md", lambda temp: temp.write_text(report, encoding="utf-8"))
    figure(tables.get("default", next(iter(tables.values()))), out / "skill.png")
    print(report)
    return 0
