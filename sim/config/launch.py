"""Hydra's main for a command, on the one composed configuration: the steps of Hydra's own
`run` and `multirun`, less the compositions it repeats (its main composes once to learn the
mode and again to run), so the command line's checks and its run directory act on the
configuration the job gets."""

from contextlib import contextmanager
from dataclasses import dataclass

from hydra import initialize_config_dir
from hydra._internal.callbacks import Callbacks
from hydra.core.global_hydra import GlobalHydra
from hydra.core.plugins import Plugins
from hydra.core.utils import run_job
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from sim.config.overrides import COMPOSE_ERRORS, CommandLine, compose, one_line, quoted
from sim.errors import InputError
from sim.paths import CONFIG_DIR


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
