"""Browser tests in Debian's headless Chromium (/usr/bin/chromium, installed by `make test`), driven by Playwright's
sync API with `executable_path`: Playwright never downloads a browser here (`playwright install` cannot work offline).

A test takes the `browser_page` fixture (exposed by tests/conftest.py) and gets a `BrowserPage`:

    def test_console_lists_topics(browser_page, console_url):
        page, shot = browser_page.page, browser_page.shots
        page.goto(console_url)
        shot("loaded")                      # test-artifacts/console/test_console_lists_topics/01-loaded.png
        page.get_by_role("button", name="Topics").click()
        shot("topics")                      # .../02-topics.png
        browser_page.assert_no_errors()     # no console.error, no uncaught exception in the page

Each test launches its own Chromium with a fresh profile; a failed test gets one more screenshot, `NN-failed.png`.
Browser tests are plain `def` tests: the sync API refuses to run inside a running asyncio loop (`async def` tests).
"""
from __future__ import annotations

import inspect
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from .daemons import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying Google's hosts, refused by CI's closed network.
# --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. --disable-dev-shm-usage: Debian's
# /usr/bin/chromium adds it itself only when /dev/shm is small, and its check breaks when /dev/shm is mounted twice
# (findmnt prints two lines, as on this machine); a small /dev/shm (containers: 64 MiB) then crashes pages.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TIMEOUT_MS = 10_000  # every action and navigation: a hang becomes a failure, well inside pytest's 120 s timeout
VIEWPORT = {"width": 1400, "height": 900}
ARTIFACTS = ROOT / "test-artifacts" / "console"


@contextmanager
def launch() -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh temporary profile; yields its (only) browser context, closed on exit."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="rmq-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS, viewport=VIEWPORT)
        try:
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            yield context
        finally:
            context.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


class Shots:
    """Numbered full-page screenshots of one test: test-artifacts/console/<test-name>/<NN>-<step>.png (the test's
    directory is emptied first, so a rerun leaves no stale steps)."""

    def __init__(self, page: Page, test_name: str, root: Path = ARTIFACTS):
        self.page = page
        self.dir = root / _slug(test_name)
        self.taken: list[Path] = []
        shutil.rmtree(self.dir, ignore_errors=True)

    def __call__(self, step: str) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{len(self.taken) + 1:02d}-{_slug(step)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@dataclass
class BrowserPage:
    page: Page
    shots: Shots
    errors: list[str] = field(default_factory=list)  # console.error messages and uncaught page exceptions

    def assert_no_errors(self) -> None:
        assert not self.errors, "errors in the page:\n" + "\n".join(self.errors)


def watch_errors(page: Page, errors: list[str]) -> None:
    """Append the page's console errors and uncaught exceptions to `errors` as they happen."""
    def on_console(msg) -> None:
        if msg.type == "error":
            loc = msg.location
            errors.append(f"console.error: {msg.text} ({loc.get('url')}:{loc.get('lineNumber')})")
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep the call phase's report on the item, so `browser_page` can see at teardown that its test failed."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@pytest.fixture
def browser_page(request) -> Iterator[BrowserPage]:
    """A fresh page in a freshly launched Chromium, with its Shots and its collected errors; a failed test gets a
    last screenshot named `failed`."""
    if inspect.iscoroutinefunction(request.function):
        pytest.fail("browser_page needs a plain `def` test: Playwright's sync API runs its own event loop in this "
                    "thread, which an `async def` test's loop cannot share", pytrace=False)
    with launch() as context:
        page = context.pages[0] if context.pages else context.new_page()
        bp = BrowserPage(page, Shots(page, request.node.name))
        watch_errors(page, bp.errors)
        yield bp
        report = request.node.stash.get(_CALL_REPORT, None)
        if report is not None and report.failed:
            try:
                bp.shots("failed")
            except Exception as exc:  # a crashed or hung page must not hide the test's own failure
                request.node.add_report_section("teardown", "browser", f"no failure screenshot: {exc}")
