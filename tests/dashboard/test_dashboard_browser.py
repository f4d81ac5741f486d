"""The dashboard in a real headless Chromium (pytest-playwright): `python -m sim.dashboard`
serves it, the page loads, a control changes the figure, a bad value shows its message
beside the control, and the Mesa replicate steps. A screenshot is kept under test-results/
(and written to $SIM_DASHBOARD_SCREENSHOT too, when set: how docs/dashboard.png is made).

Playwright drives the system's Chromium (Debian's `chromium`, or $CHROMIUM), or the one
`playwright install chromium` brings; without any, the tests skip (in CI they fail)."""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support import ROOT, sim_env

pytest.importorskip("solara", reason="the dashboard extra is not installed (pip install -e '.[dashboard]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 120  # the server's start; its first run may load the compiled kernel
RUN_TIMEOUT_MS = 180_000  # a run on a busy 2-core machine, the kernel loaded on first use
VIEWPORT = {"width": 1600, "height": 1000}


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
    """The printed address, once the server answers there (it prints before it listens)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert server.poll() is None, "the dashboard stopped: " + log.read_text()
        assert time.monotonic() < deadline, "no answer in time: " + log.read_text()
        match = re.match(r"Dashboard: (http://\S+)", log.read_text())
        if match:
            try:
                with urllib.request.urlopen(match.group(1), timeout=5) as response:
                    if response.status == 200:
                        return match.group(1)
            except OSError:
                pass
        time.sleep(0.2)


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


def test_page_redraws_and_shows_bad_values(page, dashboard_url, output_path):
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
    page.screenshot(path=Path(output_path) / "dashboard.png", full_page=False)
    if os.environ.get("SIM_DASHBOARD_SCREENSHOT"):
        page.screenshot(path=os.environ["SIM_DASHBOARD_SCREENSHOT"], full_page=False)


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
