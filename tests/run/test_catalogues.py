"""Catalogues add: a user's catalogues join the default background, which applies only to
the states it names (the rest skipped, and said so); a user's own file stays strict."""

import csv
from pathlib import Path

import pytest
import yaml
from support import ROOT

from sim.config.compose import with_experiments
from sim.data.events.catalogue import catalogue_lines
from sim.errors import InputError
from sim.run.run import prepare

EVENTS = ROOT / "seeds" / "events.csv"
ACTORS = ROOT / "seeds" / "actors.yaml"
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
    keep = {"PAK", "CHN", "IND"}
    data["actors"] = [a for a in data["actors"] if a["code"] in keep]
    data["alignment"] = [e for e in data["alignment"] if {e["source"], e["target"]} <= keep]
    actors = tmp_path / "actors.yaml"
    actors.write_text(yaml.safe_dump(data))
    facts = tmp_path / "facts.yaml"
    facts.write_text("facts:\n  - {id: close, kind: level, pairs: [[PAK, CHN]], dates: ['2015-01'],\n"
                     "     op: '>', threshold: 0.0, source_doc: mine}\n")
    return actors, write_rows(tmp_path / "events.csv", EXTRA_ROWS), facts


def test_default_reads_the_seed_catalogue_and_the_background(compose_config):
    setup = prepare(compose_config([]))
    paths = [Path(use.path).name for use in setup.catalogues]
    assert paths == ["events.csv", "background.csv"]
    assert sum(use.events for use in setup.catalogues) == len(setup.catalogue)
    assert all(use.skipped == 0 for use in setup.catalogues)


def test_extra_catalogues_add_to_the_background(compose_config, tmp_path):
    default = prepare(compose_config([]))
    extra = write_rows(tmp_path / "mine.csv", EXTRA_ROWS)
    setup = prepare(compose_config([f"data.extra_events=[{extra}]"]))
    assert len(setup.catalogue) == len(default.catalogue) + len(EXTRA_ROWS)
    assert [use.events for use in setup.catalogues] == [
        *(use.events for use in default.catalogues), len(EXTRA_ROWS)]
    assert catalogue_lines(setup.catalogues)[0].endswith(f"mine.csv {len(EXTRA_ROWS)}")


def test_an_empty_background_replaces_it(compose_config, tmp_path):
    extra = write_rows(tmp_path / "mine.csv", EXTRA_ROWS)
    setup = prepare(compose_config(["data.background=[]", f"data.extra_events=[{extra}]"]))
    assert [Path(use.path).name for use in setup.catalogues] == ["events.csv", "mine.csv"]
    assert set(setup.catalogue["id"]) >= {"mine_1", "mine_2"}
    assert not setup.catalogue["id"].str.startswith("bg_").any()


def test_the_background_applies_to_the_states_it_names(compose_config, tmp_path):
    actors, events, facts = three_states(tmp_path)
    setup = prepare(compose_config([f"data.actors={actors}", f"data.events={events}",
                                    f"data.facts={facts}"]))
    background = setup.catalogues[1]
    assert background.events > 0 and background.skipped > 0
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
    assert sipri.events > 10_000 and "SUN" in sipri.skipped_states
    assert set(setup.catalogue["source"]) | set(setup.catalogue["target"]) <= set(setup.actors.codes)
