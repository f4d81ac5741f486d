"""Import of CAMEO-coded event data (GDELT 1.0 / 2.0, ICEWS) into catalogue rows."""

import os
import shutil
from pathlib import Path

import pytest
from support import ROOT

from sim.data.events.cameo import (
    GDELT1_COLUMNS,
    GDELT1_URL_COLUMNS,
    GDELT2_COLUMNS,
    ICEWS_COLUMNS,
    cameo_type,
    country_code,
    import_events,
    normalise_cameo,
    read_actor_codes,
    write_catalogue,
)
from sim.data.events.catalogue import CATALOGUE_COLUMNS, load_catalogue
from sim.errors import InputError

STATES = ("USA", "PAK", "RUS", "CHN", "IND")

# The layouts as the GDELT event codebooks list them, written out here independently of
# the module so that a wrong constant there shows up as a failure.
GDELT1 = """GlobalEventID SQLDATE MonthYear Year FractionDate Actor1Code Actor1Name
Actor1CountryCode Actor1KnownGroupCode Actor1EthnicCode Actor1Religion1Code Actor1Religion2Code
Actor1Type1Code Actor1Type2Code Actor1Type3Code Actor2Code Actor2Name Actor2CountryCode
Actor2KnownGroupCode Actor2EthnicCode Actor2Religion1Code Actor2Religion2Code Actor2Type1Code
Actor2Type2Code Actor2Type3Code IsRootEvent EventCode EventBaseCode EventRootCode QuadClass
GoldsteinScale NumMentions NumSources NumArticles AvgTone
Actor1Geo_Type Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_Lat
Actor1Geo_Long Actor1Geo_FeatureID
Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_Lat
Actor2Geo_Long Actor2Geo_FeatureID
ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_Lat
ActionGeo_Long ActionGeo_FeatureID DATEADDED""".split()
GDELT1_URL = GDELT1 + ["SOURCEURL"]
GDELT2 = """GlobalEventID SQLDATE MonthYear Year FractionDate Actor1Code Actor1Name
Actor1CountryCode Actor1KnownGroupCode Actor1EthnicCode Actor1Religion1Code Actor1Religion2Code
Actor1Type1Code Actor1Type2Code Actor1Type3Code Actor2Code Actor2Name Actor2CountryCode
Actor2KnownGroupCode Actor2EthnicCode Actor2Religion1Code Actor2Religion2Code Actor2Type1Code
Actor2Type2Code Actor2Type3Code IsRootEvent EventCode EventBaseCode EventRootCode QuadClass
GoldsteinScale NumMentions NumSources NumArticles AvgTone
Actor1Geo_Type Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_ADM2Code
Actor1Geo_Lat Actor1Geo_Long Actor1Geo_FeatureID
Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_ADM2Code
Actor2Geo_Lat Actor2Geo_Long Actor2Geo_FeatureID
ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_ADM2Code
ActionGeo_Lat ActionGeo_Long ActionGeo_FeatureID DATEADDED SOURCEURL""".split()
ICEWS = ["Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
         "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
         "Target Country", "Story ID", "Sentence Number", "Publisher", "City", "District",
         "Province", "Country", "Latitude", "Longitude"]

NAMES = {"USA": "UNITED STATES", "PAK": "PAKISTAN", "RUS": "RUSSIA", "CHN": "CHINA",
         "IND": "INDIA", "GBR": "UNITED KINGDOM", "": ""}

# (id, SQLDATE, actor1 country, actor2 country, EventCode, Goldstein, NumMentions)
GDELT_EVENTS = [
    ("1001", "20180105", "USA", "PAK", "1621", "-5.6", "3"),   # aid_cut
    ("1002", "20180110", "USA", "PAK", "162", "-5.6", "5"),    # aid_cut
    ("1003", "20180120", "PAK", "USA", "111", "-2.0", "2"),    # hostile_statement
    ("1004", "20180201", "RUS", "PAK", "072", "8.3", "4"),     # arms_sale
    ("1005", "20180203", "USA", "GBR", "042", "1.9", "1"),     # out of scope: GBR
    ("1006", "20180204", "CHN", "PAK", "010", "0.0", "6"),     # unmapped: root 01
    ("1007", "20180205", "PAK", "PAK", "190", "-10.0", "1"),   # out of scope: same state
    ("1008", "20180206", "", "CHN", "042", "1.9", "1"),        # out of scope: no country
    ("1009", "20180207", "IND", "PAK", "141", "-6.5", "9"),    # unmapped: root 14
    ("1010", "20180301", "CHN", "PAK", "061", "6.4", "7"),     # investment
    ("1011", "20180115", "USA", "PAK", "162", "-5.6", "1"),    # aid_cut
]
KEPT = {"gdelt:1001": ("aid_cut", "2018-01-05"), "gdelt:1002": ("aid_cut", "2018-01-10"),
        "gdelt:1003": ("hostile_statement", "2018-01-20"),
        "gdelt:1004": ("arms_sale", "2018-02-01"), "gdelt:1010": ("investment", "2018-03-01"),
        "gdelt:1011": ("aid_cut", "2018-01-15")}


