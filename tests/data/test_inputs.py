"""Data files and values that are impossible or in another encoding stop with one line that
names the file (and line) and the field; what is valid reads as before. In-process: each
case goes through prepare(), as a run does before it writes anything."""

import numpy as np
import pytest
import yaml
from omegaconf import OmegaConf
from support import ROOT

from sim.data.actors import load_actors
from sim.data.events.__main__ import main as events_main
from sim.data.events.catalogue import load_catalogue
from sim.errors import InputError
from sim.run.memory import check_fits
from sim.run.parameters import check_params
from sim.run.run import prepare

EVENTS = ROOT / "seeds" / "events.csv"
ACTORS = ROOT / "seeds" / "actors.yaml"
FACTS = ROOT / "seeds" / "facts.yaml"
DATA_KEYS = {"actors": ACTORS, "facts": FACTS, "events": EVENTS}


def input_error(call) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    assert "\n" not in str(info.value)
    return info.value


def prepare_error(compose_config, overrides) -> InputError:
    return input_error(lambda: prepare(compose_config(overrides)))


def with_yaml(tmp_path, source, change):
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def event_row(**values) -> str:
    row = {"date": "2015-03-01", "source": "USA", "target": "PAK", "type": "visit",
           "magnitude": "1", "unit": "level", "cameo": "042", "source_doc": "x.txt", "note": "n"}
    row.update(values)
    return ",".join(row.values())


