"""Figures and the Markdown report of a calibration, and the table of a model comparison
gathered from a sweep of calibrations.

    python -m sim.calibration_report compare SWEEP_DIR OUT_DIR
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.files import MAX_SUMMARY_BYTES, read_text
from sim.errors import InputError, OneLineParser, run_command
from sim.model.observation import measurement_scale
from sim.run.tables import atomic_write
from sim.studies.calibration.measured import Measured, year_matrix
from sim.studies.calibration.priors import Priors
from sim.studies.calibration.sbc import LEVELS, TOLERANCE, rank_histogram

COLUMNS = 5
PRIOR_COLOR, POST_COLOR, OBS_COLOR = "#bdbdbd", "#2171b5", "#d94801"


def _save(fig, path: Path) -> Path:
    top = 1.0 - 0.35 / fig.get_figheight() if fig.get_suptitle() else 1.0  # room for the title
    fig.tight_layout(rect=(0, 0, 1, top))
    atomic_write(path, lambda temp: fig.savefig(temp, format="png", dpi=110))
    return path


def _short(name: str) -> str:
    return (name.replace("weights.", "w ").replace("action_rates.", "rate ")
            .replace("observation.unga_agreement.", "votes: ")
            .replace("observation.net_cooperation.", "ICEWS: "))


def draw_prior_posterior(priors: Priors, z_prior: np.ndarray, z_post: np.ndarray, pinning,
                         path: Path) -> Path:
    from matplotlib.figure import Figure

    rows = -(-len(priors) // COLUMNS)
    fig = Figure(figsize=(2.3 * COLUMNS, 1.75 * rows + 0.5))
    prior_values, post_values = priors.values(z_prior), priors.values(z_post)
    for k, prior in enumerate(priors.entries):
        ax = fig.add_subplot(rows, COLUMNS, k + 1)
        log = prior.dist == "loguniform"
        edges = (np.geomspace(prior.low, prior.high, 31) if log
                 else np.linspace(prior.low, prior.high, 31))
        ax.hist(prior_values[:, k], bins=edges, density=True, color=PRIOR_COLOR, label="prior")
        ax.hist(post_values[:, k], bins=edges, density=True, histtype="step", lw=1.4,
                color=POST_COLOR, label="posterior")
        if log:
            ax.set_xscale("log")
        ax.set_yticks([])
        ax.tick_params(labelsize=6)
        ax.set_title(f"{_short(prior.name)}  (sd ratio {pinning[k]['sd_ratio']:.2f})", fontsize=7)
    fig.axes[0].legend(fontsize=6, frameon=False)
    fig.suptitle("Prior (grey) and posterior (blue) of each fitted value; sd ratio: posterior "
                 "sd / prior sd on normal scores", fontsize=8)
    return _save(fig, path)


def draw_pairs(priors: Priors, z_post: np.ndarray, pairs: list[dict], path: Path) -> Path:
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

    values = priors.values(z_post)
    fig = Figure(figsize=(2.6 * min(3, len(pairs)), 2.5 * (-(-len(pairs) // 3)) + 0.4))
    for k, pair in enumerate(pairs):
        a, b = priors.names.index(pair["a"]), priors.names.index(pair["b"])
        ax = fig.add_subplot(-(-len(pairs) // 3), min(3, len(pairs)), k + 1)
        ax.scatter(values[:, a], values[:, b], s=3, alpha=0.4, color=POST_COLOR, lw=0)
        for scale, axis, entry in ((ax.set_xscale, ax.xaxis, priors.entries[a]),
                                   (ax.set_yscale, ax.yaxis, priors.entries[b])):
            if entry.dist == "loguniform":
                scale("log")
                axis.set_major_formatter(LogFormatterSciNotation())
                axis.set_minor_formatter(NullFormatter())
        ax.set_xlim(priors.entries[a].low, priors.entries[a].high)
        ax.set_ylim(priors.entries[b].low, priors.entries[b].high)
        ax.set_xlabel(_short(pair["a"]), fontsize=7)
        ax.set_ylabel(_short(pair["b"]), fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title(f"correlation {pair['corr']:+.2f}", fontsize=7)
    fig.suptitle("The most correlated pairs of the posterior (draws over the prior's box; "
                 "correlation of normal scores)", fontsize=8)
    return _save(fig, path)


def draw_coverage(priors: Priors, q: np.ndarray, coverage: list[dict], path: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10.0, 0.2 * len(priors) + 2.2))
    ax = fig.add_subplot(1, 2, 1)
    y = np.arange(len(priors) + 1)
    for level, marker in zip(LEVELS, ("o", "s"), strict=True):
        tag = f"{round(level * 100)}"
        ax.axvspan(level - TOLERANCE, level + TOLERANCE, color="#eeeeee", zorder=0)
        ax.axvline(level, color="#999999", lw=0.8)
        got = [row[f"coverage_{tag}"] for row in coverage]
        ax.scatter(got, y, marker=marker, s=16, color=POST_COLOR, label=f"{tag}% interval", zorder=2)
    ax.set_yticks(y, [_short(row["parameter"]) for row in coverage], fontsize=6)
    ax.set_ylim(len(y) - 0.5, -0.5)
    ax.set_xlim(0.3, 1.0)
    ax.set_xlabel("share of synthetic records whose interval covers the truth", fontsize=7)
    ax.legend(fontsize=6, loc="lower right")
    ax.set_title(f"Coverage on {q.shape[0]} synthetic records (grey: nominal +-{TOLERANCE:.0%})",
                 fontsize=8)
    ax = fig.add_subplot(1, 2, 2)
    bins = 20
    hist = rank_histogram(q, bins)
    expected = q.shape[0] / bins
    band = 2 * np.sqrt(expected * (1 - 1 / bins))
    ax.axhspan(expected - band, expected + band, color="#eeeeee")
    for row in hist:
        ax.plot((np.arange(bins) + 0.5) / bins, row, color=POST_COLOR, lw=0.6, alpha=0.5)
    ax.plot((np.arange(bins) + 0.5) / bins, hist.mean(axis=0), color="#08306b", lw=1.8,
            label="mean over parameters")
    ax.set_xlabel("rank of the truth among the posterior draws (share)", fontsize=7)
    ax.set_ylabel("records", fontsize=7)
    ax.legend(fontsize=6)
    ax.set_title("SBC rank histograms, one line per parameter (grey: 95% band of uniform)",
                 fontsize=8)
    return _save(fig, path)


def draw_predictive(predictive: list[dict], need: float, path: Path) -> Path:
    from matplotlib.figure import Figure

    facts = [r for r in predictive if r["evidence"].startswith("fact:")]
    counts = [r for r in predictive if r["evidence"].startswith("count:")]
    panels = 1 + bool(counts)
    fig = Figure(figsize=(6.0 * panels, 0.22 * max(len(facts), len(counts)) + 1.4))
    ax = fig.add_subplot(1, panels, 1)
    y = np.arange(len(facts))
    ax.barh(y + 0.2, [r["prior_mean"] for r in facts], height=0.4, color=PRIOR_COLOR,
            label="prior predictive")
    ax.barh(y - 0.2, [r["posterior_mean"] for r in facts], height=0.4,
            color=[POST_COLOR if r["posterior_mean"] >= need else "#cb181d" for r in facts],
            label="posterior predictive")
    ax.axvline(need, color="#333333", lw=0.8, ls="--")
    ax.set_yticks(y, [r["evidence"][5:] for r in facts], fontsize=6)
    ax.set_ylim(len(facts) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of replicates meeting the fact (red: below {need:.0%})", fontsize=7)
    ax.legend(fontsize=6, loc="lower left")
    ax.set_title("Facts: one replicate per posterior draw", fontsize=8)
    if counts:
        ax = fig.add_subplot(1, panels, 2)
        y = np.arange(len(counts))
        for k, r in enumerate(counts):
            ax.plot([r["posterior_p05"], r["posterior_p95"]], [k, k], color=POST_COLOR, lw=2)
        ax.scatter([r["posterior_mean"] for r in counts], y, color=POST_COLOR, s=10,
                   label="posterior predictive mean, 90%")
        ax.scatter([r["observed"] for r in counts], y, color=OBS_COLOR, marker="x", s=20,
                   label="record")
        ax.set_yticks(y, [r["evidence"][6:] for r in counts], fontsize=6)
        ax.set_ylim(len(counts) - 0.5, -0.5)
        ax.set_xlabel("log(1 + actions over the record window)", fontsize=7)
        ax.legend(fontsize=6)
        ax.set_title("Action counts", fontsize=8)
    return _save(fig, path)


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MEASURE_LABELS = {"unga_agreement": ("UN General Assembly vote agreement", "share of roll calls alike"),
                  "net_cooperation": ("ICEWS net cooperation, yearly mean of the measured months",
                                      "mean Goldstein weight / 10")}


def yearly(values: np.ndarray, year: np.ndarray, years: int) -> np.ndarray:
    """float64[..., T] (NaN: not measured) -> float64[..., Y]: the mean of each year's values."""
    mask = np.isfinite(values)
    to_years = year_matrix(year, years)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.where(mask, values, 0.0) @ to_years) / (mask.astype(np.float64) @ to_years)


