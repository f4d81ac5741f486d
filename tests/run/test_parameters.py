"""Priors, posterior draws in runs, effect facts, the evidence's count summary and SBC
coverage: the parts of the calibration that need no torch."""

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf
from support import ROOT

from sim.config.schema import ParamsConfig
from sim.data.dates import parse_month
from sim.data.eventtypes import DEFAULT_WEIGHTS
from sim.data.facts import Fact, effect_margins, fact_probes, fact_report, load_facts
from sim.errors import InputError
from sim.model.params import PARAM_NAMES
from sim.run.inputs import parameter_rows
from sim.run.parameters import check_params, has_value, median, read_draws, replicate_rows, with_values
from sim.studies.calibration.evidence import ACTION_TYPES, count_summary
from sim.studies.calibration.priors import load_priors
from sim.studies.calibration.sbc import coverage_table, shares

GOLDSTEIN_FILE = ROOT / "configs" / "params" / "goldstein.yaml"
GOLDSTEIN = OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(ParamsConfig),
                                                   OmegaConf.load(GOLDSTEIN_FILE)))
PRIORS = ROOT / "configs" / "priors.yaml"


def test_priors_cover_every_value_of_the_model_and_centre_weights_on_goldstein():
    priors = load_priors(PRIORS, GOLDSTEIN, check_params)
    assert set(PARAM_NAMES) | {f"weights.{t}" for t in DEFAULT_WEIGHTS} <= set(priors.names)
    listed = yaml.safe_load(PRIORS.read_text())["priors"]
    for name, entry in listed.items():
        if name.startswith("weights."):
            assert entry["mean"] == DEFAULT_WEIGHTS[name[8:]]
    # entries the model lacks are reported, not fitted
    assert set(priors.not_in_model) == {n for n in listed if not has_value(GOLDSTEIN, n)}


def test_prior_values_stay_in_their_bounds_and_invert():
    priors = load_priors(PRIORS, GOLDSTEIN, check_params)
    z = np.random.default_rng(3).standard_normal((500, len(priors))) * 3
    values = priors.values(z)
    for k, prior in enumerate(priors.entries):
        assert prior.low <= values[:, k].min() and values[:, k].max() <= prior.high
    inner = np.abs(z) < 4
    assert np.allclose(priors.scores(values)[inner], z[inner], atol=1e-6)
    for params in priors.param_sets(GOLDSTEIN, values[:20]):
        check_params(params)


@pytest.mark.parametrize("entry, field", [
    ("lam: {dist: gamma, low: 0, high: 1}", "lam.dist"),
    ("lam: {dist: uniform, low: 0.2, high: 0.1}", "lam.low"),
    ("lam: {dist: loguniform, low: 0.0, high: 0.1}", "lam.low"),
    ("lam: {dist: uniform, low: 0.0, high: 3.0}", "lam.high"),
    ("weights.aid: {dist: truncnormal, mean: 7, sd: 0, low: 0, high: 10}", "weights.aid.sd"),
    ("weights: {dist: uniform, low: 0, high: 1}", "weights"),
    ("lam: {dist: uniform, low: 0, hihg: 1}", "lam"),
])
def test_bad_priors_name_the_entry(tmp_path, entry, field):
    path = tmp_path / "priors.yaml"
    path.write_text(f"priors:\n  {entry}\n")
    with pytest.raises(InputError) as err:
        load_priors(path, GOLDSTEIN, check_params)
    assert err.value.field == field and str(path) in err.value.where


def test_with_values_sets_paths_without_touching_the_reference():
    out = with_values(GOLDSTEIN, ["lam", "weights.aid"], [0.2, 5.0])
    assert out["lam"] == 0.2 and out["weights"]["aid"] == 5.0
    assert GOLDSTEIN["lam"] == 0.03 and GOLDSTEIN["weights"]["aid"] == 7.4


def write_draws(tmp_path, table: pd.DataFrame) -> dict:
    path = tmp_path / "draws.csv"
    table.to_csv(path, index=False)
    params = with_values(GOLDSTEIN, list(table.columns),
                         [median(table[c].to_numpy()) for c in table.columns])
    return {**params, "draws": str(path)}


def test_replicate_r_takes_draw_r_mod_d_whatever_the_replicate_count(tmp_path):
    table = pd.DataFrame({"lam": [0.01, 0.02, 0.03, 0.04, 0.05], "weights.visit": [1, 2, 3, 4, 5.0]})
    params = write_draws(tmp_path, table)
    rates, weights = replicate_rows(params, 12)
    assert rates.shape[0] == 12
    assert rates[:, PARAM_NAMES.index("lam")].tolist() == [0.01, 0.02, 0.03, 0.04, 0.05] * 2 + [0.01, 0.02]
    few = replicate_rows(params, 7)
    assert np.array_equal(few[0], rates[:7]) and np.array_equal(few[1], weights[:7])
    single = parameter_rows([params], 1)
    others = [k for k, n in enumerate(PARAM_NAMES) if n != "lam"]
    assert (rates[:, others] == single[0][0, others]).all()


