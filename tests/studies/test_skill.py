"""The skill study's scores: CRPS per pair against persistence and climatology."""

import numpy as np
import pandas as pd
import pytest

from sim.studies import skill


def latent_table(values: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    rows = []
    for (key, period), members in values.items():
        rows += [{"measure": "net_cooperation", "key": key, "period": period, "replicate": r,
                  "latent": float(x)} for r, x in enumerate(members)]
    return pd.DataFrame(rows)


def test_a_model_that_knows_the_measurement_beats_both_baselines():
    months = [f"2013-{m:02d}" for m in range(1, 13)] + ["2014-01", "2014-02", "2014-03"]
    truth = np.sin(np.arange(len(months)))  # the measured series follows the latent one
    seen = pd.DataFrame({"measure": "net_cooperation", "key": "AAA-BBB", "period": months,
                         "value": 0.1 + 0.5 * truth, "weight": 1.0})
    latent = latent_table({("AAA-BBB", p): np.full(50, x) for p, x in zip(months, truth, strict=True)})
    fitted = skill.fit_observation(latent, seen)["net_cooperation"]
    assert fitted["slope"] == pytest.approx(0.5)
    scores = skill.score(latent, seen, {"net_cooperation": fitted})
    assert list(scores["period"]) == months[-3:]
    table = skill.skill_table(scores)
    overall = table.loc[table["source"] == "*"].iloc[0]
    assert overall["skill_persistence"] > 0.5 and overall["skill_climatology"] > 0.5


def test_a_model_that_knows_nothing_is_no_better_than_climatology():
    """Its fit falls back to the training mean and spread: a climatology of its own."""
    months = [f"2013-{m:02d}" for m in range(1, 13)] + ["2014-01", "2014-02"]
    rng = np.random.default_rng(1)
    seen = pd.DataFrame({"measure": "net_cooperation", "key": "AAA-BBB", "period": months,
                         "value": rng.normal(0.2, 0.1, len(months)), "weight": 1.0})
    latent = latent_table({("AAA-BBB", p): rng.normal(0, 1, 50) for p in months})
    fitted = skill.fit_observation(latent, seen)
    table = skill.skill_table(skill.score(latent, seen, fitted))
    assert abs(table.loc[table["source"] == "*", "skill_climatology"].iloc[0]) < 0.2


@pytest.mark.parametrize("argv, field", [
    (["--bogus"], "arguments"),
    (["--compare", "missing.yaml"], "no such file"),
    (["nope.key=3", "--replicates", "2"], "overrides"),
    # ICEWS net cooperation is scored: its events cannot also be replayed as inputs
    (["data.background=[seeds/background.csv,data/events/icews.csv]", "--replicates", "2"],
     "ICEWS events in the record"),
])
def test_a_mistake_on_the_command_line_is_one_line(argv, field, capsys, tmp_path):
    assert skill.main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()  # a progress line may come first
    errors = [line for line in err if line.startswith("error:")]
    assert errors == err[-1:] and field in errors[0] and "Traceback" not in "".join(err)
    assert not (tmp_path / "out").exists()


def test_the_default_variant_runs_on_the_posterior_fitted_before_the_forecast(tmp_path, monkeypatch):
    import yaml
    from support import CONFIG_DIR

    point = yaml.safe_load((CONFIG_DIR / "params" / "point.yaml").read_text())
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "skill_posterior.yaml").write_text(yaml.safe_dump({**point, "lam": 0.0123}))
    monkeypatch.setattr(skill, "SKILL_FIT", tmp_path)
    assert skill.compose_config([]).params.lam == 0.0123
    held = skill.compose_config(["params.balancing=0"]).params
    assert held.lam == 0.0123 and held.balancing == 0
    assert skill.compose_config(["params=goldstein"]).params.lam != 0.0123
    # a variant with a skill fit of its own (another record's) runs on it, not on SKILL_FIT's
    other = tmp_path / "other"
    (other / "params").mkdir(parents=True)
    (other / "params" / "skill_posterior.yaml").write_text(yaml.safe_dump({**point, "lam": 0.0456}))
    assert skill.compose_config([f"hydra.searchpath=[file://{other}]",
                                 "params=skill_posterior"]).params.lam == 0.0456
    monkeypatch.setattr(skill, "SKILL_FIT", tmp_path / "absent")
    assert skill.compose_config([]).params.lam != 0.0123
