"""A line on stderr for a step the user would otherwise wait through in silence: said once the
step has lasted WAIT_SECONDS, and its time when it ends. A quick step says nothing, and
stdout keeps to the report, so a run's printed answer stays the same bytes."""

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

WAIT_SECONDS = 2.0


@contextmanager
def waiting(what: str, show: bool = True, after: float | None = None,
            stream: TextIO | None = None) -> Iterator[threading.Event]:
    """Around a step that may be slow: 'WHAT ...' on `stream` (stderr) once it has run
    `after` seconds (default WAIT_SECONDS; 0: at once), then 'WHAT: done in 12.3 s'
    (nothing more if it fails). Yields the event set when the first line is out. Lines go
    through tqdm.write, which keeps a progress bar drawn below them."""
    said = threading.Event()
    if not show:
        yield said
        return
    out = sys.stderr if stream is None else stream
    lock = threading.Lock()
    ended = False
    clock = time.perf_counter()

    def say() -> None:
        with lock:
            if not ended:
                tqdm.write(f"{what} ...", file=out)
                out.flush()
                said.set()

    def end() -> None:
        nonlocal ended
        with lock:
            ended = True
            timer.cancel()

    after = WAIT_SECONDS if after is None else after
    timer = threading.Timer(after, say)
    timer.daemon = True  # a run that stops (Ctrl-C) does not wait for it
    if after > 0:
        timer.start()
    else:
        say()
    try:
        yield said
    except BaseException:
        end()
        raise
    end()
    if said.is_set():
        tqdm.write(f"{what}: done in {time.perf_counter() - clock:.1f} s", file=out)
        out.flush()
