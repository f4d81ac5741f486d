"""The option files a command chooses (scenario, params, experiment, launcher) read as data
before Hydra loads them: each lies inside its group's folder, is plain YAML within the
limits of sim.files, and sets only what its group may set. No such file can set `hydra.*`
beyond an experiment's sweep and directories, name a `_target_` for Hydra to instantiate,
or interpolate anything but its own scenario's keys and the run directory's date and id."""

import re
from pathlib import Path

from sim.data.files import MAX_YAML_BYTES, load_yaml, read_text
from sim.errors import InputError
from sim.paths import CONFIG_DIR, EXPERIMENT_ROOT

# an option's name: words joined by `/` for a subfolder, never `..` or an absolute path
OPTION_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
PACKAGE = re.compile(r"^#\s*@package\s+(\S+)")
# keys with which Hydra builds objects or changes how it does
INSTANTIATE_KEYS = {"_target_", "_args_", "_partial_", "_recursive_", "_convert_"}
# the run directory's date and id, the job's directory and number, and (scenario files)
# another key of the same scenario
INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
DIRECTORY_INTERPOLATION = re.compile(r"^(now:[^}]*|sim_run_id:|hydra:runtime\.output_dir|"
                                     r"hydra:job\.num)$")
# what each group's files may set at the top level when they write `# @package _global_`
GLOBAL_KEYS = {
    "scenario": {"scenario"},
    "params": {"params"},
    "launcher": {"defaults", "hydra"},
    "experiment": {"defaults", "hydra", "seed", "replicates", "start", "end", "plot", "focus",
                   "data", "params", "model", "scenario", "output", "calibration", "sensitivity"},
}
# the hydra keys an experiment may set (its sweep, its directories, its job's name) and a
# launcher preset (its launcher's settings)
HYDRA_KEYS = {"experiment": ("sweeper.params", "run.dir", "sweep.dir", "job.name"),
              "launcher": ("launcher",)}
# the groups another option's defaults list may choose
DEFAULTS_GROUPS = {"experiment": {"scenario", "params", "experiment"},
                   "launcher": {"hydra/launcher"}}


def groups() -> dict[str, Path]:
    """Config groups (folders of options) by name; `hydra` is Hydra's own."""
    found = {p.name: p for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name != "hydra"}
    found["experiment"] = EXPERIMENT_ROOT / "experiment"
    return found


def options(group: str) -> list[str]:
    return sorted(p.stem for p in groups()[group].glob("*.yaml"))


def option_path(group: str, name, where: str) -> Path:
    """The file of option `name` of `group`, inside the group's folder; InputError for a
    name that is not a plain option name or an option that does not exist."""
    folder = groups()[group]
    text = str(name)
    path = folder / f"{text}.yaml"
    inside = OPTION_NAME.match(text) and ".." not in text.split("/")
    if inside:
        try:
            path.resolve().relative_to(folder.resolve())
        except ValueError:
            inside = False
    if not inside:
        raise InputError(where, group, f"'{text}' is not the name of a {group} (a file in "
                         f"{folder.name}/); choose one of {', '.join(options(group))}")
    if not path.is_file():
        raise InputError(where, group,
                         f"no {group} named '{text}'; choose one of {', '.join(options(group))}")
    return path


def check_option(group: str, name, where: str, seen: set[Path] | None = None) -> Path:
    """option_path, then the file's contents checked as data (see the module's text), and
    the options its defaults list chooses. Returns the file."""
    path = option_path(group, name, where)
    seen = set() if seen is None else seen
    if path in seen:
        return path
    seen.add(path)
    text = read_text(path, f"{group}={name}", MAX_YAML_BYTES)
    data = load_yaml(text, path, hydra_reads=True)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InputError(path, "top level", "expected a mapping of keys to values")
    package = _package(text)
    if package == "_global_":
        for key in data:
            if key not in GLOBAL_KEYS.get(group, ()):
                raise InputError(path, str(key), f"a {group} file sets only "
                                 f"{', '.join(sorted(GLOBAL_KEYS[group]))}; remove this key")
    elif package not in (None, group):
        raise InputError(path, "@package", f"'{package}': a {group} file sets its own keys "
                         f"only; remove the line or write '# @package {group}'")
    else:
        data = {group: data}
    _check_hydra(data.get("hydra"), group, path)
    _check_values(data, path, "", scenario_keys(data.get("scenario")))
    for chosen, option in _defaults(data.get("defaults"), group, path):
        if chosen in groups():
            check_option(chosen, option, f"{path}: defaults", seen)
    return path


