"""The background catalogue (seeds/background.csv): loads beside the seed catalogue, every
row names its public source and lies in 2010-2018 (later years are held out)."""

import pandas as pd
import pytest
from support import ROOT

from sim.data.actors import load_actors
from sim.data.events.catalogue import load_catalogue, load_catalogues

BACKGROUND = ROOT / "seeds" / "background.csv"
FIRST, LAST = 2010 * 12, 2018 * 12 + 11  # month indices of 2010-01 and 2018-12


@pytest.fixture(scope="module")
def background() -> pd.DataFrame:
    return load_catalogue(BACKGROUND, load_actors(ROOT / "seeds" / "actors.yaml").codes)


def test_every_row_names_a_public_source(background):
    sources = background["source_doc"].str.strip()
    assert (sources.str.len() > 0).all()
    # the rows do not come from the seed articles, which are cited by their file names
    assert not sources.str.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt").any()
    assert (background["note"].str.strip().str.len() > 0).all()


def test_every_row_lies_in_2010_to_2018(background):
    assert background["month"].between(FIRST, LAST).all()


def test_loads_with_the_seed_catalogue_without_clashing_ids(background):
    seeds = load_catalogue(ROOT / "seeds" / "events.csv")
    both = load_catalogues([ROOT / "seeds" / "events.csv", BACKGROUND])
    assert len(both) == len(seeds) + len(background)


def test_us_aid_to_pakistan_every_year_in_dollars(background):
    aid = background[(background.source == "USA") & (background.target == "PAK")
                     & (background.type == "aid") & (background.unit == "usd")]
    years = set(aid["month"] // 12)
    assert years == set(range(2010, 2019))
