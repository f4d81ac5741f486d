"""Check a command line against Hydra's rules and the schema before Hydra runs anything, so
that a mistake (a stray --flag, a misspelt key, a `+` too many or too few, a group given
twice, a key of a section nothing selected, a sweep value of the wrong type) stops with one
line instead of Hydra's multi-line message or a stack trace."""

import importlib.util
import sys
from dataclasses import is_dataclass
from pathlib import Path
from typing import get_args, get_type_hints

from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config.options import (
    CONFIG_DIR,
    EXPERIMENT_ROOT,
    check_option,
    groups,
    options,
    primary_choices,
)
from sim.config.schema import Config, register
from sim.data.files import MAX_YAML_BYTES, load_yaml, read_text
from sim.errors import InputError

# Hydra finds the `experiment` group in experiments/experiment/ (EXPERIMENT_ROOT) through
# a search path added to the command line by the entry points (see with_experiments).
# launcher presets whose Hydra plugin is not a dependency of the project
LAUNCHER_PLUGINS = {"ray": ("hydra_plugins.hydra_ray_launcher", "install the ray extra into a "
                            "venv of its own (experiments/README.md)")}
# Hydra's own flags: those that take a value, and those that do not
FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                    "--cfg", "-c", "--package", "-p", "--info", "-i", "--experimental-rerun"}
FLAGS = {"--help", "-h", "--hydra-help", "--version", "--resolve", "--run", "-r",
         "--multirun", "-m", "--shell-completion", "-sc"}
OPTIONAL_VALUE = {"--info", "-i"}  # --info [all|config|defaults|...]
# flags with which Hydra prints something and runs no job
NO_JOB_FLAGS = {"--help", "-h", "--hydra-help", "--version", "--cfg", "-c", "--info", "-i",
                "--shell-completion", "-sc"}
# Hydra's errors when composing fails (it also lets some assertions through)
COMPOSE_ERRORS = (HydraException, OmegaConfBaseException, ValueError, AssertionError, KeyError)


def override_positions(argv: list[str]) -> list[int]:
    """Indices of the key=value arguments of a command line, without Hydra's own flags."""
    found, skip = [], False
    for k, arg in enumerate(argv):
        if skip:
            skip = False
            if not (argv[k - 1] in OPTIONAL_VALUE and "=" in arg):
                continue
        if arg in FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-") or arg.startswith("~"):
            found.append(k)
    return found


def override_args(argv: list[str]) -> list[str]:
    """The key=value arguments of a command line, without Hydra's own flags."""
    return [argv[k] for k in override_positions(argv)]


def flags_first(argv: list[str]) -> list[str]:
    """argv with Hydra's flags (and their values) before the overrides, as its parser
    wants them: `a=1 -m b=2` becomes `-m a=1 b=2`."""
    positions = set(override_positions(argv))
    return [*(a for k, a in enumerate(argv) if k not in positions),
            *(a for k, a in enumerate(argv) if k in positions)]


def multirun(argv: list[str]) -> bool:
    return any(arg in ("-m", "--multirun") for arg in argv)


def runs_a_job(argv: list[str]) -> bool:
    """False when Hydra only prints something (--help, --cfg, --info, ...)."""
    return not any(arg.split("=", 1)[0] in NO_JOB_FLAGS for arg in argv)


def quoted(text: str) -> str:
    """`text` as a quoted value of an override."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


EXPERIMENT_SEARCHPATH = f"[{quoted('file://' + str(EXPERIMENT_ROOT))}]"


def set_override(argv: list[str], key: str, value: str) -> list[str]:
    """argv with `key=value` in place of any override of `key`, beside the other overrides."""
    positions = override_positions(argv)
    kept = [arg for k, arg in enumerate(argv)
            if k not in positions or arg.lstrip("+~").split("=", 1)[0] != key]
    positions = override_positions(kept)
    at = positions[0] if positions else len(kept)  # beside the others: argparse wants them together
    return [*kept[:at], f"{key}={value}", *kept[at:]]


def with_experiments(argv: list[str]) -> list[str]:
    """argv with a `hydra.searchpath` entry for the experiments (a search path in
    configs/config.yaml would break primary configs that include it), unless argv sets
    hydra.searchpath itself. Sweep jobs inherit it with Hydra's own overrides."""
    if any(arg.lstrip("+~").split("=", 1)[0] == "hydra.searchpath" for arg in override_args(argv)):
        return list(argv)
    return set_override(argv, "hydra.searchpath", EXPERIMENT_SEARCHPATH)


