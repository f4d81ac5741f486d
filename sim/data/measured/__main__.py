"""Command line for the measured tables.

    python -m sim.data.measured votes --unvotes-dir DIR [-o data/measured]
        Read un_votes.rda and un_roll_calls.rda (the unvotes package's data/ folder, or a
        checkout of it) and write unga_agreement.csv.gz, unga_pc1.csv and
        unga.provenance.yaml into the output folder (sim.data.measured.unvotes).

Bad input stops with one line on stderr naming the file, the field and the fix, and
exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.errors import InputError


def _votes(args: argparse.Namespace) -> int:
    from sim.data.measured import unvotes

    built = unvotes.build(args.unvotes_dir, args.out)
    table = built.agreement
    print(f"{len(table)} pair-years, {table['year'].min()}-{table['year'].max()}, "
          f"{len(set(table['state_a']) | set(table['state_b']))} states")
    if built.unmatched:
        print("country names without a code (their votes dropped): "
              + ", ".join(f"{name} ({n})" for name, n in sorted(built.unmatched.items())))
    for path in built.files:
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.data.measured",
                                     description="Build the measured tables from source files.")
    commands = parser.add_subparsers(dest="command", required=True)
    votes = commands.add_parser("votes", help="UNGA vote agreement per pair and year")
    votes.add_argument("--unvotes-dir", required=True,
                       help="folder with un_votes.rda and un_roll_calls.rda (or their data/ folder)")
    votes.add_argument("-o", "--out", default="data/measured", help="output folder")
    votes.set_defaults(run=_votes)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InputError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
