"""The exception types for what a user can fix: shown as a single line, exit code 2; and
the argument parser of the plain (non-Hydra) commands, whose usage mistakes are such a line
(argparse's own error prints the usage and a second line)."""

import argparse
import sys


def printable(text: str) -> str:
    """`text` with every control or other unprintable character written as an escape
    (\\x1b, \\n, ...): a message quotes file contents, and a terminal must not act on them."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


class InputError(Exception):
    """Bad input from a user: a file, a field and what to do about it."""

    def __init__(self, where: str, field: str, fix: str):
        self.where, self.field, self.fix = printable(where), printable(field), printable(fix)
        super().__init__(f"{self.where}: {self.field}: {self.fix}")


class OutputError(InputError):
    """A directory that cannot take the output (no permission, disk full)."""

    def __init__(self, directory, err: OSError):
        reason = err.strerror or str(err)
        fix = ("give a directory, not a file" if isinstance(err, FileExistsError | NotADirectoryError)
               else "free some space or choose a directory you can write to")
        super().__init__(directory, "output", f"cannot be written ({reason}); {fix}")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise InputError(f"python -m {self.prog.removeprefix('python -m ')}", "arguments",
                         f"{message}; see --help")


def run_command(parser: argparse.ArgumentParser, argv=None) -> int:
    """A plain command: parse argv and call the chosen subcommand's `run(args)`; a user's
    mistake (InputError, or a file the system refuses) ends in one line and exit code 2."""
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except InputError as exc:
        message = str(exc)
    except OSError as exc:
        message = f"{exc.filename or ''}: {exc.strerror or exc}"
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return 2