def gdelt_line(columns, event):
    ident, day, a1, a2, code, goldstein, mentions = event
    values = dict.fromkeys(columns, "")
    values.update({
        "GlobalEventID": ident, "SQLDATE": day, "MonthYear": day[:6], "Year": day[:4],
        "FractionDate": f"{day[:4]}.0110", "Actor1Code": a1, "Actor1Name": NAMES[a1],
        "Actor1CountryCode": a1, "Actor2Code": a2, "Actor2Name": NAMES[a2],
        "Actor2CountryCode": a2, "IsRootEvent": "1", "EventCode": code,
        "EventBaseCode": code[:3], "EventRootCode": code[:2], "QuadClass": "4",
        "GoldsteinScale": goldstein, "NumMentions": mentions, "NumSources": "1",
        "NumArticles": mentions, "AvgTone": "-3.2", "ActionGeo_Type": "4",
        "ActionGeo_FullName": "Islamabad, Islamabad, Pakistan", "ActionGeo_CountryCode": "PK",
        "ActionGeo_Lat": "33.7", "ActionGeo_Long": "73.1",
    })
    values["DATEADDED"] = day + ("120000" if "ActionGeo_ADM2Code" in columns else "")
    if "SOURCEURL" in columns:
        values["SOURCEURL"] = f"https://example.org/news/{ident}"
    return "\t".join(values[name] for name in columns)


def write_gdelt(path, columns, events=GDELT_EVENTS):
    path.write_text("".join(gdelt_line(columns, event) + "\n" for event in events),
                    encoding="utf-8")
    return path


# (Event ID, Event Date, source country, target country, CAMEO Code, Intensity)
ICEWS_EVENTS = [
    ("20001", "2019-03-01", "United States", "Pakistan", "42", "1.9"),        # visit (042)
    ("20002", "2019-03-02", "Russian Federation", "India", "1621", "-5.6"),  # aid_cut
    ("20003", "2019-03-03", "China", "India", "190", "-10"),                 # incident
    ("20004", "2019-03-04", "United Kingdom", "India", "42", "1.9"),         # out of scope
    ("20005", "2019-03-05", "India", "Pakistan", "36", "4"),                 # unmapped: 03
    ("20001", "2019-04-07", "PAK", "CHN", "57", "8"),                        # agreement; id again
    ("20006", "2019-04-08", "China", "China", "42", "1.9"),                  # same state
]


def write_icews(path, events=ICEWS_EVENTS, columns=ICEWS):
    lines = ["\t".join(columns)]
    for ident, day, source, target, code, intensity in events:
        values = dict.fromkeys(columns, "")
        values.update({
            "Event ID": ident, "Event Date": day, "Source Name": f"{source} Government",
            "Source Sectors": "Government", "Source Country": source,
            "Event Text": "Some action", "CAMEO Code": code, "Intensity": intensity,
            "Target Name": target, "Target Country": target, "Story ID": "999",
            "Sentence Number": "1", "Publisher": "Agency", "Country": target,
        })
        lines.append("\t".join(values[name] for name in columns))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def by_id(rows):
    return {row["id"]: row for row in rows}


def test_column_layouts_match_codebooks():
    assert len(GDELT1) == 57 and len(GDELT1_URL) == 58 and len(GDELT2) == 61
    assert list(GDELT1_COLUMNS) == GDELT1
    assert list(GDELT1_URL_COLUMNS) == GDELT1_URL
    assert list(GDELT2_COLUMNS) == GDELT2
    assert list(ICEWS_COLUMNS) == ICEWS


