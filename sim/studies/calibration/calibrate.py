"""Bayesian calibration: a posterior over the fitted values by neural posterior estimation.

    python -m sim.calibrate                                    # posterior + point set
    python -m sim.calibrate calibration.report_dir=experiments/calibration
    python -m sim.calibrate calibration.simulations=2000 calibration.sbc_records=100

Settings live under `calibration.*` (configs/calibrate.yaml documents each); the priors in
configs/priors.yaml. Parameters are drawn from the prior, each set runs one replicate of the
history (and of the scenarios the effect facts name) in one kernel call, and a neural density
estimator (sbi's NPE) learns the posterior of the parameters given the summary statistics
(sim/studies/calibration/evidence.py). Being amortised, it then gives the posterior of the record and of every
synthetic record at the cost of sampling: simulation-based calibration on sbc_records records
with known parameters, and posterior predictive checks, follow.

Writes calibration.output (the posterior's medians and `draws:`, the CSV of the draws beside
it) and calibration.point_output (the medians alone); into the run directory
`calibration.json` (settings, evidence kept, coverage, pinning, predictive checks, timings),
`sbc.parquet` (every synthetic record's shares), `predictive.parquet` and the figures; with
`report_dir` set, report.md and the figures go there too.
"""

import hashlib
import shutil
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config.compose import run_command_line
from sim.config.schema import register
from sim.errors import InputError
from sim.paths import PROJECT_ROOT, resolve_path
from sim.run.parameters import check_params, has_value, round_significant, with_values
from sim.run.tables import atomic_write, write_json, write_parquet
from sim.studies.calibration import inference as npe
from sim.studies.calibration import measured as measured_part
from sim.studies.calibration.evidence import (
    Problem,
    build_problem,
    catalogue_counts,
    count_summary,
    evidence_names,
    observed,
    run_sets,
    summaries,
)
from sim.studies.calibration.posterior import write_observation_draws, write_posterior
from sim.studies.calibration.priors import Priors, load_priors
from sim.studies.calibration.report import draw_figures, measured_checks, report_markdown
from sim.studies.calibration.sbc import coverage_table, shares

register()

PINNED, NARROWED = 0.5, 0.9  # posterior sd / prior sd (normal scores) below which a value is
# pinned by the evidence / narrowed by it; above NARROWED it stays at its prior
# overrides that change where things are written or shown, not what is fitted
NOT_IN_PROVENANCE = ("calibration.output", "calibration.point_output", "calibration.report_dir",
                     "calibration.progress", "hydra.")


def check_settings(cal: DictConfig) -> None:
    for key in ("simulations", "draws", "sbc_records", "sbc_draws", "batch_size", "max_epochs",
                "stop_after_epochs", "threads", "hidden_features", "transforms"):
        if int(cal[key]) < 1:
            raise InputError("config", f"calibration.{key}", f"{cal[key]} must be at least 1")
    if int(cal.simulations) < 2 * int(cal.batch_size):
        raise InputError("config", "calibration.simulations", f"{cal.simulations} must be at least "
                         "twice calibration.batch_size (a tenth is held out for validation)")
    if not 0 <= float(cal.min_share) < 1:
        raise InputError("config", "calibration.min_share", f"{cal.min_share} must be in [0, 1)")


def fixed_reference(problem: Problem, cal: DictConfig) -> dict:
    """The reference params with the values of calibration.without held at 0."""
    reference = problem.setup.params
    for name in cal.without:
        if not has_value(reference, str(name)):
            raise InputError("config", "calibration.without", f"'{name}' is not a parameter value; "
                             "give names of configs/priors.yaml, e.g. [balancing]")
    out = with_values(reference, [str(n) for n in cal.without], [0.0] * len(cal.without))
    check_params(out, "calibration.without")
    return out


def check_fitted(params: dict, where: str) -> dict:
    """check_params on the model's values, check_observation on the observation model's."""
    model = {k: v for k, v in params.items() if k != "observation"}
    check_params(model, where)
    measured_part.check_observation(params.get("observation", {}), where)
    return params


def fitted_priors(cal: DictConfig, reference: dict, problem: Problem) -> Priors:
    """The priors of configs/priors.yaml; those of the observation model only with the
    measured evidence (else they are values this fit lacks)."""
    if problem.measured is not None:
        reference = {**reference, **measured_part.reference_values(problem.measured)}
    priors = load_priors(resolve_path(str(cal.priors)), reference, check_fitted)
    held = {str(n) for n in cal.without}
    entries = tuple(p for p in priors.entries if p.name not in held)
    if not entries:
        raise InputError("config", "calibration.without", "holds every prior's value; nothing to fit")
    return Priors(entries, priors.not_in_model)