def test_each_replicate_row_is_the_row_of_its_draws_params(tmp_path):
    table = pd.DataFrame({"beta": [0.1, 0.2, 0.3], "action_rates.visit": [0.01, 0.0, 0.02],
                          "weights.aid": [1.0, -2.0, 3.5], "money_ref_usd": [1e7, 1e8, 1e9]})
    params = write_draws(tmp_path, table)
    rates, weights = replicate_rows(params, 7)
    for r in range(7):
        draw = with_values(params, list(table.columns), table.iloc[r % 3].to_numpy())
        want = parameter_rows([draw], 1)
        assert rates[r].tolist() == want[0][0].tolist() and weights[r].tolist() == want[1][0].tolist()


def test_a_value_set_on_the_command_line_holds_for_every_draw(tmp_path):
    table = pd.DataFrame({"lam": [0.01, 0.02, 0.03], "beta": [0.1, 0.2, 0.3]})
    params = {**write_draws(tmp_path, table), "lam": 0.25}
    rates, _ = replicate_rows(params, 6)
    assert (rates[:, PARAM_NAMES.index("lam")] == 0.25).all()
    assert rates[:, PARAM_NAMES.index("beta")].tolist() == [0.1, 0.2, 0.3] * 2


@pytest.mark.parametrize("table, field", [
    (pd.DataFrame({"lamda": [0.1]}), "lamda"),
    (pd.DataFrame({"lam": [0.1, np.nan]}), "lam"),
    (pd.DataFrame({"lam": [0.1, 7.0]}), "params.lam"),
])
def test_bad_draws_stop_with_the_column(tmp_path, table, field):
    path = tmp_path / "draws.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_draws({**GOLDSTEIN, "draws": str(path)})
    assert err.value.field == field and str(path) in err.value.where


def test_missing_draws_file_says_what_to_do(tmp_path):
    with pytest.raises(InputError, match="params=point"):
        read_draws({**GOLDSTEIN, "draws": str(tmp_path / "none.csv")})


START = parse_month("2017-01", "test", "start")
INDEX = {"AAA": 0, "BBB": 1}


def effect(op, threshold, scenario="freeze"):
    return Fact("eff", "", "effect", (("AAA", "BBB"),), (parse_month("2018-01", "t", "d"),), op,
                threshold, "doc.txt", scenario)


def test_effect_facts_are_checked_only_with_their_scenario():
    probes = fact_probes([effect(">", 0.05)], INDEX, START, 24)
    assert probes.checked.tolist() == [False] and probes.inside.tolist() == [True]
    reference = np.zeros((4, 1))
    scenario = np.array([[0.1], [0.2], [0.0], [0.06]])
    margins = effect_margins(probes, reference, scenario, "freeze")[:, 0]
    assert margins == pytest.approx([0.05, 0.15, -0.05, 0.01])
    assert np.isnan(effect_margins(probes, reference, scenario, "other")).all()
    plain = fact_report(probes, reference, 0.75)["facts"][0]
    assert plain["met"] is None and "freeze" in plain["note"]
    ran = fact_report(probes, reference, 0.75, ("freeze", reference, scenario))["facts"][0]
    assert ran["met"] is True and ran["fraction"] == 0.75
    assert fact_report(probes, reference, 0.76, ("freeze", reference, scenario))["facts"][0]["met"] is False


