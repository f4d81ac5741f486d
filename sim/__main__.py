"""`python -m sim`: the Hydra entry point. Runs one configuration, or a sweep with -m."""

import shutil
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim.config.compose import Composed, composed, parse_command_line
from sim.config.overrides import check_choices, parse_overrides
from sim.config.schema import register
from sim.data.files import remove_stale_temps
from sim.errors import InputError
from sim.paths import CONFIG_DIR
from sim.run.jobs import (
    check_writable,
    claim_run_dir,
    end_workers_with_this_process,
    finished_summary,
    job_overrides,
    record_error,
    remove_if_only_hydra_files,
)


def main(cfg: DictConfig) -> float | None:
    # imported here: the tables and their pandas, which --cfg, --help and bad input never need
    from sim.run.console import facts_line, report_lines

    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    overrides = job_overrides(hydra_cfg)
    if sweeping:
        done = finished_summary(out_dir, overrides)
        if done is not None:
            print(f"job {hydra_cfg.job.num}: finished before, skipped ({out_dir})")
            return done.get("facts_met")
        for directory in (out_dir, out_dir / "figures"):  # left by a killed try of this job
            remove_stale_temps(directory)
    try:
        summary = run_job(cfg, out_dir, overrides, progress=not sweeping)
    except InputError as err:
        if not sweeping:
            print(f"error: {err}", file=sys.stderr)
            remove_if_only_hydra_files(out_dir)
            sys.exit(2)
        record_error(out_dir, err)
        print(f"job {hydra_cfg.job.num}: error: {err}", file=sys.stderr)
        return None
    except Exception as err:
        if sweeping:  # so that sim.studies.collect lists the job as failed, with the reason
            record_error(out_dir, err)
        raise
    if summary is None:
        return None
    if sweeping:
        facts = facts_line(summary) or "no facts checked"
        print(f"job {hydra_cfg.job.num}: {' '.join(overrides) or '(defaults)'}: {facts}, "
              f"{summary['timings']['simulate_s']:.2f} s")
    else:
        print("\n".join(report_lines(summary, out_dir)))
    return summary.get("facts_met")


def run_job(cfg: DictConfig, out_dir: Path, overrides: list[str], progress: bool) -> dict | None:
    """A run, or a study (experiments/experiment/sobol.yaml: printed here, None returned)."""
    try:
        if cfg.sensitivity is not None:
            # imported here: SALib brings scipy.stats, a second and more of every plain run
            from sim.studies.sensitivity import report_lines as sensitivity_lines
            from sim.studies.sensitivity import sensitivity

            table, study = sensitivity(cfg, out_dir, overrides=overrides, progress=progress)
            print("\n".join(sensitivity_lines(table, study["noise_share"], out_dir)))
            return None
        # imported here: the kernels load numba, which --help, --cfg and bad input never need
        from sim.run.run import run

        return run(cfg, out_dir, overrides=overrides, progress=progress, figures=_figures)
    except MemoryError:
        raise InputError("config", "replicates", f"{cfg.replicates} replicates do not fit in "
                         "memory; run fewer") from None


def claim_directory(job: Composed) -> Path | None:
    """Resolve the job's directory once and fix it in the configuration: a run's directory
    is claimed before Hydra writes into it (one that holds another run's files is refused,
    and two runs given one directory cannot mix their outputs) and returned; a sweep's is
    checked for writing (a resumed sweep reuses it on purpose)."""
    hydra = job.cfg.hydra
    try:
        directory = Path(hydra.sweep.dir if job.command.multirun else hydra.run.dir).absolute()
    except OmegaConfBaseException:
        return None  # a directory only Hydra can resolve: left to Hydra
    if job.command.multirun:
        check_writable(directory)
    else:
        claim_run_dir(directory, hydra.output_subdir or ".hydra")
    job.fix_directory(directory)
    return directory


def exit_if_jobs_failed(sweep_dir: Path) -> None:
    """After a sweep with a failed job: each job that did not finish, with the reason, and
    exit code 2. (Jobs a cluster launcher left missing are not a failure of this process.)"""
    from sim.studies.collect import collect, report

    try:
        _, jobs = collect(sweep_dir)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    if (jobs["status"] == "failed").any():
        print("error: " + "\n".join(report(sweep_dir, jobs)), file=sys.stderr)
        sys.exit(2)


def stop(signum, frame) -> None:
    """SIGTERM ends the process as Ctrl-C does: unwinding, so temporary files are removed."""
    sys.exit(128 + signum)


def entry() -> None:
    signal.signal(signal.SIGTERM, stop)
    try:
        command = parse_command_line(sys.argv[1:])
        if command.hydra_prints:  # --help, --info, -cn, ...: Hydra's main answers them
            check_choices(parse_overrides(command.overrides, "command line"), "config")
            sys.argv[1:] = command.argv()
            register()
            hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")(main)()
            return
        with composed(command) as job:
            if command.args.cfg is not None:
                job.print_config()
                return
            directory = claim_directory(job)
            run_job_in(job, directory)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def run_job_in(job: Composed, directory: Path | None) -> None:
    """The composed job or sweep; a run that fails leaves nothing of itself in its directory."""
    sweeping = job.command.multirun
    if sweeping:
        end_workers_with_this_process()
    try:
        job.run(main)
        if sweeping and directory is not None:
            exit_if_jobs_failed(directory)
    except SystemExit as end:
        if not sweeping and directory is not None and end.code not in (None, 0):
            shutil.rmtree(directory, ignore_errors=True)  # this run's own: nothing half-done stays
        raise
    except BaseException:
        if not sweeping and directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        raise


def _figures(run_dir, focus):
    """plot=true: matplotlib is loaded only when a run asks for figures."""
    from sim.report.plot import run_figures

    return run_figures(run_dir, focus)


if __name__ == "__main__":
    entry()
