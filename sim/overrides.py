"""Check command-line overrides against the schema before Hydra composes anything, so a
misspelt key or a sweep value of the wrong type stops with one line instead of a stack."""

import importlib.util
import sys
from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import Config, ScenarioConfig, SensitivityConfig
from sim.errors import InputError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
# Hydra finds the `experiment` group in experiments/experiment/ through this search path,
# added to the command line by the entry points (see with_experiments).
EXPERIMENT_ROOT = CONFIG_DIR.parent / "experiments"
GROUPS = {"scenario": CONFIG_DIR / "scenario", "params": CONFIG_DIR / "params",
          "launcher": CONFIG_DIR / "launcher",
          "experiment": EXPERIMENT_ROOT / "experiment"}
# launcher presets whose Hydra plugin is not a dependency of the project
LAUNCHER_PLUGINS = {"ray": ("hydra_plugins.hydra_ray_launcher", "install the ray extra into a "
                            "venv of its own (experiments/README.md)")}
# sections that are None until a scenario or an experiment fills them
OPTIONAL_SECTIONS = {"scenario": ScenarioConfig(name="check"), "sensitivity": SensitivityConfig()}
FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                    "--cfg", "-c", "--package", "-p", "--info", "--experimental-rerun"}


def override_positions(argv: list[str]) -> list[int]:
    """Indices of the key=value arguments of a command line, without Hydra's own flags."""
    found, skip = [], False
    for k, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in FLAGS_WITH_VALUE:
            skip = arg not in ("--info",)
        elif not arg.startswith("-") or arg.startswith("~"):
            found.append(k)
    return found


def override_args(argv: list[str]) -> list[str]:
    """The key=value arguments of a command line, without Hydra's own flags."""
    return [argv[k] for k in override_positions(argv)]


def with_experiments(argv: list[str]) -> list[str]:
    """argv with a `hydra.searchpath` entry for the experiments (a search path in
    configs/config.yaml would break primary configs that include it), unless argv sets
    hydra.searchpath itself. Sweep jobs inherit it with Hydra's own overrides."""
    if any(arg.lstrip("+~").split("=", 1)[0] == "hydra.searchpath" for arg in override_args(argv)):
        return list(argv)
    path = str(EXPERIMENT_ROOT).replace("\\", "\\\\").replace("'", "\\'")
    positions = override_positions(argv)
    at = positions[0] if positions else len(argv)  # beside the others: argparse wants them together
    return [*argv[:at], f"hydra.searchpath=['file://{path}']", *argv[at:]]


def exit_on_bad_overrides(argv: list[str]) -> None:
    """check_overrides for an entry point: a bad override ends the process with one line."""
    try:
        check_overrides(argv)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def check_overrides(argv: list[str], schema_type: type = Config) -> None:
    """Raise InputError for the first override that the schema or the groups reject, on the
    command line or among the sweep parameters of an experiment it names."""
    args = override_args(argv)
    try:
        overrides = [("", o) for o in OverridesParser.create().parse_overrides(args)]
    except HydraException as err:
        raise InputError("command line", "override", f"{str(err).splitlines()[0]}") from None
    schema = OmegaConf.structured(schema_type)
    given = {o.key_or_group for _, o in overrides}
    for _, override in list(overrides):
        if override.key_or_group == "experiment" and not override.is_delete():
            for name in _values(override):
                overrides += _experiment_overrides(GROUPS["experiment"] / f"{name}.yaml", schema,
                                                   given)
    for where, override in overrides:
        where = where or override.input_line
        key = override.key_or_group
        if key.startswith("hydra") or override.is_delete():
            continue
        if key in GROUPS:
            for name in _values(override):
                if not (GROUPS[key] / f"{name}.yaml").is_file():
                    options = sorted(p.stem for p in GROUPS[key].glob("*.yaml"))
                    raise InputError(where, key,
                                     f"no {key} named '{name}'; choose one of {', '.join(options)}")
                if key == "launcher" and name in LAUNCHER_PLUGINS:
                    module, fix = LAUNCHER_PLUGINS[name]
                    if importlib.util.find_spec(module) is None:
                        raise InputError(where, key, f"'{name}' needs {module}; {fix}")
            continue
        section = key.split(".")[0]
        if section in OPTIONAL_SECTIONS and "." in key and schema[section] is None:
            schema[section] = OmegaConf.structured(OPTIONAL_SECTIONS[section])
        if key.startswith("scenario.") and key.split(".")[1] in ("reference", "edits"):
            continue
        for value in _values(override):
            trial = schema.copy()
            try:
                OmegaConf.update(trial, key, value, merge=True, force_add=override.is_add())
            except (OmegaConfBaseException, ValueError) as err:
                reason = str(err).splitlines()[0]
                raise InputError(where, key, f"{reason}; check the key and the type "
                                 "of its value") from None


def _experiment_overrides(path: Path, schema, given: set[str]) -> list:
    """The sweep parameters of an experiment file as (where, override), but for keys the
    command line gives; InputError for a top-level key this command's schema lacks."""
    if not path.is_file():
        return []  # reported as an unknown experiment
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise InputError(path, "file", f"cannot be read as YAML ({str(err).splitlines()[0]})") from None
    unknown = [k for k in data if k not in ("defaults", "hydra") and k not in schema]
    if unknown:
        raise InputError(path, unknown[0], "not a key of this command's config; the file's "
                         "header says which command the experiment is for")
    params = ((data.get("hydra") or {}).get("sweeper") or {}).get("params") or {}
    lines = [f"{k}={v}" for k, v in params.items() if k not in given]
    where = f"{path}: hydra.sweeper.params"
    try:
        return [(where, o) for o in OverridesParser.create().parse_overrides(lines)]
    except HydraException as err:
        raise InputError(where, "params", f"{str(err).splitlines()[0]}") from None


def _values(override) -> list:
    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException:
        return []  # interval sweeps are for sweepers that sample; the sweeper checks them