def predictive_quantiles(predicted: np.ndarray) -> np.ndarray:
    """float64[S, P, Y] -> float64[len(QUANTILES), P, Y]; NaN for a pair-year not measured."""
    out = np.full((len(QUANTILES), *predicted.shape[1:]), np.nan)
    seen = np.isfinite(predicted).all(axis=0)
    out[:, seen] = np.quantile(predicted[:, seen], QUANTILES, axis=0)
    return out


def measured_checks(measured: Measured, series: list[np.ndarray], names: list[str], x_obs: np.ndarray,
                    x_prior: np.ndarray, x_post: np.ndarray) -> dict:
    """The posterior predictive checks of the measured series: per measure the bands of the
    figures (record and predictive quantiles per pair and year, on the measure's scale) and
    the summary: how many of the record's components fall inside the 90% predictive interval
    under the prior and the posterior, and the within-pair sd W against its predictive."""
    bands, summary = {}, {}
    for s, simulated in zip(measured.series, series, strict=True):
        record = yearly(measurement_scale(s.measure, s.values), s.year, s.years)
        predicted = yearly(measurement_scale(s.measure, simulated), s.year, s.years)
        first = int(s.periods[0][:4])
        bands[s.measure] = {"keys": list(s.keys), "years": list(range(first, first + s.years)),
                            "record": record, "months": s.mask.sum(axis=1),
                            "quantiles": predictive_quantiles(predicted)}
        at = [k for k, n in enumerate(names) if n.startswith(f"measured:{s.measure}:")
              and not n.endswith(":within_sd")]
        sd_at = names.index(f"measured:{s.measure}:within_sd")

        def inside(x: np.ndarray, at=at) -> float:
            low, high = np.quantile(x[:, at], [0.05, 0.95], axis=0)
            return float(((x_obs[at] >= low) & (x_obs[at] <= high)).mean())

        def tracks(x: np.ndarray, at=at) -> float:
            return float(np.corrcoef(x[:, at].mean(axis=0), x_obs[at])[0, 1])

        summary[s.measure] = {
            "components": len(at), "inside_90_prior": inside(x_prior), "inside_90_posterior": inside(x_post),
            "tracks_prior": tracks(x_prior), "tracks_posterior": tracks(x_post),
            "within_sd": float(x_obs[sd_at]),
            "within_sd_posterior": [float(v) for v in np.quantile(x_post[:, sd_at], [0.05, 0.5, 0.95])],
            "within_sd_prior": [float(v) for v in np.quantile(x_prior[:, sd_at], [0.05, 0.5, 0.95])]}
    return {"bands": bands, "summary": summary}


