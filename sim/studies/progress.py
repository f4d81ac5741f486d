"""One progress bar over the jobs of a sweep, drawn by the process that launches them.

A Hydra callback (configs/hydra/default.yaml): when a sweep starts it watches the sweep
directory and counts the jobs that finished (a summary.json) or failed (an error.txt),
whichever launcher runs them, against the jobs planned in multirun.yaml.
"""

import threading
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from tqdm import tqdm

from sim.errors import InputError

POLL_SECONDS = 0.5


def finished_jobs(sweep_dir: Path) -> int:
    """Job directories (0/, 1/, ...) holding a summary.json or an error.txt."""
    if not sweep_dir.is_dir():
        return 0
    return sum(1 for job in sweep_dir.iterdir() if job.name.isdigit()
               and ((job / "summary.json").is_file() or (job / "error.txt").is_file()))


class SweepProgress(Callback):
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # launchers pickle the callbacks into their workers, where they watch nothing
    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._stop.clear()
        sweep_dir = Path(config.hydra.sweep.dir)
        self._thread = threading.Thread(target=self._watch, args=(sweep_dir,), daemon=True)
        self._thread.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()

    def _watch(self, sweep_dir: Path) -> None:
        from sim.studies.collect import planned_jobs

        total = None
        with tqdm(total=None, desc="jobs", unit="job", leave=True) as bar:
            while True:
                stopping = self._stop.wait(POLL_SECONDS)
                if total is None and (sweep_dir / "multirun.yaml").is_file():
                    try:
                        planned, _ = planned_jobs(sweep_dir)
                    except InputError:  # still being written: read it at the next poll
                        planned = None
                    if planned is not None:
                        total = len(planned)
                        bar.reset(total=total)
                done = finished_jobs(sweep_dir)
                if done != bar.n:
                    bar.update(done - bar.n)
                if stopping:
                    return
