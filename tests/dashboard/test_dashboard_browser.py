"""The dashboard in a real headless Chromium (pytest-playwright): `python -m sim.dashboard`
serves it, the page's answer is `python -m sim`'s on the same keys (its effect table read from
the page, entry by entry) before and after each change, a control changes the figure, a bad
value shows its message beside the control, the Mesa replicate steps, and the browser reports
no error. A screenshot is kept under test-results/
(and the page as it opens to $SIM_DASHBOARD_SCREENSHOT, when set: how docs/dashboard.png is
made).

Playwright drives the system's Chromium (Debian's `chromium`, or $CHROMIUM), or the one
`playwright install chromium` brings; without any, the tests skip (in CI they fail)."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from support import ROOT, run_directory, run_sim, sim_env

pytest.importorskip("solara", reason="the dashboard extra is not installed (pip install -e '.[dashboard]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 120  # the server's start; its first run may load the compiled kernel
RUN_TIMEOUT_MS = 300_000  # a run on a busy 2-core machine, the kernel loaded on first use
VIEWPORT = {"width": 1400, "height": 900}


def system_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def playwright_chromium() -> str | None:
    with sync_api.sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = system_chromium() or playwright_chromium()
    if path is None:
        reason = ("no Chromium to drive: install Debian's chromium (apt-get install chromium), "
                  "set $CHROMIUM to a Chromium binary, or run `playwright install chromium`")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium):
    """pytest-playwright's launch arguments, pointed at the Chromium found."""
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture(scope="module")
def dashboard_url(compiled, tmp_path_factory):
    """`python -m sim.dashboard --port 0` running (output to a file, so it never blocks on a
    full pipe); the address it printed, once it answers."""
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "sim.dashboard", "--port", "0"],
                                  cwd=ROOT, env=sim_env(), stdout=out, stderr=subprocess.STDOUT,
                                  text=True)
    try:
        yield wait_for_server(server, log)
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for_server(server: subprocess.Popen, log: Path) -> str:
    """The printed address; the server prints it once it listens, so it answers at once."""
    deadline = time.monotonic() + START_TIMEOUT_S
    pause = threading.Event()
    while True:
        assert server.poll() is None, "the dashboard stopped: " + log.read_text()
        assert time.monotonic() < deadline, "no address in time: " + log.read_text()
        match = re.search(r"Dashboard: (http://\S+)", log.read_text())
        if match:
            assert log.read_text().count("http://") == 1, log.read_text()  # no address before
            with urllib.request.urlopen(match.group(1), timeout=30) as response:
                assert response.status == 200  # listening when it said so
            return match.group(1)
        pause.wait(0.2)


NUMBER = re.compile(r"[0-9]{4}-[0-9]{2}|[+-]?[0-9][0-9.]*%?|‡")  # as printed: 2018-03 -0.0834 86% ‡


def redraw_text(page) -> str:
    return page.locator(".redraw-time").inner_text(timeout=RUN_TIMEOUT_MS)


def command_shown(page) -> str:
    return page.locator("code.command").inner_text(timeout=RUN_TIMEOUT_MS)


def wait_for_answer(page, before: str) -> str:
    """Until the page answers a command other than `before` (every change of the choices
    changes the command it names); that command."""
    page.wait_for_function("([before]) => { const e = document.querySelector('code.command');"
                           " return e !== null && e.innerText !== before"
                           " && document.querySelector('.redraw-time') !== null; }",
                           arg=[before], timeout=RUN_TIMEOUT_MS)
    return command_shown(page)


def wait_for_figure(page, css: str, before: str | None) -> str:
    """Until the figure `css` is drawn for the run shown and is not `before` (its src)."""
    page.wait_for_function("([css, before]) => { const e = document.querySelector('img.' + css"
                           " + '.current'); return e !== null && e.src !== before; }",
                           arg=[css, before], timeout=RUN_TIMEOUT_MS)
    return page.locator(f"img.{css}").get_attribute("src")


