"""Files in and out: a user's text files read as UTF-8 (one clear line when they are not),
and outputs written atomically, with the permissions the umask gives."""

import os
import re
import secrets
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from sim.errors import InputError, OutputError

# Limits on what a user's file may hold; each is far above any real input (README, "Limits").
MAX_TEXT_BYTES = 64 * 2**20  # a catalogue or other text file: its table then takes ~2 GB
MAX_YAML_BYTES = 2**20  # a YAML file; the shipped ones are under 16 kB
MAX_YAML_DEPTH = 32  # nesting of mappings and lists; the shipped files nest 5 deep
MAX_YAML_NODES = 100_000  # values once aliases are expanded: an alias bomb stops here
# a run's summary.json read back: its events_used list names each event a run uses, per
# variant (about 180 bytes an entry besides its id, as written with indent 2); two variants
# of the 500,000 events the catalogue bounds allow, with ids of 100 characters, are 277 MB
MAX_SUMMARY_BYTES = 320 * 2**20


def _kind(path: Path) -> str | None:
    """What `path` is when it is not a regular file ("a directory", "a FIFO", ...), or None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "missing"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def check_file(path: Path, what: str, limit: int = MAX_TEXT_BYTES) -> Path:
    """`path` if it is a regular file of at most `limit` bytes; InputError saying what it is
    otherwise. `what` names the setting that gave the path."""
    path = Path(path)
    kind = _kind(path)
    if kind == "missing":
        raise InputError(path, "path", f"no such file; check {what}")
    if kind is not None:
        raise InputError(path, "path", f"is {kind}, not a file; check {what}")
    size = path.stat().st_size
    if size > limit:
        raise InputError(path, "size", f"{size / 2**20:.1f} MiB is more than the limit of "
                         f"{limit / 2**20:g} MiB; split the file or keep the rows you need")
    return path


def read_bytes(path: Path, what: str, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (checked again while reading,
    for a file that grows)."""
    check_file(path, what, limit)
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InputError(path, "path", f"cannot be read ({err.strerror or err})") from None
    if len(data) > limit:
        raise InputError(path, "size", f"more than the limit of {limit / 2**20:g} MiB; split "
                         "the file or keep the rows you need")
    return data