def isolated(seen: np.ndarray) -> np.ndarray:
    """bool[Y]: the seen years whose neighbours are both unseen."""
    padded = np.concatenate([[False], seen, [False]])
    return seen & ~padded[:-2] & ~padded[2:]


def draw_measured(measure: str, band: dict, path: Path) -> Path:
    """Per pair, the record's yearly values against the posterior predictive 50% and 90% bands."""
    from matplotlib.figure import Figure

    keys = band["keys"]
    columns = 5
    rows = -(-len(keys) // columns)
    fig = Figure(figsize=(2.25 * columns, 1.85 * rows + 0.9))
    years = np.array(band["years"])
    q = band["quantiles"]
    title, unit = MEASURE_LABELS[measure]
    for k, key in enumerate(keys):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.fill_between(years, q[0, k], q[4, k], color=POST_COLOR, alpha=0.18, lw=0, label="90%")
        ax.fill_between(years, q[1, k], q[3, k], color=POST_COLOR, alpha=0.35, lw=0, label="50%")
        ax.plot(years, q[2, k], color=POST_COLOR, lw=1.0, label="median")
        lone = isolated(np.isfinite(q[2, k]))  # a year without measured neighbours: no band drawn
        ax.vlines(years[lone], q[0, k, lone], q[4, k, lone], color=POST_COLOR, alpha=0.35, lw=4)
        ax.vlines(years[lone], q[1, k, lone], q[3, k, lone], color=POST_COLOR, alpha=0.6, lw=4)
        ax.plot(years[lone], q[2, k, lone], color=POST_COLOR, marker="_", ms=8, ls="none")
        ax.plot(years, band["record"][k], color="black", lw=0.8, marker="o", ms=3, label="record")
        count = int(band["months"][k])
        unit_name = "month" if measure == "net_cooperation" else "year"
        ax.set_title(f"{key.replace('-', '->') if measure == 'net_cooperation' else key}"
                     f"  ({count} {unit_name}{'' if count == 1 else 's'})", fontsize=7)
        if count < 2:
            ax.text(0.5, 0.5, f"fewer than two {unit_name}s:\nnot in the evidence", ha="center",
                    va="center", fontsize=6, color="#555555", transform=ax.transAxes)
        ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
        ax.set_xticks(years[::2], [str(y) for y in years[::2]])
        ax.tick_params(labelsize=6)
        if k % columns == 0:
            ax.set_ylabel(unit, fontsize=6)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, ["posterior predictive 90%", "50%", "median", "record"], loc="lower center",
               ncols=4, fontsize=7, frameon=False)
    fig.suptitle(f"{title}: the record (black) against the posterior predictive (blue), one "
                 "replicate per draw;\nthe pair's level is its own (profiled intercept): read the "
                 "changes from year to year", fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    atomic_write(path, lambda temp: fig.savefig(temp, format="png", dpi=110))
    return path


def draw_figures(out_dir: Path, priors: Priors, z_prior: np.ndarray, z_post: np.ndarray,
                 q: np.ndarray, result: dict, bands: dict | None = None) -> list[Path]:
    figures = [
        draw_prior_posterior(priors, z_prior, z_post, result["pinning"], out_dir / "prior_posterior.png"),
        draw_pairs(priors, z_post, result["correlated"], out_dir / "pairs.png"),
        draw_coverage(priors, q, result["coverage"], out_dir / "coverage.png"),
        draw_predictive(result["predictive"], result["fact_fraction"], out_dir / "predictive.png"),
    ]
    for measure, band in (bands or {}).items():
        figures.append(draw_measured(measure, band, out_dir / f"measured_{measure}.png"))
    return figures


def report_markdown(result: dict, figures: list[str]) -> str:
    prov = result["provenance"]
    overall = result["coverage"][-1]
    need = result["fact_fraction"]
    lines = [
        "# Calibration: the posterior and its checks", "",
        "Regenerate with `python -m sim.calibrate calibration.report_dir=experiments/calibration` "
        f"(this report: `{prov['command']}`, seed {prov['seed']}, {prov['simulations']} training "
        f"simulations, sbi {prov['versions']['sbi']}, torch {prov['versions']['torch']}).", "",
        f"Method: {prov['method']}; {result['parameters']} values fitted; the evidence of a "
        f"replicate is {len(prov['evidence'])} summary statistics; training stopped after "
        f"{prov['epochs']} epochs.", "",
    ]
    if result["evidence_dropped"]:
        lines += ["Left out of the evidence:", ""]
        lines += [f"- `{r['evidence']}`: {r['reason']}" for r in result["evidence_dropped"]]
        lines.append("")
    if result["not_in_model"]:
        lines += ["Priors of values this model does not have (not fitted): "
                  + ", ".join(f"`{n}`" for n in result["not_in_model"]) + ".", ""]
    lines += [
        "## Simulation-based calibration", "",
        f"{overall['records']} synthetic records, each simulated from parameters drawn from the "
        "prior; for each, the posterior's central intervals are checked against the known "
        f"parameters. Overall: 50% intervals cover {overall['coverage_50']:.1%} (nominal 50%), "
        f"90% intervals cover {overall['coverage_90']:.1%} (nominal 90%). Per parameter the "
        f"binomial standard error is {result['coverage'][0]['se_50']:.1%} at 50% and "
        f"{result['coverage'][0]['se_90']:.1%} at 90%.", "",
        "| parameter | 50% coverage | 90% coverage | within 5 points |", "|---|---:|---:|:---:|"]
    for row in result["coverage"]:
        ok = "yes" if row["ok_50"] and row["ok_90"] else "**no**"
        lines.append(f"| {row['parameter']} | {row['coverage_50']:.3f} | {row['coverage_90']:.3f} | {ok} |")
    lines += ["", "![coverage](coverage.png)", "",
              "## What the evidence pins", "",
              f"sd ratio: posterior sd over prior sd on normal scores (1: the prior's spread); "
              f"pinned below {0.5}, narrowed below {0.9}, else at the prior.", "",
              "| parameter | prior | posterior median [90%] | sd ratio | verdict |",
              "|---|---|---|---:|---|"]
    for row in result["pinning"]:
        lines.append(f"| {row['parameter']} | {row['prior']} | {row['median']:.4g} "
                     f"[{row['p05']:.4g}, {row['p95']:.4g}] | {row['sd_ratio']:.2f} | {row['verdict']} |")
    lines += ["", "![prior and posterior](prior_posterior.png)", "",
              "Most correlated pairs: " + "; ".join(f"{p['a']} and {p['b']} ({p['corr']:+.2f})"
                                                    for p in result["correlated"]) + ".", "",
              "![pairs](pairs.png)", "",
              "## Posterior predictive checks", "",
              "One replicate per posterior draw, as a run draws them (replicate r takes draw r). "
              f"Facts: the share of replicates meeting each (a run reports a fact met when at least "
              f"{need:.0%} of its replicates meet it), against its share under the prior.", "",
              "| fact | prior predictive | posterior predictive |", "|---|---:|---:|"]
    facts = [r for r in result["predictive"] if r["evidence"].startswith("fact:")]
    counts = [r for r in result["predictive"] if r["evidence"].startswith("count:")]
    for row in facts:
        share = f"{row['posterior_mean']:.3f}" + ("" if row["posterior_mean"] >= need else " (below)")
        lines.append(f"| {row['evidence'][5:]} | {row['prior_mean']:.3f} | {share} |")
    if counts:
        lines += ["", "Actions over the record window, log(1 + count): the record against the "
                  "posterior predictive mean and 90% interval.", "",
                  "| count | record | posterior predictive [90%] |", "|---|---:|---|"]
        for row in counts:
            lines.append(f"| {row['evidence'][6:]} | {row['observed']:.2f} | {row['posterior_mean']:.2f} "
                         f"[{row['posterior_p05']:.2f}, {row['posterior_p95']:.2f}] |")
    lines += ["", "![predictive checks](predictive.png)", ""]
    if result.get("measured"):
        lines += measured_markdown(result["measured"], result["evidence"])
    lines += limits_markdown(result["pinning"])
    lines += ["Timings (s, 2 cores): " + ", ".join(f"{k.removesuffix('_s')} {v:.1f}"
                                                   for k, v in result["timings"].items()), ""]
    return "\n".join(lines)


def measured_markdown(summary: dict, evidence: list[str]) -> list[str]:
    years = sorted({int(n.split(":")[3]) for n in evidence
                    if n.startswith("measured:") and not n.endswith(":within_sd")})
    lines = ["## The measured series: posterior predictive checks", "",
             "The evidence's `measured` part (sim/studies/calibration/measured.py states its "
             "equations): each pair's series demeaned, its yearly means D_p(y) and the pooled "
             f"within-pair sd W, over {years[0]}..{years[-1]}. The record's components against the 90% "
             "predictive interval of the prior and of the posterior (one replicate per draw, with "
             "its own observation errors); whether the model tracks the record's changes: the "
             "correlation, over the components, of the predictive mean of D_p(y) with the record's "
             "(0: the errors, not the dynamics, account for the changes); the record's W against "
             "its posterior predictive.", "",
             "| measure | components D_p(y) | inside prior 90% | inside posterior 90% | tracks: prior "
             "| tracks: posterior | record's W | posterior predictive W, median [90%] |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for measure, row in summary.items():
        low, mid, high = row["within_sd_posterior"]
        lines.append(f"| {measure} | {row['components']} | {row['inside_90_prior']:.2f} | "
                     f"{row['inside_90_posterior']:.2f} | {row['tracks_prior']:+.2f} | "
                     f"{row['tracks_posterior']:+.2f} | {row['within_sd']:.3f} | "
                     f"{mid:.3f} [{low:.3f}, {high:.3f}] |")
    lines.append("")
    for measure in summary:
        lines += [f"![{measure}](measured_{measure}.png)", ""]
    return lines


# What data would reach a value the evidence leaves near its prior: (names or prefixes, why)
WOULD_PIN = (
    (("observation.",), "the observation model's slope trades against the size of the latent "
     "changes it scales; a second measure of the same pairs (arms volumes, ideal points) would "
     "separate them"),
    (("action_rates.",), "the states' chosen actions are the seed catalogue's tens of events; "
     "ICEWS counts per directed pair, month and CAMEO class as evidence would reach the base rates"),
    (("weights.",), "the record holds few events of the type, and the measured catalogues "
     "(data/events/: US aid changes, SIPRI deliveries) add few among the five states "
     "(experiments/measured_record); the series see a weight only through its type's events, so "
     "evidence per pair and month (ICEWS counts by CAMEO class) would be needed"),
    (("mu",), "institutionalisation acts over years: six measured years are short, the series "
     "from 2005 would lengthen them"),
    (("lam", "beta", "rho", "sigma", "gain", "source_share"), "a rate of the alignment dynamics: "
     "within each pair the error sds absorb most of the measured changes (the predictive checks), "
     "so the dynamics are seen through them faintly; longer series, or an observation model "
     "with less unexplained error (a year effect for the roll calls' agenda, an ICEWS error that "
     "shrinks with the month's events) would reach it"),
    (("",), "the mechanism acts through the states' choices, which the summaries see only as "
     "totals; the choices per pair and month (ICEWS counts) would be needed"),
)


def limits_markdown(pinning: list[dict]) -> list[str]:
    """Honest limits: which values the evidence pins, and what data would reach the others."""
    by = {v: [r for r in pinning if r["verdict"] == v] for v in ("pinned", "narrowed", "at prior")}
    lines = ["## Limits: what the data pin and what they cannot", "",
             f"Of {len(pinning)} fitted values, {len(by['pinned'])} are pinned (posterior sd below "
             f"half the prior's), {len(by['narrowed'])} narrowed and {len(by['at prior'])} left at "
             "their prior (sd ratio in the table above).", ""]
    for verdict in ("pinned", "narrowed"):
        if by[verdict]:
            lines.append(f"- {verdict.capitalize()}: " + ", ".join(
                f"`{r['parameter']}` ({r['sd_ratio']:.2f})" for r in by[verdict]) + ".")
    groups: dict[str, list[str]] = {}
    for row in by["at prior"]:
        reason = next(text for names, text in WOULD_PIN
                      if any(row["parameter"].startswith(n) for n in names))
        groups.setdefault(reason, []).append(f"`{row['parameter']}`")
    for reason, names in groups.items():
        lines.append(f"- At the prior: {', '.join(names)}: {reason}.")
    return [*lines, ""]


def comparison_rows(sweep: Path) -> list[dict]:
    """One row per calibration job of a sweep (its calibration.json): the model (which values
    were held, how the alignments are bounded) and its held-out scores."""
    rows = []
    for path in sorted(sweep.glob("*/calibration.json")):
        try:
            rows.append(_comparison_row(_calibration(path), path.parent.name))
        except (KeyError, IndexError, TypeError, AttributeError) as err:
            raise InputError(path, "file", f"not a calibration's result (at {err!r}); "
                             "run the calibration again") from None
    return rows


def _comparison_row(result: dict, job: str) -> dict:
    held = result["provenance"]["without"]
    scores = result.get("held_out") or {}
    overall = result["coverage"][-1]
    return {
        "model": "all mechanisms" if not held else "without " + ", ".join(held),
        # fits made before model.bounds existed clipped
        "bounds": result["provenance"].get("model", {}).get("bounds", "clip"),
        "job": job,
        "facts_met": scores.get("facts_met"), "facts_checked": scores.get("facts_checked"),
        "facts_mean_share": scores.get("facts_mean_share"),
        "counts_rmse": scores.get("counts_rmse"), "counts_rmse_prior": scores.get("counts_rmse_prior"),
        "counts_in_90": scores.get("counts_in_90"),
        "sbc_50": overall["coverage_50"], "sbc_90": overall["coverage_90"],
        "holdout": result.get("holdout"),
    }


COMPARED = {"mechanisms": "the action mechanisms", "bounds": "how the alignments stay in [-1, 1]"}


def comparison_markdown(rows: list[dict], sweep: Path, experiment: str = "mechanisms",
                        out: str = "experiments/calibration") -> str:
    holdout = rows[0]["holdout"] if rows else None
    lines = [f"# Model comparison: {COMPARED.get(experiment, experiment)}, out of sample", "",
             f"Each model is fitted on the facts dated before {holdout} and the states' actions of "
             f"the record's months before it, then predicts the later facts and months (sweep "
             f"`{sweep}`, regenerated by `python -m sim.calibrate -m +experiment={experiment}` and "
             f"`python -m sim.calibration_report compare <sweep> {out} {experiment}`).", "",
             "Held-out facts: how many hold in at least 80% of posterior predictive replicates, "
             "and the mean share of replicates meeting them. Held-out actions: root mean square "
             "error of the predicted log(1 + count) per type and per pair (the prior's in "
             "brackets), and the share of those counts inside the 90% predictive interval. "
             "Lower error and more facts met favour a model.", "",
             "| model | bounds | held-out facts met | mean share | action RMSE (prior) | in 90% | "
             "SBC 50% / 90% |",
             "|---|---|---:|---:|---:|---:|---|"]
    for row in rows:
        facts = (f"{row['facts_met']}/{row['facts_checked']}" if row["facts_checked"] is not None
                 else "-")
        share = "-" if row["facts_mean_share"] is None else f"{row['facts_mean_share']:.3f}"
        rmse = ("-" if row["counts_rmse"] is None
                else f"{row['counts_rmse']:.3f} ({row['counts_rmse_prior']:.3f})")
        inside = "-" if row["counts_in_90"] is None else f"{row['counts_in_90']:.2f}"
        lines.append(f"| {row['model']} | {row['bounds']} | {facts} | {share} | {rmse} | {inside} | "
                     f"{row['sbc_50']:.2f} / {row['sbc_90']:.2f} |")
    return "\n".join(lines) + "\n"


def _calibration(path: Path) -> dict:
    """A calibration.json (written by python -m sim.calibrate), read within the bound of a
    run's summary; InputError when it is not JSON of a mapping."""
    try:
        result = json.loads(read_text(path, "the calibration's run directory", MAX_SUMMARY_BYTES))
    except json.JSONDecodeError as err:
        raise InputError(path, "file", f"not valid JSON ({err}); run the calibration again") \
            from None
    if not isinstance(result, dict):
        raise InputError(path, "top level", "not a calibration's result; run it again")
    return result


def rewrite_report(args) -> int:
    """report RUN_DIR REPORT_DIR: report.md again from a calibration's calibration.json (the
    figures already in REPORT_DIR), after a change of the report's text."""
    run, out = Path(args.run_dir), Path(args.report_dir)
    if not (run / "calibration.json").is_file():
        raise InputError(run, "RUN_DIR", "no calibration.json; give the run directory of "
                         "python -m sim.calibrate")
    text = report_markdown(_calibration(run / "calibration.json"), [])
    atomic_write(out / "report.md", lambda temp: temp.write_text(text, encoding="utf-8"))
    return 0


def compare(args) -> int:
    """compare SWEEP_DIR OUT_DIR [EXPERIMENT]: the comparison table of a sweep of
    `+experiment=EXPERIMENT` (default mechanisms) into OUT_DIR."""
    sweep, out, experiment = Path(args.sweep_dir), Path(args.out_dir), args.experiment
    rows = comparison_rows(sweep)
    if not rows:
        raise InputError(sweep, "SWEEP_DIR", "no */calibration.json; run python -m "
                         f"sim.calibrate -m +experiment={experiment} first")
    text = comparison_markdown(rows, sweep, experiment, str(out))
    table = pd.DataFrame(rows).to_csv(index=False, float_format="%.6g", lineterminator="\n")
    atomic_write(out / "comparison.md", lambda temp: temp.write_text(text, encoding="utf-8"))
    atomic_write(out / "comparison.csv", lambda temp: temp.write_text(table, encoding="utf-8"))
    print(text)
    return 0


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m sim.calibration_report",
                           description="The model comparison table of a sweep of calibrations, "
                                       "or a calibration's report.md again.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=OneLineParser)
    table = commands.add_parser("compare", help="the comparison table of a sweep")
    table.add_argument("sweep_dir", metavar="SWEEP_DIR")
    table.add_argument("out_dir", metavar="OUT_DIR")
    table.add_argument("experiment", metavar="EXPERIMENT", nargs="?", default="mechanisms")
    table.set_defaults(run=compare)
    again = commands.add_parser("report", help="report.md again from calibration.json")
    again.add_argument("run_dir", metavar="RUN_DIR")
    again.add_argument("report_dir", metavar="REPORT_DIR")
    again.set_defaults(run=rewrite_report)
    return parser


def main(argv: list[str]) -> int:
    return run_command(_parser(), argv)
