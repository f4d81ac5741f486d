"""Bad input stops with one line naming the file and the field, exit code 2, no traceback
and no output files: a few cases through the command line, the rest in-process."""

import csv
from pathlib import Path

import pytest
import yaml
from support import ROOT, start_sim

from sim.config.compose import job_config
from sim.errors import InputError
from sim.run.run import prepare

EVENTS = ROOT / "seeds" / "events.csv"
ACTORS = ROOT / "seeds" / "actors.yaml"
FACTS = ROOT / "seeds" / "facts.yaml"
OUTPUTS = ("trajectories.parquet", "effects.parquet", "summary.json", "figures")


def seed_rows() -> tuple[list[str], list[dict]]:
    with EVENTS.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_events(path: Path, change=None, drop_column: str | None = None) -> Path:
    """The seed catalogue with `change(rows)` applied to its rows and a column dropped."""
    header, rows = seed_rows()
    if change is not None:
        change(rows)
    if drop_column is not None:
        header.remove(drop_column)
        for row in rows:
            del row[drop_column]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def set_first(**values):
    def change(rows):
        rows[0].update(values)
    return change


def write_yaml(path: Path, source: Path, change) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# --- through the command line -------------------------------------------------------------

CLI_CASES = {
    "unknown_state": (lambda tmp: [f"data.events={write_events(tmp / 'bad.csv', set_first(source='XYZ'))}"],
                      ["bad.csv", "source", "XYZ"]),
    "nan_parameter": (lambda tmp: ["params.beta=nan"], ["params.beta"]),
    "misspelt_key": (lambda tmp: ["params.betta=0.1"], ["betta"]),
    "sweep_value_type": (lambda tmp: ["-m", "seed=1,abc"], ["seed", "abc"]),
    "end_before_start": (lambda tmp: ["start=2019-01", "end=2018-01"], ["end"]),
    "seed_out_of_range": (lambda tmp: [f"seed={2**63}"], ["seed"]),
}


@pytest.fixture(scope="module")
def cli_errors(compiled, tmp_path_factory):
    """Every command-line case, started together; case -> (process, stdout, stderr, run dir)."""
    started = {}
    for name, (args, _) in CLI_CASES.items():
        tmp = tmp_path_factory.mktemp(name)
        run_dir = tmp / "run"
        started[name] = (start_sim([*args(tmp), "replicates=10", f"hydra.run.dir={run_dir}",
                                    f"hydra.sweep.dir={tmp / 'sweep'}"], tmp), run_dir)
    results = {}
    for name, (proc, run_dir) in started.items():
        out, err = proc.communicate(timeout=240)
        results[name] = (proc, out, err, run_dir)
    return results


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_command_line_error_is_one_clear_line(cli_errors, case):
    proc, out, err, run_dir = cli_errors[case]
    assert proc.returncode == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for word in CLI_CASES[case][1]:
        assert word in lines[0], (word, lines[0])
    for name in OUTPUTS:
        assert not (run_dir / name).exists(), name
        assert not list(run_dir.parent.rglob(name)), name


# --- in-process: the checks behind the command line ---------------------------------------

def raises_input_error(call) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    err = info.value
    assert "\n" not in str(err)
    return err


def prepared(compose_config, overrides):
    return raises_input_error(lambda: prepare(compose_config(overrides)))


EVENT_CASES = {
    "unknown_target": (set_first(target="ZZZ"), None, "target"),
    "malformed_date": (set_first(date="2018-13-01"), None, "date"),
    "malformed_date_text": (set_first(date="01/02/2018"), None, "date"),
    "negative_money": (set_first(magnitude="-2000000000", unit="usd"), None, "magnitude"),
    "zero_magnitude": (set_first(magnitude="0"), None, "magnitude"),
    "non_numeric_magnitude": (set_first(magnitude="lots"), None, "magnitude"),
    "unknown_type": (set_first(type="bribe"), None, "type"),
    "unknown_unit": (set_first(unit="eur"), None, "unit"),
    "same_source_and_target": (set_first(source="USA", target="USA"), None, "target"),
    "missing_column": (None, "unit", "columns"),
}


@pytest.mark.parametrize("case", sorted(EVENT_CASES))
def test_bad_event_catalogue(compose_config, tmp_path, case):
    change, drop, field = EVENT_CASES[case]
    path = write_events(tmp_path / f"{case}.csv", change, drop)
    err = prepared(compose_config, [f"data.events={path}"])
    assert err.field == field
    assert str(path) in str(err)


def test_bad_extra_catalogue_is_named(compose_config, tmp_path):
    path = write_events(tmp_path / "extra.csv", set_first(type="bribe"))
    err = prepared(compose_config, [f"data.extra_events=[{path}]"])
    assert err.field == "type" and str(path) in str(err)


def test_event_ids_repeated_across_catalogues(compose_config, tmp_path):
    path = write_events(tmp_path / "again.csv")
    err = prepared(compose_config, [f"data.extra_events=[{path}]"])
    assert err.field == "id" and str(path) in str(err)


@pytest.mark.parametrize("key", ["data.events", "data.actors", "data.facts"])
def test_missing_file(compose_config, tmp_path, key):
    path = tmp_path / "nowhere" / "file.txt"
    err = prepared(compose_config, [f"{key}={path}"])
    assert str(path) in str(err)


