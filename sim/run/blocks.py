"""A run split into blocks of replicates across jobs (`block.index`, `block.count`: one job
per block, on any Hydra launcher), merged exactly: the blocks' sums and counts are integers
and their per-replicate values are joined in replicate order, so the merged run writes what
one run of all the replicates writes, byte for byte.

    python -m sim -m replicates=1000 block.count=4 'block.index=range(4)' [hydra/launcher=...]
    python -m sim.merge outputs/sweeps/<day>/<time>      # -> <sweep>/merged
"""

import sys
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sim.data.files import MAX_YAML_BYTES, load_yaml, read_text
from sim.errors import InputError, OneLineParser
from sim.model.ensemble import EnsembleParts
from sim.run.console import report_lines
from sim.run.run import BLOCK_FILE, block_cells, ensemble_of, finish, prepare
from sim.run.waiting import waiting

BLOCK_KEYS = ("block.index", "block.count")


def block_jobs(sweep: Path) -> dict[tuple[str, ...], list[Path]]:
    """The block jobs under a sweep directory, grouped by their other overrides (one group
    per run to merge), each group in block order; InputError for a group with a block
    missing, twice, or of other replicates."""
    groups: dict[tuple[str, ...], list[tuple[DictConfig, Path]]] = {}
    for path in sorted(sweep.glob(f"*/{BLOCK_FILE}")):
        job = path.parent
        overrides = _job_yaml(job, "overrides.yaml") or []
        if not isinstance(overrides, list):
            raise InputError(job / ".hydra" / "overrides.yaml", "top level", "expected the "
                             "job's list of overrides; run the sweep again")
        rest = tuple(str(o) for o in overrides
                     if str(o).lstrip("+~").split("=", 1)[0] not in BLOCK_KEYS)
        groups.setdefault(rest, []).append((_job_config(job), job))
    if not groups:
        raise InputError(sweep, BLOCK_FILE, "no job of this sweep wrote one; run the sweep with "
                         "block.count=K 'block.index=range(K)' first")
    ordered = {}
    for rest, jobs in groups.items():
        count = jobs[0][0].block.count
        indices = sorted(cfg.block.index for cfg, _ in jobs)
        if indices != list(range(count)) or {cfg.block.count for cfg, _ in jobs} != {count}:
            raise InputError(sweep, "block.index", f"the jobs of {' '.join(rest) or '(defaults)'} "
                             f"hold blocks {indices} of {count}; rerun the sweep for the missing")
        ordered[rest] = [job for _, job in sorted(jobs, key=lambda item: item[0].block.index)]
    return ordered


def _job_yaml(job: Path, name: str):
    """A file of the job's .hydra folder, read as data within the bounds of sim.data.files."""
    path = job / ".hydra" / name
    return load_yaml(read_text(path, "the block job", MAX_YAML_BYTES), path)


def _job_config(job: Path) -> DictConfig:
    data = _job_yaml(job, "config.yaml")
    if not isinstance(data, dict):
        raise InputError(job / ".hydra" / "config.yaml", "top level", "expected the job's "
                         "configuration; run the sweep again")
    return OmegaConf.create(data)


def merge_blocks(jobs: list[Path], out_dir: Path, overrides: list[str] | None = None,
                 progress: bool = True) -> dict:
    """One run's outputs in out_dir from the block jobs of it (in block order); progress: a
    line on stderr for a step that takes a while."""
    clock = time.perf_counter()
    cfg = _job_config(jobs[0])
    cfg.block = {"index": 0, "count": 1}
    setup = prepare(cfg)
    timings = {"load_s": time.perf_counter() - clock}
    clock = time.perf_counter()
    planned, cells = block_cells(setup, cfg)
    parts = EnsembleParts()
    with waiting(f"reading the {len(jobs)} blocks", progress):
        for job in jobs:
            parts.add_saved(job / BLOCK_FILE)
    if parts.n_reps != cfg.replicates:
        raise InputError(jobs[0], "replicates", f"the blocks hold {parts.n_reps} replicates of "
                         f"{cfg.replicates}; rerun the sweep")
    with waiting("the statistics of the replicates", progress):
        ens, probes = ensemble_of(setup, cfg, parts, cells)
    return finish(cfg, setup, ens, probes, planned, out_dir, overrides, progress, None, timings,
                  clock)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m sim.merge", description=__doc__.split("\n")[0])
    parser.add_argument("sweep", type=Path, help="the sweep directory of the block jobs")
    parser.add_argument("-o", "--out", type=Path, default=None,
                        help="where the merged run goes (default: <sweep>/merged; one folder "
                             "per run when the sweep holds several)")
    try:
        args = parser.parse_args(argv)
        if not args.sweep.is_dir():
            raise InputError(args.sweep, "sweep", "not a directory; give the sweep directory "
                             "of the block jobs")
        groups = block_jobs(args.sweep)
        out = args.out or args.sweep / "merged"
        for k, (rest, jobs) in enumerate(groups.items()):
            out_dir = out if len(groups) == 1 else out / str(k)
            if out_dir.exists() and any(out_dir.iterdir()):
                raise InputError(out_dir, "--out", "already holds files; give a new directory")
            summary = merge_blocks(jobs, out_dir, list(rest))
            print(f"{' '.join(rest) or '(defaults)'}: {len(jobs)} blocks merged")
            print("\n".join(report_lines(summary, out_dir)))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
