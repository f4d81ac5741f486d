"""An actors file may name its alignment CSV beside it (`alignment_file`): the same matrix
as the YAML list, the same strict checks, and no path outside the actors file's folder."""

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.data.actors import load_actors
from sim.errors import InputError

SEEDS = Path(__file__).parents[2] / "seeds" / "actors.yaml"


def split(folder: Path, change_rows=None, change_yaml=None, name="alignment.csv") -> Path:
    """The seed actors written as a YAML naming a CSV of its pairs, after the changes."""
    data = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    rows = [{"source": p["source"], "target": p["target"], "value": p["value"], "origin": "hand"}
            for p in data.pop("alignment")]
    data["alignment_file"] = name
    if change_rows:
        rows = change_rows(rows)
    if change_yaml:
        change_yaml(data)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "alignment.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["source"])
        writer.writeheader()
        writer.writerows(rows)
    path = folder / "actors.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_actors(path)
    assert "\n" not in str(info.value)
    return info.value


def test_the_csv_gives_the_same_actors_as_the_yaml_list(tmp_path):
    listed, split_off = load_actors(SEEDS), load_actors(split(tmp_path))
    assert split_off.codes == listed.codes
    np.testing.assert_array_equal(split_off.alignment, listed.alignment)


def test_alignment_default_fills_the_pairs_the_csv_leaves_out(tmp_path):
    path = split(tmp_path, lambda rows: rows[:3], lambda d: d.update(alignment_default=-0.5))
    actors = load_actors(path)
    assert (actors.alignment == -0.5).sum() == 20 - 3


@pytest.mark.parametrize("name", ["../alignment.csv", "sub/../../alignment.csv"])
def test_a_path_leaving_the_folder_is_refused(tmp_path, name):
    split(tmp_path)  # a real alignment.csv one folder up from the actors file below
    path = split(tmp_path / "inner", change_yaml=lambda d: d.update(alignment_file=name))
    err = error(path)
    assert err.field == "alignment_file" and "leaves the folder" in err.fix


def test_an_absolute_path_is_refused(tmp_path):
    outside = split(tmp_path / "other").parent / "alignment.csv"
    err = error(split(tmp_path / "inner", change_yaml=lambda d: d.update(alignment_file=str(outside))))
    assert err.field == "alignment_file"


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = split(tmp_path / "other").parent / "alignment.csv"
    path = split(tmp_path / "inner", change_yaml=lambda d: d.update(alignment_file="link.csv"))
    (path.parent / "link.csv").symlink_to(outside)
    assert error(path).field == "alignment_file"


@pytest.mark.parametrize("name, fix", [("missing.csv", "no file"), ("alignment.txt", ".csv"),
                                       ("", ".csv")])
def test_a_missing_or_misnamed_file_is_refused(tmp_path, name, fix):
    err = error(split(tmp_path, change_yaml=lambda d: d.update(alignment_file=name)))
    assert err.field == "alignment_file" and fix in err.fix


def test_the_list_and_the_file_together_are_refused(tmp_path):
    path = split(tmp_path, change_yaml=lambda d: d.update(
        alignment=[{"source": "USA", "target": "PAK", "value": 0.1}]))
    assert error(path).field == "alignment_file"


def test_a_header_without_value_is_refused(tmp_path):
    path = split(tmp_path, lambda rows: [{"source": r["source"], "target": r["target"]} for r in rows])
    err = error(path)
    assert err.field == "header" and "value" in err.fix


def change(k, **values):
    def edit(rows):
        rows[k] = dict(rows[k], **values)
        return rows
    return edit


@pytest.mark.parametrize("edit, field", [
    (change(0, value="high"), "value"),
    (change(0, value="1.5"), "value"),
    (change(0, value="nan"), "value"),
    (change(0, source="XXX"), "source"),
    (change(0, target="USA"), "target"),     # USA -> USA
    (lambda rows: rows + [dict(rows[1], value="0.2")], "target"),  # listed twice
    (lambda rows: rows[1:], "alignment"),    # a pair missing, no default
])
def test_each_check_of_the_yaml_list_holds_for_the_csv(tmp_path, edit, field):
    err = error(split(tmp_path, edit))
    assert err.field == field
    if field != "alignment":
        assert "alignment.csv: line " in err.where


def test_a_csv_that_is_not_utf8_is_refused(tmp_path):
    path = split(tmp_path)
    (tmp_path / "alignment.csv").write_bytes("source,target,value\nUSA,PAK,0.1 \xe9\n".encode("latin-1"))
    assert error(path).field == "encoding"
