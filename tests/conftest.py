"""Shared fixtures: a warmed-up kernel, and Hydra's compose API on the project's configs."""

import os
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hypothesis import settings
from omegaconf import DictConfig, OmegaConf
from support import CONFIG_DIR, make_schedule, rate_rows, weight_rows

from sim.config.schema import register
from sim.model.ensemble import simulate

# CI runs the property tests on hypothesis's fixed sequence of examples, so that a CI result
# can be reproduced; a developer's runs draw new examples each time.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def compiled() -> bool:
    """Compile (or load from numba's cache) the ensemble kernel once per session."""
    alignment = np.array([[0.0, 0.5, -0.3], [0.2, 0.0, 0.1], [-0.4, 0.6, 0.0]])
    schedule = make_schedule(3, [(0, 0, 1, 0, 1.0)], [])
    ens = simulate(alignment, np.ones(3), schedule, rate_rows(2, lam=0.1, beta=0.1, sigma=0.1),
                   weight_rows(2), 1, probe_step=[1], probe_i=[0], probe_j=[1], keep=2)
    assert np.isfinite(ens.mean).all()
    return True


def _initialised() -> None:
    register()
    if not OmegaConf.has_resolver("sim_run_id"):
        OmegaConf.register_new_resolver("sim_run_id", lambda: "tests")


@pytest.fixture(scope="session")
def compose_config() -> Callable[..., DictConfig]:
    """compose_config(overrides) -> the run configuration Hydra would compose for them."""
    _initialised()

    def make(overrides: Sequence[str] = ()) -> DictConfig:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name="config", overrides=list(overrides))

    return make
