"""sim.config.schema: the closed choices of the schema are Enums that OmegaConf checks as it
composes; each member reads as its own text."""

import json

import pytest

from sim.api import config
from sim.config.compose import job_config
from sim.config.schema import Balance
from sim.errors import InputError


@pytest.mark.parametrize("argv, key, choices", [
    (["model.balance=global"], "model.balance", "local, canonical"),
    (["+scenario=aid_freeze", "scenario.history=both"], "scenario.history", "reference, scenario"),
    (["+scenario=aid_freeze", "scenario.edits=[{action: drop}]"], "scenario.edits", "remove"),
    (["calibration.density_estimator=gan"], "calibration.density_estimator", "maf, nsf, mdn"),
    (["+experiment=sobol", "sensitivity.bounds_from=prior"], "sensitivity.bounds_from",
     "range, posterior"),
])
def test_a_value_outside_a_closed_choice_is_one_line_naming_the_choices(argv, key, choices):
    with pytest.raises(InputError) as info:
        job_config(argv)
    assert "\n" not in str(info.value) and key in str(info.value) and choices in str(info.value)


def test_choices_read_as_their_text():
    cfg = config("aid_freeze")
    assert cfg.model.balance == "local" and cfg.model.balance is Balance.local
    assert json.dumps({"balance": cfg.model.balance}) == '{"balance": "local"}'
    assert f"{cfg.scenario.history}" == "scenario" and cfg.scenario.edits[0].action == "add"
