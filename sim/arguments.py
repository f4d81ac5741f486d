"""The argument parser of the plain (non-Hydra) commands: a usage mistake is one line,
as any other bad input (argparse's own error prints the usage and a second line)."""

import argparse

from sim.errors import InputError


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise InputError(f"python -m {self.prog.removeprefix('python -m ')}", "arguments",
                         f"{message}; see --help")