@pytest.mark.parametrize("columns, version", [(GDELT1, "GDELT 1.0"), (GDELT1_URL, "GDELT 1.0"),
                                              (GDELT2, "GDELT 2.0")])
def test_gdelt_kept_rows_types_and_dates(tmp_path, columns, version):
    path = write_gdelt(tmp_path / "20180101.export.CSV", columns)
    result = import_events(path, "gdelt", STATES)
    rows = by_id(result.rows)
    assert set(rows) == set(KEPT)
    for ident, (kind, day) in KEPT.items():
        assert rows[ident]["type"] == kind
        assert rows[ident]["date"] == day
        assert rows[ident]["date_precision"] == "day"
        assert rows[ident]["magnitude"] == 1 and rows[ident]["unit"] == "level"
        assert rows[ident]["source_doc"] == "20180101.export.CSV"
    assert rows["gdelt:1001"]["source"] == "USA" and rows["gdelt:1001"]["target"] == "PAK"
    assert rows["gdelt:1001"]["cameo"] == "1621"
    assert rows["gdelt:1001"]["note"].startswith("CAMEO 1621; Goldstein -5.6; 3 mentions")
    assert [row["date"] for row in result.rows] == sorted(row["date"] for row in result.rows)
    assert result.read == len(GDELT_EVENTS)
    assert result.kept == 6
    assert result.out_of_scope == 3
    assert dict(result.unmapped) == {"01": 1, "14": 1}
    assert dict(result.versions) == {version: len(GDELT_EVENTS)}
    assert result.kept_types["aid_cut"] == 3


def test_gdelt_mixed_versions_in_one_run(tmp_path):
    one = write_gdelt(tmp_path / "a.CSV", GDELT1, GDELT_EVENTS[:5])
    two = write_gdelt(tmp_path / "b.CSV", GDELT2, GDELT_EVENTS[5:])
    result = import_events([one, two], "gdelt", STATES)
    assert set(by_id(result.rows)) == set(KEPT)
    assert dict(result.versions) == {"GDELT 1.0": 5, "GDELT 2.0": 6}
    assert by_id(result.rows)["gdelt:1010"]["source_doc"] == "b.CSV"


def test_states_restrict_scope(tmp_path):
    path = write_gdelt(tmp_path / "e.CSV", GDELT1)
    result = import_events(path, "gdelt", ["USA", "PAK"])
    assert set(by_id(result.rows)) == {"gdelt:1001", "gdelt:1002", "gdelt:1003", "gdelt:1011"}
    with_gbr = import_events(path, "gdelt", ["USA", "GBR"])
    assert [row["type"] for row in with_gbr.rows] == ["visit"]


def test_weight_mentions(tmp_path):
    path = write_gdelt(tmp_path / "e.CSV", GDELT2)
    rows = by_id(import_events(path, "gdelt", STATES, weight="mentions").rows)
    assert rows["gdelt:1001"]["magnitude"] == 3
    assert rows["gdelt:1010"]["magnitude"] == 7


def test_aggregate_month_counts(tmp_path):
    path = write_gdelt(tmp_path / "e.CSV", GDELT1_URL)
    rows = by_id(import_events(path, "gdelt", STATES, aggregate="month").rows)
    assert set(rows) == {"gdelt:2018-01:USA:PAK:aid_cut", "gdelt:2018-01:PAK:USA:hostile_statement",
                         "gdelt:2018-02:RUS:PAK:arms_sale", "gdelt:2018-03:CHN:PAK:investment"}
    cut = rows["gdelt:2018-01:USA:PAK:aid_cut"]
    assert cut["magnitude"] == 3
    assert cut["date"] == "2018-01" and cut["date_precision"] == "month"
    assert cut["cameo"] == "162"                    # two 162 against one 1621
    assert cut["note"].startswith("3 events aggregated; CAMEO 162 x2, 1621 x1")
    assert "mean Goldstein -5.60" in cut["note"] and "9 mentions" in cut["note"]
    assert rows["gdelt:2018-02:RUS:PAK:arms_sale"]["magnitude"] == 1

    summed = by_id(import_events(path, "gdelt", STATES, aggregate="month",
                                 weight="mentions").rows)
    assert summed["gdelt:2018-01:USA:PAK:aid_cut"]["magnitude"] == 3 + 5 + 1


