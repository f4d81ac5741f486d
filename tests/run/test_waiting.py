"""A step that takes a while says so on stderr, and its time when it ends; a quick one says
nothing; stdout never holds these lines."""

import io

import pytest

from sim.run import waiting as waiting_module
from sim.run.waiting import waiting


def test_a_slow_step_says_what_it_does_then_its_time():
    out = io.StringIO()
    with waiting("simulating", after=0.01, stream=out) as said:
        assert said.wait(timeout=120)  # the step lasts until the line is out
    lines = out.getvalue().splitlines()
    assert lines[0] == "simulating ..."
    assert lines[1].startswith("simulating: done in ") and lines[1].endswith(" s")
    assert len(lines) == 2


def test_a_quick_step_says_nothing():
    out = io.StringIO()
    with waiting("simulating", after=3600, stream=out) as said:
        pass
    assert out.getvalue() == "" and not said.is_set()


def test_a_step_that_fails_does_not_say_it_is_done():
    out = io.StringIO()
    with pytest.raises(ValueError), waiting("writing", after=0, stream=out):
        raise ValueError("disk full")
    assert out.getvalue().splitlines() == ["writing ..."]


def test_a_silent_step_says_nothing_at_once():
    out = io.StringIO()
    with waiting("simulating", show=False, after=0, stream=out) as said:
        pass
    assert out.getvalue() == "" and not said.is_set()


def test_a_run_says_each_of_its_steps_on_stderr_only(compiled, compose_config, tmp_path,
                                                    capsys, monkeypatch):
    """With every step counted as slow: the inputs, the simulation (what and how big), the
    statistics and the tables each get their line and their time, and stdout stays empty (the
    report is the caller's to print)."""
    from sim.run.run import run

    monkeypatch.setattr(waiting_module, "WAIT_SECONDS", 0)
    run(compose_config(["+scenario=aid_freeze", "replicates=20", "start=2017-01"]),
        tmp_path / "loud", progress=True)
    said = capsys.readouterr()
    assert said.out == ""
    lines = said.err.splitlines()
    for what in ("reading the inputs",
                 "simulating 20 replicates of 2 variants, 5 states, 2017-01..2019-12",
                 "the statistics of the replicates",
                 f"writing the tables into {tmp_path / 'loud'}"):
        assert f"{what} ..." in lines
        assert any(line.startswith(f"{what}: done in ") for line in lines), what
    run(compose_config(["+scenario=aid_freeze", "replicates=20", "start=2017-01"]),
        tmp_path / "quiet", progress=False)
    assert capsys.readouterr().err == ""