@pytest.mark.parametrize("overrides,field", [
    (["start=2018/01"], "start"),
    (["end=2019-13"], "end"),
    (["start=Jan 2018"], "start"),
    (["start=2019-01", "end=2018-01"], "end"),
    (["start=2019-01", "end=2019-01"], "end"),
    (["replicates=0"], "replicates"),
    (["seed=-1"], "seed"),
])
def test_bad_run_settings(compose_config, overrides, field):
    assert prepared(compose_config, overrides).field == field


@pytest.mark.parametrize("override,field", [
    ("params.beta=nan", "params.beta"),
    ("params.lam=inf", "params.lam"),
    ("params.rho=-0.1", "params.rho"),
    ("params.sigma=2.0", "params.sigma"),
    ("params.money_ref_usd=nan", "params.money_ref_usd"),
    ("params.money_ref_usd=0", "params.money_ref_usd"),
    ("params.weights.aid=nan", "params.weights.aid"),
    ("params.weights.incident=-11", "params.weights.incident"),
])
def test_bad_parameter(compose_config, override, field):
    assert prepared(compose_config, [override]).field == field


ACTOR_CASES = {
    "zero_capability": (lambda d: d["actors"][0].update(capability=0), "capability"),
    "negative_capability": (lambda d: d["actors"][1].update(capability=-0.5), "capability"),
    "text_capability": (lambda d: d["actors"][1].update(capability="large"), "capability"),
    "duplicate_code": (lambda d: d["actors"][1].update(code=d["actors"][0]["code"]), "code"),
    "lower_case_code": (lambda d: d["actors"][1].update(code="pak"), "code"),
    "unknown_state_in_alignment": (lambda d: d["alignment"][0].update(target="XYZ"), "target"),
    "alignment_out_of_range": (lambda d: d["alignment"][0].update(value=1.5), "value"),
    "one_state": (lambda d: d.update(actors=d["actors"][:1]), "actors"),
}


FACT_CASES = {
    "unknown_kind": (lambda d: d["facts"][0].update(kind="ratio"), "kind"),
    "unknown_state": (lambda d: d["facts"][0].update(pairs=[["PAK", "XYZ"]]), "pairs"),
    "malformed_date": (lambda d: d["facts"][0].update(dates=["2011-01", "June 2012"]), "dates"),
    "bad_op": (lambda d: d["facts"][0].update(op=">="), "op"),
    "no_threshold": (lambda d: d["facts"][0].pop("threshold"), "threshold"),
    "duplicate_id": (lambda d: d["facts"][1].update(id=d["facts"][0]["id"]), "id"),
    "trend_backwards": (lambda d: d["facts"][0].update(dates=["2012-06", "2011-01"]), "dates"),
}


YAML_FILES = {"actors": (ACTORS, ACTOR_CASES), "facts": (FACTS, FACT_CASES)}


@pytest.mark.parametrize("key,case", [(key, case) for key, (_, cases) in YAML_FILES.items()
                                      for case in sorted(cases)])
def test_bad_yaml_data_file(compose_config, tmp_path, key, case):
    """A broken actors or facts file names itself and the field at fault."""
    source, cases = YAML_FILES[key]
    change, field = cases[case]
    path = write_yaml(tmp_path / f"{case}.yaml", source, change)
    err = prepared(compose_config, [f"data.{key}={path}"])
    assert err.field == field
    assert str(path) in str(err)


def test_unknown_focus_state(compose_config):
    assert prepared(compose_config, ["focus=XYZ"]).field == "focus"


@pytest.mark.parametrize("argv,words", [
    (["params.betta=0.1"], ["betta"]),
    (["data.event=seeds/events.csv"], ["event"]),
    (["-m", "seed=1,abc"], ["seed", "abc"]),
    (["-m", "params.beta=0.1,abc"], ["params.beta", "abc"]),
    (["params.beta=0.1,abc"], ["params.beta"]),
    (["replicates=many"], ["replicates"]),
    (["plot=maybe"], ["plot"]),
    (["+scenario=nope"], ["nope", "aid_freeze"]),
    (["-m", "+scenario=aid_freeze,nope"], ["nope"]),
    (["params=nope"], ["nope"]),
])
def test_bad_override(argv, words):
    err = raises_input_error(lambda: job_config(argv))
    for word in words:
        assert word in str(err), (word, str(err))


@pytest.mark.parametrize("argv", [
    ["+scenario=aid_freeze", "scenario.amount_usd=1e9", "replicates=10"],
    ["-m", "seed=1,2", "params.beta=0.1,0.2"],
    ["params=goldstein", "start=2015-01", "plot=true"],
])
def test_good_override_passes(argv):
    job_config(argv)


def test_messages_never_carry_a_files_control_characters(compose_config, tmp_path):
    """A message quotes what a file holds; terminal escapes and line breaks in it are shown
    as escapes, so the line is one line and the terminal does nothing."""
    path = write_events(tmp_path / "bad.csv", set_first(source="\x1b]0;owned\x07US\x9bA"))
    with pytest.raises(InputError) as info:
        prepare(compose_config([f"data.events={path}"]))
    message = str(info.value)
    assert message.isprintable() and "\\x1b" in message
    err = InputError("a\nb", "f\r", "\x00fix")
    assert str(err).isprintable() and str(err) == "a\\nb: f\\r: \\x00fix"
