"""Assertions shared by the tests of several commands."""


def assert_one_line_error(proc, *words: str) -> str:
    """A user mistake: exit code 2, no traceback, one line on stderr holding every word."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in (proc.stdout or "")
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