def test_icews_names_codes_and_repeated_ids(tmp_path):
    path = write_icews(tmp_path / "events.2019.tab")
    result = import_events(path, "icews", STATES)
    rows = by_id(result.rows)
    assert set(rows) == {"icews:20001", "icews:20002", "icews:20003", "icews:20001:2019-04-07"}
    assert rows["icews:20001"]["type"] == "visit"
    assert rows["icews:20001"]["cameo"] == "042"         # the lost leading zero restored
    assert (rows["icews:20001"]["source"], rows["icews:20001"]["target"]) == ("USA", "PAK")
    assert rows["icews:20002"]["source"] == "RUS" and rows["icews:20002"]["type"] == "aid_cut"
    assert rows["icews:20003"]["type"] == "incident"
    assert rows["icews:20001:2019-04-07"]["type"] == "agreement"
    assert rows["icews:20001:2019-04-07"]["cameo"] == "057"
    assert rows["icews:20002"]["note"].startswith("CAMEO 1621; Goldstein -5.6")
    assert result.out_of_scope == 2
    assert dict(result.unmapped) == {"03": 1}
    assert dict(result.versions) == {"ICEWS": len(ICEWS_EVENTS)}


def test_icews_aggregate(tmp_path):
    events = ICEWS_EVENTS + [("20007", "2019-03-20", "United States", "Pakistan", "43", "2.8")]
    path = write_icews(tmp_path / "events.tab", events)
    rows = by_id(import_events(path, "icews", STATES, aggregate="month").rows)
    visit = rows["icews:2019-03:USA:PAK:visit"]
    assert visit["magnitude"] == 2
    assert visit["note"].startswith("2 events aggregated")
    assert len(rows) == 4


def test_duplicate_rows_across_files_are_skipped(tmp_path):
    one = write_gdelt(tmp_path / "a.CSV", GDELT1, GDELT_EVENTS[:3])
    two = write_gdelt(tmp_path / "b.CSV", GDELT1, GDELT_EVENTS[2:4])
    result = import_events([one, two], "gdelt", STATES)
    assert result.duplicates == 1
    assert len(result.rows) == 4
    assert len({row["id"] for row in result.rows}) == 4


@pytest.mark.parametrize("aggregate", [None, "month"])
@pytest.mark.parametrize("fmt", ["gdelt", "icews"])
def test_written_catalogue_round_trips(tmp_path, fmt, aggregate):
    path = (write_gdelt(tmp_path / "e.CSV", GDELT2) if fmt == "gdelt"
            else write_icews(tmp_path / "e.tab"))
    rows = import_events(path, fmt, STATES, aggregate=aggregate).rows
    out = write_catalogue(rows, tmp_path / "out" / "catalogue.csv", STATES)
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(CATALOGUE_COLUMNS)
    frame = load_catalogue(out, STATES)
    assert len(frame) == len(rows) > 0
    for row, (_, back) in zip(rows, frame.iterrows(), strict=True):
        for column in CATALOGUE_COLUMNS:
            expected = float(row[column]) if column == "magnitude" else row[column]
            assert back[column] == expected, column
    assert os.listdir(out.parent) == ["catalogue.csv"]


def test_write_catalogue_leaves_nothing_on_bad_rows(tmp_path):
    path = write_gdelt(tmp_path / "e.CSV", GDELT1)
    rows = import_events(path, "gdelt", STATES).rows
    rows[0]["type"] = "not_a_type"
    out = tmp_path / "out" / "c.csv"
    with pytest.raises(InputError) as info:
        write_catalogue(rows, out, STATES)
    assert str(out) in str(info.value)
    assert not out.parent.exists()


def test_write_catalogue_replaces_a_catalogue_it_wrote_and_no_other_file(tmp_path):
    out = tmp_path / "c.csv"
    rows = import_events(write_gdelt(tmp_path / "e.CSV", GDELT1), "gdelt", STATES).rows
    write_catalogue(rows[:2], out, STATES)
    write_catalogue(rows, out, STATES)
    assert len(load_catalogue(out, STATES)) == 6
    other = tmp_path / "notes.csv"
    other.write_text("old\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a catalogue written by this import"):
        write_catalogue(rows, other, STATES)
    assert other.read_text(encoding="utf-8") == "old\n"
    curated = tmp_path / "events.csv"  # a catalogue written by hand, as seeds/events.csv
    shutil.copy(ROOT / "seeds" / "events.csv", curated)
    before = curated.read_bytes()
    with pytest.raises(InputError, match="not made by an import") as info:
        write_catalogue(rows, curated, STATES)
    assert "line 2" in info.value.fix and curated.read_bytes() == before


