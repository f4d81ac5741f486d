"""The README's sample output and anchors are a fresh run's (python docs/readme_sample.py)."""

import importlib.util

from support import ROOT


def test_the_readme_shows_what_the_default_run_prints(compiled, tmp_path):
    spec = importlib.util.spec_from_file_location("readme_sample", ROOT / "docs" / "readme_sample.py")
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    summary, traj = sample.default_run(tmp_path)  # the default: 1000 replicates, about 1 s
    readme = sample.README.read_text(encoding="utf-8")
    assert sample.with_samples(readme, summary, traj) == readme, "run python docs/readme_sample.py"