def model_columns(priors: Priors) -> list[int]:
    """The fitted values of the model's params (not of the observation model)."""
    return [k for k, n in enumerate(priors.names) if not n.startswith(measured_part.PREFIX)]


def simulate(problem: Problem, priors: Priors, reference: dict, z: np.ndarray, seed: int,
             keep_series: bool = False):
    """(evidence float64[S, E], simulation) of one replicate per row of normal scores z."""
    values = priors.values(z)
    model = model_columns(priors)
    names = [priors.names[k] for k in model]
    sets = [with_values(reference, names, row) for row in values[:, model]]
    observation = None
    if problem.measured is not None:
        observation = measured_part.observation_values(priors.names, values, problem.measured.fixed)
    sim = run_sets(problem, sets, seed, observation=observation, keep_series=keep_series)
    return summaries(problem, sim), sim


def kept_evidence(x: np.ndarray, x_obs: np.ndarray, names: list[str], min_share: float
                  ) -> tuple[np.ndarray, list[dict]]:
    """bool[E]: the components of x that enter the fit, and why each other one does not."""
    keep = np.ones(len(names), dtype=bool)
    dropped = []
    for k, name in enumerate(names):
        column = x[:, k]
        if np.ptp(column) == 0:
            keep[k] = False
            dropped.append({"evidence": name, "reason": "the same in every simulation"})
        elif name.startswith("fact:") and (column == x_obs[k]).mean() < min_share:
            keep[k] = False
            dropped.append({"evidence": name, "reason": f"met in {(column == x_obs[k]).mean():.2%} "
                            f"of the prior's simulations (< {min_share:.1%}): the model hardly makes it"})
        elif not column.min() <= x_obs[k] <= column.max():
            keep[k] = False
            dropped.append({"evidence": name, "reason": "the record's value lies outside every "
                            "simulation's"})
    return keep, dropped


