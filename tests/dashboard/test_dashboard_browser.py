"""The dashboard in a real headless Chromium (pytest-playwright): `python -m sim.dashboard`
serves it, the page loads, a control changes the figure, a bad value shows its message
beside the control, and the Mesa replicate steps. A screenshot is kept under test-results/
(and written to $SIM_DASHBOARD_SCREENSHOT too, when set: how docs/dashboard.png is made).

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
            with urllib.request.urlopen(match.group(1), timeout=30) as response:
                assert response.status == 200  # listening when it said so
            return match.group(1)
        pause.wait(0.2)


def redraw_text(page) -> str:
    return page.locator(".redraw-time").inner_text(timeout=RUN_TIMEOUT_MS)


def wait_for_redraw(page, before: str) -> str:
    """Until the page shows a run other than the one `before` describes; its text."""
    page.wait_for_function("([before]) => { const e = document.querySelector('.redraw-time');"
                           " return e !== null && e.innerText !== before; }", arg=[before],
                           timeout=RUN_TIMEOUT_MS)
    return redraw_text(page)


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


def page_answer(page, tmp_path: Path) -> tuple[list[str], list[str], dict]:
    """(the command the page names, its answer's lines, its summary.json as downloaded)."""
    command = page.locator("code.command").inner_text().split()
    assert command[:3] == ["python", "-m", "sim"]
    with page.expect_download() as download:
        page.get_by_role("button", name="summary.json").click()
    path = tmp_path / f"page_{len(list(tmp_path.glob('page_*')))}.json"
    download.value.save_as(path)
    return command[3:], page.locator("pre.answer").inner_text().splitlines(), \
        json.loads(path.read_text())


def assert_agrees(page, tmp_path: Path) -> list[str]:
    """The page's answer is what `python -m sim` prints for the command the page names, line
    by line, and its entries equal the command's summary.json to the last bit."""
    overrides, lines, summary = page_answer(page, tmp_path)
    printed, expected = console_answer(overrides, tmp_path)
    assert lines == printed
    assert summary["effects"] == expected["effects"]  # every entry, float for float
    assert summary["effect_interval"] == expected["effect_interval"]
    assert summary["facts"] == expected["facts"]
    return overrides


def seconds_shown(text: str) -> float:
    return float(re.search(r"redrawn in ([0-9.]+) s", text).group(1))


def test_page_agrees_with_the_command_line(page, dashboard_url, tmp_path, output_path):
    """The first answer is `python -m sim +scenario=aid_freeze`'s; a changed amount, another
    parameter set and a moved slider each give the command the page names. The times go to
    test-results/dashboard-timings.txt (measured, not asserted)."""
    problems = watch(page)
    timings = []
    clock = time.perf_counter()
    page.goto(dashboard_url)
    shown = redraw_text(page)
    timings.append(f"first answer: {time.perf_counter() - clock:.1f} s after loading "
                   f"(redraw {seconds_shown(shown):.2f} s)")
    assert "parameter uncertainty and model noise" in page.locator("pre.answer").inner_text()
    assert assert_agrees(page, tmp_path) == ["+scenario=aid_freeze"]  # the defaults: none set

    def timed(what: str, action) -> None:
        nonlocal shown
        clock = time.perf_counter()
        action()
        shown = wait_for_redraw(page, shown)
        timings.append(f"{what}: {time.perf_counter() - clock:.1f} s in the browser "
                       f"(redraw {seconds_shown(shown):.2f} s)")

    timed("amount changed", lambda: enter(page, "amount (US$)", "6e9"))
    assert "scenario.amount_usd=6000000000.0" in assert_agrees(page, tmp_path)

    def choose_set():
        page.locator(".v-select", has_text="parameter set").locator(".v-select__slot").click()
        page.get_by_role("option", name="calibrated", exact=True).click()

    timed("parameter set changed", choose_set)
    assert "params=calibrated" in assert_agrees(page, tmp_path)

    def move_slider():
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("ArrowRight")

    timed("slider moved", move_slider)
    moved = assert_agrees(page, tmp_path)
    assert any(o.startswith("params.lam=") for o in moved) and len(moved) == 4
    Path(output_path).mkdir(parents=True, exist_ok=True)
    (Path(output_path) / "dashboard-timings.txt").write_text("\n".join(timings) + "\n")
    print("\n".join(timings))
    page.screenshot(path=Path(output_path) / "dashboard-answer.png")
    assert problems == [], "\n".join(problems)


def test_page_redraws_and_shows_bad_values(page, dashboard_url, output_path):
    problems = watch(page)
    page.goto(dashboard_url)
    before = redraw_text(page)
    assert "1,000 replicates" in before
    effect = page.locator("img.figure-effect")
    old_source, old_pixels = effect.get_attribute("src"), effect.screenshot()

    enter(page, "amount (US$)", "6e9")
    shown = wait_for_redraw(page, before)
    page.wait_for_function("([src]) => document.querySelector('img.figure-effect')?.src !== src",
                           arg=[old_source], timeout=RUN_TIMEOUT_MS)
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
    wait_for_redraw(page, shown)
    assert page.locator(".error-amount_usd").count() == 0  # the page works again
    page.locator(".redraw-time").scroll_into_view_if_needed()  # the answer, then its figure
    page.screenshot(path=Path(output_path) / "dashboard.png", full_page=False)
    if os.environ.get("SIM_DASHBOARD_SCREENSHOT"):
        page.screenshot(path=os.environ["SIM_DASHBOARD_SCREENSHOT"], full_page=False)
    for tab, image in (("Trajectories", "img.figure-trajectories"),
                       ("Events", "img.figure-timeline")):
        page.get_by_role("tab", name=tab).click()
        page.locator(image).wait_for(timeout=RUN_TIMEOUT_MS)
        page.screenshot(path=Path(output_path) / f"dashboard-{tab.lower()}.png", full_page=False)
    assert problems == [], "\n".join(problems)


def test_mesa_replicate_steps_and_resets(page, dashboard_url):
    page.goto(dashboard_url)
    redraw_text(page)
    page.get_by_text("One replicate (Mesa)").click()
    step = page.locator(".replicate-step")
    step.wait_for(timeout=RUN_TIMEOUT_MS)
    assert "step 0 of 119" in step.inner_text()
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(r"step 1 of 119")).wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text(re.compile(r"step 0 of 119")).wait_for(timeout=RUN_TIMEOUT_MS)
