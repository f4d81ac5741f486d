"""sim.data.actors: state codes are of one strict pattern wherever they enter (they name files
and columns), and impossible capabilities stop in one line with nothing printed before."""

import warnings

import pytest
import yaml
from support import ROOT

from sim.data.actors import load_actors
from sim.data.events.cameo import parse_states, read_actor_codes
from sim.data.schemas import check_state_code
from sim.errors import InputError

ACTORS = ROOT / "seeds" / "actors.yaml"
BAD_CODES = ["/../X", "A/B", "pak", "P", "PAKISTANI", "1PK", "PA K", "PA\x1bK", ""]


def actors_with(tmp_path, change):
    data = yaml.safe_load(ACTORS.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "actors.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("code", BAD_CODES)
def test_state_codes_other_than_upper_case_letters_and_digits_are_refused(tmp_path, code):
    def rename(data):
        data["actors"][0]["code"] = code
    path = actors_with(tmp_path, rename)
    for read in (load_actors, read_actor_codes):
        with pytest.raises(InputError) as info:
            read(path)
        assert "state code" in info.value.fix and "\x1b" not in str(info.value)
    with pytest.raises(InputError):
        check_state_code(code, "summary.json")
    with pytest.raises(InputError):
        parse_states(f"USA,{code}")


def test_a_code_yaml_1_1_reads_as_a_boolean_stays_a_code(tmp_path):
    path = tmp_path / "actors.yaml"
    text = ACTORS.read_text(encoding="utf-8").replace("code: IND", "code: NO").replace(
        "source: IND", "source: NO").replace("target: IND", "target: NO")
    path.write_text(text, encoding="utf-8")
    assert "NO" in load_actors(path).codes


def test_impossible_capabilities_stop_with_no_warning_before_the_line(tmp_path):
    def huge(data):
        for actor in data["actors"][:2]:
            actor["capability"] = 1e308
    path = actors_with(tmp_path, huge)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as info:
            load_actors(path)
    assert info.value.field == "capability"
