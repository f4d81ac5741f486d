"""Files in and out: a user's text files read as UTF-8 (one clear line when they are not),
and outputs written atomically, with the permissions the umask gives."""

import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from sim.errors import InputError, OutputError


def read_text(path: Path, what: str) -> str:
    """The text of a UTF-8 file (a leading byte-order mark is dropped); `what` names the
    setting that gave the path, for the message when there is no such file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "path", f"no such file; check {what}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(path, "path", f"cannot be read ({err.strerror or err})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise InputError(path, "encoding", f"line {line} holds byte 0x{data[err.start]:02x}, "
                         "which is not UTF-8; save the file as UTF-8") from None


def read_yaml(path: Path, what: str) -> dict:
    """A YAML mapping from a UTF-8 file."""
    text = read_text(path, what)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise InputError(path, "yaml", f"not valid YAML{line}; fix the syntax") from None
    if not isinstance(data, dict):
        raise InputError(path, "top level", "expected a mapping of keys to values")
    return data


def number(value) -> float | None:
    """A YAML value as a float, or None when it is not a number (true/false are not)."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


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
            raise InputError(out, option, "is one of the input files; write the output elsewhere")
