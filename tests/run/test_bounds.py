"""model.bounds: the clip kept as an option gives main's outputs to the bit; a bounds form
the schema does not know stops with one line."""

import hashlib

import pandas as pd
import pytest

from sim.config.compose import job_config
from sim.errors import InputError
from sim.run.run import run

# A fixed run: its tables' values hashed on main at 7543f39 (before the bounded forms), where
# the clip was the only form. `params=calibrated` (a committed point set a refit does not
# touch) has the states act and reaches the clip: 60 values of its trajectories sit at +-1.
# `data.measured=[]`: main's record, without the US aid changes the default record has since.
FIXED_RUN = ["+scenario=aid_freeze", "replicates=64", "start=2016-01", "end=2019-06",
             "params=calibrated", "data.measured=[]"]
MAIN_DIGEST = "96391f16e4b2ca1288da49bdf13b7155f58904bd39cb741073019d47b28af1ab"
EFFECT_COLUMNS = ("mean", "p05", "p25", "p50", "p75", "p95")  # the columns main wrote


def pivot_order(effects: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """effects.parquet's rows in the order main's table had (a pivot's: per step and source,
    the targets in the order they first appear, codes[1:] then codes[0]); the table is now
    in matrix order, the same rows."""
    rank = {code: k for k, code in enumerate([*codes[1:], codes[0]])}
    key = effects.assign(source_k=effects["source"].map(codes.index),
                         target_k=effects["target"].map(rank))
    return effects.loc[key.sort_values(["step", "source_k", "target_k"]).index]


def tables_digest(out_dir) -> str:
    digest = hashlib.sha256()
    trajectories = pd.read_parquet(out_dir / "trajectories.parquet")
    digest.update(trajectories["value"].to_numpy().tobytes())
    codes = list(dict.fromkeys(trajectories["source"]))
    effects = pivot_order(pd.read_parquet(out_dir / "effects.parquet"), codes)
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


def test_an_unknown_bounds_form_is_one_line():
    """model.bounds is an Enum of the schema: the command line's checks name its choices."""
    with pytest.raises(InputError, match="model.bounds.*tanh, heider, clip"):
        job_config(["model.bounds=soft"])