def catalogue(tmp_path, *rows: str):
    path = tmp_path / "events.csv"
    path.write_text("date,source,target,type,magnitude,unit,cameo,source_doc,note\n"
                    + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# --- encodings --------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(DATA_KEYS))
def test_latin1_byte_names_file_line_and_encoding(compose_config, tmp_path, key):
    source = DATA_KEYS[key]
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(5, "# caf\u00e9\n")
    path = tmp_path / source.name
    path.write_bytes("".join(lines).encode("latin-1"))
    err = prepare_error(compose_config, [f"data.{key}={path}"])
    assert err.where == str(path) and err.field == "encoding"
    assert "line 6" in err.fix and "0xe9" in err.fix and "UTF-8" in err.fix


@pytest.mark.parametrize("key", sorted(DATA_KEYS))
def test_byte_order_mark_is_read_as_utf8(compose_config, tmp_path, key):
    """A UTF-8 file saved with a byte-order mark (as spreadsheets do) reads as without:
    the events keep their ids, so the aid-freeze scenario still finds its event."""
    source = DATA_KEYS[key]
    path = tmp_path / source.name
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    plain = prepare(compose_config(["+scenario=aid_freeze", "replicates=10"]))
    marked = prepare(compose_config(["+scenario=aid_freeze", "replicates=10", f"data.{key}={path}"]))
    assert marked.catalogue.equals(plain.catalogue)
    assert np.array_equal(marked.actors.alignment, plain.actors.alignment)
    assert marked.facts == plain.facts


def test_events_check_reports_encoding_in_one_line(tmp_path, capsys):
    path = tmp_path / "latin.csv"
    path.write_bytes(catalogue(tmp_path, event_row(note="caf\u00e9")).read_text().encode("latin-1"))
    assert events_main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "line 2" in err[0] and "UTF-8" in err[0]
    marked = tmp_path / "bom.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + EVENTS.read_bytes())
    assert events_main(["check", str(marked)]) == 0
    assert "total: 69 events" in capsys.readouterr().out


# --- impossible values --------------------------------------------------------------------

@pytest.mark.parametrize("row,field", [
    (event_row(date="2018-02-30"), "date"),
    (event_row(date="2018-04-31"), "date"),
    (event_row(date="2019-02-29"), "date"),
    (event_row(magnitude="1000"), "magnitude"),
    (event_row(magnitude="2.5"), "magnitude"),
    (event_row(magnitude="0.5"), "magnitude"),
    (event_row(date="2015-03") + ",extra", "columns"),
    ("2015-03-01,USA,PAK", "columns"),
])
def test_impossible_event_values(tmp_path, row, field):
    path = catalogue(tmp_path, event_row(), row)
    err = input_error(lambda: load_catalogue(path))
    assert err.field == field and err.where == f"{path}:3"


def test_precision_finer_than_date(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("date,date_precision,source,target,type,magnitude,unit,cameo,source_doc,note\n"
                    "2015-03,day,USA,PAK,visit,1,level,042,x.txt,n\n", encoding="utf-8")
    assert input_error(lambda: load_catalogue(path)).field == "date_precision"


def test_possible_values_still_read(tmp_path):
    path = catalogue(tmp_path, event_row(date="2016-02-29"), event_row(magnitude="3"),
                     event_row(magnitude="17", unit="count"), event_row(date="2015"))
    assert list(load_catalogue(path)["magnitude"]) == [1.0, 3.0, 17.0, 1.0]


def set_actor(k, **values):
    return lambda data: data["actors"][k].update(values)


def drop_alignment(count):
    return lambda data: data.update(alignment=data["alignment"][count:])


ACTOR_CASES = {
    "capability_yes": (set_actor(1, capability=True), "capability"),
    "capability_subnormal": (lambda d: [a.update(capability=1e-320) for a in d["actors"]],
                             "capability"),
    "capability_tiny_share": (set_actor(2, capability=1e-12), "capability"),
    "capability_total_huge": (lambda d: [a.update(capability=1e300) for a in d["actors"]],
                              "capability"),
    "alignment_value_yes": (lambda d: d["alignment"][0].update(value=True), "value"),
    "alignment_one_missing": (drop_alignment(1), "alignment"),
    "alignment_all_missing": (lambda d: d.pop("alignment"), "alignment"),
    "alignment_duplicate": (lambda d: d["alignment"].append(dict(d["alignment"][0], value=0.9)),
                            "target"),
    "alignment_default_out_of_range": (lambda d: d.update(alignment_default=2), "alignment_default"),
}


@pytest.mark.parametrize("case", sorted(ACTOR_CASES))
def test_impossible_actors(tmp_path, case):
    change, field = ACTOR_CASES[case]
    path = with_yaml(tmp_path, ACTORS, change)
    err = input_error(lambda: load_actors(path))
    assert err.field == field and str(path) in err.where


def test_alignment_default_fills_the_pairs_not_listed(tmp_path):
    """A sparse matrix is allowed when it says so; the listed values stay, the rest take
    the default."""
    full = load_actors(ACTORS)
    path = with_yaml(tmp_path, ACTORS, lambda d: d.update(alignment=d["alignment"][:5],
                                                          alignment_default=-0.25))
    sparse = load_actors(path)
    listed = np.zeros_like(full.alignment, dtype=bool)
    for entry in yaml.safe_load(path.read_text())["alignment"]:
        listed[full.index[entry["source"]], full.index[entry["target"]]] = True
    assert np.array_equal(sparse.alignment[listed], full.alignment[listed])
    off_diagonal = ~listed & ~np.eye(len(full.codes), dtype=bool)
    assert (sparse.alignment[off_diagonal] == -0.25).all()


def test_fact_threshold_yes(compose_config, tmp_path):
    path = with_yaml(tmp_path, FACTS, lambda d: d["facts"][0].update(threshold=True))
    err = prepare_error(compose_config, [f"data.facts={path}"])
    assert err.field == "threshold" and str(path) in err.where


def test_unknown_parameter_key_is_refused_by_the_schema(compose_config):
    """`+params.lamda` gets past Hydra (it adds keys); the run refuses every key the
    params schema lacks, whatever the schema holds."""
    err = prepare_error(compose_config, ["+params.lamda=0.1"])
    assert err.field == "params.lamda" and "lam" in err.fix
    params = OmegaConf.to_container(compose_config([]).params)
    with pytest.raises(InputError) as info:
        check_params({**params, "no_such_rate": 1.0})
    assert info.value.field == "params.no_such_rate"


@pytest.mark.parametrize("override,field", [
    ("output.quantile_bins=-5", "output.quantile_bins"),
    ("output.quantile_bins=50", "output.quantile_bins"),
    ("output.keep_replicates=-1", "output.keep_replicates"),
    ("output.keep_replicates=11", "output.keep_replicates"),
    ("output.fact_fraction=2", "output.fact_fraction"),
    ("output.fact_fraction=0", "output.fact_fraction"),
    ("output.histogram_budget_mb=0", "output.histogram_budget_mb"),
])
def test_bad_output_setting(compose_config, override, field):
    assert prepare_error(compose_config, [override, "replicates=10"]).field == field


@pytest.mark.parametrize("overrides,field", [
    (["+scenario=aid_freeze", "scenario.date=2025-01"], "scenario.date"),
    (["+scenario=aid_freeze", "start=2018-06"], "scenario.date"),
    (["+scenario=us_india", "end=2014-12"], "scenario"),
    (["+scenario=no_visits", "scenario.amount_usd=4e9"], "scenario.amount_usd"),
    (["+scenario=russia_arms", "scenario.date=2018-01"], "scenario.date"),
])
def test_scenario_that_cannot_act(compose_config, overrides, field):
    """A change outside the run, or a setting the scenario's edits never read, would give
    an effect of zero without a word."""
    assert prepare_error(compose_config, overrides).field == field


def test_scenario_that_acts_still_runs(compose_config):
    """A scenario that changes events inside the run passes, a null one (factor 1) too."""
    for overrides in (["+scenario=aid_freeze", "scenario.date=2017-06"],
                      ["+scenario=russia_arms", "scenario.factor=1"]):
        assert len(prepare(compose_config(overrides)).schedules.names) == 2


def test_ensemble_too_large_for_memory_is_refused(compose_config):
    err = prepare_error(compose_config, ["replicates=1000000000"])
    assert err.field == "replicates" and "memory" in err.fix and "run at most" in err.fix
    size = err.fix.split("need about ")[1].split(" of memory")[0]
    assert size.endswith(("GB", "TB")), size


def test_memory_check_states_the_need_and_the_largest_that_fits():
    check_fits(1000, 100, 10_000, 1_000_000)  # fits
    with pytest.raises(InputError) as info:
        check_fits(1_000_000, 100, 10_000, 1_000_000)
    assert "95.4 MB" in info.value.fix and "run at most 9,900" in info.value.fix
