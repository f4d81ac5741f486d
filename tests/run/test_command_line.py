"""Command-line mistakes that Hydra would answer with its multi-line errors, a stack trace
or an argparse usage text stop with one line and exit code 2, before anything is written:
in-process through the checks, and end to end for each class."""

import pytest
from support import ROOT, start_sim

from sim.config.compose import job_config, with_experiments
from sim.errors import InputError

OUTPUTS = ("trajectories.parquet", "effects.parquet", "summary.json", "figures", ".hydra")


def job_error(argv) -> InputError:
    with pytest.raises(InputError) as info:
        job_config(argv)
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("argv,words", [
    (["params.weights.aidd=1"], ["params.weights.aidd", "not a setting", "aid_cut"]),
    (["scenario=aid_freeze"], ["+scenario=aid_freeze"]),
    (["+seed=3"], ["seed", "remove + prefix"]),
    (["+params=goldstein"], ["params", "chosen by default", "params=NAME"]),
    (["++scenario=aid_freeze"], ["+scenario=aid_freeze"]),
    (["+scenario=aid_freeze", "+scenario=no_cpec"], ["scenario", "twice"]),
    (["+experiment=aid_freeze_sweep", "+scenario=no_cpec"], ["scenario", "aid_freeze_sweep"]),
    (["+params.lamda=0.1"], ["params.lamda", "not a setting of params", "lam"]),
    (["++params.lamda=0.1"], ["params.lamda"]),
    (["--replicates", "50"], ["--replicates", "replicates=50"]),
    (["--seed=3"], ["seed=3"]),
    (["-m", "seed=1,abc"], ["seed", "abc"]),
])
def test_mistake_in_an_override(argv, words):
    with pytest.raises(InputError) as info:
        job_config(argv)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize("argv,words", [
    (["scenario.amount_usd=4e9"], ["scenario.amount_usd", "+scenario=NAME", "aid_freeze"]),
    (["-m", "scenario.date=2017-06,2018-01"], ["+scenario=NAME"]),
    (["sensitivity.samples=4"], ["sensitivity", "+experiment=sobol"]),
])
def test_key_of_a_section_nothing_chose(argv, words):
    err = job_error(argv)
    for word in words:
        assert word in str(err), (word, str(err))


@pytest.mark.parametrize("argv", [
    ["+scenario=aid_freeze", "scenario.amount_usd=4e9", "replicates=10"],
    ["-m", "+scenario=aid_freeze,no_cpec", "scenario.amount_usd=1e9"],
    ["-m", "+experiment=aid_freeze_sweep", "seed=0"],
    ["+experiment=sobol", "sensitivity.samples=4"],
    ["+params.weights.visit2=1.0", "params.weights.aid=7"],
    ["++seed=3", "params=goldstein", "--cfg", "job"],
])
def test_correct_command_lines_compose(argv):
    cfg = job_config(argv)
    assert cfg.replicates >= 1 and cfg.hydra.run.dir


def test_sensitivity_keys_pass_the_check_with_the_default_study():
    """`python -m sim.sensitivity sensitivity.samples=...` checks its command line with the
    study it adds, so the section's keys are taken on their schema."""
    from sim.studies.sensitivity import with_study

    assert job_config(with_study(["sensitivity.samples=512"])).sensitivity.samples == 512
    with pytest.raises(InputError):
        job_config(with_study(["sensitivity.samples=many"]))


def test_flags_go_before_the_overrides_with_the_experiments_last():
    argv = with_experiments(["a=1", "-m", "b=2", "--cfg", "job", "c=3"])
    assert argv[:6] == ["-m", "--cfg", "job", "a=1", "b=2", "c=3"]
    assert argv[6].startswith("hydra.searchpath=") and len(argv) == 7


# --- end to end ----------------------------------------------------------------------------

def latin1_actors(tmp):
    path = tmp / "actors.yaml"
    path.write_bytes((ROOT / "seeds" / "actors.yaml").read_text(encoding="utf-8")
                     .replace("United States", "\u00c9tats-Unis").encode("latin-1"))
    return [f"data.actors={path}"]


def own_catalogue_naming(tmp, state):
    path = tmp / "mine.csv"
    path.write_text("id,date,source,target,type,magnitude,unit,cameo,source_doc,note\n"
                    f"mine_1,2016-03,PAK,{state},visit,1,level,,mine,a visit\n")
    return [f"data.extra_events=[{path}]"]


def own_facts_naming(tmp, state):
    path = tmp / "facts.yaml"
    path.write_text(f"facts:\n  - {{id: mine, kind: level, pairs: [[PAK, {state}]], "
                    "dates: ['2015-01'], op: '>', threshold: 0.0, source_doc: mine}\n")
    return [f"data.facts={path}"]


def under_a_file(tmp):
    (tmp / "afile").write_text("")
    return [f"hydra.run.dir={tmp / 'afile' / 'run'}"]


CLI_CASES = {
    "misspelt_weight_key": (lambda tmp: ["params.weights.aidd=1"], ["params.weights.aidd"]),
    "group_without_plus": (lambda tmp: ["scenario=aid_freeze"], ["+scenario"]),
    "plus_on_existing_key": (lambda tmp: ["+seed=3"], ["seed", "remove + prefix"]),
    "group_twice": (lambda tmp: ["+scenario=aid_freeze", "+scenario=no_cpec"], ["twice"]),
    "key_of_unchosen_group": (lambda tmp: ["scenario.amount_usd=4e9"], ["+scenario=NAME"]),
    "key_of_unchosen_section": (lambda tmp: ["sensitivity.samples=4"], ["experiment=sobol"]),
    "argparse_style_flag": (lambda tmp: ["--replicates", "50"], ["replicates=50"]),
    "unknown_params_key": (lambda tmp: ["+params.lamda=0.1"], ["params.lamda"]),
    "ensemble_beyond_memory": (lambda tmp: ["replicates=1000000000"], ["replicates", "memory"]),
    "latin1_actors_file": (latin1_actors, ["actors.yaml", "encoding", "line 8"]),
    "run_dir_not_writable": (under_a_file, ["afile", "cannot be written"]),
    "own_catalogue_unknown_state": (lambda tmp: own_catalogue_naming(tmp, "XYZ"),
                                    ["mine.csv:2", "unknown state 'XYZ'"]),
    "own_facts_unknown_state": (lambda tmp: own_facts_naming(tmp, "XYZ"),
                                ["facts.yaml", "unknown state 'XYZ'"]),
    "unused_scenario_setting": (lambda tmp: ["+scenario=no_visits", "scenario.factor=2"],
                                ["scenario.factor", "no_visits"]),
}


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Every case started at once; case -> (process, stdout, stderr, its directory)."""
    started = {}
    for name, (args, _) in CLI_CASES.items():
        tmp = tmp_path_factory.mktemp(name)
        argv = [f"hydra.run.dir={tmp / 'run'}", f"hydra.sweep.dir={tmp / 'sweep'}", *args(tmp)]
        started[name] = (start_sim(argv, tmp), tmp)
    return {name: (proc, *proc.communicate(timeout=240), tmp)
            for name, (proc, tmp) in started.items()}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_mistake_ends_in_one_line_and_nothing_written(cli_runs, case):
    proc, out, err, tmp = cli_runs[case]
    assert proc.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for word in CLI_CASES[case][1]:
        assert word in lines[0], (word, lines[0])
    assert not (tmp / "run").exists() and not (tmp / "sweep").exists()
    assert not [p for name in OUTPUTS for p in tmp.rglob(name)]
