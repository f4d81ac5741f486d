"""Command line for event catalogues.

    python -m sim.events check PATH [--actors FILE]
        Load a catalogue and print the number of events per directed pair, per type
        and per year, and the total.

    python -m sim.events import --format gdelt|icews|icews-tkg|sipri|usaid FILE [FILE ...]
                               -o OUT.csv
                               [--actors FILE | --states USA,PAK,...]
                               [--aggregate month] [--weight events|mentions]
                               [--sectors ent2sec.txt]
        Turn GDELT (1.0 or 2.0) or ICEWS event files, or the ICEWS05-15 benchmark
        (icews-tkg: its .zip or folder, with --sectors), into a catalogue CSV, keeping events
        between the configured states (default: seeds/actors.yaml if it exists, else
        USA,PAK,RUS,CHN,IND). See `sim.data.events.cameo` for the CAMEO code -> type table and
        `sim.data.measured.icews` for the benchmark's entity-to-state rule.
        sipri (SIPRI TIV files) and usaid (the USAID country summary) write one arms_sale per
        dyad-year and an aid or aid_cut per change of aid by more than 40% (sim.data.measured);
        they keep every state the source holds unless --actors or --states is given.

    python -m sim.events icews-counts BENCHMARK --sectors ent2sec.txt -o COUNTS.csv[.gz]
                               [--coverage FILE] [--pairs FILE] [--actors FILE | --states ...]
        Write the ICEWS counts table (every state pair the rule resolves, per month and
        CAMEO root), its coverage per year and the configured states' directed pair-years.

Bad input stops with one line on stderr naming the file, the field and the fix, and
exit code 2; no output file is left behind.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.data.events.cameo import (
    AGGREGATES,
    DEFAULT_ACTORS_FILE,
    DEFAULT_STATES,
    FORMATS,
    WEIGHTS,
    check_output,
    import_events,
    parse_states,
    read_actor_codes,
    write_catalogue,
)
from sim.data.events.catalogue import load_catalogue
from sim.data.files import refuse_input_as_output
from sim.data.measured.icews_import import benchmark_events, build_counts
from sim.data.measured.imports import MEASURED_FORMATS, import_measured
from sim.errors import InputError, OneLineParser, run_command

_TKG = "icews-tkg"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain text table: text columns left-aligned, numbers right-aligned."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[k]) for row in cells]) for k, h in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(row[k], int | float) for row in rows)
               for k in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [value.rjust(width) if num else value.ljust(width)
                 for value, width, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * width for width in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _check(args: argparse.Namespace) -> int:
    codes = read_actor_codes(args.actors) if args.actors else None
    frame = load_catalogue(args.path, codes)
    print(f"catalogue: {args.path}")
    if codes is not None:
        print(f"states: {', '.join(codes)} (from {args.actors})")
    if frame.empty:
        print("total: 0 events")
        return 0
    frame = frame.assign(year=frame["month"] // 12)

    pairs = (frame.groupby(["source", "target"], sort=True)
             .agg(events=("id", "size"), first=("month", "min"), last=("month", "max")))
    rows = [(f"{source} -> {target}", int(r.events), _month(r.first), _month(r.last))
            for (source, target), r in pairs.iterrows()]
    print("\nper directed pair")
    print(_table(("pair", "events", "first", "last"), rows))

    types = frame.groupby("type", sort=True).size()
    print("\nper type")
    print(_table(("type", "events"), [(kind, int(n)) for kind, n in types.items()]))

    years = frame.groupby("year", sort=True).size()
    print("\nper year")
    print(_table(("year", "events"), [(str(int(year)), int(n)) for year, n in years.items()]))

    print(f"\ntotal: {len(frame)} events")
    return 0


def _month(month: int) -> str:
    return f"{int(month) // 12:04d}-{int(month) % 12 + 1:02d}"


def _states(args: argparse.Namespace) -> tuple[list[str], str]:
    """The configured states and where they came from."""
    if args.states:
        return parse_states(args.states), "--states"
    if args.actors:
        return read_actor_codes(args.actors), str(args.actors)
    if DEFAULT_ACTORS_FILE.is_file():
        return read_actor_codes(DEFAULT_ACTORS_FILE), str(DEFAULT_ACTORS_FILE)
    return list(DEFAULT_STATES), "the default set"


def _import(args: argparse.Namespace) -> int:
    refuse_input_as_output([args.output], [p for p in (*args.files, args.sectors) if p], "-o")
    if args.sectors and args.format != _TKG:
        raise InputError("--sectors", "sectors", f"only the {_TKG} format takes a sector file")
    if args.format in MEASURED_FORMATS:
        states = _states(args)[0] if args.states or args.actors else None
        print("\n".join(import_measured(args.files, args.format, args.output, states)))
        return 0
    states, origin = _states(args)
    check_output(Path(args.output))  # before hours of reading
    notes: list[str] = []
    reader = None
    if args.format == _TKG:
        def reader(path):
            return benchmark_events(path, args.sectors, notes)
    result = import_events(args.files, args.format, states, weight=args.weight,
                           aggregate=args.aggregate, reader=reader)
    out = write_catalogue(result.rows, args.output, states)

    versions = ", ".join(f"{label}: {n}" for label, n in sorted(result.versions.items()))
    n_files = len(args.files)
    for note in notes:
        print(note)
    print(f"read {result.read} events from {n_files} file{'s' if n_files != 1 else ''}"
          + (f" ({versions})" if versions else ""))
    print(f"states: {', '.join(states)} (from {origin})")
    rows = f"{len(result.rows)} rows" + (" after monthly aggregation" if args.aggregate else "")
    print(f"kept: {result.kept} events -> {rows} in {out}")
    print(f"dropped, out of scope (a state not configured, or source = target): "
          f"{result.out_of_scope}")
    print(f"dropped, CAMEO code not mapped to an event type: {result.unmapped_total}")
    if result.unmapped:
        print(_table(("CAMEO root", "events"), sorted(result.unmapped.items())))
    if result.duplicates:
        print(f"skipped, same id and date as an earlier event: {result.duplicates}")
    if result.kept_types:
        print("\nkept per type")
        print(_table(("type", "events"), sorted(result.kept_types.items())))
    if not result.kept:
        print("warning: no event was kept; check --states / --actors and the file's countries")
    return 0


def _icews_counts(args: argparse.Namespace) -> int:
    refuse_input_as_output([p for p in (args.output, args.coverage, args.pairs) if p],
                           [p for p in (args.benchmark, args.sectors) if p], "-o")
    states, origin = _states(args)
    written = build_counts(args.benchmark, args.sectors, args.output, states,
                           coverage=args.coverage, pairs=args.pairs)
    for line in written.lines:
        print(line)
    print(f"counts: {written.rows} rows in {written.counts}")
    print(f"coverage per year: {written.coverage}")
    print(f"directed pair-years of {', '.join(states)} (from {origin}): {written.pairs}")
    return 0


def _scope_options(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--actors", metavar="FILE",
                       help=f"actors YAML giving the states (default: {DEFAULT_ACTORS_FILE} "
                            "if it exists)")
    scope.add_argument("--states", metavar="CODES",
                       help=f"comma-separated state codes (default {','.join(DEFAULT_STATES)} "
                            "when there is no actors file)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m sim.events",
        description="Check event catalogues and import CAMEO-coded event data "
                    "(GDELT 1.0/2.0, ICEWS) into catalogue CSVs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="load a catalogue and print event counts",
                                description="Load a catalogue and print the number of events "
                                            "per directed pair, per type and per year.")
    check.add_argument("path", metavar="PATH", help="catalogue CSV")
    check.add_argument("--actors", metavar="FILE",
                       help="actors YAML; source and target must be among its codes")
    check.set_defaults(run=_check)

    imp = commands.add_parser("import", help="import GDELT, ICEWS, SIPRI or USAID files",
                              description="Turn GDELT (1.0 or 2.0) or ICEWS event files, SIPRI "
                                          "arms transfers or the USAID country summary into "
                                          "a catalogue CSV.")
    imp.add_argument("--format", required=True, choices=FORMATS + MEASURED_FORMATS,
                     help="gdelt (1.0 and 2.0 event files, told apart by their columns), "
                          "icews (event files), icews-tkg (the ICEWS05-15 benchmark), sipri "
                          "(SIPRI TIV files) or usaid (the USAID country summary)")
    imp.add_argument("files", nargs="+", metavar="FILE",
                     help="event file(s); .zip (one file inside) and .gz are read as well")
    imp.add_argument("-o", "--output", required=True, metavar="OUT.csv",
                     help="catalogue CSV to write (replaced atomically)")
    _scope_options(imp)
    imp.add_argument("--sectors", metavar="FILE",
                     help="icews-tkg only: the benchmark's sector file (ent2sec.txt)")
    imp.add_argument("--aggregate", choices=AGGREGATES, default=None,
                     help="one row per (month, source, target, type), magnitude = events")
    imp.add_argument("--weight", choices=WEIGHTS, default="events",
                     help="magnitude per event: 1 (events) or GDELT NumMentions (mentions)")
    imp.set_defaults(run=_import)

    counts = commands.add_parser(
        "icews-counts", help="write the ICEWS counts table from the ICEWS05-15 benchmark",
        description="Map the benchmark's entities to states, deduplicate, and write counts "
                    "per directed pair, month and CAMEO root, with coverage tables.")
    counts.add_argument("benchmark", metavar="BENCHMARK", help="ICEWS0515.zip or its folder")
    counts.add_argument("--sectors", required=True, metavar="FILE",
                        help="the benchmark's sector file (ent2sec.txt)")
    counts.add_argument("-o", "--output", required=True, metavar="COUNTS.csv[.gz]",
                        help="counts table to write (gzip when it ends in .gz)")
    counts.add_argument("--coverage", metavar="FILE",
                        help="coverage per year (default: icews_coverage.csv beside -o)")
    counts.add_argument("--pairs", metavar="FILE",
                        help="directed pair-years of the states (default: icews_pairs.csv "
                             "beside -o)")
    _scope_options(counts)
    counts.set_defaults(run=_icews_counts)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
