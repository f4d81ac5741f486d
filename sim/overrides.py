"""Check command-line overrides against the schema before Hydra composes anything, so a
misspelt key or a sweep value of the wrong type stops with one line instead of a stack."""

from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.config import Config, ScenarioConfig
from sim.errors import InputError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
GROUPS = {"scenario": CONFIG_DIR / "scenario", "params": CONFIG_DIR / "params",
          "launcher": CONFIG_DIR / "launcher",
          "experiment": CONFIG_DIR.parent / "experiments"}
FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                    "--cfg", "-c", "--package", "-p", "--info", "--experimental-rerun"}


def override_args(argv: list[str]) -> list[str]:
    """The key=value arguments of a command line, without Hydra's own flags."""
    args, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in FLAGS_WITH_VALUE:
            skip = arg not in ("--info",)
        elif not arg.startswith("-") or arg.startswith("~"):
            args.append(arg)
    return args


def check_overrides(argv: list[str]) -> None:
    """Raise InputError for the first override that the schema or the groups reject."""
    args = override_args(argv)
    try:
        overrides = OverridesParser.create().parse_overrides(args)
    except HydraException as err:
        raise InputError("command line", "override", f"{str(err).splitlines()[0]}") from None
    schema = OmegaConf.structured(Config)
    for override in overrides:
        key = override.key_or_group
        if key.startswith("hydra") or override.is_delete():
            continue
        if key in GROUPS:
            for name in _values(override):
                if not (GROUPS[key] / f"{name}.yaml").is_file():
                    options = sorted(p.stem for p in GROUPS[key].glob("*.yaml"))
                    raise InputError(override.input_line, key,
                                     f"no {key} named '{name}'; choose one of {', '.join(options)}")
            continue
        if key.startswith("scenario.") or key.startswith("params.weights."):
            if key.startswith("scenario.") and schema.scenario is None:
                schema.scenario = OmegaConf.structured(ScenarioConfig(name="check"))
            if key.startswith("scenario.") and key.split(".")[1] in ("reference", "edits"):
                continue
        for value in _values(override):
            trial = schema.copy()
            try:
                OmegaConf.update(trial, key, value, merge=True, force_add=override.is_add())
            except (OmegaConfBaseException, ValueError) as err:
                reason = str(err).splitlines()[0]
                raise InputError(override.input_line, key, f"{reason}; check the key and the type "
                                 "of its value") from None


def _values(override) -> list:
    if not override.is_sweep_override():
        return [override.value()]
    try:
        return list(override.sweep_iterator())
    except HydraException:
        return []  # interval sweeps are for sweepers that sample; the sweeper checks them
