"""Where the project's own files live: the configuration groups, the experiments, the seeds."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "configs"
EXPERIMENT_ROOT = PROJECT_ROOT / "experiments"
