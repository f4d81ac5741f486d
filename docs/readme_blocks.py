"""The README's generated blocks: a block between two marker lines is replaced as a whole, and
`--check` says whether the README already holds what a script would write."""

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replaced(text: str, markers: tuple[str, str], block: str) -> str:
    start, end = markers
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md: no section between {start} and {end}")
    return pattern.sub(lambda _: f"{start}\n{block.rstrip()}\n{end}", text)


def write_or_check(argv: list[str], fresh: str, readme: str, command: str) -> int:
    """Write `fresh` into the README, or with --check exit 1 when the README is not it."""
    if "--check" in argv:
        if fresh != readme:
            print(f"README.md: a generated block is stale; run {command}", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0
