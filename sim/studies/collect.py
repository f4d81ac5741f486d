"""`python -m sim.collect SWEEP_DIR`: every job of a sweep gathered into one tidy table.

Writes into SWEEP_DIR (each file atomically, so it is safe to run again at any time):

- `sweep.parquet`: one row per job and effect entry of its summary.json: `job`, one
  column per swept key (named as in the override, e.g. `scenario.amount_usd`, typed
  int, float, bool or str), `status` (`done`, `failed`, `missing`), `source`,
  `target`, `when` (`12m`, `peak`, `end`, `cumulative`), `date` (the first month of a
  cumulative entry's window), `date_to` (its last month), `effect_mean`, `effect_p05`,
  `effect_p95`, `effect_median`, `effect_moved` (the share of replicates moved the way of
  the mean by more than `effect_threshold`, the job's output.effect_threshold),
  `facts_met`. A job without effects (failed, missing) has one row with empty effects.
- `jobs.parquet`: one row per job: `job`, the swept keys, `status`, `error`,
  `facts_met`, `simulate_s`.

Job directories are the numbered subdirectories (`hydra.sweep.subdir` is the job
number, configs/hydra/default.yaml). The jobs a sweep should have come from its
`multirun.yaml` (the sweeper's params and the command-line overrides, expanded as
Hydra's basic sweeper does), so a job that never started is listed as missing. A job
is done when its summary.json was written with the job's overrides (the launcher aside);
failed when it left an error.txt or a log with a traceback; missing otherwise (not
started, killed, still running, or finished with other overrides). Failed and missing
jobs are printed; they are not an error.
"""

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.data.files import (
    MAX_SUMMARY_BYTES,
    MAX_YAML_BYTES,
    load_yaml,
    read_text,
    remove_stale_temps,
)
from sim.data.schemas import read_summary
from sim.errors import InputError, OneLineParser
from sim.run.jobs import same_job
from sim.run.tables import write_parquet

EFFECT_COLUMNS = ("source", "target", "when", "date", "date_to", "effect_mean", "effect_p05",
                  "effect_p95", "effect_median", "effect_moved", "effect_threshold", "facts_met")
JOB_COLUMNS = ("status", "error", "facts_met", "simulate_s")
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
OUTPUTS = ("jobs.parquet", "sweep.parquet")
# a job's logs are read from their end, a traceback's last line shortened (a crafted or
# runaway log of gigabytes is neither read whole nor echoed)
MAX_LOG_TAIL = 2**20
MAX_REASON_CHARS = 300


def _key(override) -> str:
    """The column name of an override: its key as written, without + / ++ / ~."""
    return override.get_key_element().lstrip("+~")


def _parse(lines: Sequence[str], where: Path) -> list:
    try:
        return OverridesParser.create().parse_overrides(list(lines))
    except HydraException as err:
        raise InputError(where, "overrides", f"cannot be parsed ({str(err).splitlines()[0]})") from None


def planned_jobs(sweep_dir: Path) -> tuple[list[list[str]] | None, list[str] | None]:
    """(overrides of every job in launch order, swept keys) from multirun.yaml; None for
    what cannot be known (no multirun.yaml, or a sweeper other than the basic one)."""
    path = sweep_dir / "multirun.yaml"
    if not path.is_file():
        return None, None
    try:
        hydra = OmegaConf.create(load_yaml(read_text(path, "the sweep", MAX_YAML_BYTES),
                                           path)).hydra
        task = [str(x) for x in OmegaConf.to_container(hydra.overrides.task)]
        params = hydra.sweeper.get("params")  # null for a sweep of command-line values
        params = {} if params is None else OmegaConf.to_container(params, resolve=False)
        target = str(hydra.sweeper.get("_target_", ""))
    except (OSError, ValueError, OmegaConfBaseException) as err:
        raise InputError(path, "hydra", f"cannot be read ({str(err).splitlines()[0]})") from None
    overrides = _parse([*(f"{k}={v}" for k, v in params.items()), *task], path)
    final = {}
    for override in overrides:  # a later value of a key replaces an earlier one, as in Hydra
        final[override.get_key_element()] = override
    swept = list(dict.fromkeys(_key(o) for o in final.values() if o.is_sweep_override()))
    if target != BASIC_SWEEPER:
        return None, swept
    try:
        batches = BasicSweeper.split_arguments(overrides, None)
    except HydraException:
        return None, swept
    return [job for batch in batches for job in batch], swept