@pytest.mark.parametrize("code, kind", [
    ("042", "visit"), ("043", "visit"), ("041", "support"), ("046", "support"),
    ("051", "support"), ("055", "support"), ("056", "support"), ("057", "agreement"),
    ("061", "investment"), ("062", "exercise"), ("064", None), ("071", "aid"), ("073", "aid"),
    ("075", "aid"), ("072", "arms_sale"), ("111", "hostile_statement"),
    ("112", "hostile_statement"), ("130", "hostile_statement"), ("1383", "hostile_statement"),
    ("161", "downgrade"), ("164", "downgrade"), ("162", "aid_cut"), ("1621", "aid_cut"),
    ("1622", "aid_cut"), ("163", "sanctions"), ("182", "incident"), ("190", "incident"),
    ("195", "incident"), ("2042", "incident"), ("010", None), ("036", None), ("141", None),
    ("172", None), ("120", None),
])
def test_cameo_type_table(code, kind):
    assert cameo_type(code) == kind


@pytest.mark.parametrize("text, code", [
    ("042", "042"), ("42", "042"), ("1621", "1621"), ("211", "0211"), ("0211", "0211"),
    ("190", "190"), ("204", "204"), ("10", "010"), ("7", "007"), ("abc", None), ("", None),
    ("12345", None), ('"057"', "057"),
])
def test_normalise_cameo(text, code):
    assert normalise_cameo(text) == code


@pytest.mark.parametrize("name, code", [
    ("Pakistan", "PAK"), ("United States", "USA"), ("Russian Federation", "RUS"),
    ("Russia", "RUS"), ("China", "CHN"), ("India", "IND"), ("  united  kingdom ", "GBR"),
    ("Iran, Islamic Republic of", "IRN"), ("North Korea", "PRK"), ("South Korea", "KOR"),
    ("Côte d'Ivoire", "CIV"), ("Occupied Palestinian Territory", "PSE"), ("PAK", "PAK"),
    ("Atlantis", None), ("", None),
])
def test_country_code(name, code):
    assert country_code(name) == code


def test_bad_inputs_name_file_line_and_field(tmp_path):
    with pytest.raises(InputError) as err:
        import_events(tmp_path / "missing.CSV", "gdelt", STATES)
    assert err.value.field == "path"

    short = tmp_path / "short.CSV"
    lines = [gdelt_line(GDELT1, GDELT_EVENTS[0]), "\t".join(["x"] * 40)]
    short.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_events(short, "gdelt", STATES)
    assert err.value.where == f"{short}:2" and err.value.field == "columns"
    assert "40" in err.value.fix

    bad_date = write_gdelt(tmp_path / "date.CSV", GDELT1,
                           [GDELT_EVENTS[0], ("7", "20181345", "USA", "PAK", "162", "-5.6", "1")])
    with pytest.raises(InputError) as err:
        import_events(bad_date, "gdelt", STATES)
    assert err.value.where == f"{bad_date}:2" and err.value.field == "SQLDATE"

    no_header = write_icews(tmp_path / "icews.tab",
                            columns=[name for name in ICEWS if name != "CAMEO Code"])
    with pytest.raises(InputError) as err:
        import_events(no_header, "icews", STATES)
    assert err.value.where == f"{no_header}:1" and "CAMEO Code" in err.value.fix

    icews_date = write_icews(tmp_path / "icews2.tab",
                             [("1", "2019-02-30", "India", "Pakistan", "42", "1.9")])
    with pytest.raises(InputError) as err:
        import_events(icews_date, "icews", STATES)
    assert err.value.where == f"{icews_date}:2" and err.value.field == "Event Date"

    with pytest.raises(InputError) as err:
        import_events(write_icews(tmp_path / "ok.tab"), "icews", STATES, weight="mentions")
    assert err.value.field == "weight"

    # an ICEWS file given as GDELT: wrong number of fields on line 1
    with pytest.raises(InputError) as err:
        import_events(tmp_path / "ok.tab", "gdelt", STATES)
    assert err.value.where.endswith("ok.tab:1")