def read_text(path: Path, what: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The text of a UTF-8 file (a leading byte-order mark is dropped); `what` names the
    setting that gave the path, for the message when there is no such file."""
    data = read_bytes(path, what, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise InputError(path, "encoding", f"line {line} holds byte 0x{data[err.start]:02x}, "
                         "which is not UTF-8; save the file as UTF-8") from None


class DataLoader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data: no tags that build objects), with YAML 1.2's
    booleans (true/false only, so a state code NO or ON stays a string) and a bound on
    nesting while the document is composed."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise _YamlLimit(mark.line + 1, f"nests deeper than {MAX_YAML_DEPTH} levels; "
                                 "flatten the file")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


BOOL_TAG = "tag:yaml.org,2002:bool"
DataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
DataLoader.add_implicit_resolver(BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))


class _YamlLimit(Exception):
    def __init__(self, line: int, problem: str):
        self.line, self.problem = line, problem


def _check_expanded(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases expand past MAX_YAML_NODES values or
    MAX_YAML_DEPTH levels, or that holds itself (a recursive alias)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        kids = [v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) \
            else list(node.value) if isinstance(node, yaml.SequenceNode) else []
        if children_done:
            open_nodes.discard(key)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            line = node.start_mark.line + 1
            if size[key] > MAX_YAML_NODES:
                raise _YamlLimit(line, f"expands to more than {MAX_YAML_NODES} values "
                                 "through its aliases (*name); write the values out")
            if depth[key] > MAX_YAML_DEPTH:
                raise _YamlLimit(line, f"nests deeper than {MAX_YAML_DEPTH} levels through "
                                 "its aliases (*name); write the values out")
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise _YamlLimit(node.start_mark.line + 1, "holds an alias of itself; remove it")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in kids if id(kid) not in size)


# words that YAML 1.1 (PyYAML, and so Hydra and OmegaConf) reads as true or false
YAML11_BOOLS = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")


def _check_yaml11_words(root: yaml.Node) -> None:
    """Refuse a plain (unquoted) word that Hydra would read as true or false, so that a
    state code NO in a file Hydra loads stays the code."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and YAML11_BOOLS.match(node.value):
                raise _YamlLimit(node.start_mark.line + 1, f"'{node.value}' reads as true or "
                                 f"false in Hydra's YAML; quote it (\"{node.value}\") for the text")
        elif isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        else:
            stack.extend(node.value)


def load_yaml(text: str, where, hydra_reads: bool = False) -> object:
    """The data of a YAML document, read with DataLoader and the limits above; InputError
    naming `where` and the line otherwise. hydra_reads: the file is then loaded by Hydra,
    whose YAML 1.1 reads some words as booleans (refused unquoted)."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise InputError(where, "size", f"more than the limit of {MAX_YAML_BYTES // 1024} kB "
                         "for a YAML file; it should hold settings, not data tables")
    try:
        loader = DataLoader(text)  # the reader refuses control characters at once
    except yaml.reader.ReaderError as err:
        line = text[:err.position].count("\n") + 1
        raise InputError(where, "yaml", f"line {line}: holds the control character "
                         f"{chr(err.character)!r}; remove it") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded(node)
        if hydra_reads:
            _check_yaml11_words(node)
        return loader.construct_document(node)
    except _YamlLimit as err:
        raise InputError(where, "yaml", f"line {err.line}: {err.problem}") from None
    except yaml.constructor.ConstructorError as err:
        mark = err.problem_mark
        line = f"line {mark.line + 1}: " if mark else ""
        raise InputError(where, "yaml", f"{line}{(err.problem or 'a tag').split(' in ')[0]}; "
                         "a file holds plain data (no !!python or other tags)") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise InputError(where, "yaml", f"not valid YAML{line}; fix the syntax") from None
    finally:
        loader.dispose()


def read_yaml(path: Path, what: str) -> dict:
    """A YAML mapping from a UTF-8 file."""
    data = load_yaml(read_text(path, what, MAX_YAML_BYTES), path)
    if not isinstance(data, dict):
        raise InputError(path, "top level", "expected a mapping of keys to values")
    return data


def output_file(directory: Path, name: str) -> Path:
    """`directory / name` for a file the project writes, checked to lie inside `directory`
    before anything opens it: a name built from a state code or a key holds no path."""
    directory = Path(directory)
    path = directory / name
    if Path(name).name != name or name in ("", ".", "..") or "\\" in name or \
            path.resolve().parent != directory.resolve():
        raise InputError(directory, "output", f"the file name '{name}' would lie outside this "
                         "directory; a state code or key holds a path separator")
    return path


def _create_temp(path: Path) -> Path:
    """A new empty file beside `path`; its mode is 0666 less the umask, as for any file."""
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temp
        except FileExistsError:
            continue


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(temp_path) for a temporary file beside `path`, then move it into place:
    `path` is either absent, as it was, or complete. A directory that cannot be written
    (no permission, disk full) raises OutputError naming it."""
    path = Path(path)
    temp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = _create_temp(path)
        write(temp)
        os.replace(temp, path)
    except OSError as err:
        raise OutputError(path.parent, err) from None
    finally:
        if temp is not None and temp.exists():
            temp.unlink()


def remove_stale_temps(directory: Path, of: Sequence[str] | None = None) -> list[Path]:
    """Remove the temporary files that killed writers left in `directory`: those of the
    files named in `of`, or all hidden files (an output directory holds no others). Call
    it only where no other writer of those files is at work. Returns the files removed."""
    directory = Path(directory)
    patterns = [".*"] if of is None else [f".{name}.*" for name in of]
    stale = sorted({p for pattern in patterns for p in directory.glob(pattern) if p.is_file()})
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def refuse_input_as_output(outputs: Sequence[Path | str], inputs: Sequence[Path | str],
                           option: str) -> None:
    """An InputError when an output path is one of the input files (it would be overwritten)."""
    given = {Path(path).resolve() for path in inputs}
    for out in outputs:
        if Path(out).resolve() in given:
            raise InputError(out, option, "is also an input file; write the output elsewhere")