def _values(lines: Sequence[str], where: Path) -> dict:
    """key -> typed value (int, float, bool, str; anything else as its text)."""
    values = {}
    for override in _parse(lines, where):
        value = override.value()
        if not isinstance(value, bool | int | float | str) and value is not None:
            value = override.get_value_element_as_str()
        values[_key(override)] = value
    return values


def _read_lines(path: Path) -> list[str] | None:
    if not path.is_file():
        return None
    try:
        data = load_yaml(read_text(path, "the job", MAX_YAML_BYTES), path)
    except InputError:
        return None
    return [str(x) for x in data] if isinstance(data, list) else None


def _read_summary(path: Path) -> tuple[dict | None, str]:
    """(summary, "") of a job's summary.json; (None, what is wrong) if it is absent,
    unreadable or not shaped as a run writes it (sim.data.schemas.RunSummary)."""
    if not path.is_file():
        return None, ""
    try:
        return read_summary(json.loads(read_text(path, "the job", MAX_SUMMARY_BYTES)), path), ""
    except ValueError as err:
        return None, f"summary.json cannot be read ({str(err).splitlines()[0]}); run the job again"
    except InputError as err:
        detail = str(err).removeprefix(f"{path}: ").split("; ")[0]
        return None, f"summary.json: {detail}; run the job again"


def _traceback_line(job_dir: Path) -> str | None:
    """The last line of a traceback at the end of one of the job's logs, if any."""
    for log in sorted(job_dir.glob("*.log")):
        text = _part(log, from_end=True)
        if "Traceback" in text:
            lines = [line for line in text.splitlines() if line.strip()]
            return f"{log.name}: {_shorten(lines[-1].strip())}"
    return None


def _part(path: Path, from_end: bool) -> str:
    """The first or last MAX_LOG_TAIL bytes of a job's text file ('' if it cannot be read)."""
    try:
        with path.open("rb") as handle:
            if from_end:
                handle.seek(max(0, path.stat().st_size - MAX_LOG_TAIL))
            return handle.read(MAX_LOG_TAIL).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _shorten(line: str) -> str:
    return line if len(line) <= MAX_REASON_CHARS else line[:MAX_REASON_CHARS] + "..."


def job_state(job_dir: Path, planned: list[str] | None) -> tuple[str, str, dict | None, list[str] | None]:
    """(status, error, summary, overrides) of one job directory."""
    summary, problem = _read_summary(job_dir / "summary.json")
    ran = _read_lines(job_dir / ".hydra" / "overrides.yaml")
    if problem:
        return "failed", problem, None, ran or planned
    if summary is not None:
        written = summary.get("overrides")
        if written is None:  # written before the figures; the run stopped before its end
            return ("missing", "started, not finished (no overrides in summary.json)", None,
                    ran or planned)
        if planned is None or same_job(written, planned):
            return "done", "", summary, written
        return ("missing", "summary.json was written with other overrides; run the sweep again",
                None, planned)
    error = job_dir / "error.txt"
    if error.is_file():
        text = _part(error, from_end=False).strip().splitlines()
        return "failed", _shorten(text[0]) if text else "error.txt", None, ran or planned
    trace = _traceback_line(job_dir) if job_dir.is_dir() else None
    if trace is not None:
        return "failed", trace, None, ran or planned
    if job_dir.is_dir():
        return "missing", "started, no summary.json (killed or still running)", None, ran or planned
    return "missing", "not started", None, planned


