"""A Hydra command line, read with Hydra's own parser and composed once (the checks and the
one-line errors of sim.config.overrides around that composition), and its job or sweep run on
that configuration: the steps of Hydra's own `run` and `multirun`, less the compositions its
main repeats (once to learn the mode, again to run), so the checks and the claimed run
directory act on the configuration the job gets."""

import argparse
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hydra import initialize_config_dir
from hydra._internal.callbacks import Callbacks
from hydra._internal.utils import get_args_parser
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.types import Override
from hydra.core.plugins import Plugins
from hydra.core.utils import run_job
from hydra.types import HydraContext, RunMode, TaskFunction
from omegaconf import DictConfig, OmegaConf

from sim.config.overrides import (
    COMPOSE_ERRORS,
    check_choices,
    check_settings,
    one_line,
    parse_overrides,
    sweep_values,
)
from sim.config.schema import register
from sim.errors import InputError
from sim.paths import CONFIG_DIR, EXPERIMENT_ROOT

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
            if o.is_sweep_override() and sweep_values(o) else o.input_line for o in overrides]


@dataclass
class Composed:
    command: CommandLine
    config_name: str
    cfg: DictConfig

    def fix_directory(self, directory) -> None:
        """Write the job's (or the sweep's) directory, resolved once, into the configuration,
        and into the overrides a sweep's jobs are composed from."""
        key = f"hydra.{'sweep' if self.command.multirun else 'run'}.dir"
        OmegaConf.update(self.cfg, key, str(directory))
        kept = [o for o in self.cfg.hydra.overrides.hydra if o.lstrip("+~").split("=", 1)[0] != key]
        self.cfg.hydra.overrides.hydra = [*kept, f"{key}={quoted(str(directory))}"]

    def print_config(self) -> None:
        """--cfg job|hydra|all, with --package and --resolve, as Hydra's main prints it."""
        hydra = GlobalHydra.instance().hydra
        args = self.command.args
        cfg = hydra.get_sanitized_cfg(self.cfg, args.cfg)
        package = None if args.package == "_global_" else args.package
        shown = cfg if package is None else OmegaConf.select(cfg, package)
        if shown is None:
            raise InputError("command line", "--package", f"'{package}' is not in the config")
        if not isinstance(shown, DictConfig):
            print(shown)
            return
        if package is not None:
            print(f"# @package {package}")
        if args.resolve:
            OmegaConf.resolve(shown)
        print(OmegaConf.to_yaml(shown), end="")

    def run(self, task: TaskFunction) -> None:
        """The job, or the sweep's jobs through the configured sweeper and launcher."""
        hydra = GlobalHydra.instance().hydra
        callbacks = Callbacks(self.cfg)
        context = HydraContext(config_loader=hydra.config_loader, callbacks=callbacks)
        if not self.command.multirun:
            callbacks.on_run_start(config=self.cfg, config_name=self.config_name)
            done = run_job(hydra_context=context, task_function=task, config=self.cfg,
                           job_dir_key="hydra.run.dir", job_subdir_key=None)
            callbacks.on_run_end(config=self.cfg, config_name=self.config_name, job_return=done)
            _ = done.return_value  # raises the job's exception, if it ended in one
            return
        callbacks.on_multirun_start(config=self.cfg, config_name=self.config_name)
        sweeper = Plugins.instance().instantiate_sweeper(config=self.cfg, hydra_context=context,
                                                         task_function=task)
        try:
            sweeper.sweep(arguments=OmegaConf.to_container(self.cfg.hydra.overrides.task))
        except COMPOSE_ERRORS as err:  # a job's configuration, composed as it is launched
            raise one_line(err, []) from None
        callbacks.on_multirun_end(config=self.cfg, config_name=self.config_name)


@contextmanager
def composed(command: CommandLine, config_name: str = "config"):
    """Hydra initialised on the project's configs, and the command line composed once
    (InputError for a mistake); Hydra is cleared on leaving."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="sim"):
        runs = command.args.cfg is None
        yield Composed(command, config_name, compose(command, config_name, command.multirun and runs,
                                                     with_log_configuration=runs))
