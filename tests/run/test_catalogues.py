"""Catalogues add: a user's catalogues join the default background, which applies only to
the states it names (the rest skipped, and said so); a user's own file stays strict."""

import csv
import json
from pathlib import Path

import pytest
import yaml
from support import ROOT, run_sim

from sim.config.compose import with_experiments
from sim.data.events.catalogue import catalogue_lines, load_catalogue
from sim.errors import InputError
from sim.run.run import prepare

EVENTS = ROOT / "seeds" / "events.csv"
ACTORS = ROOT / "seeds" / "actors.yaml"
FACTS = ROOT / "seeds" / "facts.yaml"
THREE = {"PAK", "CHN", "IND"}
EXTRA_ROWS = [
    {"id": "mine_1", "date": "2016-03", "source": "PAK", "target": "CHN", "type": "visit",
     "magnitude": "1", "unit": "level", "cameo": "", "source_doc": "mine", "note": "a visit"},
    {"id": "mine_2", "date": "2017-05", "source": "CHN", "target": "IND", "type": "visit",
     "magnitude": "1", "unit": "level", "cameo": "", "source_doc": "mine", "note": "a visit"},
]


def write_rows(path: Path, rows: list[dict]) -> Path:
    header = ["id", "date", "source", "target", "type", "magnitude", "unit", "cameo",
              "source_doc", "note"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def three_states(tmp_path: Path) -> tuple[Path, Path, Path]:
    """An actors file of Pakistan, China and India (no USA, no RUS), its own catalogue and
    facts."""
    data = yaml.safe_load(ACTORS.read_text())
    data["actors"] = [a for a in data["actors"] if a["code"] in THREE]
    data["alignment"] = [e for e in data["alignment"] if {e["source"], e["target"]} <= THREE]
    actors = tmp_path / "actors.yaml"
    actors.write_text(yaml.safe_dump(data))
    facts = tmp_path / "facts.yaml"
    facts.write_text("facts:\n  - {id: close, kind: level, pairs: [[PAK, CHN]], dates: ['2015-01'],\n"
                     "     op: '>', threshold: 0.0, source_doc: mine}\n")
    return actors, write_rows(tmp_path / "events.csv", EXTRA_ROWS), facts


def test_default_reads_the_seed_catalogue_and_the_background(compose_config):
    setup = prepare(compose_config([]))
    paths = [Path(use.path).name for use in setup.catalogues]
    assert paths == ["events.csv", "background.csv", "us_aid.csv"]
    assert sum(use.rows for use in setup.catalogues) == len(setup.catalogue)
    assert all(use.skipped == 0 for use in setup.catalogues[:2])
    measured = setup.catalogues[2]  # US aid to every state: the five's rows kept, the rest skipped
    assert measured.rows > 0 and measured.skipped > 0
    assert not set(measured.skipped_states) & set(setup.actors.codes)


def test_extra_catalogues_add_to_the_background(compose_config, tmp_path):
    default = prepare(compose_config([]))
    extra = write_rows(tmp_path / "mine.csv", EXTRA_ROWS)
    setup = prepare(compose_config([f"data.extra_events=[{extra}]"]))
    assert len(setup.catalogue) == len(default.catalogue) + len(EXTRA_ROWS)
    assert [use.rows for use in setup.catalogues] == [
        *(use.rows for use in default.catalogues), len(EXTRA_ROWS)]
    assert catalogue_lines(setup.catalogues)[0].endswith(f"mine.csv {len(EXTRA_ROWS)}")


def test_an_empty_background_replaces_it(compose_config, tmp_path):
    extra = write_rows(tmp_path / "mine.csv", EXTRA_ROWS)
    setup = prepare(compose_config(["data.background=[]", f"data.extra_events=[{extra}]"]))
    assert [Path(use.path).name for use in setup.catalogues] == ["events.csv", "us_aid.csv", "mine.csv"]
    assert set(setup.catalogue["id"]) >= {"mine_1", "mine_2"}
    assert not setup.catalogue["id"].str.startswith("bg_").any()


def test_the_background_applies_to_the_states_it_names(compose_config, tmp_path):
    actors, events, facts = three_states(tmp_path)
    setup = prepare(compose_config([f"data.actors={actors}", f"data.events={events}",
                                    f"data.facts={facts}"]))
    background = setup.catalogues[1]
    assert background.rows > 0 and background.skipped > 0
    assert set(background.skipped_states) == {"USA", "RUS"}
    assert set(setup.catalogue["source"]) | set(setup.catalogue["target"]) <= {"PAK", "CHN", "IND"}
    notice = catalogue_lines(setup.catalogues)[1]
    assert f"{background.skipped} events skipped" in notice and "RUS, USA" in notice


def test_a_users_own_catalogue_stays_strict(compose_config, tmp_path):
    actors, events, facts = three_states(tmp_path)
    extra = write_rows(tmp_path / "extra.csv", [{**EXTRA_ROWS[0], "id": "x", "target": "USA"}])
    with pytest.raises(InputError) as caught:
        prepare(compose_config([f"data.actors={actors}", f"data.events={events}",
                                f"data.facts={facts}", f"data.extra_events=[{extra}]"]))
    assert caught.value.field == "target" and "extra.csv" in str(caught.value)


def test_the_world_takes_the_measured_record_of_every_state(compose_config):
    """+experiment=world: 193 states, the SIPRI and US aid events as background, the rows of
    states outside the world (the Soviet Union, ...) skipped and named."""
    setup = prepare(compose_config(with_experiments(["+experiment=world"])))
    assert len(setup.actors.codes) == 193
    names = [Path(use.path).name for use in setup.catalogues]
    assert names == ["events.csv", "sipri.csv", "us_aid.csv"]
    sipri = setup.catalogues[1]
    assert sipri.rows > 10_000 and "SUN" in sipri.skipped_states
    assert set(setup.catalogue["source"]) | set(setup.catalogue["target"]) <= set(setup.actors.codes)


def test_the_shipped_catalogue_and_facts_apply_to_the_states_of_ones_own_actors_file(
        compose_config, tmp_path):
    """An actors file of PAK, CHN and IND and nothing else set: the seed catalogue, the
    background and the facts keep what names those three and say what they left out."""
    actors, _, _ = three_states(tmp_path)
    setup = prepare(compose_config([f"data.actors={actors}"]))
    seeds = load_catalogue(EVENTS)
    inside = seeds["source"].isin(THREE) & seeds["target"].isin(THREE)
    first = setup.catalogues[0]
    assert (first.rows, first.skipped) == (inside.sum(), (~inside).sum()) and first.rows > 0
    assert set(first.skipped_states) == {"RUS", "USA"}
    assert set(setup.catalogue["source"]) | set(setup.catalogue["target"]) <= THREE
    shipped = yaml.safe_load(FACTS.read_text())["facts"]
    kept = [f["id"] for f in shipped if {code for pair in f["pairs"] for code in pair} <= THREE]
    assert 0 < len(kept) < len(shipped)
    assert [f.id for f in setup.facts] == kept
    assert (setup.facts_use.rows, setup.facts_use.skipped) == (len(kept), len(shipped) - len(kept))
    assert setup.facts_use.skipped_line() == (
        f"seeds/facts.yaml: {len(shipped) - len(kept)} facts skipped: they name RUS, USA, not in "
        "the actors file")


def test_a_users_copy_of_the_seed_catalogue_stays_strict(compose_config, tmp_path):
    """The leniency is the shipped file's, not its content's: the same rows in a file of one's
    own are checked row by row."""
    actors, _, _ = three_states(tmp_path)
    copy = tmp_path / "my_events.csv"
    copy.write_bytes(EVENTS.read_bytes())
    with pytest.raises(InputError) as caught:
        prepare(compose_config([f"data.actors={actors}", f"data.events={copy}"]))
    assert "my_events.csv:" in str(caught.value) and "unknown state" in str(caught.value)


def test_a_users_own_facts_file_stays_strict(compose_config, tmp_path):
    actors, events, facts = three_states(tmp_path)
    facts.write_text(facts.read_text().replace("[[PAK, CHN]]", "[[PAK, USA]]"))
    with pytest.raises(InputError) as caught:
        prepare(compose_config([f"data.actors={actors}", f"data.events={events}",
                                f"data.facts={facts}"]))
    assert caught.value.field == "pairs" and "unknown state 'USA'" in str(caught.value)


def test_the_console_lists_the_catalogues_and_what_the_shipped_files_left_out(compiled,
                                                                            tmp_path):
    actors, _, _ = three_states(tmp_path)
    extra = write_rows(tmp_path / "mine.csv", EXTRA_ROWS)
    proc = run_sim([f"data.actors={actors}", f"data.extra_events=[{extra}]", "replicates=10",
                    f"hydra.run.dir={tmp_path / 'run'}"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    counts = ", ".join(f"{use['path']} {use['events']}" for use in summary["catalogues"])
    assert lines[0] == f"Events: {counts}"
    assert [Path(use["path"]).name for use in summary["catalogues"]] == [
        "events.csv", "background.csv", "us_aid.csv", "mine.csv"]
    assert summary["catalogues"][3]["events"] == len(EXTRA_ROWS)
    notices = [line for line in lines[1:5] if " skipped: they name RUS, USA, not in the " in line]
    assert [line.split(":")[0] for line in notices] == [
        "seeds/events.csv", "seeds/background.csv", "seeds/facts.yaml"]