def pinning_table(priors: Priors, z_post: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    ratio = z_post.std(axis=0)
    rows = []
    for k, prior in enumerate(priors.entries):
        verdict = "pinned" if ratio[k] < PINNED else "narrowed" if ratio[k] < NARROWED else "at prior"
        q05, q50, q95 = np.quantile(values[:, k], [0.05, 0.5, 0.95])
        rows.append({"parameter": prior.name, "prior": prior.describe(), "p05": q05, "median": q50,
                     "p95": q95, "sd_ratio": float(ratio[k]), "verdict": verdict})
    return pd.DataFrame(rows)


def correlated_pairs(priors: Priors, z_post: np.ndarray, count: int) -> list[dict]:
    corr = np.corrcoef(z_post, rowvar=False)
    i, j = np.triu_indices(len(priors), k=1)
    order = np.argsort(-np.abs(corr[i, j]), kind="stable")[:count]
    return [{"a": priors.names[i[k]], "b": priors.names[j[k]], "corr": float(corr[i[k], j[k]])}
            for k in order]


def predictive_checks(problem: Problem, names: list[str], x_obs: np.ndarray, x_prior: np.ndarray,
                      x_post: np.ndarray, sim_post) -> pd.DataFrame:
    """Per evidence component: the record's value, and the prior and posterior predictive
    mean and 90% interval (for a fact: the share of replicates that meet it)."""
    rows = []
    for k, name in enumerate(names):
        row = {"evidence": name, "observed": float(x_obs[k]),
               "prior_mean": float(x_prior[:, k].mean()), "posterior_mean": float(x_post[:, k].mean())}
        row["posterior_p05"], row["posterior_p95"] = (float(v) for v in
                                                      np.quantile(x_post[:, k], [0.05, 0.95]))
        rows.append(row)
    table = pd.DataFrame(rows)
    if sim_post.counts is not None:
        totals = count_summary(sim_post.counts)
        observed_totals = count_summary(catalogue_counts(problem)[None])[0]
        table.loc[table.evidence.str.startswith("count:"), "observed_count"] = np.expm1(observed_totals)
        table.loc[table.evidence.str.startswith("count:"), "posterior_median_count"] = \
            np.expm1(np.median(totals, axis=0))
    return table


def held_out_scores(problem: Problem, x_obs: np.ndarray, x_prior: np.ndarray, x_post: np.ndarray,
                    need: float) -> dict:
    """How well the prior and the posterior predict the held-out facts and months: per fact
    the share of replicates meeting it; for the counts the root mean square error of the
    predictive mean of log(1 + count) and the share of records inside the 90% interval."""
    names = evidence_names(problem, held_out=True)
    facts = np.array([n.startswith("fact:") for n in names], dtype=bool)
    out = {"facts": {n[5:]: float(x_post[:, k].mean()) for k, n in enumerate(names) if facts[k]},
           "facts_met": int((x_post[:, facts].mean(axis=0) >= need).sum()),
           "facts_checked": int(facts.sum()),
           "facts_mean_share": float(x_post[:, facts].mean()) if facts.any() else None,
           "facts_mean_share_prior": float(x_prior[:, facts].mean()) if facts.any() else None}
    if (~facts).any():
        low, high = np.quantile(x_post[:, ~facts], [0.05, 0.95], axis=0)
        seen = x_obs[~facts]

        def rmse(x: np.ndarray) -> float:
            return float(np.sqrt(((x[:, ~facts].mean(axis=0) - seen) ** 2).mean()))

        out.update(counts_rmse=rmse(x_post), counts_rmse_prior=rmse(x_prior),
                   counts_in_90=float(((seen >= low) & (seen <= high)).mean()))
    return out


def data_hashes(cfg: DictConfig, problem: Problem) -> dict:
    paths = [cfg.data.actors, cfg.data.events, *cfg.data.background, *cfg.data.measured,
             *cfg.data.extra_events, cfg.data.facts, cfg.calibration.priors]
    paths += [f"configs/scenario/{v}.yaml" for v in problem.variants if not v.startswith("history")]
    out = {}
    for text in paths:
        path = resolve_path(str(text))
        out[str(text)] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return out


def library_versions() -> dict:
    found = {}
    for package in ("sim", "sbi", "torch", "numpy", "numba", "scipy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def provenance(cfg: DictConfig, overrides: list[str], problem: Problem, kept: list[str],
               estimator, coverage: pd.DataFrame) -> dict:
    cal = cfg.calibration
    shown = [o for o in overrides if not o.lstrip("+~").startswith(NOT_IN_PROVENANCE)]
    overall = coverage.iloc[-1]
    return {
        "command": " ".join(["python -m sim.calibrate", *shown]),
        "method": f"sbi NPE ({cal.density_estimator}) on the normal scores of the priors",
        "seed": int(cal.seed),
        "start": str(cfg.start),
        "end": str(cfg.end),
        "priors": str(cal.priors),
        "data_sha256": data_hashes(cfg, problem),
        "versions": library_versions(),
        "simulations": int(cal.simulations),
        "evidence": kept,
        "without": [str(n) for n in cal.without],
        "model": {"balance": str(cfg.model.balance), "bounds": str(cfg.model.bounds)},
        "holdout": None if cal.holdout is None else str(cal.holdout),
        "epochs": estimator.epochs,
        "sbc_records": int(cal.sbc_records),
        "sbc_coverage_50": round(float(overall["coverage_50"]), 4),
        "sbc_coverage_90": round(float(overall["coverage_90"]), 4),
    }


def output_path(text: str) -> Path:
    """A relative path is taken from the working directory if its folder exists there, else
    from the project root (so the default lands in configs/params wherever it is run from)."""
    path = Path(text).expanduser()
    if path.is_absolute() or path.parent.is_dir():
        return path.resolve()
    return PROJECT_ROOT / path


def draws_name(csv: Path) -> str:
    """How the params file names its draws: from the project root when inside it."""
    try:
        return str(csv.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(csv)


def calibrate(cfg: DictConfig, out_dir: Path, overrides: list[str] | None = None) -> dict:
    cal = cfg.calibration
    check_settings(cal)
    progress = bool(cal.progress)
    seed = int(cal.seed)
    timings = {}
    clock = time.perf_counter()
    problem = build_problem(cfg)
    reference = fixed_reference(problem, cal)
    priors = fitted_priors(cal, reference, problem)
    names = evidence_names(problem)
    x_obs = observed(problem)
    rng = np.random.default_rng(seed)
    z_train = rng.standard_normal((int(cal.simulations), len(priors)))
    z_sbc = rng.standard_normal((int(cal.sbc_records), len(priors)))
    timings["load_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    x_train, sim_train = simulate(problem, priors, reference, z_train, seed)
    keep, dropped = kept_evidence(x_train, x_obs, names, float(cal.min_share))
    if not keep.any():
        raise InputError("config", "calibration.evidence", "no evidence component varies across the "
                         "simulations; more simulations or other facts are needed")
    timings["simulate_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    estimator = npe.train(z_train, x_train[:, keep], cal, seed, progress)
    timings["train_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    z_post = estimator.sample(int(cal.draws), x_obs[keep], seed)
    values = priors.values(z_post)
    timings["sample_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    x_sbc, _ = simulate(problem, priors, reference, z_sbc, seed + 1)
    q = np.concatenate([shares(estimator.sample_batched(int(cal.sbc_draws), part_x, seed + 1 + k), part_z)
                        for k, (part_x, part_z) in enumerate(_chunks(x_sbc[:, keep], z_sbc, progress))])
    coverage = coverage_table(q, priors.names)
    timings["sbc_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    output = output_path(str(cal.output))
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    prov = provenance(cfg, list(overrides or []), problem, kept, estimator, coverage)
    model = model_columns(priors)
    write_posterior(output, output_path(str(cal.point_output)), reference,
                    [priors.names[k] for k in model], values[:, model], prov,
                    draws_name(output.with_suffix(".csv")))
    others = [k for k in range(len(priors)) if k not in model]
    if others:
        write_observation_draws(output, [priors.names[k] for k in others], values[:, others])
    x_post, sim_post = simulate(problem, priors, reference, priors.scores(round_significant(values)),
                                seed + 2, keep_series=problem.measured is not None)
    predictive = predictive_checks(problem, names, x_obs, x_train, x_post, sim_post)
    measured = None
    if problem.measured is not None:
        measured = measured_checks(problem.measured, sim_post.series, names, x_obs, x_train, x_post)
    pinning = pinning_table(priors, z_post, values)
    held_out = None
    if problem.held_out is not None:
        held_out = held_out_scores(problem, observed(problem, held_out=True),
                                   summaries(problem, sim_train, held_out=True),
                                   summaries(problem, sim_post, held_out=True),
                                   float(cfg.output.fact_fraction))
    timings["check_s"] = time.perf_counter() - clock

    result = {
        "output": str(output),
        "provenance": prov,
        "parameters": len(priors),
        "not_in_model": list(priors.not_in_model),
        "evidence": names,
        "evidence_dropped": dropped,
        "validation_loss": estimator.validation_loss,
        "coverage": coverage.to_dict(orient="records"),
        "pinning": pinning.to_dict(orient="records"),
        "correlated": correlated_pairs(priors, z_post, 6),
        "predictive": predictive.to_dict(orient="records"),
        "fact_fraction": float(cfg.output.fact_fraction),
        "holdout": None if cal.holdout is None else str(cal.holdout),
        "held_out": held_out,
        "measured": None if measured is None else measured["summary"],
        "timings": timings,
    }
    write_parquet(pd.DataFrame(q, columns=priors.names), out_dir / "sbc.parquet")
    write_parquet(predictive, out_dir / "predictive.parquet")
    clock = time.perf_counter()
    figures = draw_figures(out_dir, priors, z_train, z_post, q, result,
                           None if measured is None else measured["bands"])
    timings["report_s"] = time.perf_counter() - clock
    timings["total_s"] = sum(v for k, v in timings.items() if k != "total_s")
    write_json(result, out_dir / "calibration.json")
    if cal.report_dir:
        report = output_path(str(cal.report_dir))
        report.mkdir(parents=True, exist_ok=True)
        for figure in figures:
            shutil.copyfile(figure, report / figure.name)
        text = report_markdown(result, [f.name for f in figures])
        atomic_write(report / "report.md", lambda temp: temp.write_text(text, encoding="utf-8"))
    return result


def _chunks(x: np.ndarray, z: np.ndarray, progress: bool, size: int = 50):
    from tqdm import tqdm

    for first in tqdm(range(0, len(x), size), desc="SBC records", unit="chunk",
                      disable=not progress, leave=False):
        yield x[first:first + size], z[first:first + size]


def summary_lines(result: dict, out_dir: Path) -> list[str]:
    overall = result["coverage"][-1]
    pins = {v: [p["parameter"] for p in result["pinning"] if p["verdict"] == v]
            for v in ("pinned", "narrowed")}
    lines = [f"Posterior ({result['provenance']['command']}): {len(result['pinning'])} values, "
             f"draws beside {result['output']}",
             f"SBC on {overall['records']} synthetic records: 50% intervals cover "
             f"{overall['coverage_50']:.1%}, 90% intervals {overall['coverage_90']:.1%}",
             f"Pinned by the evidence: {', '.join(pins['pinned']) or 'none'}; narrowed: "
             f"{', '.join(pins['narrowed']) or 'none'}"]
    for row in result["evidence_dropped"]:
        lines.append(f"  left out of the evidence: {row['evidence']} ({row['reason']})")
    if result["not_in_model"]:
        lines.append(f"Priors of values this model lacks (not fitted): {', '.join(result['not_in_model'])}")
    lines.append("Timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["timings"].items()))
    lines.append(f"Run directory: {out_dir}")
    return lines


def main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        result = calibrate(cfg, out_dir, [str(o) for o in hydra_cfg.overrides.task])
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print("\n".join(summary_lines(result, out_dir)))


def entry() -> None:
    run_command_line(sys.argv[1:], main, "calibrate")


if __name__ == "__main__":
    entry()
