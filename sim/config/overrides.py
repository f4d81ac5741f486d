"""A Hydra command line, read with Hydra's own parser and composed once: Hydra's errors come
out as one line (`command line: KEY: what to do`), beside the checks Hydra lacks: every option
chosen is read as data before Hydra loads it (sim.config.options), a group is chosen once and
with a `+` only when no default chooses it, a key of a section nothing chose names what would
choose it, a `+` adds no key to a section of the schema, every sweep value has its key's type,
and a launcher's plugin is installed."""

import argparse
import copy
import importlib.util
import sys
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import get_args, get_type_hints

from hydra import initialize_config_dir
from hydra._internal.utils import get_args_parser
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from hydra.types import RunMode
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
from sim.config.schema import Config, register
from sim.errors import InputError
from sim.paths import CONFIG_DIR, EXPERIMENT_ROOT

# launcher presets whose Hydra plugin is not a dependency of the project
LAUNCHER_PLUGINS = {"ray": ("hydra_plugins.hydra_ray_launcher", "install the ray extra into a "
                            "venv of its own (experiments/README.md)")}
# Hydra's errors when composing fails (it also lets some assertions through)
COMPOSE_ERRORS = (HydraException, OmegaConfBaseException, ValueError, AssertionError, KeyError)
# Hydra's flags after which its main prints something of its own (--version: its parser)
OWN_OUTPUT = ("help", "hydra_help", "info", "shell_completion", "config_path",
              "config_name", "config_dir", "experimental_rerun")


@dataclass(frozen=True)
class CommandLine:
    flags: list[str]  # Hydra's flags and their values, in the order given
    overrides: list[str]
    args: argparse.Namespace  # what Hydra's parser read

    @property
    def multirun(self) -> bool:
        return self.args.multirun or "hydra.mode=MULTIRUN" in self.overrides

    @property
    def hydra_prints(self) -> bool:
        """Whether Hydra's own main answers it (--help, --info, -cn, ...): not a job, and
        not the configuration --cfg prints."""
        return any(getattr(self.args, name) for name in OWN_OUTPUT)

    def argv(self) -> list[str]:
        """The command line as Hydra's main parses it: flags before the overrides, the
        experiments on the search path (see with_experiments)."""
        return [*self.flags, *experiment_search(self.overrides)]


def parse_command_line(argv: list[str]) -> CommandLine:
    """argv read by Hydra's own parser, flags anywhere; InputError for a flag Hydra does not
    know (a setting written the argparse way) or one without its value."""
    parser = get_args_parser()
    parser.exit_on_error = False
    try:
        args, unknown = parser.parse_known_intermixed_args(argv)
    except argparse.ArgumentError as err:
        raise InputError("command line", err.argument_name or "arguments",
                         f"{err.message}; see --help") from None
    if unknown:
        flag = unknown[0]
        key, _, value = flag.lstrip("-").partition("=")
        after = argv[argv.index(flag) + 1:]
        value = value or (after[0] if after and "=" not in after[0] else "VALUE")
        raise InputError("command line", flag, f"not an option; settings are written "
                         f"key=value, e.g. {key}={value}")
    rest, k = [], 0
    for arg in argv:
        if k < len(args.overrides) and arg == args.overrides[k]:
            k += 1
        else:
            rest.append(arg)
    return CommandLine(rest, list(args.overrides), args)


def quoted(text: str) -> str:
    """`text` as a quoted value of an override."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def experiment_search(overrides: list[str]) -> list[str]:
    """The overrides with a `hydra.searchpath` entry for the experiments (a search path in
    configs/config.yaml would break primary configs that include it), unless they set
    hydra.searchpath themselves. Sweep jobs inherit it with Hydra's own overrides."""
    if any(o.lstrip("+~").split("=", 1)[0] == "hydra.searchpath" for o in overrides):
        return list(overrides)
    return [*overrides, f"hydra.searchpath=[{quoted('file://' + str(EXPERIMENT_ROOT))}]"]


def with_experiments(argv: list[str]) -> list[str]:
    """argv as Hydra's main wants it (flags first), the experiments on its search path."""
    return parse_command_line(argv).argv()


def exit_on_bad_overrides(argv: list[str], config_name: str | None = None) -> None:
    """job_config for an entry point that hands the command line to Hydra's main: a bad
    override ends the process with one line. The primary config is by default the entry
    point's own, configs/<its module>.yaml (python -m sim.calibrate: calibrate.yaml), or
    else config.yaml."""
    if config_name is None:
        own = Path(sys.argv[0]).stem
        config_name = own if (CONFIG_DIR / f"{own}.yaml").is_file() else "config"
    try:
        job_config(argv, config_name)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def job_config(argv: list[str], config_name: str = "config") -> DictConfig:
    """The configuration of a command line's (first) job, with its hydra section, composed
    once and checked; InputError for the first mistake."""
    command = parse_command_line(argv)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="sim"):
        return compose(command, config_name)


def compose(command: CommandLine, config_name: str, master: bool = False,
            with_log_configuration: bool = False) -> DictConfig:
    """The one composition of a command line by the initialised Hydra, checked before (the
    options it chooses) and after (what Hydra lets through): the first job's configuration,
    or with `master` a sweep's own (its sweeps not yet applied, as Hydra's multirun has it)."""
    register()  # the schema, for entry points that check before they register it
    overrides = parse_overrides(command.overrides, "command line")
    experiments = check_choices(overrides, config_name)
    lines = command.overrides if master or not command.multirun else first_job(overrides)
    if command.args.cfg is None and "hydra.mode" not in {o.key_or_group for o in overrides}:
        lines = [*lines, f"hydra.mode={'MULTIRUN' if command.multirun else 'RUN'}"]
    try:
        cfg = GlobalHydra.instance().hydra.compose_config(
            config_name, experiment_search(lines),
            run_mode=RunMode.MULTIRUN if master else RunMode.RUN,
            with_log_configuration=with_log_configuration)
    except COMPOSE_ERRORS as err:
        raise one_line(err, overrides) from None
    where = f"{experiments[0]}: hydra.sweeper.params" if experiments else "hydra.sweeper.params"
    given = {o.key_or_group for o in overrides}
    swept = [f"{k}={v}" for k, v in (OmegaConf.select(cfg, "hydra.sweeper.params") or {}).items()
             if k not in given]
    check_settings(overrides, cfg)
    check_settings(parse_overrides(swept, where), cfg, where)
    return cfg


def first_job(overrides: list[Override]) -> list[str]:
    """The overrides of a sweep's first job: each sweep at its first value."""
    return [f"{o.get_key_element()}={next(iter(o.sweep_string_iterator()), '')}"
            if o.is_sweep_override() and _values(o) else o.input_line for o in overrides]


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
        for name in _values(override):
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
        for value in _values(override):
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


def _values(override: Override) -> list:
    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException:
        return []  # interval sweeps are for sweepers that sample; the sweeper checks them
