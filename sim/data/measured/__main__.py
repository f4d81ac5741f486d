"""Rebuild the measured tables from the source files a user downloaded.

    python -m sim.data.measured build [--sipri FILE [FILE ...]] [--usaid FILE]
                                      [--military-share FILE] --out DIR
    python -m sim.data.measured votes --unvotes-dir DIR [-o data/measured]

writes DIR/sipri_tiv.csv (from SIPRI files: the exporter tables TIV-Export-*.csv, and the
processed export as a check) and DIR/us_aid.csv (from the USAID country summary, with the
military share of lublog/ForeignAssistance cleaned_data/all.csv if given); `votes` reads
un_votes.rda and un_roll_calls.rda (the unvotes package's data/ folder) and writes
unga_agreement.csv.gz, unga_pc1.csv and unga.provenance.yaml (sim.data.measured.unvotes). See
data/measured/PROVENANCE.md for the sources. Bad input stops with one line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.data.files import atomic_write, refuse_input_as_output
from sim.data.measured.imports import left_out_lines
from sim.data.measured.sipri import FIRST_YEAR, LAST_YEAR, median_delivery, tiv_table
from sim.data.measured.usaid import CHANGE_FLOOR_USD, CHANGE_SHARE, aid_changes, aid_table, year_pairs
from sim.errors import InputError, run_command

SIPRI_TABLE = "sipri_tiv.csv"
AID_TABLE = "us_aid.csv"
HELD_OUT_AFTER = 2015  # later years never enter a fit


def write_table(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda temp: frame.to_csv(temp, index=False, lineterminator="\n"))


def _build(args: argparse.Namespace) -> int:
    if not args.sipri and not args.usaid:
        raise InputError("build", "--sipri / --usaid", "give at least one source file")
    if args.military_share and not args.usaid:
        raise InputError("build", "--military-share", "needs --usaid; the share joins the aid table")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(out, "--out", "is a file; give a directory")
    inputs = [*(args.sipri or []), *([args.usaid] if args.usaid else []),
              *([args.military_share] if args.military_share else [])]
    refuse_input_as_output([out / SIPRI_TABLE, out / AID_TABLE], inputs, "--out")
    if args.sipri:
        result = tiv_table(args.sipri)
        write_table(result.table, out / SIPRI_TABLE)
        table = result.table
        print(f"{out / SIPRI_TABLE}: {len(table)} dyad-years, {table['supplier'].nunique()} "
              f"suppliers, {table['recipient'].nunique()} recipients, "
              f"{table['year'].min()}-{table['year'].max()}")
        print(f"  read {sum(result.rows_read.values())} dyad-years from {len(result.rows_read)} "
              f"file(s), {result.rows_distinct} distinct; those in two files agree")
        print(f"  deliveries SIPRI writes as 0 (below 0.5): {int((table['tiv'] == 0).sum())}")
        print(f"  median TIV of a dyad-year, {FIRST_YEAR}-{HELD_OUT_AFTER}: "
              f"{median_delivery(table, HELD_OUT_AFTER):g} (params.tiv_ref)")
        if result.after_last_year or result.same_state:
            print(f"  not kept: {result.after_last_year} after {LAST_YEAR}, {result.same_state} "
                  "between two names of one state")
        print("\n".join(f"  {line}" for line in left_out_lines(result.left_out, "TIV")))
    if args.usaid:
        result = aid_table(args.usaid, args.military_share)
        write_table(result.table, out / AID_TABLE)
        table = result.table
        partial = sorted(table.loc[table["partial"], "fiscal_year"].unique())
        pairs, changes = year_pairs(table), aid_changes(table)
        rises = int((changes["change"] > 0).sum())
        print(f"{out / AID_TABLE}: {len(table)} recipient-years, {table['recipient'].nunique()} "
              f"recipients, FY{table['fiscal_year'].min()}-FY{table['fiscal_year'].max()}; "
              f"partial: {', '.join(f'FY{y}' for y in partial)}")
        print(f"  military share given for {int(table['military_share'].notna().sum())} rows")
        print(f"  FY1976 transition quarter left out: {result.transition_quarter_usd / 1e6:.1f} "
              "million obligations")
        print(f"  aid changes (a rise or fall of more than {CHANGE_SHARE:.0%} from at least "
              f"${CHANGE_FLOOR_USD / 1e6:g} M) in {len(pairs)} year pairs: {rises} rises, "
              f"{len(changes) - rises} cuts ({len(changes) / max(len(pairs), 1):.1%})")
        print("\n".join(f"  {line}" for line in left_out_lines(result.left_out, "constant US$")))
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim.data.measured",
                                     description="Rebuild the measured tables (SIPRI arms "
                                                 "transfers, US aid, UN votes) from their source "
                                                 "files.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="write sipri_tiv.csv and us_aid.csv",
                                description="Write sipri_tiv.csv and us_aid.csv into --out.")
    build.add_argument("--sipri", nargs="+", metavar="FILE",
                       help="SIPRI exporter tables TIV-Export-*.csv and/or the processed export "
                            "sipri-exports-processed.csv (rows they share must agree)")
    build.add_argument("--usaid", metavar="FILE",
                       help="USAID country summary in constant FY2019 dollars "
                            "(us_foreign_aid_country.csv)")
    build.add_argument("--military-share", metavar="FILE",
                       help="military/economic split (lublog/ForeignAssistance "
                            "cleaned_data/all.csv); shares only")
    build.add_argument("--out", required=True, metavar="DIR", help="directory of the tables")
    build.set_defaults(run=_build)
    votes = commands.add_parser("votes", help="UNGA vote agreement per pair and year")
    votes.add_argument("--unvotes-dir", required=True,
                       help="folder with un_votes.rda and un_roll_calls.rda (or their data/ folder)")
    votes.add_argument("-o", "--out", default="data/measured", help="output folder")
    votes.set_defaults(run=_votes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
