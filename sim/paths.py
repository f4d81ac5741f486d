"""Where the project's own files live: the configuration groups, the experiments, the seeds."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "configs"
EXPERIMENT_ROOT = PROJECT_ROOT / "experiments"


def resolve_path(text: str) -> Path:
    """A relative path is taken from the working directory, else from the project root."""
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path