def _column(values: list) -> pd.Series:
    """Typed like Hydra parsed them: int, float, bool, else str."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="int64" if len(present) == len(values) else "Int64")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.Series([None if v is None else str(v) for v in values], dtype="object")


def collect(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sweep table, jobs table) of a sweep directory; nothing is written."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise InputError(sweep_dir, "SWEEP_DIR", "not a directory; give a sweep's output directory")
    planned, swept = planned_jobs(sweep_dir)
    numbers = {int(p.name) for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()}
    numbers |= set(range(len(planned or [])))
    if not numbers:
        raise InputError(sweep_dir, "SWEEP_DIR", "holds no multirun.yaml and no numbered job "
                         "directories; give the directory of a sweep (python -m sim -m ...)")
    jobs, values = [], []
    for job in sorted(numbers):
        plan = planned[job] if planned is not None and job < len(planned) else None
        status, error, summary, overrides = job_state(sweep_dir / str(job), plan)
        try:
            values.append(_values(overrides or [], sweep_dir / str(job)))
        except InputError as err:  # the job's own record of its overrides is damaged
            values.append({})
            status, error, summary = "failed", str(err), None
        timings = (summary or {}).get("timings") or {}
        jobs.append({"job": job, "status": status, "error": error, "summary": summary,
                     "facts_met": (summary or {}).get("facts_met"),
                     "threshold": (summary or {}).get("effect_threshold"),
                     "simulate_s": timings.get("simulate_s")})
    if swept is None:  # without multirun.yaml: the keys whose values differ between jobs
        keys = list(dict.fromkeys(k for v in values for k in v))
        swept = [k for k in keys if len({repr(v.get(k)) for v in values}) > 1]
    keys = {key: _column([v.get(key) for v in values]) for key in swept}

    job_table = pd.DataFrame({"job": pd.Series([j["job"] for j in jobs], dtype="int64"), **keys})
    for name in JOB_COLUMNS:
        column = [j[name] for j in jobs]
        job_table[name] = column if name in ("status", "error") else pd.to_numeric(
            pd.Series(column, dtype="object"), errors="coerce").astype("float64")

    rows = []
    for k, job in enumerate(jobs):
        effects = (job["summary"] or {}).get("effects") or [{}]
        for effect in effects:
            rows.append((k, effect.get("source"), effect.get("target"), effect.get("when"),
                         effect.get("date"), effect.get("date_to"), effect.get("mean"),
                         effect.get("p05"), effect.get("p95"), effect.get("median"),
                         effect.get("moved"), job["threshold"], job["facts_met"]))
    at = [r[0] for r in rows]
    sweep = job_table.loc[at, ["job", *swept, "status"]].reset_index(drop=True)
    for c, name in enumerate(EFFECT_COLUMNS, start=1):
        column = [r[c] for r in rows]
        sweep[name] = (pd.Series(column, dtype="object") if c <= 5 else
                       pd.to_numeric(pd.Series(column, dtype="object"), errors="coerce")
                       .astype("float64"))
    return sweep, job_table


def report(sweep_dir: Path, jobs: pd.DataFrame) -> list[str]:
    counts = jobs["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s}" for s in ("done", "failed", "missing")]
    keys = [c for c in jobs.columns if c not in ("job", *JOB_COLUMNS)]
    lines = [f"{sweep_dir}: {len(jobs)} jobs: {', '.join(parts)}"]
    for row in jobs[jobs["status"] != "done"].to_dict("records"):
        where = " ".join(f"{k}={row[k]}" for k in keys)
        lines.append(f"  job {row['job']}{' (' + where + ')' if where else ''}: {row['status']}: "
                     f"{row['error']}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m sim.collect", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a sweep's output directory (hydra.sweep.dir)")
    try:
        args = parser.parse_args(argv)
        sweep, jobs = collect(args.sweep_dir)
        remove_stale_temps(args.sweep_dir, of=OUTPUTS)
        write_parquet(jobs, args.sweep_dir / "jobs.parquet")
        write_parquet(sweep, args.sweep_dir / "sweep.parquet")
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(report(args.sweep_dir, jobs)))
    print(f"wrote {args.sweep_dir / 'sweep.parquet'} ({len(sweep)} rows) and jobs.parquet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
