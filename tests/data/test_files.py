"""sim.data.files: a user's files are read as plain data within bounds, and every file the
project writes stays inside its directory."""

import os
import time

import pytest

from sim.data import files
from sim.data.files import load_yaml, output_file, read_text, read_yaml
from sim.errors import InputError


def alias_bomb(levels: int) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 10)}]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


def one_line_error(call) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("text, words", [
    (alias_bomb(9), ["line", "aliases"]),                            # 10**9 values
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", ["line 1", "deeper"]),  # past Python's recursion
    ("a: &a [1, *a]\n", ["line 1", "alias of itself"]),
    ("".join(f"x{k}: &x{k} [[[[[[[[[[*x{k - 1}]]]]]]]]]]\n" if k else "x0: &x0 [0]\n"
             for k in range(5)), ["deeper", "aliases"]),             # depth built from aliases
    ("a: 1\n" + "#" * files.MAX_YAML_BYTES, ["size", "limit"]),
], ids=["alias_bomb", "deep_list", "recursive_alias", "depth_through_aliases", "oversized"])
def test_yaml_that_would_exhaust_the_reader_stops_at_once_in_one_line(text, words):
    clock = time.perf_counter()
    err = one_line_error(lambda: load_yaml(text, "f.yaml"))
    assert time.perf_counter() - clock < 5
    assert err.where == "f.yaml"
    for word in words:
        assert word in str(err)


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x7f", "\x07"])
def test_yaml_holding_a_control_character_stops_in_one_line_naming_the_line(char):
    err = one_line_error(lambda: load_yaml(f"a: 1\nb: x{char}[2J\n", "f.yaml"))
    assert err.field == "yaml" and "line 2" in err.fix and "control character" in err.fix
    assert char not in str(err)


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!!python/name:os.system",
                                 "!custom 1"])
def test_yaml_tags_that_build_objects_are_refused(tag):
    err = one_line_error(lambda: load_yaml(f"a: 1\nb: {tag}\n", "f.yaml"))
    assert "line 2" in err.fix and "plain data" in err.fix


def test_yaml_reads_words_as_text_and_only_true_false_as_booleans():
    data = load_yaml("codes: [NO, ON, yes, Off, y]\nflag: true\nother: False\n", "f.yaml")
    assert data == {"codes": ["NO", "ON", "yes", "Off", "y"], "flag": True, "other": False}


def test_words_hydra_reads_as_booleans_are_refused_unquoted_in_files_hydra_loads():
    err = one_line_error(lambda: load_yaml("source: NO\n", "s.yaml", hydra_reads=True))
    assert "'NO'" in err.fix and "quote" in err.fix
    assert load_yaml("source: 'NO'\n", "s.yaml", hydra_reads=True) == {"source": "NO"}


def test_paths_that_are_not_regular_files_say_what_they_are(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = {tmp_path / "missing.yaml": "no such file", tmp_path: "is a directory",
             fifo: "is a FIFO"}
    for path, words in cases.items():
        err = one_line_error(lambda path=path: read_yaml(path, "data.actors"))
        assert err.where == str(path) and words in err.fix and "data.actors" in err.fix


def test_files_over_their_bound_are_refused_with_the_size_found_and_the_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (3 * 2**20))
    err = one_line_error(lambda: read_text(path, "data.events", limit=2**20))
    assert err.field == "size" and "3.0 MiB" in err.fix and "1 MiB" in err.fix


@pytest.mark.parametrize("name", ["../x.png", "/../X.png", "a/b.png", "..", "", "a\\b.png",
                                  "trajectories_/../../X.png"])
def test_output_file_names_that_would_leave_their_directory_are_refused(tmp_path, name):
    folder = tmp_path / "figures"
    err = one_line_error(lambda: output_file(folder, name))
    assert err.where == str(folder) and err.field == "output"


def test_output_file_keeps_plain_names(tmp_path):
    assert output_file(tmp_path, "network.png") == tmp_path / "network.png"


def test_the_summary_bound_holds_the_largest_run_the_catalogue_bounds_allow():
    """summary.json lists every event a run uses, once per variant (sim.run.run.events_used),
    written with indent 2: with the catalogue's bounds on rows and ids it stays below the
    bound sim.plot and sim.collect read it within."""
    import json

    from sim.data.events.catalogue import MAX_CATALOGUE_ROWS, MAX_ID_CHARS
    from sim.data.eventtypes import EVENT_TYPES

    entry = {"id": "x" * MAX_ID_CHARS, "date": "2019-12-01", "source": "ABCDEFGH",
             "target": "ABCDEFGH", "type": max(EVENT_TYPES, key=len), "variant": "reference"}
    size = [len(json.dumps({"events_used": [entry] * n}, indent=2)) for n in (1, 2)]
    largest = 2 * MAX_CATALOGUE_ROWS * (size[1] - size[0]) + 2**20  # and the rest, well below
    assert largest <= files.MAX_SUMMARY_BYTES
