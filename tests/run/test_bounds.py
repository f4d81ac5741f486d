"""model.bounds: the clip kept as an option gives main's outputs to the bit; a bounds form
the schema does not know stops with one line."""

import hashlib

import pandas as pd
import pytest

from sim.errors import InputError
from sim.run.run import prepare, run

# A fixed run: its tables' values hashed on main at 7543f39 (before the bounded forms), where
# the clip was the only form. `params=calibrated` (a committed point set a refit does not
# touch) has the states act and reaches the clip: 60 values of its trajectories sit at +-1.
FIXED_RUN = ["+scenario=aid_freeze", "replicates=64", "start=2016-01", "end=2019-06",
             "params=calibrated"]
MAIN_DIGEST = "96391f16e4b2ca1288da49bdf13b7155f58904bd39cb741073019d47b28af1ab"
EFFECT_COLUMNS = ("mean", "p05", "p25", "p50", "p75", "p95")  # the columns main wrote


def tables_digest(out_dir) -> str:
    digest = hashlib.sha256()
    digest.update(pd.read_parquet(out_dir / "trajectories.parquet")["value"].to_numpy().tobytes())
    effects = pd.read_parquet(out_dir / "effects.parquet")
    for column in EFFECT_COLUMNS:
        digest.update(effects[column].to_numpy().tobytes())
    return digest.hexdigest()


def test_clip_gives_the_outputs_of_main_bit_for_bit(compiled, compose_config, tmp_path):
    run(compose_config([*FIXED_RUN, "model.bounds=clip"]), tmp_path, progress=False)
    assert tables_digest(tmp_path) == MAIN_DIGEST


def test_the_bounded_default_differs_from_the_clip(compiled, compose_config, tmp_path):
    summary = run(compose_config(FIXED_RUN), tmp_path, progress=False)
    assert summary["model"]["bounds"] == "tanh"
    assert tables_digest(tmp_path) != MAIN_DIGEST


def test_an_unknown_bounds_form_is_one_line(compose_config):
    with pytest.raises(InputError, match="model.bounds.*tanh, heider, clip"):
        prepare(compose_config(["model.bounds=soft"]))