def exit_on_bad_overrides(argv: list[str], config_name: str | None = None) -> None:
    """check_overrides for an entry point: a bad override ends the process with one line.
    The primary config is by default the entry point's own, configs/<its module>.yaml
    (python -m sim.calibrate: calibrate.yaml), or else config.yaml."""
    if config_name is None:
        own = Path(sys.argv[0]).stem
        config_name = own if (CONFIG_DIR / f"{own}.yaml").is_file() else "config"
    try:
        check_overrides(argv, config_name)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def compose_config(config_name: str, overrides: list[str]) -> DictConfig:
    """The configuration Hydra composes for these overrides (the hydra section included);
    InputError with Hydra's reason in one line if it cannot."""
    if not any(o.startswith("hydra.searchpath=") for o in overrides):
        overrides = [f"hydra.searchpath={EXPERIMENT_SEARCHPATH}", *overrides]
    register()  # the schema, for entry points that check before they register it
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name=config_name, overrides=overrides, return_hydra_config=True)
    except COMPOSE_ERRORS as err:
        raise InputError("command line", "overrides", f"{hydra_reason(err)}; check the overrides") from None


def hydra_reason(err: BaseException) -> str:
    """Hydra's error in one line, with the first line of the error it wraps (which names
    the key and the value at fault)."""
    reason = " ".join(str(err).split()) or type(err).__name__
    cause = err.__cause__
    if cause is not None and str(cause).strip() and str(cause).split()[0] not in reason:
        reason += f": {str(cause).strip().splitlines()[0]}"
    return reason


def check_overrides(argv: list[str], config_name: str = "config") -> None:
    """Raise InputError for the first argument of a command line that Hydra or the schema
    would reject, on the command line or among the sweep parameters of an experiment it
    names. Keys of a section that no option fills (`scenario` without +scenario) are
    checked against the section's schema; job_config says whether something fills it."""
    _checked(argv, config_name)


def job_config(argv: list[str], config_name: str = "config") -> DictConfig:
    """check_overrides, then the configuration of the (first) job, with its hydra section:
    InputError for a key of a section that nothing on the command line fills, or for
    whatever else keeps Hydra from composing it."""
    overrides, selections, config = _checked(argv, config_name)
    for where, override in overrides:
        section = override.key_or_group.split(".")[0]
        if "." in override.key_or_group and not override.is_delete() and \
                section in config and config[section] is None:
            raise InputError(where or override.input_line, override.key_or_group,
                             _unselected(section))
    sweeps = {o.key_or_group for _, o in overrides if o.is_sweep_override()}
    fixed = [o.input_line for where, o in overrides if not where and o.key_or_group not in groups()
             and o.key_or_group not in sweeps]
    return compose_config(config_name, [*selections, *fixed]) if fixed else config


def _checked(argv: list[str], config_name: str) -> tuple[list, list[str], DictConfig]:
    """(every override as (where, override), the overrides that choose the first job's
    options, the configuration they compose)."""
    _check_flags(argv)
    defaults = primary_choices(config_name)
    args = override_args(argv)
    try:
        overrides = [("", o) for o in OverridesParser.create().parse_overrides(args)]
    except HydraException as err:
        raise InputError("command line", "override", f"{str(err).splitlines()[0]}") from None
    given = {o.key_or_group for _, o in overrides}
    chosen = {}  # group -> where it was chosen
    for _, override in list(overrides):
        if override.key_or_group == "experiment" and not override.is_delete():
            for name in _values(override):
                path = check_option("experiment", name, override.input_line)
                found, chooses = _experiment_overrides(path, given)
                overrides += found
                chosen.update({group: str(path) for group in chooses})
    selections = _check_groups(overrides, defaults, chosen)
    config = compose_config(config_name, selections)
    _check_keys(overrides, config)
    return overrides, selections, config


def _check_flags(argv: list[str]) -> None:
    """A --name that is not Hydra's is a setting written the argparse way."""
    expects_value = False
    for k, arg in enumerate(argv):
        if expects_value:
            expects_value = False
            continue
        name = arg.split("=", 1)[0]
        if arg in FLAGS_WITH_VALUE:
            expects_value = arg not in OPTIONAL_VALUE
        elif arg.startswith("-") and not arg.startswith("~") and name not in FLAGS | FLAGS_WITH_VALUE:
            key = name.lstrip("-")
            value = arg.split("=", 1)[1] if "=" in arg else (
                argv[k + 1] if k + 1 < len(argv) and "=" not in argv[k + 1] else "VALUE")
            raise InputError("command line", arg, f"not an option; settings are written "
                             f"key=value, e.g. {key}={value}")