def test_effect_fact_needs_its_scenario(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text("facts:\n  - {id: e, kind: effect, pairs: [[AAA, BBB]], dates: ['2018-01'], "
                    "op: '>', threshold: 0.0, source_doc: x}\n")
    with pytest.raises(InputError) as err:
        load_facts(path, ("AAA", "BBB"))
    assert err.value.field == "scenario"


def test_seed_facts_hold_the_freeze_effects_on_russia_and_china():
    facts = {f.id: f for f in load_facts(ROOT / "seeds" / "facts.yaml", ("USA", "PAK", "RUS", "CHN", "IND"))}
    pairs = {f.pairs[0] for f in facts.values() if f.kind == "effect" and f.scenario == "aid_freeze"}
    assert {("PAK", "RUS"), ("PAK", "CHN")} <= pairs


def test_count_summary_totals_per_type_then_per_pair():
    counts = np.zeros((2, 3, 3, len(ACTION_TYPES)), dtype=np.int64)
    counts[0, 0, 1, 2] = 3
    counts[0, 2, 0, 0] = 1
    counts[1, 1, 2, 2] = 7
    x = count_summary(counts)
    assert x.shape == (2, len(ACTION_TYPES) + 6)
    assert np.expm1(x[0, :len(ACTION_TYPES)]).round().tolist()[:3] == [1, 0, 3]
    # pairs off the diagonal row by row: 0->1, 0->2, 1->0, 1->2, 2->0, 2->1
    assert np.expm1(x[0, len(ACTION_TYPES):]).round().tolist() == [3, 0, 0, 0, 1, 0]
    assert np.expm1(x[1, len(ACTION_TYPES):]).round().tolist() == [0, 0, 0, 7, 0, 0]


def test_calibrated_shares_cover_at_their_levels_and_a_biased_posterior_does_not():
    rng = np.random.default_rng(11)
    truth = rng.standard_normal((4000, 2))
    # posterior of a normal mean seen with unit noise: calibrated by construction
    seen = truth + rng.standard_normal(truth.shape)
    draws = seen / 2 + rng.standard_normal((300, *truth.shape)) * np.sqrt(0.5)
    table = coverage_table(shares(draws, truth), ["a", "b"])
    assert table.ok_50.all() and table.ok_90.all()
    overconfident = coverage_table(shares(seen / 2 + 0.3 * (draws - seen / 2), truth), ["a", "b"])
    assert not overconfident.ok_50.any() and not overconfident.ok_90.any()


def test_sobol_bounds_can_come_from_the_posterior(compose_config):
    from sim.config.compose import with_experiments
    from sim.studies.sensitivity import check_settings

    cfg = compose_config(with_experiments(["+experiment=sobol", "sensitivity.bounds_from=posterior"]))
    draws = pd.DataFrame({"affinity": np.linspace(1.0, 2.0, 101), "lam": np.linspace(0.01, 0.2, 101)})
    names, bounds = check_settings(cfg.sensitivity, draws)
    assert bounds[names.index("affinity")] == pytest.approx([1.05, 1.95])
    assert bounds[names.index("lam")] == pytest.approx([0.0195, 0.1905])  # over the study's box
    assert bounds[names.index("beta")] == [0.0, 0.3]  # not drawn: the study's box
    with pytest.raises(InputError, match="params=posterior"):
        check_settings(cfg.sensitivity, None)


def test_runs_say_what_their_intervals_hold_and_check_effect_facts(compiled, compose_config, tmp_path):
    from sim.run.run import run

    quick = ["replicates=12", "output.quantile_bins=0"]
    summary = run(compose_config(["+scenario=aid_freeze", *quick]), tmp_path / "posterior", progress=False)
    assert summary["effect_interval"] == "parameter uncertainty and model noise"
    effects = [f for f in summary["facts"] if f["kind"] == "effect"]
    assert effects and all(f["met"] is not None for f in effects)
    summary = run(compose_config(["params=point", "+scenario=aid_freeze", *quick]), tmp_path / "point",
                  progress=False)
    assert summary["effect_interval"] == "model noise only"
    summary = run(compose_config(quick), tmp_path / "history", progress=False)
    assert all(f["met"] is None for f in summary["facts"] if f["kind"] == "effect")


def calibration_config(*overrides):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose("calibrate", overrides=list(overrides))


def test_holdout_splits_the_facts_and_the_counted_months(compose_config):
    from sim.studies.calibration.evidence import build_problem, catalogue_counts, evidence_names

    compose_config()  # the schema and resolvers
    whole = build_problem(calibration_config())
    split = build_problem(calibration_config("calibration.holdout=2017-01"))
    assert split.variants == ("history", "history:held_out", "aid_freeze")
    facts = split.probes.facts
    assert all(max(facts[f].months) < parse_month("2017-01", "t", "d") for f in split.facts)
    assert all(max(facts[f].months) >= parse_month("2017-01", "t", "d") for f in split.held_out_facts)
    assert sorted([*split.facts, *split.held_out_facts]) == list(whole.facts)
    assert (catalogue_counts(split) + catalogue_counts(split, held_out=True) == catalogue_counts(whole)).all()
    counts = [n for n in evidence_names(whole) if n.startswith("count:")]
    assert evidence_names(split, held_out=True)[len(split.held_out_facts):] == counts
    # the measured series end at 2015-12 either way: the split's evidence keeps them whole
    assert split.measured.names() == whole.measured.names()
    assert evidence_names(whole, held_out=True) == [] and len(whole.held_out_facts) == 0
