"""The European alliances study (experiments/europe): it ends in the two blocs of 1914 under
both forms of the balance term, and its figure is drawn."""

import importlib.util

import numpy as np
import pytest
from support import ROOT

from sim.config.compose import with_experiments
from sim.errors import InputError
from sim.run.run import prepare, run, simulate_setup

ENTENTE, ALLIANCE = {"UKG", "FRN", "RUS"}, {"GMY", "AUH", "ITA"}


def load_plot():
    spec = importlib.util.spec_from_file_location("europe_plot", ROOT / "experiments" / "europe" / "plot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bloc_signs(codes) -> np.ndarray:
    """+1 for two states of the same bloc, -1 across, 0 on the diagonal."""
    same = np.array([[(a in ENTENTE) == (b in ENTENTE) for b in codes] for a in codes])
    signs = np.where(same, 1.0, -1.0)
    np.fill_diagonal(signs, 0.0)
    return signs


@pytest.mark.parametrize("experiment, balance", [("europe", "local"),
                                                ("europe_canonical", "canonical")])
def test_the_study_ends_in_the_two_blocs(compiled, compose_config, experiment, balance):
    cfg = compose_config(with_experiments([f"+experiment={experiment}", "replicates=200"]))
    assert cfg.model.balance == balance
    setup = prepare(cfg)
    assert setup.actors.codes == ("UKG", "FRN", "RUS", "GMY", "AUH", "ITA")
    assert setup.catalogue["date"].iloc[0].startswith("1872")  # dates before 1900 parse
    ens, _ = simulate_setup(setup, cfg, progress=False)
    final = ens.mean[0, -1]
    off = ~np.eye(len(setup.actors.codes), dtype=bool)
    assert (np.sign(final[off]) == bloc_signs(setup.actors.codes)[off]).all(), final.round(2)


def test_a_fast_decay_loses_the_blocs(compiled, compose_config):
    """The result rests on the rates: when every pair decays back toward its baseline within
    a couple of years (lam = 0.05), the treaties do not add up to the two blocs."""
    cfg = compose_config(with_experiments(["+experiment=europe", "replicates=50",
                                           "params.lam=0.05"]))
    setup = prepare(cfg)
    ens, _ = simulate_setup(setup, cfg, progress=False)
    final = ens.mean[0, -1]
    off = ~np.eye(len(setup.actors.codes), dtype=bool)
    assert not (np.sign(final[off]) == bloc_signs(setup.actors.codes)[off]).all()


def test_the_figure_is_drawn_from_a_run(compiled, compose_config, tmp_path):
    cfg = compose_config(with_experiments(["+experiment=europe", "replicates=20"]))
    run(cfg, tmp_path, progress=False)
    out = load_plot().draw(tmp_path, tmp_path / "europe.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_figure_refuses_a_directory_without_a_run(tmp_path):
    with pytest.raises(InputError, match="trajectories.parquet"):
        load_plot().draw(tmp_path, tmp_path / "europe.png")
