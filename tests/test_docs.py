"""Documents that quote a study's output are copied from it, so they cannot go stale."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_quotes_the_skill_study_as_it_wrote_it():
    skill_table = load("skill_table")
    readme = skill_table.README.read_text(encoding="utf-8")
    assert skill_table.table().count("\n") > 2
    assert skill_table.with_table(readme) == readme, "run python docs/skill_table.py"
