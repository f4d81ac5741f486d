"""`python -m sim`: the Hydra entry point. Runs one configuration, or a sweep with -m."""

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config import register
from sim.errors import InputError
from sim.jobs import finished_summary, job_overrides, record_error, remove_if_only_hydra_files
from sim.overrides import exit_on_bad_overrides, with_experiments
from sim.run import facts_line, report_lines, run

register()


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> float | None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    sweeping = hydra_cfg.mode == RunMode.MULTIRUN
    overrides = job_overrides(hydra_cfg)
    if sweeping:
        done = finished_summary(out_dir, overrides)
        if done is not None:
            print(f"job {hydra_cfg.job.num}: finished before, skipped ({out_dir})")
            return done.get("facts_met")
    try:
        if cfg.sensitivity is not None:  # a study (experiments/experiment/sobol.yaml)
            # imported here: SALib brings scipy.stats, a second and more of every plain run
            from sim.sensitivity import report_lines as sensitivity_lines
            from sim.sensitivity import sensitivity

            table, study = sensitivity(cfg, out_dir, overrides=overrides, progress=not sweeping)
            print("\n".join(sensitivity_lines(table, study["noise_share"], out_dir)))
            return None
        summary = run(cfg, out_dir, overrides=overrides, progress=not sweeping)
    except InputError as err:
        if not sweeping:
            print(f"error: {err}", file=sys.stderr)
            remove_if_only_hydra_files(out_dir)
            sys.exit(2)
        record_error(out_dir, err)
        print(f"job {hydra_cfg.job.num}: error: {err}", file=sys.stderr)
        return None
    except Exception as err:
        if sweeping:  # so that sim.collect lists the job as failed, with the reason
            record_error(out_dir, err)
        raise
    if sweeping:
        facts = facts_line(summary) or "no facts checked"
        print(f"job {hydra_cfg.job.num}: {' '.join(overrides) or '(defaults)'}: {facts}, "
              f"{summary['timings']['simulate_s']:.2f} s")
    else:
        print("\n".join(report_lines(summary, out_dir)))
    return summary.get("facts_met")


def entry() -> None:
    exit_on_bad_overrides(sys.argv[1:])
    sys.argv[1:] = with_experiments(sys.argv[1:])
    main()


if __name__ == "__main__":
    entry()
