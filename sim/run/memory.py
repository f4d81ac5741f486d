"""Whether a run fits in this machine's memory, told before it starts."""

import os
from pathlib import Path

from sim.errors import InputError

CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"),
                 Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def memory_limit() -> int | None:
    """Bytes this process may use: the machine's memory, or the container's (cgroup) limit
    if lower, as under SLURM or Docker; None if unknown."""
    try:
        limits = [os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")]
    except (ValueError, OSError, AttributeError):
        limits = []
    for path in CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    return min(limits) if limits else None


def run_bytes(*, params: int, variants: int, probes: int, facts: int,
              keep: int, cells: int, budget_mb: int) -> tuple[int, int]:
    """(bytes per replicate, bytes besides) that an ensemble run holds at its peak, about.

    Per replicate: its parameter row (`params` float64), its probe values of every variant
    (float64, twice while the chunks are joined), its fact margins and flags. Besides: the
    histogram budget, the mean and five quantiles of every series and cell (`cells` = dates
    x states^2; a scenario's series are its variants and their difference), the tables made
    of them (about 100 bytes a row) and the raw replicates kept."""
    series = 2 * variants - 1
    per_replicate = 8 * params + 16 * variants * probes + 9 * facts
    besides = (budget_mb * 2**20 + 6 * 8 * series * cells + 6 * 100 * series * cells
               + 16 * keep * variants * cells)
    return per_replicate, besides


def check_fits(replicates: int, per_replicate: int, besides: int, limit: int | None,
               where: str = "config") -> None:
    """InputError stating the memory a run needs when that is more than `limit`."""
    needed = replicates * per_replicate + besides
    if limit is None or needed <= limit:
        return
    most = (limit - besides) // per_replicate
    fix = (f"run at most {most:,}" if most > 0 else "the run is too large even for one "
           "replicate: fewer states, months or output.keep_replicates")
    raise InputError(where, "replicates", f"{replicates} replicates need about {_size(needed)} of "
                     f"memory, more than the {_size(limit)} here; {fix}")


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
