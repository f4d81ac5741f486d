"""Provenance of a derived table: which source files (by SHA-256) and which command made it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from sim.data.files import atomic_write


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_commit(files: dict[str, Path], repository: str, known: dict[str, dict[str, str]]) -> str:
    """The commit of `repository` whose files (path in the repository -> SHA-256, `known`)
    are byte for byte the given ones (path in the repository -> local file); else a note."""
    digests = {name: sha256(path) for name, path in files.items()}
    for commit, expected in known.items():
        if all(expected.get(name) == digest for name, digest in digests.items()):
            return commit
    return (f"unknown: these files differ from those of the commits of {repository} the "
            "project checked; record the commit you downloaded")


def write_provenance(path: Path, record: dict) -> None:
    text = yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(path, lambda temp: Path(temp).write_text(text, encoding="utf-8"))
