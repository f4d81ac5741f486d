"""Copy the skill study's table (experiments/calibration/skill.md, written by
`python -m sim.skill`) into the README between its markers.

    python docs/skill_table.py          # rewrite the README's block
    python docs/skill_table.py --check  # exit 1 if the README's block differs (a test runs it)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the blocks helper beside this script
from readme_blocks import README, replaced, write_or_check  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SKILL = ROOT / "experiments" / "calibration" / "skill.md"
START, END = "<!-- skill table: copied by docs/skill_table.py -->", "<!-- end of skill table -->"


def table() -> str:
    lines = SKILL.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.startswith("|")) + "\n"


def with_table(readme: str) -> str:
    return replaced(readme, (START, END), table())


def main(argv: list[str]) -> int:
    readme = README.read_text(encoding="utf-8")
    return write_or_check(argv, with_table(readme), readme, "python docs/skill_table.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
