"""What each shipped scenario does to the seed catalogue, and edits that cannot apply."""

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.config.schema import Edit, EventMatch
from sim.data.dates import parse_month
from sim.errors import InputError
from sim.paths import resolve_path
from sim.run.run import prepare, simulate_setup
from sim.run.scenario import apply_edits

FREEZE_ID = "us_pak_aid_freeze_2018"


@pytest.fixture(scope="module")
def setups(compose_config):
    """setups(*overrides) -> the prepared run (catalogue and schedules) for those overrides."""
    cache = {}

    def make(*overrides):
        if overrides not in cache:
            cache[overrides] = prepare(compose_config(list(overrides)))
        return cache[overrides]

    return make


def variants(setup) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert setup.schedules.names == ("reference", "scenario")
    return setup.schedules.events


def pairs(events, source, target, kind):
    return events[(events["source"] == source) & (events["target"] == target)
                  & (events["type"] == kind)]


def same_events(a: pd.DataFrame, b: pd.DataFrame):
    columns = ["id", "month", "source", "target", "type", "magnitude", "unit"]
    pd.testing.assert_frame_equal(a[columns].sort_values("id").reset_index(drop=True),
                                  b[columns].sort_values("id").reset_index(drop=True))


def test_without_scenario_there_is_one_variant_replaying_the_catalogue(setups):
    setup = setups()
    assert setup.schedules.names == ("reference",)
    same_events(setup.schedules.events[0], setup.catalogue)


@pytest.mark.parametrize("overrides,month,amount", [
    ((), "2018-01", 2.0e9),
    (("scenario.date=2017-03", "scenario.amount_usd=5e8"), "2017-03", 5.0e8),
])
def test_aid_freeze(setups, overrides, month, amount):
    setup = setups("+scenario=aid_freeze", *overrides)
    reference, scenario = variants(setup)
    assert FREEZE_ID in set(setup.catalogue["id"])
    assert FREEZE_ID not in set(reference["id"])
    same_events(reference, setup.catalogue[setup.catalogue["id"] != FREEZE_ID])
    added = scenario[~scenario["id"].isin(reference["id"])]
    assert len(added) == 1
    freeze = added.iloc[0]
    assert (freeze["source"], freeze["target"], freeze["type"]) == ("USA", "PAK", "aid_cut")
    assert freeze["month"] == parse_month(month, "test", "month")
    assert freeze["magnitude"] == amount and freeze["unit"] == "usd"
    same_events(scenario[scenario["id"].isin(reference["id"])], reference)
    assert setup.schedules.first_change == parse_month(month, "test", "month")
    assert setup.schedules.history == "scenario"


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])
def test_russia_arms(setups, factor):
    setup = setups("+scenario=russia_arms", f"scenario.factor={factor}")
    reference, scenario = variants(setup)
    same_events(reference, setup.catalogue)
    sales = pairs(reference, "RUS", "PAK", "arms_sale")
    assert len(sales) >= 1
    after = pairs(scenario, "RUS", "PAK", "arms_sale")
    if factor == 0:
        assert after.empty
    else:
        merged = sales.merge(after, on="id", suffixes=("", "_after"))
        assert len(merged) == len(sales) == len(after)
        np.testing.assert_allclose(merged["magnitude_after"], factor * merged["magnitude"])
    others = ~scenario["id"].isin(sales["id"])
    same_events(scenario[others], reference[~reference["id"].isin(sales["id"])])
    assert setup.schedules.first_change == sales["month"].min()


def test_no_visits_removes_both_directions(setups):
    reference, scenario = variants(setups("+scenario=no_visits"))
    for source, target in (("PAK", "RUS"), ("RUS", "PAK")):
        assert len(pairs(reference, source, target, "visit")) >= 1
        assert pairs(scenario, source, target, "visit").empty
    removed = set(reference["id"]) - set(scenario["id"])
    assert removed == set(pairs(reference, "PAK", "RUS", "visit")["id"]) | set(
        pairs(reference, "RUS", "PAK", "visit")["id"])
    assert len(pairs(scenario, "USA", "IND", "visit")) == len(pairs(reference, "USA", "IND", "visit"))


def test_us_india_removes_the_two_events(setups):
    reference, scenario = variants(setups("+scenario=us_india"))
    ids = {"obama_india_visit_2015", "us_india_apache_2018"}
    assert ids <= set(reference["id"])
    assert set(reference["id"]) - set(scenario["id"]) == ids
    same_events(scenario, reference[~reference["id"].isin(ids)])


def test_no_cpec_removes_chinese_investment_in_pakistan(setups):
    reference, scenario = variants(setups("+scenario=no_cpec"))
    investment = pairs(reference, "CHN", "PAK", "investment")
    assert len(investment) >= 1
    assert pairs(scenario, "CHN", "PAK", "investment").empty
    assert set(reference["id"]) - set(scenario["id"]) == set(investment["id"])


def test_variants_agree_until_the_first_change(compiled, setups, compose_config):
    """Paired replicates: both variants draw the same random numbers, so they are identical
    up to the date the first changed event acts on, and differ after it."""
    cfg = compose_config(["+scenario=aid_freeze", "replicates=6", "output.keep_replicates=6"])
    setup = setups("+scenario=aid_freeze")
    ens, _ = simulate_setup(setup, cfg, progress=False)
    step = setup.schedules.first_change - setup.start  # the event acts in this step
    np.testing.assert_array_equal(ens.raw[:, 0, :step + 1], ens.raw[:, 1, :step + 1])
    assert (ens.raw[:, 0, step + 1] != ens.raw[:, 1, step + 1]).any()
    assert (ens.mean[2, :step + 1] == 0).all()


def edit(**match) -> Edit:
    return OmegaConf.structured(Edit(action=match.pop("action", "remove"),
                                     match=EventMatch(**match)))


@pytest.mark.parametrize("match", [
    {"id": "no_such_event"},
    {"source": "USA", "target": "PAK", "type": "sanctions"},
    {"source": "RUS", "target": "PAK", "type": "arms_sale", "date_from": "2030-01"},
    {"action": "scale", "source": "IND", "target": "CHN", "type": "aid"},
])
def test_edit_matching_no_event_is_an_input_error(setups, match):
    catalogue = setups().catalogue
    with pytest.raises(InputError) as info:
        apply_edits(catalogue, [edit(**match)], ("USA", "PAK", "RUS", "CHN", "IND"), "test")
    assert info.value.field == "match"


def test_scenario_matching_no_event_in_the_given_catalogue(compose_config, tmp_path):
    path = tmp_path / "events.csv"
    frame = pd.read_csv(resolve_path(compose_config([]).data.events), dtype=str,
                        keep_default_na=False)
    frame[~frame["id"].isin(["obama_india_visit_2015"])].to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        prepare(compose_config(["+scenario=us_india", f"data.events={path}"]))
    assert info.value.field == "match"
    assert "us_india" in str(info.value)


@pytest.mark.parametrize("overrides,field", [
    (("+scenario=russia_arms", "scenario.factor=-1"), "factor"),
    (("+scenario=aid_freeze", "scenario.amount_usd=-5"), "scenario.amount_usd"),
    (("+scenario=aid_freeze", "scenario.date=2018-13"), "date"),
])
def test_bad_scenario_values(compose_config, overrides, field):
    with pytest.raises(InputError) as info:
        prepare(compose_config(list(overrides)))
    assert info.value.field == field
