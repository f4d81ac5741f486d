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


def test_the_measured_record_study_quotes_its_tables_as_written():
    tables = load("measured_tables")
    readme = tables.README.read_text(encoding="utf-8")
    assert all(tables.table(name).count("\n") > 2 for name in tables.BLOCKS)
    assert tables.with_tables(readme) == readme, "run python docs/measured_tables.py"


def test_the_facts_table_gives_each_runs_shares_and_counts_the_facts_it_checked():
    tables = load("measured_tables")
    runs = {"a": {"facts": [{"id": "x", "met": True, "fraction": 0.9},
                            {"id": "y", "met": False, "fraction": 0.5},
                            {"id": "z", "met": None, "fraction": None}]},
            "b": {"facts": [{"id": "x", "met": False, "fraction": 0.7},
                            {"id": "y", "met": True, "fraction": 0.85},
                            {"id": "z", "met": True, "fraction": 0.95}]}}
    lines = tables.facts_table(runs).splitlines()
    assert lines[0] == "| fact | a | b |"
    assert lines[2:5] == ["| x | 0.90 met | 0.70 |", "| y | 0.50 | 0.85 met |",
                          "| z | not checked | 0.95 met |"]
    assert lines[-1] == "| **met** | **1 of 2** | **2 of 3** |"


def test_the_pair_figure_compares_each_pairs_crps_with_the_seed_records():
    import pandas as pd

    tables = load("measured_tables")
    skill = pd.DataFrame({"variant": ["seed_record", "measured", "seed_record", "measured"],
                          "measure": ["m"] * 4, "source": ["A", "A", "*", "*"],
                          "target": ["B", "B", "*", "*"], "score": [0.2, 0.1, 0.4, 0.5]})
    change = tables.pair_changes(skill, "seed_record", "measured").set_index("pair")["change"]
    assert change.to_dict() == {"A-B": -0.5, "*-*": 0.25}