def test_compressed_input(tmp_path):
    import gzip
    import zipfile

    plain = write_gdelt(tmp_path / "20180101.export.CSV", GDELT1_URL)
    packed = tmp_path / "20180101.export.CSV.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.write(plain, plain.name)
    gz = tmp_path / "20180101.export.CSV.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (packed, gz):
        assert set(by_id(import_events(path, "gdelt", STATES).rows)) == set(KEPT)


def test_read_actor_codes(tmp_path):
    good = tmp_path / "actors.yaml"
    good.write_text("actors:\n  - {code: USA, name: United States, capability: 1}\n"
                    "  - code: PAK\n    name: Pakistan\n", encoding="utf-8")
    assert read_actor_codes(good) == ["USA", "PAK"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("actors:\n  - {name: nobody}\n", encoding="utf-8")
    with pytest.raises(InputError):
        read_actor_codes(bad)
    with pytest.raises(InputError):
        read_actor_codes(Path(tmp_path / "none.yaml"))


def test_icews_quoted_fields(tmp_path):
    path = write_icews(tmp_path / "events.tab")
    lines = path.read_text(encoding="utf-8").splitlines()
    quoted = ["\t".join(f'"{cell}"' for cell in line.split("\t")) for line in lines]
    quoted[1] = quoted[1].replace('"United States Government"', 'The "Eagle" Group')
    path.write_text("\n".join(quoted) + "\n", encoding="utf-8")
    rows = by_id(import_events(path, "icews", STATES).rows)
    assert rows["icews:20001"]["cameo"] == "042"
    assert (rows["icews:20001"]["source"], rows["icews:20001"]["target"]) == ("USA", "PAK")
    assert len(rows) == 4


@pytest.mark.parametrize("fmt", ["gdelt", "icews"])
def test_event_files_that_expand_without_bound_stop_in_one_line(tmp_path, monkeypatch, fmt):
    """A small .gz can hold gigabytes (of NUL bytes, say, as one line, or of blank lines):
    reading stops at the line bound, at the bound on the decompressed size and at the bound
    on the number of lines, each in one line."""
    import gzip

    from sim.data.events import cameo

    bomb = tmp_path / "events.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        for _ in range(8):
            handle.write(b"\0" * 2**20)  # 8 MiB, one line, about 8 kB compressed
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputError) as info:
        import_events(bomb, fmt, STATES)
    assert info.value.where == f"{bomb}:1" and "longer than" in info.value.fix

    plain = write_gdelt(tmp_path / "20180101.export.CSV", GDELT1_URL) if fmt == "gdelt" else \
        write_icews(tmp_path / "events.tab")
    lines = plain.read_text().splitlines(keepends=True)
    packed = tmp_path / f"{plain.name}.gz"
    packed.write_bytes(gzip.compress("".join(lines + lines[fmt == "icews":] * 3).encode()))
    monkeypatch.setattr(cameo, "MAX_EVENT_FILE_CHARS", len(plain.read_text()) * 2)
    with pytest.raises(InputError) as info:
        import_events(packed, fmt, STATES)
    assert info.value.field == "size" and "decompressed" in info.value.fix

    blank = tmp_path / "blank.csv.gz"
    blank.write_bytes(gzip.compress("".join(lines[:1]).encode() + b"\n" * 10**6))
    monkeypatch.setattr(cameo, "MAX_EVENT_FILE_LINES", 1000)
    with pytest.raises(InputError) as info:
        import_events(blank, fmt, STATES)
    assert info.value.where == f"{blank}:1001" and info.value.field == "lines"
    assert "1,000 lines" in info.value.fix and "decompressed" in info.value.fix


def test_an_import_never_writes_over_one_of_its_inputs(tmp_path, capsys):
    from sim.data.events.__main__ import main

    source = write_gdelt(tmp_path / "20180101.export.CSV", GDELT1_URL)
    before = source.read_bytes()
    link = tmp_path / "same.csv"
    link.symlink_to(source)
    for out in (source, link):
        assert main(["import", "--format", "gdelt", str(source), "-o", str(out)]) == 2
        assert "is also an input file" in capsys.readouterr().err
    assert source.read_bytes() == before
