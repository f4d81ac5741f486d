"""A run split into blocks of replicates across jobs and merged writes what one run of all
the replicates writes: the blocks' sums and counts are integers, their per-replicate values
joined in replicate order (posterior draws, kept replicates and facts included)."""

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf
from support import run_directory, run_sim, sim_env

from sim.errors import InputError
from sim.run.blocks import block_jobs, merge_blocks
from sim.run.run import block_range, run

OVERRIDES = ["+scenario=aid_freeze", "replicates=11", "seed=5", "output.keep_replicates=4"]
SAME = ("final_mean", "effects", "facts", "facts_met", "catalogues", "events_used")


def tables(directory):
    return {name: pd.read_parquet(directory / f"{name}.parquet")
            for name in ("trajectories", "effects")}


def block_job(compose_config, job, index, count):
    """A job directory as Hydra leaves it, with the block's outputs."""
    overrides = [*OVERRIDES, f"block.count={count}", f"block.index={index}"]
    cfg = compose_config(overrides)
    (job / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, job / ".hydra" / "config.yaml")
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    return run(cfg, job, overrides=overrides, progress=False)


def test_blocks_cover_the_replicates_once():
    ranges = [block_range(11, k, 4) for k in range(4)]
    assert [r.start for r in ranges] == [0, 2, 5, 8] and ranges[-1].stop == 11


def test_merged_blocks_are_the_whole_run(compiled, compose_config, tmp_path):
    whole = run(compose_config(OVERRIDES), tmp_path / "whole", overrides=OVERRIDES, progress=False)
    for k in range(3):
        summary = block_job(compose_config, tmp_path / "sweep" / str(k), k, 3)
        assert summary["block"]["first"] == block_range(11, k, 3).start
    groups = block_jobs(tmp_path / "sweep")
    assert list(groups) == [tuple(OVERRIDES)]
    merged = merge_blocks(groups[tuple(OVERRIDES)], tmp_path / "merged", OVERRIDES)
    for key in SAME:
        assert merged[key] == whole[key], key
    for name, table in tables(tmp_path / "whole").items():
        pd.testing.assert_frame_equal(tables(tmp_path / "merged")[name], table, check_exact=True)


def test_a_missing_block_is_named(compiled, compose_config, tmp_path):
    block_job(compose_config, tmp_path / "sweep" / "0", 0, 2)
    with pytest.raises(InputError) as caught:
        block_jobs(tmp_path / "sweep")
    assert caught.value.field == "block.index" and "[0] of 2" in str(caught.value)


def test_a_sweep_of_blocks_on_the_local_launcher_merges(compiled, tmp_path):
    args = ["+scenario=aid_freeze", "replicates=6", "seed=2"]
    sweep = tmp_path / "sweep"
    jobs = run_sim(["-m", *args, "block.count=2", "block.index=0,1", f"hydra.sweep.dir={sweep}"],
                   tmp_path)
    assert jobs.returncode == 0, jobs.stderr
    merged = subprocess.run([sys.executable, "-m", "sim.merge", str(sweep)], cwd=tmp_path,
                            env=sim_env(), capture_output=True, text=True, timeout=240)
    assert merged.returncode == 0, merged.stderr
    assert run_directory(merged.stdout) == sweep / "merged"
    whole = run_sim([*args, f"hydra.run.dir={tmp_path / 'whole'}"], tmp_path)
    assert whole.returncode == 0, whole.stderr
    one, two = (json.loads((d / "summary.json").read_text())
                for d in (tmp_path / "whole", sweep / "merged"))
    assert one["effects"] == two["effects"] and one["final_mean"] == two["final_mean"]
    pd.testing.assert_frame_equal(tables(sweep / "merged")["effects"],
                                  tables(tmp_path / "whole")["effects"], check_exact=True)


def test_a_crafted_or_wrong_sweep_given_to_merge_is_one_line(tmp_path, capsys):
    """A block sweep is someone else's data: its .hydra files are read within the YAML
    bounds (an alias bomb in config.yaml stops at once), a path that is not a directory
    and a usage mistake end in one line, exit code 2."""
    from sim.run.blocks import main

    job = tmp_path / "sweep" / "0"
    (job / ".hydra").mkdir(parents=True)
    (job / "block.npz").write_bytes(b"")
    (job / ".hydra" / "overrides.yaml").write_text("- block.index=0\n- block.count=1\n")
    lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]" for k in range(1, 9)]
    (job / ".hydra" / "config.yaml").write_text("\n".join(lines) + "\n")
    (tmp_path / "pipe").touch()
    cases = [([str(tmp_path / "sweep")], ["config.yaml", "aliases"]),
             ([str(tmp_path / "pipe")], ["not a directory"]),
             ([], ["arguments", "--help"])]
    for argv, words in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "\n" not in err, err
        assert all(word in err for word in words), (words, err)
    assert not (tmp_path / "sweep" / "merged").exists()