def _check_groups(overrides: list, choices, chosen: dict[str, str]) -> list[str]:
    """Checks of the config-group overrides (scenario, params, launcher, experiment, ...):
    the option exists, `+` for a group the defaults lack and none for one they hold, each
    group given once. Returns the overrides that choose the first job's options."""
    selections = []
    known = groups()
    for where, override in overrides:
        key = override.key_or_group
        if key not in known or override.is_delete():
            continue
        where = where or override.input_line
        names = _values(override)
        for name in names:
            check_option(key, name, where)
            if key == "launcher" and name in LAUNCHER_PLUGINS:
                module, fix = LAUNCHER_PLUGINS[name]
                if importlib.util.find_spec(module) is None:
                    raise InputError(where, key, f"'{name}' needs {module}; {fix}")
        if key in chosen:
            raise InputError(where, key, f"chosen twice (also by {chosen[key]}); keep one, or "
                             f"sweep several with -m +{key}=a,b")
        chosen[key] = where
        by_default = choices.get(key) is not None
        if override.is_force_add():
            raise InputError(where, key, f"++ is for keys, not for a group; write "
                             f"{'' if by_default else '+'}{key}={names[0] if names else 'NAME'}")
        if override.is_add() and by_default:
            raise InputError(where, key, f"chosen by default ({choices[key]}); write "
                             f"{key}=NAME without +")
        if not override.is_add() and not by_default:
            raise InputError(where, key, f"none is chosen by default; write +{key}=NAME")
        if names:
            selections.append(f"{'+' if override.is_add() else ''}{key}={names[0]}")
    return selections


def _check_keys(overrides: list, config: DictConfig) -> None:
    """Checks of key overrides: the key exists (or its section takes new keys), `+` only
    for a new key, and every value of the type the schema gives."""
    settings = config.copy()
    for section, schema in optional_sections().items():
        if section in settings and settings[section] is None:
            settings[section] = OmegaConf.structured(schema)
    known = groups()
    for where, override in overrides:
        key = override.key_or_group
        where = where or override.input_line
        if key.startswith("hydra") or key in known or override.is_delete():
            continue
        parent_key, _, leaf = key.rpartition(".")
        parent = OmegaConf.select(settings, parent_key) if parent_key else settings
        exists = isinstance(parent, DictConfig) and leaf in parent
        adds = override.is_add() or override.is_force_add()
        if override.is_add() and exists:
            raise InputError(where, key, "already set; write it without +")
        if not exists and not (adds and isinstance(parent, DictConfig)
                               and OmegaConf.get_type(parent) is dict):
            while parent_key and not isinstance(parent, DictConfig):
                parent_key = parent_key.rpartition(".")[0]
                parent = OmegaConf.select(settings, parent_key) if parent_key else settings
            raise InputError(where, key, f"not a setting{' of ' + parent_key if parent_key else ''}"
                             f"; known: {', '.join(k for k in parent if k != 'hydra')}")
        if key.startswith("scenario.") and key.split(".")[1] in ("reference", "edits"):
            continue
        for value in _values(override):
            trial = settings.copy()
            try:
                OmegaConf.update(trial, key, value, merge=True, force_add=adds)
            except (OmegaConfBaseException, ValueError) as err:
                reason = str(err).splitlines()[0]
                raise InputError(where, key, f"{reason}; check the key and the type "
                                 "of its value") from None


def optional_sections() -> dict[str, type]:
    """The sections of the schema that are null unless an option fills them (scenario,
    sensitivity), with their own schema."""
    found = {}
    for name, hint in get_type_hints(Config).items():
        kinds = [kind for kind in get_args(hint) if is_dataclass(kind)]
        if kinds:
            found[name] = kinds[0]
    return found


def _unselected(section: str) -> str:
    """The fix for a key under a section that no chosen option fills."""
    known = groups()
    if section in known:
        return f"no {section} is chosen; add +{section}=NAME first ({', '.join(options(section))})"
    setters = sorted(p.stem for p in known["experiment"].glob("*.yaml")
                     if section in (_read_option(p) or {}))
    using = f"; add +experiment={' or +experiment='.join(setters)}" if setters else ""
    return f"'{section}' is not part of this run{using}"


def _experiment_overrides(path: Path, given: set[str]) -> tuple[list, list[str]]:
    """(the sweep parameters of an experiment file as (where, override), but for keys the
    command line gives; the groups its defaults choose)."""
    data = _read_option(path) or {}
    chooses = [next(iter(entry)).lstrip("/") for entry in data.get("defaults") or []
               if isinstance(entry, dict) and not next(iter(entry)).startswith("override")]
    params = ((data.get("hydra") or {}).get("sweeper") or {}).get("params") or {}
    lines = [f"{k}={v}" for k, v in params.items() if k not in given]
    where = f"{path}: hydra.sweeper.params"
    try:
        return [(where, o) for o in OverridesParser.create().parse_overrides(lines)], chooses
    except HydraException as err:
        raise InputError(where, "params", f"{str(err).splitlines()[0]}") from None


def _read_option(path: Path):
    return load_yaml(read_text(path, "the experiment", MAX_YAML_BYTES), path)


def _values(override) -> list:
    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException:
        return []  # interval sweeps are for sweepers that sample; the sweeper checks them
