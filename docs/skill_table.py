"""Copy the skill study's table (experiments/calibration/skill.md, written by
`python -m sim.skill`) into the README between its markers.

    python docs/skill_table.py          # rewrite the README's block
    python docs/skill_table.py --check  # exit 1 if the README's block differs (a test runs it)
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SKILL = ROOT / "experiments" / "calibration" / "skill.md"
START, END = "<!-- skill table: copied by docs/skill_table.py -->", "<!-- end of skill table -->"


def table() -> str:
    lines = SKILL.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith("|")) + "\n"


def with_table(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}{END}{tail}"


def main(argv: list[str]) -> int:
    readme = README.read_text(encoding="utf-8")
    wanted = with_table(readme)
    if argv[:1] == ["--check"]:
        return 0 if wanted == readme else 1
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
