"""The checks of a command line's overrides that Hydra lacks, and Hydra's own errors said in
one line (`command line: KEY: what to do`). Every option chosen is read as data before Hydra
loads it (sim.config.options); a group is chosen once, with a `+` only when no default chooses
it; a key of a section nothing chose names what would choose it; a `+` adds no key to a
section of the schema; every sweep value has its key's type; a launcher's plugin is installed."""

import copy
import importlib.util
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import get_args, get_type_hints

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from sim.config.options import (
    check_option,
    chosen_groups,
    groups,
    option_data,
    options,
    primary_choices,
)
from sim.config.schema import Config
from sim.errors import InputError

# launcher presets whose Hydra plugin is not a dependency of the project
LAUNCHER_PLUGINS = {"ray": ("hydra_plugins.hydra_ray_launcher", "install the ray extra into a "
                            "venv of its own (experiments/README.md)")}
# Hydra's errors when composing fails (it also lets some assertions through)
COMPOSE_ERRORS = (HydraException, OmegaConfBaseException, ValueError, AssertionError, KeyError)


def parse_overrides(lines: list[str], where: str) -> list[Override]:
    try:
        return OverridesParser.create().parse_overrides(lines)
    except HydraException as err:
        raise InputError(where, "override", " ".join(str(err).split())) from None


def one_line(err: BaseException, overrides: list[Override]) -> InputError:
    """Hydra's error as an InputError: the key at fault and what to do about it."""
    cause = err.__cause__
    if isinstance(err, AssertionError):  # Hydra's way to meet a key under a null section
        swept = {o.key_or_group for o in overrides if o.is_sweep_override()}
        for override in overrides:
            key = override.key_or_group
            section = key.split(".")[0]
            if "." in key and section in optional_sections():
                fix = (f"a {section} chosen by a sweep takes its keys as sweeps too; write "
                       f"{key}=choice({override.value()})" if section in swept
                       else _unselected(section))
                return InputError(override.input_line, key, fix)
    if isinstance(cause, ConfigAttributeError | ConfigKeyError) and cause.parent_node is not None:
        parent = cause.full_key.rpartition(".")[0]
        known = ", ".join(str(k) for k in cause.parent_node if k != "hydra")
        return InputError("command line", cause.full_key, f"not a setting"
                          f"{' of ' + parent if parent else ''}; known: {known}")
    culprit = next((o for o in overrides if o.input_line in str(err)), None)
    reason = " ".join(str(err).split()) or type(err).__name__
    if cause is not None and str(cause).strip():
        reason = str(cause).strip().splitlines()[0] if culprit else f"{reason}: {cause}"
    return InputError("command line", culprit.key_or_group if culprit else "overrides",
                      f"{' '.join(reason.split())}; check the overrides")


def check_choices(overrides: list[Override], config_name: str) -> list[Path]:
    """Every option the command line chooses (each value of a sweep) checked as data before
    Hydra reads it; a group chosen once, with `+` only when no default chooses it. Returns the
    experiments' files."""
    defaults = primary_choices(config_name)
    chosen, experiments = {}, []
    for override in sorted(overrides, key=lambda o: o.key_or_group != "experiment"):
        group, where = override.key_or_group, override.input_line
        if group not in groups() or override.is_delete():
            continue
        for name in sweep_values(override):
            path = check_option(group, name, where)
            if group == "experiment":
                experiments.append(path)
                chosen.update({chooses: str(path) for chooses in chosen_groups(path)})
            if group == "launcher" and name in LAUNCHER_PLUGINS:
                module, fix = LAUNCHER_PLUGINS[name]
                if importlib.util.find_spec(module) is None:
                    raise InputError(where, group, f"'{name}' needs {module}; {fix}")
        if group in chosen:
            raise InputError(where, group, f"chosen twice (also by {chosen[group]}); keep one, "
                             f"or sweep several with -m +{group}=a,b")
        chosen[group] = where
        if override.is_force_add() or (override.is_add() and defaults.get(group) is not None):
            by_default = f"chosen by default ({defaults[group]})" if group in defaults else "a group"
            raise InputError(where, group, f"{by_default}; write "
                             f"{'' if group in defaults else '+'}{group}=NAME")
    return experiments


def check_settings(overrides: list[Override], cfg: DictConfig, where: str | None = None) -> None:
    """What Hydra's composition lets through: a new key added to a section of the schema,
    and sweep values (which Hydra reads only as it launches each job) of a key that does not
    exist, under a section nothing chose, or of the wrong type. `where` the overrides were
    written: by default the command line, each named by its text."""
    for override in overrides:
        key = override.key_or_group
        at = where or override.input_line
        if key.startswith("hydra") or key in groups() or override.is_delete():
            continue
        section = key.split(".")[0]
        if "." in key and section in cfg and cfg[section] is None:
            raise InputError(at, key, _unselected(section))
        parent_key, _, leaf = key.rpartition(".")
        parent = OmegaConf.select(cfg, parent_key) if parent_key else cfg
        kind = OmegaConf.get_type(parent) if isinstance(parent, DictConfig) else None
        adds = override.is_add() or override.is_force_add()
        if adds and is_dataclass(kind) and leaf not in {f.name for f in fields(kind)}:
            known = ", ".join(f.name for f in fields(kind))
            raise InputError(at, key, f"not a setting{' of ' + parent_key if parent_key else ''}"
                             f"; known: {known}")
        if not override.is_sweep_override():
            continue
        if not isinstance(parent, DictConfig):
            raise InputError(at, key, "not a setting; check the key")
        trial = copy.deepcopy(parent)
        for value in sweep_values(override):
            try:
                OmegaConf.update(trial, leaf, value, merge=True, force_add=adds)
            except (OmegaConfBaseException, ValueError) as err:
                raise InputError(at, key, f"{str(err).splitlines()[0]}; check the key and "
                                 "the type of its value") from None


def optional_sections() -> set[str]:
    """The sections of the schema that are null unless an option fills them (scenario,
    sensitivity)."""
    return {name for name, hint in get_type_hints(Config).items()
            if any(is_dataclass(kind) for kind in get_args(hint))}


def _unselected(section: str) -> str:
    """The fix for a key under a section that no chosen option fills."""
    known = groups()
    if section in known:
        return f"no {section} is chosen; add +{section}=NAME first ({', '.join(options(section))})"
    setters = sorted(p.stem for p in known["experiment"].glob("*.yaml")
                     if section in option_data(p))
    using = f"; add +experiment={' or +experiment='.join(setters)}" if setters else ""
    return f"'{section}' is not part of this run{using}"


def sweep_values(override: Override) -> list:
    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException:
        return []  # interval sweeps are for sweepers that sample; the sweeper checks them
