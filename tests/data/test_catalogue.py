"""sim.data.events.catalogue: a catalogue CSV that would lose rows or columns without a word
stops at its line, and a catalogue past the bounds is refused with what was found."""

import pytest

from sim.data.events import catalogue
from sim.data.events.catalogue import MAX_FIELD_CHARS, load_catalogue
from sim.errors import InputError

HEADER = "date,source,target,type,magnitude,unit,cameo,source_doc,note\n"
ROW = "2015-03-01,USA,PAK,visit,1,level,042,x.txt,n\n"


def open_quote(note: str) -> str:
    return ROW.replace(",n\n", f',"{note}\n')


MALFORMED = {  # text, line named, words of the fix
    "quote_never_closed": (HEADER + ROW + open_quote("left open") + ROW + ROW, 3, "quote"),
    "quote_closed_rows_later": (HEADER + open_quote("open") + ROW + ROW.replace("n\n", 'n"\n'),
                                2, "line break"),
    "column_named_twice": (HEADER.replace("note", "date"), 1, "missing"),
    "extra_column_named_twice": (HEADER.strip() + ",note\n" + ROW, 1, "named twice"),
    "column_without_name": (HEADER.strip() + ",\n" + ROW, 1, "no name"),
    "field_over_csv_limit": (HEADER + ROW.replace(",n\n", "," + "x" * 200_000 + "\n"), 2,
                             str(MAX_FIELD_CHARS)),
    "field_over_limit": (HEADER + ROW.replace(",n\n", "," + "x" * (MAX_FIELD_CHARS + 1) + "\n"),
                         2, str(MAX_FIELD_CHARS)),
    "terminal_escape": (HEADER + ROW.replace(",n\n", ",\x1b]0;title\x07\n"), 2, "control"),
    "nul_byte": (HEADER + ROW + ROW.replace("x.txt", "x\x00.txt"), 3, "control"),
    "fields_missing": (HEADER + "2015-03-01,USA,PAK\n", 2, "3 fields"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_csv_stops_at_its_line(tmp_path, case):
    text, line, words = MALFORMED[case]
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message and "\x00" not in message
    assert info.value.where in (f"{path}:{line}", str(path)) and words in message
    assert f":{line}" in info.value.where or line == 1


def test_catalogues_over_the_row_bound_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(catalogue, "MAX_CATALOGUE_ROWS", 3)
    path = tmp_path / "events.csv"
    path.write_text(HEADER + ROW * 3, encoding="utf-8")
    assert len(load_catalogue(path)) == 3
    path.write_text(HEADER + ROW * 4, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalogue(path)
    assert info.value.where == f"{path}:5" and "more than 3 events" in info.value.fix


def test_a_runs_catalogues_together_and_each_id_are_bounded(tmp_path, monkeypatch):
    """The bounds that keep a run's summary.json (which lists each event's id) readable: the
    rows of all its catalogues together, and the length of an id."""
    monkeypatch.setattr(catalogue, "MAX_CATALOGUE_ROWS", 5)
    paths = []
    for k in range(2):
        paths.append(tmp_path / f"events{k}.csv")
        paths[-1].write_text("id," + HEADER + "".join(f"e{k}_{n}," + ROW for n in range(3)),
                             encoding="utf-8")
    assert len(catalogue.load_catalogues(paths[:1])) == 3
    with pytest.raises(InputError) as info:
        catalogue.load_catalogues(paths)
    assert info.value.where == str(paths[1]) and "together" in info.value.fix
    assert "6 so far" in info.value.fix
    long_id = tmp_path / "long.csv"
    long_id.write_text("id," + HEADER + "x" * (catalogue.MAX_ID_CHARS + 1) + "," + ROW,
                       encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_catalogue(long_id)
    assert info.value.where == f"{long_id}:2" and info.value.field == "id"


def test_quoted_fields_with_commas_and_blank_lines_still_read(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "\n" + ROW.replace(",n\n", ',"a, b"\n') + "\n" + ROW, encoding="utf-8")
    assert load_catalogue(path)["note"].tolist() == ["a, b", "n"]