def option_data(path: Path) -> dict:
    """An option file's mapping (as its own text: the file's keys, not yet under a package)."""
    data = load_yaml(read_text(path, "the option", MAX_YAML_BYTES), path)
    return data if isinstance(data, dict) else {}


def chosen_groups(path: Path) -> list[str]:
    """The groups an (already checked) option file's defaults list chooses; an `override`
    entry changes a choice rather than making one."""
    entries = option_data(path).get("defaults") or []
    keys = [str(next(iter(entry))) for entry in entries if isinstance(entry, dict)]
    return [key.lstrip("/") for key in keys if not key.startswith("override")]


def scenario_keys(scenario) -> set[str]:
    return {str(k) for k in scenario} if isinstance(scenario, dict) else set()


def _package(text: str) -> str | None:
    """The `# @package` of a file's leading comment lines, as Hydra reads it."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        match = PACKAGE.match(line.strip())
        if match:
            return match.group(1)
    return None


def _check_hydra(hydra, group: str, path: Path) -> None:
    if hydra is None:
        return
    allowed = HYDRA_KEYS.get(group, ())
    for key in _leaf_keys(hydra, "") if isinstance(hydra, dict) else [""]:
        if not any(key == a or key.startswith(a + ".") for a in allowed):
            fix = (f"an experiment sets only hydra.{', hydra.'.join(allowed)}" if allowed
                   else f"a {group} file does not set Hydra's settings")
            raise InputError(path, f"hydra.{key}".rstrip("."), f"{fix}; remove this key")


def _leaf_keys(data: dict, prefix: str) -> list[str]:
    found = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        found += _leaf_keys(value, name + ".") if isinstance(value, dict) and value else [name]
    return found


def _check_values(data, path: Path, prefix: str, scenario: set[str]) -> None:
    """No key that makes Hydra instantiate, no interpolation but the allowed ones."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}{key}"
            if str(key) in INSTANTIATE_KEYS:
                raise InputError(path, name, "files hold settings, not objects to build; "
                                 "remove this key")
            _check_values(value, path, name + ".", scenario)
    elif isinstance(data, list):
        for k, value in enumerate(data):
            _check_values(value, path, f"{prefix.rstrip('.')}[{k}].", scenario)
    elif isinstance(data, str):
        for expression in INTERPOLATION.findall(data):
            inner = expression.strip()
            own = inner.removeprefix("scenario.")
            if DIRECTORY_INTERPOLATION.match(inner) or (inner != own and own in scenario):
                continue
            known = ", ".join(f"${{scenario.{k}}}" for k in sorted(scenario)) or "none"
            raise InputError(path, prefix.rstrip("."), f"'${{{expression}}}' is not a key of "
                             f"this scenario; an interpolation names one of its keys ({known})")


def _defaults(entries, group: str, path: Path) -> list[tuple[str, str]]:
    """(group, option) of each entry of a defaults list; InputError for an entry that
    chooses what this group's files may not."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InputError(path, "defaults", "expected a list")
    found = []
    for entry in entries:
        if entry == "_self_":
            continue
        if isinstance(entry, str):
            chosen, option = group, entry
        elif isinstance(entry, dict) and len(entry) == 1:
            chosen, option = next(iter(entry.items()))
            chosen = str(chosen).removeprefix("override ").strip().lstrip("/")
        else:
            raise InputError(path, "defaults", f"{entry!r} is not an entry Hydra reads "
                             "(GROUP: NAME)")
        if chosen not in DEFAULTS_GROUPS.get(group, ()):
            raise InputError(path, "defaults", f"a {group} file does not choose {chosen}; "
                             "remove the entry")
        found.append((chosen, option))
    return found


def primary_choices(config_name: str) -> dict[str, str]:
    """The option each group gets by default from a primary config (configs/NAME.yaml and the
    primary configs it includes), each checked with check_option; read from the files, so
    no composition is needed to know them."""
    path = CONFIG_DIR / f"{config_name}.yaml"
    data = load_yaml(read_text(path, "the configuration", MAX_YAML_BYTES), path) or {}
    choices: dict[str, str] = {}
    for entry in data.get("defaults") or []:
        if isinstance(entry, str):
            if (CONFIG_DIR / f"{entry}.yaml").is_file():
                choices.update(primary_choices(entry))
        elif isinstance(entry, dict) and len(entry) == 1:
            group, option = next(iter(entry.items()))
            group = str(group).removeprefix("override ").strip().lstrip("/")
            if option is None:
                continue
            if group in groups():
                check_option(group, option, f"{path}: defaults")
            choices[group] = str(option)
    return choices