def enter(page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")


def watch(page) -> list[str]:
    """Errors the browser reports while the test runs: console errors, page errors and
    answers of 400 and above (a missing script or font)."""
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    return problems


def console_answer(overrides: list[str], cwd: Path) -> tuple[list[str], dict]:
    """(the printed answer without the run directory, summary.json) of `python -m sim`, run
    where the page's server runs (paths print relative to it), into a folder of `cwd`."""
    out = cwd / f"run_{len(list(cwd.glob('run_*')))}"
    proc = run_sim([*overrides, f"hydra.run.dir={out}"], ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("Run directory:")]
    summary = json.loads((run_directory(proc.stdout) / "summary.json").read_text())
    return lines, summary


def printed_table(lines: list[str]) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """The console's answer: (lines before its effect table, pair -> the numbers of its line
    as printed, lines after)."""
    head = next(k for k, line in enumerate(lines) if line.startswith("  pair "))
    rows, k = {}, head + 1
    while k < len(lines) and " -> " in lines[k]:
        pair, rest = lines[k][2:].split(None, 3)[0:3:2], lines[k][2:].split(None, 3)[3]
        rows["->".join(pair)] = NUMBER.findall(rest)
        k += 1
    return lines[:head], rows, lines[k:]


def page_table(page) -> dict[str, list[str]]:
    """The page's effect table: pair -> its cells' numbers in the console's order (at 12
    months, the peak's date and the peak, summed)."""
    rows = page.locator("table.effect-table tr[data-pair]").evaluate_all(
        "rows => rows.map(r => [r.dataset.pair, r.dataset.when,"
        " Array.from(r.querySelectorAll('td')).map(c => c.innerText)])")
    table: dict[str, list[str]] = {}
    for pair, when, (_, entry, *numbers) in rows:
        date = [entry.removeprefix("peak, ")] if when == "peak" else []
        table.setdefault(pair, []).extend(date + NUMBER.findall(" ".join(numbers)))
    return table


def overflowing(page) -> list[str]:
    """The answer's blocks, its table and the figures that reach past the window's right edge
    or scroll sideways inside."""
    return page.evaluate("() => Array.from(document.querySelectorAll('pre.answer, "
                         "table.effect-table, img.solara-image')).filter(e => "
                         "e.getBoundingClientRect().right > window.innerWidth || "
                         "e.scrollWidth > e.clientWidth + 1).map(e => e.className)")


def download_summary(page, tmp_path: Path) -> dict:
    with page.expect_download() as download:
        page.get_by_role("button", name="summary.json").click()
    path = tmp_path / f"page_{len(list(tmp_path.glob('page_*')))}.json"
    download.value.save_as(path)
    return json.loads(path.read_text())


def assert_agrees(page, overrides: list[str], tmp_path: Path) -> list[str]:
    """The page's answer is what `python -m sim OVERRIDES` prints: its lines, and its effect
    table read from the page's cells, entry by entry to the printed digit; its summary.json
    equals the command's to the last bit. The compared entries, as 'pair: numbers'."""
    printed, expected = console_answer(overrides, tmp_path)
    before, rows, after = printed_table(printed)
    assert page.locator("pre.answer-before").inner_text().splitlines() == before
    assert page.locator("pre.answer-after").inner_text().splitlines() == after
    table = page_table(page)
    assert list(table) == list(rows)  # the same pairs in the same order
    for pair, numbers in rows.items():
        assert table[pair] == numbers, pair
    summary = download_summary(page, tmp_path)
    assert summary["effects"] == expected["effects"]  # every entry, float for float
    assert summary["effect_interval"] == expected["effect_interval"]
    assert summary["facts"] == expected["facts"]
    return [f"{pair}: {' '.join(numbers)}" for pair, numbers in rows.items()]


def test_page_agrees_with_the_command_line(page, dashboard_url, tmp_path, output_path):
    """The first answer is `python -m sim +scenario=aid_freeze`'s (the page's defaults are the
    command line's); a changed amount, another parameter set and a moved slider each give the
    console's answer on the matching keys. The times (from the change in the browser to the
    answer, and to the effect figure) go to the log and test-results/dashboard-timings.txt:
    measured, not asserted."""
    problems = watch(page)
    log = []
    clock = time.perf_counter()
    page.goto(dashboard_url)
    command = wait_for_answer(page, "")
    answered = time.perf_counter() - clock
    figure = wait_for_figure(page, "figure-effect", None)
    log.append(f"first load: answer {answered:.1f} s, effect figure "
               f"{time.perf_counter() - clock:.1f} s ({redraw_text(page)})")
    assert command == "python -m sim +scenario=aid_freeze"  # nothing set that the user did not
    assert overflowing(page) == [], "needs a horizontal scroll at 1400 px"
    if os.environ.get("SIM_DASHBOARD_SCREENSHOT"):  # the README's: the page as it opens
        page.screenshot(path=os.environ["SIM_DASHBOARD_SCREENSHOT"], full_page=False)
    assert "Each replicate takes its own draw of the parameters from the posterior" in \
        page.locator(".interval-note").inner_text()
    overrides = ["+scenario=aid_freeze"]
    log += [f"  {entry}" for entry in assert_agrees(page, overrides, tmp_path)]

    def timed(what: str, action, keys) -> None:
        """Do `action`, time the answer, and compare it with the console on `keys(overrides
        so far)` (the overrides of what the action set)."""
        nonlocal command, figure, overrides
        clock = time.perf_counter()
        action()
        command = wait_for_answer(page, command)
        answered = time.perf_counter() - clock
        figure = wait_for_figure(page, "figure-effect", figure)
        log.append(f"{what}: answer {answered:.1f} s, effect figure "
                   f"{time.perf_counter() - clock:.1f} s in the browser ({redraw_text(page)}); "
                   f"{command}")
        overrides = keys(overrides)
        log.extend(f"  {entry}" for entry in assert_agrees(page, overrides, tmp_path))

    timed("amount changed", lambda: enter(page, "amount (US$)", "6e9"),
          lambda keys: [*keys, "scenario.amount_usd=6e9"])
    assert "scenario.amount_usd=6000000000.0" in command

    def choose_set():
        page.locator(".v-select", has_text="parameter set").locator(".v-select__slot").click()
        page.get_by_role("option", name="calibrated", exact=True).click()

    timed("parameter set changed", choose_set, lambda keys: [*keys, "params=calibrated"])
    assert "Every replicate runs the same parameter values" in \
        page.locator(".interval-note").inner_text()

    def move_slider():
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("ArrowRight")

    lam = page.locator(".param-value").first
    before = lam.inner_text()
    assert before.startswith("lam = ")
    timed("slider moved", move_slider,
          lambda keys: [*keys, f"params.lam={lam.inner_text().removeprefix('lam = ')}"])
    assert lam.inner_text() != before
    assert command.split()[3:] == ["+scenario=aid_freeze", "params=calibrated",
                                   "scenario.amount_usd=6000000000.0", overrides[-1]]

    def choose_scenario():
        page.locator(".v-select", has_text="scenario").first.locator(".v-select__slot").click()
        page.get_by_role("option", name="russia_arms", exact=True).click()

    # another scenario: its own keys, the parameters as they were
    timed("scenario changed", choose_scenario,
          lambda keys: ["+scenario=russia_arms", *(k for k in keys if k.startswith("params"))])
    Path(output_path).mkdir(parents=True, exist_ok=True)
    (Path(output_path) / "dashboard-timings.txt").write_text("\n".join(log) + "\n")
    print("\n".join(log))
    page.screenshot(path=Path(output_path) / "dashboard-answer.png")
    assert problems == [], "\n".join(problems)


def test_page_redraws_and_shows_bad_values(page, dashboard_url, output_path):
    problems = watch(page)
    page.goto(dashboard_url)
    before = wait_for_answer(page, "")
    assert "1,000 replicates" in redraw_text(page)
    effect = page.locator("img.figure-effect")
    old_source = wait_for_figure(page, "figure-effect", None)
    old_pixels = effect.screenshot()

    enter(page, "amount (US$)", "6e9")
    shown = wait_for_answer(page, before)
    wait_for_figure(page, "figure-effect", old_source)
    assert effect.screenshot() != old_pixels, "the effect figure did not change"

    enter(page, "amount (US$)", "-1")
    message = page.locator(".error-amount_usd")
    message.wait_for(timeout=RUN_TIMEOUT_MS)
    assert "must be an amount of US dollars > 0" in message.inner_text()
    enter(page, "focus state (code)", "XYZ")
    page.locator(".error-focus").wait_for(timeout=RUN_TIMEOUT_MS)
    assert "unknown state 'XYZ'" in page.locator(".error-focus").inner_text()
    assert "Traceback" not in page.inner_text("body")
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=Path(output_path) / "dashboard-bad-values.png", full_page=True)

    enter(page, "focus state (code)", "")
    enter(page, "amount (US$)", "2e9")
    wait_for_answer(page, shown)
    assert page.locator(".error-amount_usd").count() == 0  # the page works again
    page.locator(".redraw-time").scroll_into_view_if_needed()  # the answer, then its figure
    page.screenshot(path=Path(output_path) / "dashboard.png", full_page=False)
    for tab, image in (("Trajectories", "img.figure-trajectories"),
                       ("Events", "img.figure-timeline")):
        page.get_by_role("tab", name=tab).click()
        page.locator(image).wait_for(timeout=RUN_TIMEOUT_MS)
        page.screenshot(path=Path(output_path) / f"dashboard-{tab.lower()}.png", full_page=False)
    assert problems == [], "\n".join(problems)


def test_mesa_replicate_steps_and_resets(page, dashboard_url):
    problems = watch(page)
    page.goto(dashboard_url)
    wait_for_answer(page, "")
    page.get_by_text("One replicate (Mesa)").click()
    step = page.locator(".replicate-step")
    step.wait_for(timeout=RUN_TIMEOUT_MS)
    assert "step 0 of 119" in step.inner_text()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"step 1 of 119")).wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(re.compile(r"step 0 of 119")).wait_for(timeout=RUN_TIMEOUT_MS)
    assert problems == [], "\n".join(problems)
